"""The late-2026 models' rules in the core: thinking per kind, tool choice per model,
json_schema, max_completion_tokens, local input checks and wire hygiene. Every refusal is
checked before anything is sent; exact payloads throughout."""

from __future__ import annotations

import copy
import warnings
from typing import Any

import pytest

from kimi_core import InvalidParameterError
from kimi_core.catalog.model_info import CATALOG, current_models, get_model_info, retirement_hint
from kimi_core.chat.messages import shorten_tool_call_id
from kimi_core.chat.request import FORCED_TOOL_HINT, build_chat_request, prepare_chat_payload
from kimi_core.chat.structured import json_mode_format, json_schema_format
from kimi_core.chat.thinking import keeps_reasoning

USER = {"role": "user", "content": "Weather in Paris?"}
NO_ARGS = {"type": "object", "properties": {}}
WEATHER = {"type": "function", "function": {"name": "get_weather", "parameters": NO_ARGS}}
TIME = {"type": "function", "function": {"name": "get_time", "parameters": NO_ARGS}}
CALL = {
    "id": "get_weather:0",
    "type": "function",
    "function": {"name": "get_weather", "arguments": "{}"},
}


def prepared(model: str, **fields: Any) -> dict[str, Any]:
    return prepare_chat_payload({"model": model, "messages": [USER], **fields})


# -- the catalog -----------------------------------------------------------------------------


def test_the_current_generation_is_in_the_catalog() -> None:
    k3 = CATALOG["kimi-k3"]
    assert (k3.context_window, k3.default_output_tokens, k3.thinking) == (
        1_048_576,
        131_072,
        "effort",
    )
    assert (k3.effort_levels, k3.default_effort, k3.preserved_thinking) == (
        ("low", "high", "max"),
        "max",
        "always",
    )
    assert k3.price is not None
    assert (str(k3.price.cached_input), str(k3.price.input), str(k3.price.output)) == (
        "0.30",
        "3.00",
        "15.00",
    )
    assert (str(k3.price.cache_write), str(k3.price.cache_write_1h)) == ("3.00", "6.00")
    assert {m.id for m in current_models()} >= {
        "kimi-k3",
        "kimi-k3.1-pro",
        "kimi-k3.1-pro-highspeed",
        "kimi-k2.6",
        "kimi-k2.7-code",
        "kimi-k2.7-code-highspeed",
    }
    retired = {m.id for m in CATALOG.values() if m.retired}
    assert retired >= {
        "kimi-k2.5",
        "kimi-k2-0905-preview",
        "kimi-k2-0711-preview",
        "kimi-k2-turbo-preview",
        "kimi-k2-thinking",
        "kimi-k2-thinking-turbo",
        "kimi-latest",
    }
    for info in CATALOG.values():
        assert info.sources or info.note or info.id == "kimi-k2", info.id  # every entry cited
        if info.retired:
            assert info.replacement == "kimi-k2.6"


def test_retirement_hints_name_the_replacement() -> None:
    assert retirement_hint("kimi-k2.5") == (
        "kimi-k2.5 was retired on 2026-08-31: use kimi-k2.6 instead "
        "(client.models.list() shows the models your key can use)"
    )
    # Retired on 2026-08-31 (Moonshot's models page, quoted by three sources; issue 25).
    assert retirement_hint("moonshot-v1-8k") == (
        "moonshot-v1-8k was retired on 2026-08-31: use kimi-k2.6 instead "
        "(client.models.list() shows the models your key can use)"
    )
    # A retirement only a gateway reports: the 404 hint says "may have been".
    hint = retirement_hint("kimi-k2.6")
    assert hint is not None
    assert hint.startswith("kimi-k2.6 may have been retired (retirement on 2027-01-07 reported")
    assert hint.endswith("try kimi-k3 (client.models.list() shows the models your key can use)")
    assert retirement_hint("kimi-k9") is None


