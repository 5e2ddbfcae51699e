"""Fault injection: queued failures, raw answers, cut streams, delays and simulated limits.

Every queue is FIFO and each entry answers ``times`` requests. Order of effects on a request
(documented in ``app.py`` too): authentication → simulated limits (chat completions only) →
``delay_next`` → ``fail_next`` / ``raw_next`` / ``raw_stream_next`` (any path) → the route,
where ``cut_next_stream`` and ``fail_mid_stream`` (one queue: first queued, first used) apply
to the next *streaming* chat completion and ``gateway_timeout_next`` to the next valid
*non-streaming* one (streams leave it queued): it waits its delay, then answers 504 with
:data:`GATEWAY_TIMEOUT_PAGE`.

Simulated limits answer 429 ``rate_limit_reached_error`` with the real API's wording (seen in
LLM-Red-Team/kimi-cc#16: "Your account org-…<ak-…> request reached organization max RPM: 3,
please try again after 1 seconds" and "... request reached max organization concurrency: 1,
please try again after 1 seconds"; the table in docs/kimi-api/errors-and-limits.md "Error
types", whose wording the TPM refusal follows: "... request reached organization TPM rate
limit, current:{current}, limit:{max}"). Those 429s carry ``Retry-After`` (whole seconds,
the wait the message states: until the oldest request leaves the RPM window, until enough
tokens leave the TPM window, 1 for concurrency) [docs/kimi-api/models.md §10:
``Retry-After`` is an official header]. While an RPM limit is set, every chat-completions
answer (429s included) carries ``X-RateLimit-Limit`` (the RPM), ``X-RateLimit-Remaining``
(requests left in the window after this one) and ``X-RateLimit-Reset`` (whole seconds until
the oldest request in the window leaves it, at least 1) [docs/kimi-api/models.md §10;
docs/kimi-api/errors-and-limits.md "Headers"; the values' exact meaning is assumed]. With
only a concurrency limit, no ``X-RateLimit-*`` header is sent (assumed). All dialects send
them (assumed).
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "GATEWAY_TIMEOUT_PAGE",
    "Admission",
    "CutSpec",
    "FailSpec",
    "Limiter",
    "MidStreamSpec",
    "RawSpec",
    "RawStreamSpec",
]

ORG = "org-emulator"
AK = "ak-emulator"


@dataclass
class FailSpec:
    """Answer with an HTTP error. ``body``: dict → JSON, str/bytes → raw, None → dialect body."""

    status: int
    body: dict[str, Any] | str | bytes | None = None
    retry_after: int | str | None = None
    error_type: str | None = None
    message: str | None = None
    content_type: str | None = None


@dataclass
class RawSpec:
    """Answer with exactly these bytes."""

    body: bytes
    status: int = 200
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class RawStreamSpec:
    """Answer 200 ``text/event-stream`` sending exactly these byte chunks, then end cleanly."""

    events: list[bytes]


@dataclass
class CutSpec:
    """Send ``after_events`` SSE events of the next stream, then end it (no finish, no [DONE]).

    ``abort=True`` drops the connection instead of ending the body cleanly.
    """

    after_events: int
    abort: bool = False


@dataclass
class MidStreamSpec:
    """Send ``after`` events of the next stream, then the dialect's mid-stream error
    (``wire`` / ``host_wire``): HTTP 200 already sent, the error arrives as an SSE event."""

    message: str
    after: int
    status: int = 500
    code: str | int | None = None


GATEWAY_TIMEOUT_PAGE = (
    b"<html>\r\n<head><title>504 Gateway Time-out</title></head>\r\n<body>\r\n"
    b"<center><h1>504 Gateway Time-out</h1></center>\r\n<hr><center>nginx</center>\r\n"
    b"</body>\r\n</html>\r\n"
)
"""What Moonshot's gateway answers a non-streaming request it waited 900 s for: "HTTP 504
... the gateway returns an HTML timeout page" (platform.kimi.ai/docs/api/errors, quoted by
two sources); the page's exact text is not quoted anywhere: a stock nginx 504 page (assumed)."""


@dataclass(frozen=True)
class Admission:
    """What :meth:`Limiter.admit` decided: ``refused`` is the 429 message (None: admitted);
    ``headers`` go on the answer either way (lower-case names)."""

    refused: str | None
    headers: dict[str, str]


