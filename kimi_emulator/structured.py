"""Structured answers (a structured-output tool's arguments, JSON mode, ``json_schema``) that fit
the prompt, not only the schema.

:func:`structured_value` fills a schema, in this order:

1. **Selections** - the last user message is a LlamaIndex selector prompt (see
   :mod:`prompts`) and the schema is ``PydanticSingleSelector``'s (``index`` and ``reason``)
   or ``PydanticMultiSelector``'s (``selections``: a list of them): the selector's choices
   (:func:`prompts.selector_answers`: the most relevant first), ``index`` 1-based as in the
   prompt.
2. **Knowledge graph** - the schema has a ``triplets`` array whose items have ``subject``,
   ``relation`` and ``object`` (``SchemaLLMPathExtractor``'s ``KGSchema``): per triplet of the
   text (:func:`listings.text_triplets`; the text between the prompt's ``-------`` lines, else
   the last user message), the relation type is the ``enum`` value sharing the most words with
   the predicate (the first on ties); the entity types are unknown to the emulator, so the
   triplet is offered under every (subject type, object type) pair of the entity ``enum`` - the
   extractor keeps the pairs its validation schema allows. Names as written in the text.
3. Otherwise :func:`schema_values.value_from_schema` with the last user message as the
   question (arrays are never empty; arrays of choices hold the relevant choices).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .listings import text_triplets
from .prompts import selector_answers
from .relevance import relevance
from .schema_values import resolve_ref, value_from_schema

__all__ = ["structured_value"]


def _resolved(schema: Any, root: Mapping[str, Any]) -> Mapping[str, Any]:
    if isinstance(schema, Mapping) and isinstance(schema.get("$ref"), str):
        schema = resolve_ref(schema["$ref"], root)
    return schema if isinstance(schema, Mapping) else {}


def _properties(schema: Any, root: Mapping[str, Any]) -> Mapping[str, Any]:
    properties = _resolved(schema, root).get("properties")
    return properties if isinstance(properties, Mapping) else {}


def _selections(schema: Mapping[str, Any], prompt: str) -> Any:
    answers = selector_answers(prompt)
    if answers is None:
        return None
    properties = _properties(schema, schema)
    picked = [{"index": a["choice"], "reason": a["reason"]} for a in answers]
    if {"index", "reason"} <= set(properties):
        return picked[0]
    selections = properties.get("selections")
    item = _resolved(selections.get("items"), schema) if isinstance(selections, Mapping) else {}
    if {"index", "reason"} <= set(_properties(item, schema)):
        return {"selections": picked}
    return None


def _enum(schema: Any, root: Mapping[str, Any], field: str) -> list[Any]:
    values = _properties(schema, root).get(field)
    enum = values.get("enum") if isinstance(values, Mapping) else None
    return list(enum) if isinstance(enum, list) and enum else []


def _knowledge_graph(schema: Mapping[str, Any], prompt: str) -> Any:
    triplets = _properties(schema, schema).get("triplets")
    item = _resolved(triplets.get("items"), schema) if isinstance(triplets, Mapping) else {}
    parts = _properties(item, schema)
    if not {"subject", "relation", "object"} <= set(parts):
        return None
    entity_types = _enum(parts["subject"], schema, "type") or ["ENTITY"]
    relation_types = _enum(parts["relation"], schema, "type") or ["RELATED_TO"]
    pieces = prompt.split("-------")
    text = pieces[1] if len(pieces) >= 3 else prompt
    found = []
    for subject, predicate, obj in text_triplets(text):
        scores = [relevance(predicate, str(r).replace("_", " ")) for r in relation_types]
        relation = relation_types[scores.index(max(scores))]
        for subject_type in entity_types:
            for object_type in entity_types:
                found.append(
                    {
                        "subject": {"type": subject_type, "name": subject},
                        "relation": {"type": relation},
                        "object": {"type": object_type, "name": obj},
                    }
                )
    return {"triplets": found}


def structured_value(schema: Mapping[str, Any], prompt: str) -> Any:
    """A value for ``schema`` that fits ``prompt`` (the last user message; module docstring)."""
    for shape in (_selections, _knowledge_graph):
        value = shape(schema, prompt)
        if value is not None:
            return value
    return value_from_schema(schema, question=prompt)
