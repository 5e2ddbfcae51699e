"""ChatKimi end to end against the Kimi emulator (real HTTP on 127.0.0.1).

Exact strings come from the emulator's documented defaults (kimi_emulator/replies.py):
``You said: <text>`` echoes, ``The tool <name> returned: <content>`` after tool results,
reasoning ``Let me think about this.`` / ``I should call <name>.`` / ``I have the tool
results.`` when the model thinks.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.exceptions import (
    ContextOverflowError,
    ModelAuthenticationError,
    ModelConnectionError,
    ModelRateLimitError,
)
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage, ToolMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.outputs import ChatGenerationChunk
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.rate_limiters import InMemoryRateLimiter
from langchain_core.tools import tool
from lc_support import API_KEY, fold
from pydantic import BaseModel

from kimi_core.catalog.model_info import FixedSamplingWarning
from kimi_core.errors import (
    AuthenticationError,
    ContextLengthExceededError,
    InvalidParameterError,
    QuotaExceededError,
    StreamInterruptedError,
)
from kimi_emulator import KimiEmulator
from langchain_kimi import ChatKimi, _fastpath
from langchain_kimi._errors import ToolLoopError

MakeLLM = Callable[..., ChatKimi]
WEB_SEARCH = {"type": "builtin_function", "function": {"name": "$web_search"}}


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


# -- chains and callbacks ---------------------------------------------------------------------


def test_lcel_chain(llm: ChatKimi) -> None:
    chain = (
        ChatPromptTemplate.from_messages([("system", "Be brief."), ("human", "Tell me about {x}")])
        | llm
        | StrOutputParser()
    )
    assert chain.invoke({"x": "cats"}) == "You said: Tell me about cats"
    assert chain.batch([{"x": "a"}, {"x": "b"}]) == [
        "You said: Tell me about a",
        "You said: Tell me about b",
    ]


class TokenRecorder(BaseCallbackHandler):
    def __init__(self) -> None:
        self.tokens: list[str] = []
        self.chunks: list[Any] = []

    def on_llm_new_token(self, token: str, *, chunk: Any = None, **kwargs: Any) -> None:
        self.tokens.append(token)
        self.chunks.append(chunk)


def test_streaming_chain_calls_the_handler_for_every_chunk(llm: ChatKimi) -> None:
    recorder = TokenRecorder()
    chain = ChatPromptTemplate.from_messages([("human", "{q}")]) | llm | StrOutputParser()
    pieces = list(chain.stream({"q": "tell me a story"}, config={"callbacks": [recorder]}))
    assert "".join(pieces) == "You said: tell me a story"
    assert "".join(recorder.tokens) == "You said: tell me a story"
    assert all(isinstance(c, ChatGenerationChunk) for c in recorder.chunks)
    messages = [c.message for c in recorder.chunks]
    assert all(isinstance(m, AIMessageChunk) for m in messages)
    reasoning = "".join(m.additional_kwargs.get("reasoning_content", "") for m in messages)
    assert reasoning == "Let me think about this."
    # Reasoning streams before the text; the last chunk carries the usage.
    assert messages[0].additional_kwargs.get("reasoning_content")
    assert messages[-1].usage_metadata is not None
    assert [m.usage_metadata is not None for m in messages].count(True) == 1


async def test_async_streaming_with_handler(llm: ChatKimi) -> None:
    recorder = TokenRecorder()
    chunks = [c async for c in llm.astream("hi", config={"callbacks": [recorder]})]
    assert "".join(recorder.tokens) == "You said: hi"
    assert len(recorder.chunks) == len(chunks)
    assert fold(chunks).content == "You said: hi"


def test_invoke_with_streaming_true_goes_through_the_stream(make_llm: MakeLLM) -> None:
    recorder = TokenRecorder()
    llm = make_llm(streaming=True)
    message = llm.invoke("hi", config={"callbacks": [recorder]})
    assert message.content == "You said: hi"
    assert "".join(recorder.tokens) == "You said: hi"
    assert message.additional_kwargs["reasoning_content"] == "Let me think about this."


# -- agent with thinking on ------------------------------------------------------------------


def test_agent_two_tools_thinking_multi_turn(make_llm: MakeLLM, emu: KimiEmulator) -> None:
    from langchain.agents import create_agent

    llm = make_llm(thinking=True)
    agent = create_agent(llm, tools=[get_weather, get_time])
    # Turn 1: the model calls both tools at once, then answers from their results.
    emu.script(
        reasoning="Weather and time, both.",
        tool_calls=[
            {"name": "get_weather", "arguments": {"city": "Paris"}},
            {"name": "get_time", "arguments": {"city": "Paris"}},
        ],
    )
    state = agent.invoke({"messages": [HumanMessage("Weather and time in Paris?")]})
    messages = state["messages"]
    assert [type(m).__name__ for m in messages] == [
        "HumanMessage",
        "AIMessage",
        "ToolMessage",
        "ToolMessage",
        "AIMessage",
    ]
    call = messages[1]
    assert [c["id"] for c in call.tool_calls] == ["get_weather:0", "get_time:1"]
    assert call.additional_kwargs["reasoning_content"] == "Weather and time, both."
    assert messages[-1].content == (
        "The tool get_weather returned: Sunny in Paris\nThe tool get_time returned: 12:00 in Paris"
    )
    # Turn 2 on the same history: a new tool call (ids restart at :0), then the answer.
    state = agent.invoke({"messages": [*messages, HumanMessage("And in Rome?")]})
    assert state["messages"][-1].content.startswith("The tool get_weather returned: Sunny in ")
    requests = _chat_requests(emu)
    assert len(requests) == 4
    # Every assistant tool-call message went back with its reasoning (the emulator answers 400
    # otherwise, like Kimi).
    sent_back = [
        m for m in requests[-1]["messages"] if m["role"] == "assistant" and m.get("tool_calls")
    ]
    assert [m["reasoning_content"] for m in sent_back] == [
        "Weather and time, both.",
        "I should call get_weather.",
    ]
    assert [c["id"] for c in sent_back[0]["tool_calls"]] == ["get_weather:0", "get_time:1"]
    tool_replies = [m for m in requests[-1]["messages"] if m["role"] == "tool"]
    assert [(m["tool_call_id"], m["name"]) for m in tool_replies] == [
        ("get_weather:0", "get_weather"),
        ("get_time:1", "get_time"),
        ("get_weather:0", "get_weather"),
    ]


def test_reasoning_missing_from_a_tool_history_is_sent_empty(
    llm: ChatKimi, emu: KimiEmulator
) -> None:
    """What ChatOpenAI users hit (Kimi's 400 "reasoning_content is missing" for a history
    without reasoning) does not happen: the core sends an empty reasoning for such a turn."""
    history = [
        HumanMessage("Weather?"),
        AIMessage("", tool_calls=[{"name": "get_weather", "args": {"city": "X"}, "id": "a:0"}]),
        ToolMessage("Sunny", tool_call_id="a:0"),
    ]
    answer = llm.bind_tools([get_weather]).invoke(history)
    assert answer.content == "The tool get_weather returned: Sunny"
    assert _chat_requests(emu)[0]["messages"][1]["reasoning_content"] == ""
    # The emulator still refuses what the real API refuses, for any client that sends it.
    raw = {"model": "kimi-k2.6", "messages": [m for m in _chat_requests(emu)[0]["messages"]]}
    raw["messages"][1] = {k: v for k, v in raw["messages"][1].items() if k != "reasoning_content"}
    import httpx

    refused = httpx.post(f"{emu.base_url}/chat/completions", json=raw)
    assert refused.status_code == 400
    assert "reasoning_content is missing" in refused.json()["error"]["message"]


def test_thinking_stream_v1_blocks_keep_reasoning_and_tool_calls_apart(make_llm: MakeLLM) -> None:
    llm = make_llm(output_version="v1").bind_tools([get_weather])
    chunks = list(llm.stream("Weather in Oslo?"))
    full = fold(chunks)
    assert full.content == [
        {"type": "reasoning", "reasoning": "I should call get_weather.", "index": "lc_rs_0"},
        {
            "type": "tool_call",
            "name": "get_weather",
            "args": {"city": "Oslo"},
            "id": "get_weather:0",
        },
    ]
    assert full.tool_calls == [
        {
            "name": "get_weather",
            "args": {"city": "Oslo"},
            "id": "get_weather:0",
            "type": "tool_call",
        }
    ]
    streamed_chunks = [b for c in chunks for b in c.content if b["type"] == "tool_call_chunk"]
    assert {b["index"] for b in streamed_chunks} == {"lc_tc_0"}
    invoked = llm.invoke("Weather in Oslo?")
    assert invoked.content == [
        {"type": "reasoning", "reasoning": "I should call get_weather."},
        {
            "type": "tool_call",
            "id": "get_weather:0",
            "name": "get_weather",
            "args": {"city": "Oslo"},
        },
    ]


@pytest.mark.parametrize("output_version", ["v0", "v1"])
def test_stream_is_the_same_with_chunks_built_without_revalidation(
    make_llm: MakeLLM, output_version: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whole streams (reasoning, text, LangChain's own per-chunk edits, the v1 block
    conversion, the folded message) through both builds of text chunks."""

    def dump(message: AIMessageChunk) -> dict[str, Any]:
        """The message without the ids that differ per request (run and completion ids)."""
        data = message.model_dump(exclude={"id"})
        data["response_metadata"].pop("id", None)
        return data

    def stream(fast: bool) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        monkeypatch.setattr(_fastpath, "FAST_CHUNKS", fast)
        chunks = list(make_llm(output_version=output_version).stream("hello there"))
        return [dump(chunk) for chunk in chunks], dump(fold(chunks))

    fast, validated = stream(True), stream(False)
    assert fast == validated
    assert len(fast[0]) > 3  # role chunk skipped; reasoning, text and the final chunk