class Limiter:
    """RPM (sliding window of admitted requests), TPM (tokens of the requests in the same
    window: the prompt counted at admission, the answer's tokens added once it is built) and
    concurrency (admitted in flight).

    ``window`` is 60 s like the real API; tests may shrink it to run "per minute" limits fast.
    """

    def __init__(
        self,
        rpm: int | None = None,
        concurrency: int | None = None,
        window: float = 60.0,
        tpm: int | None = None,
    ) -> None:
        self._lock = threading.Lock()
        self.rpm = rpm
        self.concurrency = concurrency
        self.tpm = tpm
        self.window = window
        self._window: deque[float] = deque()
        self._tokens: deque[list[float]] = deque()  # [admitted at, tokens]
        self._token_sum = 0.0
        self._in_flight = 0

    def configure(
        self,
        rpm: int | None,
        concurrency: int | None,
        window: float = 60.0,
        tpm: int | None = None,
    ) -> None:
        with self._lock:
            self.rpm = rpm
            self.concurrency = concurrency
            self.tpm = tpm
            self.window = window
            self._window.clear()
            self._tokens.clear()
            self._token_sum = 0.0

    @property
    def in_flight(self) -> int:
        return self._in_flight

    def _reset_after(self, now: float) -> int:
        """Whole seconds until the oldest request in the window leaves it (at least 1)."""
        if not self._window:
            return max(1, math.ceil(self.window))
        return max(1, math.ceil(self.window - (now - self._window[0])))

    def _rate_headers(self, now: float) -> dict[str, str]:
        if self.rpm is None:
            return {}
        return {
            "x-ratelimit-limit": str(self.rpm),
            "x-ratelimit-remaining": str(max(0, self.rpm - len(self._window))),
            "x-ratelimit-reset": str(self._reset_after(now)),
        }

    def _tokens_free_after(self, now: float, needed: float) -> int:
        """Whole seconds until ``needed`` tokens fit under the TPM (at least 1)."""
        free = self.tpm - self._token_sum if self.tpm is not None else 0.0
        for admitted, tokens in self._tokens:
            if free >= needed:
                return max(1, math.ceil(self.window - (now - admitted)))
            free += tokens
        return max(1, math.ceil(self.window))

    def admit(self, tokens: int = 0) -> Admission:
        """Admit one request of ``tokens`` prompt tokens or refuse it with the 429 message
        (see the module docstring)."""
        now = time.monotonic()
        with self._lock:
            window = self._window
            if self.rpm is not None:
                while window and now - window[0] >= self.window:
                    window.popleft()
            entries = self._tokens
            while entries and now - entries[0][0] >= self.window:
                self._token_sum -= entries.popleft()[1]
            if self.concurrency is not None and self._in_flight >= self.concurrency:
                headers = self._rate_headers(now)
                headers["retry-after"] = "1"
                return Admission(
                    f"Your account {ORG}<{AK}> request reached max organization concurrency: "
                    f"{self.concurrency}, please try again after 1 seconds",
                    headers,
                )
            if self.rpm is not None and len(window) >= self.rpm:
                wait = self._reset_after(now)
                headers = self._rate_headers(now)
                headers["retry-after"] = str(wait)
                return Admission(
                    f"Your account {ORG}<{AK}> request reached organization max RPM: "
                    f"{self.rpm}, please try again after {wait} seconds",
                    headers,
                )
            if self.tpm is not None and self._token_sum + tokens > self.tpm:
                headers = self._rate_headers(now)
                headers["retry-after"] = str(self._tokens_free_after(now, tokens))
                return Admission(
                    f"Your account {ORG}<{AK}> request reached organization TPM rate limit, "
                    f"current:{round(self._token_sum) + tokens}, limit:{self.tpm}",
                    headers,
                )
            if self.rpm is not None:
                window.append(now)
            if self.tpm is not None:
                entries.append([now, float(tokens)])
                self._token_sum += tokens
            self._in_flight += 1
            return Admission(None, self._rate_headers(now))

    def charge(self, tokens: int) -> None:
        """Add an answer's tokens to the TPM window (at the time it was built)."""
        if self.tpm is None or tokens <= 0:
            return
        with self._lock:
            self._tokens.append([time.monotonic(), float(tokens)])
            self._token_sum += tokens

    def tokens_left(self) -> int | None:
        """Tokens left under the TPM in the current window (None: no TPM limit)."""
        with self._lock:
            if self.tpm is None:
                return None
            return max(0, self.tpm - round(self._token_sum))

    def release(self) -> None:
        with self._lock:
            self._in_flight = max(0, self._in_flight - 1)
