"""The per-call and per-chunk fast paths give exactly what the plain, validated route gives.

ChatKimi reads answers from the decoded wire dict (no ``model_dump``), builds text and
reasoning stream chunks without re-validation (and passes LangChain's classes only the fields
a tool-call chunk has), computes LangChain's invocation params without its
deprecated detour, and precomputes the signatures LangChain inspects on every call. Each test
here pins one of those shortcuts to the result of the slow way, so a shortcut that drifts from
LangChain's behaviour (or from the core's reading of an answer) fails.
"""

from __future__ import annotations

import copy
import inspect
import json
from typing import Any

import httpx
import pytest
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk
from lc_support import json_response, mock_llm

from kimi_core._fastpath import is_plain_model
from kimi_core.transport.responses import parse_completion
from kimi_core.types import ChatCompletion
from kimi_core.wire.usage import normalize_usage
from langchain_kimi import ChatKimi, _fastpath
from langchain_kimi._exchange import ChunkConverter, Exchange, StreamExchange
from langchain_kimi._messages import usage_metadata

ANSWER: dict[str, Any] = {
    "id": "cmpl-7",
    "object": "chat.completion",
    "created": 1770991864,
    "model": "kimi-k2.6",
    "system_fingerprint": "fp-1",
    "choices": [
        {
            "index": 0,
            "message": {
                "role": "assistant",
                "content": "Hello!",
                "reasoning_content": "A greeting.",
            },
            "finish_reason": "stop",
        }
    ],
    "usage": {"prompt_tokens": 9, "completion_tokens": 24, "total_tokens": 33, "cached_tokens": 4},
}


def _parsed(body: dict[str, Any]) -> ChatCompletion:
    """An answer as the core hands it over: validated, with its decoded dict kept."""
    return parse_completion(httpx.Response(200, json=body))


def _result(completion: ChatCompletion, *, prefix: str | None = None) -> AIMessage:
    exchange = Exchange({"model": "kimi-k2.6", "messages": []}, prefix=prefix, max_rounds=8)
    assert exchange.add(completion) is False
    message = exchange.result().generations[0].message
    assert isinstance(message, AIMessage)
    return message


# -- invoke: the answer is read from the wire dict ---------------------------------------------


