r"""Tool definitions and tool calls: names, Kimi's schema dialect, and its builtin tools.

- Names must match ``^[a-zA-Z_][a-zA-Z0-9-_]{2,63}$``, at most 128 tools a request
  (``docs/kimi-api/chat.md``, "Tool calls"): checked before sending.
- Parameters are a "moonshot flavored JSON schema" (``docs/kimi-api/models.md`` §11): Kimi
  answers 400 for a property without ``type``, a ``type`` next to ``anyOf``, keywords that
  conflict after ``$ref`` expansion, a root that is not ``type: "object"``.
  ``normalize_parameters`` rewrites a schema into that dialect the way Moonshot's own client
  does (kimi-code ``kimi-schema.ts``): local ``$ref``\ s inlined (the referring site's own
  keywords win), a parent ``type`` moved into each ``anyOf``/``oneOf`` branch (an equivalent
  schema), a ``type`` inferred from ``properties`` / ``items`` / ``enum`` / ``const``, and,
  as kimi-code does, ``"string"`` for a property whose type cannot be inferred. No other
  keyword is dropped; a recursive ``$ref`` is kept as it is.
- Kimi's builtin ``$web_search`` (``docs/kimi-api/chat.md``) is declared as
  ``{"type": "builtin_function", "function": {"name": "$web_search"}}`` and answered by the
  client (``kimi_core.chat.turn``): builtin call names start with ``$``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from ..errors import InvalidParameterError
from ..wire.answer import is_builtin_call, tool_name

__all__ = [
    "MAX_TOOLS",
    "TOOL_NAME",
    "WEB_SEARCH",
    "WEB_SEARCH_TOOL",
    "builtin_tool_message",
    "check_tools",
    "is_builtin_call",
    "is_builtin_tool",
    "normalize_parameters",
    "tool_name",
]

TOOL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9\-_]{2,63}$")
MAX_TOOLS = 128

WEB_SEARCH = "$web_search"
WEB_SEARCH_TOOL: dict[str, Any] = {"type": "builtin_function", "function": {"name": WEB_SEARCH}}


def is_builtin_tool(tool: Mapping[str, Any]) -> bool:
    """A tool definition of Kimi's builtin kind (``{"type": "builtin_function", ...}``)."""
    return tool.get("type") == "builtin_function"


def builtin_tool_message(call_id: str, name: str, arguments: str) -> dict[str, Any]:
    """The tool message answering a builtin call: its arguments, unchanged."""
    return {"role": "tool", "tool_call_id": call_id, "name": name, "content": arguments}


def check_tools(tools: Sequence[Any]) -> list[dict[str, Any]]:
    """The ``tools`` of a request, checked (names, count) and with their parameters in Kimi's
    schema dialect; raises ``InvalidParameterError`` naming the tool. Builtin tools pass."""
    if len(tools) > MAX_TOOLS:
        raise InvalidParameterError(
            f"Kimi accepts at most {MAX_TOOLS} tools a request, got {len(tools)}", param="tools"
        )
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
                f"tool name {name!r} is not accepted by Kimi: names match "
                "^[a-zA-Z_][a-zA-Z0-9-_]{2,63}$ (a letter or _ first, 3 to 64 characters)",
                param="tools",
            )
        function = tool["function"]
        parameters = function.get("parameters")
        if isinstance(parameters, Mapping):
            normalized = normalize_parameters(parameters)
            if normalized is not parameters:
                tool = {**tool, "function": {**function, "parameters": normalized}}
        checked.append(tool if isinstance(tool, dict) else dict(tool))
    return checked


_COMBINATORS = ("anyOf", "oneOf", "allOf")
_MAX_DEPTH = 32


def normalize_parameters(schema: Mapping[str, Any]) -> Mapping[str, Any]:
    """``schema`` in Kimi's schema dialect (module docstring); the same object when it
    already is."""
    definitions: dict[str, Any] = {}
    for key in ("$defs", "definitions"):
        found = schema.get(key)
        if isinstance(found, Mapping):
            definitions.update({f"#/{key}/{name}": value for name, value in found.items()})
    walk = _Walk(definitions)
    normalized = walk.schema(schema, (), root=True)
    if walk.refs_left:
        return normalized  # recursive references: keep the definitions they point to
    if any(key in normalized for key in ("$defs", "definitions")):
        normalized = {k: v for k, v in normalized.items() if k not in ("$defs", "definitions")}
    return normalized


