r"""Tool definitions and tool calls: names, Kimi's schema dialect, and its builtin tools.

- Names: a letter or ``_`` first, then letters, digits, ``-`` and ``_`` (checked before
  sending: certain and stable); the length and the number of tools are the server's to
  judge, their limits having moved in 2026 (``docs/kimi-api/chat.md``, "Tool calls").
- Parameters are a "Moonshot flavored JSON schema": ``kimi_core.chat.schema`` rewrites them
  into that dialect (``docs/kimi-api/schemas.md``), as it does ``response_format`` schemas.
- Kimi's builtin ``$web_search`` (``docs/kimi-api/chat.md``) is declared as
  ``{"type": "builtin_function", "function": {"name": "$web_search"}}`` and answered by the
  client (``kimi_core.chat.turn``): builtin call names start with ``$``. Moonshot announced
  its retirement for 2026-10-20; its REST replacements are ``client.tools``.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

from ..errors import InvalidParameterError
from ..wire.answer import is_builtin_call, tool_name
from .schema import normalize_schema

__all__ = [
    "TOOL_NAME",
    "WEB_SEARCH",
    "WEB_SEARCH_TOOL",
    "builtin_tool_message",
    "check_tools",
    "is_builtin_call",
    "is_builtin_tool",
    "normalize_parameters",
    "tool_name",
    "warn_web_search_retired",
]

TOOL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9\-_]*$")
"""Kimi's tool-name characters: a letter or ``_`` first, then letters, digits, ``-``, ``_``
(the same in every version of the spec). The length is the server's to judge: it went from
64 to 256 to 128 characters in 2026 (``docs/kimi-api/chat.md``, "Tool calls")."""

WEB_SEARCH = "$web_search"
WEB_SEARCH_TOOL: dict[str, Any] = {"type": "builtin_function", "function": {"name": WEB_SEARCH}}
WEB_SEARCH_RETIRED = (
    "Kimi's builtin $web_search was retired on 2026-10-20 (docs/kimi-api/official-tools.md); "
    "it keeps working only where a gateway still serves it. Search with the tools API "
    "instead: client.tools.search / search_pro / fetch, as tools for any model "
    "(langchain_kimi.KimiWebToolkit, llama_index_kimi.KimiWebToolSpec)."
)


def warn_web_search_retired(tools: Sequence[Mapping[str, Any]] | None, stacklevel: int = 3) -> None:
    """A ``DeprecationWarning`` (``WEB_SEARCH_RETIRED``) when ``tools`` binds the builtin
    ``$web_search``; the request is still sent as asked."""
    for tool in tools or ():
        if isinstance(tool, Mapping) and is_builtin_tool(tool):
            function = tool.get("function")
            if isinstance(function, Mapping) and function.get("name") == WEB_SEARCH:
                warnings.warn(WEB_SEARCH_RETIRED, DeprecationWarning, stacklevel=stacklevel)
                return


def is_builtin_tool(tool: Mapping[str, Any]) -> bool:
    """A tool definition of Kimi's builtin kind (``{"type": "builtin_function", ...}``)."""
    return tool.get("type") == "builtin_function"


def builtin_tool_message(call_id: str, name: str, arguments: str) -> dict[str, Any]:
    """The tool message answering a builtin call: its arguments, unchanged."""
    return {"role": "tool", "tool_call_id": call_id, "name": name, "content": arguments}


def check_tools(tools: Sequence[Any]) -> list[dict[str, Any]]:
    """The ``tools`` of a request, checked (names, count) and with their parameters in Kimi's
    schema dialect; raises ``InvalidParameterError`` naming the tool. Builtin tools pass."""
    checked: list[dict[str, Any]] = []
    for position, tool in enumerate(tools):
        if not isinstance(tool, Mapping):
            raise InvalidParameterError(
                f"tools[{position}] must be a tool definition (a dict), got {type(tool).__name__}",
                param="tools",
            )
        if is_builtin_tool(tool):
            checked.append(dict(tool))
            continue
        name = tool_name(tool)
        if not isinstance(name, str) or not TOOL_NAME.match(name):
            raise InvalidParameterError(
                f"tool name {name!r} is not accepted by Kimi: a name starts with a letter or _ "
                "and has only letters, digits, - and _",
                param="tools",
            )
        function = tool["function"]
        parameters = function.get("parameters")
        if isinstance(parameters, Mapping):
            normalized = normalize_schema(parameters)
            if normalized is not parameters:
                tool = {**tool, "function": {**function, "parameters": normalized}}
        checked.append(tool if isinstance(tool, dict) else dict(tool))
    return checked


normalize_parameters = normalize_schema
"""The name earlier releases used (``kimi_core.chat.schema.normalize_schema``)."""