def test_streamed_tool_calls_with_index_and_exact_ids(make_llm: MakeLLM, emu: KimiEmulator) -> None:
    emu.script(
        "Checking.",
        tool_calls=[
            {"name": "get_weather", "arguments": {"city": "北京"}, "id": "functions.get_weather:0"},
            {"name": "get_time", "arguments": {"city": "上海"}},
        ],
    )
    chunks = list(make_llm(thinking=False).bind_tools([get_weather, get_time]).stream("x"))
    indices = {tc["index"] for c in chunks for tc in c.tool_call_chunks}
    assert indices == {0, 1}
    full = fold(chunks)
    assert full.content == "Checking."
    assert full.tool_calls == [
        {
            "name": "get_weather",
            "args": {"city": "北京"},
            "id": "functions.get_weather:0",
            "type": "tool_call",
        },
        {"name": "get_time", "args": {"city": "上海"}, "id": "get_time:1", "type": "tool_call"},
    ]
    assert full.response_metadata["finish_reason"] == "tool_calls"


@pytest.mark.parametrize(
    ("arguments", "stream"),
    [
        ('{"city": [1,', False),
        ("{'city': 'Paris'}", False),
        ("{'city': 'Paris'}", True),
        # Streamed, a *truncated* object is completed by langchain-core's partial-JSON parser
        # when chunks are added up (its semantics for every provider), so only non-JSON is
        # checked on the stream path.
    ],
)
def test_invalid_json_arguments_become_invalid_tool_calls(
    make_llm: MakeLLM, emu: KimiEmulator, arguments: str, stream: bool
) -> None:
    emu.script(tool_calls=[{"name": "get_weather", "arguments": arguments, "id": "w:0"}])
    llm = make_llm(thinking=False).bind_tools([get_weather])
    message = fold(llm.stream("x")) if stream else llm.invoke("x")
    assert message.tool_calls == []
    assert [(c["name"], c["id"], c["args"]) for c in message.invalid_tool_calls] == [
        ("get_weather", "w:0", arguments)
    ]


