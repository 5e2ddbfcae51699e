"""Kimi answers to LlamaIndex responses, checked against the plain way of building them.

The adapter builds responses on the hot path without re-validating what is already valid: it
reads ``raw`` and the usage from the decoded wire dict, builds ``ChatMessage`` and
``ChatResponse`` without running their validators, and in streams rebuilds only the blocks a
chunk changed. Every test here compares that with the straightforward construction
(validated constructors, the model dumped for ``raw``, everything rebuilt per chunk), so the
shortcuts cannot change what users receive.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

import httpx
import pytest
from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    ContentBlock,
    MessageRole,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
)

from kimi_core._fastpath import is_plain_model
from kimi_core.catalog.prices import cost_for
from kimi_core.chat.accumulator import StreamAccumulator
from kimi_core.chat.turn import ChatTurn, RoundReader
from kimi_core.transport.responses import parse_completion
from kimi_core.types import ChatCompletion
from kimi_core.wire.usage import normalize_usage
from llama_index_kimi import _fastpath
from llama_index_kimi.utils import StreamFolder, chat_response, usage_kwargs


def chat_response_from_completion(
    completion: ChatCompletion, prefix: str | None, requested_model: str | None
) -> ChatResponse:
    """A non-streamed answer as ``Kimi.chat`` reads it: through the core's loop."""
    loop = ChatTurn({"model": requested_model, "messages": []}, prefix=prefix)
    assert loop.add(completion) is False
    return chat_response(loop)


CAPTURES = [
    "acedata_hello",
    "acedata_multi_turn",
    "cloudsway_json_mode",
    "cloudsway_partial_mode",
    "cloudsway_tool_call",
    "cloudsway_tool_result_answer",
]


@pytest.fixture(params=[True, False], ids=["fast-build", "validated-build"])
def fast_build(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> bool:
    """Run a test with the unvalidated construction and with its validated fallback."""
    monkeypatch.setattr(_fastpath, "FAST_BUILD", request.param)
    return bool(request.param)


def _completion(body: bytes | Mapping[str, Any]) -> ChatCompletion:
    """A completion parsed by the core from an HTTP answer, as ``KimiClient.chat`` gives it."""
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return parse_completion(httpx.Response(200, content=content))


def _same(actual: ChatResponse, expected: ChatResponse) -> None:
    """Equal field for field, with the same fields marked as set, dumping the same.

    (``raw`` keeps the wire's key order where a model dump has the declaration order, so the
    JSON dumps are compared parsed.)
    """
    assert actual == expected
    assert actual.model_fields_set == expected.model_fields_set
    assert actual.message.model_fields_set == expected.message.model_fields_set
    assert actual.model_dump() == expected.model_dump()
    assert json.loads(actual.model_dump_json()) == json.loads(expected.model_dump_json())
    assert repr(actual.message) == repr(expected.message)
    assert type(actual.message.blocks) is list
    assert type(actual.additional_kwargs) is dict


# -- non-streaming ------------------------------------------------------------------------


def _reference_response(
    completion: ChatCompletion, prefix: str | None, requested_model: str | None
) -> ChatResponse:
    """The plain construction: validated constructors, ``raw`` dumped from the model."""
    choice = completion.choices[0]
    message = choice.message
    text = (prefix or "") + message.text
    blocks: list[ContentBlock] = []
    if message.reasoning_text:
        blocks.append(ThinkingBlock(content=message.reasoning_text))
    calls = message.tool_calls or []
    if text or not calls:
        blocks.append(TextBlock(text=text))
    wire_calls = []
    for call in calls:
        function = call.function
        name = (function.name if function else None) or ""
        arguments = (function.arguments if function else None) or ""
        blocks.append(ToolCallBlock(tool_call_id=call.id, tool_name=name, tool_kwargs=arguments))
        wire_calls.append(
            {
                "id": call.id,
                "type": call.type or "function",
                "function": {"name": name, "arguments": arguments},
            }
        )
    raw = completion.model_dump(exclude_unset=True)
    usage = completion.usage_any
    usage_dict = usage.model_dump(exclude_unset=True) if usage is not None else None
    if usage_dict is not None and not raw.get("usage"):
        raw["usage"] = usage_dict
    # The core's reading: an empty usage object is zero counts (``Usage()``'s defaults).
    counts = normalize_usage(usage.model_dump()) if usage is not None else None
    additional = usage_kwargs(counts, cost_for(usage_dict, completion.model, requested_model))
    if choice.finish_reason is not None:
        additional["finish_reason"] = choice.finish_reason
    return ChatResponse(
        message=ChatMessage(
            role=MessageRole.ASSISTANT,
            blocks=blocks,
            additional_kwargs={"tool_calls": wire_calls} if wire_calls else {},
        ),
        raw=raw,
        additional_kwargs=additional,
    )


@pytest.mark.fastpath
def test_fast_build_is_used_with_the_installed_llama_index() -> None:
    """Otherwise the shortcut these tests compare would silently never run."""
    assert _fastpath.FAST_BUILD is True


@pytest.mark.fastpath
def test_fast_build_is_refused_for_a_class_with_other_fields_or_validators() -> None:
    class Tagged(ChatMessage):
        tag: str = ""

    assert is_plain_model(
        ChatMessage, ("role", "additional_kwargs", "blocks"), {"legacy_additional_kwargs_image"}
    )
    assert not is_plain_model(
        Tagged, ("role", "additional_kwargs", "blocks"), {"legacy_additional_kwargs_image"}
    )
    assert not is_plain_model(ChatMessage, ("role", "additional_kwargs", "blocks"), set())


@pytest.mark.parametrize("name", CAPTURES)
@pytest.mark.parametrize("prefix", [None, "Prefix: "])
def test_captured_answers_match_the_plain_construction(
    name: str, prefix: str | None, captures: Any, fast_build: bool
) -> None:
    completion = _completion(captures.raw(f"{name}.json"))
    wire_before = json.loads(captures.raw(f"{name}.json"))
    response = chat_response_from_completion(completion, prefix, "kimi-k2.5")
    _same(response, _reference_response(completion, prefix, "kimi-k2.5"))
    assert response.raw is completion.wire_dict()  # the decoded answer itself, not a dump
    assert completion.wire_dict() == wire_before


def _body(**top: Any) -> dict[str, Any]:
    choice = {
        "index": 0,
        "message": {"role": "assistant", "content": "Hi", "reasoning_content": "Greet."},
        "finish_reason": "stop",
    }
    return {"id": "cmpl-1", "model": "kimi-k2.5", "choices": [choice], **top}


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(_body(), id="no-usage"),
        pytest.param(_body(usage=None), id="null-usage"),
        pytest.param(_body(usage={}), id="empty-usage"),
        pytest.param(
            _body(usage={"prompt_tokens": 5, "completion_tokens": 2, "cached_tokens": 3}),
            id="moonshot-cached",
        ),
    ],
)
def test_usage_edge_cases_match_the_plain_construction(
    body: dict[str, Any], fast_build: bool
) -> None:
    completion = _completion(body)
    response = chat_response_from_completion(completion, None, "kimi-k2.5")
    _same(response, _reference_response(completion, None, "kimi-k2.5"))