# -- thinking per kind ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "fields", "sent"),
    [
        ("kimi-k2.6", {"thinking": True}, {"thinking": {"type": "enabled"}}),
        ("kimi-k2.6", {"thinking": False}, {"thinking": {"type": "disabled"}}),
        ("kimi-k2.6", {}, {}),
        (
            "kimi-k2.6",
            {"preserve_thinking": True},
            {"thinking": {"type": "enabled", "keep": "all"}},
        ),
        (
            "kimi-k2.6",
            {"thinking": True, "preserve_thinking": True},
            {"thinking": {"type": "enabled", "keep": "all"}},
        ),
        ("kimi-k2.6", {"preserve_thinking": False}, {}),
        ("kimi-k2.7-code", {"thinking": True}, {}),
        ("kimi-k2.7-code", {"preserve_thinking": True}, {}),
        ("kimi-k3", {"thinking": True}, {}),
        ("kimi-k3", {"reasoning_effort": "low"}, {"reasoning_effort": "low"}),
        (
            "kimi-k3.1-pro",
            {"reasoning_effort": "max", "thinking": True},
            {"reasoning_effort": "max"},
        ),
        ("moonshot-v1-8k", {"thinking": False}, {}),
        ("kimi-k9", {"thinking": False}, {"thinking": {"type": "disabled"}}),
        ("kimi-k9", {"reasoning_effort": "medium"}, {"reasoning_effort": "medium"}),
        ("kimi-k9", {"preserve_thinking": True}, {"thinking": {"type": "enabled", "keep": "all"}}),
        # A wire dict is the caller's explicit choice: sent as given.
        ("kimi-k3", {"thinking": {"type": "enabled"}}, {"thinking": {"type": "enabled"}}),
    ],
)
def test_thinking_options_map_to_each_models_wire(
    model: str, fields: dict[str, Any], sent: dict[str, Any]
) -> None:
    payload = prepared(model, **fields)
    assert {k: v for k, v in payload.items() if k not in ("model", "messages")} == sent
    assert not ({"thinking", "reasoning_effort"} <= set(payload))  # never both


@pytest.mark.parametrize(
    ("model", "fields", "param", "message"),
    [
        (
            "kimi-k2.7-code",
            {"thinking": False},
            "thinking",
            "kimi-k2.7-code always thinks and takes no thinking=False; use a model that can "
            "turn thinking off, such as kimi-k2.6",
        ),
        (
            "kimi-k3",
            {"thinking": False},
            "thinking",
            "kimi-k3 always thinks and takes no thinking=False; steer it with reasoning_effort "
            "('low', 'high' or 'max')",
        ),
        (
            "kimi-k3",
            {"reasoning_effort": "medium"},
            "reasoning_effort",
            "kimi-k3 accepts reasoning_effort 'low', 'high', 'max', got 'medium'",
        ),
        (
            "kimi-k3",
            {"reasoning_effort": {"level": "low"}},
            "reasoning_effort",
            "kimi-k3 accepts reasoning_effort 'low', 'high', 'max', got {'level': 'low'}",
        ),
        (
            "kimi-k2.6",
            {"reasoning_effort": "low"},
            "reasoning_effort",
            "kimi-k2.6 has no reasoning_effort levels; turn thinking on or off with "
            "thinking=True/False",
        ),
        (
            "kimi-k2.7-code",
            {"reasoning_effort": "high"},
            "reasoning_effort",
            "kimi-k2.7-code has no reasoning_effort levels; it does not take a reasoning effort",
        ),
        ("kimi-k2.5", {"preserve_thinking": True}, "preserve_thinking", "kimi-k2.5 cannot keep"),
        (
            "kimi-k2.6",
            {"preserve_thinking": True, "thinking": False},
            "preserve_thinking",
            "preserve_thinking=True needs thinking on",
        ),
        ("moonshot-v1-8k", {"thinking": True}, "thinking", "moonshot-v1-8k does not think"),
        (
            "kimi-k9",
            {"reasoning_effort": "low", "thinking": False},
            "reasoning_effort",
            "reasoning_effort needs thinking on",
        ),
    ],
)
def test_what_a_model_does_not_take_is_refused_before_sending(
    model: str, fields: dict[str, Any], param: str, message: str
) -> None:
    payload = {"model": model, "messages": [USER], **fields}
    with pytest.raises(InvalidParameterError) as caught:
        prepare_chat_payload(payload)
    assert caught.value.param == param
    assert str(caught.value).startswith(message)