# -- partial mode, JSON mode ------------------------------------------------------------------


def test_partial_mode_invoke_and_stream(llm: ChatKimi, emu: KimiEmulator) -> None:
    history = [HumanMessage("hello there"), AIMessage("You said: hel", name="Kimi")]
    message = llm.invoke(history)
    assert message.content == "You said: hello there"
    chunks = list(llm.stream(history))
    assert chunks[0].content == "You said: hel"
    assert fold(chunks).content == "You said: hello there"
    for body in _chat_requests(emu):
        assert body["messages"][-1] == {
            "role": "assistant",
            "content": "You said: hel",
            "name": "Kimi",
            "partial": True,
        }


async def test_partial_mode_async(llm: ChatKimi) -> None:
    history = [HumanMessage("abc"), AIMessage("You")]
    assert (await llm.ainvoke(history)).content == "You said: abc"
    chunks = [c async for c in llm.astream(history)]
    assert chunks[0].content == "You"
    assert fold(chunks).content == "You said: abc"


class City(BaseModel):
    """A city."""

    name: str
    population: int


def test_json_mode_end_to_end(llm: ChatKimi, emu: KimiEmulator) -> None:
    structured = llm.with_structured_output(City, method="json_mode")
    assert structured.invoke("Tell me about Paris") == City(name="<name>", population=1)
    assert list(structured.stream("Tell me about Paris"))[-1] == City(name="<name>", population=1)
    body = _chat_requests(emu)[0]
    assert body["response_format"] == {"type": "json_object"}
    assert "JSON schema" in body["messages"][0]["content"]


