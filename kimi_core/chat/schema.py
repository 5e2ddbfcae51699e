"""JSON schemas in Moonshot's dialect (MFJS), for tools and ``response_format`` alike.

Kimi validates every tool's ``parameters`` and every ``response_format.json_schema.schema``
against its "Moonshot flavored JSON schema" and answers 400 for what breaks its structural
rules ("items must be an object", "when using anyOf, type should be defined in anyOf items",
"enum value (<nil>) does not match any type in [string]", "type is not defined", a root that is
not ``type: "object"``); keywords it does not support pass validation but leave the output
unconstrained. ``normalize_schema`` rewrites a schema into the dialect the way
``docs/kimi-api/schemas.md`` lays out, rule by rule, from MoonshotAI/walle's spec and
validator and the live 400s: references (1–2), combinators (3), ``nullable`` (4), ``const``
(5), types (6–8, 11–12), unsupported keywords (9), tuples (10), the root (14). It only
rewrites, never refuses: what it cannot fix goes as it is and the server's 400 becomes the
typed error. The caller's schema is never changed; an already conforming one comes back as
the same object.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["normalize_schema"]

_MAX_DEPTH = 32
_DEFS_PREFIX = "#/$defs/"
# Dropped outright (rule 9): annotations, applicators and checks MFJS does not support.
_UNSUPPORTED = frozenset(
    {
        "$schema",
        "$comment",
        "$anchor",
        "$dynamicRef",
        "$dynamicAnchor",
        "$vocabulary",
        "title",
        "examples",
        "deprecated",
        "readOnly",
        "writeOnly",
        "contentEncoding",
        "contentMediaType",
        "contentSchema",
        "unevaluatedItems",
        "unevaluatedProperties",
        "if",
        "then",
        "else",
        "not",
        "patternProperties",
        "dependentSchemas",
        "dependentRequired",
        "dependencies",
        "propertyNames",
        "contains",
        "minContains",
        "maxContains",
        "maxProperties",
        "minProperties",
        "additionalItems",
        "discriminator",
    }
)
# Kept, with their meaning moved into the description (rule 9).
_NOTED = {"format": "format: {}", "multipleOf": "multiple of {}", "uniqueItems": "unique items"}
# What each type may carry besides the common keywords (rule 12, walle's model.go).
_COMMON = frozenset({"type", "description", "enum", "default", "anyOf", "$ref", "$defs", "$id"})
_BY_TYPE = {
    "object": frozenset({"properties", "required", "additionalProperties"}),
    "array": frozenset({"items", "minItems", "maxItems"}),
    "string": frozenset({"minLength", "maxLength", "pattern"}),
    "number": frozenset({"minimum", "maximum"}),
    "integer": frozenset({"minimum", "maximum"}),
    "boolean": frozenset(),
    "null": frozenset(),
}
_HINTS = (
    ("object", ("properties", "required", "additionalProperties")),
    ("array", ("items", "minItems", "maxItems", "prefixItems")),
    ("string", ("minLength", "maxLength", "pattern")),
    ("number", ("minimum", "maximum")),
)
_SCALARS = ("string", "number", "integer", "boolean")


def normalize_schema(schema: Mapping[str, Any], *, root: bool = True) -> Mapping[str, Any]:
    """``schema`` in Moonshot's dialect (module docstring); ``root``: it is a whole tool or
    response schema, whose root must be an object."""
    defs = _definitions(schema)
    walker = _Walker(defs)
    body = {k: v for k, v in schema.items() if k not in ("$defs", "definitions")}
    result = walker.node(body, (), nested=not root)
    if root:
        result = _object_root(result)
    kept = {name: walker.node(defs[name], (name,)) for name in sorted(walker.kept_refs)}
    if kept:
        result = {**result, "$defs": kept}
    return schema if result == schema else result


def _definitions(schema: Mapping[str, Any]) -> dict[str, Any]:
    """Root ``$defs`` and ``definitions`` under one name each (a ``/`` in a name becomes
    ``_``: walle refuses it, rule 1)."""
    defs: dict[str, Any] = {}
    for key in ("definitions", "$defs"):
        found = schema.get(key)
        if isinstance(found, Mapping):
            for name, value in found.items():
                defs[str(name).replace("/", "_")] = value
    return defs


def _ref_name(ref: str) -> str | None:
    for prefix in (_DEFS_PREFIX, "#/definitions/"):
        if ref.startswith(prefix):
            return ref[len(prefix) :].replace("/", "_")
    return None


class _Walker:
    """One pass over a schema: the definitions to inline, and those a recursive reference
    keeps (rule 2)."""

    def __init__(self, defs: dict[str, Any]) -> None:
        self.defs = defs
        self.kept_refs: set[str] = set()

    def node(self, schema: Any, expanding: tuple[str, ...], *, nested: bool = True) -> Any:
        if not isinstance(schema, Mapping) or len(expanding) > _MAX_DEPTH:
            return schema
        ref = schema.get("$ref")
        if isinstance(ref, str):
            return self._reference(schema, ref, expanding, nested)
        node = _early_rewrites(dict(schema))
        if isinstance(node.get("allOf"), list):
            node = _merge_all_of(node, [self.node(b, expanding) for b in node.pop("allOf")])
        node = _tuple_items(node)
        node = _enum_types(node)
        node = _type_arrays(node)
        if isinstance(node.get("anyOf"), list):
            # The parent's type and keywords go into the branches first (rule 7), then each
            # branch is normalized as a schema of its own.
            node = _any_of(node)
            if "anyOf" in node:
                node["anyOf"] = [self.node(b, expanding) for b in node["anyOf"]]
                return node
            return self.node(node, expanding, nested=nested)
        self._children(node, expanding)
        if nested:
            node = _with_type(node)
        return _fit_to_type(node)

    def _reference(
        self, schema: Mapping[str, Any], ref: str, expanding: tuple[str, ...], nested: bool
    ) -> Any:
        name = _ref_name(ref)
        if name is None or name not in self.defs:
            return schema  # a remote or unknown reference: the server decides
        if name in expanding or _reaches(self.defs, name, name):
            self.kept_refs.add(name)
            kept = {"$ref": _DEFS_PREFIX + name}
            if isinstance(schema.get("description"), str):
                kept["description"] = schema["description"]
            return kept
        target = self.defs[name]
        if not isinstance(target, Mapping):
            return schema
        own = {k: v for k, v in schema.items() if k not in ("$ref", "type")}
        return self.node({**target, **own}, (*expanding, name), nested=nested)

    def _children(self, node: dict[str, Any], expanding: tuple[str, ...]) -> None:
        properties = node.get("properties")
        if isinstance(properties, Mapping):
            node["properties"] = {k: self.node(v, expanding) for k, v in properties.items()}
        items = node.get("items")
        if isinstance(items, Mapping):
            node["items"] = self.node(items, expanding)
        extra = node.get("additionalProperties")
        if isinstance(extra, Mapping) and extra:
            node["additionalProperties"] = self.node(extra, expanding)


def _reaches(defs: Mapping[str, Any], start: str, target: str) -> bool:
    """Whether definition ``start`` refers (transitively) to ``target``: a recursive type."""
    seen: set[str] = set()
    stack = [defs.get(start)]
    while stack:
        item = stack.pop()
        if isinstance(item, Mapping):
            ref = item.get("$ref")
            name = _ref_name(ref) if isinstance(ref, str) else None
            if name == target:
                return True
            if name is not None and name not in seen and name in defs:
                seen.add(name)
                stack.append(defs[name])
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def _note(node: dict[str, Any], text: str) -> None:
    described = node.get("description")
    node["description"] = f"{described} ({text})" if isinstance(described, str) else text


def _early_rewrites(node: dict[str, Any]) -> dict[str, Any]:
    """Rules 3 (``oneOf``), 4 (``nullable``), 5 (``const``) and 9 (unsupported keywords)."""
    if isinstance(node.get("oneOf"), list):
        node["anyOf"] = [*(node.get("anyOf") or []), *node.pop("oneOf")]
    if "const" in node:
        node["enum"] = [node.pop("const")]
    nullable = node.pop("nullable", None) is True
    for key in _UNSUPPORTED & node.keys():
        del node[key]
    for key, text in _NOTED.items():
        if key in node:
            value = node.pop(key)
            if value is not False:
                _note(node, text.format(value))
    _exclusive_bounds(node)
    node.pop("$id", None)  # only the root may carry it (rule 9)
    if nullable:
        node = _nullable(node)
    return node


def _exclusive_bounds(node: dict[str, Any]) -> None:
    for key, bound, step in (
        ("exclusiveMinimum", "minimum", 1),
        ("exclusiveMaximum", "maximum", -1),
    ):
        value = node.pop(key, None)
        if isinstance(value, bool) or not isinstance(value, int | float):
            continue
        if node.get("type") == "integer" and isinstance(value, int):
            node[bound] = value + step
        else:
            _note(node, f"{'greater' if step > 0 else 'less'} than {value}")


def _nullable(node: dict[str, Any]) -> dict[str, Any]:
    kind = node.get("type")
    if not isinstance(kind, str) or kind == "null":
        return node
    extra = set(node) - {"type", "description", "enum"}
    if not extra and "enum" not in node:
        return {**node, "type": [kind, "null"]}
    description = node.pop("description", None)
    merged: dict[str, Any] = {"anyOf": [node, {"type": "null"}]}
    if description is not None:
        merged["description"] = description
    return merged


def _merge_all_of(node: dict[str, Any], branches: list[Any]) -> dict[str, Any]:
    """Rule 3: ``allOf`` merged into its parent (object branches: properties and required
    joined); a branch that cannot be merged is noted in the description."""
    for branch in branches:
        if not isinstance(branch, Mapping):
            continue
        kind = branch.get("type")
        if kind not in (None, "object") and node.get("type") not in (None, kind):
            _note(node, f"also: {branch}")
            continue
        for key, value in branch.items():
            if key == "properties" and isinstance(value, Mapping):
                node["properties"] = {**(node.get("properties") or {}), **value}
            elif key == "required" and isinstance(value, list):
                node["required"] = list(dict.fromkeys([*(node.get("required") or []), *value]))
            elif key == "description" and "description" in node:
                _note(node, str(value))
            else:
                node.setdefault(key, value)
    return node


def _tuple_items(node: dict[str, Any]) -> dict[str, Any]:
    """Rule 10: tuple ``items`` (a list) or ``prefixItems`` -> one ``items`` schema (an
    ``anyOf`` of the distinct positions) and a fixed length."""
    positions = node.get("prefixItems")
    closed = node.get("items") is False or node.get("additionalItems") is False
    if not isinstance(positions, list):
        positions = node.get("items") if isinstance(node.get("items"), list) else None
    if positions is None:
        return node
    node.pop("prefixItems", None)
    node.pop("additionalItems", None)
    distinct: list[Any] = []
    for item in positions:
        if item not in distinct:
            distinct.append(item)
    if distinct:
        node["items"] = distinct[0] if len(distinct) == 1 else {"anyOf": distinct}
    else:
        node.pop("items", None)
    node.setdefault("type", "array")
    node["minItems"] = len(positions)
    if closed:
        node["maxItems"] = len(positions)
    types = ", ".join(
        str(p.get("type", "any")) if isinstance(p, Mapping) else "any" for p in positions
    )
    _note(node, f"tuple: [{types}]")
    return node


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _enum_types(node: dict[str, Any]) -> dict[str, Any]:
    """Rule 8: enum values of one declared scalar type; ``null`` goes into the type; mixed
    values split into an ``anyOf``; object or array values listed in the description."""
    values = node.get("enum")
    if not isinstance(values, list):
        return node
    if not values:
        del node["enum"]
        return node
    kinds = list(dict.fromkeys(_json_type(v) for v in values))
    if "integer" in kinds and "number" in kinds:
        kinds = [k for k in kinds if k != "integer"]
    if any(k in ("object", "array") for k in kinds):
        del node["enum"]
        _note(node, f"one of {values}")
        return node
    scalar = [k for k in kinds if k != "null"]
    nullable = "null" in kinds
    if len(scalar) == 1:
        node["type"] = [scalar[0], "null"] if nullable else scalar[0]
        return node
    branches: list[dict[str, Any]] = [
        {
            "type": kind,
            "enum": [
                v
                for v in values
                if _json_type(v) == kind or (kind == "number" and _json_type(v) == "integer")
            ],
        }
        for kind in scalar
    ]
    if nullable:
        branches.append({"type": "null"})
    rest = {k: v for k, v in node.items() if k in ("description",)}
    return {"anyOf": branches, **rest}


def _type_arrays(node: dict[str, Any]) -> dict[str, Any]:
    """Rule 11: a list of types beside other keywords -> an ``anyOf`` with one branch per
    type (``[T, "null"]`` with an enum stays, rule 8)."""
    kinds = node.get("type")
    if not isinstance(kinds, list):
        return node
    if len(kinds) == 1:
        node["type"] = kinds[0]
        return node
    extra = set(node) - {"type", "description", "$defs", "$id"}
    pair = len(kinds) == 2 and "null" in kinds and any(k in _SCALARS for k in kinds)
    if not extra or (pair and extra == {"enum"}):
        return node
    description = node.pop("description", None)
    branches = []
    for kind in kinds:
        allowed = _BY_TYPE.get(kind, frozenset()) | {"enum"} if kind != "null" else frozenset()
        branch = {"type": kind, **{k: v for k, v in node.items() if k in allowed}}
        branches.append(branch)
    merged: dict[str, Any] = {"anyOf": branches}
    if description is not None:
        merged["description"] = description
    return merged


def _any_of(node: dict[str, Any]) -> dict[str, Any]:
    """Rule 7: beside ``anyOf`` only ``description`` stays; a parent ``type`` and the
    keywords of that type move into each branch that lacks them; an empty ``anyOf`` goes, a
    one-branch one is folded into its parent."""
    branches = node.get("anyOf")
    if not isinstance(branches, list):
        return node
    if not branches:
        del node["anyOf"]
        return node
    parent = {k: v for k, v in node.items() if k not in ("anyOf", "description")}
    moved = []
    for branch in branches:
        if isinstance(branch, Mapping) and parent:
            branch = {**{k: v for k, v in parent.items() if k not in branch}, **branch}
            if "anyOf" in parent:
                branch.pop("anyOf", None)
        moved.append(branch)
    result: dict[str, Any] = {"anyOf": moved}
    if "description" in node:
        result["description"] = node["description"]
    if len(moved) == 1 and isinstance(moved[0], Mapping):
        single = dict(moved[0])
        if "description" in result and "description" not in single:
            single["description"] = result["description"]
        return single
    return result


def _with_type(node: dict[str, Any]) -> dict[str, Any]:
    """Rule 6: every nested schema declares its type (inferred, else ``"string"``, as
    Moonshot's own clients do); not beside ``anyOf`` or ``$ref``."""
    if "type" in node or "anyOf" in node or "$ref" in node:
        return node
    for kind, keys in _HINTS:
        if any(key in node for key in keys):
            return {**node, "type": kind}
    return {**node, "type": "string"}


def _fit_to_type(node: dict[str, Any]) -> dict[str, Any]:
    """Rule 12: keywords that fit the node's type only; ``required`` names declared
    properties; a ``minimum`` above its ``maximum`` goes (noted); ``default`` only on a
    scalar of its type."""
    kind = node.get("type")
    if not isinstance(kind, str) or kind not in _BY_TYPE:
        return node
    allowed = _COMMON | _BY_TYPE[kind]
    result = {k: v for k, v in node.items() if k in allowed}
    if "default" in result and (
        kind not in (*_SCALARS, "null") or not _fits(result["default"], kind)
    ):
        del result["default"]
    required = result.get("required")
    if isinstance(required, list):
        declared = result.get("properties") or {}
        result["required"] = [name for name in required if name in declared]
    for low, high in (("minimum", "maximum"), ("minLength", "maxLength"), ("minItems", "maxItems")):
        a, b = result.get(low), result.get(high)
        if isinstance(a, int | float) and isinstance(b, int | float) and a > b:
            del result[low], result[high]
            _note(result, f"{low} {a}, {high} {b}")
    extra = result.get("additionalProperties")
    if extra is not None and not isinstance(extra, bool | Mapping):
        del result["additionalProperties"]
    return result


def _fits(value: Any, kind: str) -> bool:
    found = _json_type(value)
    return found == kind or (kind == "number" and found == "integer")


def _object_root(node: Any) -> Any:
    """Rule 14: the root is ``type: "object"`` with no root union (an ``anyOf`` of object
    branches is merged into one object; a branch set that only constrains is dropped)."""
    if not isinstance(node, Mapping):
        return node
    node = dict(node)
    if not node:
        return {"type": "object", "properties": {}}
    branches = node.get("anyOf")
    if isinstance(branches, list) and all(
        isinstance(b, Mapping) and b.get("type") in (None, "object") for b in branches
    ):
        return _merged_union(node, branches)
    if "type" not in node:
        node["type"] = "object"
    return node


def _merged_union(node: dict[str, Any], branches: list[Mapping[str, Any]]) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    required: set[str] | None = None
    for branch in branches:
        for name, value in (branch.get("properties") or {}).items():
            current = properties.get(name)
            properties[name] = value if current is None else _union(current, value)
        names = set(branch.get("required") or [])
        required = names if required is None else required & names
    merged: dict[str, Any] = {"type": "object", "properties": properties}
    kept = [name for name in sorted(required or ()) if name in properties]
    if kept:
        merged["required"] = kept
    shapes = " | ".join(
        "{" + ", ".join(sorted((b.get("properties") or {}).keys())) + "}" for b in branches
    )
    description = node.get("description")
    merged["description"] = (f"{description} " if isinstance(description, str) else "") + (
        f"one of: {shapes}"
    )
    return merged


def _union(left: Any, right: Any) -> Any:
    """Two schemas of one property name in different branches: one enum of both where both
    are enums of the same type, else an ``anyOf`` of the two."""
    if left == right:
        return left
    if (
        isinstance(left, Mapping)
        and isinstance(right, Mapping)
        and isinstance(left.get("enum"), list)
        and isinstance(right.get("enum"), list)
        and left.get("type") == right.get("type")
    ):
        return {**left, "enum": list(dict.fromkeys([*left["enum"], *right["enum"]]))}
    return {"anyOf": [left, right]}
