"""ChatKimi on every host, over real HTTP against an emulator speaking that host's dialect
(issue 24): what it sends (thinking on / off / effort in the host's fields, a tool-call turn
replayed with its reasoning the host's way, stream usage asked for) and what it reads (text,
reasoning, tool calls, usage, cost, an error, a mid-stream error), sync and async, invoke and
stream. Expectations: ``hosts_matrix``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from hosts_matrix import (
    ALWAYS,
    CALL,
    DETECT_URLS,
    EFFORT,
    HOST_MESSAGE,
    HOST_NAMES,
    INTERRUPTION,
    KEY,
    MODELS,
    NO_RATE_HEADERS,
    OFF,
    ON,
    PLATFORM,
    PRESERVING,
    REPLAY_KEYS,
    STREAM_OPTIONS,
    TEXT,
    THOUGHT,
    USAGE,
    chat_requests,
    expected_cost,
    settings,
    thinking_fields,
)
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage, ToolMessage

from kimi_core import errors
from kimi_emulator import KimiEmulator
from langchain_kimi import ChatKimi

ASK = "Weather in Paris?"


def get_weather(city: str) -> str:
    """The weather in a city."""
    return "sunny"


def make(name: str, emu: KimiEmulator, **extra: Any) -> ChatKimi:
    return ChatKimi(**settings(name, emu, **extra))


def script(emu: KimiEmulator, **extra: Any) -> None:
    emu.script(TEXT, reasoning=THOUGHT, usage=USAGE, **extra)


def check_answer(name: str, message: AIMessage | AIMessageChunk) -> None:
    """Text, reasoning, usage and cost of the scripted answer, as ``name`` reports them."""
    assert message.content == TEXT
    assert message.additional_kwargs["reasoning_content"] == THOUGHT
    usage = message.usage_metadata
    assert usage is not None
    assert (usage["input_tokens"], usage["output_tokens"], usage["total_tokens"]) == (11, 7, 18)
    cost = message.response_metadata.get("cost")
    expected = expected_cost(name)
    if expected is None:
        assert cost is None
    else:
        assert cost == {"amount": pytest.approx(expected["amount"]), "currency": "USD"}


# --------------------------------------------------------------------------- what it sends


def test_thinking_on_off_and_effort_go_out_in_the_hosts_fields(
    name: str, emu: KimiEmulator
) -> None:
    make(name, emu, thinking=True).invoke("Hi")
    assert thinking_fields(chat_requests(emu)[-1].json) == ON[name]
    off = OFF[name]
    if isinstance(off, str):
        with pytest.raises(errors.InvalidParameterError, match=off) as refused:
            make(name, emu, thinking=False).invoke("Hi")
        assert refused.value.param == "thinking"
    else:
        make(name, emu, thinking=False).invoke("Hi")
        assert thinking_fields(chat_requests(emu)[-1].json) == {**ALWAYS.get(name, {}), **off}
        if off:
            assert chat_requests(emu)[-1].seen_thinking is False  # the host read it
    effort = EFFORT[name]
    if isinstance(effort, str):
        with pytest.raises(errors.ConfigurationError, match=effort) as refused:
            make(name, emu, reasoning_effort="medium")
        assert refused.value.param == "reasoning_effort"
    else:
        model, value, fields = effort
        make(name, emu, reasoning_effort=value, **({"model": model} if model else {})).invoke("Hi")
        assert thinking_fields(chat_requests(emu)[-1].json) == {**ALWAYS.get(name, {}), **fields}
        assert chat_requests(emu)[-1].seen_effort == value
    assert len(chat_requests(emu)) == (
        1 + (not isinstance(off, str)) + (not isinstance(effort, str))
    )


def test_a_tool_call_turn_is_replayed_with_reasoning_the_hosts_way(
    name: str, emu: KimiEmulator
) -> None:
    llm = make(name, emu, thinking=True).bind_tools([get_weather])
    emu.script("", reasoning=THOUGHT, tool_calls=[CALL])
    ai = llm.invoke("Weather in Paris?")
    assert ai.tool_calls == [
        {
            "name": "get_weather",
            "args": {"city": "Paris"},
            "id": "get_weather:0",
            "type": "tool_call",
        }
    ]
    history = [
        HumanMessage("Weather in Paris?"),
        ai,
        ToolMessage("sunny", tool_call_id="get_weather:0"),
    ]
    llm.invoke(history)
    check_replay(name, emu)


@pytest.mark.parametrize("host", sorted(PRESERVING))
def test_a_preserving_family_gets_every_turns_reasoning_back(
    host: str, servers: dict[str, KimiEmulator]
) -> None:
    emu = servers[host]
    emu.reset()
    llm = ChatKimi(**settings(host, emu, model=PRESERVING[host]))
    earlier = AIMessage("Paris.", additional_kwargs={"reasoning_content": THOUGHT})
    llm.invoke([HumanMessage("Capital of France?"), earlier, HumanMessage("And Italy?")])
    sent = chat_requests(emu)[-1]
    replayed = sent.json["messages"][1]
    assert {k: replayed[k] for k in REPLAY_KEYS[host] - {"reasoning_details"}} == dict.fromkeys(
        REPLAY_KEYS[host] - {"reasoning_details"}, THOUGHT
    )
    assert sent.seen_reasoning == [THOUGHT]


def test_stream_usage_is_asked_for_where_the_host_needs_it(name: str, emu: KimiEmulator) -> None:
    script(emu)
    list(make(name, emu, thinking=True).stream("Hi"))
    body = chat_requests(emu)[-1].json
    expected = {"include_usage": True} if name in STREAM_OPTIONS else None
    assert (body["stream"], body.get("stream_options")) == (True, expected)


# --------------------------------------------------------------------------- what it reads


def test_invoke_reads_text_reasoning_usage_and_cost(name: str, emu: KimiEmulator) -> None:
    script(emu)
    check_answer(name, make(name, emu, thinking=True).invoke("Hi"))


async def test_ainvoke_reads_text_reasoning_usage_and_cost(name: str, emu: KimiEmulator) -> None:
    script(emu)
    check_answer(name, await make(name, emu, thinking=True).ainvoke("Hi"))


def _fold(chunks: list[AIMessageChunk]) -> AIMessageChunk:
    total = chunks[0]
    for chunk in chunks[1:]:
        total = total + chunk
    return total


def test_stream_reads_text_reasoning_usage_and_cost(name: str, emu: KimiEmulator) -> None:
    script(emu)
    chunks = list(make(name, emu, thinking=True).stream("Hi"))
    assert len([c for c in chunks if c.content]) > 1  # really streamed
    check_answer(name, _fold(chunks))


async def test_astream_reads_text_reasoning_usage_and_cost(name: str, emu: KimiEmulator) -> None:
    script(emu)
    chunks = [chunk async for chunk in make(name, emu, thinking=True).astream("Hi")]
    check_answer(name, _fold(chunks))


async def test_astream_reads_tool_calls(name: str, emu: KimiEmulator) -> None:
    emu.script("", reasoning=THOUGHT, tool_calls=[CALL])
    llm = make(name, emu, thinking=True).bind_tools([get_weather])
    folded = _fold([chunk async for chunk in llm.astream(ASK)])
    assert folded.tool_calls == [
        {
            "name": "get_weather",
            "args": {"city": "Paris"},
            "id": "get_weather:0",
            "type": "tool_call",
        }
    ]
    assert folded.additional_kwargs["reasoning_content"] == THOUGHT
    # Replayed (async) as the invoked turn is: the streamed reasoning goes back the host's way.
    history = [HumanMessage(ASK), folded, ToolMessage("sunny", tool_call_id="get_weather:0")]
    await llm.ainvoke(history)
    check_replay(name, emu)


def check_replay(name: str, emu: KimiEmulator) -> None:
    """The last request's replayed assistant turn: its reasoning under the host's keys, as
    the host read it (OpenRouter: one ``reasoning_details`` item per block, unchanged)."""
    sent = chat_requests(emu)[-1]
    replayed = sent.json["messages"][1]
    keys = {k for k in ("reasoning", "reasoning_content", "reasoning_details") if k in replayed}
    assert keys == REPLAY_KEYS[name]
    for key in keys - {"reasoning_details"}:
        assert replayed[key] == THOUGHT
    if "reasoning_details" in keys:
        assert replayed["reasoning_details"] == [
            {"type": "reasoning.text", "text": THOUGHT, "format": "unknown", "index": 0}
        ]
    assert replayed["tool_calls"][0]["id"] == "get_weather:0"
    assert sent.seen_reasoning == [THOUGHT]  # what the host itself read back


def test_rate_limit_headers_are_read_where_the_host_sends_them(
    name: str, emu: KimiEmulator
) -> None:
    emu.set_limits(rpm=100, tpm=100_000)
    try:
        rate_limit = make(name, emu).invoke("Hi").response_metadata.get("rate_limit")
    finally:
        emu.set_limits()
    if name in NO_RATE_HEADERS:
        assert rate_limit is None
    else:
        assert rate_limit is not None
        assert (rate_limit["limit"], rate_limit["remaining"]) == (100, 99)


def _check_error(name: str, error: BaseException, kind: type[BaseException]) -> None:
    assert isinstance(error, kind)
    assert HOST_MESSAGE in str(error)
    if name == "openrouter" and not isinstance(error, errors.QuotaExceededError):
        assert "Moonshot AI" in str(error)  # the upstream's message and name (402: OpenRouter's)


@pytest.mark.parametrize(
    ("status", "kind"), [(400, errors.BadRequestError), (402, errors.QuotaExceededError)]
)
def test_an_error_is_typed_with_the_hosts_message(
    name: str, emu: KimiEmulator, status: int, kind: type[errors.APIStatusError]
) -> None:
    emu.fail_next(status, message=HOST_MESSAGE)
    with pytest.raises(kind) as caught:
        make(name, emu).invoke("Hi")
    _check_error(name, caught.value, kind)
    assert caught.value.status_code == status


async def test_an_async_rate_limit_is_typed_with_the_hosts_message(
    name: str, emu: KimiEmulator
) -> None:
    emu.fail_next(429, message=HOST_MESSAGE)
    with pytest.raises(errors.RateLimitError) as caught:
        await make(name, emu).ainvoke("Hi")
    _check_error(name, caught.value, errors.RateLimitError)


def _check_interruption(name: str, error: BaseException, received: str) -> None:
    """A mid-stream error: off Moonshot's platform a ``StreamInterruptedError``; on it, the
    typed error of the event (its earlier behaviour); both carry the text received."""
    kind = errors.InternalServerError if name in PLATFORM else errors.StreamInterruptedError
    assert isinstance(error, kind), repr(error)
    assert INTERRUPTION in str(error)
    assert received
    assert TEXT.startswith(received)
    assert received != TEXT
    assert getattr(error, "text", None) == received


async def _adrain(chunks: AsyncIterator[AIMessageChunk], received: list[str]) -> None:
    async for chunk in chunks:
        received.append(str(chunk.content))


def test_a_mid_stream_error_raises_with_the_partial_text(name: str, emu: KimiEmulator) -> None:
    script(emu)
    emu.fail_mid_stream(INTERRUPTION, after=7)
    received: list[str] = []
    with pytest.raises(errors.APIError) as caught:
        received.extend(str(chunk.content) for chunk in make(name, emu, thinking=True).stream("Hi"))
    _check_interruption(name, caught.value, "".join(received))


async def test_an_async_mid_stream_error_raises_with_the_partial_text(
    name: str, emu: KimiEmulator
) -> None:
    script(emu)
    emu.fail_mid_stream(INTERRUPTION, after=7)
    received: list[str] = []
    with pytest.raises(errors.APIError) as caught:
        await _adrain(make(name, emu, thinking=True).astream("Hi"), received)
    _check_interruption(name, caught.value, "".join(received))


# --------------------------------------------------------------------------- configuration


@pytest.mark.parametrize("host", sorted(DETECT_URLS))
def test_the_base_urls_hostname_picks_the_host(host: str) -> None:
    llm = ChatKimi(model=MODELS[host], base_url=DETECT_URLS[host], api_key=KEY)
    assert llm.client.host.name == host


def test_every_host_has_a_row() -> None:
    assert set(MODELS) == set(HOST_NAMES) == set(ON) == set(OFF) == set(EFFORT)
    assert set(DETECT_URLS) == set(HOST_NAMES) - {"vllm", "sglang"}


def test_api_key_may_be_a_token_callable(name: str, emu: KimiEmulator) -> None:
    tokens = iter([KEY, KEY, "expired-token"])
    calls: list[int] = []

    def token() -> str:
        calls.append(1)
        return next(tokens)

    llm = make(name, emu, api_key=token)
    llm.invoke("Hi")
    llm.invoke("Hi")
    with pytest.raises(errors.AuthenticationError):
        llm.invoke("Hi")  # the third token is refused: the callable's value is what is sent
    assert len(calls) == 3
    assert llm.api_key is token  # kept as given: called for every request


def test_azure_sends_api_key_and_keeps_api_version(servers: dict[str, KimiEmulator]) -> None:
    emu = servers["azure"]
    emu.reset()
    llm = ChatKimi(
        model="Kimi-K2.6",
        gateway="azure",
        base_url=emu.base_url + "?api-version=2024-10-21",
        api_key=KEY,
    )
    assert llm.invoke("Hi").content == "You said: Hi"
    [sent] = chat_requests(emu)
    assert sent.query == {"api-version": "2024-10-21"}
    assert sent.headers["api-key"] == "***"
    assert "authorization" not in sent.headers


@pytest.mark.parametrize(
    "kwargs",
    [
        {
            "base_url": "https://bedrock-runtime.us-east-1.amazonaws.com/model/moonshot.kimi-k2/converse"
        },
        {"gateway": "bedrock-converse"},
    ],
)
def test_bedrocks_converse_api_is_a_clear_error(kwargs: dict[str, Any]) -> None:
    with pytest.raises(errors.ConfigurationError, match="Converse API") as caught:
        ChatKimi(model="moonshot.kimi-k2", api_key=KEY, **kwargs)
    assert "gateway='bedrock'" in str(caught.value)


@pytest.mark.parametrize(
    ("host", "effort", "listed"),
    [
        ("fireworks", "max", "'low', 'medium', 'high', 'none'"),
        ("openrouter", "max", "'xhigh', 'high', 'medium', 'low', 'minimal', 'none'"),
        ("moonshot-global", "medium", "'low', 'high', 'max'"),
    ],
)
def test_an_effort_the_host_does_not_take_names_its_values(
    host: str, effort: str, listed: str
) -> None:
    with pytest.raises(errors.ConfigurationError) as caught:
        ChatKimi(model=MODELS[host], gateway=host, api_key=KEY, reasoning_effort=effort)
    assert caught.value.param == "reasoning_effort"
    assert listed in str(caught.value)
    assert repr(effort) in str(caught.value)


def test_price_gives_a_cost_where_the_host_reports_none(servers: dict[str, KimiEmulator]) -> None:
    emu = servers["together"]
    emu.reset()
    price = {"input": "1.20", "output": "4.50", "currency": "USD"}
    llm = make("together", emu, thinking=True, price=price)
    script(emu)
    expected = 11 * 1.20e-6 + 7 * 4.50e-6
    assert llm.invoke("Hi").response_metadata["cost"] == {
        "amount": pytest.approx(expected),
        "currency": "USD",
    }
    assert "price" not in chat_requests(emu)[-1].json  # the user's, never sent
    script(emu)
    folded = _fold(list(llm.stream("Hi")))
    assert folded.response_metadata["cost"]["amount"] == pytest.approx(expected)