def test_fixed_sampling_follows_the_thinking_state_with_strict_sampling() -> None:
    sent = prepared("kimi-k3", temperature=1.0, top_p=0.95, strict_sampling=True)
    assert "temperature" not in sent
    assert "top_p" not in sent
    with pytest.raises(InvalidParameterError, match=r"kimi-k3 only accepts temperature=1\.0"):
        prepared("kimi-k3", temperature=0.6, strict_sampling=True)
    assert "temperature" not in prepared(
        "kimi-k2.6", thinking=False, temperature=0.6, strict_sampling=True
    )
    with pytest.raises(InvalidParameterError, match=r"temperature=1\.0 with thinking on"):
        prepared("kimi-k2.6", temperature=0.6, strict_sampling=True)
    # kimi-k2.7-code's fixed values are documented now (docs/kimi-api/models.md §2).
    with pytest.raises(InvalidParameterError, match=r"kimi-k2.7-code only accepts temperature"):
        prepared("kimi-k2.7-code", temperature=0.3, strict_sampling=True)


def test_fixed_sampling_values_are_dropped_with_one_warning_per_model_and_field(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from kimi_core.catalog import model_info

    monkeypatch.setattr(model_info, "_WARNED", set())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sent = prepared("kimi-k2.7-code", temperature=0, top_p=0.5, n=1)
        again = prepared("kimi-k2.7-code", temperature=0.2)
    assert all(w.category is model_info.FixedSamplingWarning for w in caught)
    assert [str(w.message) for w in caught] == [
        "kimi-k2.7-code fixes temperature=1.0: the temperature=0 given was not sent "
        "(pass strict_sampling=True to make this an error)",
        "kimi-k2.7-code fixes top_p=0.95: the top_p=0.5 given was not sent "
        "(pass strict_sampling=True to make this an error)",
    ]
    for payload in (sent, again):
        assert not {"temperature", "top_p", "n"} & payload.keys()


def test_preserved_thinking_sends_reasoning_on_every_assistant_turn() -> None:
    history = [
        USER,
        {"role": "assistant", "content": "Sunny."},
        {"role": "user", "content": "And tomorrow?"},
    ]
    kept = prepare_chat_payload(
        {"model": "kimi-k2.6", "messages": history, "preserve_thinking": True}
    )
    assert kept["messages"][1] == {
        "role": "assistant",
        "content": "Sunny.",
        "reasoning_content": "",
    }
    assert history[1] == {"role": "assistant", "content": "Sunny."}  # the caller's dict is intact
    # Always on for kimi-k3; off by default on kimi-k2.6.
    assert prepare_chat_payload({"model": "kimi-k3", "messages": history})["messages"][1] == {
        "role": "assistant",
        "content": "Sunny.",
        "reasoning_content": "",
    }
    assert prepare_chat_payload({"model": "kimi-k2.6", "messages": history})["messages"] == history
    assert keeps_reasoning({"model": "kimi-k2.6", "preserve_thinking": True}) is True
    assert keeps_reasoning({"model": "kimi-k2.7-code"}) is True
    assert keeps_reasoning({"model": "kimi-k2.6"}) is False


# -- tool_choice per model --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "thinking", "choice", "sent_choice", "sent_tools", "hint"),
    [
        # kimi-k3 takes "required" (it always reasons); a named tool becomes that tool + required.
        ("kimi-k3", None, "required", "required", [WEATHER, TIME], None),
        ("kimi-k3", None, "any", "required", [WEATHER, TIME], None),
        ("kimi-k3", None, "get_time", "required", [TIME], None),
        # kimi-k2.6 with thinking off takes both natively.
        ("kimi-k2.6", False, True, "required", [WEATHER, TIME], None),
        (
            "kimi-k2.6",
            False,
            "get_time",
            {"type": "function", "function": {"name": "get_time"}},
            [WEATHER, TIME],
            None,
        ),
        # Thinking on: neither; "auto" plus the instruction.
        ("kimi-k2.6", None, "required", "auto", [WEATHER, TIME], "one of the provided tools"),
        ("kimi-k2.6", True, "get_time", "auto", [TIME], "the tool `get_time`"),
        ("kimi-k2.7-code", None, "required", "auto", [WEATHER, TIME], "one of the provided tools"),
        # A model the catalog does not know: the safe rewrite.
        ("kimi-k9", False, "required", "auto", [WEATHER, TIME], "one of the provided tools"),
    ],
)
def test_forced_tool_choice_per_model(
    model: str,
    thinking: bool | None,
    choice: Any,
    sent_choice: Any,
    sent_tools: list[dict[str, Any]],
    hint: str | None,
) -> None:
    fields: dict[str, Any] = {"tools": [WEATHER, TIME], "tool_choice": choice}
    if thinking is not None:
        fields["thinking"] = thinking
    payload = prepared(model, **fields)
    assert payload["tool_choice"] == sent_choice
    assert payload["tools"] == sent_tools
    expected = [USER]
    if hint is not None:
        expected.append({"role": "user", "content": FORCED_TOOL_HINT.format(target=hint)})
    assert payload["messages"] == expected


