"""Moonshot's schema dialect (MFJS): one rule, one test (docs/kimi-api/schemas.md), for tool
parameters and ``response_format`` schemas alike."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from kimi_core.chat.request import prepare_chat_payload
from kimi_core.chat.schema import normalize_schema

USER = [{"role": "user", "content": "hi"}]


def n(schema: dict[str, Any]) -> Any:
    return normalize_schema(schema)


def test_rule_1_definitions_become_defs_refs_rewritten() -> None:
    recursive = {
        "type": "object",
        "properties": {"node": {"$ref": "#/definitions/Node"}},
        "definitions": {
            "Node": {
                "type": "object",
                "properties": {"next": {"$ref": "#/definitions/Node"}},
            }
        },
    }
    assert n(recursive) == {
        "type": "object",
        "properties": {"node": {"$ref": "#/$defs/Node"}},
        "$defs": {"Node": {"type": "object", "properties": {"next": {"$ref": "#/$defs/Node"}}}},
    }


def test_rule_2_non_recursive_refs_are_inlined_the_outer_description_kept() -> None:
    schema = {
        "type": "object",
        "properties": {"u": {"$ref": "#/$defs/U", "type": "object", "description": "user"}},
        "$defs": {"U": {"type": "object", "properties": {"n": {"type": "string"}}}},
    }
    assert n(schema) == {
        "type": "object",
        "properties": {
            "u": {"type": "object", "description": "user", "properties": {"n": {"type": "string"}}}
        },
    }


def test_rule_3_one_of_becomes_any_of_and_all_of_is_merged() -> None:
    assert n(
        {
            "type": "object",
            "properties": {"v": {"oneOf": [{"type": "string"}, {"type": "integer"}]}},
        }
    ) == {
        "type": "object",
        "properties": {"v": {"anyOf": [{"type": "string"}, {"type": "integer"}]}},
    }
    merged = n(
        {
            "allOf": [
                {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]},
                {"properties": {"b": {"type": "integer"}}},
            ]
        }
    )
    assert merged == {
        "type": "object",
        "properties": {"a": {"type": "string"}, "b": {"type": "integer"}},
        "required": ["a"],
    }


def test_rule_4_nullable_becomes_a_null_type() -> None:
    schema = {
        "type": "object",
        "properties": {
            "a": {"type": "string", "nullable": True},
            "b": {"type": "string", "nullable": True, "maxLength": 10},
        },
    }
    assert n(schema)["properties"] == {
        "a": {"type": ["string", "null"]},
        "b": {"anyOf": [{"type": "string", "maxLength": 10}, {"type": "null"}]},
    }


def test_rule_5_const_becomes_a_one_value_enum() -> None:
    assert n({"type": "object", "properties": {"op": {"const": "add"}}})["properties"] == {
        "op": {"enum": ["add"], "type": "string"}
    }


def test_rule_6_every_nested_schema_declares_a_type() -> None:
    schema = {"type": "object", "properties": {"mode": {"enum": ["a", "b"]}, "meta": {}}}
    assert n(schema)["properties"] == {
        "mode": {"enum": ["a", "b"], "type": "string"},
        "meta": {"type": "string"},
    }


def test_rule_7_a_parent_type_beside_any_of_moves_into_the_branches() -> None:
    schema = {
        "type": "object",
        "properties": {
            "v": {
                "type": "string",
                "anyOf": [{"enum": ["a"]}, {"minLength": 3}],
                "description": "d",
            }
        },
    }
    assert n(schema)["properties"]["v"] == {
        "anyOf": [{"type": "string", "enum": ["a"]}, {"type": "string", "minLength": 3}],
        "description": "d",
    }


def test_rule_8_enums_of_one_type_null_in_the_type_mixed_split() -> None:
    schema = {
        "type": "object",
        "properties": {
            "db": {"type": "string", "enum": ["a", "b", None]},
            "mixed": {"enum": ["auto", 1, 2, None]},
            "nums": {"enum": [1, 2.5]},
            "empty": {"type": "string", "enum": []},
        },
    }
    assert n(schema)["properties"] == {
        "db": {"type": ["string", "null"], "enum": ["a", "b", None]},
        "mixed": {
            "anyOf": [
                {"type": "string", "enum": ["auto"]},
                {"type": "integer", "enum": [1, 2]},
                {"type": "null"},
            ]
        },
        "nums": {"type": "number", "enum": [1, 2.5]},
        "empty": {"type": "string"},
    }


def test_rule_9_unsupported_keywords_go_their_meaning_kept_in_the_description() -> None:
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "title": "Args",
        "properties": {
            "url": {"type": "string", "format": "uri", "examples": ["https://a"]},
            "n": {"type": "integer", "exclusiveMinimum": 0, "multipleOf": 2},
            "tags": {"type": "array", "items": {"type": "string"}, "uniqueItems": True},
        },
    }
    assert n(schema) == {
        "type": "object",
        "properties": {
            "url": {"type": "string", "description": "format: uri"},
            "n": {"type": "integer", "description": "multiple of 2", "minimum": 1},
            "tags": {"type": "array", "items": {"type": "string"}, "description": "unique items"},
        },
    }


def test_rule_10_tuples_become_one_items_schema_with_a_fixed_length() -> None:
    schema = {
        "type": "object",
        "properties": {
            "pair": {"type": "array", "items": [{"type": "string"}, {"type": "number"}]},
            "closed": {"type": "array", "prefixItems": [{"type": "string"}], "items": False},
        },
    }
    assert n(schema)["properties"] == {
        "pair": {
            "type": "array",
            "items": {"anyOf": [{"type": "string"}, {"type": "number"}]},
            "minItems": 2,
            "description": "tuple: [string, number]",
        },
        "closed": {
            "type": "array",
            "items": {"type": "string"},
            "minItems": 1,
            "maxItems": 1,
            "description": "tuple: [string]",
        },
    }


def test_rule_11_a_type_list_with_other_keywords_becomes_any_of() -> None:
    schema = {
        "type": "object",
        "properties": {"id": {"type": ["string", "integer"], "minLength": 1, "description": "id"}},
    }
    assert n(schema)["properties"]["id"] == {
        "anyOf": [{"type": "string", "minLength": 1}, {"type": "integer"}],
        "description": "id",
    }


def test_rule_12_keywords_fit_their_type_and_required_names_declared_properties() -> None:
    schema = {
        "type": "object",
        "properties": {"a": {"type": "number", "minLength": 1, "maxItems": 3}},
        "required": ["a", "ghost"],
    }
    assert n(schema) == {
        "type": "object",
        "properties": {"a": {"type": "number"}},
        "required": ["a"],
    }


def test_rule_14_the_root_is_an_object_without_a_union() -> None:
    union = {
        "anyOf": [
            {
                "type": "object",
                "properties": {"kind": {"const": "a"}, "x": {"type": "string"}},
                "required": ["kind", "x"],
            },
            {
                "type": "object",
                "properties": {"kind": {"const": "b"}, "y": {"type": "integer"}},
                "required": ["kind", "y"],
            },
        ]
    }
    assert n(union) == {
        "type": "object",
        "properties": {
            "kind": {"enum": ["a", "b"], "type": "string"},
            "x": {"type": "string"},
            "y": {"type": "integer"},
        },
        "required": ["kind"],
        "description": "one of: {kind, x} | {kind, y}",
    }
    assert n({}) == {"type": "object", "properties": {}}
    assert n({"properties": {"a": {"type": "string"}}}) == {
        "properties": {"a": {"type": "string"}},
        "type": "object",
    }


def test_a_conforming_schema_comes_back_as_the_same_object_and_inputs_are_untouched() -> None:
    schema = {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]}
    assert normalize_schema(schema) is schema
    messy = {"type": "object", "properties": {"p": {"items": [{"type": "string"}]}}}
    before = copy.deepcopy(messy)
    normalize_schema(messy)
    assert messy == before


@pytest.mark.parametrize("normalize_twice", [True])
def test_normalizing_twice_changes_nothing(normalize_twice: bool) -> None:
    schema = {
        "type": "object",
        "properties": {"v": {"enum": ["x", 1, None]}, "t": {"items": [{"type": "string"}]}},
    }
    once = normalize_schema(schema)
    assert normalize_schema(once) == once


def test_response_format_schemas_are_normalized_like_tool_schemas() -> None:
    schema = {
        "type": "object",
        "properties": {
            "pair": {"type": "array", "items": [{"type": "string"}, {"type": "string"}]}
        },
    }
    response_format = {"type": "json_schema", "json_schema": {"name": "R", "schema": schema}}
    sent = prepare_chat_payload(
        {"model": "kimi-k3", "messages": USER, "response_format": response_format}
    )["response_format"]
    assert sent["json_schema"]["schema"]["properties"]["pair"] == {
        "type": "array",
        "items": {"type": "string"},
        "minItems": 2,
        "description": "tuple: [string, string]",
    }
    assert response_format["json_schema"]["schema"] is schema  # the caller's dict unchanged
