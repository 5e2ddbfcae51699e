"""One call's attempts: everything about sending a request again that is not I/O.

``KimiClient._send`` and ``AsyncKimiClient._send`` differ only in how they send, read and
sleep; ``Attempts`` builds each try's request (its timeouts cut to what the call's
``total_timeout`` leaves), turns each failure into the typed error, decides whether to try
again (``kimi_core.transport.retry``: never a chat request that may have been answered,
unless asked), and scrubs the API key from anything a server or proxy echoed back.

Whether a failed ``POST`` may have reached the server is decided from what httpcore reports
through its public ``trace`` extension: a failure to connect or to write the request cannot
have been acted on, nor can a *stale keep-alive connection* — one reused from the pool that
the server had already closed, seen as the connection closing (or being reset) before a
single byte of the answer while it was being awaited, on a connection this try did not open.
Any other failure after the request was written (a read timeout, a reset or a close on a
fresh connection, a break mid-answer) is ambiguous.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Protocol

import httpx

from ..catalog.hosts import redact_url
from ..errors import (
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    MalformedResponseError,
    RateLimitError,
)
from ..wire.error_body import error_from_response, scrub
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


# The two ways a reused connection shows that the server had closed it before our request.
_STALE = (httpx.RemoteProtocolError, httpx.ReadError)
_AWAITING_ANSWER_FAILED = "http11.receive_response_headers.failed"
_SENT = "http11.send_request_body.complete"


class _Trace:
    """What httpcore reports about one try: did it open a connection, what did it reach."""

    __slots__ = ("fresh", "sent", "unanswered")

    def __init__(self, sent: Callable[[], None] | None = None) -> None:
        self.fresh = False  # a new connection was opened for this try
        self.unanswered = False  # the request was written, and waiting for the answer failed
        self.sent = sent  # told when the whole request is written (the limiter's RPM stamp)

    def note(self, event: str) -> None:
        if event == _AWAITING_ANSWER_FAILED:
            self.unanswered = True
        elif event == _SENT:
            if self.sent is not None:
                self.sent()
        elif event == "connection.connect_tcp.started":
            self.fresh = True

    def __call__(self, event: str, info: dict[str, Any]) -> None:
        self.note(event)


class _AsyncTrace(_Trace):
    """httpcore awaits the trace callback of an async request."""

    __slots__ = ()

    async def acall(self, event: str, info: dict[str, Any]) -> None:
        self.note(event)


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
        "path",
        "stale",
        "stream",
        "trace",
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
    ) -> None:
        self.client = client
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
        self.trace: _Trace | None = None
        self.stale = False  # the last try failed on a stale keep-alive connection

    # -- each try ------------------------------------------------------------------------

    def request(self, http: httpx.Client | httpx.AsyncClient) -> httpx.Request:
        """The next try's request; its timeouts never run past the call's deadline."""
        request = self.client._build_request(http, self.method, self.path, self.kwargs, self.stream)
        if not self.idempotent:  # only a POST needs to know whether it may have been served
            sent = getattr(self.lease, "sent", None)
            if self.is_async:
                async_trace = _AsyncTrace(sent)
                request.extensions["trace"] = async_trace.acall
                self.trace = async_trace
            else:
                self.trace = request.extensions["trace"] = _Trace(sent)
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
        if isinstance(exc, httpx.DecodingError):
            return MalformedResponseError(
                f"the answer from {where} could not be decoded ({type(exc).__name__}: {detail})"
            )
        self.stale = self._stale(exc)
        sent = not isinstance(exc, _NOT_SENT) and not self.stale
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

    def explained(self, error: APIStatusError) -> APIStatusError:
        error.attempts = self.attempt + 1
        secret = self.client.secret()
        message = scrub(error.message, secret)
        client = self.client
        hint = hint_for(error, self.model, client.base_url, client.options.host)
        if hint is not None:
            message = f"{message} ({hint})"
        if message == error.message and scrub(error.body, secret) == error.body:
            return error
        return type(error)(
            message,
            status=error.status,
            type=error.type,
            code=error.code,
            trace_id=error.trace_id,
            body=scrub(error.body, secret),
            headers=error.headers,
            attempts=error.attempts,
        )

    def retry_delay(self, error: APIError) -> float | None:
        """Seconds to wait before the next try, or None to give up with ``error``; the
        limiter hears of a 429's ``Retry-After`` so that every caller slows down."""
        client = self.client
        if isinstance(error, RateLimitError):
            observe = getattr(client.rate_limiter, "observe", None)
            if observe is not None:
                observe(None, parse_retry_after(error.headers.get("retry-after")))
        policy = client.retry_policy
        if not policy.should_retry(error, self.attempt, idempotent=self.idempotent):
            return None
        # A stale connection is a race with the server's idle close: try again at once.
        delay = 0.0 if self.stale else policy.delay(error, self.attempt)
        self.stale = False
        if self.deadline is not None and time.monotonic() + delay >= self.deadline:
            return None  # the wait would outlast the call's deadline
        self.attempt += 1
        return delay

    def _stale(self, exc: Exception) -> bool:
        """The try failed on a stale keep-alive connection (module docstring)."""
        trace = self.trace
        return (
            trace is not None
            and not trace.fresh
            and trace.unanswered
            and isinstance(exc, _STALE)
            and (
                not isinstance(exc, httpx.RemoteProtocolError)
                or "without sending a response" in str(exc)
            )
        )

    def _deadline_error(self, *, sent: bool = False) -> APITimeoutError:
        total = self.client.options.total_timeout
        return APITimeoutError(
            f"the call to {redact_url(self.client.base_url)} did not finish within "
            f"total_timeout={total} s",
            attempts=self.attempt + 1,
            request_sent=sent or self.attempt > 0,
        )