def test_parallel_tool_calls_is_not_sent() -> None:
    assert "parallel_tool_calls" not in prepared(
        "kimi-k2.6", tools=[WEATHER], parallel_tool_calls=False
    )


# -- structured output ----------------------------------------------------------------------


def test_json_schema_goes_native_where_the_model_takes_it() -> None:
    schema = {"title": "City", "type": "object", "properties": {"name": {"type": "string"}}}
    native = json_schema_format(schema, strict=True)
    assert native == {
        "type": "json_schema",
        "json_schema": {"name": "City", "schema": schema, "strict": True},
    }
    for model in ("kimi-k2.6", "kimi-k2.7-code", "kimi-k3"):
        payload = build_chat_request([USER], {"model": model}, {"response_format": native})
        assert payload["response_format"] == native
        assert payload["messages"] == [USER]
    old = build_chat_request([USER], {"model": "moonshot-v1-8k"}, {"response_format": native})
    assert old["response_format"] == {"type": "json_object"}
    assert old["messages"][0]["role"] == "system"
    # JSON mode with a schema is JSON mode on every model.
    mode = build_chat_request(
        [USER], {"model": "kimi-k2.6"}, {"response_format": json_mode_format(schema)}
    )
    assert mode["response_format"] == {"type": "json_object"}
    assert '"name"' in mode["messages"][0]["content"]


# -- output limit, stop, media, tools -----------------------------------------------------------


def test_max_tokens_goes_as_max_completion_tokens_on_moonshot_only() -> None:
    assert prepared("kimi-k2.6", max_tokens=100)["max_completion_tokens"] == 100
    assert "max_tokens" not in prepared("kimi-k2.6", max_tokens=100)
    both = prepared("kimi-k2.6", max_tokens=100, max_completion_tokens=50)
    assert (both["max_completion_tokens"], "max_tokens" in both) == (50, False)
    cloudsway = prepare_chat_payload(
        {"messages": [USER], "max_completion_tokens": 80}, model_optional=True, dialect="cloudsway"
    )
    assert cloudsway == {"messages": [USER], "max_tokens": 80}
    acedata = prepare_chat_payload(
        {"model": "kimi-k2.6", "messages": [USER], "max_tokens": 80}, dialect="acedata"
    )
    assert acedata["max_tokens"] == 80
    for bad in (0, -1, 1.5, True, "9"):
        with pytest.raises(InvalidParameterError) as caught:
            prepared("kimi-k2.6", max_tokens=bad)
        assert caught.value.param == "max_tokens"
        assert str(caught.value) == f"max_tokens must be a positive integer, got {bad!r}"


def test_media_a_model_does_not_take_is_refused() -> None:
    image = {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}
    video = {"type": "video_url", "video_url": {"url": "ms://video-1"}}
    message = {"role": "user", "content": [{"type": "text", "text": "?"}, image, video]}
    assert prepare_chat_payload({"model": "kimi-k2.6", "messages": [message]})["messages"] == [
        message
    ]
    with pytest.raises(InvalidParameterError) as caught:
        prepare_chat_payload({"model": "moonshot-v1-8k-vision-preview", "messages": [message]})
    assert str(caught.value) == (
        "moonshot-v1-8k-vision-preview does not take video (message 0); use a model with video "
        "input, such as kimi-k2.6"
    )
    with pytest.raises(InvalidParameterError, match="does not take images"):
        prepare_chat_payload({"model": "moonshot-v1-8k", "messages": [message]})
    # Unknown models: unchecked.
    assert prepare_chat_payload({"model": "kimi-k9", "messages": [message]})["messages"] == [
        message
    ]


@pytest.mark.parametrize("name", ["9lives", "get weather", "fn.call", ""])
def test_tool_names_outside_kimis_pattern_are_refused(name: str) -> None:
    tool = {"type": "function", "function": {"name": name, "parameters": NO_ARGS}}
    with pytest.raises(InvalidParameterError, match="is not accepted by Kimi") as caught:
        prepared("kimi-k2.6", tools=[tool])
    assert caught.value.param == "tools"


