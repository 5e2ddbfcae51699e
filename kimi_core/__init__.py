"""kimi_core: the framework-free core shared by ``langchain_kimi`` and ``llama_index_kimi``
(httpx and pydantic; tqdm draws batch-job progress bars, imported only when one is shown).

The errors are imported eagerly; every other public name (clients, wire types, catalog, rate
limiters, ``KimiEmulator``...) is imported on first access, so importing an adapter, or a
single submodule, stays cheap. ``from kimi_core import KimiClient`` works as usual.

The layers (each a sub-package whose docstring says what it owns and may import), bottom up:
``errors`` · ``wire`` · ``types`` · ``catalog`` / ``limits`` · ``chat`` · ``options`` ·
``transport`` · ``resources`` · ``batch`` · ``client`` · ``lifecycle`` · ``integration``
(the one module the adapters import). ``tests/test_import_graph.py`` keeps them that way.

Public names are listed once, in ``_PUBLIC`` (name -> module); ``__all__`` and ``dir()`` are
derived from it, and the ``TYPE_CHECKING`` imports below mirror it for type checkers (a test
keeps the two equal).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from . import errors as _errors
from ._version import __version__ as __version__
from .errors import *  # noqa: F403  (the exception tree: errors.__all__)

if TYPE_CHECKING:
    from kimi_emulator import KimiEmulator as KimiEmulator

    from .batch.job import AsyncKimiBatchJob as AsyncKimiBatchJob
    from .batch.job import KimiBatchJob as KimiBatchJob
    from .batch.job import PollPolicy as PollPolicy
    from .catalog.hosts import GATEWAYS as GATEWAYS
    from .catalog.hosts import Gateway as Gateway
    from .catalog.hosts import get_gateway as get_gateway
    from .catalog.model_info import CATALOG as CATALOG
    from .catalog.model_info import DEFAULT_MODEL as DEFAULT_MODEL
    from .catalog.model_info import ModelInfo as ModelInfo
    from .catalog.model_info import Price as Price
    from .catalog.model_info import check_sampling as check_sampling
    from .catalog.model_info import get_model_info as get_model_info
    from .catalog.model_info import thinking_enabled as thinking_enabled
    from .catalog.prices import Cost as Cost
    from .catalog.prices import cost_of as cost_of
    from .chat.accumulator import StreamAccumulator as StreamAccumulator
    from .chat.request import prepare_chat_payload as prepare_chat_payload
    from .chat.request import thinking_param as thinking_param
    from .client import AsyncKimiClient as AsyncKimiClient
    from .client import KimiClient as KimiClient
    from .lifecycle import KimiClients as KimiClients
    from .limits.limiter import PRESETS as PRESETS
    from .limits.limiter import Lease as Lease
    from .limits.limiter import RateLimiter as RateLimiter
    from .limits.limiter import RateLimits as RateLimits
    from .limits.limiter import shared_rate_limiter as shared_rate_limiter
    from .options import KimiOptions as KimiOptions
    from .resources.files import ExtractedFile as ExtractedFile
    from .resources.formulas import OFFICIAL_FORMULAS as OFFICIAL_FORMULAS
    from .resources.formulas import Fiber as Fiber
    from .resources.formulas import FormulaTool as FormulaTool
    from .resources.tokenizers import TokenCount as TokenCount
    from .resources.tokenizers import TokenCountEstimateWarning as TokenCountEstimateWarning
    from .transport.loop_pools import LoopBoundClient as LoopBoundClient
    from .transport.retry import RetryPolicy as RetryPolicy
    from .transport.stream import AsyncChatStream as AsyncChatStream
    from .transport.stream import ChatStream as ChatStream
    from .types import Balance as Balance
    from .types import Batch as Batch
    from .types import BatchList as BatchList
    from .types import BatchRequestCounts as BatchRequestCounts
    from .types import ChatCompletion as ChatCompletion
    from .types import ChatCompletionChunk as ChatCompletionChunk
    from .types import ChatRequest as ChatRequest
    from .types import FileObject as FileObject
    from .types import Message as Message
    from .types import ModelCard as ModelCard
    from .types import ToolCall as ToolCall
    from .types import Usage as Usage

_MODULES: dict[str, tuple[str, ...]] = {
    "batch.job": ("AsyncKimiBatchJob", "KimiBatchJob", "PollPolicy"),
    "catalog.hosts": ("GATEWAYS", "Gateway", "get_gateway"),
    "catalog.model_info": (
        "CATALOG",
        "DEFAULT_MODEL",
        "ModelInfo",
        "Price",
        "check_sampling",
        "get_model_info",
        "thinking_enabled",
    ),
    "catalog.prices": ("Cost", "cost_of"),
    "chat.accumulator": ("StreamAccumulator",),
    "chat.request": ("prepare_chat_payload", "thinking_param"),
    "client": ("AsyncKimiClient", "KimiClient"),
    "lifecycle": ("KimiClients",),
    "limits.limiter": ("PRESETS", "Lease", "RateLimiter", "RateLimits", "shared_rate_limiter"),
    "options": ("KimiOptions",),
    "resources.files": ("ExtractedFile",),
    "resources.formulas": ("OFFICIAL_FORMULAS", "Fiber", "FormulaTool"),
    "resources.tokenizers": ("TokenCount", "TokenCountEstimateWarning"),
    "transport.loop_pools": ("LoopBoundClient",),
    "transport.retry": ("RetryPolicy",),
    "transport.stream": ("AsyncChatStream", "ChatStream"),
    "types": (
        "Balance",
        "Batch",
        "BatchList",
        "BatchRequestCounts",
        "ChatCompletion",
        "ChatCompletionChunk",
        "ChatRequest",
        "FileObject",
        "Message",
        "ModelCard",
        "ToolCall",
        "Usage",
    ),
    # The emulator is its own package (the ``emulator`` extra); this name is a lazy alias.
    "kimi_emulator": ("KimiEmulator",),
}
# Imported on first access (see the module docstring): name -> module.
_PUBLIC = {name: module for module, names in _MODULES.items() for name in names}

__all__ = sorted([*_errors.__all__, *_PUBLIC, "__version__"])


def __getattr__(name: str) -> Any:
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'kimi_core' has no attribute {name!r}")
    if module == "kimi_emulator":
        value = getattr(importlib.import_module(module), name)
    else:
        value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_PUBLIC})
