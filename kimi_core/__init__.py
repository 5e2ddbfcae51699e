"""kimi_core: the framework-free transport core shared by ``langchain_kimi`` and
``llama_index_kimi`` (httpx and pydantic; tqdm draws batch-job progress bars, imported only
when one is shown).

Only the errors are imported eagerly; every other public name (clients, wire types, catalog,
rate limiters, ``KimiEmulator``...) is imported on first access, so importing an adapter, or
a single submodule, stays cheap. ``from kimi_core import KimiClient`` works as usual.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._version import __version__
from .errors import (
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    BatchError,
    BatchFailedError,
    BatchLineError,
    BatchLinesFailedError,
    BatchSubmitError,
    BatchTimeoutError,
    ClientClosedRequestError,
    ConfigurationError,
    ContentFilterError,
    ContextLengthExceededError,
    FiberFailedError,
    FileTooLargeError,
    FormulaNotFoundError,
    InternalServerError,
    InvalidParameterError,
    KimiError,
    MalformedResponseError,
    NotFoundError,
    PermissionDeniedError,
    QuotaExceededError,
    RateLimitError,
    ServiceUnavailableError,
    StreamInterruptedError,
    StreamTimeoutError,
    ToolLoopError,
)

if TYPE_CHECKING:
    from .batch_job import AsyncKimiBatchJob, KimiBatchJob, PollPolicy
    from .catalog import (
        CATALOG,
        DEFAULT_MODEL,
        ModelInfo,
        Price,
        check_sampling,
        get_model_info,
        thinking_enabled,
    )
    from .client import AsyncKimiClient, KimiClient
    from .cost import Cost, cost_of
    from .emulator import KimiEmulator
    from .files import ExtractedFile
    from .formulas import OFFICIAL_FORMULAS, Fiber, FormulaTool
    from .gateways import GATEWAYS, Gateway, get_gateway
    from .lifecycle import KimiClients
    from .loop import LoopBoundClient
    from .options import KimiOptions
    from .ratelimit import PRESETS, Lease, RateLimiter, RateLimits, shared_rate_limiter
    from .request import prepare_chat_payload, thinking_param
    from .retry import RetryPolicy
    from .stream import AsyncChatStream, ChatStream, StreamAccumulator
    from .token_count import TokenCount, TokenCountEstimateWarning
    from .types import (
        Balance,
        Batch,
        BatchList,
        BatchRequestCounts,
        ChatCompletion,
        ChatCompletionChunk,
        ChatRequest,
        FileObject,
        Message,
        ModelCard,
        ToolCall,
        Usage,
    )

# Imported on first access (see the module docstring): name -> submodule.
_LAZY = {
    "AsyncKimiBatchJob": "batch_job",
    "KimiBatchJob": "batch_job",
    "PollPolicy": "batch_job",
    "Batch": "types",
    "BatchList": "types",
    "BatchRequestCounts": "types",
    "CATALOG": "catalog",
    "DEFAULT_MODEL": "catalog",
    "ModelInfo": "catalog",
    "Price": "catalog",
    "check_sampling": "catalog",
    "get_model_info": "catalog",
    "thinking_enabled": "catalog",
    "Cost": "cost",
    "cost_of": "cost",
    "GATEWAYS": "gateways",
    "Gateway": "gateways",
    "get_gateway": "gateways",
    "prepare_chat_payload": "request",
    "thinking_param": "request",
    "KimiOptions": "options",
    "KimiClients": "lifecycle",
    "RetryPolicy": "retry",
    "Balance": "types",
    "ChatCompletion": "types",
    "ChatCompletionChunk": "types",
    "ChatRequest": "types",
    "FileObject": "types",
    "Message": "types",
    "ModelCard": "types",
    "ToolCall": "types",
    "Usage": "types",
    "AsyncKimiClient": "client",
    "KimiClient": "client",
    "KimiEmulator": "emulator",
    "ExtractedFile": "files",
    "OFFICIAL_FORMULAS": "formulas",
    "Fiber": "formulas",
    "FormulaTool": "formulas",
    "LoopBoundClient": "loop",
    "PRESETS": "ratelimit",
    "Lease": "ratelimit",
    "RateLimiter": "ratelimit",
    "RateLimits": "ratelimit",
    "shared_rate_limiter": "ratelimit",
    "TokenCount": "token_count",
    "TokenCountEstimateWarning": "token_count",
    "AsyncChatStream": "stream",
    "ChatStream": "stream",
    "StreamAccumulator": "stream",
}

__all__ = [
    "CATALOG",
    "DEFAULT_MODEL",
    "GATEWAYS",
    "OFFICIAL_FORMULAS",
    "PRESETS",
    "APIConnectionError",
    "APIError",
    "APIStatusError",
    "APITimeoutError",
    "AsyncChatStream",
    "AsyncKimiBatchJob",
    "AsyncKimiClient",
    "AuthenticationError",
    "BadRequestError",
    "Balance",
    "Batch",
    "BatchError",
    "BatchFailedError",
    "BatchLineError",
    "BatchLinesFailedError",
    "BatchList",
    "BatchRequestCounts",
    "BatchSubmitError",
    "BatchTimeoutError",
    "ChatCompletion",
    "ChatCompletionChunk",
    "ChatRequest",
    "ChatStream",
    "ClientClosedRequestError",
    "ConfigurationError",
    "ContentFilterError",
    "ContextLengthExceededError",
    "Cost",
    "ExtractedFile",
    "Fiber",
    "FiberFailedError",
    "FileObject",
    "FileTooLargeError",
    "FormulaNotFoundError",
    "FormulaTool",
    "Gateway",
    "InternalServerError",
    "InvalidParameterError",
    "KimiBatchJob",
    "KimiClient",
    "KimiClients",
    "KimiEmulator",
    "KimiError",
    "KimiOptions",
    "Lease",
    "LoopBoundClient",
    "MalformedResponseError",
    "Message",
    "ModelCard",
    "ModelInfo",
    "NotFoundError",
    "PermissionDeniedError",
    "PollPolicy",
    "Price",
    "QuotaExceededError",
    "RateLimitError",
    "RateLimiter",
    "RateLimits",
    "RetryPolicy",
    "ServiceUnavailableError",
    "StreamAccumulator",
    "StreamInterruptedError",
    "StreamTimeoutError",
    "TokenCount",
    "TokenCountEstimateWarning",
    "ToolCall",
    "ToolLoopError",
    "Usage",
    "__version__",
    "check_sampling",
    "cost_of",
    "get_gateway",
    "get_model_info",
    "prepare_chat_payload",
    "shared_rate_limiter",
    "thinking_enabled",
    "thinking_param",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'kimi_core' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value
