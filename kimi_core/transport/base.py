"""The base clients: configuration, request building and the send loop, once for every resource.

``BaseClient`` holds the resolved configuration (``KimiOptions``) and everything about a
request that is not I/O: its URL, headers and timeouts, the checked and encoded chat body
(``kimi_core.chat.request.prepare_chat``). ``SyncAPIClient`` and ``AsyncAPIClient`` add the
httpx pool and ``_send``, the loop that tries a request until it succeeds or must stop
(``kimi_core.transport.attempts`` decides about each retry and the call's deadline). The two
differ only in how they send, read and sleep; ``kimi_core.client`` builds the public clients
on them.
"""

from __future__ import annotations

import asyncio
import ssl
import time
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from typing import Any, TypeVar

import httpx
from pydantic import SecretStr

from .._fastpath import fix_connection_pool
from .._version import __version__
from ..catalog.hosts import redact_url
from ..chat.request import ChatInput, PreparedChat, prepare_chat
from ..errors import APIError, APITimeoutError, ConfigurationError, KimiError
from ..limits.limiter import (
    LeaseLike,
    Limiter,
    aacquire_within,
    acquire_within,
    estimate_request_tokens,
    release_lease,
)
from ..options import KimiOptions
from .attempts import Attempts, buffered
from .loop_pools import LoopBoundClient
from .responses import without_stream_cycle
from .retry import RetryPolicy, maybe_acted_on

__all__ = [
    "DEFAULT_LIMITS",
    "DEFAULT_TIMEOUT",
    "KEEPALIVE_EXPIRY",
    "AsyncAPIClient",
    "BaseClient",
    "SyncAPIClient",
]

# Thinking answers can take minutes; connecting should not.
DEFAULT_TIMEOUT = httpx.Timeout(600.0, connect=10.0)
# An idle pooled connection is closed after this many seconds, well before common servers
# close theirs (uvicorn, vLLM, SGLang, Node: 5 s; nginx 75 s; cloud load balancers 60 s): a
# request written on a connection the server is closing at that moment may have been read and
# acted on, so it is never sent again (``kimi_core.transport.attempts``); expiring early keeps
# that race rare. What it costs (a new connection after a pause longer than this) is measured
# by ``benchmarks/keepalive.py`` (docs/guides/retries-and-errors.md).
KEEPALIVE_EXPIRY = 2.0
# Sized so a few hundred concurrent calls never queue for a connection; the pool itself is
# swapped for one that survives bursts on warm connections (kimi_core._fastpath).
DEFAULT_LIMITS = httpx.Limits(
    max_connections=1000, max_keepalive_connections=200, keepalive_expiry=KEEPALIVE_EXPIRY
)

_HTTP = TypeVar("_HTTP", httpx.Client, httpx.AsyncClient)
_T = TypeVar("_T")


def _backoff(seconds: float) -> None:
    """The wait between two tries (one seam: tests record the waits instead of sleeping)."""
    time.sleep(seconds)


async def _abackoff(seconds: float) -> None:
    await asyncio.sleep(seconds)


def _settled(
    response: httpx.Response,
    stream: bool,
    parse: Callable[[httpx.Response], Any] | None,
    attempts: Attempts,
) -> tuple[Any, tuple[KimiError, BaseException | None] | None]:
    """What a 2xx answer gives: ``(value, None)``, or ``(None, (error, cause))`` when the
    parser finds an error in it (a gateway's 200 carrying one, a failed fiber...)."""
    if stream:
        return response, None
    response = without_stream_cycle(response)
    if parse is None:
        return response, None
    try:
        return parse(response), None
    except KimiError as exc:
        return None, (attempts.explained(exc), exc.__cause__)


async def _abuffered(response: httpx.Response, attempts: Attempts) -> httpx.Response:
    """The body read piece by piece (a server trickling bytes must not outlast the call)."""
    try:
        raw = [piece async for piece in _achecked(response.aiter_raw(), attempts)]
        return buffered(response, raw)
    finally:
        await response.aclose()


def _checked(pieces: Iterator[bytes], attempts: Attempts) -> Iterator[bytes]:
    for piece in pieces:
        attempts.check_deadline()
        yield piece


async def _achecked(pieces: AsyncIterator[bytes], attempts: Attempts) -> AsyncIterator[bytes]:
    async for piece in pieces:
        attempts.check_deadline()
        yield piece