def test_partial_mode_with_json_mode_is_refused_before_sending(
    llm: ChatKimi, emu: KimiEmulator
) -> None:
    with pytest.raises(InvalidParameterError) as info:
        llm.with_structured_output(City).invoke([HumanMessage("x"), AIMessage("{")])
    assert info.value.param == "response_format"
    assert emu.requests == []


# -- $web_search ------------------------------------------------------------------------------


def _script_search(emu: KimiEmulator, answer: str = "Kimi K2.5 launched.") -> str:
    arguments = json.dumps({"search_result": {"search_id": "s-1"}, "usage": {"total_tokens": 50}})
    emu.script(
        reasoning="Search first.",
        tool_calls=[{"name": "$web_search", "arguments": arguments, "type": "builtin_function"}],
        usage={"prompt_tokens": 100, "completion_tokens": 10},
    )
    emu.script(answer, reasoning="Found it.", usage={"prompt_tokens": 300, "completion_tokens": 20})
    return arguments


def _check_search_requests(emu: KimiEmulator, arguments: str) -> None:
    first, second = _chat_requests(emu)
    assert first["tools"] == [WEB_SEARCH]
    assert second["messages"][1:] == [
        {
            # No empty content next to the calls (Kimi: "text content is empty").
            "role": "assistant",
            "tool_calls": [
                {
                    "id": "$web_search:0",
                    "type": "builtin_function",
                    "function": {"name": "$web_search", "arguments": arguments},
                }
            ],
            "reasoning_content": "Search first.",
        },
        {
            "role": "tool",
            "tool_call_id": "$web_search:0",
            "name": "$web_search",
            "content": arguments,
        },
    ]


SEARCH_USAGE = {"input_tokens": 400, "output_tokens": 30, "total_tokens": 430}


