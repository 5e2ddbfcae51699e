"""The least a LangChain adapter can do on ``kimi_core``: the ``lc-floor`` reference row.

A complete ``BaseChatModel`` (so LangChain's own wrappers, callbacks and per-chunk bookkeeping
all run) whose methods do nothing more than turn the core's answer into LangChain's bare types:
the text, and in streams one chunk per reasoning or content delta; no usage, cost, metadata,
tool calls or error translation. ChatKimi is compared with it in the same run: the difference is
what ChatKimi adds on top of LangChain. Imports nothing of LlamaIndex (see minimal_common.py).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from minimal_common import CoreClients, deltas, request

__all__ = ["MinimalChatModel"]


class MinimalChatModel(CoreClients, BaseChatModel):
    """A LangChain chat model that only wraps ``KimiClient`` answers in LangChain's types."""

    @property
    def _llm_type(self) -> str:
        return "minimal-kimi"

    def _payload(self, messages: list[BaseMessage]) -> dict[str, Any]:
        return request(self.model, str(messages[-1].content))

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
                generation = self._chunk(*deltas(chunk))
                if generation is not None:
                    yield generation

    async def _astream(
        self, messages: list[BaseMessage], stop: list[str] | None = None, **kwargs: Any
    ) -> AsyncIterator[ChatGenerationChunk]:
        async with await self._aclient.chat_stream(self._payload(messages)) as stream:
            async for chunk in stream:
                generation = self._chunk(*deltas(chunk))
                if generation is not None:
                    yield generation
