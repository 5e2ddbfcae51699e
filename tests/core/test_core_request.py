"""prepare_chat_payload: normalising and checking a request before it is sent."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from kimi_core import InvalidParameterError
from kimi_core.chat.request import FORCED_TOOL_HINT, prepare_chat_payload, thinking_param

USER = {"role": "user", "content": "Weather in Paris?"}
NO_ARGS = {"type": "object", "properties": {}}
WEATHER = {"type": "function", "function": {"name": "get_weather", "parameters": NO_ARGS}}
TIME = {"type": "function", "function": {"name": "get_time", "parameters": NO_ARGS}}
ANY_HINT = {"role": "user", "content": FORCED_TOOL_HINT.format(target="one of the provided tools")}


def base(**fields: Any) -> dict[str, Any]:
    return {"model": "kimi-k2-0905-preview", "messages": [USER], **fields}


def test_none_values_dropped() -> None:
    payload = base(temperature=None, max_tokens=None, top_p=0.3)
    assert prepare_chat_payload(payload) is payload
    assert payload == base(top_p=0.3)


@pytest.mark.parametrize(
    ("value", "sent"),
    [
        (True, {"type": "enabled"}),
        (False, {"type": "disabled"}),
        ({"type": "disabled"}, {"type": "disabled"}),
    ],
)
def test_thinking_bool_mapping(value: Any, sent: dict[str, str]) -> None:
    assert prepare_chat_payload(base(model="kimi-k2.6", thinking=value))["thinking"] == sent
    assert thinking_param(value) == sent


def test_thinking_none_is_not_sent() -> None:
    assert "thinking" not in prepare_chat_payload(base(thinking=None))
    assert thinking_param(None) is None


@pytest.mark.parametrize("model", ["kimi-k2.6", "kimi-k2.5"])
def test_thinking_off_changes_the_k2_temperature_check(model: str) -> None:
    strict = {"model": model, "messages": [USER], "strict_sampling": True}
    # The fixed value itself is fine (and, fixed, not sent: the model applies it anyway).
    assert "temperature" not in prepare_chat_payload(
        {**strict, "thinking": False, "temperature": 0.6}
    )
    with pytest.raises(InvalidParameterError) as caught:
        prepare_chat_payload({**strict, "temperature": 0.6})
    assert caught.value.param == "temperature"


def test_stop_strings_per_gateway() -> None:
    five = ["a", "b", "c", "d", "e"]
    assert prepare_chat_payload(base(stop=list(five)))["stop"] == five
    with pytest.raises(InvalidParameterError) as caught:
        prepare_chat_payload(base(stop=[*five, "f"]))
    assert caught.value.param == "stop"
    assert str(caught.value) == "Kimi accepts at most 5 stop sequences here, got 6"
    # Cloudsway documents 4.
    assert prepare_chat_payload(base(stop=five[:4]), dialect="cloudsway")["stop"] == five[:4]
    with pytest.raises(InvalidParameterError, match="at most 4 stop sequences here, got 5"):
        prepare_chat_payload(base(stop=list(five)), dialect="cloudsway")
    with pytest.raises(InvalidParameterError, match="at most 32 bytes") as caught:
        prepare_chat_payload(base(stop=["北京" * 6]))  # 36 bytes
    assert caught.value.param == "stop"
    with pytest.raises(InvalidParameterError, match="a list of strings"):
        prepare_chat_payload(base(stop=[1]))


def test_n_at_most_five() -> None:
    assert prepare_chat_payload(base(n=5))["n"] == 5
    with pytest.raises(InvalidParameterError) as caught:
        prepare_chat_payload(base(n=6))
    assert caught.value.param == "n"


def test_messages_and_model_required() -> None:
    with pytest.raises(InvalidParameterError) as caught:
        prepare_chat_payload({"model": "m", "messages": []})
    assert caught.value.param == "messages"
    with pytest.raises(InvalidParameterError) as caught:
        prepare_chat_payload({"messages": [USER]})
    assert caught.value.param == "model"
    assert prepare_chat_payload({"messages": [USER]}, model_optional=True) == {"messages": [USER]}


def test_partial_needs_assistant_last() -> None:
    prefix = {"role": "assistant", "content": "Once upon", "partial": True}
    assert prepare_chat_payload(base(messages=[USER, prefix]))["messages"] == [USER, prefix]
    with pytest.raises(InvalidParameterError) as caught:
        prepare_chat_payload(base(messages=[{**USER, "partial": True}]))
    assert caught.value.param == "messages"


def test_partial_with_json_object_rejected() -> None:
    prefix = {"role": "assistant", "content": "{", "partial": True}
    with pytest.raises(InvalidParameterError) as caught:
        prepare_chat_payload(base(messages=[USER, prefix], response_format={"type": "json_object"}))
    assert caught.value.param == "response_format"


@pytest.mark.parametrize("choice", ["required", "any", True])
def test_forced_tool_choice_becomes_auto_plus_hint(choice: Any) -> None:
    original = base(tools=[WEATHER, TIME], tool_choice=choice)
    snapshot = copy.deepcopy(original)
    payload = dict(original)
    prepare_chat_payload(payload)
    assert payload == {
        "model": "kimi-k2-0905-preview",
        "messages": [USER, ANY_HINT],
        "tools": [WEATHER, TIME],
        "tool_choice": "auto",
    }
    assert original == snapshot  # the caller's messages list is not mutated


@pytest.mark.parametrize(
    "choice",
    ["get_time", {"type": "function", "function": {"name": "get_time"}}, {"name": "get_time"}],
)
def test_named_tool_choice_keeps_only_that_tool(choice: Any) -> None:
    payload = prepare_chat_payload(base(tools=[WEATHER, TIME], tool_choice=choice))
    assert payload["tools"] == [TIME]
    assert payload["tool_choice"] == "auto"
    assert payload["messages"] == [
        USER,
        {"role": "user", "content": FORCED_TOOL_HINT.format(target="the tool `get_time`")},
    ]
    assert payload["messages"][-1]["content"] == (
        "You must answer this turn by calling the tool `get_time`; do not reply with plain text."
    )


def test_hint_goes_before_a_trailing_partial_message() -> None:
    prefix = {"role": "assistant", "content": "Calling", "partial": True}
    payload = prepare_chat_payload(
        base(messages=[USER, prefix], tools=[WEATHER], tool_choice="required")
    )
    assert payload["messages"] == [USER, ANY_HINT, prefix]


def test_unknown_tool_name() -> None:
    with pytest.raises(InvalidParameterError) as caught:
        prepare_chat_payload(base(tools=[WEATHER, TIME], tool_choice="get_stock"))
    assert caught.value.param == "tool_choice"
    assert str(caught.value) == (
        "tool_choice names 'get_stock', which is not among the tools (get_weather, get_time)"
    )


def test_forced_choice_without_tools() -> None:
    with pytest.raises(InvalidParameterError) as caught:
        prepare_chat_payload(base(tool_choice="required"))
    assert caught.value.param == "tool_choice"
    assert "needs tools" in str(caught.value)


def test_unsupported_tool_choice_shape() -> None:
    with pytest.raises(InvalidParameterError) as caught:
        prepare_chat_payload(base(tools=[WEATHER], tool_choice={"type": "function"}))
    assert caught.value.param == "tool_choice"


@pytest.mark.parametrize("choice", ["none", "auto"])
def test_none_and_auto_untouched(choice: str) -> None:
    payload = prepare_chat_payload(base(tools=[WEATHER, TIME], tool_choice=choice))
    assert payload == base(tools=[WEATHER, TIME], tool_choice=choice)


def test_false_tool_choice_means_none() -> None:
    payload = prepare_chat_payload(base(tools=[WEATHER], tool_choice=False))
    assert payload == base(tools=[WEATHER], tool_choice="none")
