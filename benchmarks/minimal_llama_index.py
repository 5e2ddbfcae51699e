"""The least a LlamaIndex adapter can do on ``kimi_core``: the ``li-floor`` reference row.

A complete ``LLM`` with ``@llm_chat_callback`` methods (so LlamaIndex's callbacks, events and
spans all run) that only wrap the core's text in ``ChatResponse``; in streams one response per
reasoning or content delta. Kimi is compared with it in the same run: the difference is what
Kimi adds on top of LlamaIndex. Imports nothing of LangChain (see minimal_common.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

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
from minimal_common import CoreClients, deltas, request

__all__ = ["MinimalLLM"]


def _reply(text: str) -> ChatResponse:
    return ChatResponse(message=ChatMessage(role="assistant", content=text))


class _TextSoFar:
    """A LlamaIndex stream's cumulative text: one response per reasoning or content delta."""

    def __init__(self) -> None:
        self.text = ""

    def fold(self, chunk: dict[str, Any]) -> ChatResponse | None:
        content, reasoning = deltas(chunk)
        if not (content or reasoning):
            return None
        self.text += content or ""
        return ChatResponse(
            message=ChatMessage(role="assistant", content=self.text), delta=content or ""
        )


class MinimalLLM(CoreClients, LLM):
    """A LlamaIndex LLM that only wraps ``KimiClient`` answers in LlamaIndex's types."""

    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata(model_name=self.model, is_chat_model=True)

    def _payload(self, messages: Sequence[ChatMessage]) -> dict[str, Any]:
        return request(self.model, str(messages[-1].content))

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
