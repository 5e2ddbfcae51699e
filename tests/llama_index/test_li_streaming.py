"""Streaming: cumulative messages, text-only deltas, thinking deltas, tool calls by index,
usage on the last chunk in every dialect, partial mode."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from li_helpers import Sent, chat_requests, sse, sse_response
from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
)
from llama_index.core.llms.llm import ToolSelection

from kimi_emulator import KimiEmulator
from llama_index_kimi import Kimi

HI = [ChatMessage(role="user", content="Hi there")]


def _assert_cumulative(responses: list[ChatResponse]) -> None:
    """Each response carries everything so far; ``delta`` is only the new text."""
    text = ""
    thinking = ""
    for response in responses:
        text += response.delta or ""
        thinking += response.additional_kwargs.get("thinking_delta", "")
        assert response.message.content == text
        blocks = [b for b in response.message.blocks if isinstance(b, ThinkingBlock)]
        assert [b.content for b in blocks] == ([thinking] if thinking else [])


def test_stream_is_cumulative_with_thinking_deltas(emu: KimiEmulator, llm: Kimi) -> None:
    responses = list(llm.stream_chat(HI))
    _assert_cumulative(responses)
    final = responses[-1]
    assert final.message.blocks == [
        ThinkingBlock(content="Let me think about this."),
        TextBlock(text="You said: Hi there"),
    ]
    thinking = [
        r.additional_kwargs["thinking_delta"]
        for r in responses
        if "thinking_delta" in r.additional_kwargs
    ]
    assert "".join(thinking) == "Let me think about this."
    assert len(thinking) > 1  # streamed piece by piece, not in one go
    # Thinking streams before the text: no text delta arrives with or before a thinking one.
    first_text = next(i for i, r in enumerate(responses) if r.delta)
    last_thinking = max(
        i for i, r in enumerate(responses) if "thinking_delta" in r.additional_kwargs
    )
    assert last_thinking < first_text


def test_usage_only_on_the_last_chunk_moonshot_dialect(emu: KimiEmulator, llm: Kimi) -> None:
    emu.script("Hello", usage={"prompt_tokens": 21, "completion_tokens": 4})
    responses = list(llm.stream_chat(HI))
    final = responses[-1]
    # Moonshot puts usage in choices[0].usage of the finish chunk; the core lifts it.
    assert final.raw["choices"][0]["finish_reason"] == "stop"
    assert final.raw["usage"] == {"prompt_tokens": 21, "completion_tokens": 4, "total_tokens": 25}
    assert final.additional_kwargs["prompt_tokens"] == 21
    assert final.additional_kwargs["completion_tokens"] == 4
    assert final.additional_kwargs["finish_reason"] == "stop"
    assert final.additional_kwargs["cost"]["currency"] == "USD"
    assert all("usage" not in r.raw or not r.raw["usage"] for r in responses[:-1])


@pytest.mark.parametrize("dialect", ["acedata", "cloudsway"])
async def test_usage_on_the_last_chunk_gateway_dialects(
    dialect: str, kimi_emulator_factory: Any, make_llm: Callable[..., Kimi]
) -> None:
    """Gateways send usage on a final chunk with ``choices: []``."""
    emu = kimi_emulator_factory(dialect)
    emu.script("Hello", usage={"prompt_tokens": 8, "completion_tokens": 2})
    llm = make_llm(base_url=emu.base_url)
    responses = [r async for r in await llm.astream_chat(HI)]
    final = responses[-1]
    assert final.raw["choices"] == []
    assert final.raw["usage"]["prompt_tokens"] == 8
    assert final.additional_kwargs["total_tokens"] == 10
    assert final.message.content == "Hello"
    assert responses[-2].additional_kwargs["finish_reason"] == "stop"
    assert all(not r.raw.get("usage") for r in responses[:-1])


def test_parallel_tool_calls_accumulate_by_index(emu: KimiEmulator, llm: Kimi) -> None:
    emu.script(
        "Let me compute.",
        tool_calls=[
            {"name": "add", "arguments": {"a": 2, "b": 3}},
            {"name": "multiply", "arguments": {"a": 4, "b": 5}, "id": "functions.multiply:1"},
        ],
    )
    responses = list(llm.stream_chat(HI))
    _assert_cumulative(responses)
    final = responses[-1]
    calls = [b for b in final.message.blocks if isinstance(b, ToolCallBlock)]
    assert [(c.tool_call_id, c.tool_name, c.tool_kwargs) for c in calls] == [
        ("add:0", "add", '{"a": 2, "b": 3}'),
        ("functions.multiply:1", "multiply", '{"a": 4, "b": 5}'),
    ]
    assert final.message.additional_kwargs["tool_calls"] == [
        {
            "id": "add:0",
            "type": "function",
            "function": {"name": "add", "arguments": '{"a": 2, "b": 3}'},
        },
        {
            "id": "functions.multiply:1",
            "type": "function",
            "function": {"name": "multiply", "arguments": '{"a": 4, "b": 5}'},
        },
    ]
    assert llm.get_tool_calls_from_response(final) == [
        ToolSelection(tool_id="add:0", tool_name="add", tool_kwargs={"a": 2, "b": 3}),
        ToolSelection(
            tool_id="functions.multiply:1", tool_name="multiply", tool_kwargs={"a": 4, "b": 5}
        ),
    ]
    # While the second call streams, the first is already complete in the message.
    second_started = next(
        r
        for r in responses
        if len([b for b in r.message.blocks if isinstance(b, ToolCallBlock)]) == 2
    )
    first = next(b for b in second_started.message.blocks if isinstance(b, ToolCallBlock))
    assert first.tool_kwargs == '{"a": 2, "b": 3}'
    # Earlier messages are not changed afterwards by later fragments.
    sizes = [
        len(
            r.message.additional_kwargs.get("tool_calls", [{}])[0]
            .get("function", {})
            .get("arguments", "")
        )
        for r in responses
    ]
    assert sizes == sorted(sizes)


def _chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "model": "kimi-k2.6",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish, **extra}],
    }


def test_interleaved_tool_call_fragments_are_kept_apart(
    mock_llm: Callable[..., tuple[Kimi, Sent]],
) -> None:
    body = sse(
        _chunk({"role": "assistant", "content": ""}),
        _chunk({"reasoning_content": "Two lookups."}),
        _chunk(
            {
                "tool_calls": [
                    {
                        "index": 0,
                        "id": "get_weather:0",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": ""},
                    }
                ]
            }
        ),
        _chunk(
            {
                "tool_calls": [
                    {
                        "index": 1,
                        "id": "get_weather:1",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": '{"city": '},
                    }
                ]
            }
        ),
        _chunk({"tool_calls": [{"index": 0, "function": {"arguments": '{"city": "北京"'}}]}),
        _chunk({"tool_calls": [{"index": 1, "function": {"arguments": '"上海"}'}}]}),
        _chunk({"tool_calls": [{"index": 0, "function": {"arguments": "}"}}]}),
        _chunk(
            {},
            "tool_calls",
            usage={"prompt_tokens": 30, "completion_tokens": 12, "total_tokens": 42},
        ),
    )
    llm, _ = mock_llm(sse_response(body))
    responses = list(llm.stream_chat(HI))
    final = responses[-1]
    assert llm.get_tool_calls_from_response(final) == [
        ToolSelection(
            tool_id="get_weather:0", tool_name="get_weather", tool_kwargs={"city": "北京"}
        ),
        ToolSelection(
            tool_id="get_weather:1", tool_name="get_weather", tool_kwargs={"city": "上海"}
        ),
    ]
    assert final.message.blocks[0] == ThinkingBlock(content="Two lookups.")
    assert final.raw["usage"]["total_tokens"] == 42
    assert final.additional_kwargs["finish_reason"] == "tool_calls"
    # Mid-stream, partial arguments parse as far as they go (streamed structured output).
    middle = responses[4]
    assert llm.get_tool_calls_from_response(middle) == [
        ToolSelection(
            tool_id="get_weather:0", tool_name="get_weather", tool_kwargs={"city": "北京"}
        ),
        ToolSelection(tool_id="get_weather:1", tool_name="get_weather", tool_kwargs={"city": None}),
    ]


def test_streamed_partial_mode_sends_the_prefix_first(emu: KimiEmulator, llm: Kimi) -> None:
    messages = [*HI, ChatMessage(role="assistant", content="You said")]
    responses = list(llm.stream_chat(messages))
    assert responses[0].delta == "You said"
    assert responses[0].message.content == "You said"
    assert responses[-1].message.content == "You said: Hi there"
    assert "".join(r.delta or "" for r in responses) == "You said: Hi there"
    assert chat_requests(emu)[0]["messages"][-1] == {
        "role": "assistant",
        "content": "You said",
        "partial": True,
    }


async def test_async_partial_mode_returns_prefix_plus_continuation(
    emu: KimiEmulator, llm: Kimi
) -> None:
    messages = [*HI, ChatMessage(role="assistant", content="You said")]
    response = await llm.achat(messages)
    assert response.message.content == "You said: Hi there"
    responses = [r async for r in await llm.astream_chat(messages)]
    assert responses[0].delta == "You said"
    assert responses[-1].message.content == "You said: Hi there"


def test_stream_with_only_done_still_answers_with_the_prefix(
    mock_llm: Callable[..., tuple[Kimi, Sent]],
) -> None:
    llm, _ = mock_llm(sse_response(b"data: [DONE]\n\n"))
    responses = list(llm.stream_chat([*HI, ChatMessage(role="assistant", content="Pre")]))
    assert [(r.delta, r.message.content) for r in responses] == [("Pre", "Pre")]