def test_web_search_loop_invoke(llm: ChatKimi, emu: KimiEmulator) -> None:
    arguments = _script_search(emu)
    message = llm.bind_tools([WEB_SEARCH]).invoke("What's new with Kimi?")
    assert message.content == "Kimi K2.5 launched."
    assert message.tool_calls == []
    assert message.invalid_tool_calls == []
    assert message.additional_kwargs["reasoning_content"] == "Search first.\n\nFound it."
    assert message.usage_metadata == SEARCH_USAGE
    # 400 x $0.95 + 30 x $4.00 per 1M tokens (kimi-k2.6).
    assert message.response_metadata["cost"] == {"amount": 0.0005, "currency": "USD"}
    _check_search_requests(emu, arguments)


def test_web_search_loop_stream(llm: ChatKimi, emu: KimiEmulator) -> None:
    arguments = _script_search(emu)
    chunks = list(llm.bind_tools([WEB_SEARCH]).stream("What's new with Kimi?"))
    assert all(not c.tool_call_chunks for c in chunks)
    full = fold(chunks)
    assert full.content == "Kimi K2.5 launched."
    assert full.tool_calls == []
    assert full.additional_kwargs["reasoning_content"] == "Search first.\n\nFound it."
    assert full.usage_metadata == SEARCH_USAGE
    assert [c.usage_metadata is not None for c in chunks].count(True) == 1
    _check_search_requests(emu, arguments)


async def test_web_search_loop_async(llm: ChatKimi, emu: KimiEmulator) -> None:
    arguments = _script_search(emu)
    message = await llm.bind_tools([WEB_SEARCH]).ainvoke("What's new with Kimi?")
    assert message.content == "Kimi K2.5 launched."
    assert message.usage_metadata == SEARCH_USAGE
    _check_search_requests(emu, arguments)
    emu.reset()
    _script_search(emu)
    full = fold([c async for c in llm.bind_tools([WEB_SEARCH]).astream("What's new?")])
    assert full.content == "Kimi K2.5 launched."
    assert full.usage_metadata == SEARCH_USAGE


def test_web_search_default_reply_and_round_guard(make_llm: MakeLLM, emu: KimiEmulator) -> None:
    llm = make_llm(max_builtin_tool_rounds=2).bind_tools([WEB_SEARCH])
    # The emulator's default: search once, then quote the search result.
    assert llm.invoke("news").content.startswith("The tool $web_search returned: ")
    emu.reset()
    emu.script(tool_calls=[{"name": "$web_search", "arguments": "{}"}], times=3)
    with pytest.raises(ToolLoopError, match="max_builtin_tool_rounds=2"):
        llm.invoke("news")
    assert len(_chat_requests(emu)) == 3


@pytest.mark.parametrize("stream", [False, True])
def test_builtin_call_next_to_a_user_tool_is_not_shown(
    make_llm: MakeLLM, emu: KimiEmulator, stream: bool
) -> None:
    emu.script(
        tool_calls=[
            {"name": "$web_search", "arguments": "{}", "type": "builtin_function"},
            {"name": "get_weather", "arguments": {"city": "Oslo"}},
        ]
    )
    llm = make_llm(thinking=False).bind_tools([WEB_SEARCH, get_weather])
    message = fold(llm.stream("x")) if stream else llm.invoke("x")
    assert message.tool_calls == [
        {
            "name": "get_weather",
            "args": {"city": "Oslo"},
            "id": "get_weather:1",
            "type": "tool_call",
        }
    ]
    assert len(_chat_requests(emu)) == 1


# -- usage, cost, callback --------------------------------------------------------------------


def test_usage_details_and_stream_usage_off(make_llm: MakeLLM, emu: KimiEmulator) -> None:
    emu.script(
        "Hi.", usage={"prompt_tokens": 40, "completion_tokens": 5, "cached_tokens": 32}, times=3
    )
    llm = make_llm(thinking=False)
    usage = {
        "input_tokens": 40,
        "output_tokens": 5,
        "total_tokens": 45,
        "input_token_details": {"cache_read": 32},
    }
    assert llm.invoke("x").usage_metadata == usage
    assert fold(llm.stream("x")).usage_metadata == usage
    quiet = fold(llm.stream("x", stream_usage=False))
    assert quiet.usage_metadata is None
    assert "token_usage" not in quiet.response_metadata
    assert quiet.response_metadata["finish_reason"] == "stop"
    assert make_llm(stream_usage=False).invoke("x").usage_metadata is not None


