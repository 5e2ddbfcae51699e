"""The least a LangChain or a LlamaIndex adapter can do on ``kimi_core``: reference rows.

Each is a complete framework model class (so the framework's own wrappers, callbacks, events
and per-chunk bookkeeping all run) whose methods do nothing more than turn the core's answer
into the framework's bare types: the text (and, in streams, one chunk per reasoning or content
delta), without usage, cost, metadata, tool calls or error translation. ChatKimi and Kimi are
compared with these in the same run: the difference is what the real adapters add on top of
the framework; the rest of their ratio to raw httpx is the framework's own cost.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    ChatResponseAsyncGen,
    ChatResponseGen,
    CompletionResponse,
    CompletionResponseAsyncGen,
    CompletionResponseGen,
    LLMMetadata,
)
from llama_index.core.llms.callbacks import llm_chat_callback
from llama_index.core.llms.llm import LLM
from pydantic import BaseModel, PrivateAttr

from kimi_core import AsyncKimiClient, KimiClient

__all__ = ["MinimalChatModel", "MinimalLLM"]


def _request(model: str, text: str) -> dict[str, Any]:
    return {"model": model, "messages": [{"role": "user", "content": text}]}


def _deltas(chunk: dict[str, Any]) -> tuple[str | None, str | None]:
    """(content, reasoning) of a stream chunk dict."""
    choices = chunk["choices"]
    if not choices:
        return None, None
    delta = choices[0]["delta"]
    return delta.get("content"), delta.get("reasoning_content")


def _reply(text: str) -> ChatResponse:
    return ChatResponse(message=ChatMessage(role="assistant", content=text))


class _TextSoFar:
    """A LlamaIndex stream's cumulative text: one response per reasoning or content delta."""

    def __init__(self) -> None:
        self.text = ""

    def fold(self, chunk: dict[str, Any]) -> ChatResponse | None:
        content, reasoning = _deltas(chunk)
        if not (content or reasoning):
            return None
        self.text += content or ""
        return ChatResponse(
            message=ChatMessage(role="assistant", content=self.text), delta=content or ""
        )


class _CoreClients(BaseModel):
    """The fields and the two kimi_core clients both minimal adapters are built with."""

    model: str
    api_key: str
    base_url: str
    _client: KimiClient = PrivateAttr()
    _aclient: AsyncKimiClient = PrivateAttr()

    def model_post_init(self, context: Any) -> None:
        self._client = KimiClient(self.api_key, self.base_url, max_retries=0)
        self._aclient = AsyncKimiClient(self.api_key, self.base_url, max_retries=0)


class MinimalChatModel(_CoreClients, BaseChatModel):
    """A LangChain chat model that only wraps ``KimiClient`` answers in LangChain's types."""

    @property
    def _llm_type(self) -> str:
        return "minimal-kimi"

    def _payload(self, messages: list[BaseMessage]) -> dict[str, Any]:
        return _request(self.model, str(messages[-1].content))

    @staticmethod
    def _result(text: str) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])

    @staticmethod
    def _chunk(content: str | None, reasoning: str | None) -> ChatGenerationChunk | None:
        if content:
            return ChatGenerationChunk(message=AIMessageChunk(content=content))
        if reasoning:
            kwargs = {"reasoning_content": reasoning}
            return ChatGenerationChunk(message=AIMessageChunk(content="", additional_kwargs=kwargs))
        return None

    def _generate(
        self, messages: list[BaseMessage], stop: list[str] | None = None, **kwargs: Any
    ) -> ChatResult:
        return self._result(self._client.chat(self._payload(messages)).choices[0].message.text)

    async def _agenerate(
        self, messages: list[BaseMessage], stop: list[str] | None = None, **kwargs: Any
    ) -> ChatResult:
        completion = await self._aclient.chat(self._payload(messages))
        return self._result(completion.choices[0].message.text)

    def _stream(
        self, messages: list[BaseMessage], stop: list[str] | None = None, **kwargs: Any
    ) -> Iterator[ChatGenerationChunk]:
        with self._client.chat_stream(self._payload(messages)) as stream:
            for chunk in stream:
                generation = self._chunk(*_deltas(chunk))
                if generation is not None:
                    yield generation

    async def _astream(
        self, messages: list[BaseMessage], stop: list[str] | None = None, **kwargs: Any
    ) -> AsyncIterator[ChatGenerationChunk]:
        async with await self._aclient.chat_stream(self._payload(messages)) as stream:
            async for chunk in stream:
                generation = self._chunk(*_deltas(chunk))
                if generation is not None:
                    yield generation


class MinimalLLM(_CoreClients, LLM):
    """A LlamaIndex LLM that only wraps ``KimiClient`` answers in LlamaIndex's types."""

    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata(model_name=self.model, is_chat_model=True)

    def _payload(self, messages: Sequence[ChatMessage]) -> dict[str, Any]:
        return _request(self.model, str(messages[-1].content))

    @llm_chat_callback()
    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        return _reply(self._client.chat(self._payload(messages)).choices[0].message.text)

    @llm_chat_callback()
    async def achat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        completion = await self._aclient.chat(self._payload(messages))
        return _reply(completion.choices[0].message.text)

    @llm_chat_callback()
    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        def responses() -> ChatResponseGen:
            fold = _TextSoFar().fold
            with self._client.chat_stream(self._payload(messages)) as stream:
                for chunk in stream:
                    response = fold(chunk)
                    if response is not None:
                        yield response

        return responses()

    @llm_chat_callback()
    async def astream_chat(
        self, messages: Sequence[ChatMessage], **kwargs: Any
    ) -> ChatResponseAsyncGen:
        async def responses() -> ChatResponseAsyncGen:
            fold = _TextSoFar().fold
            async with await self._aclient.chat_stream(self._payload(messages)) as stream:
                async for chunk in stream:
                    response = fold(chunk)
                    if response is not None:
                        yield response

        return responses()

    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        raise NotImplementedError("the benchmark only chats")

    def stream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseGen:
        raise NotImplementedError("the benchmark only chats")

    async def acomplete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponse:
        raise NotImplementedError("the benchmark only chats")

    async def astream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseAsyncGen:
        raise NotImplementedError("the benchmark only chats")
