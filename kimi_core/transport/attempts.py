"""One call's attempts: everything about sending a request again that is not I/O.

``KimiClient._send`` and ``AsyncKimiClient._send`` differ only in how they send, read and
sleep; ``Attempts`` builds each try's request (its timeouts cut to what the call's
``total_timeout`` leaves), turns each failure into the typed error, decides whether to try
again (``kimi_core.transport.retry``: never a chat request that may have been answered,
unless asked), and scrubs the API key from anything a server or proxy echoed back.

Whether a failed ``POST`` may have reached the server is decided from the exception alone: a
failure to connect or to write the whole request cannot have been acted on; any failure after
the request was written (a read timeout, a reset or a close, on a fresh connection or on one
reused from the pool, a break mid-answer) is ambiguous. A connection reused from the pool that
the server closed without a word is ambiguous too: the server may have read the request, acted
on it and closed, which the client cannot tell from a server that timed the idle connection
out. Such races are kept rare instead by expiring idle connections from the pool well before
servers close them (``kimi_core.transport.base.KEEPALIVE_EXPIRY``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import httpx

from ..catalog.hosts import redact_url
from ..errors import (
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    KimiError,
    MalformedResponseError,
    RateLimitError,
)
from ..wire.error_body import error_from_response, scrub, scrub_error
from .hints import hint_for
from .retry import parse_retry_after

if TYPE_CHECKING:
    from ..limits.limiter import LeaseLike, Limiter
    from ..options import KimiOptions
    from .retry import RetryPolicy


class _Client(Protocol):
    """What one call's attempts read of their client (``kimi_core.transport.base.BaseClient``)."""

    base_url: str
    options: KimiOptions
    rate_limiter: Limiter | None
    retry_policy: RetryPolicy

    def secret(self) -> str: ...

    def _build_request(
        self,
        http: httpx.Client | httpx.AsyncClient,
        method: str,
        path: str,
        kwargs: dict[str, Any],
        stream: bool,
    ) -> httpx.Request: ...


__all__ = ["Attempts", "buffered"]

_E = TypeVar("_E", bound=BaseException)

_IDEMPOTENT = frozenset({"GET", "HEAD", "DELETE", "OPTIONS"})
# Transport failures that happen before the request was fully written: the server cannot
# have acted on it.
_NOT_SENT = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.WriteError,
    httpx.WriteTimeout,
    httpx.UnsupportedProtocol,
    httpx.ProxyError,
)

_SENT = "http11.send_request_body.complete"


class _Trace:
    """httpcore's trace of one try (its public ``trace`` extension): tells the lease when
    the whole request is written (the limiter's RPM stamp)."""

    __slots__ = ("sent",)

    def __init__(self, sent: Callable[[], None]) -> None:
        self.sent = sent

    def note(self, event: str) -> None:
        if event == _SENT:
            self.sent()

    def __call__(self, event: str, info: dict[str, Any]) -> None:
        self.note(event)


class _AsyncTrace(_Trace):
    """httpcore awaits the trace callback of an async request."""

    __slots__ = ()

    async def acall(self, event: str, info: dict[str, Any]) -> None:
        self.note(event)


def _forget_credentials(exc: Exception) -> None:
    """httpx's exception (the typed error's cause) keeps its request, whose URL shows the
    user and password a base URL may carry: the cause keeps a copy without them."""
    request = getattr(exc, "_request", None)
    if isinstance(request, httpx.Request) and request.url.userinfo:
        exc._request = httpx.Request(  # type: ignore[attr-defined]
            request.method, request.url.copy_with(userinfo=b"")
        )


def buffered(response: httpx.Response, raw: Iterable[bytes]) -> httpx.Response:
    """``response`` with its raw body (read piece by piece, to check a deadline between
    pieces) in place, decoded as httpx would have (``httpx.DecodingError`` if it cannot be)."""
    return httpx.Response(
        response.status_code,
        headers=response.headers,
        content=b"".join(raw),
        request=response.request,
        extensions=response.extensions,
    )


