"""``KimiClient`` and ``AsyncKimiClient``: one pooled httpx client each, retries, rate limits.

``_ClientBase`` holds the configuration and everything that is not I/O: building each request
and its body, parsing answers; ``kimi_core.attempts`` decides about each retry and the call's
deadline. The two clients differ only in how they send, read and sleep.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from typing import Any, NamedTuple, TypeVar

import httpx
from pydantic import SecretStr, ValidationError

from ._fastpath import fix_connection_pool
from ._version import __version__
from .attempts import Attempts, buffered
from .batches import AsyncBatches, Batches
from .errors import (
    APIError,
    APIStatusError,
    ConfigurationError,
    InvalidParameterError,
    KimiError,
    MalformedResponseError,
    error_from_body,
    request_id,
)
from .files import AsyncFiles, Files
from .formulas import AsyncFormulas, Formulas
from .gateways import redact_url
from .loop import LoopBoundClient
from .models import AsyncModels, Models
from .options import KimiOptions
from .ratelimit import LeaseLike, Limiter, estimate_request_tokens, rate_limit_headers
from .request import prepare_chat_payload
from .retry import RetryPolicy
from .stream import AsyncChatStream, ChatStream
from .token_count import TokenCount, TokenCounter
from .types import Balance, ChatCompletion, ChatRequest, ModelCard

__all__ = ["DEFAULT_TIMEOUT", "AsyncKimiClient", "KimiClient", "PreparedChat"]

# Thinking answers can take minutes; connecting should not.
DEFAULT_TIMEOUT = httpx.Timeout(600.0, connect=10.0)
# Sized so a few hundred concurrent calls never queue for a connection; the pool itself is
# swapped for one that survives bursts on warm connections (kimi_core._fastpath).
DEFAULT_LIMITS = httpx.Limits(max_connections=1000, max_keepalive_connections=200)


class PreparedChat(NamedTuple):
    """A chat request checked and encoded for one model (``prepare``): sending it does not
    check or encode it again."""

    payload: dict[str, Any]
    body: bytes
    stream: bool


ChatInput = ChatRequest | Mapping[str, Any] | PreparedChat
_HTTP = TypeVar("_HTTP", httpx.Client, httpx.AsyncClient)
_T = TypeVar("_T")


def _encode(payload: Mapping[str, Any]) -> bytes:
    """The JSON body; a value JSON cannot carry (NaN, a set, a datetime, a lone surrogate) is
    an ``InvalidParameterError`` naming the field, before anything is sent."""
    try:
        return json.dumps(
            payload, ensure_ascii=False, separators=(",", ":"), allow_nan=False
        ).encode()
    except (TypeError, ValueError) as exc:  # UnicodeEncodeError is a ValueError
        raise _unencodable(payload, exc) from None


def _unencodable(payload: Mapping[str, Any], exc: Exception) -> InvalidParameterError:
    for key, value in payload.items():
        try:
            json.dumps(value, ensure_ascii=False, allow_nan=False).encode()
        except (TypeError, ValueError) as field_exc:
            reason = (
                "a lone surrogate character (text that is not valid Unicode)"
                if isinstance(field_exc, UnicodeError)
                else str(field_exc)
            )
            return InvalidParameterError(f"{key} cannot be sent as JSON: {reason}", param=str(key))
    return InvalidParameterError(f"the request cannot be sent as JSON: {exc}")


def _decode_json(response: httpx.Response) -> Any:
    content = response.content
    if not content.strip():
        raise MalformedResponseError(
            f"empty {response.status_code} answer from {response.request.url.path}",
            request_id=request_id(response.headers),
        )
    try:
        return json.loads(content)
    except ValueError:
        raise MalformedResponseError(
            f"answer from {response.request.url.path} is not JSON "
            f"({response.headers.get('content-type', 'no content type')})",
            body=content[:500].decode("utf-8", "replace"),
            request_id=request_id(response.headers),
        ) from None


def parse_completion(response: httpx.Response) -> ChatCompletion:
    """A 2xx chat answer to a validated ``ChatCompletion``, or a typed error."""
    data = _decode_json(response)
    if isinstance(data, dict) and "choices" not in data and "error" in data:
        # Some gateways answer 200 with an error body (AceData's {"success": false, ...}).
        raise error_from_body(response.headers, response.content)
    if not isinstance(data, dict):
        raise MalformedResponseError("chat answer is not a JSON object", body=str(data)[:500])
    try:
        completion = ChatCompletion.from_wire(data, rate_limit_headers(response.headers))
    except ValidationError as exc:
        raise MalformedResponseError(
            f"chat answer does not match the wire format: {exc.errors()[0]['msg']}",
            body=response.text[:500],
            request_id=request_id(response.headers),
        ) from None
    return completion


_READ = httpx.ByteStream(b"")


def _without_stream_cycle(response: httpx.Response) -> httpx.Response:
    """Drop the read body stream: httpx's stream wrapper and the response point at each other,
    a cycle only the garbage collector frees (~46 objects a call). The content stays cached."""
    response.stream = _READ
    return response


def _backoff(seconds: float) -> None:
    """The wait between two tries (one seam: tests record the waits instead of sleeping)."""
    time.sleep(seconds)


async def _abackoff(seconds: float) -> None:
    await asyncio.sleep(seconds)


def _checked(pieces: Iterator[bytes], attempts: Attempts) -> Iterator[bytes]:
    for piece in pieces:
        attempts.check_deadline()
        yield piece


async def _achecked(pieces: AsyncIterator[bytes], attempts: Attempts) -> AsyncIterator[bytes]:
    async for piece in pieces:
        attempts.check_deadline()
        yield piece


def _usage_tokens(completion: ChatCompletion) -> int | None:
    usage = completion.usage_any
    return usage.total_tokens if usage is not None else None


class _ClientBase:
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
        self.dialect = options.gateway.dialect if options.gateway is not None else "moonshot"
        self.model_optional = options.model_optional
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
        self._headers = {
            "Authorization": f"Bearer {self.api_key.get_secret_value()}",
            "Accept": "application/json",
            "User-Agent": f"kimi-integrations/{__version__}",
            **options.default_headers,
        }
        self.rate_limiter: Limiter | None = options.rate_limiter
        self._token_counter = TokenCounter()

    @property
    def headers(self) -> dict[str, str]:
        """The headers sent with every request, the key masked (``Bearer ***``)."""
        return {**self._headers, "Authorization": "Bearer ***"}

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(base_url={redact_url(self.base_url)!r}, "
            f"max_retries={self.retry_policy.max_retries}, api_key=SecretStr('**********'))"
        )

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
        )

    def _deadline(self) -> float | None:
        """When a call starting now must be over (``total_timeout``), or None."""
        total = self.options.total_timeout
        return None if total is None else time.monotonic() + total

    def _observe(self, rate_limit: dict[str, int | str] | None) -> None:
        """Let the limiter correct its pace with the answer's ``X-RateLimit-*`` values."""
        if rate_limit is not None and self.rate_limiter is not None:
            observe = getattr(self.rate_limiter, "observe", None)
            if observe is not None:
                observe(rate_limit)

    def prepare(self, request: ChatInput, *, stream: bool = False) -> PreparedChat:
        """The chat request as it would be sent, checked and normalised for the model
        (``kimi_core.request.prepare_chat_payload``) and encoded; raises what sending would
        raise, before anything is sent. ``chat`` / ``chat_stream`` take the result as is,
        so a caller can check now and send later."""
        return PreparedChat(*self._chat_body(request, stream), stream)

    @property
    def max_retries(self) -> int:
        return self.retry_policy.max_retries

    def _chat_body(self, request: ChatInput, stream: bool) -> tuple[dict[str, Any], bytes]:
        if isinstance(request, PreparedChat):
            if request.stream is not stream:
                raise InvalidParameterError(
                    f"this request was prepared with stream={request.stream}: prepare it "
                    f"again to send it with stream={stream}",
                    param="stream",
                )
            return request.payload, request.body
        payload = request.to_payload() if isinstance(request, ChatRequest) else dict(request)
        if stream:
            payload["stream"] = True
        else:
            payload.pop("stream", None)
        prepare_chat_payload(payload, model_optional=self.model_optional, dialect=self.dialect)
        return payload, _encode(payload)

    def _own_http(self, factory: Callable[..., _HTTP]) -> _HTTP:
        """The httpx client built when the caller passes none: this client's timeout and
        headers, ``DEFAULT_LIMITS``, and the burst-safe pool (``kimi_core/pool.py``)."""
        http = factory(timeout=self.timeout, limits=DEFAULT_LIMITS, headers=self._headers)
        fix_connection_pool(http)
        return http

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
            url = self._urls[path] = httpx.URL(self.base_url + path)
        # A user-supplied http client does not carry our headers: send them per request.
        request = http.build_request(
            method,
            url,
            timeout=self.timeout,
            headers=None if self._owns_http else self._headers,
            **kwargs,
        )
        if "content" in kwargs:
            # JSON bodies are pre-encoded; multipart uploads keep httpx's boundary header.
            request.headers["Content-Type"] = "application/json"
        if stream:
            request.headers["Accept"] = "text/event-stream"
        return request


