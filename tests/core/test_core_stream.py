"""Streaming: the seed SSE end to end, both usage placements, tool-call fragments, cut streams."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
from core_helpers import USER_HI, Recorder, async_client, sse_bytes, sse_response, sync_client

from kimi_core import (
    APIStatusError,
    AsyncChatStream,
    ChatStream,
    InternalServerError,
    MalformedResponseError,
    RateLimitError,
    ServiceUnavailableError,
    StreamAccumulator,
    StreamInterruptedError,
    Usage,
)

REQUEST = {"model": "kimi-k2.6", "messages": USER_HI}
MODES = ["sync", "async"]

SEED_TEXT = " 你好!我能幫助 你今天嗎?"
SEED_REASONING = (
    " 這 使用者說了「你好」。這是一個簡單的問候。我應該以友好、熱情的方式回應。由於這是對話的開始,"
    " 我應該問我今天能如何幫助他們。\n\n讓我來構思一個回應:\n- 確認這個 問候\n- 提供協助\n"
    '- 保持溫暖 和專業\n\n像這樣:"你好!我 能如何幫助你今天?""嗨,! 我能為你做什麼?"\n\n'
    "其實,根據上下文,這似乎是 一個一般的對話開場白。"
    "我會保持簡單並 開放式以鼓勵他們分享他們的需求 幫助。 "
)


def run_stream(
    mode: str, *answers: httpx.Response, request: dict[str, Any] | None = None
) -> tuple[list[dict[str, Any]], ChatStream | AsyncChatStream, Recorder]:
    """Stream one request through the sync or the async client; return chunks and stream."""
    recorder = Recorder(*answers)
    if mode == "sync":
        client = sync_client(recorder)
        with client.chat_stream(request or REQUEST) as stream:
            chunks = list(stream)
        return chunks, stream, recorder

    async def go() -> tuple[list[dict[str, Any]], AsyncChatStream]:
        aclient = async_client(recorder)
        async with await aclient.chat_stream(request or REQUEST) as astream:
            got = [chunk async for chunk in astream]
        return got, astream

    achunks, astream = asyncio.run(go())
    return achunks, astream, recorder


def _chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> dict[str, Any]:
    choice: dict[str, Any] = {"index": 0, "delta": delta, "finish_reason": finish}
    choice.update(extra)
    return {"id": "cmpl-1", "object": "chat.completion.chunk", "model": "m", "choices": [choice]}


@pytest.mark.parametrize("mode", MODES)
def test_seed_stream(mode: str, captures: Any) -> None:
    chunks, stream, recorder = run_stream(mode, sse_response(captures.sse()))
    assert recorder.json_bodies() == [{**REQUEST, "stream": True}]
    assert len(chunks) == 17  # 18 events, the last is [DONE]
    assert stream.text == SEED_TEXT
    assert stream.reasoning == SEED_REASONING
    assert stream.finish_reason == "stop"
    assert stream.tool_calls == []
    with_usage = [c for c in chunks if c.get("usage")]
    assert len(with_usage) == 1
    assert with_usage[0] is chunks[-1]
    assert chunks[-1]["choices"] == []
    assert stream.usage == Usage(
        prompt_tokens=9,
        completion_tokens=135,
        total_tokens=144,
        prompt_tokens_details={"cached_tokens_details": {}},
        completion_tokens_details={},
    )
    completion = stream.completion()
    assert completion.id == "chatcmpl-952dd5e75583c4d1"
    assert completion.model == "kimi-k2.5"
    assert completion.created == 1770992031
    assert completion.message.content == SEED_TEXT
    assert completion.message.reasoning_content == SEED_REASONING
    assert completion.message.tool_calls is None
    assert completion.choices[0].finish_reason == "stop"
    assert completion.usage == stream.usage


@pytest.mark.parametrize("mode", MODES)
def test_seed_stream_in_tiny_network_chunks(mode: str, captures: Any) -> None:
    raw: bytes = captures.sse()
    pieces = [raw[i : i + 7] for i in range(0, len(raw), 7)]
    chunks, stream, _ = run_stream(mode, sse_response(pieces))
    assert len(chunks) == 17
    assert stream.text == SEED_TEXT
    assert stream.reasoning == SEED_REASONING


@pytest.mark.parametrize("mode", MODES)
def test_moonshot_usage_inside_last_choice_is_lifted(mode: str) -> None:
    usage = {"prompt_tokens": 20, "completion_tokens": 2, "total_tokens": 22, "cached_tokens": 8}
    body = sse_bytes(
        _chunk({"role": "assistant", "content": ""}),
        _chunk({"content": "Hel"}),
        _chunk({"content": "lo"}),
        {**_chunk({}, "stop", usage=usage), "usage": None},
    )
    chunks, stream, _ = run_stream(mode, sse_response(body))
    assert [c.get("usage") for c in chunks] == [None, None, None, usage]
    assert chunks[-1]["usage"] is chunks[-1]["choices"][0]["usage"]
    assert chunks[-1]["choices"][0]["usage"] == usage
    assert stream.text == "Hello"
    assert stream.usage == Usage(**usage)
    assert stream.usage is not None
    assert stream.usage.cache_read_tokens == 8
    assert stream.completion().usage == Usage(**usage)


@pytest.mark.parametrize("mode", MODES)
def test_reasoning_twin_only_is_copied_to_reasoning_content(mode: str) -> None:
    body = sse_bytes(_chunk({"reasoning": "think"}), _chunk({"content": "ok"}, "stop"))
    chunks, stream, _ = run_stream(mode, sse_response(body))
    assert chunks[0]["choices"][0]["delta"] == {"reasoning": "think", "reasoning_content": "think"}
    assert stream.reasoning == "think"
    assert stream.completion().message.reasoning_content == "think"


@pytest.mark.parametrize("mode", MODES)
def test_parallel_tool_call_fragments_accumulate_by_index(mode: str) -> None:
    def call(index: int, **fields: Any) -> dict[str, Any]:
        return {"index": index, **fields}

    body = sse_bytes(
        _chunk({"role": "assistant", "content": "Let me check."}),
        _chunk(
            {
                "tool_calls": [
                    call(
                        0,
                        id="get_weather:0",
                        type="function",
                        function={"name": "get_weather", "arguments": ""},
                    )
                ]
            }
        ),
        _chunk({"tool_calls": [call(0, function={"arguments": '{"city": '})]}),
        _chunk(
            {
                "tool_calls": [
                    call(
                        1,
                        id="get_time:1",
                        type="function",
                        function={"name": "get_time", "arguments": '{"tz"'},
                    )
                ]
            }
        ),
        _chunk({"tool_calls": [call(0, function={"arguments": '"Paris"}'})]}),
        _chunk({"tool_calls": [call(1, function={"arguments": ': "CET"}'})]}),
        _chunk({}, "tool_calls"),
    )
    _, stream, _ = run_stream(mode, sse_response(body))
    expected = [
        {
            "id": "get_weather:0",
            "type": "function",
            "index": 0,
            "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
        },
        {
            "id": "get_time:1",
            "type": "function",
            "index": 1,
            "function": {"name": "get_time", "arguments": '{"tz": "CET"}'},
        },
    ]
    assert stream.tool_calls == expected
    assert stream.finish_reason == "tool_calls"
    assert stream.text == "Let me check."
    message = stream.completion().message
    assert message.tool_calls is not None
    assert [c.model_dump(exclude_unset=True) for c in message.tool_calls] == expected


@pytest.mark.parametrize("mode", MODES)
def test_stream_cut_without_done_or_finish_raises_with_text(mode: str) -> None:
    body = sse_bytes(
        _chunk({"reasoning_content": "hmm"}),
        _chunk({"content": "Hello, "}),
        _chunk({"content": "wor"}),
        done=False,
    )
    answer = sse_response(body, headers={"Msh-Request-Id": "req-cut-1"})
    with pytest.raises(StreamInterruptedError) as caught:
        run_stream(mode, answer)
    error = caught.value
    assert error.request_id == "req-cut-1"
    assert error.text == "Hello, wor"
    assert error.reasoning == "hmm"
    assert error.events == 3
    assert "the stream ended after 3 events" in str(error)


@pytest.mark.parametrize("mode", MODES)
def test_connection_broken_mid_stream_raises_with_text(mode: str) -> None:
    body = sse_bytes(_chunk({"content": "partial"}), done=False)
    broken = httpx.ReadError("connection reset")
    with pytest.raises(StreamInterruptedError) as caught:
        run_stream(mode, sse_response([body[:20], body[20:]], error=broken))
    assert caught.value.text == "partial"
    assert caught.value.__cause__ is broken
    assert "the connection broke" in str(caught.value)


@pytest.mark.parametrize("mode", MODES)
def test_finish_reason_without_done_is_complete(mode: str) -> None:
    body = sse_bytes(_chunk({"content": "all"}), _chunk({}, "length"), done=False)
    chunks, stream, _ = run_stream(mode, sse_response(body))
    assert len(chunks) == 2
    assert stream.text == "all"
    assert stream.finish_reason == "length"


@pytest.mark.parametrize("mode", MODES)
def test_done_without_finish_reason_is_complete(mode: str) -> None:
    body = sse_bytes(_chunk({"content": "x"}))
    _, stream, _ = run_stream(mode, sse_response(body))
    assert stream.text == "x"
    assert stream.finish_reason is None


@pytest.mark.parametrize("mode", MODES)
def test_non_json_event_is_malformed(mode: str) -> None:
    body = sse_bytes(_chunk({"content": "a"}), "this is not json")
    with pytest.raises(MalformedResponseError) as caught:
        run_stream(mode, sse_response(body))
    assert caught.value.body == "this is not json"
    assert str(caught.value) == "stream event is not JSON"


@pytest.mark.parametrize("mode", MODES)
def test_json_non_object_event_is_malformed(mode: str) -> None:
    with pytest.raises(MalformedResponseError, match="not a JSON object"):
        run_stream(mode, sse_response(sse_bytes("[1, 2]")))


@pytest.mark.parametrize("mode", MODES)
def test_html_200_is_malformed(mode: str) -> None:
    page = b"<html><body><h1>Welcome to nginx!</h1></body></html>"
    answer = httpx.Response(200, content=page, headers={"content-type": "text/html"})
    with pytest.raises(MalformedResponseError) as caught:
        run_stream(mode, answer)
    assert str(caught.value) == f"expected an event stream, got text/html with {len(page)} bytes"
    assert caught.value.body == page.decode()


@pytest.mark.parametrize("mode", MODES)
def test_json_error_body_with_200_on_a_stream_is_typed(mode: str, captures: Any) -> None:
    answer = httpx.Response(
        200,
        content=captures.raw("acedata_error.json"),
        headers={"content-type": "application/json"},
    )
    with pytest.raises(InternalServerError) as caught:
        run_stream(mode, answer)
    error = caught.value
    assert (error.status, error.code, error.message) == (500, "api_error", "fetch failed")
    assert error.trace_id == "2cf86e86-22a4-46e1-ac2f-032c0f2a4e89"


@pytest.mark.parametrize("mode", MODES)
def test_error_event_inside_the_stream_is_typed(mode: str) -> None:
    error_event = {"error": {"message": "slow down", "type": "rate_limit_reached_error"}}
    body = sse_bytes(_chunk({"content": "a"}), error_event)
    with pytest.raises(RateLimitError) as caught:
        run_stream(mode, sse_response(body))
    assert (caught.value.status, caught.value.type) == (429, "rate_limit_reached_error")
    assert caught.value.message == "slow down"


def test_error_event_with_explicit_status() -> None:
    state = StreamAccumulator(request_id="req-9")
    with pytest.raises(APIStatusError) as caught:
        state.add_data(json.dumps({"error": {"message": "boom", "status": 503}}))
    assert type(caught.value) is ServiceUnavailableError
    assert caught.value.status == 503
    assert caught.value.trace_id == "req-9"


@pytest.mark.parametrize("mode", MODES)
def test_completion_equals_the_accumulated_answer(mode: str) -> None:
    body = sse_bytes(
        {
            "id": "c-7",
            "model": "kimi-k2.6",
            "created": 5,
            "system_fingerprint": "fp",
            "choices": [{"index": 0, "delta": {"reasoning_content": "why"}}],
        },
        _chunk({"content": "because"}, "stop"),
        {"id": "c-7", "choices": [], "usage": {"prompt_tokens": 3, "total_tokens": 4}},
    )
    _, stream, _ = run_stream(mode, sse_response(body))
    assert stream.completion().model_dump(exclude_none=True) == {
        "id": "c-7",
        "object": "chat.completion",
        "created": 5,
        "model": "kimi-k2.6",
        "system_fingerprint": "fp",
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": "because",
                    "reasoning_content": "why",
                },
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 3, "completion_tokens": 0, "total_tokens": 4},
    }


def test_accumulator_used_alone() -> None:
    state = StreamAccumulator()
    assert state.add_data("[DONE]") is None
    assert state.done is True
    state.add_chunk(_chunk({"content": "a"}))
    state.add_chunk(_chunk({"content": "b"}))
    assert state.text == "ab"
    assert state.text == "ab"  # joining is idempotent
    assert state.events == 2
    assert state.usage is None
    state.check_complete()  # [DONE] was seen: no error


def test_exhausted_stream_releases_the_connection() -> None:
    recorder = Recorder(sse_response(sse_bytes(_chunk({"content": "x"}, "stop"))))
    client = sync_client(recorder)
    stream = client.chat_stream(REQUEST)
    chunks = list(stream)
    assert [c["choices"][0]["delta"] for c in chunks] == [{"content": "x"}]
    assert stream.response.is_closed
