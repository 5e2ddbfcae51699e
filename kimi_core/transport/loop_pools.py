"""One object per event loop: what an asyncio connection pool needs.

An httpx connection pool belongs to the event loop that opened its connections: reused from
another loop (a second ``asyncio.run``, LlamaIndex's ``asyncio_run`` helpers, a new
pytest-asyncio loop) it fails with "Event loop is closed". ``LoopBoundClient`` hands out one
object per running loop, built by a factory on the loop's first use and kept while the loop
lives, so two threads that each run their own loop each keep their own pool instead of
rebuilding it at every switch. ``AsyncKimiClient`` keeps its httpx pools in one.

An object built outside any loop is adopted by the next loop that asks. A loop that is gone
takes its object with it (the map holds loops weakly): that pool cannot be closed from another
loop and is dropped. ``rebuild=False``: one object for every loop (a caller's own
``httpx.AsyncClient``, which is the caller's to manage). This module imports neither httpx nor
the client, so it costs nothing at import time.
"""

from __future__ import annotations

import asyncio
import threading
import weakref
from collections.abc import Awaitable, Callable
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


class LoopBoundClient(Generic[_C]):
    """Hands out the running loop's object, built by ``factory`` on the loop's first use.

    ``first``: an object already built, adopted by the first loop that asks. Thread-safe: two
    threads asking at once for the same loop (or outside any loop) get one object.
    """

    __slots__ = ("_by_loop", "_factory", "_last", "_lock", "_pending", "_rebuild")

    def __init__(
        self, factory: Callable[[], _C], *, rebuild: bool, first: _C | None = None
    ) -> None:
        self._factory = factory
        self._rebuild = rebuild
        # Built outside a loop (or given as ``first``): the next loop to ask adopts it.
        self._pending: _C | None = first
        self._by_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _C] = (
            weakref.WeakKeyDictionary()
        )
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
                if found is None:
                    found, self._pending = self._pending or self._factory(), None
                    self._by_loop[loop] = found
                item = found
            if loop is not None:
                self._last = (weakref.ref(loop), item)
            return item

    async def aclose(self) -> None:
        """Close the running loop's object (or, if this loop has none, the pending one); the
        next ``get`` in this loop builds a new one. Objects of other loops are left alone.
        ``rebuild=False``: close the one object and keep it (a ``AsyncKimiClient`` wrapping
        a caller's pool leaves that pool open)."""
        loop = _running_loop()
        with self._lock:
            if not self._rebuild:
                item = self._pending
            else:
                item = self._by_loop.pop(loop, None) if loop is not None else None
                if item is None:
                    item, self._pending = self._pending, None
                if self._last is not None and self._last[1] is item:
                    self._last = None
        if item is not None:
            await item.aclose()
