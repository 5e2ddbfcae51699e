"""One ``ChatKimi`` used from several event loops (consecutive ``asyncio.run`` calls).

Regression: ``ChatKimi`` used to hold one ``AsyncKimiClient`` for ever, so the second
``asyncio.run(llm.ainvoke(...))`` reused a pooled connection of the first, closed loop and
failed with ``RuntimeError: Event loop is closed``. It now gets one client per loop from
``kimi_core.transport.loop_pools.LoopBoundClient``.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Callable
from typing import Any

import httpx
from langchain_core.messages import AIMessageChunk
from lc_support import json_response, mock_llm

from kimi_core.client import AsyncKimiClient
from kimi_emulator import KimiEmulator
from langchain_kimi import ChatKimi


def test_ainvoke_in_two_asyncio_runs(make_llm: Callable[..., ChatKimi], emu: KimiEmulator) -> None:
    llm = make_llm(thinking=False)
    first = asyncio.run(llm.ainvoke("one"))
    second = asyncio.run(llm.ainvoke("two"))
    assert (first.content, second.content) == ("You said: one", "You said: two")
    assert [r.path for r in emu.requests] == ["/v1/chat/completions"] * 2


def test_astream_in_two_asyncio_runs(make_llm: Callable[..., ChatKimi]) -> None:
    llm = make_llm(thinking=False)

    async def stream(text: str) -> str:
        full: AIMessageChunk | None = None
        async for chunk in llm.astream(text):
            full = chunk if full is None else full + chunk
        assert full is not None
        return str(full.content)

    assert asyncio.run(stream("one")) == "You said: one"
    assert asyncio.run(stream("two")) == "You said: two"


def test_async_client_opens_a_pool_per_running_loop(make_llm: Callable[..., ChatKimi]) -> None:
    llm = make_llm(thinking=False)
    client = llm.async_client  # outside a loop: built now, used by every loop

    async def used() -> tuple[AsyncKimiClient, object]:
        await llm.ainvoke("hi")
        return llm.async_client, llm.async_client._http_for_loop()

    first = asyncio.run(used())
    second = asyncio.run(used())
    assert first[0] is second[0] is client
    assert first[1] is not second[1]  # the second loop could not use the first one's pool


def test_aclose_from_a_new_loop_then_use_again(make_llm: Callable[..., ChatKimi]) -> None:
    """The first loop's pool is gone with its loop: ``aclose`` on a new loop must not try to
    close it there ("Event loop is closed"), and the model still works afterwards."""
    llm = make_llm(thinking=False)
    asyncio.run(llm.ainvoke("one"))
    gc.collect()  # the finished loop is collected: only a dead weak reference remains
    asyncio.run(llm.aclose())

    async def invoke_and_close() -> str:
        try:
            return str((await llm.ainvoke("two")).content)
        finally:
            await llm.aclose()

    assert asyncio.run(invoke_and_close()) == "You said: two"


def test_your_own_async_http_client_is_reused_on_every_loop(captures: Any) -> None:
    llm, sent = mock_llm(json_response(captures.raw("acedata_hello.json")))
    own = llm.http_async_client
    assert isinstance(own, httpx.AsyncClient)
    client = llm.async_client
    first = asyncio.run(llm.ainvoke("Hi"))
    second = asyncio.run(llm.ainvoke("Hi"))
    assert first.content == second.content
    assert llm.async_client is client  # yours to manage: never replaced
    assert len(sent.requests) == 2
    asyncio.run(llm.aclose())
    assert own.is_closed is False
