"""``KimiClients``: the one client lifecycle every entry point uses.

A sync ``KimiClient`` built on first use (two threads asking at once get the same one) and
one ``AsyncKimiClient`` per event loop (``kimi_core.loop.LoopBoundClient``: an httpx pool
belongs to the loop that opened it). Both are built from the same resolved ``KimiOptions``,
so they share key, base URL, retries, timeout, headers and rate limiter. Nothing is built
until a call needs it: constructing a chat model or loader costs no HTTP client.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from .loop import LoopBoundClient

if TYPE_CHECKING:
    from .client import AsyncKimiClient, KimiClient
    from .options import KimiOptions

__all__ = ["KimiClients"]


class KimiClients:
    """A sync client and per-loop async clients for one ``KimiOptions``."""

    __slots__ = ("_async", "_lock", "_sync", "options")

    def __init__(self, options: KimiOptions) -> None:
        self.options = options
        self._sync: KimiClient | None = None
        self._async = LoopBoundClient(
            self._new_async_client, rebuild=options.async_http_client is None
        )
        self._lock = threading.Lock()

    @property
    def sync(self) -> KimiClient:
        """The sync client (built once, on first use)."""
        client = self._sync
        if client is None:
            with self._lock:
                client = self._sync
                if client is None:
                    from .client import KimiClient

                    client = self._sync = KimiClient(options=self.options)
        return client

    @property
    def async_client(self) -> AsyncKimiClient:
        """The async client of the running event loop (outside a loop: the one the next loop
        will use); rebuilt when the loop changes, unless ``async_http_client`` was given."""
        return self._async.get()

    def _new_async_client(self) -> AsyncKimiClient:
        from .client import AsyncKimiClient

        return AsyncKimiClient(options=self.options)

    def close(self) -> None:
        """Close the sync client's pool (a caller's ``http_client`` stays open); the next
        sync call builds a new client."""
        with self._lock:
            client, self._sync = self._sync, None
        if client is not None:
            client.close()

    async def aclose(self) -> None:
        """Close the running loop's async pool (a caller's ``async_http_client`` stays
        open); a later async call opens a new one."""
        await self._async.aclose()

    def __repr__(self) -> str:
        return f"KimiClients({self.options!r})"
