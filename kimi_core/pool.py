"""Connection pools that give each idle keep-alive connection to one request at a time.

httpcore 1.0.x (under every httpx client) assigns a queued request to the first *idle*
connection, and the connection stays idle until that request starts sending on it, which is
after the request's task yields. A burst of concurrent requests meeting a warm pool is thus
handed the same idle connection; all but one find it busy (``ConnectionNotAvailable``) and
are re-queued, onto the next idle connection, again all together: O(n²) reassignment passes
of O(n) each. Measured with ``AsyncKimiClient`` and the stock pool, bursts of 200 calls on
loopback took 1.1 s, then 4.9 s, then 0.23–0.32 s (``max_keepalive_connections=200``), and
0.3–3 s with 50 or 100 kept alive (encode/httpcore#1035, #1110; unfixed in httpcore 1.0.9).
The same happens to threads on the sync pool (LangChain's ``batch`` runs ``invoke`` on
threads).

``fix_connection_pool`` swaps the pool of a client this package created for a subclass whose
assignment skips connections already handed to a request that has not started yet (and, as
a side effect of counting only those, keeps up to ``max_keepalive_connections`` *idle*
connections, where 1.0.9 compares the limit with all connections: #1000). Only HTTP/1.1 pools
of httpcore 1.0.x are swapped; a client passed in by the user is never touched.
"""

from __future__ import annotations

import time
from typing import Any

import httpcore
import httpx

__all__ = ["fix_connection_pool", "pool_fix_applies"]


# How often a pass checks every connection for keep-alive expiry or a server-side close.
# Each check polls the socket (about 13 µs through anyio), and 1.0.9 ran it for every
# connection on every pass: with 200 kept alive, 2.6 ms per pass and two passes per request.
# A connection is still checked right before it is reused, so a request never gets one the
# server has closed; only the closing of unused expired ones waits up to this long.
_EXPIRY_SCAN_SECONDS = 1.0


def _assign_requests_to_connections(self: Any) -> list[Any]:
    """httpcore 1.0.9's ``_assign_requests_to_connections``, without its O(n²) burst stall.

    Same steps as the original: drop closed connections, close expired ones and surplus idle
    ones, then give each queued request (oldest first) an available connection to its origin,
    else a new connection, else one made by closing an idle connection. Two changes: a
    connection already handed to a request (which may not have started on it yet) is never
    handed out again or closed as idle, and the expiry check runs on the connection about to
    be reused, plus on all of them once per ``_EXPIRY_SCAN_SECONDS``.
    """
    closing: list[Any] = []
    now = time.monotonic()
    full_scan = now >= self._next_expiry_scan
    if full_scan:
        self._next_expiry_scan = now + _EXPIRY_SCAN_SECONDS
    # Connections handed to a request: in use, or about to be.
    reserved = {id(request.connection) for request in self._requests if not request.is_queued()}
    idle: list[Any] = []
    for connection in list(self._connections):
        if connection.is_closed():
            self._connections.remove(connection)
        elif full_scan and id(connection) not in reserved and connection.has_expired():
            self._connections.remove(connection)
            closing.append(connection)
        elif id(connection) not in reserved and connection.is_idle():
            idle.append(connection)
    while len(idle) > self._max_keepalive_connections:
        connection = idle.pop(0)
        self._connections.remove(connection)
        closing.append(connection)

    for pool_request in [request for request in self._requests if request.is_queued()]:
        origin = pool_request.request.url.origin
        chosen = None
        for connection in list(self._connections):
            if id(connection) in reserved or not connection.can_handle_request(origin):
                continue
            if connection.is_idle() and connection.has_expired():
                self._connections.remove(connection)
                closing.append(connection)
                continue
            if connection.is_available():
                chosen = connection
                break
        if chosen is None:
            if len(self._connections) >= self._max_connections:
                spare = next(
                    (c for c in self._connections if id(c) not in reserved and c.is_idle()), None
                )
                if spare is None:
                    continue  # stays queued until a connection is released
                self._connections.remove(spare)
                closing.append(spare)
            chosen = self.create_connection(origin)
            self._connections.append(chosen)
        pool_request.assign_to_connection(chosen)
        reserved.add(id(chosen))
    return closing


class _BurstSafeAssignment:
    """What both pool subclasses replace (the method body is the same for sync and async)."""

    _next_expiry_scan = 0.0
    _assign_requests_to_connections = _assign_requests_to_connections


class _ConnectionPool(_BurstSafeAssignment, httpcore.ConnectionPool):
    pass


class _AsyncConnectionPool(_BurstSafeAssignment, httpcore.AsyncConnectionPool):
    pass


_FIXED: dict[type[Any], type[Any]] = {
    httpcore.ConnectionPool: _ConnectionPool,
    httpcore.AsyncConnectionPool: _AsyncConnectionPool,
}
_POOL_ATTRIBUTES = ("_requests", "_connections", "_max_connections", "_max_keepalive_connections")


def pool_fix_applies(pool: object) -> bool:
    """Whether ``pool`` is a stock httpcore 1.0.x HTTP/1.1-only pool this module can swap."""
    return (
        httpcore.__version__.startswith("1.0.")
        and type(pool) in _FIXED
        and all(hasattr(pool, name) for name in _POOL_ATTRIBUTES)
        and not getattr(pool, "_http2", True)
        and callable(getattr(pool, "create_connection", None))
    )


def fix_connection_pool(client: httpx.Client | httpx.AsyncClient) -> bool:
    """Swap the default transport's pool of a client this package built; True if swapped.

    The swap changes the pool's class only, so every setting the transport gave it (limits,
    TLS, proxies, retries) stays as httpx made it.
    """
    pool = getattr(getattr(client, "_transport", None), "_pool", None)
    if pool is None or not pool_fix_applies(pool):
        return False
    pool.__class__ = _FIXED[type(pool)]
    return True
