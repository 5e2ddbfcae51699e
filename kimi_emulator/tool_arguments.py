"""The arguments a sensible model sends to a user's tool: taken from the conversation.

:func:`question_arguments` fills a tool's parameters schema from the user's words, on top of
the placeholder values of :mod:`schema_values`:

- a string parameter named like a place (``city``, ``location``, ``place``, ``town``,
  ``country``, ``region``, ``destination``, ``where``, also ``*_city`` / ``city_*`` ...), or
  described as one ("city", "location"): the first of :func:`relevance.places` of the last
  user message; when it names none ("how many people live *there*?"), of the earlier user
  messages, latest first; else of the arguments of earlier calls that had such a parameter;
  the placeholder only when the whole conversation names no place;
- a string parameter named like a query (``query``, ``question``, ``q``, ``search``,
  ``search_query``, ``text``, ``input``, ``prompt``): the last user message;
- ``integer`` / ``number`` parameters, in declaration order: the numbers of the last user
  message, in order (an ``integer`` parameter takes the whole part), while they last;
- a handoff tool's agent and reason: see :mod:`handoffs`;
- anything else: the placeholder value (:func:`schema_values.value_from_schema`, arrays of
  choices holding the ones relevant to the last user message).

Structured-output tools (:func:`choice.structured_output_tools`) are not filled this way: they
are the answer's format, filled by :mod:`schema_values`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from .handoffs import handoff_arguments, is_handoff
from .relevance import numbers, places
from .schema_values import value_from_schema
from .tokens import content_text
from .turn import hint_target

__all__ = ["PLACE_NAMES", "QUERY_NAMES", "question_arguments", "remembered_place"]


def _word_set(text: str) -> frozenset[str]:
    """The whitespace-separated words of ``text``."""
    return frozenset(text.split())


PLACE_NAMES = _word_set(
    "city location place town country region destination where city_name location_name place_name"
)
QUERY_NAMES = frozenset(
    ["query", "question", "q", "search", "search_query", "text", "input", "prompt"]
)
_PLACE_DESCRIPTION = re.compile(r"\b(city|location|town|country|place)\b", re.I)

Messages = Sequence[Mapping[str, Any]]


def _is_place(name: str, schema: Mapping[str, Any]) -> bool:
    lowered = name.lower()
    parts = set(re.split(r"[_\-]", lowered))
    if lowered in PLACE_NAMES or parts & {"city", "location", "town", "country"}:
        return True
    description = schema.get("description")
    return isinstance(description, str) and bool(_PLACE_DESCRIPTION.search(description))


def _call_places(messages: Messages) -> list[str]:
    found = []
    for message in reversed(messages):
        for call in message.get("tool_calls") or ():
            function = call.get("function") if isinstance(call, Mapping) else None
            raw = function.get("arguments") if isinstance(function, Mapping) else None
            try:
                arguments = json.loads(raw) if isinstance(raw, str) else {}
            except ValueError:
                continue
            if isinstance(arguments, dict):
                for key, value in arguments.items():
                    if isinstance(value, str) and _is_place(key, {}) and not value.startswith("<"):
                        found.append(value)
    return found


def remembered_place(messages: Messages) -> str | None:
    """The place the conversation is about: named by the latest user message that names one,
    else by an earlier call's place argument (module docstring)."""
    for message in reversed(messages):
        if message.get("role") == "user" and hint_target(message) is None:
            named = places(content_text(message.get("content")))
            if named:
                return named[0]
    called = _call_places(messages)
    return called[0] if called else None


def question_arguments(
    schema: Any, messages: Messages, question: str, name: str = "", description: str = ""
) -> dict[str, Any]:
    """Arguments for ``schema`` (a tool's ``parameters``) from the conversation (docstring)."""
    value = value_from_schema(schema, question=question) if isinstance(schema, Mapping) else {}
    if not isinstance(value, dict) or not isinstance(schema, Mapping):
        return {}
    if is_handoff(name):
        return handoff_arguments(value, description, question)
    properties = schema.get("properties")
    if not isinstance(properties, Mapping):
        return value
    asked_numbers = numbers(question)
    for name, sub in properties.items():
        sub = sub if isinstance(sub, Mapping) else {}
        kind = sub.get("type")
        if "enum" in sub or "const" in sub:
            continue
        if kind == "string" or (kind is None and isinstance(value.get(name), str)):
            if _is_place(str(name), sub):
                place = remembered_place(messages)
                if place is not None:
                    value[name] = place
            elif str(name).lower() in QUERY_NAMES and question:
                value[name] = question
        elif kind in ("integer", "number") and asked_numbers:
            number = asked_numbers.pop(0)
            value[name] = int(number) if kind == "integer" else number
    return value
