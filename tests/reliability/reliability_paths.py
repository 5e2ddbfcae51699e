"""The eight ways a caller reaches Kimi, each as ``run(base_url, **options) -> answer text``.

The fault matrix runs every cell through each path: the core's sync and async clients (chat
and stream), ChatKimi (invoke and stream) and LlamaIndex's Kimi (chat and stream_chat).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from llama_index.core.llms import ChatMessage

from kimi_core import AsyncKimiClient, KimiClient
from langchain_kimi import ChatKimi
from llama_index_kimi import Kimi

KEY = "sk-reliability"
QUESTION = "ping"
ANSWER = "You said: ping"


def _request(options: dict[str, Any]) -> dict[str, Any]:
    request: dict[str, Any] = {
        "model": "kimi-k2.6",
        "messages": [{"role": "user", "content": QUESTION}],
        "thinking": False,
    }
    if "max_tokens" in options:
        request["max_tokens"] = options.pop("max_tokens")
    return request


def core_sync_chat(url: str, **options: Any) -> str:
    request = _request(options)
    with KimiClient(api_key=KEY, base_url=url, **options) as client:
        return client.chat(request).message.text


def core_async_chat(url: str, **options: Any) -> str:
    request = _request(options)

    async def run() -> str:
        async with AsyncKimiClient(api_key=KEY, base_url=url, **options) as client:
            return (await client.chat(request)).message.text

    return asyncio.run(run())


def core_sync_stream(url: str, **options: Any) -> str:
    request = _request(options)
    with KimiClient(api_key=KEY, base_url=url, **options) as client:
        with client.chat_stream(request) as stream:
            pieces = [
                chunk["choices"][0]["delta"].get("content") or ""
                for chunk in stream
                if chunk.get("choices")
            ]
        assert "".join(pieces) == stream.text
        return stream.text


def core_async_stream(url: str, **options: Any) -> str:
    request = _request(options)

    async def run() -> str:
        async with AsyncKimiClient(api_key=KEY, base_url=url, **options) as client:
            stream = await client.chat_stream(request)
            async with stream:
                async for _ in stream:
                    pass
            return stream.text

    return asyncio.run(run())


def chatkimi_invoke(url: str, **options: Any) -> str:
    llm = ChatKimi(model="kimi-k2.6", api_key=KEY, base_url=url, thinking=False, **options)
    try:
        return str(llm.invoke(QUESTION).content)
    finally:
        llm.close()


def chatkimi_stream(url: str, **options: Any) -> str:
    llm = ChatKimi(model="kimi-k2.6", api_key=KEY, base_url=url, thinking=False, **options)
    try:
        return "".join(str(chunk.content) for chunk in llm.stream(QUESTION))
    finally:
        llm.close()


def kimi_chat(url: str, **options: Any) -> str:
    llm = Kimi(model="kimi-k2.6", api_key=KEY, base_url=url, thinking=False, **options)
    try:
        return str(llm.chat([ChatMessage(role="user", content=QUESTION)]).message.content)
    finally:
        llm.close()


def kimi_stream_chat(url: str, **options: Any) -> str:
    llm = Kimi(model="kimi-k2.6", api_key=KEY, base_url=url, thinking=False, **options)
    try:
        deltas = []
        last = None
        for response in llm.stream_chat([ChatMessage(role="user", content=QUESTION)]):
            deltas.append(response.delta or "")
            last = response
        assert last is not None
        assert "".join(deltas) == last.message.content
        return str(last.message.content)
    finally:
        llm.close()


@dataclass(frozen=True)
class Path:
    name: str
    run: Callable[..., str]
    streams: bool


PATHS = [
    Path("core-sync-chat", core_sync_chat, False),
    Path("core-async-chat", core_async_chat, False),
    Path("core-sync-stream", core_sync_stream, True),
    Path("core-async-stream", core_async_stream, True),
    Path("chatkimi-invoke", chatkimi_invoke, False),
    Path("chatkimi-stream", chatkimi_stream, True),
    Path("kimi-chat", kimi_chat, False),
    Path("kimi-stream-chat", kimi_stream_chat, True),
]
STREAM_PATHS = [p for p in PATHS if p.streams]
CHAT_PATHS = [p for p in PATHS if not p.streams]
