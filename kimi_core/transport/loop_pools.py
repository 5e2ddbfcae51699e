"""One object per event loop: what an asyncio connection pool needs.

An httpx connection pool belongs to the event loop that opened its connections: reused from
another loop (a second ``asyncio.run``, LlamaIndex's ``asyncio_run`` helpers, a new
pytest-asyncio loop) it fails with "Event loop is closed". ``LoopBoundClient`` hands out one
object per running loop, built by a factory on the loop's first use and kept while the loop
lives, so two threads that each run their own loop each keep their own pool instead of
rebuilding it at every switch. ``AsyncKimiClient`` keeps its httpx pools in one.

A loop's object is closed *by that loop* when the loop shuts down: with each object the loop
gets a small async generator (``_closed_with``), and ``asyncio.run`` (like every runner that
calls ``loop.shutdown_asyncgens()`` before closing the loop: pytest-asyncio, anyio) closes it,
which closes the pool (its sockets) on its own loop and forgets it. So a client used across a
thousand ``asyncio.run`` calls keeps one pool at a time, not one per run (the pool's
transports refer to their loop: kept in a map, a pool would keep its closed loop alive, and
its socket open, for the life of the client). A loop closed without that shutdown (a bare
``loop.close()``) cannot close its pool any more: the pool is dropped when the next new loop
asks. A client dropped while its loop lives has its pools closed by that loop too (the loop
finalizes the generator).

An object built outside any loop is adopted by the next loop that asks. ``rebuild=False``: one
object for every loop (a caller's own ``httpx.AsyncClient``, which is the caller's to manage).
This module imports neither httpx nor the client, so it costs nothing at import time.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import weakref
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Generic, Protocol, TypeVar

__all__ = ["LoopBoundClient"]


class _Closable(Protocol):
    def aclose(self) -> Awaitable[None]: ...


_C = TypeVar("_C", bound=_Closable)


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:  # no asyncio loop in this thread
        return None


async def _closed_with(
    owner: weakref.ReferenceType[LoopBoundClient[_C]], item: _C
) -> AsyncGenerator[None, None]:
    """Suspended for as long as its loop runs; the loop's ``shutdown_asyncgens`` (or the
    garbage collector, through the loop's finalizer hook) closes it, and with it ``item``."""
    try:
        yield
    finally:
        bound = owner()
        if bound is not None:
            bound._forget(item)
        await item.aclose()


def _watch(owner: LoopBoundClient[_C], item: _C) -> AsyncGenerator[None, None]:
    """Start ``_closed_with`` in the running loop, synchronously: its first ``asend`` hands it
    to the loop's async-generator hooks (``loop._asyncgens``), and runs it to its ``yield``."""
    watcher = _closed_with(weakref.ref(owner), item)
    with contextlib.suppress(StopIteration):
        watcher.asend(None).send(None)
    return watcher


class LoopBoundClient(Generic[_C]):
    """Hands out the running loop's object, built by ``factory`` on the loop's first use.

    ``first``: an object already built, adopted by the first loop that asks. Thread-safe: two
    threads asking at once for the same loop (or outside any loop) get one object.
    """

    __slots__ = ("__weakref__", "_by_loop", "_factory", "_last", "_lock", "_pending", "_rebuild")

    def __init__(
        self, factory: Callable[[], _C], *, rebuild: bool, first: _C | None = None
    ) -> None:
        self._factory = factory
        self._rebuild = rebuild
        # Built outside a loop (or given as ``first``): the next loop to ask adopts it.
        self._pending: _C | None = first
        # Each live loop's object and the generator that closes it with the loop.
        self._by_loop: dict[asyncio.AbstractEventLoop, tuple[_C, AsyncGenerator[None, None]]] = {}
        # The loop and object of the last call: the fast path is a weakref call and a compare.
        self._last: tuple[weakref.ref[asyncio.AbstractEventLoop], _C] | None = None
        self._lock = threading.Lock()

    def get(self) -> _C:
        """The running loop's object. Outside a loop: the one the next loop will adopt (built
        now if there is none yet)."""
        loop = _running_loop()
        last = self._last
        if last is not None and loop is not None and last[0]() is loop:
            return last[1]
        with self._lock:
            if not self._rebuild or loop is None:
                pending = self._pending
                if pending is None:
                    pending = self._pending = self._factory()
                if self._rebuild:
                    return pending
                item = pending  # one object for every loop
            else:
                found = self._by_loop.get(loop)
                item = found[0] if found is not None else self._adopt(loop)
            if loop is not None:
                self._last = (weakref.ref(loop), item)
            return item

    def _adopt(self, loop: asyncio.AbstractEventLoop) -> _C:
        """A new loop's object (the pending one, or a new one), closed with the loop. Loops
        that closed without shutting their generators down lose their objects here."""
        for gone in [known for known in self._by_loop if known.is_closed()]:
            del self._by_loop[gone]
        item, self._pending = self._pending or self._factory(), None
        self._by_loop[loop] = (item, _watch(self, item))
        return item

    def _forget(self, item: _C) -> None:
        """``item``'s loop is shutting down (``_closed_with``): nothing keeps it any more."""
        with self._lock:
            for loop, (known, _) in list(self._by_loop.items()):
                if known is item:
                    del self._by_loop[loop]
            if self._last is not None and self._last[1] is item:
                self._last = None

    async def aclose(self) -> None:
        """Close the running loop's object (or, if this loop has none, the pending one); the
        next ``get`` in this loop builds a new one. Objects of other loops are left alone.
        ``rebuild=False``: close the one object and keep it (a ``AsyncKimiClient`` wrapping
        a caller's pool leaves that pool open)."""
        loop = _running_loop()
        watcher: AsyncGenerator[None, None] | None = None
        with self._lock:
            if not self._rebuild:
                item = self._pending
            else:
                found = self._by_loop.pop(loop, None) if loop is not None else None
                item, watcher = found if found is not None else (None, None)
                if item is None:
                    item, self._pending = self._pending, None
                if self._last is not None and self._last[1] is item:
                    self._last = None
        if watcher is not None:
            await watcher.aclose()  # closes the item (``_closed_with``)
        elif item is not None:
            await item.aclose()
