"""``Kimi.metadata``: context window and output size from ``kimi_core``'s model catalog, for
models it does not know from ``GET /models`` (asked once per client) with safe lower bounds,
and the cached dump of it that LlamaIndex puts
in the events of every call (``Kimi.to_payload``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from llama_index.core.base.llms.types import LLMMetadata, MessageRole

from kimi_core.integration import get_model_info

from . import _fastpath

if TYPE_CHECKING:
    from kimi_core.integration import ModelCard

__all__ = ["UNKNOWN_CONTEXT_WINDOW", "UNKNOWN_NUM_OUTPUT", "llm_metadata", "metadata_dump"]

# Models the catalog does not know yet (new releases, gateway aliases such as Cloudsway's
# MaaS_Kimi_K2.5_...). Every current Kimi model has at least 128K of context and 8K of output
# (kimi_core.catalog), so these are safe lower bounds; set ``context_window`` to override.
UNKNOWN_CONTEXT_WINDOW = 131_072
UNKNOWN_NUM_OUTPUT = 8_192


def llm_metadata(
    model: str | None,
    context_window: int | None,
    max_tokens: int | None,
    served: Callable[[str], ModelCard | None] | None = None,
) -> LLMMetadata:
    """``Kimi.metadata`` for these settings; ``served``: a model's ``GET /models`` card (the
    client's ``models.served``), asked for a model the catalog does not know when no
    ``context_window`` is given (its ``context_length``; else the safe lower bound)."""
    info = get_model_info(model)
    if info is None:
        card = served(model) if served is not None and model and not context_window else None
        context = context_window or (card and card.context_length) or UNKNOWN_CONTEXT_WINDOW
        output = max_tokens or min(UNKNOWN_NUM_OUTPUT, context // 2)
        tools = True  # every Kimi chat model calls tools (GET /models does not say)
    else:
        context = context_window or info.context_window
        # What the server gives when not asked (kimi-k2.6: 32,768; kimi-k3: 131,072); else,
        # as the window counts input + output (moonshot-v1-8k), at most half of it.
        output = (
            max_tokens or info.default_output_tokens or min(info.max_output_tokens, context // 2)
        )
        tools = info.tools
    return LLMMetadata(
        context_window=context,
        num_output=output,
        is_chat_model=True,
        is_function_calling_model=tools,
        model_name=model or "kimi",
        system_role=MessageRole.SYSTEM,
    )


# ``llm_metadata(...).model_dump()`` cached per settings, or None (``_fastpath``, 3).
metadata_dump = _fastpath.cached_metadata_dump(llm_metadata)
