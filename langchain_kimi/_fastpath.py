"""Every shortcut ``langchain_kimi`` takes into langchain-core internals, in one place.

Each is guarded (taken only while langchain-core has exactly the shape it was written for,
checked once at import) and all of them are off with ``KIMI_FASTPATH=0``
(``kimi_core._fastpath``), leaving LangChain's public path: slower, same results.
``status()`` says which are active; ``tests/fastpath/`` checks that each is active with the
installed langchain-core and runs the adapter suites with the switch off. What each one saves
is measured in ``benchmarks/README.md`` ("Fast paths").

1. ``text_generation_chunk``: a stream chunk holding only text and/or reasoning is built
   without re-running validation. For such a chunk every validator of ``AIMessageChunk`` is a
   no-op (langchain-core 1.x ``messages/ai.py``: ``_backwards_compat_tool_calls`` acts on
   ``tool_calls`` / ``tool_call_chunks`` keys, ``init_tool_calls`` on non-empty tool-call
   fields, ``init_server_tool_calls`` on list content with ``chunk_position="last"``;
   ``ChatGenerationChunk.set_text`` copies ``message.text``, done here the same way), so the
   unvalidated build equals the validated one field for field, with the same
   ``model_fields_set``. Chunks with tool-call fragments are always validated.
2. ``cache_signatures``: langchain-core asks ``inspect.signature(self._generate)`` (and
   ``_agenerate``) on every call to see whether they take ``run_manager``; a precomputed
   ``__signature__`` (PEP 362; the same signature) is returned as is.
3. ``invocation_params``: what ``BaseChatModel._get_invocation_params`` builds (identifying
   params, ``_type``, ``stop``, the call's kwargs) without its detour through the deprecated
   ``dict()`` inside a warnings-suppressing context.
4. ``chat_model_binding``: the class ``ChatKimi.bind`` extends (``_binding.KimiBinding``).
   langchain-core >= 1.3 returns its private ``_ChatModelBinding`` from ``BaseChatModel.bind``
   ("at runtime a plain ``RunnableBinding``", typed v3 event streams); extending it keeps that
   typing. Taken only while it is a ``RunnableBinding`` subclass serializing as one; else, and
   with the switch off, the public ``RunnableBinding`` (same behaviour).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessageChunk
from langchain_core.outputs import ChatGenerationChunk

from kimi_core.integration import ENABLED, is_plain_model, unvalidated_builder

from ._messages import PROVIDER

__all__ = [
    "FAST_CHUNKS",
    "cache_signatures",
    "chat_model_binding",
    "invocation_params",
    "status",
    "text_generation_chunk",
]

FAST_CHUNKS = is_plain_model(
    AIMessageChunk,
    (
        "content",
        "additional_kwargs",
        "response_metadata",
        "type",
        "name",
        "id",
        "tool_calls",
        "invalid_tool_calls",
        "usage_metadata",
        "tool_call_chunks",
        "chunk_position",
    ),
    {"_backwards_compat_tool_calls", "init_tool_calls", "init_server_tool_calls"},
) and is_plain_model(
    ChatGenerationChunk, ("text", "generation_info", "type", "message"), {"set_text"}
)
_build_message_chunk = unvalidated_builder(AIMessageChunk)
_build_generation_chunk = unvalidated_builder(ChatGenerationChunk)


def text_generation_chunk(
    content: str, additional_kwargs: dict[str, Any] | None
) -> ChatGenerationChunk:
    """``ChatGenerationChunk(message=AIMessageChunk(content=content,
    additional_kwargs=additional_kwargs, response_metadata={"model_provider": "kimi"}))``
    (``additional_kwargs`` left out when None), built without re-validation when allowed."""
    if not FAST_CHUNKS:
        fields: dict[str, Any] = {"response_metadata": {"model_provider": PROVIDER}}
        if additional_kwargs is not None:
            fields["additional_kwargs"] = additional_kwargs
        return ChatGenerationChunk(message=AIMessageChunk(content=content, **fields))
    if additional_kwargs is None:
        additional_kwargs = {}
        message_set = {"content", "response_metadata"}
    else:
        message_set = {"content", "additional_kwargs", "response_metadata"}
    message = _build_message_chunk(
        {
            "content": content,
            "additional_kwargs": additional_kwargs,
            "response_metadata": {"model_provider": PROVIDER},
            "type": "AIMessageChunk",
            "name": None,
            "id": None,
            "tool_calls": [],
            "invalid_tool_calls": [],
            "usage_metadata": None,
            "tool_call_chunks": [],
            "chunk_position": None,
        },
        message_set,
    )
    return _build_generation_chunk(
        {
            "text": message.text,  # what set_text gives: a str subclass (TextAccessor)
            "generation_info": None,
            "type": "ChatGenerationChunk",
            "message": message,
        },
        {"text", "message"},
    )


def _signature_lookup_is_per_call() -> bool:
    """langchain-core decides ``run_manager`` per call from the signature of ``_generate``
    (``_generate_with_cache`` calls ``_signature_parameters``, which is ``inspect.signature``:
    it returns a ``__signature__`` as is). Read from the code objects: no source parsing."""
    try:
        from langchain_core.utils._signature import _signature_parameters
    except ImportError:
        return False
    return (
        "_signature_parameters" in BaseChatModel._generate_with_cache.__code__.co_names
        and "_signature_parameters" in BaseChatModel._agenerate_with_cache.__code__.co_names
        and "signature" in _signature_parameters.__code__.co_names
    )


SIGNATURES = ENABLED and _signature_lookup_is_per_call()


def cache_signatures(cls: type, names: tuple[str, ...] = ("_generate", "_agenerate")) -> None:
    """Give ``cls``'s own ``names`` a precomputed ``__signature__`` (see the module doc)."""
    if not SIGNATURES:
        return
    for name in names:
        function = vars(cls).get(name)
        if inspect.isfunction(function):
            function.__signature__ = inspect.signature(function)  # type: ignore[attr-defined]


