"""What a framework adapter needs from the core, named once: the only core module
``langchain_kimi`` and ``llama_index_kimi`` import (``tests/test_import_graph.py`` holds them
to it).

An adapter maps its framework's types onto these and back; every Kimi rule lives behind
them. Names are imported on first access (``_MODULES``: module -> names), so importing an
adapter loads only what it uses; the ``TYPE_CHECKING`` block mirrors the table for type
checkers (a test keeps the two equal).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from . import errors as errors
    from ._fastpath import ENABLED as ENABLED
    from ._fastpath import is_plain_model as is_plain_model
    from ._fastpath import private_value as private_value
    from ._fastpath import unvalidated_builder as unvalidated_builder
    from .arguments import unknown_arguments as unknown_arguments
    from .batch.job import AsyncKimiBatchJob as AsyncKimiBatchJob
    from .batch.job import BatchResult as BatchResult
    from .batch.job import KimiBatchJob as KimiBatchJob
    from .batch.job import PollPolicy as PollPolicy
    from .batch.state import BatchJobBase as BatchJobBase
    from .batch.state import fold_answers as fold_answers
    from .catalog.hosts import HostProfile as HostProfile
    from .catalog.model_info import DEFAULT_MODEL as DEFAULT_MODEL
    from .catalog.model_info import ModelInfo as ModelInfo
    from .catalog.model_info import Price as Price
    from .catalog.model_info import check_sampling as check_sampling
    from .catalog.model_info import get_model_info as get_model_info
    from .catalog.model_info import warn_retirement as warn_retirement
    from .catalog.prices import Cost as Cost
    from .catalog.prices import cost_for as cost_for
    from .catalog.prices import host_cost as host_cost
    from .chat import messages as messages
    from .chat.accumulator import StreamAccumulator as StreamAccumulator
    from .chat.content import document_part as document_part
    from .chat.content import image_part as image_part
    from .chat.content import image_url_from_base64 as image_url_from_base64
    from .chat.content import keep_documents as keep_documents
    from .chat.content import media_url_from_base64 as media_url_from_base64
    from .chat.content import text_part as text_part
    from .chat.content import video_part as video_part
    from .chat.host_thinking import check_effort_setting as check_effort_setting
    from .chat.messages import assistant_message as assistant_message
    from .chat.messages import finish_partial as finish_partial
    from .chat.messages import system_message as system_message
    from .chat.messages import tool_call as tool_call
    from .chat.messages import tool_message as tool_message
    from .chat.messages import user_message as user_message
    from .chat.request import PreparedChat as PreparedChat
    from .chat.request import build_chat_request as build_chat_request
    from .chat.request import chat_defaults as chat_defaults
    from .chat.request import sampling_values as sampling_values
    from .chat.structured import JSON_OBJECT as JSON_OBJECT
    from .chat.structured import json_mode_format as json_mode_format
    from .chat.structured import json_schema_format as json_schema_format
    from .chat.structured import parse_json_object as parse_json_object
    from .chat.thinking import keeps_reasoning as keeps_reasoning
    from .chat.tool_choice import check_tool_choice as check_tool_choice
    from .chat.tools import is_builtin_tool as is_builtin_tool
    from .chat.tools import tool_name as tool_name
    from .chat.tools import warn_web_search_retired as warn_web_search_retired
    from .chat.turn import DEFAULT_MAX_ROUNDS as DEFAULT_MAX_ROUNDS
    from .chat.turn import ChatTurn as ChatTurn
    from .chat.turn import RoundReader as RoundReader
    from .client import AsyncKimiClient as AsyncKimiClient
    from .client import KimiClient as KimiClient
    from .errors import BatchLineError as BatchLineError
    from .errors import ConfigurationError as ConfigurationError
    from .errors import InvalidParameterError as InvalidParameterError
    from .errors import MalformedResponseError as MalformedResponseError
    from .lifecycle import KimiClients as KimiClients
    from .limits.limiter import RateLimiter as RateLimiter
    from .limits.limiter import RateLimits as RateLimits
    from .options import ConnectionSettings as ConnectionSettings
    from .options import KimiOptions as KimiOptions
    from .resources.documents import has_documents as has_documents
    from .resources.files import ExtractedFile as ExtractedFile
    from .resources.files import FileInput as FileInput
    from .resources.formulas import Fiber as Fiber
    from .resources.formulas import FormulaTool as FormulaTool
    from .resources.formulas import formula_uri as formula_uri
    from .resources.formulas import index_tools as index_tools
    from .resources.tokenizers import TokenCount as TokenCount
    from .resources.web_tools import FetchPage as FetchPage
    from .resources.web_tools import SearchPage as SearchPage
    from .resources.web_tools import fetch_text as fetch_text
    from .resources.web_tools import search_text as search_text
    from .types import ModelCard as ModelCard
    from .wire.answer import Answer as Answer
    from .wire.answer import completion_usage as completion_usage
    from .wire.answer import decode_arguments as decode_arguments
    from .wire.usage import UsageCounts as UsageCounts
    from .wire.usage import add_usage as add_usage
    from .wire.usage import normalize_usage as normalize_usage
    from .wire.usage import reported_cost as reported_cost

_MODULES: dict[str, tuple[str, ...]] = {
    "_fastpath": ("ENABLED", "is_plain_model", "private_value", "unvalidated_builder"),
    "arguments": ("unknown_arguments",),
    "batch.job": ("AsyncKimiBatchJob", "BatchResult", "KimiBatchJob", "PollPolicy"),
    "batch.state": ("BatchJobBase", "fold_answers"),
    "catalog.hosts": ("HostProfile",),
    "catalog.model_info": (
        "DEFAULT_MODEL",
        "ModelInfo",
        "Price",
        "check_sampling",
        "get_model_info",
        "warn_retirement",
    ),
    "catalog.prices": ("Cost", "cost_for", "host_cost"),
    "chat.accumulator": ("StreamAccumulator",),
    "chat.content": (
        "document_part",
        "image_part",
        "image_url_from_base64",
        "keep_documents",
        "media_url_from_base64",
        "text_part",
        "video_part",
    ),
    "chat.messages": (
        "assistant_message",
        "finish_partial",
        "system_message",
        "tool_call",
        "tool_message",
        "user_message",
    ),
    "chat.request": ("PreparedChat", "build_chat_request", "chat_defaults", "sampling_values"),
    "chat.structured": (
        "JSON_OBJECT",
        "json_mode_format",
        "json_schema_format",
        "parse_json_object",
    ),
    "chat.host_thinking": ("check_effort_setting",),
    "chat.thinking": ("keeps_reasoning",),
    "chat.tool_choice": ("check_tool_choice",),
    "chat.tools": ("is_builtin_tool", "tool_name", "warn_web_search_retired"),
    "chat.turn": ("DEFAULT_MAX_ROUNDS", "ChatTurn", "RoundReader"),
    "client": ("AsyncKimiClient", "KimiClient"),
    "errors": (
        "BatchLineError",
        "ConfigurationError",
        "InvalidParameterError",
        "MalformedResponseError",
    ),
    "lifecycle": ("KimiClients",),
    "limits.limiter": ("RateLimiter", "RateLimits"),
    "options": ("ConnectionSettings", "KimiOptions"),
    "resources.documents": ("has_documents",),
    "resources.files": ("ExtractedFile", "FileInput"),
    "resources.formulas": ("Fiber", "FormulaTool", "formula_uri", "index_tools"),
    "resources.tokenizers": ("TokenCount",),
    "resources.web_tools": ("FetchPage", "SearchPage", "fetch_text", "search_text"),
    "types": ("ModelCard",),
    "wire.answer": ("Answer", "completion_usage", "decode_arguments"),
    "wire.usage": ("UsageCounts", "add_usage", "normalize_usage", "reported_cost"),
}
# Whole modules an adapter uses as a namespace (``errors`` for the exception tree,
# ``messages`` for Kimi's message constructors).
_SUBMODULES = {"errors": "errors", "messages": "chat.messages"}
_NAMES = {name: module for module, names in _MODULES.items() for name in names}

__all__ = sorted([*_NAMES, *_SUBMODULES])


def __getattr__(name: str) -> Any:
    module = _SUBMODULES.get(name)
    if module is not None:
        value = importlib.import_module(f"kimi_core.{module}")
    else:
        module = _NAMES.get(name)
        if module is None:
            raise AttributeError(f"module 'kimi_core.integration' has no attribute {name!r}")
        value = getattr(importlib.import_module(f"kimi_core.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