async def test_get_kimi_callback_totals(make_llm: MakeLLM, emu: KimiEmulator) -> None:
    from langchain_kimi import get_kimi_callback

    emu.script(
        "A", usage={"prompt_tokens": 100, "completion_tokens": 10, "cached_tokens": 40}, times=6
    )
    llm = make_llm(thinking=False)
    with get_kimi_callback() as cb:
        results = [llm.invoke("x"), await llm.ainvoke("x")]
        results.append(fold(llm.stream("x")))
        results.append(fold([c async for c in llm.astream("x")]))
        results.extend(llm.batch(["x", "y"]))
    assert cb.successful_requests == 6
    assert (cb.prompt_tokens, cb.completion_tokens, cb.total_tokens) == (600, 60, 660)
    assert cb.cache_read_tokens == 240
    # Per call: 60 fresh x $0.95 + 40 cached x $0.16 + 10 x $4.00 per 1M = $0.0001034.
    assert cb.currency == "USD"
    assert float(cb.total_cost) == pytest.approx(6 * 0.0001034)
    assert float(cb.total_cost) == pytest.approx(
        sum(r.response_metadata["cost"]["amount"] for r in results)
    )
    assert "Tokens Used: 660" in repr(cb)
    llm.invoke("outside the block")
    assert cb.successful_requests == 6


# -- errors -----------------------------------------------------------------------------------


def test_quota_error_is_not_retried(make_llm: MakeLLM, emu: KimiEmulator) -> None:
    emu.fail_next(429, error_type="exceeded_current_quota_error", times=3)
    llm = make_llm(max_retries=2)
    with pytest.raises(QuotaExceededError) as info:
        llm.invoke("x")
    assert isinstance(info.value, ModelRateLimitError)
    assert info.value.is_retryable is False
    assert len(emu.requests) == 1


def test_rate_limit_is_retried_by_the_core_only(make_llm: MakeLLM, emu: KimiEmulator) -> None:
    emu.fail_next(429, retry_after=0)
    assert make_llm(max_retries=1).invoke("x").content == "You said: x"
    assert len(emu.requests) == 2
    emu.reset()
    emu.fail_next(429, retry_after=0)
    with pytest.raises(ModelRateLimitError) as info:
        make_llm(max_retries=0).invoke("x")
    assert info.value.is_retryable is True
    assert len(emu.requests) == 1


def test_wrong_key_is_an_authentication_error(
    kimi_emulator_factory: Callable[..., KimiEmulator],
) -> None:
    emu = kimi_emulator_factory(api_key="sk-right")
    llm = ChatKimi(api_key=API_KEY, base_url=emu.base_url, max_retries=0)
    with pytest.raises(AuthenticationError) as info:
        llm.invoke("x")
    assert isinstance(info.value, ModelAuthenticationError)
    assert info.value.status == 401
    assert API_KEY not in str(info.value)
    with pytest.raises(ModelAuthenticationError):
        list(llm.stream("x"))


def test_context_overflow(make_llm: MakeLLM) -> None:
    llm = make_llm(model="moonshot-v1-8k", max_tokens=8000)
    with pytest.raises(ContextLengthExceededError) as info:
        llm.invoke("word " * 1000)
    assert isinstance(info.value, ContextOverflowError)
    assert "Input token length too long" in str(info.value)


