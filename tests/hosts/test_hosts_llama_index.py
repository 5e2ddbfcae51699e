"""LlamaIndex's ``Kimi`` on every host, over real HTTP against an emulator speaking that
host's dialect (issue 24): what it sends (thinking on / off / effort in the host's fields, a
tool-call turn replayed with its reasoning the host's way, stream usage asked for) and what
it reads (text, reasoning, tool calls, usage, cost, an error, a mid-stream error), sync and
async, chat and stream. Expectations: ``hosts_matrix``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from hosts_matrix import (
    ALWAYS,
    CALL,
    DETECT_URLS,
    EFFORT,
    HOST_MESSAGE,
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
from llama_index.core.base.llms.types import ChatResponse, TextBlock, ThinkingBlock
from llama_index.core.llms import ChatMessage
from llama_index.core.tools import FunctionTool

from kimi_core import errors
from kimi_emulator import KimiEmulator
from llama_index_kimi import Kimi

HI = [ChatMessage(role="user", content="Hi")]
ASK = "Weather in Paris?"


def get_weather(city: str) -> str:
    """The weather in a city."""
    return "sunny"


TOOL = FunctionTool.from_defaults(fn=get_weather)
TOOL_RESULT = ChatMessage(
    role="tool", content="sunny", additional_kwargs={"tool_call_id": "get_weather:0"}
)


def make(name: str, emu: KimiEmulator, **extra: Any) -> Kimi:
    return Kimi(**settings(name, emu, **extra))


def script(emu: KimiEmulator) -> None:
    emu.script(TEXT, reasoning=THOUGHT, usage=USAGE)


def check_answer(name: str, response: ChatResponse) -> None:
    """Text, reasoning, usage and cost of the scripted answer, as ``name`` reports them."""
    message = response.message
    assert message.content == TEXT
    thinking = [b for b in message.blocks if isinstance(b, ThinkingBlock)]
    assert [b.content for b in thinking] == [THOUGHT]
    extra = response.additional_kwargs
    assert (extra["prompt_tokens"], extra["completion_tokens"], extra["total_tokens"]) == (
        11,
        7,
        18,
    )
    assert isinstance(response.raw, dict)
    assert response.raw["usage"]["total_tokens"] == 18  # where TokenCountingHandler reads it
    expected = expected_cost(name)
    if expected is None:
        assert "cost" not in extra
    else:
        assert extra["cost"] == {"amount": pytest.approx(expected["amount"]), "currency": "USD"}


# --------------------------------------------------------------------------- what it sends


def test_thinking_on_off_and_effort_go_out_in_the_hosts_fields(
    name: str, emu: KimiEmulator
) -> None:
    llm = make(name, emu)
    llm.chat(HI, thinking=True)  # per call, as LlamaIndex passes options
    assert thinking_fields(chat_requests(emu)[-1].json) == ON[name]
    off = OFF[name]
    if isinstance(off, str):
        with pytest.raises(errors.InvalidParameterError, match=off) as refused:
            llm.chat(HI, thinking=False)
        assert refused.value.param == "thinking"
    else:
        make(name, emu, thinking=False).chat(HI)
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
        make(name, emu, reasoning_effort=value, **({"model": model} if model else {})).chat(HI)
        assert thinking_fields(chat_requests(emu)[-1].json) == {**ALWAYS.get(name, {}), **fields}
        assert chat_requests(emu)[-1].seen_effort == value
    sent = 1 + (not isinstance(off, str)) + (not isinstance(effort, str))
    assert len(chat_requests(emu)) == sent


def test_a_tool_call_turn_is_replayed_with_reasoning_the_hosts_way(
    name: str, emu: KimiEmulator
) -> None:
    llm = make(name, emu, thinking=True)
    emu.script("", reasoning=THOUGHT, tool_calls=[CALL])
    response = llm.chat_with_tools([TOOL], user_msg=ASK)
    [selection] = llm.get_tool_calls_from_response(response)
    assert (selection.tool_id, selection.tool_name, selection.tool_kwargs) == (
        "get_weather:0",
        "get_weather",
        {"city": "Paris"},
    )
    history = [
        ChatMessage(role="user", content=ASK),
        response.message,
        ChatMessage(
            role="tool", content="sunny", additional_kwargs={"tool_call_id": "get_weather:0"}
        ),
    ]
    llm.chat_with_tools([TOOL], chat_history=history)
    sent = chat_requests(emu)[-1]
    replayed = sent.json["messages"][1]
    keys = {k for k in ("reasoning", "reasoning_content", "reasoning_details") if k in replayed}
    assert keys == REPLAY_KEYS[name]
    for key in keys - {"reasoning_details"}:
        assert replayed[key] == THOUGHT
    if "reasoning_details" in keys:  # OpenRouter: the answer's list, unchanged
        assert (
            replayed["reasoning_details"] == response.message.additional_kwargs["reasoning_details"]
        )
        assert replayed["reasoning_details"][0]["text"] == THOUGHT
    assert replayed["tool_calls"][0]["id"] == "get_weather:0"
    assert sent.seen_reasoning == [THOUGHT]  # what the host itself read back


@pytest.mark.parametrize("host", sorted(PRESERVING))
def test_a_preserving_family_gets_every_turns_reasoning_back(
    host: str, servers: dict[str, KimiEmulator]
) -> None:
    emu = servers[host]
    emu.reset()
    llm = Kimi(**settings(host, emu, model=PRESERVING[host]))
    earlier = ChatMessage(
        role="assistant", blocks=[ThinkingBlock(content=THOUGHT), TextBlock(text="Paris.")]
    )
    question = ChatMessage(role="user", content="Capital of France?")
    llm.chat([question, earlier, ChatMessage(role="user", content="And Italy?")])
    sent = chat_requests(emu)[-1]
    replayed = sent.json["messages"][1]
    assert {k: replayed[k] for k in REPLAY_KEYS[host] - {"reasoning_details"}} == dict.fromkeys(
        REPLAY_KEYS[host] - {"reasoning_details"}, THOUGHT
    )
    assert sent.seen_reasoning == [THOUGHT]


def test_stream_usage_is_asked_for_where_the_host_needs_it(name: str, emu: KimiEmulator) -> None:
    script(emu)
    list(make(name, emu, thinking=True).stream_chat(HI))
    body = chat_requests(emu)[-1].json
    expected = {"include_usage": True} if name in STREAM_OPTIONS else None
    assert (body["stream"], body.get("stream_options")) == (True, expected)


# --------------------------------------------------------------------------- what it reads


def test_chat_reads_text_reasoning_usage_and_cost(name: str, emu: KimiEmulator) -> None:
    script(emu)
    check_answer(name, make(name, emu, thinking=True).chat(HI))


async def test_achat_reads_text_reasoning_usage_and_cost(name: str, emu: KimiEmulator) -> None:
    script(emu)
    check_answer(name, await make(name, emu, thinking=True).achat(HI))


def test_stream_chat_reads_text_reasoning_usage_and_cost(name: str, emu: KimiEmulator) -> None:
    script(emu)
    responses = list(make(name, emu, thinking=True).stream_chat(HI))
    assert "".join(r.delta or "" for r in responses) == TEXT
    assert len([r for r in responses if r.delta]) > 1  # really streamed
    check_answer(name, responses[-1])


async def test_astream_chat_reads_text_reasoning_usage_and_cost(
    name: str, emu: KimiEmulator
) -> None:
    script(emu)
    stream = await make(name, emu, thinking=True).astream_chat(HI)
    responses = [response async for response in stream]
    check_answer(name, responses[-1])


async def test_astream_reads_tool_calls(name: str, emu: KimiEmulator) -> None:
    emu.script("", reasoning=THOUGHT, tool_calls=[CALL])
    llm = make(name, emu, thinking=True)
    stream = await llm.astream_chat_with_tools([TOOL], user_msg=ASK)
    responses = [response async for response in stream]
    [selection] = llm.get_tool_calls_from_response(responses[-1])
    assert (selection.tool_id, selection.tool_name, selection.tool_kwargs) == (
        "get_weather:0",
        "get_weather",
        {"city": "Paris"},
    )
    # Replayed (async) as the chatted turn is: the streamed reasoning goes back the host's way.
    history = [
        ChatMessage(role="user", content=ASK),
        responses[-1].message,
        TOOL_RESULT,
    ]
    await llm.achat_with_tools([TOOL], chat_history=history)
    sent = chat_requests(emu)[-1]
    replayed = sent.json["messages"][1]
    keys = {k for k in ("reasoning", "reasoning_content", "reasoning_details") if k in replayed}
    assert keys == REPLAY_KEYS[name]
    for key in keys - {"reasoning_details"}:
        assert replayed[key] == THOUGHT
    if "reasoning_details" in keys:  # one item per block, as a chat answer gives it
        assert replayed["reasoning_details"] == [
            {"type": "reasoning.text", "text": THOUGHT, "format": "unknown", "index": 0}
        ]
    assert sent.seen_reasoning == [THOUGHT]


def test_rate_limit_headers_are_read_where_the_host_sends_them(
    name: str, emu: KimiEmulator
) -> None:
    emu.set_limits(rpm=100, tpm=100_000)
    try:
        rate_limit = make(name, emu).chat(HI).additional_kwargs.get("rate_limit")
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
        make(name, emu).chat(HI)
    _check_error(name, caught.value, kind)
    assert caught.value.status_code == status


async def test_an_async_rate_limit_is_typed_with_the_hosts_message(
    name: str, emu: KimiEmulator
) -> None:
    emu.fail_next(429, message=HOST_MESSAGE)
    with pytest.raises(errors.RateLimitError) as caught:
        await make(name, emu).achat(HI)
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


def _drain(responses: Iterator[ChatResponse], received: list[str]) -> None:
    for response in responses:
        received.append(response.delta or "")


async def _adrain(responses: AsyncIterator[ChatResponse], received: list[str]) -> None:
    async for response in responses:
        received.append(response.delta or "")


def test_a_mid_stream_error_raises_with_the_partial_text(name: str, emu: KimiEmulator) -> None:
    script(emu)
    emu.fail_mid_stream(INTERRUPTION, after=7)
    received: list[str] = []
    with pytest.raises(errors.APIError) as caught:
        _drain(make(name, emu, thinking=True).stream_chat(HI), received)
    _check_interruption(name, caught.value, "".join(received))


async def test_an_async_mid_stream_error_raises_with_the_partial_text(
    name: str, emu: KimiEmulator
) -> None:
    script(emu)
    emu.fail_mid_stream(INTERRUPTION, after=7)
    received: list[str] = []
    stream = await make(name, emu, thinking=True).astream_chat(HI)
    with pytest.raises(errors.APIError) as caught:
        await _adrain(stream, received)
    _check_interruption(name, caught.value, "".join(received))


# --------------------------------------------------------------------------- configuration


@pytest.mark.parametrize("host", sorted(DETECT_URLS))
def test_the_base_urls_hostname_picks_the_host(host: str) -> None:
    llm = Kimi(model=MODELS[host], base_url=DETECT_URLS[host], api_key=KEY)
    assert llm.client.host.name == host


def test_api_key_may_be_a_token_callable(name: str, emu: KimiEmulator) -> None:
    tokens = iter([KEY, KEY, "expired-token"])
    calls: list[int] = []

    def token() -> str:
        calls.append(1)
        return next(tokens)

    llm = make(name, emu, api_key=token)
    llm.chat(HI)
    llm.chat(HI)
    with pytest.raises(errors.AuthenticationError):
        llm.chat(HI)  # the third token is refused: the callable's value is what is sent
    assert len(calls) == 3


def test_azure_sends_api_key_and_keeps_api_version(servers: dict[str, KimiEmulator]) -> None:
    emu = servers["azure"]
    emu.reset()
    llm = Kimi(
        model="Kimi-K2.6",
        gateway="azure",
        base_url=emu.base_url + "?api-version=2024-10-21",
        api_key=KEY,
    )
    assert llm.chat(HI).message.content == "You said: Hi"
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
        Kimi(model="moonshot.kimi-k2", api_key=KEY, **kwargs)
    assert "gateway='bedrock'" in str(caught.value)


@pytest.mark.parametrize(
    ("host", "effort", "listed"),
    [
        ("fireworks", "max", "'low', 'medium', 'high', 'none'"),
        ("ollama", "xhigh", "'high', 'medium', 'low', 'none', 'max'"),
        ("moonshot-global", "medium", "'low', 'high', 'max'"),
    ],
)
def test_an_effort_the_host_does_not_take_names_its_values(
    host: str, effort: str, listed: str
) -> None:
    with pytest.raises(errors.ConfigurationError) as caught:
        Kimi(model=MODELS[host], gateway=host, api_key=KEY, reasoning_effort=effort)
    assert caught.value.param == "reasoning_effort"
    assert listed in str(caught.value)
    assert repr(effort) in str(caught.value)


def test_price_gives_a_cost_where_the_host_reports_none(servers: dict[str, KimiEmulator]) -> None:
    emu = servers["vllm"]
    emu.reset()
    llm = make("vllm", emu, thinking=True, price={"input": 0.6, "output": 2.5, "currency": "USD"})
    expected = 11 * 0.6e-6 + 7 * 2.5e-6
    script(emu)
    assert llm.chat(HI).additional_kwargs["cost"]["amount"] == pytest.approx(expected)
    script(emu)
    last = list(llm.stream_chat(HI))[-1]
    assert last.additional_kwargs["cost"] == {"amount": pytest.approx(expected), "currency": "USD"}
