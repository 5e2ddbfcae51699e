"""Every shortcut ``llama_index_kimi`` takes into llama-index-core internals, in one place.

Each is guarded (taken only while llama-index-core has exactly the shape it was written for,
checked once at import) and all of them are off with ``KIMI_FASTPATH=0``
(``kimi_core._fastpath``), leaving LlamaIndex's public path: slower, same results.
``status()`` says which are active; ``tests/fastpath/`` checks that each is active with the
installed llama-index-core and runs the adapter suites with the switch off. What each one
saves is measured in ``benchmarks/README.md`` ("Fast paths").

1. ``response``: ``ChatMessage`` and ``ChatResponse`` built without re-validation (their
   constructors run LlamaIndex's ``__init__``, a model validator that runs again when the
   message is validated into the response, and a copy of every list and dict, on every stream
   chunk). The inputs here are already valid, and the one validator,
   ``legacy_additional_kwargs_image``, acts only on an ``images`` key, never set here.
2. ``cache_span_signatures``: ``dispatcher.span`` (applied to ``chat``, ``achat``... by
   ``DispatcherSpanMixin``) calls ``inspect.signature(method).bind(...)`` on every call; a
   precomputed ``__signature__`` (exactly what it would compute) is returned as is.
3. ``metadata_dump``: ``BaseLLM.to_payload`` (class name plus ``metadata.model_dump()``) runs
   in the events of every call; the dump depends only on (model, context window, max
   tokens), so it is cached per those settings.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterator
from types import CodeType
from typing import Any

from llama_index.core.base.llms.base import BaseLLM
from llama_index.core.base.llms.types import ChatMessage, ChatResponse, ContentBlock, MessageRole
from llama_index.core.instrumentation import dispatcher as _dispatcher_module

from kimi_core.integration import ENABLED, is_plain_model, unvalidated_builder

__all__ = [
    "FAST_BUILD",
    "METADATA_CACHE",
    "SPAN_SIGNATURES",
    "cache_span_signatures",
    "cached_metadata_dump",
    "response",
    "status",
]

FAST_BUILD = is_plain_model(
    ChatMessage, ("role", "additional_kwargs", "blocks"), {"legacy_additional_kwargs_image"}
) and is_plain_model(
    ChatResponse, ("message", "raw", "delta", "logprobs", "additional_kwargs"), set()
)
_build_message = unvalidated_builder(ChatMessage)
_build_response = unvalidated_builder(ChatResponse)


def response(
    blocks: list[ContentBlock],
    message_kwargs: dict[str, Any],
    raw: Any,
    additional: dict[str, Any],
    delta: str | None = None,
) -> ChatResponse:
    """What ``ChatResponse(message=ChatMessage(role=ASSISTANT, blocks=...,
    additional_kwargs=...), raw=..., additional_kwargs=...)`` builds, plus ``delta=...`` when
    it is not None; without re-validation when allowed."""
    if not FAST_BUILD:
        message = ChatMessage(
            role=MessageRole.ASSISTANT, blocks=blocks, additional_kwargs=message_kwargs
        )
        if delta is None:
            return ChatResponse(message=message, raw=raw, additional_kwargs=additional)
        return ChatResponse(message=message, raw=raw, delta=delta, additional_kwargs=additional)
    message = _build_message(
        {"role": MessageRole.ASSISTANT, "additional_kwargs": message_kwargs, "blocks": blocks},
        {"role", "additional_kwargs", "blocks"},
    )
    values = {
        "message": message,
        "raw": raw,
        "delta": delta,
        "logprobs": None,
        "additional_kwargs": additional,
    }
    if delta is None:
        return _build_response(values, {"message", "raw", "additional_kwargs"})
    return _build_response(values, {"message", "raw", "delta", "additional_kwargs"})


def _codes(code: CodeType) -> Iterator[CodeType]:
    yield code
    for const in code.co_consts:
        if isinstance(const, CodeType):
            yield from _codes(const)


def _span_binds_the_signature() -> bool:
    """``Dispatcher.span``'s wrapper still calls ``inspect.signature(func).bind``, and the
    attribute marking wrapped methods still exists."""
    span = getattr(getattr(_dispatcher_module, "Dispatcher", None), "span", None)
    marker = getattr(_dispatcher_module, "DISPATCHER_SPAN_DECORATED_ATTR", None)
    if span is None or marker is None:
        return False
    names = {name for code in _codes(span.__code__) for name in code.co_names}
    return {"signature", "bind"} <= names


SPAN_SIGNATURES = ENABLED and _span_binds_the_signature()


def cache_span_signatures(cls: type) -> None:
    """Give each of ``cls``'s span-wrapped methods its ``__signature__`` (module doc, 2)."""
    if not SPAN_SIGNATURES:
        return
    marker = getattr(_dispatcher_module, "DISPATCHER_SPAN_DECORATED_ATTR", "")
    for attribute in vars(cls).values():
        inner = getattr(attribute, "__wrapped__", None)
        if (
            inspect.isfunction(inner)
            and getattr(attribute, marker, False)
            and "__signature__" not in vars(inner)
        ):
            inner.__signature__ = inspect.signature(inner)  # type: ignore[attr-defined]


def _payload_is_metadata_dump() -> bool:
    """``BaseLLM.to_payload`` is still ``{"class_name": ..., **self.metadata.model_dump()}``
    (older llama-index-core releases have no ``to_payload``: nothing to cache then)."""
    to_payload = vars(BaseLLM).get("to_payload")
    code = getattr(to_payload, "__code__", None)
    if code is None:
        return False
    names = set(code.co_names)
    return {"class_name", "metadata", "model_dump"} <= names and len(names) == 3


METADATA_CACHE = ENABLED and _payload_is_metadata_dump()


def cached_metadata_dump(
    build: Callable[[str | None, int | None, int | None], Any],
) -> Callable[[str | None, int | None, int | None], dict[str, Any]] | None:
    """``build(model, context_window, max_tokens).model_dump()`` cached per settings
    (callers copy the result: only plain values inside), or None to use ``to_payload``."""
    if not METADATA_CACHE:
        return None

    @functools.lru_cache(maxsize=64)
    def dump(
        model: str | None, context_window: int | None, max_tokens: int | None
    ) -> dict[str, Any]:
        result: dict[str, Any] = build(model, context_window, max_tokens).model_dump()
        return result

    return dump


def status() -> dict[str, bool]:
    """Which shortcuts are active with the installed llama-index-core."""
    return {
        "unvalidated_responses": FAST_BUILD,
        "cached_span_signatures": SPAN_SIGNATURES,
        "cached_metadata": METADATA_CACHE,
    }
