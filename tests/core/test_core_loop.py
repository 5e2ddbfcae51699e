"""``LoopBoundClient``: one async client per event loop, rebuilt when the loop changes."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import cast

from kimi_core import AsyncKimiClient, LoopBoundClient
from kimi_emulator import KimiEmulator

API_KEY = "sk-loop-test-5e1d"


class FakeClient:
    """Stands in for ``AsyncKimiClient``: records on which loop it was closed."""

    def __init__(self, number: int) -> None:
        self.number = number
        self.closed_on: list[asyncio.AbstractEventLoop] = []

    async def aclose(self) -> None:
        self.closed_on.append(asyncio.get_running_loop())

    def __repr__(self) -> str:
        return f"FakeClient({self.number})"


class Factory:
    def __init__(self) -> None:
        self.built: list[FakeClient] = []

    def __call__(self) -> FakeClient:
        self.built.append(FakeClient(len(self.built)))
        return self.built[-1]


def _bound(factory: Factory, *, rebuild: bool = True) -> LoopBoundClient:
    return LoopBoundClient(cast(Callable[[], AsyncKimiClient], factory), rebuild=rebuild)


async def _get(clients: LoopBoundClient) -> tuple[object, object]:
    """The client handed out twice in one loop (must be the same both times)."""
    return clients.get(), clients.get()


def test_nothing_is_built_before_first_use() -> None:
    factory = Factory()
    _bound(factory)
    assert factory.built == []


def test_one_client_per_loop_and_a_new_one_per_new_loop() -> None:
    factory = Factory()
    clients = _bound(factory)
    first = asyncio.run(_get(clients))
    second = asyncio.run(_get(clients))
    assert first == (factory.built[0], factory.built[0])
    assert second == (factory.built[1], factory.built[1])
    assert len(factory.built) == 2
    # The first loop's pool was closed by its own loop, as it shut down (never from loop two).
    assert len(factory.built[0].closed_on) == 1
    assert len(factory.built[1].closed_on) == 1
    assert factory.built[0].closed_on != factory.built[1].closed_on


def test_a_client_built_outside_a_loop_is_adopted_by_the_first_loop() -> None:
    factory = Factory()
    clients = _bound(factory)
    outside = clients.get()
    assert clients.get() is outside  # still no loop: the same pending client
    assert asyncio.run(_get(clients)) == (outside, outside)
    assert factory.built == [outside]


def test_outside_a_loop_after_one_ended_the_next_loops_client_is_returned() -> None:
    factory = Factory()
    clients = _bound(factory)
    in_loop = asyncio.run(_get(clients))[0]
    pending = clients.get()
    assert pending is factory.built[1]
    assert pending is not in_loop
    assert asyncio.run(_get(clients)) == (pending, pending)
    assert len(factory.built) == 2


def test_a_caller_supplied_pool_is_reused_on_every_loop() -> None:
    factory = Factory()
    clients = _bound(factory, rebuild=False)
    outside = clients.get()
    assert asyncio.run(_get(clients)) == (outside, outside)
    assert asyncio.run(_get(clients)) == (outside, outside)
    assert factory.built == [outside]


def test_aclose_closes_this_loops_client_and_the_next_call_builds_one() -> None:
    factory = Factory()
    clients = _bound(factory)

    async def use_close_use() -> tuple[object, object, asyncio.AbstractEventLoop]:
        before = clients.get()
        await clients.aclose()
        return before, clients.get(), asyncio.get_running_loop()

    before, after, loop = asyncio.run(use_close_use())
    assert (before, after) == (factory.built[0], factory.built[1])
    assert factory.built[0].closed_on == [loop]
    assert factory.built[1].closed_on == [loop]  # when that loop shut down


def test_aclose_does_not_touch_another_loops_pool() -> None:
    factory = Factory()
    clients = _bound(factory)
    asyncio.run(_get(clients))
    [first_loop] = factory.built[0].closed_on  # closed by its own loop as it shut down
    asyncio.run(clients.aclose())
    assert factory.built[0].closed_on == [first_loop]  # not closed again from another loop
    assert asyncio.run(_get(clients)) == (factory.built[1], factory.built[1])


def test_aclose_of_an_unused_client_closes_it_and_of_nothing_is_a_no_op() -> None:
    factory = Factory()
    clients = _bound(factory)
    asyncio.run(clients.aclose())
    assert factory.built == []
    pending = clients.get()
    asyncio.run(clients.aclose())
    assert len(cast(FakeClient, pending).closed_on) == 1
    assert clients.get() is factory.built[1]


def test_aclose_keeps_a_caller_supplied_client() -> None:
    factory = Factory()
    clients = _bound(factory, rebuild=False)

    async def close_then_get() -> object:
        clients.get()
        await clients.aclose()
        return clients.get()

    assert asyncio.run(close_then_get()) is factory.built[0]
    assert len(factory.built) == 1
    assert len(factory.built[0].closed_on) == 1


def test_threads_asking_at_once_get_one_client() -> None:
    factory = Factory()
    clients = _bound(factory)
    start = threading.Barrier(8)
    seen: list[object] = []

    def ask() -> None:
        start.wait()
        seen.append(clients.get())

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert factory.built == [seen[0]]
    assert seen == [seen[0]] * 8


def test_two_asyncio_runs_over_real_http(kimi_emulator: KimiEmulator) -> None:
    """The bug this exists for: a pooled connection reused from a second ``asyncio.run``."""
    clients = LoopBoundClient(
        lambda: AsyncKimiClient(API_KEY, kimi_emulator.base_url, max_retries=0), rebuild=True
    )
    request = {"model": "kimi-k2.6", "messages": [{"role": "user", "content": "Hi"}]}

    async def ask() -> str | None:
        return (await clients.get().chat(request)).choices[0].message.content

    try:
        assert asyncio.run(ask()) == "You said: Hi"
        assert asyncio.run(ask()) == "You said: Hi"
    finally:
        asyncio.run(clients.aclose())
    assert [r.path for r in kimi_emulator.requests] == ["/v1/chat/completions"] * 2


def test_one_lifecycle_builds_async_clients_like_the_sync_one() -> None:
    import asyncio

    import httpx

    from kimi_core.lifecycle import KimiClients
    from kimi_core.options import KimiOptions

    options = KimiOptions.resolve("sk-mirror", "https://kimi.test/v1", max_retries=4)
    clients = KimiClients(options)

    async def first() -> object:
        return clients.async_client

    built = asyncio.run(first())
    assert built.api_key.get_secret_value() == "sk-mirror"  # type: ignore[attr-defined]
    assert built.base_url == "https://kimi.test/v1"  # type: ignore[attr-defined]
    assert built.max_retries == 4  # type: ignore[attr-defined]
    assert clients.sync.max_retries == 4
    # One async client for every loop; it opens a pool per loop.
    assert asyncio.run(first()) is built

    async def pool() -> object:
        return clients.async_client._http_for_loop()

    assert asyncio.run(pool()) is not asyncio.run(pool())

    own = httpx.AsyncClient()
    kept = KimiClients(options.with_http_clients(None, own))
    # the caller's own pool is reused across loops
    assert asyncio.run(_get_from(kept)) is asyncio.run(_get_from(kept))
    clients.close()


def _loop_thread() -> tuple[asyncio.AbstractEventLoop, threading.Thread]:
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    return loop, thread


def test_two_threads_with_their_own_loops_keep_one_object_each() -> None:
    """Alternating between two live loops builds one object per loop, not one per switch."""
    factory = Factory()
    clients = _bound(factory)
    loops = [_loop_thread(), _loop_thread()]

    async def ask() -> object:
        return clients.get()

    try:
        seen = [
            asyncio.run_coroutine_threadsafe(ask(), loops[i % 2][0]).result(5) for i in range(120)
        ]
    finally:
        for loop, thread in loops:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(5)
            loop.close()
    assert len(factory.built) == 2
    assert seen == [factory.built[0], factory.built[1]] * 60


def test_two_threads_share_one_adapter_over_real_http_with_two_pools(
    kimi_emulator: KimiEmulator,
) -> None:
    """The issue's case: one client used from two threads' loops, 120 calls alternating."""
    from kimi_core.lifecycle import KimiClients
    from kimi_core.options import KimiOptions

    clients = KimiClients(KimiOptions.resolve(API_KEY, kimi_emulator.base_url, max_retries=0))
    request = {"model": "kimi-k2.6", "messages": [{"role": "user", "content": "Hi"}]}
    loops = [_loop_thread(), _loop_thread()]

    async def ask() -> str | None:
        return (await clients.async_client.chat(request)).choices[0].message.content

    try:
        answers = [
            asyncio.run_coroutine_threadsafe(ask(), loops[i % 2][0]).result(10) for i in range(120)
        ]
        for loop, _ in loops:
            asyncio.run_coroutine_threadsafe(clients.aclose(), loop).result(5)
    finally:
        for loop, thread in loops:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(5)
            loop.close()
    assert answers == ["You said: Hi"] * 120
    connections = {r.client for r in kimi_emulator.requests}
    assert len(connections) == 2  # one keep-alive connection per loop, reused 60 times each


async def _get_from(clients: object) -> object:
    return clients.async_client  # type: ignore[attr-defined]
