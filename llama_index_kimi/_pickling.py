"""Copies, pickles and dicts of ``Kimi`` (docs/guides/reliability.md, "Copies, pickles and
serialized chains"): the settings travel, the key and live connections never do, and a model
revived without a key looks it up on its first call instead of failing where it is revived.

``from_dict`` and unpickling rebuild the model inside ``key_on_first_use()``; there the
constructor's ``resolve_options`` returns None for a missing key, and ``clients_for`` then
builds the clients on the first call, when the key is read from the environment.
"""

from __future__ import annotations

import logging
import pickle
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import partial
from typing import Any

from pydantic import BaseModel

from kimi_core.integration import ConfigurationError, KimiClients, KimiOptions

__all__ = ["clients_for", "key_on_first_use", "resolve_options", "settings_state"]

# The name these warnings have always been logged under (``Kimi`` lived alone in ``base``).
_log = logging.getLogger("llama_index_kimi.base")

# Set while from_dict / unpickling revives a model: a missing key is then looked up on the
# first call instead of failing the construction.
_KEY_ON_FIRST_USE: ContextVar[bool] = ContextVar("kimi_key_on_first_use", default=False)


@contextmanager
def key_on_first_use() -> Iterator[None]:
    """Within: a model built without a key finds it on its first call."""
    token = _KEY_ON_FIRST_USE.set(True)
    try:
        yield
    finally:
        _KEY_ON_FIRST_USE.reset(token)


def resolve_options(
    api_key: Any, base_url: str | None, settings: dict[str, Any]
) -> KimiOptions | None:
    """The connection options; None when the key is missing while a model is revived
    (``key_on_first_use``): it is looked up later."""
    try:
        return KimiOptions.resolve(api_key, base_url, **settings)
    except ConfigurationError as exc:
        if exc.param != "api_key" or not _KEY_ON_FIRST_USE.get():
            raise
        return None  # revived (from_dict, a pickle) with no key set: looked up later


def clients_for(
    options: KimiOptions | None, base_url: str | None, settings: dict[str, Any]
) -> KimiClients:
    """The client lifecycle for ``options``, or (None) one resolving them on first use."""
    if options is None:
        return KimiClients.later(partial(KimiOptions.resolve, None, base_url, **settings))
    return KimiClients(options)


def settings_state(model: BaseModel) -> dict[str, Any]:
    """``model``'s pickle state: the settings only. The clients hold the key and live
    connections, so they never travel, nor do ``default_headers`` (they may hold
    credentials); a field pickle refuses is dropped with a warning."""
    state = BaseModel.__getstate__(model)
    fields = {}
    for key, value in state["__dict__"].items():
        if key == "default_headers":
            continue
        try:
            pickle.dumps(value)
        except Exception:  # e.g. a rate limiter holding a lock, as BaseComponent drops
            _log.warning("Kimi: not pickling the unpicklable field %s", key)
            continue
        fields[key] = value
    return {**state, "__dict__": fields, "__pydantic_private__": None}
