"""Content parts, JSON-mode helpers and builtin tools (small shared helpers of the adapters)."""

from __future__ import annotations

import json

import pytest

from kimi_core import InvalidParameterError, MalformedResponseError
from kimi_core.chat.content import image_part, image_url_from_base64, text_part
from kimi_core.chat.structured import JSON_OBJECT, json_schema_instruction, parse_json_object
from kimi_core.chat.tools import (
    WEB_SEARCH_TOOL,
    builtin_tool_message,
    is_builtin_call,
    is_builtin_tool,
)


def test_text_and_image_parts() -> None:
    assert text_part("hi") == {"type": "text", "text": "hi"}
    url = image_url_from_base64(b"\x89PNG", "image/png")
    assert url == "data:image/png;base64,iVBORw=="
    assert image_url_from_base64("QUJD", "image/jpeg") == "data:image/jpeg;base64,QUJD"
    assert image_part(url) == {"type": "image_url", "image_url": {"url": url}}
    assert image_part("ms://cqh9") == {"type": "image_url", "image_url": {"url": "ms://cqh9"}}


def test_plain_image_url_refused() -> None:
    with pytest.raises(InvalidParameterError) as caught:
        image_part("https://example.com/cat.png")
    assert caught.value.param == "image_url"
    assert "'https://example.com/cat.png'" in str(caught.value)


def test_json_schema_instruction() -> None:
    schema = {"title": "Person", "type": "object", "properties": {"name": {"type": "string"}}}
    text = json_schema_instruction(schema)
    assert text.startswith("Reply with a single JSON object for Person that conforms")
    assert text.endswith("JSON schema:\n" + json.dumps(schema))
    assert "for Employee that" in json_schema_instruction(schema, name="Employee")
    assert "for the answer that" in json_schema_instruction({"type": "object"})
    assert JSON_OBJECT == {"type": "json_object"}


@pytest.mark.parametrize(
    "text",
    ['{"a": 1}', '  {"a": 1}\n', '```json\n{"a": 1}\n```', '```\n{"a": 1}\n```'],
)
def test_parse_json_object(text: str) -> None:
    assert parse_json_object(text) == {"a": 1}


def test_parse_json_object_errors() -> None:
    with pytest.raises(MalformedResponseError, match="not valid JSON"):
        parse_json_object("{nope")
    with pytest.raises(MalformedResponseError, match="not a JSON object"):
        parse_json_object("[1, 2]")


def test_builtin_tools() -> None:
    assert WEB_SEARCH_TOOL == {"type": "builtin_function", "function": {"name": "$web_search"}}
    assert is_builtin_tool(WEB_SEARCH_TOOL) is True
    assert is_builtin_tool({"type": "function", "function": {"name": "f"}}) is False
    assert is_builtin_call("$web_search") is True
    assert is_builtin_call("get_weather") is False
    assert is_builtin_call(None) is False
    assert builtin_tool_message("$web_search:0", "$web_search", '{"q": "kimi"}') == {
        "role": "tool",
        "tool_call_id": "$web_search:0",
        "name": "$web_search",
        "content": '{"q": "kimi"}',
    }