def test_the_answer_is_read_from_the_wire_dict_without_dumping_or_mutating_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    completion = _parsed(ANSWER)
    wire_before = copy.deepcopy(completion.wire_dict())

    def no_dump(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("model_dump on the invoke hot path")

    # Every pydantic wire type (ChatCompletion, Usage, ToolCall...) shares BaseModel.model_dump.
    monkeypatch.setattr("kimi_core.types.WireModel.model_dump", no_dump)
    message = _result(completion, prefix="Pre: ")
    monkeypatch.undo()
    assert completion.wire_dict() == wire_before
    assert message == AIMessage(
        content="Pre: Hello!",
        additional_kwargs={"reasoning_content": "A greeting."},
        response_metadata={
            "model_provider": "kimi",
            "model_name": "kimi-k2.6",
            "finish_reason": "stop",
            "id": "cmpl-7",
            "system_fingerprint": "fp-1",
            "token_usage": {
                "prompt_tokens": 9,
                "completion_tokens": 24,
                "total_tokens": 33,
                "cached_tokens": 4,
            },
            "cost": message.response_metadata["cost"],
        },
        usage_metadata={
            "input_tokens": 9,
            "output_tokens": 24,
            "total_tokens": 33,
            "input_token_details": {"cache_read": 4},
        },
        id="cmpl-7",
    )
    assert set(message.response_metadata["cost"]) == {"amount", "currency"}


@pytest.mark.parametrize(
    ("top", "in_choice"),
    [
        ({"prompt_tokens": 5, "completion_tokens": 6, "total_tokens": 11}, None),
        # Moonshot's own API puts usage in the choice.
        (None, {"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7, "cached_tokens": 2}),
        # OpenAI-style details, and a missing total.
        (
            {
                "prompt_tokens": 10,
                "completion_tokens": 5,
                "total_tokens": None,
                "prompt_tokens_details": {"cached_tokens": 3},
                "completion_tokens_details": {"reasoning_tokens": 2},
            },
            None,
        ),
        # An empty usage object validates to zeros; no usage at all is no usage.
        ({}, None),
        (None, None),
    ],
)
def test_usage_is_read_as_the_validated_answer_reads_it(
    top: dict[str, Any] | None, in_choice: dict[str, Any] | None
) -> None:
    body = copy.deepcopy(ANSWER)
    body["usage"] = top
    if in_choice is not None:
        body["choices"][0]["usage"] = in_choice
    completion = _parsed(body)
    usage = completion.usage_any
    expected = normalize_usage(usage.model_dump()) if usage is not None else None
    message = _result(completion)
    assert message.usage_metadata == (usage_metadata(expected) if expected is not None else None)
    assert message.response_metadata.get("token_usage") == expected


def test_every_choice_and_content_parts() -> None:
    body = copy.deepcopy(ANSWER)
    body["choices"].append(
        {
            "index": 1,
            "message": {
                "role": "assistant",
                "content": [
                    {"type": "text", "text": "a"},
                    {"type": "x"},
                    {"type": "text", "text": "b"},
                ],
                "reasoning": "Twin.",
            },
            "finish_reason": "length",
        }
    )
    exchange = Exchange({"model": "kimi-k2.6", "messages": []}, prefix=None, max_rounds=8)
    exchange.add(_parsed(body))
    first, second = (g.message for g in exchange.result().generations)
    assert first.usage_metadata is not None
    assert second == AIMessage(
        content="ab",
        additional_kwargs={"reasoning_content": "Twin."},
        response_metadata={
            "model_provider": "kimi",
            "model_name": "kimi-k2.6",
            "finish_reason": "length",
            "id": "cmpl-7",
            "system_fingerprint": "fp-1",
        },
        id="cmpl-7",
    )


def test_empty_fields_are_left_to_their_defaults() -> None:
    body = copy.deepcopy(ANSWER)
    del body["choices"][0]["message"]["reasoning_content"]
    message = _result(_parsed(body))
    # Nothing to validate for what the answer does not have: the same message, fewer fields.
    assert message.model_fields_set == {"content", "response_metadata", "usage_metadata", "id"}
    assert message.additional_kwargs == {}
    assert message.tool_calls == []
    assert message.invalid_tool_calls == []


# -- stream: one ChatGenerationChunk per token ---------------------------------------------------


def _chunk(delta: dict[str, Any]) -> dict[str, Any]:
    return {"id": "c", "choices": [{"index": 0, "delta": delta}]}


@pytest.fixture(params=[True, False], ids=["unvalidated-build", "validated-build"])
def fast_chunks(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> bool:
    """Run a test with text chunks built without re-validation and with the fallback."""
    monkeypatch.setattr(_fastpath, "FAST_CHUNKS", request.param)
    return bool(request.param)


def _same_chunk(actual: ChatGenerationChunk | None, expected: ChatGenerationChunk) -> None:
    """Equal field for field, with the same fields marked as set, dumping and serializing the
    same, and as independent of other chunks as a validated one."""
    assert actual is not None
    assert actual == expected
    assert type(actual.message) is type(expected.message)
    assert actual.model_fields_set == expected.model_fields_set
    assert actual.message.model_fields_set == expected.message.model_fields_set
    assert actual.message.__pydantic_extra__ == expected.message.__pydantic_extra__
    assert actual.message.__pydantic_private__ == expected.message.__pydantic_private__
    assert actual.model_dump() == expected.model_dump()
    assert actual.message.model_dump_json() == expected.message.model_dump_json()
    assert actual.message.to_json() == expected.message.to_json()
    assert repr(actual) == repr(expected)
    assert type(actual.text) is type(expected.text)
    assert actual.message.text == expected.message.text
    # LangChain's stream() assigns the run id and metadata on each chunk it gets.
    actual.message.id = expected.message.id = "lc_run--1"
    assert actual.message.model_fields_set == expected.message.model_fields_set
    assert (actual + actual) == (expected + expected)


@pytest.mark.parametrize(
    ("delta", "expected"),
    [
        ({"content": " the"}, AIMessageChunk(content=" the")),
        ({"content": "\u4f60\u597d\n"}, AIMessageChunk(content="\u4f60\u597d\n")),
        (
            {"reasoning_content": " hm"},
            AIMessageChunk(content="", additional_kwargs={"reasoning_content": " hm"}),
        ),
        (
            {"content": "a", "reasoning_content": "b"},
            AIMessageChunk(content="a", additional_kwargs={"reasoning_content": "b"}),
        ),
        (
            {"role": "assistant", "content": "x", "reasoning_content": None},
            AIMessageChunk(content="x"),
        ),
        (
            {
                "tool_calls": [
                    {"index": 0, "id": "f:0", "function": {"name": "f", "arguments": "{"}}
                ]
            },
            AIMessageChunk(
                content="",
                tool_call_chunks=[{"name": "f", "args": "{", "id": "f:0", "index": 0}],
            ),
        ),
    ],
)
def test_stream_chunks_are_the_validated_ones(
    delta: dict[str, Any], expected: AIMessageChunk, fast_chunks: bool
) -> None:
    expected = expected.model_copy(deep=True)  # the parameter is shared between runs
    expected.response_metadata = {"model_provider": "kimi"}
    expected_generation = ChatGenerationChunk(message=expected)
    _same_chunk(ChunkConverter().generation(_chunk(delta)), expected_generation)


def test_unvalidated_chunks_do_not_share_mutable_fields() -> None:
    convert = ChunkConverter().generation
    first, second = convert(_chunk({"content": "a"})), convert(_chunk({"content": "b"}))
    assert first is not None
    assert second is not None
    for name in ("additional_kwargs", "response_metadata", "tool_calls", "tool_call_chunks"):
        assert getattr(first.message, name) is not getattr(second.message, name), name
    assert first.message.model_fields_set is not second.message.model_fields_set
    first.message.response_metadata["extra"] = 1
    assert second.message.response_metadata == {"model_provider": "kimi"}


@pytest.mark.fastpath
def test_unvalidated_chunks_are_used_with_the_installed_langchain() -> None:
    """Otherwise the shortcut the tests above compare would silently never run."""
    assert _fastpath.FAST_CHUNKS is True


@pytest.mark.fastpath
def test_unvalidated_chunks_are_refused_for_other_fields_or_validators() -> None:
    class Tagged(AIMessageChunk):
        tag: str = ""

    fields = tuple(AIMessageChunk.model_fields)
    validators = {"_backwards_compat_tool_calls", "init_tool_calls", "init_server_tool_calls"}
    assert is_plain_model(AIMessageChunk, fields, validators)
    assert not is_plain_model(Tagged, fields, validators)
    assert not is_plain_model(AIMessageChunk, fields, validators - {"init_tool_calls"})


def test_partial_mode_opening_chunk_is_the_validated_one(fast_chunks: bool) -> None:
    exchange = StreamExchange(
        {"model": "kimi-k2.6", "messages": []}, prefix="Once", max_rounds=8, stream_usage=True
    )
    expected = AIMessageChunk(content="Once", response_metadata={"model_provider": "kimi"})
    _same_chunk(exchange.opening(), ChatGenerationChunk(message=expected))


def test_chunks_without_anything_to_show_are_skipped() -> None:
    convert = ChunkConverter().generation
    assert convert(_chunk({"role": "assistant", "content": ""})) is None
    assert convert(_chunk({})) is None
    assert convert({"choices": [], "usage": {"prompt_tokens": 1}}) is None
    assert convert({"choices": [{"index": 0, "delta": {"reasoning_content": ""}}]}) is None


# -- LangChain's own per-call work ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("stop", "kwargs"),
    [(None, {}), (["x"], {"temperature": 0.3}), (None, {"model": "kimi-k2", "extra": 2})],
)
def test_invocation_params_are_what_base_chat_model_builds(
    stop: list[str] | None, kwargs: dict[str, Any]
) -> None:
    llm = ChatKimi(api_key="sk-x", temperature=0.6, thinking=False, model_kwargs={"extra": 1})
    ours = llm._get_invocation_params(stop=stop, **kwargs)
    base = BaseChatModel._get_invocation_params(llm, stop=stop, **kwargs)
    assert ours == base
    assert list(ours) == list(base)


@pytest.mark.fastpath
@pytest.mark.parametrize("name", ["_generate", "_agenerate"])
def test_precomputed_signatures_are_the_real_ones(name: str) -> None:
    from langchain_kimi import _fastpath

    if not _fastpath.SIGNATURES:
        pytest.skip("this langchain-core does not look signatures up per call: none precomputed")
    function = getattr(ChatKimi, name)
    precomputed = function.__signature__
    del function.__signature__
    try:
        assert inspect.signature(function) == precomputed
    finally:
        function.__signature__ = precomputed
    assert "run_manager" in inspect.signature(getattr(ChatKimi(api_key="sk-x"), name)).parameters


def test_a_subclass_overriding_generate_keeps_its_own_signature() -> None:
    class Custom(ChatKimi):
        def _generate(self, messages: Any, stop: Any = None, **kwargs: Any) -> Any:
            return super()._generate(messages, stop, **kwargs)

    assert "run_manager" not in inspect.signature(Custom(api_key="sk-x")._generate).parameters


def test_invoke_end_to_end_matches_the_answer() -> None:
    llm, sent = mock_llm(json_response(ANSWER))
    message = llm.invoke([HumanMessage("hi")])
    assert message.content == "Hello!"
    assert message.additional_kwargs == {"reasoning_content": "A greeting."}
    assert message.id == "cmpl-7"
    assert message.usage_metadata is not None
    assert message.usage_metadata["total_tokens"] == 33
    assert json.loads(sent.requests[0].content)["messages"] == [{"role": "user", "content": "hi"}]
    assert isinstance(llm._generate([HumanMessage("hi")]).generations[0], ChatGeneration)
