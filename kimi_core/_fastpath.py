"""Every shortcut ``kimi_core`` takes into pydantic or httpcore internals, in one place.

Each shortcut is guarded (taken only while the library still has exactly the shape it was
written for, checked once at import) and every one of them, the adapters' too
(``langchain_kimi._fastpath``, ``llama_index_kimi._fastpath``), is turned off by one switch:
the environment variable ``KIMI_FASTPATH=0`` (or ``off`` / ``false``), read when these modules
are first imported. With it off, the package uses only public APIs: slower, same results.
``tests/fastpath/`` runs the adapter suites both ways and checks each guard against the
installed libraries. What each shortcut saves is measured in ``benchmarks/README.md``.

The shortcuts here:

- ``private_value``: a pydantic private attribute read from ``__pydantic_private__`` (a
  plain dict) instead of through ``BaseModel.__getattr__``.
- ``is_plain_model`` / ``unvalidated_builder``: build a pydantic model by setting its
  ``__dict__`` (what ``model_construct`` does, minus its per-field loop). Only equal to a
  validated build while the class has exactly the fields and validators the caller accounts
  for, which ``is_plain_model`` checks; callers fall back to the validated constructor.
- ``fix_connection_pool``: httpcore 1.0.x's pool hands the same idle keep-alive connection
  to every request of a burst and reassigns the losers in O(n²) passes (encode/httpcore#1035,
  #1110; unfixed in 1.0.9). The pool of a client this package built gets a subclass whose
  assignment skips connections already handed to a request that has not started yet (and
  counts only idle ones against ``max_keepalive_connections``: #1000). Only stock HTTP/1.1
  pools of httpcore 1.0.x are swapped; a client passed in by the user is never touched.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel

if TYPE_CHECKING:
    import httpx

__all__ = [
    "ENABLED",
    "fix_connection_pool",
    "is_plain_model",
    "pool_fix_applies",
    "private_value",
    "status",
    "unvalidated_builder",
]

SWITCH = "KIMI_FASTPATH"
ENABLED = os.environ.get(SWITCH, "1").strip().lower() not in ("0", "off", "false", "no")
"""False when ``KIMI_FASTPATH`` turns every shortcut of the package off."""

_Model = TypeVar("_Model", bound=BaseModel)
_new = object.__new__
_set = object.__setattr__


# -- pydantic -------------------------------------------------------------------------------


def _private_dict_readable() -> bool:
    class _Probe(BaseModel):
        _value: int = 0

    probe = _Probe()
    private = getattr(probe, "__pydantic_private__", None)
    return isinstance(private, dict) and private.get("_value") == 0


PRIVATE_DICT = ENABLED and _private_dict_readable()


def private_value(model: BaseModel, name: str) -> Any:
    """``getattr(model, name)`` for a private attribute, as one dict read when allowed."""
    if PRIVATE_DICT:
        private = model.__pydantic_private__
        if private is not None and name in private:
            return private[name]
    return getattr(model, name)


def is_plain_model(cls: type[BaseModel], fields: tuple[str, ...], validators: set[str]) -> bool:
    """Whether ``cls`` can be built by setting its ``__dict__``: the switch is on, and the
    class has exactly these fields (in this order), no private attributes or post-init hook,
    no field validators, and only these model validators (which the caller has checked to be
    no-ops for what it builds)."""
    if not ENABLED:
        return False
    decorators = cls.__pydantic_decorators__
    return (
        tuple(cls.model_fields) == fields
        and not cls.__private_attributes__
        and cls.__pydantic_post_init__ is None
        and cls.model_config.get("extra") in (None, "ignore", "allow")
        and set(decorators.model_validators) == validators
        and not (decorators.field_validators or decorators.validators)
        and not decorators.root_validators
    )


def unvalidated_builder(cls: type[_Model]) -> Callable[[dict[str, Any], set[str]], _Model]:
    """A function building ``cls`` instances unvalidated: ``build(values, fields_set)``.

    ``values`` holds every field, in declaration order; ``fields_set`` becomes the instance's
    own ``model_fields_set`` (pydantic adds to it on assignment), so pass a new set per
    instance. A model with ``extra="allow"`` gets a new empty ``__pydantic_extra__``, as
    validation gives it. Use it only where ``is_plain_model`` said yes.
    """
    allow_extra = cls.model_config.get("extra") == "allow"

    def build(values: dict[str, Any], fields_set: set[str]) -> _Model:
        instance: _Model = _new(cls)
        _set(instance, "__dict__", values)
        _set(instance, "__pydantic_fields_set__", fields_set)
        _set(instance, "__pydantic_extra__", {} if allow_extra else None)
        _set(instance, "__pydantic_private__", None)
        return instance

    build.__qualname__ = f"build_unvalidated_{cls.__name__}"
    return build


# -- httpcore -------------------------------------------------------------------------------

# How often a pass checks every connection for keep-alive expiry or a server-side close. A
# connection is still checked right before it is reused, so a request never gets one the
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


_FIXED: dict[type[Any], type[Any]] = {}
_POOL_ATTRIBUTES = ("_requests", "_connections", "_max_connections", "_max_keepalive_connections")


def _fixed_pools() -> dict[type[Any], type[Any]]:
    """The two pool subclasses, built on first use (httpcore is imported with httpx)."""
    if not _FIXED:
        import httpcore

        class _BurstSafeAssignment:
            """What both pool subclasses replace (the same body for sync and async)."""

            _next_expiry_scan = 0.0
            _assign_requests_to_connections = _assign_requests_to_connections

        class _ConnectionPool(_BurstSafeAssignment, httpcore.ConnectionPool):
            pass

        class _AsyncConnectionPool(_BurstSafeAssignment, httpcore.AsyncConnectionPool):
            pass

        _FIXED[httpcore.ConnectionPool] = _ConnectionPool
        _FIXED[httpcore.AsyncConnectionPool] = _AsyncConnectionPool
    return _FIXED


def pool_fix_applies(pool: object) -> bool:
    """Whether ``pool`` is a stock httpcore 1.0.x HTTP/1.1-only pool that may be swapped."""
    if not ENABLED:
        return False
    import httpcore

    return (
        httpcore.__version__.startswith("1.0.")
        and type(pool) in _fixed_pools()
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
    pool.__class__ = _fixed_pools()[type(pool)]
    return True


def status() -> dict[str, bool]:
    """Which of this module's shortcuts are active with the installed libraries."""

    class _Plain(BaseModel):
        value: int = 0

    import httpx

    with httpx.Client() as client:
        pool_fix = fix_connection_pool(client)
    return {
        "private_dict": PRIVATE_DICT,
        "unvalidated_build": is_plain_model(_Plain, ("value",), set()),
        "connection_pool": pool_fix,
    }
