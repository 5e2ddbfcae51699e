"""ChatKimi with the late-2026 models, over real HTTP against the emulator: thinking options,
tool choice, json_schema structured output, max_completion_tokens, video, caching, rate-limit
headers, retired models. Refusals are asserted to have sent nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from langchain.agents import create_agent
from langchain_core.exceptions import ModelNotFoundError
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langchain_core.tools import tool
from lc_support import fold
from pydantic import BaseModel

from kimi_core.errors import InvalidParameterError, NotFoundError
from kimi_emulator import KimiEmulator
from langchain_kimi import ChatKimi

MakeLLM = Callable[..., ChatKimi]


class City(BaseModel):
    name: str
    population: int


@tool
def get_weather(city: str) -> str:
    """Current weather in a city."""
    return f"Sunny in {city}"


@tool
def get_time(city: str) -> str:
    """Local time in a city."""
    return f"12:00 in {city}"


def _chat_requests(emu: KimiEmulator) -> list[dict[str, Any]]:
    return [r.json for r in emu.requests if r.path.endswith("/chat/completions")]


def test_the_default_model_is_kimi_k2_6(llm: ChatKimi, emu: KimiEmulator) -> None:
    assert llm.model_name == "kimi-k2.6"
    assert llm.invoke("Hi").content == "You said: Hi"
    assert _chat_requests(emu)[0]["model"] == "kimi-k2.6"


def test_reasoning_effort_per_instance_and_per_call(make_llm: MakeLLM, emu: KimiEmulator) -> None:
    llm = make_llm(model="kimi-k3", reasoning_effort="high")
    message = llm.invoke("Hi")
    assert message.additional_kwargs["reasoning_content"]  # kimi-k3 always reasons
    fold(llm.stream("Hi", reasoning_effort="low"))
    first, second = _chat_requests(emu)
    assert (first["reasoning_effort"], "thinking" in first) == ("high", False)
    assert (second["reasoning_effort"], "thinking" in second) == ("low", False)


@pytest.mark.parametrize(
    ("settings", "call", "param"),
    [
        ({"model": "kimi-k2.6"}, {"reasoning_effort": "high"}, "reasoning_effort"),
        ({"model": "kimi-k3"}, {"thinking": False}, "thinking"),
        ({"model": "kimi-k3"}, {"reasoning_effort": "medium"}, "reasoning_effort"),
        ({"model": "kimi-k2.7-code"}, {"thinking": False}, "thinking"),
        ({"model": "kimi-k2.5"}, {"preserve_thinking": True}, "preserve_thinking"),
    ],
)
def test_refused_thinking_options_send_nothing(
    make_llm: MakeLLM,
    emu: KimiEmulator,
    settings: dict[str, Any],
    call: dict[str, Any],
    param: str,
) -> None:
    llm = make_llm(**settings)
    for attempt in (lambda: llm.invoke("Hi", **call), lambda: list(llm.stream("Hi", **call))):
        with pytest.raises(InvalidParameterError) as caught:
            attempt()
        assert caught.value.param == param
        assert settings["model"] in str(caught.value) or param == "preserve_thinking"
    assert _chat_requests(emu) == []


def test_preserved_thinking_sends_every_turns_reasoning(
    make_llm: MakeLLM, emu: KimiEmulator
) -> None:
    llm = make_llm(preserve_thinking=True)
    history = [
        HumanMessage("Hi"),
        AIMessage("Hello!", additional_kwargs={"reasoning_content": "A greeting."}),
        AIMessage("Again.", additional_kwargs={}),
        HumanMessage("What did you think?"),
    ]
    assert llm.invoke(history).content == "You said: What did you think?"
    sent = _chat_requests(emu)[0]
    assert sent["thinking"] == {"type": "enabled", "keep": "all"}
    assert sent["messages"][1:3] == [
        {"role": "assistant", "content": "Hello!", "reasoning_content": "A greeting."},
        {"role": "assistant", "content": "Again.", "reasoning_content": ""},
    ]
    # Without it, plain turns carry no reasoning.
    make_llm().invoke(history)
    assert "reasoning_content" not in _chat_requests(emu)[1]["messages"][1]


def test_forced_tool_choice_goes_natively_where_accepted(
    make_llm: MakeLLM, emu: KimiEmulator
) -> None:
    k3 = make_llm(model="kimi-k3").bind_tools([get_weather, get_time], tool_choice="any")
    assert k3.invoke("Weather in Oslo?").tool_calls[0]["name"] == "get_weather"
    k26 = make_llm(thinking=False).bind_tools([get_weather, get_time], tool_choice="get_time")
    assert k26.invoke("Time in Oslo?").tool_calls[0]["name"] == "get_time"
    thinking = make_llm().bind_tools([get_weather, get_time], tool_choice="get_time")
    assert thinking.invoke("Time in Oslo?").tool_calls[0]["name"] == "get_time"
    first, second, third = _chat_requests(emu)
    assert first["tool_choice"] == "required"
    assert len(first["tools"]) == 2
    assert second["tool_choice"] == {"type": "function", "function": {"name": "get_time"}}
    assert len(second["tools"]) == 2
    # kimi-k2.6 thinking: only that tool, "auto" and the instruction (Kimi answers 400 else).
    assert third["tool_choice"] == "auto"
    assert [t["function"]["name"] for t in third["tools"]] == ["get_time"]
    assert third["messages"][-1]["content"].startswith("You must answer this turn by calling")


@pytest.mark.parametrize("stream", [False, True])
def test_parallel_tool_calls_false_keeps_the_first_call(
    make_llm: MakeLLM, emu: KimiEmulator, stream: bool
) -> None:
    calls = [
        {"name": "get_weather", "arguments": {"city": "Oslo"}},
        {"name": "get_time", "arguments": {"city": "Oslo"}},
    ]
    emu.script(tool_calls=calls, times=2)
    llm = make_llm(thinking=False)
    both = llm.bind_tools([get_weather, get_time])
    one = llm.bind_tools([get_weather, get_time], parallel_tool_calls=False)
    run = (lambda r: fold(r.stream("x"))) if stream else (lambda r: r.invoke("x"))
    assert [c["name"] for c in run(both).tool_calls] == ["get_weather", "get_time"]
    assert [c["name"] for c in run(one).tool_calls] == ["get_weather"]
    assert all("parallel_tool_calls" not in r for r in _chat_requests(emu))


def test_structured_output_uses_json_schema_where_the_model_takes_it(
    make_llm: MakeLLM, emu: KimiEmulator
) -> None:
    assert make_llm().with_structured_output(City).invoke("Paris") == City(
        name="<name>", population=1
    )
    sent = _chat_requests(emu)[0]
    assert sent["response_format"]["type"] == "json_schema"
    assert sent["response_format"]["json_schema"]["name"] == "City"
    assert sent["response_format"]["json_schema"]["schema"]["properties"]["population"] == {
        "type": "integer"
    }
    assert all(m["role"] != "system" for m in sent["messages"])  # no schema in the prompt
    strict = make_llm().with_structured_output(City, strict=True)
    strict.invoke("Paris")
    assert _chat_requests(emu)[1]["response_format"]["json_schema"]["strict"] is True
    # JSON mode on request, and on a model without json_schema.
    make_llm().with_structured_output(City, method="json_mode").invoke("Paris")
    old = make_llm(model="moonshot-v1-8k")
    assert old.with_structured_output(City).invoke("Paris") == City(name="<name>", population=1)
    for sent in _chat_requests(emu)[2:]:
        assert sent["response_format"] == {"type": "json_object"}
        assert sent["messages"][0]["role"] == "system"
        assert '"population"' in sent["messages"][0]["content"]


def test_invoke_takes_response_format_as_chat_openai_does(llm: ChatKimi, emu: KimiEmulator) -> None:
    message = llm.invoke("Paris", response_format=City)
    assert message.additional_kwargs["parsed"] == City(name="<name>", population=1)
    schema = City.model_json_schema()
    as_dict = llm.invoke("Paris", response_format=schema)
    assert "parsed" not in as_dict.additional_kwargs
    first, second = _chat_requests(emu)
    assert first["response_format"]["type"] == "json_schema"
    # Issue 25: the schema is sent in Moonshot's dialect (MFJS), as tool schemas are.
    assert schema["title"] == "City"
    assert second["response_format"]["json_schema"]["schema"] == {
        "properties": {"name": {"type": "string"}, "population": {"type": "integer"}},
        "required": ["name", "population"],
        "type": "object",
    }


def test_create_agent_takes_the_native_structured_output_path(llm: ChatKimi) -> None:
    assert llm.profile is not None
    assert llm.profile["structured_output"] is True
    agent = create_agent(llm, tools=[get_weather], response_format=City)
    result = agent.invoke({"messages": [("user", "Tell me about Paris")]})
    assert result["structured_response"] == City(name="<name>", population=1)


def test_profiles_come_from_the_catalog(make_llm: MakeLLM) -> None:
    k3 = make_llm(model="kimi-k3").profile
    assert k3 is not None
    assert {
        key: k3.get(key)
        for key in (
            "max_input_tokens",
            "max_output_tokens",
            "reasoning_output",
            "reasoning_effort_levels",
            "reasoning_effort_default",
            "structured_output",
            "image_inputs",
            "video_inputs",
            "tool_choice",
        )
    } == {
        "max_input_tokens": 1_048_576,
        "max_output_tokens": 1_048_576,
        "reasoning_output": True,
        "reasoning_effort_levels": ["low", "high", "max"],
        "reasoning_effort_default": "max",
        "structured_output": True,
        "image_inputs": True,
        "video_inputs": True,
        "tool_choice": True,
    }
    old = make_llm(model="moonshot-v1-8k").profile
    assert old is not None
    assert (old["structured_output"], old["reasoning_output"], old["image_inputs"]) == (
        False,
        False,
        False,
    )


def test_max_tokens_goes_as_max_completion_tokens(make_llm: MakeLLM, emu: KimiEmulator) -> None:
    make_llm(max_tokens=64).invoke("Hi")
    make_llm(max_completion_tokens=32).invoke("Hi")
    make_llm().invoke("Hi", max_tokens=16)
    sent = _chat_requests(emu)
    assert [s.get("max_completion_tokens") for s in sent] == [64, 32, 16]
    assert all("max_tokens" not in s for s in sent)


def test_video_blocks_and_prompt_cache_key(make_llm: MakeLLM, emu: KimiEmulator) -> None:
    emu.script(
        "A cat.", usage={"prompt_tokens": 2000, "completion_tokens": 3, "cached_tokens": 1500}
    )
    llm = make_llm(prompt_cache_key="session-42")
    message = llm.invoke(
        [
            HumanMessage(
                content=[
                    {"type": "text", "text": "What is in it?"},
                    {"type": "video", "file_id": "video-abc"},
                    {"type": "video_url", "video_url": {"url": "ms://video-def"}},
                ]
            )
        ]
    )
    sent = _chat_requests(emu)[0]
    assert sent["prompt_cache_key"] == "session-42"
    assert sent["messages"][0]["content"][1:] == [
        {"type": "video_url", "video_url": {"url": "ms://video-abc"}},
        {"type": "video_url", "video_url": {"url": "ms://video-def"}},
    ]
    assert message.usage_metadata is not None
    assert message.usage_metadata["input_token_details"] == {"cache_read": 1500}
    # 500 fresh x $0.95 + 1500 cached x $0.16 + 3 x $4.00, per 1M tokens.
    assert message.response_metadata["cost"] == {"amount": 0.000727, "currency": "USD"}
    with pytest.raises(InvalidParameterError, match="does not take video"):
        make_llm(model="moonshot-v1-8k-vision-preview").invoke(
            [HumanMessage(content=[{"type": "video", "file_id": "video-abc"}])]
        )
    assert len(_chat_requests(emu)) == 1


def test_a_retired_model_says_what_replaces_it(make_llm: MakeLLM, emu: KimiEmulator) -> None:
    llm = make_llm(model="kimi-k2.5")
    for attempt in (lambda: llm.invoke("Hi"), lambda: list(llm.stream("Hi"))):
        with pytest.raises(ModelNotFoundError) as caught:
            attempt()
        assert isinstance(caught.value, NotFoundError)
        assert caught.value.status == 404
        assert caught.value.message == (
            "Not found the model kimi-k2.5 or Permission denied (kimi-k2.5 was retired on "
            "2026-08-31: use kimi-k2.6 instead (client.models.list() shows the models your key "
            "can use))"
        )
    models = {card.id for card in llm.client.models.list()}
    assert "kimi-k2.6" in models
    assert "kimi-k2.5" not in models


def test_rate_limit_headers_reach_the_response_metadata(
    make_llm: MakeLLM, emu: KimiEmulator
) -> None:
    emu.set_limits(rpm=100, concurrency=None)
    llm = make_llm()
    invoked = llm.invoke("Hi").response_metadata["rate_limit"]
    streamed = fold(llm.stream("Hi")).response_metadata["rate_limit"]
    assert (invoked["limit"], invoked["remaining"]) == (100, 99)
    assert (streamed["limit"], streamed["remaining"]) == (100, 98)
    assert isinstance(invoked["reset"], int)


def test_tool_history_from_another_provider_is_accepted(llm: ChatKimi, emu: KimiEmulator) -> None:
    """An OpenAI-style history: a long call id, no reasoning, empty content next to the call."""
    long_id = "call_" + "a" * 70
    history = [
        HumanMessage("Weather in Oslo?"),
        AIMessage(
            "", tool_calls=[{"name": "get_weather", "args": {"city": "Oslo"}, "id": long_id}]
        ),
        ToolMessage("Sunny", tool_call_id=long_id),
    ]
    answer = llm.bind_tools([get_weather]).invoke(history)
    assert answer.content == "The tool get_weather returned: Sunny"
    sent = _chat_requests(emu)[0]["messages"]
    assert "content" not in sent[1]
    assert sent[1]["reasoning_content"] == ""
    assert len(sent[1]["tool_calls"][0]["id"]) == 64
    assert sent[2]["tool_call_id"] == sent[1]["tool_calls"][0]["id"]
