"""Placeholder values that satisfy a JSON schema, and the schema a prompt embeds.

Its own module because both :mod:`replies` (tool-call arguments, JSON mode) and :mod:`prompts`
(LlamaIndex ReAct "Tool Args") fill schemas, and :mod:`replies` imports :mod:`prompts`.

Placeholder values (:func:`value_from_schema`): ``const``, else ``default``, else the first
``enum`` value; ``anyOf``/``oneOf`` → the first non-null option; ``$ref`` to ``#/$defs/..`` or
``#/definitions/..`` is followed; object → every property filled; string → ``"<name>"`` (the
property name in angle brackets); integer/number → ``1`` (or ``minimum`` when larger);
boolean → ``true``; null → ``null``; array → never empty (unless ``maxItems`` is 0): when its
``items`` are a set of choices (an ``enum``, or ``anyOf``/``oneOf`` of ``const`` or one-value
``enum`` options, as
LangChain's ``LLMToolSelectorMiddleware`` declares its tool names), the choices sharing content
words with ``question`` (:mod:`relevance`; an option's ``const`` and ``description`` count),
most first, else the first choice; otherwise ``max(minItems, 1)`` copies of the item value;
at most ``maxItems`` items either way. ``question`` is the user's last message where the
caller has one (``""``: arrays of choices get their first choice).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from .relevance import relevance

__all__ = ["find_json_schema", "resolve_ref", "value_from_schema"]

_DECODER = json.JSONDecoder()


def resolve_ref(ref: str, root: Mapping[str, Any]) -> Any:
    for prefix in ("#/$defs/", "#/definitions/"):
        if ref.startswith(prefix):
            defs = root.get(prefix[2:-1])
            if isinstance(defs, Mapping):
                return defs.get(ref[len(prefix) :])
    return None


def _choices(items: Any, root: Mapping[str, Any]) -> list[tuple[Any, str]]:
    """``(value, text)`` per choice when ``items`` is a set of choices, else ``[]``."""
    if isinstance(items, Mapping) and isinstance(items.get("$ref"), str):
        items = resolve_ref(items["$ref"], root)
    if not isinstance(items, Mapping):
        return []
    enum = items.get("enum")
    if isinstance(enum, list) and enum:
        return [(value, str(value)) for value in enum]
    for key in ("anyOf", "oneOf"):
        options = items.get(key)
        if not isinstance(options, list):
            continue
        values = [_single(o) for o in options]
        if values and all(v is not _NONE for v in values):
            return [
                (value, f"{value} {option.get('description') or ''}")
                for value, option in zip(values, options, strict=True)
            ]
    return []


_NONE = object()


def _single(option: Any) -> Any:
    """The one value an option allows (``const``, or a one-value ``enum``), else ``_NONE``."""
    if not isinstance(option, Mapping):
        return _NONE
    if "const" in option:
        return option["const"]
    enum = option.get("enum")
    return enum[0] if isinstance(enum, list) and len(enum) == 1 else _NONE


def _array(
    schema: Mapping[str, Any], name: str, root: Mapping[str, Any], depth: int, question: str
) -> list[Any]:
    most = schema.get("maxItems")
    most = most if isinstance(most, int) and most >= 0 else None
    choices = _choices(schema.get("items"), root)
    if choices:
        scored = sorted(
            (-relevance(question, text), i) for i, (_, text) in enumerate(choices) if question
        )
        picked = [choices[i][0] for score, i in scored if score < 0] or [choices[0][0]]
        return picked[:most] if most is not None else picked
    count = schema.get("minItems")
    count = count if isinstance(count, int) and count > 0 else 1
    if most is not None:
        count = min(count, most)
    return [value_from_schema(schema.get("items"), name, root, depth + 1, question)] * count


def value_from_schema(
    schema: Any,
    name: str = "value",
    root: Mapping[str, Any] | None = None,
    depth: int = 0,
    question: str = "",
) -> Any:
    """A deterministic placeholder value that satisfies ``schema`` (module docstring)."""
    if not isinstance(schema, Mapping) or depth > 8:
        return f"<{name}>"
    root = schema if root is None else root
    ref = schema.get("$ref")
    if isinstance(ref, str):
        return value_from_schema(resolve_ref(ref, root), name, root, depth + 1, question)
    if "const" in schema:
        return schema["const"]
    if "default" in schema:
        return schema["default"]
    enum = schema.get("enum")
    if isinstance(enum, list) and enum:
        return enum[0]
    for key in ("anyOf", "oneOf", "allOf"):
        options = schema.get(key)
        if isinstance(options, list) and options:
            chosen = next(
                (o for o in options if not (isinstance(o, Mapping) and o.get("type") == "null")),
                options[0],
            )
            return value_from_schema(chosen, name, root, depth + 1, question)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    properties = schema.get("properties")
    if kind == "object" or isinstance(properties, Mapping):
        result: dict[str, Any] = {}
        if isinstance(properties, Mapping):
            for key, sub in properties.items():
                result[str(key)] = value_from_schema(sub, str(key), root, depth + 1, question)
        required = schema.get("required")
        if isinstance(required, list):
            for key in required:
                result.setdefault(str(key), f"<{key}>")
        return result
    if kind == "array":
        return _array(schema, name, root, depth, question)
    if kind in ("integer", "number"):
        minimum = schema.get("minimum")
        if isinstance(minimum, (int, float)) and not isinstance(minimum, bool) and minimum > 1:
            return int(minimum) if kind == "integer" else minimum
        return 1
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    return f"<{name}>"


def _schema_in(obj: Any, depth: int = 0) -> Mapping[str, Any] | None:
    if not isinstance(obj, Mapping) or depth > 3:
        return None
    if isinstance(obj.get("properties"), Mapping):
        return obj
    for key in ("schema", "parameters", "json_schema", "input_schema"):
        found = _schema_in(obj.get(key), depth + 1)
        if found is not None:
            return found
    return None


def find_json_schema(texts: Sequence[str]) -> Mapping[str, Any] | None:
    """The *last* JSON object with ``"properties"`` embedded in ``texts``, if any.

    The last one wins because prompts show examples first: LangChain's format instructions
    give an example schema (``{"properties": {"foo": ...}}``) before "Here is the output
    schema:". At most 200 ``{`` positions are tried per text.
    """
    last: Mapping[str, Any] | None = None
    for text in texts:
        if '"properties"' not in text:
            continue
        start = text.find("{")
        attempts = 0
        while start != -1 and attempts < 200:
            attempts += 1
            try:
                obj, end = _DECODER.raw_decode(text, start)
            except ValueError:
                start = text.find("{", start + 1)
                continue
            found = _schema_in(obj)
            if found is not None:
                last = found
            start = text.find("{", end)
    return last
