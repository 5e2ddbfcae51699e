"""Tools as ``ChatKimi`` sends them: a LangChain tool in Kimi's wire format, for requests
(``bind_tools``, ``tools=`` per call) and for token counts.

Functions, pydantic classes, ``BaseTool``s and dicts go through LangChain's
``convert_to_openai_tool``; Kimi's builtin ``$web_search`` passes through untouched and an
official tool (``KimiToolkit``) goes out exactly as its formula declares it. What a forced
``tool_choice`` becomes per model is the core's rule (``kimi_core.chat.tool_choice``).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_openai_tool

from kimi_core.integration import is_builtin_tool

__all__ = ["ToolLike", "format_tool", "tools_as_system_message"]

ToolLike = Mapping[str, Any] | type | Callable[..., Any] | BaseTool


def format_tool(tool: ToolLike) -> dict[str, Any]:
    """A tool in Kimi's wire format; builtin tools (``$web_search``) pass through untouched,
    and an official tool (``KimiToolkit``) goes out as its formula declares it."""
    if isinstance(tool, Mapping) and is_builtin_tool(tool):
        return dict(tool)
    definition = getattr(tool, "kimi_tool_definition", None)
    if isinstance(tool, BaseTool) and isinstance(definition, Mapping) and definition:
        return copy.deepcopy(dict(definition))
    return convert_to_openai_tool(tool)


def tools_as_system_message(tools: Sequence[ToolLike]) -> dict[str, Any]:
    """``tools`` as token counting sends them: Kimi's count endpoint takes messages only, so
    the tools are a system message holding their JSON (an approximation of how they reach
    the model)."""
    spec = json.dumps([format_tool(t) for t in tools], ensure_ascii=False)
    return {"role": "system", "content": spec}