_UNLEASED = frozenset({"GET", "HEAD", "DELETE", "OPTIONS"})
_LOOKUP_FAILED: Any = object()


def _look_up(find: Callable[[], _T | None]) -> _T | None:
    """What ``find`` found, None, or ``_LOOKUP_FAILED`` when it could not tell."""
    try:
        return find()
    except KimiError:
        return _LOOKUP_FAILED  # type: ignore[no-any-return]


async def _alook_up(find: Callable[[], Awaitable[_T | None]]) -> _T | None:
    try:
        return await find()
    except KimiError:
        return _LOOKUP_FAILED  # type: ignore[no-any-return]


def _error_body(response: httpx.Response) -> bytes:
    try:
        return response.read()
    finally:
        response.close()


async def _aerror_body(response: httpx.Response) -> bytes:
    try:
        return await response.aread()
    finally:
        await response.aclose()


def _join(base_url: str, path: str) -> httpx.URL:
    """``base_url`` + ``path``, a query string in the base URL kept after the path (Azure's
    ``?api-version=``)."""
    url = httpx.URL(base_url)
    if not url.query:
        return httpx.URL(base_url + path)
    return url.copy_with(path=url.path.rstrip("/") + path.split("?")[0])


class BaseClient:
    """Configuration plus the I/O-free half of a client."""

    _owns_http: bool
    _is_async = False

    def __init__(
        self,
        api_key: str | SecretStr | None = None,
        base_url: str | None = None,
        *,
        options: KimiOptions | None = None,
        **settings: Any,
    ) -> None:
        """``options``: settings already resolved (``KimiOptions.resolve``), as the adapters
        pass them; else the keyword arguments are resolved here (``gateway``,
        ``endpoint_path``, ``timeout``, ``max_retries``, ``default_headers``,
        ``rate_limits``, ``rate_limiter``, ``allow_insecure``)."""
        if options is None:
            options = KimiOptions.resolve(api_key, base_url, **settings)
        elif api_key is not None or base_url is not None or settings:
            raise ConfigurationError(
                "pass either options= or the settings it resolves, not both", param="options"
            )
        self.options = options
        self.api_key = options.api_key
        self.base_url = options.base_url
        self.gateway = options.gateway
        self.host = options.host
        self.dialect = options.host.dialect
        self.model_optional = options.model_optional
        self._token = options.token
        self._sent_token: str | None = None
        """The token a token callable last gave (what an error is scrubbed of: asking the
        callable again would spend a refresh, and may give another token)."""
        timeout = options.timeout
        self.timeout = (
            DEFAULT_TIMEOUT
            if timeout is None
            else timeout
            if isinstance(timeout, httpx.Timeout)
            else httpx.Timeout(timeout)
        )
        self.retry_policy = RetryPolicy(
            max_retries=options.max_retries, retry_ambiguous=options.retry_ambiguous
        )
        self._urls: dict[str, httpx.URL] = {}
        self._tls: ssl.SSLContext | None = None
        self._auth = options.host.auth_header
        self._headers = {
            **({} if self._token else self._auth_header(self.api_key.get_secret_value())),
            "Accept": "application/json",
            "User-Agent": f"kimi-integrations/{__version__}",
            **options.default_headers,
        }
        self.rate_limiter: Limiter | None = options.rate_limiter

    def _auth_header(self, secret: str) -> dict[str, str]:
        """The host's auth header: ``Authorization: Bearer <key>``, or Azure's ``api-key``."""
        if self._auth == "api-key":
            return {"api-key": secret}
        return {"Authorization": f"Bearer {secret}"}

    def secret(self) -> str:
        """The key or token in use now (a token callable: the token last sent, asked for only
        before any was): what error texts are scrubbed of."""
        if self._token is None:
            return self.api_key.get_secret_value()
        sent = self._sent_token
        return sent if sent is not None else self._token()

    @property
    def headers(self) -> dict[str, str]:
        """The headers sent with every request, the key masked (``Bearer ***``)."""
        masked = {k: "***" if k == "api-key" else v for k, v in self._headers.items()}
        return {
            **masked,
            **({"api-key": "***"} if self._auth == "api-key" else {"Authorization": "Bearer ***"}),
        }

    @property
    def max_retries(self) -> int:
        return self.retry_policy.max_retries

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(base_url={redact_url(self.base_url)!r}, "
            f"max_retries={self.retry_policy.max_retries}, api_key=SecretStr('**********'))"
        )

    def prepare(self, request: ChatInput, *, stream: bool = False) -> PreparedChat:
        """The chat request as it would be sent, checked and normalised for the model
        (``kimi_core.chat.request.prepare_chat_payload``) and encoded; raises what sending
        would raise, before anything is sent. ``chat`` / ``chat_stream`` take the result as
        is, so a caller can check now and send later; the batch writer builds every line
        with it."""
        return prepare_chat(request, stream=stream, host=self.host)

    def _attempts(
        self,
        method: str,
        path: str,
        kwargs: dict[str, Any],
        *,
        stream: bool,
        model: str | None,
        deadline: float | None,
        lease: LeaseLike | None,
        once: bool = False,
    ) -> Attempts:
        return Attempts(
            self,
            method,
            path,
            kwargs,
            stream=stream,
            model=model,
            deadline=deadline,
            is_async=self._is_async,
            lease=lease,
            once=once,
        )

    def _deadline(self) -> float | None:
        """When a call starting now must be over (``total_timeout``), or None."""
        total = self.options.total_timeout
        return None if total is None else time.monotonic() + total

    @staticmethod
    def _left(deadline: float | None) -> float | None:
        return None if deadline is None else deadline - time.monotonic()

    def _limiter_timeout(self) -> APITimeoutError:
        """``total_timeout`` passed while the call still waited for the rate limiter:
        nothing was sent."""
        return APITimeoutError(
            f"the call to {redact_url(self.base_url)} did not finish within "
            f"total_timeout={self.options.total_timeout} s: it was still waiting for the "
            "rate limiter (nothing was sent)",
            request_sent=False,
        )

    def _observe(self, rate_limit: dict[str, int | str] | None) -> None:
        """Let the limiter correct its pace with the answer's ``X-RateLimit-*`` values."""
        if rate_limit is not None and self.rate_limiter is not None:
            observe = getattr(self.rate_limiter, "observe", None)
            if observe is not None:
                observe(rate_limit)

    def _own_http(self, factory: Callable[..., _HTTP]) -> _HTTP:
        """The httpx client built when the caller passes none: this client's timeout and
        headers, ``DEFAULT_LIMITS``, the client's one TLS context, and the burst-safe pool
        (``kimi_core._fastpath``)."""
        http = factory(
            timeout=self.timeout,
            limits=DEFAULT_LIMITS,
            headers=self._headers,
            verify=self._tls_context(),
        )
        fix_connection_pool(http)
        return http

    def _tls_context(self) -> ssl.SSLContext:
        """One TLS context for every pool of this client, built on first use (as httpx
        builds it: the system's and certifi's roots, ``SSL_CERT_FILE`` / ``SSL_CERT_DIR``).
        Loading the roots takes about 35 ms: an async client opens a pool per event loop,
        and must not pay that per ``asyncio.run``."""
        context = self._tls
        if context is None:
            context = self._tls = httpx.create_ssl_context()
        return context

    def _build_request(
        self,
        http: httpx.Client | httpx.AsyncClient,
        method: str,
        path: str,
        kwargs: dict[str, Any],
        stream: bool,
    ) -> httpx.Request:
        url = self._urls.get(path)
        if url is None:  # parsed once per path, not once per call (benchmarks/README.md)
            url = self._urls[path] = _join(self.base_url, path)
        # A user-supplied http client does not carry our headers: send them per request.
        request = http.build_request(
            method,
            url,
            timeout=self.timeout,
            headers=None if self._owns_http else self._headers,
            **kwargs,
        )
        if self._token is not None:
            token = self._sent_token = self._token()
            request.headers.update(self._auth_header(token))
        if "content" in kwargs:
            # JSON bodies are pre-encoded; multipart uploads keep httpx's boundary header.
            request.headers["Content-Type"] = "application/json"
        if stream:
            request.headers["Accept"] = "text/event-stream"
        return request


