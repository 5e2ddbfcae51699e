"""The framework-free chat rules both adapters use: request messages, answer reading, the
builtin-tool loop. Exact objects throughout."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from kimi_core.catalog.prices import cost_for
from kimi_core.chat.accumulator import StreamAccumulator
from kimi_core.chat.messages import (
    assistant_message,
    finish_partial,
    system_message,
    tool_call,
    tool_message,
    user_message,
)
from kimi_core.chat.request import build_chat_request, sampling_values
from kimi_core.chat.turn import ChatTurn, RoundReader
from kimi_core.errors import MalformedResponseError, ToolLoopError
from kimi_core.types import ChatCompletion
from kimi_core.wire.answer import (
    Answer,
    answer_choices,
    completion_usage,
    decode_arguments,
    message_reasoning,
    message_text,
    message_tool_calls,
)

SEARCH = {"type": "builtin_function", "function": {"name": "$web_search"}}


# -- request messages -----------------------------------------------------------------------


def test_message_constructors() -> None:
    call = tool_call("f:0", "f", {"city": "北京"})
    assert call == {
        "id": "f:0",
        "type": "function",
        "function": {"name": "f", "arguments": '{"city": "北京"}'},
    }
    assert tool_call("f:1", "f", "{oops")["function"]["arguments"] == "{oops"
    assert tool_call("f:2", "f", None)["function"]["arguments"] == "{}"
    assert assistant_message("Hi", reasoning="Greeting.") == {"role": "assistant", "content": "Hi"}
    assert assistant_message("", reasoning="", tool_calls=[call], name="bot") == {
        "role": "assistant",
        "content": "",
        "tool_calls": [call],
        "reasoning_content": "",  # an empty reasoning is still sent on a tool-call turn
        "name": "bot",
    }
    assert "reasoning_content" not in assistant_message("", tool_calls=[call])
    assert tool_message("f:0", "sunny", "f") == {
        "role": "tool",
        "tool_call_id": "f:0",
        "content": "sunny",
        "name": "f",
    }
    assert system_message("Be brief.") == {"role": "system", "content": "Be brief."}
    assert user_message("q", "alice") == {"role": "user", "content": "q", "name": "alice"}


def test_partial_prefix_is_marked_only_on_a_trailing_assistant_without_calls() -> None:
    messages = [user_message("Hi"), assistant_message("Dear user,")]
    assert finish_partial(messages) == "Dear user,"
    assert messages[-1]["partial"] is True
    calls = [user_message("Hi"), assistant_message("", tool_calls=[tool_call("f:0", "f", {})])]
    assert finish_partial(calls) is None
    assert "partial" not in calls[-1]
    assert finish_partial([user_message("Hi")]) is None
    assert finish_partial([]) is None


def test_build_chat_request_layers_defaults_overrides_and_the_schema_instruction() -> None:
    class Settings:
        def __init__(self) -> None:
            self.temperature = 0.3
            self.top_p = None
            self.stop = ("x",)

    assert sampling_values(Settings()) == {"temperature": 0.3, "stop": ("x",)}
    schema = {"title": "City", "type": "object", "properties": {"name": {"type": "string"}}}
    # moonshot-v1 takes no json_schema: JSON mode with the schema in a system message.
    payload = build_chat_request(
        [system_message("Be brief."), user_message("Paris?")],
        {"model": "moonshot-v1-8k", "temperature": 0.3},
        {
            "temperature": None,
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": "City", "schema": schema},
            },
        },
    )
    assert payload["temperature"] is None  # unset by the call (dropped when sent)
    assert payload["response_format"] == {"type": "json_object"}
    assert [m["role"] for m in payload["messages"]] == ["system", "system", "user"]
    assert json.dumps(schema) in payload["messages"][1]["content"]


# -- reading answers -------------------------------------------------------------------------


def test_message_readers_accept_every_gateway_shape() -> None:
    assert message_text({"content": "a"}) == "a"
    assert message_text({"content": [{"type": "text", "text": "a"}, {"type": "x"}]}) == "a"
    assert message_text({}) == ""
    assert message_reasoning({"reasoning_content": "r", "reasoning": "twin"}) == "r"
    assert message_reasoning({"reasoning": "twin"}) == "twin"
    assert message_reasoning({}) is None
    assert message_tool_calls({"tool_calls": [{"id": "f:0", "function": {"name": "f"}}]}) == [
        {"id": "f:0", "type": "function", "function": {"name": "f", "arguments": ""}}
    ]


def test_usage_and_price_are_read_where_the_gateway_puts_them() -> None:
    inner = {"prompt_tokens": 1_000_000, "completion_tokens": 0, "total_tokens": 1_000_000}
    assert completion_usage({"choices": [{"usage": inner}]}) is inner
    assert completion_usage({"usage": {"prompt_tokens": 1}, "choices": [{"usage": inner}]}) == {
        "prompt_tokens": 1
    }
    assert completion_usage({"choices": []}) is None
    # A gateway's own model name is priced as the requested catalog model.
    cost = cost_for(inner, "MaaS_Kimi_K2.5_20260127", "kimi-k2.6")
    assert cost is not None
    assert (cost.amount, cost.currency) == (Decimal("0.95"), "USD")
    assert cost_for(inner, "nobody-knows", "nor-this") is None


def test_decode_arguments_names_what_is_wrong() -> None:
    assert decode_arguments('{"a": 1}') == {"a": 1}
    assert decode_arguments("  ") == {}
    assert decode_arguments("[1]") == "arguments are not a JSON object"
    error = decode_arguments("{oops")
    assert isinstance(error, str)
    assert error.startswith("arguments are not valid JSON: ")


def test_answer_choices_join_rounds_add_the_prefix_and_hide_builtin_calls() -> None:
    wire = {
        "choices": [
            {
                "message": {
                    "content": "world",
                    "reasoning_content": "Second.",
                    "tool_calls": [
                        {"id": "$web_search:0", "function": {"name": "$web_search"}},
                        {"id": "f:1", "function": {"name": "f", "arguments": "{}"}},
                    ],
                },
                "finish_reason": "tool_calls",
            },
            {"message": {"content": "other"}, "finish_reason": "stop"},
        ]
    }
    first, second = answer_choices(
        wire, prefix="P: ", text_before="hello", reasoning_before="First."
    )
    assert first == Answer(
        "P: hello\n\nworld",
        "First.\n\nSecond.",
        [{"id": "f:1", "type": "function", "function": {"name": "f", "arguments": "{}"}}],
        "tool_calls",
    )
    assert second == Answer("P: other", None, [], "stop")
    with pytest.raises(MalformedResponseError, match="no choices"):
        answer_choices({"id": "c", "choices": []})


# -- the builtin-tool loop -------------------------------------------------------------------


def _completion(message: dict[str, Any], usage: dict[str, int] | None = None) -> ChatCompletion:
    body: dict[str, Any] = {
        "id": "c",
        "model": "kimi-k2.6",
        "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
    }
    if usage is not None:
        body["usage"] = usage
    return ChatCompletion.from_wire(body)


def _search_call(i: int = 0) -> dict[str, Any]:
    return {
        "id": f"$web_search:{i}",
        "type": "builtin_function",
        "function": {"name": "$web_search", "arguments": '{"q": 1}'},
    }


def test_the_loop_answers_builtin_calls_and_keeps_the_partial_prefix_last() -> None:
    payload = {
        "model": "kimi-k2.6",
        "tools": [SEARCH],
        "messages": [user_message("news?"), {**assistant_message("So"), "partial": True}],
    }
    loop = ChatTurn(payload, prefix="So", max_rounds=2)
    searched = _completion(
        {"content": "", "reasoning_content": "Search.", "tool_calls": [_search_call()]},
        {"prompt_tokens": 10, "completion_tokens": 1, "total_tokens": 11},
    )
    assert loop.add(searched) is True
    assert payload["messages"][1]["role"] == "assistant"  # the caller's payload is not changed
    assert loop.payload["messages"][1:] == [
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [_search_call()],
            "reasoning_content": "Search.",
        },
        {
            "role": "tool",
            "tool_call_id": "$web_search:0",
            "name": "$web_search",
            "content": '{"q": 1}',
        },
        {"role": "assistant", "content": "So", "partial": True},
    ]
    answer = _completion(
        {"content": " it is.", "reasoning_content": "Found."},
        {"prompt_tokens": 30, "completion_tokens": 2, "total_tokens": 32, "cached_tokens": 5},
    )
    assert loop.add(answer) is False
    assert loop.done
    assert loop.usage == {
        "prompt_tokens": 40,
        "completion_tokens": 3,
        "total_tokens": 43,
        "cached_tokens": 5,
    }
    assert loop.answers() == [Answer("So it is.", "Search.\n\nFound.", [], "stop")]
    cost = loop.cost()
    assert cost is not None
    assert cost.amount == (Decimal(35) * Decimal("0.95") + 5 * Decimal("0.16") + 3 * 4) / 10**6


def test_the_loop_stops_at_its_round_limit() -> None:
    loop = ChatTurn({"model": "kimi-k2.6", "messages": [user_message("x")]}, max_rounds=1)
    assert loop.add(_completion({"content": "", "tool_calls": [_search_call()]})) is True
    with pytest.raises(ToolLoopError, match="max_builtin_tool_rounds=1"):
        loop.add(_completion({"content": "", "tool_calls": [_search_call()]}))


def test_a_stream_round_is_read_as_the_user_sees_it() -> None:
    reader = RoundReader(text_gap=True, reasoning_gap=True)
    state = StreamAccumulator()

    def read(chunk: dict[str, Any]) -> tuple[Any, ...]:
        state.add_chunk(chunk)
        return reader.read(chunk)

    def delta(**fields: Any) -> dict[str, Any]:
        return {"choices": [{"index": 0, "delta": fields}]}

    assert read({"choices": [], "usage": {"prompt_tokens": 1}}) == (
        "",
        "",
        None,
        None,
        {"prompt_tokens": 1},
    )
    assert read(delta(reasoning_content="R")) == ("", "\n\nR", None, None, None)
    assert read(delta(reasoning_content="S")) == ("", "S", None, None, None)
    assert read(delta(content="T")) == ("\n\nT", "", None, None, None)
    builtin = {"index": 0, "id": "$web_search:0", "function": {"name": "$web_search"}}
    assert read(delta(tool_calls=[builtin])) == ("", "", None, None, None)
    assert reader.only_builtin_calls(state)
    user = {"index": 1, "id": "f:1", "function": {"name": "f", "arguments": ""}}
    assert read(delta(tool_calls=[user])) == ("", "", [user], None, None)
    assert read(delta(tool_calls=[{"index": 0, "function": {"arguments": "{}"}}])) == (
        "",
        "",
        None,
        None,
        None,
    )
    assert not reader.only_builtin_calls(state)
    assert [c["id"] for c in reader.visible_calls(state)] == ["f:1"]
    finish = {"choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]}
    assert read(finish) == ("", "", None, "tool_calls", None)