def _invocation_params_shape() -> bool:
    """``BaseChatModel._get_invocation_params`` still builds ``{**self._dict_for_compat(),
    "stop": stop, **kwargs}``, and ``dict()`` is still ``asdict()``: ``_identifying_params``
    plus ``_type``."""
    code = BaseChatModel._get_invocation_params.__code__
    asdict = getattr(BaseChatModel, "asdict", None)
    return (
        code.co_names == ("_dict_for_compat",)
        and "stop" in code.co_consts
        and asdict is not None
        and {"_identifying_params", "_llm_type"} <= set(asdict.__code__.co_names)
    )


INVOCATION_PARAMS = ENABLED and _invocation_params_shape()


def invocation_params(
    model: BaseChatModel, stop: list[str] | None, kwargs: dict[str, Any]
) -> dict[str, Any]:
    """What ``BaseChatModel._get_invocation_params`` returns, built directly."""
    params = {**model._identifying_params, "_type": model._llm_type, "stop": stop}
    return {**params, **kwargs}


def bound_invocation_params() -> Callable[..., dict[str, Any]] | None:
    """The override for ``ChatKimi._get_invocation_params``, or None to keep LangChain's."""
    if not INVOCATION_PARAMS:
        return None

    def _get_invocation_params(
        self: BaseChatModel, stop: list[str] | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        return invocation_params(self, stop, kwargs)

    return _get_invocation_params


def _private_chat_model_binding() -> type | None:
    """langchain-core's ``_ChatModelBinding``, when it has the shape ``KimiBinding`` needs."""
    from langchain_core.runnables import RunnableBinding

    try:
        from langchain_core.language_models.chat_models import _ChatModelBinding
    except ImportError:
        return None
    if not issubclass(_ChatModelBinding, RunnableBinding):
        return None
    if _ChatModelBinding.lc_id() != RunnableBinding.lc_id():
        return None
    return _ChatModelBinding


_CHAT_MODEL_BINDING = _private_chat_model_binding() if ENABLED else None
PRIVATE_BINDING = _CHAT_MODEL_BINDING is not None


def chat_model_binding() -> type:
    """The class a ``ChatKimi`` binding extends (shortcut 4)."""
    if _CHAT_MODEL_BINDING is not None:
        return _CHAT_MODEL_BINDING
    from langchain_core.runnables import RunnableBinding

    return RunnableBinding


def status() -> dict[str, bool]:
    """Which shortcuts are active with the installed langchain-core."""
    return {
        "unvalidated_chunks": FAST_CHUNKS,
        "cached_signatures": SIGNATURES,
        "invocation_params": INVOCATION_PARAMS,
        "chat_model_binding": PRIVATE_BINDING,
    }
