"""``KimiClients``: the one client lifecycle every entry point uses.

A sync ``KimiClient`` and an ``AsyncKimiClient`` (which keeps one httpx pool per event loop,
``kimi_core.transport.loop_pools``), each built on first use (two threads asking at once get
the same one), both from the same resolved ``KimiOptions``: they share key, base URL,
retries, timeouts, headers and rate limiter. Nothing is built until a call needs it:
constructing a chat model or loader costs no HTTP client.

The options themselves may come later (``KimiClients.later``): a model revived from a pickle
or from a dict carries no API key, and resolves its settings, the key from the environment
included, on its first call; until then it needs none. Copies (``copy.copy`` /
``copy.deepcopy``) get a fresh lifecycle with the same options, key included; a pickle gets
nothing (``TypeError``): the key and live connections never leave the process that way.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .client import AsyncKimiClient, KimiClient
    from .options import KimiOptions

__all__ = ["KimiClients"]


class KimiClients:
    """A sync and an async client for one ``KimiOptions`` (given, or resolved on first use)."""

    __slots__ = ("_async", "_lock", "_options", "_resolve", "_sync")

    def __init__(self, options: KimiOptions) -> None:
        self._options: KimiOptions | None = options
        self._resolve: Callable[[], KimiOptions] | None = None
        self._sync: KimiClient | None = None
        self._async: AsyncKimiClient | None = None
        self._lock = threading.Lock()

    @classmethod
    def later(cls, resolve: Callable[[], KimiOptions]) -> KimiClients:
        """Clients whose options ``resolve`` gives on first use; it raises the
        ``ConfigurationError`` of a missing key then, and is asked again on the next use."""
        clients = cls.__new__(cls)
        clients._options = None
        clients._resolve = resolve
        clients._sync = None
        clients._async = None
        clients._lock = threading.Lock()
        return clients

    @property
    def options(self) -> KimiOptions:
        options = self._options
        if options is None:
            with self._lock:
                options = self._options
                if options is None:
                    assert self._resolve is not None
                    options = self._options = self._resolve()
        return options

    @property
    def resolved(self) -> bool:
        """Whether the options are known (always, unless built with ``later``)."""
        return self._options is not None

    @property
    def sync(self) -> KimiClient:
        """The sync client (built once, on first use)."""
        client = self._sync
        if client is None:
            options = self.options
            with self._lock:
                client = self._sync
                if client is None:
                    from .client import KimiClient

                    client = self._sync = KimiClient(options=options)
        return client

    @property
    def async_client(self) -> AsyncKimiClient:
        """The async client (built once, on first use); it opens one pool per event loop,
        so it may be used from any loop, a new ``asyncio.run`` or another thread's."""
        client = self._async
        if client is None:
            options = self.options
            with self._lock:
                client = self._async
                if client is None:
                    from .client import AsyncKimiClient

                    client = self._async = AsyncKimiClient(options=options)
        return client

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
        client = self._async
        if client is not None:
            await client.aclose()

    # -- copies -----------------------------------------------------------------------------
    def __copy__(self) -> KimiClients:
        """A fresh lifecycle (no shared pools or locks) for the same options."""
        if self._options is not None:
            return KimiClients(self._options)
        assert self._resolve is not None
        return KimiClients.later(self._resolve)

    def __deepcopy__(self, memo: dict[int, Any]) -> KimiClients:
        # The options are immutable and hold the caller's own HTTP clients and rate limiter,
        # which a copy must share, not clone.
        return self.__copy__()

    def __reduce__(self) -> Any:
        raise TypeError(
            "KimiClients hold the API key and live connections and are never pickled; "
            "pickle the ChatKimi / Kimi model (it carries its settings, not its key)"
        )

    def __repr__(self) -> str:
        if self._options is None:
            return "KimiClients(<options resolved on first use>)"
        return f"KimiClients({self._options!r})"
