"""The "moonshot flavored JSON schema" (MFJS) checks on tool parameters and on
``response_format.json_schema`` (Moonshot's dialects: moonshot, acedata, cloudsway).

Every refusal is 400 ``invalid_request_error`` with Moonshot's wrapper, exactly as the live API
words it (docs/kimi-api/schemas.md, "Tests"; the live messages are in its rules 6, 7, 8, 10
and 14)::

    Invalid request: <field> is not a valid moonshot flavored json schema,
    details: <At path '<path>': <detail>>

(one line, a space after the comma). ``<field>`` is ``tools.function.parameters`` or
``response_format.json_schema``; ``<path>`` is the dotted path from the root
(``properties.pair.items``), ``root`` for the root itself, with ``anyOf`` branch indices
dropped (walle's ``errors.go``: ``anyOf{...}`` -> ``anyOf``). The rules, in the order
they are checked at each node:

- the root is not an object with ``type: "object"``: no wrapper, ``Invalid request:
  <field>.type is required and must be "object"`` (live for tools, root without ``type``;
  assumed for ``response_format`` and for a root of another type);
- ``$ref`` not a string: "$ref must be a string"; a ``$ref`` that does not start with
  ``#/$defs/`` or ``#/definitions/`` or does not resolve in the root: "$defs not found for
  reference" (both assumed wordings);
- ``type`` beside ``anyOf``: "when using anyOf, type should be defined in anyOf items instead
  of the parent schema" (live: ``properties.skill``, and ``root``);
- a schema under ``properties`` or ``items`` (any depth) with none of ``type``, ``anyOf``,
  ``$ref`` (nor ``oneOf``, ``allOf``, ``enum``, ``const``, accepted here): "type is not
  defined" (live: kimi-cli#2030). An ``enum`` without ``type`` is accepted although one live
  report (pi-hindsight#550, Kimi Code's endpoint) saw it refused with this message: the
  earlier emulator accepted it and its tests say so (the client adds the type anyway);
- an ``enum`` value that matches none of the node's types, at path ``<node>.enum``: "enum
  value (<v>) does not match any type in [<types>]", ``<v>`` printed as Go prints it
  (``<nil>`` for null) and the types space-separated (live: ``enum value (<nil>) does not
  match any type in [string]``);
- ``items`` that is a list (a tuple), at path ``<node>.items``: "items must be an object"
  (live, ``response_format``).

Children are checked after their parent: ``properties``, ``items``, ``anyOf`` / ``oneOf`` /
``allOf`` branches (which need no ``type`` of their own, assumed), ``$defs`` /
``definitions``, ``additionalProperties``; nesting deeper than 64 levels is not checked.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .errors import RequestError, bad_request

__all__ = ["RESPONSE_FIELD", "TOOLS_FIELD", "check_schema"]

TOOLS_FIELD = "tools.function.parameters"
RESPONSE_FIELD = "response_format.json_schema"
WRAPPER = (
    "Invalid request: {field} is not a valid moonshot flavored json schema, "
    "details: <At path '{path}': {detail}>"
)
ROOT_TYPE = 'Invalid request: {field}.type is required and must be "object"'
MSG_ANY_OF_TYPE = (
    "when using anyOf, type should be defined in anyOf items instead of the parent schema"
)
TYPE_KEYWORDS = ("type", "anyOf", "$ref", "oneOf", "allOf", "enum", "const")
REF_PREFIXES = ("#/$defs/", "#/definitions/")
MAX_DEPTH = 64


class _Walk:
    def __init__(self, root: Mapping[str, Any], field: str) -> None:
        self.root = root
        self.field = field

    def error(self, path: str, detail: str) -> RequestError:
        return bad_request(WRAPPER.format(field=self.field, path=path or "root", detail=detail))

    def node(self, node: Any, path: str, needs_type: bool, depth: int) -> None:
        if depth > MAX_DEPTH:
            return
        if not isinstance(node, Mapping):
            if needs_type:
                raise self.error(path, "type is not defined")
            return
        self.ref(node, path)
        if "anyOf" in node and "type" in node:
            raise self.error(path, MSG_ANY_OF_TYPE)
        if needs_type and not any(key in node for key in TYPE_KEYWORDS):
            raise self.error(path, "type is not defined")
        self.enum(node, path)
        self.children(node, path, depth)

    def ref(self, node: Mapping[str, Any], path: str) -> None:
        if "$ref" not in node:
            return
        ref = node["$ref"]
        if not isinstance(ref, str):
            raise self.error(path, "$ref must be a string")
        if not _resolves(ref, self.root):
            raise self.error(path, "$defs not found for reference")

    def enum(self, node: Mapping[str, Any], path: str) -> None:
        values = node.get("enum")
        kind = node.get("type")
        kinds = [kind] if isinstance(kind, str) else kind
        if not isinstance(values, list) or not isinstance(kinds, list):
            return
        for value in values:
            if not any(_matches(value, k) for k in kinds):
                shown = " ".join(str(k) for k in kinds)
                detail = f"enum value ({_go(value)}) does not match any type in [{shown}]"
                raise self.error(_join(path, "enum"), detail)

    def children(self, node: Mapping[str, Any], path: str, depth: int) -> None:
        properties = node.get("properties")
        if isinstance(properties, Mapping):
            for name, sub in properties.items():
                self.node(sub, _join(path, "properties", str(name)), True, depth + 1)
        items = node.get("items")
        if isinstance(items, list):
            raise self.error(_join(path, "items"), "items must be an object")
        if isinstance(items, Mapping):
            self.node(items, _join(path, "items"), True, depth + 1)
        for key in ("anyOf", "oneOf", "allOf"):
            options = node.get(key)
            for option in options if isinstance(options, list) else ():
                self.node(option, _join(path, key), False, depth + 1)
        for key in ("$defs", "definitions"):
            defs = node.get(key)
            if isinstance(defs, Mapping):
                for name, sub in defs.items():
                    self.node(sub, _join(path, key, str(name)), False, depth + 1)
        extra = node.get("additionalProperties")
        if isinstance(extra, Mapping):
            self.node(extra, _join(path, "additionalProperties"), False, depth + 1)


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


def _matches(value: Any, kind: Any) -> bool:
    if kind == "null":
        return value is None
    if kind == "string":
        return isinstance(value, str)
    if kind == "boolean":
        return isinstance(value, bool)
    if isinstance(value, bool):
        return False
    if kind == "integer":
        return isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    if kind == "number":
        return isinstance(value, int | float)
    if kind == "object":
        return isinstance(value, Mapping)
    if kind == "array":
        return isinstance(value, list)
    return True  # a type MFJS does not know: another rule's business


def _go(value: Any) -> str:
    """``value`` as Go's ``%v`` prints the decoded JSON value."""
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def check_schema(schema: Any, field: str = TOOLS_FIELD) -> None:
    """Raise :class:`RequestError` for a schema that breaks the rules of the module
    docstring; ``field`` names it in the message (:data:`TOOLS_FIELD`,
    :data:`RESPONSE_FIELD`)."""
    if not isinstance(schema, Mapping) or schema.get("type") != "object":
        raise bad_request(ROOT_TYPE.format(field=field))
    _Walk(schema, field).node(schema, "", False, 0)