@pytest.mark.parametrize("name", ["ls", "a", "_", "mcp__server__" + "x" * 200, "get-weather_2"])
def test_names_kimi_accepts_since_august_2026_are_sent(name: str) -> None:
    # The pattern widened on 2026-08-17 (docs/kimi-api/chat.md, "Tool calls"): the length is
    # the server's to judge, so short and long MCP names go out as they are.
    tool = {"type": "function", "function": {"name": name, "parameters": NO_ARGS}}
    assert prepared("kimi-k2.6", tools=[tool])["tools"][0]["function"]["name"] == name


def test_the_number_of_tools_is_the_servers_to_judge() -> None:
    tools = [
        {"type": "function", "function": {"name": f"tool_{i}", "parameters": NO_ARGS}}
        for i in range(129)
    ]
    assert len(prepared("kimi-k2.6", tools=tools)["tools"]) == 129


def test_tool_schemas_are_put_in_kimis_dialect() -> None:
    parameters = {
        "$defs": {"City": {"type": "object", "description": "A city.", "properties": {"name": {}}}},
        "properties": {
            "home": {"$ref": "#/$defs/City", "description": "Where you live."},
            "unit": {"enum": ["c", "f"]},
            "days": {"type": "integer", "anyOf": [{"minimum": 1}, {"maximum": -1}]},
        },
        "required": ["home"],
    }
    original = copy.deepcopy(parameters)
    tool = {"type": "function", "function": {"name": "forecast", "parameters": parameters}}
    sent = prepared("kimi-k2.6", tools=[tool])["tools"][0]["function"]["parameters"]
    assert sent == {
        "type": "object",
        "properties": {
            "home": {
                "type": "object",
                "description": "Where you live.",
                "properties": {"name": {"type": "string"}},
            },
            "unit": {"enum": ["c", "f"], "type": "string"},
            "days": {
                "anyOf": [{"minimum": 1, "type": "integer"}, {"maximum": -1, "type": "integer"}]
            },
        },
        "required": ["home"],
    }
    assert parameters == original  # the caller's schema is not changed


# -- wire hygiene ---------------------------------------------------------------------------


def test_history_is_made_acceptable() -> None:
    long_id = "call_" + "x" * 80
    messages = [
        USER,
        {"role": "assistant", "content": "", "tool_calls": [CALL, {**CALL, "id": long_id}]},
        {"role": "tool", "tool_call_id": "get_weather:0", "content": "sunny"},
        {"role": "tool", "tool_call_id": long_id, "content": "rain"},
    ]
    original = copy.deepcopy(messages)
    sent = prepare_chat_payload({"model": "kimi-k2.6", "messages": messages})["messages"]
    short = shorten_tool_call_id(long_id)
    assert len(short) == 64
    assert short == shorten_tool_call_id(long_id)  # the same id, the same result
    assert sent == [
        USER,
        # No empty content next to tool calls; "" reasoning for a history without it.
        {
            "role": "assistant",
            "tool_calls": [CALL, {**CALL, "id": short}],
            "reasoning_content": "",
        },
        {"role": "tool", "tool_call_id": "get_weather:0", "content": "sunny"},
        {"role": "tool", "tool_call_id": short, "content": "rain"},
    ]
    assert messages == original
    # Thinking off: no reasoning is needed, none is added.
    off = prepare_chat_payload({"model": "kimi-k2.6", "messages": messages, "thinking": False})
    assert "reasoning_content" not in off["messages"][1]


@pytest.mark.parametrize(
    "messages",
    [
        ["hello"],
        [None],
        [{"content": "no role"}],
        "hello",
    ],
)
def test_messages_that_are_not_message_dicts_are_refused(messages: Any) -> None:
    with pytest.raises(InvalidParameterError) as caught:
        prepare_chat_payload({"model": "kimi-k2.6", "messages": messages})
    assert caught.value.param == "messages"


def test_info_for_every_current_model_says_how_it_thinks() -> None:
    for info in current_models():
        assert info.thinking in ("toggle", "always", "effort", "none")
        if info.thinking == "effort":
            assert info.effort_levels
            assert info.default_effort in info.effort_levels
    assert get_model_info("kimi-k2.6") is not None
