"""kimi_core: the framework-free transport core shared by ``langchain_kimi`` and
``llama_index_kimi`` (httpx + pydantic only).

``KimiEmulator`` (a loopback Kimi server) is imported lazily: it needs the ``emulator`` extra.
The clients, streams and rate limiters (which pull in httpx and asyncio) are imported on first
use too, so importing an adapter stays cheap; ``from kimi_core import KimiClient`` works as
before.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._version import __version__
from .catalog import CATALOG, ModelInfo, Price, check_sampling, get_model_info, thinking_enabled
from .cost import Cost, cost_of
from .errors import (
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    ContentFilterError,
    ContextLengthExceededError,
    FileTooLargeError,
    InternalServerError,
    InvalidParameterError,
    KimiError,
    MalformedResponseError,
    NotFoundError,
    PermissionDeniedError,
    QuotaExceededError,
    RateLimitError,
    StreamInterruptedError,
)
from .gateways import GATEWAYS, Gateway, get_gateway
from .payload import prepare_chat_payload, thinking_param
from .retry import RetryPolicy
from .types import (
    Balance,
    ChatCompletion,
    ChatCompletionChunk,
    ChatRequest,
    FileObject,
    Message,
    ModelCard,
    ToolCall,
    Usage,
)

if TYPE_CHECKING:
    from .client import AsyncKimiClient, KimiClient
    from .emulator import KimiEmulator
    from .ratelimit import PRESETS, Lease, RateLimiter, RateLimits, shared_rate_limiter
    from .stream import AsyncChatStream, ChatStream, StreamAccumulator

# Imported on first access (see the module docstring): name -> submodule.
_LAZY = {
    "AsyncKimiClient": "client",
    "KimiClient": "client",
    "KimiEmulator": "emulator",
    "PRESETS": "ratelimit",
    "Lease": "ratelimit",
    "RateLimiter": "ratelimit",
    "RateLimits": "ratelimit",
    "shared_rate_limiter": "ratelimit",
    "AsyncChatStream": "stream",
    "ChatStream": "stream",
    "StreamAccumulator": "stream",
}

__all__ = [
    "CATALOG",
    "GATEWAYS",
    "PRESETS",
    "APIConnectionError",
    "APIError",
    "APIStatusError",
    "APITimeoutError",
    "AsyncChatStream",
    "AsyncKimiClient",
    "AuthenticationError",
    "BadRequestError",
    "Balance",
    "ChatCompletion",
    "ChatCompletionChunk",
    "ChatRequest",
    "ChatStream",
    "ConfigurationError",
    "ContentFilterError",
    "ContextLengthExceededError",
    "Cost",
    "FileObject",
    "FileTooLargeError",
    "Gateway",
    "InternalServerError",
    "InvalidParameterError",
    "KimiClient",
    "KimiEmulator",
    "KimiError",
    "Lease",
    "MalformedResponseError",
    "Message",
    "ModelCard",
    "ModelInfo",
    "NotFoundError",
    "PermissionDeniedError",
    "Price",
    "QuotaExceededError",
    "RateLimitError",
    "RateLimiter",
    "RateLimits",
    "RetryPolicy",
    "StreamAccumulator",
    "StreamInterruptedError",
    "ToolCall",
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
    from importlib import import_module

    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value
