"""Odd shapes on the wire, both ways: refused before sending with a typed error naming the
field, or read as a typed ``MalformedResponseError`` — never a raw ``AttributeError``,
``KeyError``, ``IndexError``, ``TypeError`` or ``UnicodeEncodeError`` (issue 17, items 3, 5,
6, 12 and 13). Over real loopback HTTP unless the check happens before anything is sent.
"""

from __future__ import annotations

import datetime
import math
from typing import Any

import pytest
from hostile import HostileServer, answer_with, corrupt_gzip
from llama_index.core.llms import ChatMessage

from kimi_core import (
    InvalidParameterError,
    KimiClient,
    MalformedResponseError,
    RateLimitError,
)
from kimi_core.types import ChatCompletion
from langchain_kimi import ChatKimi
from llama_index_kimi import Kimi

KEY = "sk-wire-shapes"
REQUEST: dict[str, Any] = {
    "model": "kimi-k2.6",
    "messages": [{"role": "user", "content": "ping"}],
    "thinking": False,
}

# moonshot-v1 models take n > 1 (kimi-k2.6 only n=1).
SEVERAL: dict[str, Any] = {
    "model": "moonshot-v1-8k",
    "messages": [{"role": "user", "content": "ping"}],
}


def chat_requests(emulator: Any) -> int:
    return sum(1 for r in emulator.requests if r.path.endswith("/chat/completions"))


def read_stream(client: KimiClient, request: dict[str, Any]) -> str:
    with client.chat_stream(request) as stream:
        for _ in stream:
            pass
    return stream.text


# -- item 3: several choices are never merged into one stream ------------------------------------


def test_n_above_one_is_refused_for_a_core_stream_before_sending(kimi_emulator: Any) -> None:
    with (
        KimiClient(api_key=KEY, base_url=kimi_emulator.base_url) as client,
        pytest.raises(InvalidParameterError) as caught,
    ):
        client.chat_stream({**SEVERAL, "n": 2})
    assert caught.value.param == "n"
    assert str(caught.value) == (
        "n=2 cannot be streamed: a stream carries one choice; ask without streaming for "
        "several choices"
    )
    assert chat_requests(kimi_emulator) == 0


def test_n_above_one_is_refused_for_chatkimi_stream_and_kimi_stream_chat(
    kimi_emulator: Any,
) -> None:
    llm = ChatKimi(model="moonshot-v1-8k", api_key=KEY, base_url=kimi_emulator.base_url, n=2)
    with pytest.raises(InvalidParameterError) as lc_error:
        list(llm.stream("ping"))
    assert lc_error.value.param == "n"
    kimi = Kimi(model="moonshot-v1-8k", api_key=KEY, base_url=kimi_emulator.base_url)
    with pytest.raises(InvalidParameterError) as li_error:
        kimi.stream_chat([ChatMessage(role="user", content="ping")], n=2)
    assert li_error.value.param == "n"
    assert chat_requests(kimi_emulator) == 0


def test_n_above_one_without_streaming_keeps_every_choice(kimi_emulator: Any) -> None:
    with KimiClient(api_key=KEY, base_url=kimi_emulator.base_url) as client:
        completion = client.chat({**SEVERAL, "n": 2})
    assert [choice.index for choice in completion.choices] == [0, 1]


def test_a_stream_chunk_for_a_second_choice_is_malformed_not_merged(kimi_emulator: Any) -> None:
    kimi_emulator.raw_stream_next(
        [
            'data: {"id":"c","choices":[{"index":0,"delta":{"content":"A0 "}}]}\n\n',
            'data: {"id":"c","choices":[{"index":1,"delta":{"content":"B0 "}}]}\n\n',
            "data: [DONE]\n\n",
        ]
    )
    with (
        KimiClient(api_key=KEY, base_url=kimi_emulator.base_url) as client,
        pytest.raises(MalformedResponseError, match="choice") as caught,
    ):
        read_stream(client, REQUEST)
    assert caught.value.text == "A0 "


# -- item 5: wrong JSON types inside stream chunks ----------------------------------------------