class KimiClient(_ClientBase):
    """Synchronous Kimi client. Reuse one instance: it holds a connection pool.

    >>> client = KimiClient()  # key from MOONSHOT_API_KEY
    >>> client.chat({"model": "kimi-k2.5", "messages": [{"role": "user", "content": "Hi"}]})
    """

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
        self.files = Files(self._send)
        self.models = Models(self._send)
        self.formulas = Formulas(self._send)
        self.batches = Batches(self)

    # -- I/O ------------------------------------------------------------------------------
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
        **kwargs: Any,
    ) -> Any:
        """Send with retries (``kimi_core.attempts``); returns a 2xx response (its body unread
        when ``stream``), or what ``parse`` reads from it."""
        attempts = self._attempts(
            method, path, kwargs, stream=stream, model=model, deadline=deadline, lease=lease
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
                error: APIError = attempts.transport_error(exc)
                cause: BaseException | None = exc
            else:
                if response.status_code < 300:
                    if stream:
                        return response
                    response = _without_stream_cycle(response)
                    if parse is None:
                        return response
                    try:
                        return parse(response)
                    except APIStatusError as exc:  # a gateway's 200 carrying an error
                        error, cause = attempts.explained(exc), None
                else:
                    try:
                        body = response.read()
                    finally:
                        response.close()
                    error, cause = attempts.status_error(response, body), None
            delay = attempts.retry_delay(error)
            if delay is None:
                raise error from cause
            _backoff(delay)
            retry = getattr(lease, "retry", None)
            if retry is not None:
                retry()  # a retry counts against the account's RPM too

    def _lease(self, payload: Mapping[str, Any]) -> LeaseLike | None:
        limiter = self.rate_limiter
        return limiter.acquire(estimate_request_tokens(payload)) if limiter else None

    # -- API ------------------------------------------------------------------------------
    def chat(self, request: ChatInput) -> ChatCompletion:
        """POST /chat/completions and return the validated answer."""
        payload, body = self._chat_body(request, stream=False)
        deadline = self._deadline()
        lease = self._lease(payload)
        tokens = None
        try:
            completion: ChatCompletion = self._send(
                "POST",
                "/chat/completions",
                content=body,
                model=payload.get("model"),
                parse=parse_completion,
                lease=lease,
                deadline=deadline,
            )
            tokens = _usage_tokens(completion)
            self._observe(completion.rate_limit)
            return completion
        finally:
            if lease is not None:
                lease.release(tokens)

    def chat_stream(self, request: ChatInput) -> ChatStream:
        """POST /chat/completions with ``stream: true``; iterate the result for chunk dicts.
        Close it (or use it as a context manager, or exhaust it); one dropped unclosed still
        gives back its rate-limit slot and connection when it is garbage-collected."""
        payload, body = self._chat_body(request, stream=True)
        deadline = self._deadline()
        lease = self._lease(payload)
        try:
            response = self._send(
                "POST",
                "/chat/completions",
                stream=True,
                content=body,
                model=payload.get("model"),
                lease=lease,
                deadline=deadline,
            )
        except BaseException:
            if lease is not None:
                lease.release()
            raise
        stream = ChatStream(response, lease=lease, deadline=deadline, observe=self._observe)
        return stream

    def estimate_tokens(self, model: str, messages: list[Mapping[str, Any]]) -> int:
        """POST /tokenizers/estimate-token-count: Kimi's own count for these messages (one
        request; ``count_tokens`` is the cached, offline-capable way)."""
        body = _encode({"model": model, "messages": messages})
        return _token_count(self._send("POST", "/tokenizers/estimate-token-count", content=body))

    def count_tokens(
        self,
        model: str,
        messages: Sequence[Mapping[str, Any]],
        *,
        exact: bool = False,
        offline: bool = False,
    ) -> TokenCount:
        """Tokens of ``messages``: one request per message not counted before (``exact``:
        one for the whole list), the offline estimate when the endpoint cannot be reached or
        ``offline`` is set (``kimi_core.token_count``)."""
        counter = self._token_counter
        if offline or counter.offline():
            return counter.estimate(messages)
        try:
            if exact:
                return TokenCount(self.estimate_tokens(model, list(messages)))
            fresh: dict[str, int] = {}
            for key, message in counter.missing(model, messages):
                fresh[key] = self.estimate_tokens(model, [message])
                counter.store(key, fresh[key])
            return counter.total(model, messages, fresh)
        except KimiError as exc:
            if not counter.unreachable(exc):
                raise
            return counter.went_offline(messages, exc)

    def list_models(self) -> list[ModelCard]:
        """GET /models (the same as ``client.models.list()``)."""
        return self.models.list()

    def balance(self) -> Balance:
        """GET /users/me/balance."""
        return _balance(self._send("GET", "/users/me/balance"))

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def __getstate__(self) -> None:
        raise TypeError(
            "a KimiClient holds a connection pool and the API key: it is not picklable "
            "(pickle the ChatKimi / Kimi model instead, or rebuild the client)"
        )

    def __enter__(self) -> KimiClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncKimiClient(_ClientBase):
    """Asynchronous Kimi client; the async twin of ``KimiClient`` (same arguments)."""

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
        self.files = AsyncFiles(self._send)
        self.models = AsyncModels(self._send)
        self.formulas = AsyncFormulas(self._send)
        self.batches = AsyncBatches(self)

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
        **kwargs: Any,
    ) -> Any:
        """``KimiClient._send``, awaited."""
        attempts = self._attempts(
            method, path, kwargs, stream=stream, model=model, deadline=deadline, lease=lease
        )
        http = self._http_for_loop()
        while True:
            try:
                response = await http.send(
                    attempts.request(http), stream=stream or deadline is not None
                )
                if deadline is not None and not stream and response.status_code < 300:
                    try:
                        raw = [piece async for piece in _achecked(response.aiter_raw(), attempts)]
                        response = buffered(response, raw)
                    finally:
                        await response.aclose()
            except (httpx.TransportError, httpx.DecodingError) as exc:
                error: APIError = attempts.transport_error(exc)
                cause: BaseException | None = exc
            except RuntimeError as exc:  # a caller's pool used from a closed event loop
                if "loop" not in str(exc).lower():
                    raise
                raise attempts.transport_error(exc) from exc
            else:
                if response.status_code < 300:
                    if stream:
                        return response
                    response = _without_stream_cycle(response)
                    if parse is None:
                        return response
                    try:
                        return parse(response)
                    except APIStatusError as exc:
                        error, cause = attempts.explained(exc), None
                else:
                    try:
                        body = await response.aread()
                    finally:
                        await response.aclose()
                    error, cause = attempts.status_error(response, body), None
            delay = attempts.retry_delay(error)
            if delay is None:
                raise error from cause
            await _abackoff(delay)
            retry = getattr(lease, "aretry", None)
            if retry is not None:
                await retry()

    async def _lease(self, payload: Mapping[str, Any]) -> LeaseLike | None:
        limiter = self.rate_limiter
        return await limiter.aacquire(estimate_request_tokens(payload)) if limiter else None

    async def chat(self, request: ChatInput) -> ChatCompletion:
        payload, body = self._chat_body(request, stream=False)
        deadline = self._deadline()
        lease = await self._lease(payload)
        tokens = None
        try:
            completion: ChatCompletion = await self._send(
                "POST",
                "/chat/completions",
                content=body,
                model=payload.get("model"),
                parse=parse_completion,
                lease=lease,
                deadline=deadline,
            )
            tokens = _usage_tokens(completion)
            self._observe(completion.rate_limit)
            return completion
        finally:
            if lease is not None:
                lease.release(tokens)

    async def chat_stream(self, request: ChatInput) -> AsyncChatStream:
        payload, body = self._chat_body(request, stream=True)
        deadline = self._deadline()
        lease = await self._lease(payload)
        try:
            response = await self._send(
                "POST",
                "/chat/completions",
                stream=True,
                content=body,
                model=payload.get("model"),
                lease=lease,
                deadline=deadline,
            )
        except BaseException:
            if lease is not None:
                lease.release()
            raise
        return AsyncChatStream(response, lease=lease, deadline=deadline, observe=self._observe)

    async def estimate_tokens(self, model: str, messages: list[Mapping[str, Any]]) -> int:
        body = _encode({"model": model, "messages": messages})
        response = await self._send("POST", "/tokenizers/estimate-token-count", content=body)
        return _token_count(response)

    async def count_tokens(
        self,
        model: str,
        messages: Sequence[Mapping[str, Any]],
        *,
        exact: bool = False,
        offline: bool = False,
    ) -> TokenCount:
        """``KimiClient.count_tokens``, awaited."""
        counter = self._token_counter
        if offline or counter.offline():
            return counter.estimate(messages)
        try:
            if exact:
                return TokenCount(await self.estimate_tokens(model, list(messages)))
            fresh: dict[str, int] = {}
            for key, message in counter.missing(model, messages):
                fresh[key] = await self.estimate_tokens(model, [message])
                counter.store(key, fresh[key])
            return counter.total(model, messages, fresh)
        except KimiError as exc:
            if not counter.unreachable(exc):
                raise
            return counter.went_offline(messages, exc)

    async def list_models(self) -> list[ModelCard]:
        """GET /models (the same as ``await client.models.list()``)."""
        return await self.models.list()

    async def balance(self) -> Balance:
        return _balance(await self._send("GET", "/users/me/balance"))

    async def aclose(self) -> None:
        """Close the running loop's pool (a caller's ``http_client`` stays open)."""
        if self._owns_http:
            await self._pools.aclose()

    def __getstate__(self) -> None:
        raise TypeError(
            "an AsyncKimiClient holds a connection pool and the API key: it is not picklable "
            "(pickle the ChatKimi / Kimi model instead, or rebuild the client)"
        )

    async def __aenter__(self) -> AsyncKimiClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


def _token_count(response: httpx.Response) -> int:
    body = _decode_json(response)
    data = body.get("data") if isinstance(body, dict) else None
    total = data.get("total_tokens") if isinstance(data, dict) else None
    if not isinstance(total, int):
        raise MalformedResponseError("token-count answer has no data.total_tokens", body=str(body))
    return total


def _balance(response: httpx.Response) -> Balance:
    body = _decode_json(response)
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, dict):
        raise MalformedResponseError("balance answer has no data object", body=str(body)[:500])
    return Balance.model_validate(data)