def test_usage_inside_the_choice_is_lifted_to_a_copy(fast_build: bool) -> None:
    usage = {"prompt_tokens": 7, "completion_tokens": 3, "total_tokens": 10}
    body = _body()
    body["choices"][0]["usage"] = usage
    completion = _completion(body)
    response = chat_response_from_completion(completion, None, "kimi-k2.5")
    _same(response, _reference_response(completion, None, "kimi-k2.5"))
    assert response.raw["usage"] == usage
    assert response.additional_kwargs["total_tokens"] == 10
    assert "usage" not in completion.wire_dict()  # the core's dict is left as it was


def test_a_completion_not_from_the_wire_still_answers(fast_build: bool) -> None:
    completion = ChatCompletion.model_validate(_body(usage={"prompt_tokens": 1}))
    response = chat_response_from_completion(completion, None, "kimi-k2.5")
    assert response.message.content == "Hi"
    assert response.raw == completion.model_dump(mode="json")
    assert response.additional_kwargs["prompt_tokens"] == 1


# -- streaming ------------------------------------------------------------------------------


def _reference_stream(
    chunks: Iterable[dict[str, Any]], prefix: str | None, requested_model: str | None
) -> list[ChatResponse]:
    """The plain fold: every block and dict rebuilt, validated, for every chunk."""
    state = StreamAccumulator()
    pending, text, reasoning = prefix or "", "", ""
    responses = []
    for chunk in chunks:
        state.add_chunk(chunk)
        content = delta_reasoning = ""
        finish = None
        if chunk.get("choices"):
            choice = chunk["choices"][0]
            delta = choice.get("delta") or {}
            content = delta.get("content") or ""
            delta_reasoning = delta.get("reasoning_content") or ""
            finish = choice.get("finish_reason")
        content, pending = pending + content, ""
        text += content
        reasoning += delta_reasoning
        blocks: list[ContentBlock] = [ThinkingBlock(content=reasoning)] if reasoning else []
        blocks.append(TextBlock(text=text))
        message_kwargs: dict[str, Any] = {}
        wire_calls = []
        for call in state.tool_calls:
            function = call["function"]
            blocks.append(
                ToolCallBlock(
                    tool_call_id=call["id"],
                    tool_name=function["name"],
                    tool_kwargs=function["arguments"],
                )
            )
            wire_calls.append(
                {
                    "id": call["id"],
                    "type": call["type"],
                    "function": {"name": function["name"], "arguments": function["arguments"]},
                }
            )
        if wire_calls:
            message_kwargs["tool_calls"] = wire_calls
        additional: dict[str, Any] = {}
        if delta_reasoning:
            additional["thinking_delta"] = delta_reasoning
        if chunk.get("usage"):
            cost = cost_for(chunk["usage"], chunk.get("model"), requested_model)
            additional.update(usage_kwargs(normalize_usage(chunk["usage"]), cost))
        if finish:
            additional["finish_reason"] = finish
        responses.append(
            ChatResponse(
                message=ChatMessage(
                    role=MessageRole.ASSISTANT, blocks=blocks, additional_kwargs=message_kwargs
                ),
                delta=content,
                raw=chunk,
                additional_kwargs=additional,
            )
        )
    return responses


