"""The Models API, ``GET /models``: which models the account's key can use right now.

``kimi_core.catalog`` is what this package knows about each model; this asks the server
(``docs/kimi-api/files.md``, "Models"; ``docs/kimi-api/models.md`` §7). Reached as
``client.models``; ``Models`` and ``AsyncModels`` share the parsing, only the I/O differs.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import httpx

from ..errors import KimiError, MalformedResponseError
from ..types import ModelCard
from ..wire.paths import path_segment

__all__ = ["AsyncModels", "Models", "parse_model", "parse_models"]

_log = logging.getLogger("kimi_core")

Send = Callable[..., httpx.Response]
ASend = Callable[..., Awaitable[httpx.Response]]


def _json(response: httpx.Response) -> object:
    try:
        return response.json()
    except ValueError:
        raise MalformedResponseError(
            "models answer is not JSON", body=response.text[:500]
        ) from None


def parse_models(response: httpx.Response) -> list[ModelCard]:
    body = _json(response)
    items = body.get("data") if isinstance(body, dict) else None
    if not isinstance(items, list):
        raise MalformedResponseError("models answer has no data array", body=str(body)[:500])
    return [ModelCard.model_validate(item) for item in items]


def parse_model(response: httpx.Response) -> ModelCard:
    body = _json(response)
    if not isinstance(body, dict):
        raise MalformedResponseError("model answer is not an object", body=str(body)[:500])
    return ModelCard.model_validate(body)


def _model_path(model: str) -> str:
    return "/models/" + path_segment(model, param="model", what="model id")


class Models:
    """Sync Models API: ``list()``, ``retrieve(id)`` and ``served(id)``."""

    def __init__(self, send: Send) -> None:
        self._send = send
        self._served: dict[str, ModelCard] | None = None

    def list(self) -> list[ModelCard]:
        return parse_models(self._send("GET", "/models"))

    def served(self, model: str) -> ModelCard | None:
        """``model``'s card as ``GET /models`` lists it (its ``context_length`` and
        ``supports_*`` traits), or None when the list does not have it. The list is asked
        for once per client: what the adapters use for a model id the catalog does not
        know, when its profile is asked for. A failed listing counts as an empty one (logged;
        the adapters then use their safe defaults) and is not asked again."""
        served = self._served
        if served is None:
            try:
                served = {card.id: card for card in self.list()}
            except KimiError as exc:
                _log.warning("GET /models failed (%s): no traits for unknown models", exc)
                served = {}
            self._served = served
        return served.get(model)

    def retrieve(self, model: str) -> ModelCard:
        return parse_model(self._send("GET", _model_path(model)))


class AsyncModels:
    """Async Models API: ``await list()`` and ``await retrieve(id)``."""

    def __init__(self, send: ASend) -> None:
        self._send = send

    async def list(self) -> list[ModelCard]:
        return parse_models(await self._send("GET", "/models"))

    async def retrieve(self, model: str) -> ModelCard:
        return parse_model(await self._send("GET", _model_path(model)))