class SyncAPIClient(BaseClient):
    """``BaseClient`` with an ``httpx.Client`` pool and the synchronous send loop."""

    def __init__(
        self,
        api_key: str | SecretStr | None = None,
        base_url: str | None = None,
        *,
        http_client: httpx.Client | None = None,
        options: KimiOptions | None = None,
        **settings: Any,
    ) -> None:
        super().__init__(api_key, base_url, options=options, **settings)
        http_client = http_client or self.options.http_client
        self._owns_http = http_client is None
        self._http = http_client if http_client is not None else self._own_http(httpx.Client)
        if self._owns_http:
            # Dropped without close() (its model garbage-collected), the client still closes
            # its pool: no socket left for the interpreter to warn about (ResourceWarning).
            # Tied to this client, not to the model: a generator or tokenizer holding the
            # client keeps the pool open for as long as it is used. (The async pools are
            # their event loops' to close: ``loop_pools``.)
            weakref.finalize(self, self._http.close)

    def _send(
        self,
        method: str,
        path: str,
        *,
        stream: bool = False,
        model: str | None = None,
        parse: Callable[[httpx.Response], _T] | None = None,
        lease: LeaseLike | None = None,
        deadline: float | None = None,
        once: bool = False,
        **kwargs: Any,
    ) -> Any:
        """Send with retries (``kimi_core.transport.attempts``); returns a 2xx response (its
        body unread when ``stream``), or what ``parse`` reads from it. ``once``: never sent
        again once it may have reached the server (``kimi_core.transport.retry``)."""
        attempts = self._attempts(
            method,
            path,
            kwargs,
            stream=stream,
            model=model,
            deadline=deadline,
            lease=lease,
            once=once,
        )
        http = self._http
        while True:
            try:
                response = http.send(attempts.request(http), stream=stream or deadline is not None)
                if deadline is not None and not stream and response.status_code < 300:
                    # Read piece by piece: a server trickling bytes must not outlast the call.
                    try:
                        response = buffered(response, _checked(response.iter_raw(), attempts))
                    finally:
                        response.close()
            except (httpx.TransportError, httpx.DecodingError) as exc:
                error: KimiError = attempts.transport_error(exc)
                cause: BaseException | None = exc
            else:
                if response.status_code < 300:
                    value, failure = _settled(response, stream, parse, attempts)
                    if failure is None:
                        return value
                    error, cause = failure
                else:
                    # No local holds the raw body: it may echo the key (the error does not).
                    error, cause = attempts.status_error(response, _error_body(response)), None
            delay = attempts.retry_delay(error)
            if delay is None:
                raise error from cause
            _backoff(delay)
            retry = getattr(lease, "retry", None)
            if retry is not None:
                retry()  # a retry counts against the account's RPM too

    def _lease(
        self, payload: Mapping[str, Any] | None, deadline: float | None = None
    ) -> LeaseLike | None:
        """The limiter's lease for a request (``payload``: a chat request, its tokens
        estimated; None: a resource's request, no tokens), waited for until ``deadline``."""
        limiter = self.rate_limiter
        if limiter is None:
            return None
        tokens = estimate_request_tokens(payload) if payload is not None else 0
        try:
            return acquire_within(limiter, tokens, self._left(deadline))
        except TimeoutError:
            raise self._limiter_timeout() from None

    def _request(
        self,
        method: str,
        path: str,
        *,
        once: bool = False,
        find: Callable[[], _T | None] | None = None,
        **kwargs: Any,
    ) -> Any:
        """A resource's request (files, formulas, batches, token counting).

        A ``POST`` (billed or counted work: a fiber, a token count, an upload, a batch) takes
        a limiter lease, as a chat call does; a ``GET`` / ``DELETE`` (polling, listing,
        downloading) takes none: it is not billed, and a download held open must not hold a
        concurrency slot. ``once``: never sent again once it may have reached the server
        (the failure is raised). With ``find`` (a lookup of what the request creates), it is
        sent ``once`` too, and after a failure that may have reached the server (a 5xx, a lost
        answer) it waits the backoff, and ``find()`` runs before anything is sent again;
        what it finds is returned, else the request is sent again (at most ``max_retries``
        times). A lookup that fails raises the original error."""
        if method in _UNLEASED:
            return self._send(method, path, **kwargs)
        attempt = 0
        while True:
            lease = self._lease(None)
            try:
                return self._send(
                    method, path, lease=lease, once=once or find is not None, **kwargs
                )
            except APIError as exc:
                if find is None or not maybe_acted_on(exc):
                    raise
                error = exc
            finally:
                release_lease(lease)
            again = attempt < self.retry_policy.max_retries
            if again:
                _backoff(self.retry_policy.delay(error, attempt))
            found = _look_up(find)
            if found is not None and found is not _LOOKUP_FAILED:
                return found
            if found is _LOOKUP_FAILED or not again:
                raise error
            attempt += 1

    def close(self) -> None:
        if self._owns_http:
            self._http.close()