def _infer_type(schema: Mapping[str, Any]) -> str | None:
    if isinstance(schema.get("properties"), Mapping):
        return "object"
    if "items" in schema:
        return "array"
    values = schema.get("enum")
    if not isinstance(values, list):
        values = [schema["const"]] if "const" in schema else None
    if values:
        kinds = {_json_type(value) for value in values}
        if len(kinds) == 1:
            return kinds.pop()
        if kinds == {"integer", "number"}:
            return "number"
    return None


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, Mapping):
        return "object"
    return "null"


class _Walk:
    """One recursive pass of ``normalize_parameters`` over a schema: ``$ref`` definitions to
    inline, the references being expanded (a recursion guard), and whether a recursive
    ``$ref`` had to be kept."""

    def __init__(self, definitions: Mapping[str, Any]) -> None:
        self.definitions = definitions
        self.refs_left = False

    def schema(
        self,
        schema: Mapping[str, Any],
        expanding: tuple[str, ...],
        *,
        root: bool = False,
        property_schema: bool = False,
    ) -> Mapping[str, Any]:
        """``schema`` in Kimi's dialect: the same object when nothing changed, else a copy."""
        if len(expanding) > _MAX_DEPTH:
            self.refs_left = True
            return schema
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref in self.definitions:
            if ref in expanding:
                self.refs_left = True  # recursive: left as a reference
                return schema
            target = self.definitions[ref]
            if isinstance(target, Mapping):
                merged = {**target, **{k: v for k, v in schema.items() if k != "$ref"}}
                return self.schema(
                    merged, (*expanding, ref), root=root, property_schema=property_schema
                )
        changes: dict[str, Any] = {}
        self._children(schema, expanding, changes)
        parent_type = schema.get("type")
        for key in _COMBINATORS:
            parent_type = self._branches(schema, key, parent_type, expanding, root, changes)
        final = _applied(schema, changes)
        if root:
            if "type" not in final:
                changes["type"] = "object"
        elif (
            "type" not in final
            and "$ref" not in final
            and not any(key in final for key in _COMBINATORS)
        ):
            inferred = _infer_type(final)
            if inferred is None and property_schema:
                inferred = "string"  # as Moonshot's kimi-code does for an untyped property
            if inferred is not None:
                changes["type"] = inferred
        return _applied(schema, changes)

    def _children(
        self, schema: Mapping[str, Any], expanding: tuple[str, ...], changes: dict[str, Any]
    ) -> None:
        """``properties`` and ``items``, each normalized as a property schema."""
        properties = schema.get("properties")
        if isinstance(properties, Mapping):
            new_properties: dict[str, Any] | None = None
            for name, value in properties.items():
                if not isinstance(value, Mapping):
                    continue
                normalized = self.schema(value, expanding, property_schema=True)
                if normalized is not value:
                    if new_properties is None:
                        new_properties = dict(properties)
                    new_properties[name] = normalized
            if new_properties is not None:
                changes["properties"] = new_properties
        items = schema.get("items")
        if isinstance(items, Mapping):
            normalized = self.schema(items, expanding, property_schema=True)
            if normalized is not items:
                changes["items"] = normalized

    def _branches(
        self,
        schema: Mapping[str, Any],
        key: str,
        parent_type: Any,
        expanding: tuple[str, ...],
        root: bool,
        changes: dict[str, Any],
    ) -> Any:
        """The ``key`` combinator's branches normalized; a parent ``type`` moves into each
        ``anyOf`` / ``oneOf`` branch (the root keeps its type: it must be an object).
        Returns the parent type left (None once moved)."""
        branches = schema.get(key)
        if not isinstance(branches, list):
            return parent_type
        move_type = parent_type is not None and key != "allOf" and not root
        new_branches = []
        branch_changed = False
        for branch in branches:
            if not isinstance(branch, Mapping):
                new_branches.append(branch)
                continue
            normalized = self.schema(branch, expanding)
            if move_type and "type" not in normalized:
                normalized = {**normalized, "type": parent_type}
            branch_changed = branch_changed or normalized is not branch
            new_branches.append(normalized)
        if branch_changed:
            changes[key] = new_branches
        if move_type:
            changes["type"] = _DROPPED
            return None
        return parent_type


# Marks a key removed from a schema (``_Walk``): the parent's ``type`` moved into its branches.
_DROPPED = object()


def _applied(schema: Mapping[str, Any], changes: Mapping[str, Any]) -> Mapping[str, Any]:
    """``schema`` with ``changes`` (``_DROPPED`` values removed); itself when none."""
    if not changes:
        return schema
    return {k: v for k, v in {**schema, **changes}.items() if v is not _DROPPED}
