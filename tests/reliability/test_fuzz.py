"""Fuzzing the wire parsers: arbitrary bytes end in the core's typed errors, nothing else."""

from __future__ import annotations

import json

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kimi_core.chat.accumulator import StreamAccumulator
from kimi_core.errors import APIStatusError, KimiError
from kimi_core.transport.responses import parse_completion
from kimi_core.wire.error_body import error_from_response
from kimi_core.wire.sse import SSEDecoder

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Bytes that look like SSE more often than uniform noise would.
_sse_pieces = st.lists(
    st.one_of(
        st.binary(max_size=40),
        st.sampled_from(
            [
                b"data: ",
                b"\n",
                b"\r\n",
                b"\r",
                b": c\n",
                b"data: [DONE]\n\n",
                b"{",
                b"}",
                b'"choices"',
                b"[",
                b"]",
                b'{"choices": [',
                b'{"delta": {',
                b'"content": "x"',
                b'"tool_calls": [{"index": 0, "function": {"arguments": "{"}}]',
                b'"usage": {',
                b'"error": {"message": "m"}',
                b"null",
                b"1",
                b",",
            ]
        ),
    ),
    max_size=40,
)


@FUZZ
@given(_sse_pieces)
def test_stream_parsing_of_arbitrary_bytes_only_raises_typed_errors(pieces: list[bytes]) -> None:
    decoder = SSEDecoder()
    state = StreamAccumulator()
    try:
        for piece in pieces:
            for data in decoder.feed(piece):
                state.add_data(data)
        for data in decoder.flush():
            state.add_data(data)
        state.check_complete()
        state.completion()
        _ = state.text, state.reasoning, state.tool_calls, state.usage
    except KimiError:
        pass


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "choices",
                    "message",
                    "content",
                    "delta",
                    "usage",
                    "tool_calls",
                    "function",
                    "id",
                    "error",
                    "reasoning_content",
                    "prompt_tokens",
                    "finish_reason",
                    "x",
                ]
            ),
            children,
            max_size=5,
        )
    ),
    max_leaves=20,
)


@FUZZ
@given(st.one_of(st.binary(max_size=200), _json_values.map(lambda v: json.dumps(v).encode())))
def test_completion_parsing_of_arbitrary_bodies_only_raises_typed_errors(body: bytes) -> None:
    request = httpx.Request("POST", "https://kimi.test/v1/chat/completions")
    response = httpx.Response(200, content=body, request=request)
    try:
        completion = parse_completion(response)
    except KimiError:
        return
    _ = [choice.message.text for choice in completion.choices], completion.usage_any


@FUZZ
@given(
    st.integers(min_value=400, max_value=599),
    st.one_of(st.binary(max_size=200), _json_values.map(lambda v: json.dumps(v).encode())),
)
def test_error_bodies_always_give_a_typed_error(status: int, body: bytes) -> None:
    error = error_from_response(status, {"msh-request-id": "r1"}, body)
    assert isinstance(error, APIStatusError)
    assert error.status == status
    assert isinstance(str(error), str)
