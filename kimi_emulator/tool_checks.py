"""The checks on ``tools`` and ``tool_choice`` of a chat request: names, count, the
"moonshot flavored" parameter schema (:mod:`mfjs`), and which forced choices a model takes.

Split from :mod:`validation` (whose docstring lists every rule with its source);
:func:`validation.validate_chat` calls these in order. Tool names follow Kimi's current
pattern ``^[a-zA-Z_][a-zA-Z0-9-_]{0,127}$`` (1 to 128 characters: ``ls`` is fine) [official:
the ``ToolDefinition`` pattern of Moonshot's OpenAPI, ``platform.kimi.ai/docs/openapi.json`` as
mirrored by the generated SDK ``tryAGI/Moonshot``, and the Chat Completions page, September
2026; it was ``{2,63}`` until August 2026].
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from kimi_core.catalog.model_info import ModelInfo

from .errors import bad_request
from .mfjs import TOOLS_FIELD, check_schema

__all__ = [
    "MAX_TOOLS",
    "TOOL_NAME",
    "TOOL_NAME_PATTERN",
    "check_tool_choice",
    "check_tool_schema",
    "check_tools",
]

TOOL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9\-_]{0,127}$")
TOOL_NAME_PATTERN = "^[a-zA-Z_][a-zA-Z0-9-_]{0,127}$"
MAX_TOOLS = 128
MSG_REQUIRED_THINKING = "tool_choice 'required' is incompatible with thinking enabled"
MSG_REQUIRED_PLAIN = (
    'Invalid request: tool_choice "required" is not supported, use "auto" or "none"'
)
MSG_NAMED_THINKING = "tool_choice 'specified' is incompatible with thinking enabled"


def check_tool_schema(parameters: Any) -> None:
    """Raise :class:`RequestError` for parameters that break the moonshot-flavored rules
    (:mod:`mfjs`)."""
    check_schema(parameters, TOOLS_FIELD)


def _tool_name(tool: Mapping[str, Any]) -> str | None:
    function = tool.get("function")
    name = function.get("name") if isinstance(function, Mapping) else None
    return name if isinstance(name, str) else None


def check_tools(body: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The request's tools, checked (``[]`` when it sends none)."""
    tools = body.get("tools")
    if tools is None:
        return []
    if not isinstance(tools, list):
        raise bad_request("Invalid request: tools must be a list")
    if len(tools) > MAX_TOOLS:
        raise bad_request(f"Invalid request: too many tools: {len(tools)} > {MAX_TOOLS}")
    for i, tool in enumerate(tools):
        if not isinstance(tool, dict):
            raise bad_request(f"Invalid request: tools[{i}] must be an object")
        kind = tool.get("type")
        name = _tool_name(tool)
        if kind == "builtin_function":
            if not name:
                raise bad_request(f"Invalid request: tools[{i}].function.name is required")
            continue
        if kind != "function":
            raise bad_request(f"Invalid request: tools[{i}].type {kind!r} is not supported")
        if name is None or not TOOL_NAME.match(name):
            raise bad_request(
                f"Invalid request: tools[{i}].function.name {name!r} must match "
                + TOOL_NAME_PATTERN
            )
        function = tool["function"]
        if "parameters" in function and function["parameters"] is not None:
            check_tool_schema(function["parameters"])
    return tools


def check_tool_choice(
    body: Mapping[str, Any], info: ModelInfo, thinks: bool, tools: list[dict[str, Any]]
) -> Any:
    """The request's ``tool_choice``, checked against the model's support while it thinks."""
    choice = body.get("tool_choice")
    if choice is None or choice in ("auto", "none"):
        return choice
    if choice == "required":
        if info.tool_choice.required(thinks):
            return choice
        raise bad_request(MSG_REQUIRED_THINKING if thinks else MSG_REQUIRED_PLAIN)
    if isinstance(choice, Mapping) and choice.get("type") == "function":
        wanted = _tool_name(choice)
        if wanted is not None:
            if thinks and not info.tool_choice.named(thinks):
                raise bad_request(MSG_NAMED_THINKING)
            if not any(_tool_name(tool) == wanted for tool in tools):
                raise bad_request(
                    f"Invalid request: tool_choice function {wanted!r} is not found in tools"
                )
            return choice
    raise bad_request(f"Invalid request: tool_choice {choice!r} is not supported")
