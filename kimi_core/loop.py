"""One ``AsyncKimiClient`` per event loop, built on first use.

An httpx connection pool belongs to the event loop that opened its connections: reused from
another loop (a second ``asyncio.run``, LlamaIndex's ``asyncio_run`` helpers, a new
pytest-asyncio loop) it fails with "Event loop is closed". ``LoopBoundClient`` keeps one pooled
async client and builds a fresh one only when the running loop changes, unless the caller
supplied the ``httpx.AsyncClient`` (``rebuild=False``: that pool is the caller's to manage and
is always reused). The first client is built lazily: an httpx client is costly to build (its TLS
context), which sync-only users never pay.

One loop at a time: a pool left behind by a finished loop cannot be closed from the new one
and is dropped. This module imports neither httpx nor the client (only for type checking), so
an adapter can hold a ``LoopBoundClient`` without paying for httpx at import time.
"""

from __future__ import annotations

import asyncio
import threading
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .client import AsyncKimiClient

__all__ = ["LoopBoundClient"]


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:  # no asyncio loop in this thread
        return None


class LoopBoundClient:
    """Hands out the pooled async client of the running loop, rebuilding it on a new loop.

    ``factory`` builds a client; ``rebuild=False`` when every client it builds wraps the same
    caller-supplied ``httpx.AsyncClient`` (then one client is built and kept for ever).
    """

    __slots__ = ("_client", "_factory", "_lock", "_loop", "_rebuild")

    def __init__(self, factory: Callable[[], AsyncKimiClient], *, rebuild: bool) -> None:
        self._factory = factory
        self._rebuild = rebuild
        self._client: AsyncKimiClient | None = None
        # The loop the client's pool belongs to; None until a loop has used it.
        self._loop: weakref.ref[asyncio.AbstractEventLoop] | None = None
        # Two threads asking at once must not build two clients (one would never be closed).
        self._lock = threading.Lock()

    def get(self) -> AsyncKimiClient:
        """The client for the running loop.

        Outside a loop: the client the next loop will use (built now if there is none yet),
        bound to the first loop that calls ``get``. The fast path (same loop as last time) is
        a weakref call and an identity check.
        """
        loop = _running_loop()
        client = self._client
        if client is not None and loop is not None and self._bound() is loop:
            return client
        with self._lock:
            client = self._client
            bound = self._loop
            # Bound to another loop (or to one that is gone): its connections live there.
            stale = bound is not None and (loop is None or bound() is not loop)
            if client is None or (stale and self._rebuild):
                # The old pool cannot be closed from here and is dropped.
                client = self._client = self._factory()
                bound = None
            self._loop = weakref.ref(loop) if loop is not None else bound
            return client

    async def aclose(self) -> None:
        """Close the pool if it belongs to the running loop (or no loop used it yet); a pool
        of another loop (usually a finished one) cannot be closed from here and is dropped. With
        ``rebuild`` a later ``get`` builds a new client; without, the client is kept (its
        ``aclose`` leaves the caller's ``httpx.AsyncClient`` open)."""
        client = self._client
        if client is None:
            return
        # Unbound (no loop used it yet), or bound to this loop; not to a loop that is gone.
        if self._loop is None or self._bound() is _running_loop():
            await client.aclose()
        if self._rebuild:
            with self._lock:
                if self._client is client:
                    self._client = None
                    self._loop = None

    def _bound(self) -> asyncio.AbstractEventLoop | None:
        return self._loop() if self._loop is not None else None