class Attempts:
    """The tries of one request (module docstring). ``attempt`` counts from 0."""

    __slots__ = (
        "attempt",
        "client",
        "deadline",
        "idempotent",
        "is_async",
        "kwargs",
        "lease",
        "method",
        "model",
        "once",
        "path",
        "stream",
    )

    def __init__(
        self,
        client: _Client,
        method: str,
        path: str,
        kwargs: dict[str, Any],
        *,
        stream: bool,
        model: str | None,
        deadline: float | None,
        is_async: bool,
        lease: LeaseLike | None = None,
        once: bool = False,
    ) -> None:
        self.client = client
        self.once = once
        self.lease = lease
        self.method = method
        self.path = path
        self.kwargs = kwargs
        self.stream = stream
        self.model = model
        self.deadline = deadline
        self.idempotent = method in _IDEMPOTENT
        self.is_async = is_async
        self.attempt = 0

    # -- each try ------------------------------------------------------------------------

    def request(self, http: httpx.Client | httpx.AsyncClient) -> httpx.Request:
        """The next try's request; its timeouts never run past the call's deadline."""
        request = self.client._build_request(http, self.method, self.path, self.kwargs, self.stream)
        sent = getattr(self.lease, "sent", None)
        if sent is not None:  # the limiter counts the request from its write
            if self.is_async:
                request.extensions["trace"] = _AsyncTrace(sent).acall
            else:
                request.extensions["trace"] = _Trace(sent)
        if self.deadline is not None:
            left = self.deadline - time.monotonic()
            if left <= 0:
                raise self._deadline_error()
            timeout = request.extensions.get("timeout") or {}
            request.extensions["timeout"] = {
                phase: left if value is None else min(value, left)
                for phase, value in {
                    "connect": timeout.get("connect"),
                    "read": timeout.get("read"),
                    "write": timeout.get("write"),
                    "pool": timeout.get("pool"),
                }.items()
            }
        return request

    def check_deadline(self) -> None:
        """Between the pieces of an answer: raise once the call's ``total_timeout`` passed."""
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise self._deadline_error(sent=True)

    # -- failures --------------------------------------------------------------------------

    def transport_error(self, exc: Exception) -> APIError:
        """The typed error of a failure to send or to read the answer."""
        client = self.client
        where = redact_url(client.base_url)
        detail = scrub(str(exc), client.secret())
        detail = detail.replace(client.base_url, where)
        attempts = self.attempt + 1
        _forget_credentials(exc)
        if isinstance(exc, httpx.DecodingError):
            return MalformedResponseError(
                f"the answer from {where} could not be decoded ({type(exc).__name__}: {detail})"
            )
        sent = not isinstance(exc, _NOT_SENT)
        if isinstance(exc, httpx.TimeoutException):
            return APITimeoutError(
                f"request to {where} timed out ({type(exc).__name__})",
                attempts=attempts,
                request_sent=sent,
            )
        if isinstance(exc, RuntimeError):  # an httpx pool of an event loop that is gone
            return APIConnectionError(
                f"could not talk to {where}: the HTTP client belongs to an event loop that has "
                f"closed ({detail}); use a client per event loop",
                attempts=attempts,
                request_sent=False,
            )
        return APIConnectionError(
            f"could not talk to {where}: {type(exc).__name__}: {detail}",
            attempts=attempts,
            request_sent=sent,
        )

    def status_error(self, response: httpx.Response, body: bytes) -> APIStatusError:
        """The typed error of a non-2xx answer (key scrubbed; a 404 for a model the catalog
        knows to be retired says what replaces it)."""
        error = error_from_response(
            response.status_code, response.headers, body, attempts=self.attempt + 1
        )
        return self.explained(error)

    def explained(self, error: _E) -> _E:
        """An error read from an answer, for the caller: the key the server may have echoed
        scrubbed from all it carries (``kimi_core.wire.error_body.scrub_error``), its
        attempts counted, and a hint where the rule that refused it is known to have moved
        (``kimi_core.transport.hints``: a retired model, a missing ``/v1``, the other
        platform's key...)."""
        if isinstance(error, APIError):
            error.attempts = self.attempt + 1
        scrub_error(error, self.client.secret())
        if isinstance(error, APIStatusError):
            client = self.client
            hint = hint_for(error, self.model, client.base_url, client.options.host)
            if hint is not None:
                error.message = f"{error.message} ({hint})"
                error.args = (error.message,)
        return error

    def retry_delay(self, error: KimiError) -> float | None:
        """Seconds to wait before the next try, or None to give up with ``error``; the
        limiter hears of a 429's ``Retry-After`` so that every caller slows down."""
        client = self.client
        if isinstance(error, RateLimitError):
            observe = getattr(client.rate_limiter, "observe", None)
            if observe is not None:
                observe(None, parse_retry_after(error.headers.get("retry-after")))
        policy = client.retry_policy
        if not policy.should_retry(error, self.attempt, idempotent=self.idempotent, once=self.once):
            return None
        delay = policy.delay(error, self.attempt)
        if self.deadline is not None and time.monotonic() + delay >= self.deadline:
            return None  # the wait would outlast the call's deadline
        self.attempt += 1
        return delay

    def _deadline_error(self, *, sent: bool = False) -> APITimeoutError:
        total = self.client.options.total_timeout
        return APITimeoutError(
            f"the call to {redact_url(self.client.base_url)} did not finish within "
            f"total_timeout={total} s",
            attempts=self.attempt + 1,
            request_sent=sent or self.attempt > 0,
        )