@pytest.mark.parametrize(
    "chunk",
    [
        '{"id":"c","choices":{"index":0}}',
        '{"id":"c","choices":[5]}',
        '{"id":"c","choices":[{"index":0,"delta":["x"]}]}',
        '{"id":"c","choices":[{"index":0,"delta":{"content":5}}]}',
        '{"id":"c","choices":[{"index":0,"delta":{"reasoning_content":{"a":1}}}]}',
        '{"id":"c","choices":[{"index":0,"delta":{},"finish_reason":3}]}',
        '{"id":"c","choices":[{"index":0,"delta":{"tool_calls":{"0":{}}}}]}',
        '{"id":"c","choices":[{"index":0,"delta":{"tool_calls":[{"index":"x"}]}}]}',
        '{"id":"c","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":"f"}]}}]}',
        '["not", "an", "object"]',
    ],
)
def test_a_chunk_with_wrong_json_types_is_malformed(kimi_emulator: Any, chunk: str) -> None:
    kimi_emulator.raw_stream_next(
        [
            'data: {"id":"c","choices":[{"index":0,"delta":{"content":"Hi"}}]}\n\n',
            f"data: {chunk}\n\n",
            "data: [DONE]\n\n",
        ]
    )
    with (
        KimiClient(api_key=KEY, base_url=kimi_emulator.base_url) as client,
        pytest.raises(MalformedResponseError) as caught,
    ):
        read_stream(client, REQUEST)
    assert caught.value.text == "Hi"


@pytest.mark.parametrize("stream", [False, True], ids=["chat", "stream"])
def test_a_corrupt_gzip_body_is_malformed(stream: bool) -> None:
    with (
        HostileServer(corrupt_gzip(stream=stream)) as server,
        KimiClient(api_key=KEY, base_url=server.url, max_retries=2) as client,
    ):
        ask = (lambda: read_stream(client, REQUEST)) if stream else (lambda: client.chat(REQUEST))
        with pytest.raises(MalformedResponseError, match="could not be decoded"):
            ask()
    assert server.requests == 1  # an answer was generated: not asked for again


def test_an_answer_without_choices_has_no_message() -> None:
    completion = ChatCompletion.model_validate(
        {"id": "x", "object": "chat.completion", "created": 1, "model": "m", "choices": []}
    )
    with pytest.raises(MalformedResponseError, match="choices is empty"):
        _ = completion.message


def test_a_lone_surrogate_is_refused_naming_the_field(kimi_emulator: Any) -> None:
    with (
        KimiClient(api_key=KEY, base_url=kimi_emulator.base_url) as client,
        pytest.raises(InvalidParameterError) as caught,
    ):
        client.chat({**REQUEST, "messages": [{"role": "user", "content": "bad \ud800"}]})
    assert caught.value.param == "messages"
    assert "lone surrogate" in str(caught.value)
    assert chat_requests(kimi_emulator) == 0


@pytest.mark.parametrize("value", [{1, 2}, datetime.datetime(2026, 1, 1)], ids=["set", "datetime"])
def test_a_tool_schema_json_cannot_carry_is_refused_naming_the_field(
    kimi_emulator: Any, value: Any
) -> None:
    tool = {
        "type": "function",
        "function": {
            "name": "lookup",
            "parameters": {"type": "object", "properties": {"q": {"type": "string"}}},
            "x-extra": value,
        },
    }
    with (
        KimiClient(api_key=KEY, base_url=kimi_emulator.base_url) as client,
        pytest.raises(InvalidParameterError) as caught,
    ):
        client.chat({**REQUEST, "tools": [tool]})
    assert caught.value.param == "tools"
    assert chat_requests(kimi_emulator) == 0


# -- item 6: NaN and infinity --------------------------------------------------------------------


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf], ids=["nan", "inf", "-inf"])
@pytest.mark.parametrize("field", ["temperature", "top_p"])
def test_nan_and_infinity_never_reach_the_wire(
    kimi_emulator: Any, field: str, value: float
) -> None:
    # A model without fixed sampling values: only the encoder stands between NaN and the wire.
    with (
        KimiClient(api_key=KEY, base_url=kimi_emulator.base_url) as client,
        pytest.raises(InvalidParameterError) as caught,
    ):
        client.chat({**SEVERAL, field: value})
    assert caught.value.param == field
    assert chat_requests(kimi_emulator) == 0


def test_nan_through_chatkimi_is_refused_naming_the_field(kimi_emulator: Any) -> None:
    llm = ChatKimi(model="moonshot-v1-8k", api_key=KEY, base_url=kimi_emulator.base_url)
    with pytest.raises(InvalidParameterError) as caught:
        llm.invoke("ping", presence_penalty=math.nan)
    assert caught.value.param == "presence_penalty"
    assert chat_requests(kimi_emulator) == 0


# -- item 12: what gateways send with a 200 ------------------------------------------------------


