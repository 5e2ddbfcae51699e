"""Which tool the emulator calls (``choice``): the one the request points at, and never a loop."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from kimi_core.chat.tool_choice import FORCED_TOOL_HINT
from kimi_emulator import KimiEmulator
from kimi_emulator.choice import choose_tool, mentions, structured_output_tools
from kimi_emulator.turn import Turn, read_turn

OFF = {"type": "disabled"}
CITY = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
REPORT_SCHEMA = {
    "type": "object",
    "properties": {"city": {"type": "string"}, "summary": {"type": "string"}},
    "required": ["city", "summary"],
}


def function(name: str, parameters: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "type": "function",
        "function": {"name": name, "parameters": parameters or {"type": "object"}},
    }


WEATHER = function("get_weather", CITY)
TIME = function("get_time")
REPORT = function("Report", REPORT_SCHEMA)
HINT_ANY = {"role": "user", "content": FORCED_TOOL_HINT.format(target="one of the provided tools")}


def called(name: str, arguments: str = "{}") -> dict[str, Any]:
    return {
        "role": "assistant",
        "tool_calls": [
            {
                "id": f"{name}:0",
                "type": "function",
                "function": {"name": name, "arguments": arguments},
            }
        ],
    }


def result(name: str, content: str) -> dict[str, Any]:
    return {"role": "tool", "tool_call_id": f"{name}:0", "content": content}


@pytest.fixture
def raw(moonshot: KimiEmulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=moonshot.base_url + "/", timeout=10) as client:
        yield client


def answer(raw: httpx.Client, messages: list[dict[str, Any]], **body: Any) -> dict[str, Any]:
    body.setdefault("model", "kimi-k2.6")
    response = raw.post("chat/completions", json={"messages": messages, **body})
    assert response.status_code == 200, response.text
    message: dict[str, Any] = response.json()["choices"][0]["message"]
    return message


def calls(message: dict[str, Any]) -> list[tuple[str, str]]:
    return [(c["function"]["name"], c["function"]["arguments"]) for c in message["tool_calls"]]


# --------------------------------------------------------------------------- pure rules


def test_structured_output_tools_are_the_trailing_class_named_run() -> None:
    assert structured_output_tools([WEATHER, REPORT]) == [REPORT]
    other = function("WeatherReport2")
    assert structured_output_tools([WEATHER, REPORT, other]) == [REPORT, other]
    assert structured_output_tools([REPORT, WEATHER]) == []  # not at the end: a plain tool
    assert structured_output_tools([WEATHER, TIME]) == []
    assert structured_output_tools([function("Bad_Name")]) == []
    builtin = {"type": "builtin_function", "function": {"name": "$web_search"}}
    assert structured_output_tools([REPORT, builtin]) == []
    assert structured_output_tools([REPORT]) == [REPORT]


def test_mentions_is_whole_word_and_case_sensitive() -> None:
    assert mentions("please call get_time now", "get_time")
    assert not mentions("please call get_timer", "get_time")
    assert not mentions("call my_get_time", "get_time")
    assert not mentions("a report please", "Report")
    assert mentions("a Report, please", "Report")
    assert not mentions("anything", "")


def test_read_turn_skips_the_forced_tool_hint() -> None:
    messages = [
        {"role": "user", "content": "Weather in Paris?"},
        called("get_weather"),
        result("get_weather", "sunny"),
        HINT_ANY,
    ]
    assert read_turn(messages) == Turn(
        user_text="Weather in Paris?",
        results=[result("get_weather", "sunny")],
        call_names={"get_weather:0": "get_weather"},
        called=("get_weather",),
        hinted="",
    )
    named = {"role": "user", "content": FORCED_TOOL_HINT.format(target="the tool `get_time`")}
    assert read_turn([messages[0], named]).hinted == "get_time"
    assert read_turn(messages[:3]).hinted is None


def test_choose_tool_rules() -> None:
    tools = [WEATHER, TIME, REPORT]
    fresh = Turn(user_text="Weather?")
    assert choose_tool(tools, None, fresh, forced=False) is WEATHER  # rule 2: the first
    assert choose_tool(tools, None, Turn(user_text="use get_time"), False) is TIME
    assert choose_tool(tools, "required", fresh, forced=True) is WEATHER  # rule 3
    assert choose_tool(tools, "required", Turn(user_text="a Report"), True) is REPORT
    assert choose_tool([REPORT], "required", fresh, forced=True) is REPORT
    after = Turn(user_text="Weather?", results=[{}], called=("get_weather",))
    assert choose_tool(tools, "required", after, forced=True) is REPORT  # rule 4
    assert choose_tool([WEATHER, TIME], "required", after, forced=True) is TIME
    both = Turn(user_text="Weather?", results=[{}], called=("get_weather", "get_time"))
    assert choose_tool([WEATHER, TIME], "required", both, forced=True) is WEATHER
    named = {"type": "function", "function": {"name": "get_time"}}
    assert choose_tool(tools, named, after, forced=True) is TIME  # rule 1
    assert choose_tool(tools, "auto", Turn(hinted="get_time"), forced=True) is TIME
    assert choose_tool([], "required", fresh, forced=True) is None


# --------------------------------------------------------------------------- over HTTP


def test_unforced_call_picks_the_tool_the_user_names(raw: httpx.Client) -> None:
    asked = [{"role": "user", "content": "What does get_time say?"}]
    assert calls(answer(raw, asked, tools=[WEATHER, TIME], thinking=OFF)) == [("get_time", "{}")]
    plain = [{"role": "user", "content": "What time is it?"}]
    assert calls(answer(raw, plain, tools=[WEATHER, TIME], thinking=OFF)) == [("get_time", "{}")]
    unrelated = [{"role": "user", "content": "Hello!"}]
    assert calls(answer(raw, unrelated, tools=[TIME, WEATHER], thinking=OFF)) == [
        ("get_time", "{}")
    ]


def test_required_calls_the_structured_output_tool_after_tool_results(raw: httpx.Client) -> None:
    user = {"role": "user", "content": "What's the weather in Paris?"}
    body: dict[str, Any] = {"tools": [WEATHER, REPORT], "tool_choice": "required", "thinking": OFF}
    first = answer(raw, [user], **body)
    assert calls(first) == [("get_weather", '{"city": "Paris"}')]
    history = [user, called("get_weather", '{"city": "Paris"}'), result("get_weather", "sunny")]
    second = answer(raw, history, **body)
    assert calls(second) == [("Report", '{"city": "<city>", "summary": "<summary>"}')]
    assert second["content"] == ""
    # Unforced, the same history gets the text answer (rule 2), not a call.
    unforced = answer(raw, history, tools=[WEATHER, REPORT], thinking=OFF)
    assert unforced["content"] == "The tool get_weather returned: sunny"
    assert "tool_calls" not in unforced or not unforced["tool_calls"]


def test_the_forced_tool_hint_forces_like_required(raw: httpx.Client) -> None:
    # kimi-k2.6 thinking: "required" is rejected, so kimi_core sends "auto" plus the hint.
    user = {"role": "user", "content": "What's the weather in Paris?"}
    tools = [WEATHER, REPORT]
    first = answer(raw, [user, HINT_ANY], tools=tools)
    assert calls(first) == [("get_weather", '{"city": "Paris"}')]
    assert first["reasoning_content"] == "I should call get_weather."
    history = [
        user,
        {**called("get_weather", '{"city": "Paris"}'), "reasoning_content": "x"},
        result("get_weather", "sunny"),
        HINT_ANY,
    ]
    second = answer(raw, history, tools=tools)
    assert calls(second) == [("Report", '{"city": "<city>", "summary": "<summary>"}')]
    named = {"role": "user", "content": FORCED_TOOL_HINT.format(target="the tool `get_time`")}
    assert calls(answer(raw, [user, named], tools=[TIME])) == [("get_time", "{}")]
    # Without tools to call, the hint is not the question: the echo is the user's text.
    assert answer(raw, [user, HINT_ANY])["content"] == "You said: What's the weather in Paris?"