def _fold(
    chunks: Iterable[dict[str, Any]], prefix: str | None, requested_model: str | None
) -> tuple[list[ChatResponse], list[dict[str, Any]]]:
    """The adapter's fold (the core's accumulator first, as in ``ChatStream``), with a dump of
    each response taken when it was handed over."""
    state = StreamAccumulator()
    folder = StreamFolder(ChatTurn({"model": requested_model}, prefix=prefix))
    folder.start_round(state, RoundReader(), None)
    responses, dumps = [], []
    for chunk in chunks:
        state.add_chunk(chunk)
        response = folder.fold(chunk)
        responses.append(response)
        dumps.append(response.model_dump())
    return responses, dumps


def _chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> dict[str, Any]:
    choice = {"index": 0, "delta": delta, "finish_reason": finish}
    return {"id": "c1", "model": "kimi-k2.5", "choices": [choice], **extra}


def _call(index: int, arguments: str, name: str | None = None, **first: str) -> dict[str, Any]:
    """A delta with one tool-call fragment (``name``, ``id``, ``type`` on a call's first)."""
    function = {"arguments": arguments} if name is None else {"name": name, "arguments": arguments}
    return {"tool_calls": [{"index": index, "function": function, **first}]}


def _tool_chunks() -> list[dict[str, Any]]:
    return [
        _chunk({"role": "assistant", "content": ""}),
        _chunk({"reasoning_content": "Two "}),
        _chunk({"reasoning": "lookups."}),  # AceData's twin, normalised by the core
        _chunk({"content": "Checking"}),
        _chunk({"content": " both."}),
        _chunk(_call(0, "", id="w:0", type="function", name="weather")),
        _chunk(_call(0, '{"city": ')),
        _chunk(_call(1, "{}", id="w:1", type="function", name="weather")),
        _chunk(_call(0, '"Paris"}')),
        _chunk({}),
        _chunk({}, "tool_calls"),
        {
            "id": "c1",
            "model": "kimi-k2.5",
            "choices": [],
            "usage": {"prompt_tokens": 30, "completion_tokens": 12, "total_tokens": 42},
        },
    ]


def _capture_chunks(captures: Any) -> list[dict[str, Any]]:
    state = StreamAccumulator()
    chunks = []
    for line in captures.sse().decode().splitlines():
        if line.startswith("data:"):
            chunk = state.add_data(line[5:].strip())
            if chunk is not None:
                chunks.append(json.loads(json.dumps(chunk)))
    return chunks


@pytest.mark.parametrize("prefix", [None, "So: "])
def test_stream_fold_matches_the_plain_fold(prefix: str | None, fast_build: bool) -> None:
    responses, dumps = _fold(_tool_chunks(), prefix, "kimi-k2.5")
    expected = _reference_stream(_tool_chunks(), prefix, "kimi-k2.5")
    assert len(responses) == len(expected)
    for response, reference in zip(responses, expected, strict=True):
        _same(response, reference)
    # A response handed over is never changed by the chunks folded after it.
    assert [r.model_dump() for r in responses] == dumps


def test_captured_stream_fold_matches_the_plain_fold(captures: Any, fast_build: bool) -> None:
    chunks = _capture_chunks(captures)
    responses, _ = _fold(chunks, None, "kimi-k2.5")
    for response, reference in zip(
        responses, _reference_stream(chunks, None, "kimi-k2.5"), strict=True
    ):
        _same(response, reference)


def test_unchanged_blocks_are_shared_and_lists_are_not() -> None:
    responses, _ = _fold(_tool_chunks(), None, "kimi-k2.5")
    texting, more_text = responses[3], responses[4]  # two text chunks after the reasoning
    assert texting.message.blocks[0] is more_text.message.blocks[0]  # the same ThinkingBlock
    assert texting.message.blocks[1] is not more_text.message.blocks[1]
    assert texting.message.blocks is not more_text.message.blocks
    quiet, finish = responses[9], responses[10]  # no tool fragment in either
    assert quiet.message.blocks[2:] == finish.message.blocks[2:]
    assert all(a is b for a, b in zip(quiet.message.blocks, finish.message.blocks, strict=True))
    calls = quiet.message.additional_kwargs["tool_calls"]
    assert calls is not finish.message.additional_kwargs["tool_calls"]
    assert quiet.message.additional_kwargs is not finish.message.additional_kwargs
    assert quiet.additional_kwargs is not finish.additional_kwargs
