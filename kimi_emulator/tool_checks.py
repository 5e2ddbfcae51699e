"""The checks on ``tools`` and ``tool_choice`` of a chat request: names, count, the
"moonshot flavored" parameter schema, and which forced choices a model takes.

Split from :mod:`validation` (whose docstring lists every rule with its source) because the
schema walk is a concern of its own; :func:`validation.validate_chat` calls these in order.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from kimi_core.catalog.model_info import ModelInfo

from .errors import RequestError, bad_request

__all__ = [
    "MAX_TOOLS",
    "TOOL_NAME",
    "check_tool_choice",
    "check_tool_schema",
    "check_tools",
]

TOOL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9\-_]{2,63}$")
MAX_TOOLS = 128
SCHEMA_KEYWORDS = ("type", "anyOf", "oneOf", "allOf", "$ref", "enum", "const")
REF_PREFIXES = ("#/$defs/", "#/definitions/")
_MAX_SCHEMA_DEPTH = 64
MSG_REQUIRED_THINKING = "tool_choice 'required' is incompatible with thinking enabled"
MSG_REQUIRED_PLAIN = (
    'Invalid request: tool_choice "required" is not supported, use "auto" or "none"'
)
MSG_NAMED_THINKING = "tool_choice 'specified' is incompatible with thinking enabled"
SCHEMA_ERROR = (
    "Invalid request: tools.function.parameters is not a valid moonshot flavored json schema, "
    "details: <At path '{path}': {detail}>"
)


def _schema_error(path: str, detail: str) -> RequestError:
    return bad_request(SCHEMA_ERROR.format(path=path, detail=detail))


def _join(path: str, *parts: str) -> str:
    return ".".join([path, *parts]) if path else ".".join(parts)


def _resolves(ref: str, root: Mapping[str, Any]) -> bool:
    if not ref.startswith(REF_PREFIXES):
        return False
    node: Any = root
    for token in ref[2:].split("/"):
        token = token.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, Mapping) or token not in node:
            return False
        node = node[token]
    return isinstance(node, Mapping)


def _walk_schema(
    node: Any, path: str, root: Mapping[str, Any], needs_type: bool, depth: int
) -> None:
    if depth > _MAX_SCHEMA_DEPTH:
        return
    if not isinstance(node, Mapping):
        if needs_type:
            raise _schema_error(path, "type is not defined")
        return
    if "$ref" in node:
        ref = node["$ref"]
        if not isinstance(ref, str):
            raise _schema_error(path, "$ref must be a string")
        if not _resolves(ref, root):
            raise _schema_error(path, "$defs not found for reference")
    if needs_type and not any(key in node for key in SCHEMA_KEYWORDS):
        raise _schema_error(path, "type is not defined")
    properties = node.get("properties")
    if isinstance(properties, Mapping):
        for name, sub in properties.items():
            _walk_schema(sub, _join(path, "properties", str(name)), root, True, depth + 1)
    items = node.get("items")
    if isinstance(items, Mapping):
        _walk_schema(items, _join(path, "items"), root, True, depth + 1)
    for key in ("anyOf", "oneOf", "allOf"):
        options = node.get(key)
        if isinstance(options, list):
            for i, option in enumerate(options):
                _walk_schema(option, _join(path, key, str(i)), root, False, depth + 1)
    for key in ("$defs", "definitions"):
        defs = node.get(key)
        if isinstance(defs, Mapping):
            for name, sub in defs.items():
                _walk_schema(sub, _join(path, key, str(name)), root, False, depth + 1)
    extra = node.get("additionalProperties")
    if isinstance(extra, Mapping):
        _walk_schema(extra, _join(path, "additionalProperties"), root, False, depth + 1)


def check_tool_schema(parameters: Any) -> None:
    """Raise :class:`RequestError` for parameters that break the moonshot-flavored rules."""
    if not isinstance(parameters, Mapping) or parameters.get("type") != "object":
        raise _schema_error("", 'type is required and must be "object"')
    _walk_schema(parameters, "", parameters, False, 0)


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
                "^[a-zA-Z_][a-zA-Z0-9-_]{2,63}$"
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
