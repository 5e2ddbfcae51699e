"""``KimiClient`` and ``AsyncKimiClient``: one pooled httpx client each, retries, rate limits.

The public API of the core: chat (whole answers and streams), the resources
(``client.files``, ``client.models``, ``client.formulas``, ``client.batches``), token
counting and the balance. How a request is built, sent and retried is the transport's
(``kimi_core.transport.base``); what a chat request may contain is the chat layer's
(``kimi_core.chat.request``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import httpx
from pydantic import SecretStr

from .batch.api import AsyncJobBatches, JobBatches
from .chat.request import ChatInput, PreparedChat, runs_long, streamed_twin
from .errors import KimiError, MalformedResponseError
from .limits.limiter import release_lease
from .options import KimiOptions
from .resources.documents import aresolve_documents, has_documents, resolve_documents
from .resources.files import AsyncFiles, Files
from .resources.formulas import AsyncFormulas, Formulas
from .resources.models import AsyncModels, Models
from .resources.tokenizers import (
    ESTIMATE_PATH,
    TokenCount,
    TokenCounter,
    estimate_body,
    parse_token_count,
)
from .resources.web_tools import AsyncTools, Tools
from .transport.base import DEFAULT_LIMITS, DEFAULT_TIMEOUT, AsyncAPIClient, SyncAPIClient
from .transport.responses import decode_json, parse_completion
from .transport.stream import AsyncChatStream, ChatStream
from .types import Balance, ChatCompletion, ChatRequest, ModelCard

__all__ = [
    "DEFAULT_LIMITS",
    "DEFAULT_TIMEOUT",
    "AsyncKimiClient",
    "ChatInput",
    "KimiClient",
    "PreparedChat",
]

_CHAT = "/chat/completions"


def _usage_tokens(completion: ChatCompletion) -> int | None:
    usage = completion.usage_any
    return usage.total_tokens if usage is not None else None


def _balance(response: httpx.Response) -> Balance:
    body = decode_json(response)
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, dict):
        raise MalformedResponseError("balance answer has no data object", body=str(data)[:500])
    return Balance.model_validate(data)


def _messages_of(request: ChatInput) -> Any:
    if isinstance(request, PreparedChat):
        return None
    if isinstance(request, ChatRequest):
        return request.messages
    return request.get("messages")


def _with_messages(request: ChatInput, messages: list[Any]) -> ChatInput:
    payload = request.to_payload() if isinstance(request, ChatRequest) else dict(request)  # type: ignore[arg-type]
    payload["messages"] = messages
    return payload


def _user(text: str) -> dict[str, Any]:
    return {"role": "user", "content": text}


def _text_count(whole: TokenCount, empty: TokenCount) -> TokenCount:
    return TokenCount(max(int(whole) - int(empty), 0), estimated=whole.estimated or empty.estimated)


def _currency(host: str) -> str:
    """Moonshot China bills in CNY, its global platform in USD."""
    return "CNY" if host == "moonshot-cn" else "USD"


class KimiClient(SyncAPIClient):
    """Synchronous Kimi client. Reuse one instance: it holds a connection pool.

    >>> client = KimiClient()  # key from MOONSHOT_API_KEY
    >>> client.chat({"model": "kimi-k2.6", "messages": [{"role": "user", "content": "Hi"}]})
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
        super().__init__(api_key, base_url, http_client=http_client, options=options, **settings)
        self._token_counter = TokenCounter()
        self.files = Files(self._request)
        self.models = Models(self._request)
        self.formulas = Formulas(self._request)
        self.tools = Tools(self._request, _currency(self.host.name))
        self.batches = JobBatches(self._request, self)

    def chat(self, request: ChatInput) -> ChatCompletion:
        """POST /chat/completions and return the validated answer. A call that may outlast
        Moonshot's 900 s gateway limit (``chat.request.runs_long``) is streamed and folded
        into the same answer (``stream_long_calls=False`` turns that off)."""
        prepared = self.prepare(self._read_documents(request), stream=False)
        if self.options.stream_long_calls and runs_long(prepared.payload, self.host):
            with self.chat_stream(streamed_twin(prepared)) as stream:
                for _ in stream:
                    pass
            return stream.completion()
        payload, body, _ = prepared
        deadline = self._deadline()
        lease = self._lease(payload, deadline)
        tokens = None
        try:
            completion: ChatCompletion = self._send(
                "POST",
                _CHAT,
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
            release_lease(lease, tokens)

    def chat_stream(self, request: ChatInput) -> ChatStream:
        """POST /chat/completions with ``stream: true``; iterate the result for chunk dicts.
        Close it (or use it as a context manager, or exhaust it); one dropped unclosed still
        gives back its rate-limit slot and connection when it is garbage-collected."""
        payload, body, _ = self.prepare(self._read_documents(request), stream=True)
        deadline = self._deadline()
        lease = self._lease(payload, deadline)
        try:
            response = self._send(
                "POST",
                _CHAT,
                stream=True,
                content=body,
                model=payload.get("model"),
                lease=lease,
                deadline=deadline,
            )
        except BaseException:
            release_lease(lease)
            raise
        return ChatStream(
            response,
            lease=lease,
            deadline=deadline,
            observe=self._observe,
            typed_error_events=self.host.platform,
            secret=self.secret,
        )

    def _read_documents(self, request: ChatInput) -> ChatInput:
        """The request with its ``document`` parts read through the Files API
        (``kimi_core.resources.documents``); most requests have none and pass unchanged."""
        messages = _messages_of(request)
        if messages is None or not has_documents(messages):
            return request
        return _with_messages(request, resolve_documents(list(messages), self.files))

    def read_documents(self, request: ChatInput) -> ChatInput:
        """The request with its ``document`` parts read now (``chat`` / ``chat_stream`` do it
        themselves; a request to ``prepare`` must have been read first)."""
        return self._read_documents(request)

    def estimate_tokens(self, model: str, messages: list[Mapping[str, Any]]) -> int:
        """POST /tokenizers/estimate-token-count: Kimi's own count for these messages (one
        request; ``count_tokens`` is the cached, offline-capable way)."""
        body = estimate_body(model, messages)
        return parse_token_count(self._request("POST", ESTIMATE_PATH, content=body))

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
        ``offline`` is set (``kimi_core.resources.tokenizers``)."""
        counter = self._token_counter
        if offline or counter.offline():
            return counter.estimate(messages)
        try:
            if exact:
                return TokenCount(self.estimate_tokens(model, list(messages)))
            keys, counts, missing = counter.lookup(model, messages)
            for key, message in missing:
                counts[key] = self.estimate_tokens(model, [message])
                counter.store(key, counts[key])
            return counter.total(keys, counts)
        except KimiError as exc:
            if not counter.unreachable(exc):
                raise
            return counter.went_offline(messages, exc)

    def count_text(self, model: str, text: str, *, offline: bool = False) -> TokenCount:
        """Tokens of ``text`` itself, as a tokenizer counts (no message overhead): Kimi's
        count of a user message holding it less an empty one's (both cached), or the offline
        estimate the same way; ``""`` counts 0."""
        if not text:
            return TokenCount(0, estimated=offline)
        whole = self.count_tokens(model, [_user(text)], offline=offline)
        empty = self.count_tokens(model, [_user("")], offline=offline)
        return _text_count(whole, empty)

    def list_models(self) -> list[ModelCard]:
        """GET /models (the same as ``client.models.list()``)."""
        return self.models.list()

    def balance(self) -> Balance:
        """GET /users/me/balance."""
        return _balance(self._send("GET", "/users/me/balance"))

    def __getstate__(self) -> None:
        raise TypeError(
            "a KimiClient holds a connection pool and the API key: it is not picklable "
            "(pickle the ChatKimi / Kimi model instead, or rebuild the client)"
        )

    def __enter__(self) -> KimiClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncKimiClient(AsyncAPIClient):
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
        super().__init__(api_key, base_url, http_client=http_client, options=options, **settings)
        self._token_counter = TokenCounter()
        self.files = AsyncFiles(self._request)
        self.models = AsyncModels(self._request)
        self.formulas = AsyncFormulas(self._request)
        self.tools = AsyncTools(self._request, _currency(self.host.name))
        self.batches = AsyncJobBatches(self._request, self)

    async def chat(self, request: ChatInput) -> ChatCompletion:
        """``KimiClient.chat``, awaited."""
        prepared = self.prepare(await self._read_documents(request), stream=False)
        if self.options.stream_long_calls and runs_long(prepared.payload, self.host):
            stream = await self.chat_stream(streamed_twin(prepared))
            async for _ in stream:
                pass
            return stream.completion()
        payload, body, _ = prepared
        deadline = self._deadline()
        lease = await self._lease(payload, deadline)
        tokens = None
        try:
            completion: ChatCompletion = await self._send(
                "POST",
                _CHAT,
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
            release_lease(lease, tokens)

    async def chat_stream(self, request: ChatInput) -> AsyncChatStream:
        payload, body, _ = self.prepare(await self._read_documents(request), stream=True)
        deadline = self._deadline()
        lease = await self._lease(payload, deadline)
        try:
            response = await self._send(
                "POST",
                _CHAT,
                stream=True,
                content=body,
                model=payload.get("model"),
                lease=lease,
                deadline=deadline,
            )
        except BaseException:
            release_lease(lease)
            raise
        return AsyncChatStream(
            response,
            lease=lease,
            deadline=deadline,
            observe=self._observe,
            typed_error_events=self.host.platform,
            secret=self.secret,
        )

    async def _read_documents(self, request: ChatInput) -> ChatInput:
        messages = _messages_of(request)
        if messages is None or not has_documents(messages):
            return request
        return _with_messages(request, await aresolve_documents(list(messages), self.files))

    async def read_documents(self, request: ChatInput) -> ChatInput:
        """``KimiClient.read_documents``, awaited."""
        return await self._read_documents(request)

    async def estimate_tokens(self, model: str, messages: list[Mapping[str, Any]]) -> int:
        body = estimate_body(model, messages)
        return parse_token_count(await self._request("POST", ESTIMATE_PATH, content=body))

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
            keys, counts, missing = counter.lookup(model, messages)
            for key, message in missing:
                counts[key] = await self.estimate_tokens(model, [message])
                counter.store(key, counts[key])
            return counter.total(keys, counts)
        except KimiError as exc:
            if not counter.unreachable(exc):
                raise
            return counter.went_offline(messages, exc)

    async def count_text(self, model: str, text: str, *, offline: bool = False) -> TokenCount:
        """``KimiClient.count_text``, awaited."""
        if not text:
            return TokenCount(0, estimated=offline)
        whole = await self.count_tokens(model, [_user(text)], offline=offline)
        empty = await self.count_tokens(model, [_user("")], offline=offline)
        return _text_count(whole, empty)

    async def list_models(self) -> list[ModelCard]:
        """GET /models (the same as ``await client.models.list()``)."""
        return await self.models.list()

    async def balance(self) -> Balance:
        return _balance(await self._send("GET", "/users/me/balance"))

    def __getstate__(self) -> None:
        raise TypeError(
            "an AsyncKimiClient holds a connection pool and the API key: it is not picklable "
            "(pickle the ChatKimi / Kimi model instead, or rebuild the client)"
        )

    async def __aenter__(self) -> AsyncKimiClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