class AsyncAPIClient(BaseClient):
    """``BaseClient`` with one ``httpx.AsyncClient`` pool per event loop and the async send
    loop."""

    _is_async = True

    def __init__(
        self,
        api_key: str | SecretStr | None = None,
        base_url: str | None = None,
        *,
        http_client: httpx.AsyncClient | None = None,
        options: KimiOptions | None = None,
        **settings: Any,
    ) -> None:
        super().__init__(api_key, base_url, options=options, **settings)
        http_client = http_client or self.options.async_http_client
        self._owns_http = http_client is None
        self._http = http_client if http_client is not None else self._own_http(httpx.AsyncClient)
        # An httpx pool belongs to the event loop that opened its connections: one pool per
        # running loop (the first one adopts ``_http``), kept while that loop lives.
        self._pools: LoopBoundClient[httpx.AsyncClient] = LoopBoundClient(
            lambda: self._own_http(httpx.AsyncClient), rebuild=True, first=self._http
        )

    def _http_for_loop(self) -> httpx.AsyncClient:
        """The httpx pool of the running loop (a caller's own ``http_client`` is always used
        as given: its pool is the caller's to manage)."""
        return self._pools.get() if self._owns_http else self._http

    async def _send(
        self,
        method: str,
        path: str,
        *,
        stream: bool = False,
        model: str | None = None,
        parse: Callable[[httpx.Response], _T] | None = None,
        lease: LeaseLike | None = None,
        deadline: float | None = None,
        once: bool = False,
        **kwargs: Any,
    ) -> Any:
        """``SyncAPIClient._send``, awaited."""
        attempts = self._attempts(
            method,
            path,
            kwargs,
            stream=stream,
            model=model,
            deadline=deadline,
            lease=lease,
            once=once,
        )
        http = self._http_for_loop()
        while True:
            try:
                response = await http.send(
                    attempts.request(http), stream=stream or deadline is not None
                )
                if deadline is not None and not stream and response.status_code < 300:
                    response = await _abuffered(response, attempts)
            except (httpx.TransportError, httpx.DecodingError) as exc:
                error: KimiError = attempts.transport_error(exc)
                cause: BaseException | None = exc
            except RuntimeError as exc:  # a caller's pool used from a closed event loop
                if "loop" not in str(exc).lower():
                    raise
                raise attempts.transport_error(exc) from exc
            else:
                if response.status_code < 300:
                    value, failure = _settled(response, stream, parse, attempts)
                    if failure is None:
                        return value
                    error, cause = failure
                else:
                    # No local holds the raw body: it may echo the key (the error does not).
                    error = attempts.status_error(response, await _aerror_body(response))
                    cause = None
            delay = attempts.retry_delay(error)
            if delay is None:
                raise error from cause
            await _abackoff(delay)
            retry = getattr(lease, "aretry", None)
            if retry is not None:
                await retry()

    async def _lease(
        self, payload: Mapping[str, Any] | None, deadline: float | None = None
    ) -> LeaseLike | None:
        """``SyncAPIClient._lease``, awaited (cancelling it takes no lease)."""
        limiter = self.rate_limiter
        if limiter is None:
            return None
        tokens = estimate_request_tokens(payload) if payload is not None else 0
        try:
            return await aacquire_within(limiter, tokens, self._left(deadline))
        except TimeoutError:
            raise self._limiter_timeout() from None

    async def _request(
        self,
        method: str,
        path: str,
        *,
        once: bool = False,
        find: Callable[[], Awaitable[_T | None]] | None = None,
        **kwargs: Any,
    ) -> Any:
        """``SyncAPIClient._request``, awaited (``find`` is a coroutine function)."""
        if method in _UNLEASED:
            return await self._send(method, path, **kwargs)
        attempt = 0
        while True:
            lease = await self._lease(None)
            try:
                return await self._send(
                    method, path, lease=lease, once=once or find is not None, **kwargs
                )
            except APIError as exc:
                if find is None or not maybe_acted_on(exc):
                    raise
                error = exc
            finally:
                release_lease(lease)
            again = attempt < self.retry_policy.max_retries
            if again:
                await _abackoff(self.retry_policy.delay(error, attempt))
            found = await _alook_up(find)
            if found is not None and found is not _LOOKUP_FAILED:
                return found
            if found is _LOOKUP_FAILED or not again:
                raise error
            attempt += 1

    async def aclose(self) -> None:
        """Close the running loop's pool (a caller's ``http_client`` stays open)."""
        if self._owns_http:
            await self._pools.aclose()
