"""Copies and pickles of the package's pydantic models (``ChatKimi``, ``KimiToolkit``): the key
never goes into a pickle, live connections and locks never either, and a copy shares the
caller's own HTTP clients and limiter instead of trying to copy a socket
(docs/guides/reliability.md, "Copies, pickles and serialized chains")."""

from __future__ import annotations

import logging
import pickle
from collections.abc import Iterable
from functools import partial
from typing import Any

from pydantic import BaseModel

from kimi_core.integration import KimiClients, KimiOptions

__all__ = ["fill_new_fields", "keyless_state", "picklable", "revive_clients", "share_in_memo"]

_log = logging.getLogger("langchain_kimi")


def picklable(value: Any) -> bool:
    try:
        pickle.dumps(value)
    except Exception:  # a socket, a lock, a client: anything pickle refuses
        return False
    return True


def keyless_state(
    model: BaseModel, state: dict[Any, Any], shared: Iterable[str], *, cleared: Iterable[str] = ()
) -> dict[Any, Any]:
    """``state`` (from pydantic's ``__getstate__``) without the key, the ``cleared`` fields,
    the ``shared`` objects pickle refuses (dropped with a warning) and the client lifecycle."""
    fields = {**state["__dict__"], "api_key": None, **dict.fromkeys(cleared)}
    for name in shared:
        value = fields.get(name)
        if value is not None and not picklable(value):
            _log.warning(
                "%s: not pickling %s (%s)", type(model).__name__, name, type(value).__name__
            )
            fields[name] = None
    private = {
        name: value
        for name, value in (state.get("__pydantic_private__") or {}).items()
        if name != "_clients"
    }
    return {**state, "__dict__": fields, "__pydantic_private__": private}


def fill_new_fields(cls: Any, state: dict[Any, Any]) -> None:
    """Fields added since ``state`` was pickled (an older release's pickle) get their
    defaults."""
    fields = state.get("__dict__")
    if not isinstance(fields, dict):
        return
    for name, field in cls.model_fields.items():
        if name not in fields and not field.is_required():
            fields[name] = field.get_default(call_default_factory=True)


def revive_clients(model: Any) -> None:
    """A revived model's clients, built at its first call: the key then comes from
    ``MOONSHOT_API_KEY`` (none was pickled). Fields added since the pickle was made (e.g.
    ``price``) take their defaults."""
    values = model.__dict__
    for name, info in type(model).model_fields.items():
        if name not in values:
            values[name] = info.get_default(call_default_factory=True)
    model._clients = KimiClients.later(
        partial(KimiOptions.resolve, model.api_key, model.base_url, **model._settings())
    )


def share_in_memo(memo: dict[int, Any] | None, objects: Iterable[Any]) -> dict[int, Any]:
    """``deepcopy``'s memo with ``objects`` mapped to themselves: the copy shares them."""
    memo = {} if memo is None else memo
    for shared in objects:
        if shared is not None:
            memo[id(shared)] = shared
    return memo
