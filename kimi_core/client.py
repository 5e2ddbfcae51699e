"""``KimiClient`` and ``AsyncKimiClient``: one pooled httpx client each, retries, rate limits.

``_ClientBase`` holds the configuration and everything that is not I/O: building each request,
deciding about retries, parsing answers. The two clients differ only in how they send.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import httpx
from pydantic import SecretStr, ValidationError

from ._fastpath import fix_connection_pool
from ._version import __version__
from .catalog import retirement_hint
from .errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    ConfigurationError,
    MalformedResponseError,
    NotFoundError,
    error_from_body,
    error_from_response,
    request_id,
)
from .files import AsyncFiles, Files
from .models import AsyncModels, Models
from .options import KimiOptions
from .ratelimit import LeaseLike, Limiter, estimate_request_tokens, rate_limit_headers
from .request import prepare_chat_payload
from .retry import RetryPolicy
from .stream import AsyncChatStream, ChatStream
from .types import Balance, ChatCompletion, ChatRequest, ModelCard

__all__ = ["DEFAULT_TIMEOUT", "AsyncKimiClient", "KimiClient"]

# Thinking answers can take minutes; connecting should not.
DEFAULT_TIMEOUT = httpx.Timeout(600.0, connect=10.0)
# Sized so a few hundred concurrent calls never queue for a connection; the pool itself is
# swapped for one that survives bursts on warm connections (kimi_core._fastpath).
DEFAULT_LIMITS = httpx.Limits(max_connections=1000, max_keepalive_connections=200)

ChatInput = ChatRequest | Mapping[str, Any]
_HTTP = TypeVar("_HTTP", httpx.Client, httpx.AsyncClient)


def _encode(payload: Mapping[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


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


def _usage_tokens(completion: ChatCompletion) -> int | None:
    usage = completion.usage_any
    return usage.total_tokens if usage is not None else None


class _ClientBase:
    """Configuration plus the I/O-free half of a client."""

    _owns_http: bool

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
        self.retry_policy = RetryPolicy(max_retries=options.max_retries)
        self._urls: dict[str, httpx.URL] = {}
        self.headers = {
            "Authorization": f"Bearer {self.api_key.get_secret_value()}",
            "Accept": "application/json",
            "User-Agent": f"kimi-integrations/{__version__}",
            **options.default_headers,
        }
        self.rate_limiter: Limiter | None = options.rate_limiter

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(base_url={self.base_url!r}, "
            f"max_retries={self.retry_policy.max_retries}, api_key=SecretStr('**********'))"
        )

    @property
    def max_retries(self) -> int:
        return self.retry_policy.max_retries

    def _chat_body(self, request: ChatInput, stream: bool) -> tuple[dict[str, Any], bytes]:
        payload = request.to_payload() if isinstance(request, ChatRequest) else dict(request)
        if stream:
            payload["stream"] = True
        else:
            payload.pop("stream", None)
        prepare_chat_payload(payload, model_optional=self.model_optional, dialect=self.dialect)
        return payload, _encode(payload)

    def _transport_error(self, exc: httpx.TransportError, attempt: int) -> APIError:
        if isinstance(exc, httpx.TimeoutException):
            return APITimeoutError(
                f"request to {self.base_url} timed out ({type(exc).__name__})", attempts=attempt
            )
        return APIConnectionError(
            f"could not talk to {self.base_url}: {type(exc).__name__}: {exc}", attempts=attempt
        )

    @staticmethod
    def _status_error(
        response: httpx.Response, body: bytes, attempt: int, model: str | None
    ) -> APIError:
        """The typed error of a non-2xx answer; a 404 for a model the catalog knows to be
        retired says what replaces it."""
        error = error_from_response(
            response.status_code, response.headers, body, attempts=attempt + 1
        )
        if model is not None and isinstance(error, NotFoundError):
            hint = retirement_hint(model)
            if hint is not None:
                explained = NotFoundError(
                    f"{error.message} ({hint})",
                    status=error.status,
                    type=error.type,
                    code=error.code,
                    trace_id=error.trace_id,
                    body=error.body,
                    headers=error.headers,
                    attempts=error.attempts,
                )
                return explained
        return error

    def _retry_delay(self, error: APIError, attempt: int) -> float | None:
        """Seconds to wait before trying again, or None to give up (attempt counts from 0)."""
        if self.retry_policy.should_retry(error, attempt):
            return self.retry_policy.delay(error, attempt)
        return None

    def _own_http(self, factory: Callable[..., _HTTP]) -> _HTTP:
        """The httpx client built when the caller passes none: this client's timeout and
        headers, ``DEFAULT_LIMITS``, and the burst-safe pool (``kimi_core/pool.py``)."""
        http = factory(timeout=self.timeout, limits=DEFAULT_LIMITS, headers=self.headers)
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
            headers=None if self._owns_http else self.headers,
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

    # -- I/O ------------------------------------------------------------------------------
    def _send(
        self,
        method: str,
        path: str,
        *,
        stream: bool = False,
        model: str | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        """Send with retries; returns a 2xx response (its body unread when ``stream``)."""
        attempt = 0
        while True:
            try:
                request = self._build_request(self._http, method, path, kwargs, stream)
                response = self._http.send(request, stream=stream)
            except httpx.TransportError as exc:
                error: APIError = self._transport_error(exc, attempt + 1)
                cause: BaseException | None = exc
            else:
                if response.status_code < 300:
                    return response if stream else _without_stream_cycle(response)
                body = response.read()
                response.close()
                error = self._status_error(response, body, attempt, model)
                cause = None
            delay = self._retry_delay(error, attempt)
            if delay is None:
                raise error from cause
            time.sleep(delay)
            attempt += 1

    def _lease(self, payload: Mapping[str, Any]) -> LeaseLike | None:
        limiter = self.rate_limiter
        return limiter.acquire(estimate_request_tokens(payload)) if limiter else None

    # -- API ------------------------------------------------------------------------------
    def chat(self, request: ChatInput) -> ChatCompletion:
        """POST /chat/completions and return the validated answer."""
        payload, body = self._chat_body(request, stream=False)
        lease = self._lease(payload)
        tokens = None
        try:
            response = self._send(
                "POST", "/chat/completions", content=body, model=payload.get("model")
            )
            completion = parse_completion(response)
            tokens = _usage_tokens(completion)
            return completion
        finally:
            if lease is not None:
                lease.release(tokens)

    def chat_stream(self, request: ChatInput) -> ChatStream:
        """POST /chat/completions with ``stream: true``; iterate the result for chunk dicts."""
        payload, body = self._chat_body(request, stream=True)
        lease = self._lease(payload)
        try:
            response = self._send(
                "POST", "/chat/completions", stream=True, content=body, model=payload.get("model")
            )
        except BaseException:
            if lease is not None:
                lease.release()
            raise
        stream = ChatStream(response)
        if lease is not None:
            stream._on_close = lambda: lease.release(_stream_tokens(stream))
        return stream

    def estimate_tokens(self, model: str, messages: list[Mapping[str, Any]]) -> int:
        """POST /tokenizers/estimate-token-count: Kimi's own count for these messages."""
        body = _encode({"model": model, "messages": messages})
        return _token_count(self._send("POST", "/tokenizers/estimate-token-count", content=body))

    def list_models(self) -> list[ModelCard]:
        """GET /models (the same as ``client.models.list()``)."""
        return self.models.list()

    def balance(self) -> Balance:
        """GET /users/me/balance."""
        return _balance(self._send("GET", "/users/me/balance"))

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> KimiClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncKimiClient(_ClientBase):
    """Asynchronous Kimi client; the async twin of ``KimiClient`` (same arguments)."""

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
        self.files = AsyncFiles(self._send)
        self.models = AsyncModels(self._send)

    async def _send(
        self,
        method: str,
        path: str,
        *,
        stream: bool = False,
        model: str | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        attempt = 0
        while True:
            try:
                request = self._build_request(self._http, method, path, kwargs, stream)
                response = await self._http.send(request, stream=stream)
            except httpx.TransportError as exc:
                error: APIError = self._transport_error(exc, attempt + 1)
                cause: BaseException | None = exc
            else:
                if response.status_code < 300:
                    return response if stream else _without_stream_cycle(response)
                body = await response.aread()
                await response.aclose()
                error = self._status_error(response, body, attempt, model)
                cause = None
            delay = self._retry_delay(error, attempt)
            if delay is None:
                raise error from cause
            await asyncio.sleep(delay)
            attempt += 1

    async def _lease(self, payload: Mapping[str, Any]) -> LeaseLike | None:
        limiter = self.rate_limiter
        return await limiter.aacquire(estimate_request_tokens(payload)) if limiter else None

    async def chat(self, request: ChatInput) -> ChatCompletion:
        payload, body = self._chat_body(request, stream=False)
        lease = await self._lease(payload)
        tokens = None
        try:
            response = await self._send(
                "POST", "/chat/completions", content=body, model=payload.get("model")
            )
            completion = parse_completion(response)
            tokens = _usage_tokens(completion)
            return completion
        finally:
            if lease is not None:
                lease.release(tokens)

    async def chat_stream(self, request: ChatInput) -> AsyncChatStream:
        payload, body = self._chat_body(request, stream=True)
        lease = await self._lease(payload)
        try:
            response = await self._send(
                "POST", "/chat/completions", stream=True, content=body, model=payload.get("model")
            )
        except BaseException:
            if lease is not None:
                lease.release()
            raise
        stream = AsyncChatStream(response)
        if lease is not None:
            stream._on_close = lambda: lease.release(_stream_tokens(stream))
        return stream

    async def estimate_tokens(self, model: str, messages: list[Mapping[str, Any]]) -> int:
        body = _encode({"model": model, "messages": messages})
        response = await self._send("POST", "/tokenizers/estimate-token-count", content=body)
        return _token_count(response)

    async def list_models(self) -> list[ModelCard]:
        """GET /models (the same as ``await client.models.list()``)."""
        return await self.models.list()

    async def balance(self) -> Balance:
        return _balance(await self._send("GET", "/users/me/balance"))

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> AsyncKimiClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


def _stream_tokens(stream: ChatStream | AsyncChatStream) -> int | None:
    usage = stream.state.usage_dict
    total = usage.get("total_tokens") if usage else None
    return total if isinstance(total, int) else None


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