def test_fixed_sampling_is_dropped_with_a_warning_and_strict_refuses(
    make_llm: Callable[..., ChatKimi], emu: KimiEmulator, fresh_sampling_warnings: None
) -> None:
    llm = make_llm()
    with pytest.warns(FixedSamplingWarning, match="temperature=0.2 given was not sent"):
        assert llm.invoke("x", temperature=0.2).content == "You said: x"
    with pytest.warns(FixedSamplingWarning, match="top_p=0.5 given was not sent"):
        assert fold(llm.stream("x", top_p=0.5)).content == "You said: x"
    sent = _chat_requests(emu)
    assert [("temperature" in body, "top_p" in body) for body in sent] == [(False, False)] * 2
    strict = make_llm(strict_sampling=True)
    with pytest.raises(InvalidParameterError) as info:
        strict.invoke("x", temperature=0.2)
    assert info.value.param == "temperature"
    with pytest.raises(InvalidParameterError):
        list(strict.stream("x", top_p=0.5))
    with pytest.raises(InvalidParameterError, match="plain URLs"):
        llm.invoke([HumanMessage([{"type": "image_url", "image_url": {"url": "https://x/y.png"}}])])
    assert len(emu.requests) == 2  # nothing sent since
    # Per-call model switch: moonshot-v1-8k takes any temperature in [0, 1].
    assert strict.invoke("x", model="moonshot-v1-8k", temperature=0.2).content == "You said: x"
    assert _chat_requests(emu)[2]["temperature"] == 0.2


def test_cut_stream_is_an_error_not_a_short_answer(llm: ChatKimi, emu: KimiEmulator) -> None:
    emu.cut_next_stream(after_events=3)
    received: list[AIMessageChunk] = []
    with pytest.raises(StreamInterruptedError) as info:
        received.extend(llm.stream("a long story"))
    assert isinstance(info.value, ModelConnectionError)
    assert all(c.chunk_position != "last" for c in received)


# -- the rest ---------------------------------------------------------------------------------


def test_images_are_sent_as_kimi_parts(llm: ChatKimi, emu: KimiEmulator) -> None:
    png = base64.b64encode(b"\x89PNG fake").decode()
    message = HumanMessage(
        [
            {"type": "text", "text": "What is this?"},
            {"type": "image", "base64": png, "mime_type": "image/png"},
            {"type": "image_url", "image_url": {"url": "ms://cn0image"}},
        ]
    )
    assert llm.invoke([message]).content == "You said: What is this?"
    assert _chat_requests(emu)[0]["messages"][0]["content"] == [
        {"type": "text", "text": "What is this?"},
        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{png}"}},
        {"type": "image_url", "image_url": {"url": "ms://cn0image"}},
    ]


def test_token_estimate_from_the_server(llm: ChatKimi) -> None:
    # tokens.py: [{"role": "user", "content": "hello"}] -> 3 + (3 + 2) = 8.
    assert llm.get_num_tokens_from_messages([HumanMessage("hello")]) == 8
    assert llm.get_num_tokens("hello") == 8


async def test_abatch_and_rate_limiter(make_llm: MakeLLM) -> None:
    limiter = InMemoryRateLimiter(requests_per_second=1000, check_every_n_seconds=0.001)
    llm = make_llm(rate_limiter=limiter)
    results = await llm.abatch(["one", "two", "three"])
    assert [r.content for r in results] == ["You said: one", "You said: two", "You said: three"]


@pytest.mark.parametrize("dialect", ["acedata", "cloudsway"])
def test_gateway_dialects_stream_usage_once(
    kimi_emulator_factory: Callable[..., KimiEmulator], dialect: str
) -> None:
    emu = kimi_emulator_factory(dialect=dialect)
    llm = ChatKimi(api_key=API_KEY, base_url=emu.base_url, max_retries=0)
    chunks = list(llm.stream("hi"))
    full = fold(chunks)
    assert full.content == "You said: hi"
    assert full.additional_kwargs["reasoning_content"] == "Let me think about this."
    assert [c.usage_metadata is not None for c in chunks].count(True) == 1
    assert full.usage_metadata is not None
    assert full.usage_metadata["total_tokens"] == (
        full.usage_metadata["input_tokens"] + full.usage_metadata["output_tokens"]
    )
    assert llm.invoke("hi").content == "You said: hi"
