"""Tool definitions and tool calls: their names, and Kimi's builtin tools.

Kimi's builtin ``$web_search`` (``docs/kimi-api/chat.md``, "Builtin web search") is declared
as ``{"type": "builtin_function", "function": {"name": "$web_search"}}`` and answered by the
client (``kimi_core.tool_loop``): builtin call names start with ``$``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = [
    "WEB_SEARCH",
    "WEB_SEARCH_TOOL",
    "builtin_tool_message",
    "is_builtin_call",
    "is_builtin_tool",
    "tool_name",
]

WEB_SEARCH = "$web_search"
WEB_SEARCH_TOOL: dict[str, Any] = {"type": "builtin_function", "function": {"name": WEB_SEARCH}}


def tool_name(item: Mapping[str, Any]) -> str | None:
    """The function name of a tool definition or a tool call (``item["function"]["name"]``)."""
    function = item.get("function")
    return function.get("name") if isinstance(function, Mapping) else None


def is_builtin_tool(tool: Mapping[str, Any]) -> bool:
    """A tool definition of Kimi's builtin kind (``{"type": "builtin_function", ...}``)."""
    return tool.get("type") == "builtin_function"


def is_builtin_call(name: str | None) -> bool:
    """A tool call the client answers itself: builtin names start with ``$``."""
    return name is not None and name.startswith("$")


def builtin_tool_message(call_id: str, name: str, arguments: str) -> dict[str, Any]:
    """The tool message answering a builtin call: its arguments, unchanged."""
    return {"role": "tool", "tool_call_id": call_id, "name": name, "content": arguments}
