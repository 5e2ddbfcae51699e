"""Issue 23, item 3: no connection pool (nor its socket) is left behind per event loop.

One ``AsyncKimiClient``, ``ChatKimi`` or ``Kimi`` used across many ``asyncio.run`` calls (what
LlamaIndex's ``asyncio_run`` helpers and sync web handlers do on every call) must keep its open
file descriptors and its memory flat, and the pool of a loop that has closed must be closed,
not merely dropped for the garbage collector. Today every run leaves a pool and its socket
behind for the life of the client (``kimi_core/loop.py``: the ``WeakKeyDictionary`` keys stay
alive through the pool's transports). Over real loopback HTTP against the emulator.

The fd counts are checked every ``CHECK_EVERY`` runs, so today's leak fails fast instead of
running the whole loop.
"""

from __future__ import annotations

import asyncio
import gc
import tracemalloc
import warnings
from collections.abc import Callable
from typing import Any

from hostile import OK_BODY
from llama_index.core.llms import ChatMessage
from r3_support import Request, RoutedServer, open_fds, send_json

from kimi_core import AsyncKimiClient, KimiEmulator
from langchain_kimi import ChatKimi
from llama_index_kimi import Kimi

KEY = "sk-loop-pools"
REQUEST: dict[str, Any] = {
    "model": "kimi-k2.6",
    "messages": [{"role": "user", "content": "ping"}],
    "thinking": False,
}
ANSWER = "You said: ping"
FD_SLACK = 12  # a few pools/sockets in flight may be fine; +1 (or +2) per run is not
CHECK_EVERY = 50


def assert_flat(
    emu: KimiEmulator,
    run_once: Callable[[], Any],
    *,
    runs: int,
    window: int,
    memory_per_run: int,
) -> None:
    """``runs`` calls of ``run_once`` (each one ``asyncio.run``): open fds stay within
    ``FD_SLACK`` of the start (checked every ``CHECK_EVERY`` runs), and over the last
    ``window`` runs the memory traced grows by less than ``memory_per_run`` bytes a run on
    average (tracemalloc only runs for that window: it slows every allocation)."""
    for _ in range(3):
        assert run_once() == ANSWER
    gc.collect()
    start_fds = open_fds()
    start_memory = 0
    try:
        for done in range(1, runs + 1):
            assert run_once() == ANSWER
            if done % CHECK_EVERY == 0:
                grown = open_fds() - start_fds
                assert grown <= FD_SLACK, (
                    f"{grown} more open file descriptors after {done} asyncio.run calls: "
                    "each closed event loop left its connection pool behind"
                )
            if done == runs - window - 5:
                tracemalloc.start()
            if done == runs - window:
                emu.reset()  # the emulator's request log is not the client's memory
                gc.collect()
                start_memory = tracemalloc.get_traced_memory()[0]
        emu.reset()
        gc.collect()
        grown_memory = tracemalloc.get_traced_memory()[0] - start_memory
    finally:
        tracemalloc.stop()
    assert grown_memory < memory_per_run * window, (
        f"memory grew by {grown_memory / window:.0f} bytes per asyncio.run over the last "
        f"{window} of {runs} runs"
    )


def test_one_core_client_over_a_thousand_asyncio_runs_keeps_fds_and_memory_flat(
    kimi_emulator: KimiEmulator,
) -> None:
    client = AsyncKimiClient(api_key=KEY, base_url=kimi_emulator.base_url)

    async def ask() -> str:
        return (await client.chat(REQUEST)).message.text

    try:
        assert_flat(
            kimi_emulator, lambda: asyncio.run(ask()), runs=1000, window=150, memory_per_run=1024
        )
    finally:
        asyncio.run(client.aclose())


def test_one_chatkimi_over_many_asyncio_runs_keeps_fds_and_memory_flat(
    kimi_emulator: KimiEmulator,
) -> None:
    llm = ChatKimi(model="kimi-k2.6", api_key=KEY, base_url=kimi_emulator.base_url, thinking=False)

    async def ask() -> str:
        return str((await llm.ainvoke("ping")).content)

    try:
        assert_flat(
            kimi_emulator, lambda: asyncio.run(ask()), runs=200, window=100, memory_per_run=4096
        )
    finally:
        llm.close()


def test_one_llamaindex_kimi_over_many_asyncio_runs_keeps_fds_and_memory_flat(
    kimi_emulator: KimiEmulator,
) -> None:
    llm = Kimi(model="kimi-k2.6", api_key=KEY, base_url=kimi_emulator.base_url, thinking=False)
    messages = [ChatMessage(role="user", content="ping")]

    async def ask() -> str:
        return str((await llm.achat(messages)).message.content)

    try:
        assert_flat(
            kimi_emulator, lambda: asyncio.run(ask()), runs=200, window=100, memory_per_run=4096
        )
    finally:
        llm.close()


def _ok(conn: Any, request: Request, number: int) -> bool:
    send_json(conn, OK_BODY)
    return True


def test_the_pool_of_a_closed_loop_is_closed_not_left_to_the_garbage_collector() -> None:
    """With the garbage collector off, the connection each ``asyncio.run`` opened is closed
    (the server sees it go) once that run is over, and nothing warns of an unclosed
    transport or socket when the collector finally runs."""
    runs = 20
    with RoutedServer(_ok) as server:
        client = AsyncKimiClient(api_key=KEY, base_url=server.url)

        async def ask() -> str:
            return (await client.chat(REQUEST)).message.text

        gc.collect()  # earlier tests' garbage is not this test's
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ResourceWarning)
            gc.disable()
            try:
                for _ in range(runs):
                    assert asyncio.run(ask()) == ANSWER
                still_open = server.wait_open_connections(at_most=1, within=2.0)
            finally:
                gc.enable()
            asyncio.run(client.aclose())
            gc.collect()
        assert server.connections == runs  # one connection per loop: each run had its own
        assert still_open <= 1, (
            f"{still_open} of {runs} connections of closed event loops are still open"
        )
        unclosed = [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)]
        assert unclosed == [], unclosed[:3]