def test_a_200_rate_limit_body_is_retried_like_a_429(sleeps: list[float]) -> None:
    error_body = {"error": {"code": "too_many_requests", "message": "slow down"}}
    answers = iter([error_body, error_body])

    def behaviour(conn: Any, number: int) -> bool:
        payload = next(answers, None)
        return answer_with(payload if payload is not None else _ok())(conn, number)

    with (
        HostileServer(behaviour) as server,
        KimiClient(api_key=KEY, base_url=server.url, max_retries=2) as client,
    ):
        assert client.chat(REQUEST).message.text == "You said: ping"
    assert server.requests == 3
    assert len(sleeps) == 2


def test_a_200_rate_limit_body_that_persists_ends_as_rate_limit_error(
    sleeps: list[float],
) -> None:
    body = {"error": {"code": "too_many_requests", "message": "slow down"}}
    with (
        HostileServer(answer_with(body)) as server,
        KimiClient(api_key=KEY, base_url=server.url, max_retries=1) as client,
        pytest.raises(RateLimitError) as caught,
    ):
        client.chat(REQUEST)
    assert caught.value.attempts == 2
    assert server.requests == 2


def test_a_200_text_plain_stream_is_malformed(kimi_emulator: Any) -> None:
    kimi_emulator.raw_next("upstream says hello", content_type="text/plain")
    with (
        KimiClient(api_key=KEY, base_url=kimi_emulator.base_url) as client,
        pytest.raises(MalformedResponseError, match="text/plain"),
    ):
        read_stream(client, REQUEST)


def test_an_error_event_after_partial_text_keeps_the_text(kimi_emulator: Any) -> None:
    kimi_emulator.raw_stream_next(
        [
            'data: {"id":"c","choices":[{"index":0,"delta":{"content":"Half an"}}]}\n\n',
            'data: {"error":{"type":"engine_overloaded_error","message":"overloaded"}}\n\n',
        ]
    )
    with (
        KimiClient(api_key=KEY, base_url=kimi_emulator.base_url) as client,
        pytest.raises(Exception) as caught,
    ):
        read_stream(client, REQUEST)
    assert getattr(caught.value, "text", None) == "Half an"


# -- item 13: unchecked inputs ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("messages", "says"),
    [
        (["hello"], "messages\\[0\\] must be a message dict with a role"),
        ([None], "messages\\[0\\] must be a message dict with a role"),
        (None, "messages"),
        ("hello", "messages"),
    ],
)
def test_messages_that_are_not_message_objects_are_refused(
    kimi_emulator: Any, messages: Any, says: str
) -> None:
    with (
        KimiClient(api_key=KEY, base_url=kimi_emulator.base_url) as client,
        pytest.raises(InvalidParameterError, match=says) as caught,
    ):
        client.chat({**REQUEST, "messages": messages})
    assert caught.value.param == "messages"
    assert chat_requests(kimi_emulator) == 0


@pytest.mark.parametrize("field", ["max_tokens", "max_completion_tokens"])
@pytest.mark.parametrize("value", [-1, 0])
def test_a_token_limit_below_one_is_refused(kimi_emulator: Any, field: str, value: int) -> None:
    with (
        KimiClient(api_key=KEY, base_url=kimi_emulator.base_url) as client,
        pytest.raises(InvalidParameterError) as caught,
    ):
        client.chat({**REQUEST, field: value})
    assert caught.value.param == field
    assert chat_requests(kimi_emulator) == 0


@pytest.mark.parametrize("file_id", ["..", ".", "", "a/b", "a?b", "a#b", "a%2Fb", " x", "a\nb"])
@pytest.mark.parametrize("call", ["delete", "retrieve", "content"])
def test_a_file_id_is_one_path_segment(kimi_emulator: Any, file_id: str, call: str) -> None:
    with (
        KimiClient(api_key=KEY, base_url=kimi_emulator.base_url) as client,
        pytest.raises(InvalidParameterError) as caught,
    ):
        getattr(client.files, call)(file_id)
    assert caught.value.param == "file_id"
    assert kimi_emulator.requests == []


@pytest.mark.parametrize("model_id", ["..", "a/b", ""])
def test_a_model_id_is_one_path_segment(kimi_emulator: Any, model_id: str) -> None:
    with (
        KimiClient(api_key=KEY, base_url=kimi_emulator.base_url) as client,
        pytest.raises(InvalidParameterError) as caught,
    ):
        client.models.retrieve(model_id)
    assert caught.value.param == "model"
    assert kimi_emulator.requests == []


def _ok() -> dict[str, Any]:
    from hostile import OK_BODY

    return OK_BODY
