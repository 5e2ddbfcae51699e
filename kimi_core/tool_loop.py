"""Kimi's builtin tools, answered by the client itself (``$web_search``).

Per Moonshot's docs (kimi-api-facts.md, "Builtin web search"): declare
``{"type": "builtin_function", "function": {"name": "$web_search"}}``; the model answers with
``finish_reason: tool_calls`` and a call of that tool; the client appends the assistant message,
then a tool message whose content is the call's arguments unchanged, and asks again. The
search runs on Moonshot's side and its results count as input tokens.
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
]

WEB_SEARCH = "$web_search"
WEB_SEARCH_TOOL: dict[str, Any] = {"type": "builtin_function", "function": {"name": WEB_SEARCH}}


def is_builtin_tool(tool: Mapping[str, Any]) -> bool:
    """A tool definition of Kimi's builtin kind (``{"type": "builtin_function", ...}``)."""
    return tool.get("type") == "builtin_function"


def is_builtin_call(name: str | None) -> bool:
    """A tool call the client answers itself: builtin names start with ``$``."""
    return name is not None and name.startswith("$")


def builtin_tool_message(call_id: str, name: str, arguments: str) -> dict[str, Any]:
    """The tool message answering a builtin call: its arguments, unchanged."""
    return {"role": "tool", "tool_call_id": call_id, "name": name, "content": arguments}
