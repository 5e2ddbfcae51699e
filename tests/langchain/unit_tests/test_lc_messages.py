"""Every mapping case, both directions: LangChain messages -> wire, wire -> LangChain."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    ChatMessage,
    FunctionMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)

from kimi_core.errors import InvalidParameterError
from kimi_core.types import ChatCompletion
from kimi_core.wire.answer import answer_choices
from kimi_core.wire.usage import normalize_usage
from langchain_kimi import _blocks
from langchain_kimi._exchange import ChunkConverter
from langchain_kimi._messages import (
    answer_to_message,
    messages_to_wire,
    parse_tool_calls,
    partial_prefix,
    usage_metadata,
)

PNG = "iVBORw0KGgo="


# -- LangChain -> wire ------------------------------------------------------------------------


def test_plain_conversation() -> None:
    wire = messages_to_wire(
        [
            SystemMessage("Be brief."),
            HumanMessage("Hi", name="alice"),
            AIMessage("Hello!"),
            HumanMessage("Bye"),
        ]
    )
    assert wire == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Hi", "name": "alice"},
        {"role": "assistant", "content": "Hello!"},
        {"role": "user", "content": "Bye"},
    ]


def test_assistant_tool_calls_keep_ids_and_send_reasoning_back() -> None:
    ai = AIMessage(
        "Let me compute.",
        additional_kwargs={"reasoning_content": "Need the distance tool."},
        tool_calls=[
            {"name": "get_distance", "args": {"location1": "北京"}, "id": "get_distance:0"},
            {"name": "get_time", "args": {}, "id": "functions.get_time:1"},
        ],
    )
    tool = ToolMessage("1000", tool_call_id="get_distance:0")
    named = ToolMessage("12:00", tool_call_id="functions.get_time:1", name="get_time")
    wire = messages_to_wire([HumanMessage("q"), ai, tool, named])
    assert wire[1] == {
        "role": "assistant",
        "content": "Let me compute.",
        "tool_calls": [
            {
                "id": "get_distance:0",
                "type": "function",
                "function": {"name": "get_distance", "arguments": '{"location1": "北京"}'},
            },
            {
                "id": "functions.get_time:1",
                "type": "function",
                "function": {"name": "get_time", "arguments": "{}"},
            },
        ],
        "reasoning_content": "Need the distance tool.",
    }
    # The tool message's name is filled from the call it answers when LangChain lacks it.
    assert wire[2] == {
        "role": "tool",
        "tool_call_id": "get_distance:0",
        "content": "1000",
        "name": "get_distance",
    }
    assert wire[3]["name"] == "get_time"


def test_reasoning_is_not_sent_on_plain_assistant_messages() -> None:
    ai = AIMessage("Hello!", additional_kwargs={"reasoning_content": "Greeting."})
    assert messages_to_wire([ai, HumanMessage("x")])[0] == {
        "role": "assistant",
        "content": "Hello!",
    }


def test_v1_block_content_goes_back_as_text_reasoning_and_calls() -> None:
    ai = AIMessage(
        content=[
            {"type": "reasoning", "reasoning": "Think."},
            {"type": "text", "text": "Calling."},
            {"type": "tool_call", "id": "f:0", "name": "f", "args": {"a": 1}},
        ],
        tool_calls=[{"name": "f", "args": {"a": 1}, "id": "f:0"}],
        response_metadata={"output_version": "v1", "model_provider": "kimi"},
    )
    assert messages_to_wire([ai, ToolMessage("ok", tool_call_id="f:0")])[0] == {
        "role": "assistant",
        "content": "Calling.",
        "tool_calls": [
            {"id": "f:0", "type": "function", "function": {"name": "f", "arguments": '{"a": 1}'}}
        ],
        "reasoning_content": "Think.",
    }


def test_anthropic_style_blocks_are_read_for_text_and_thinking() -> None:
    ai = AIMessage(
        content=[
            {"type": "thinking", "thinking": "Hmm.", "signature": "sig"},
            {"type": "text", "text": "some text"},
            {"type": "tool_use", "id": "abc", "name": "f", "input": {}},
        ],
        tool_calls=[{"name": "f", "args": {}, "id": "abc"}],
    )
    wire = messages_to_wire([ai, ToolMessage("r", tool_call_id="abc")])[0]
    assert wire["content"] == "some text"
    assert wire["reasoning_content"] == "Hmm."


def test_invalid_tool_calls_are_sent_with_their_raw_arguments() -> None:
    ai = AIMessage(
        "",
        invalid_tool_calls=[
            {"type": "invalid_tool_call", "name": "f", "args": "{oops", "id": "f:0", "error": None}
        ],
    )
    assert messages_to_wire([ai, ToolMessage("e", tool_call_id="f:0")])[0]["tool_calls"] == [
        {"id": "f:0", "type": "function", "function": {"name": "f", "arguments": "{oops"}}
    ]


def test_trailing_ai_message_is_a_partial_prefix_with_its_name() -> None:
    messages = [HumanMessage("Hi"), AIMessage("Dear user,", name="Kimi")]
    assert messages_to_wire(messages)[-1] == {
        "role": "assistant",
        "content": "Dear user,",
        "name": "Kimi",
        "partial": True,
    }
    assert partial_prefix(messages) == "Dear user,"


def test_trailing_ai_tool_call_is_not_partial() -> None:
    ai = AIMessage("", tool_calls=[{"name": "f", "args": {}, "id": "f:0"}])
    assert partial_prefix([HumanMessage("x"), ai]) is None
    assert "partial" not in messages_to_wire([HumanMessage("x"), ai])[-1]
    assert partial_prefix([HumanMessage("x")]) is None
    assert partial_prefix([]) is None


def test_user_content_parts_all_image_formats() -> None:
    message = HumanMessage(
        content=[
            "plain",
            {"type": "text", "text": "Describe:"},
            {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}},
            {"type": "image_url", "image_url": "ms://cn0file"},
            {"type": "image", "base64": PNG, "mime_type": "image/jpeg"},
            {"type": "image", "file_id": "cn1file"},
            {"type": "image", "source_type": "base64", "data": PNG, "mime_type": "image/png"},
            {"type": "image", "url": "ms://cn2file"},
            {"type": "video_url", "video_url": {"url": "ms://cn3video"}},
        ]
    )
    assert messages_to_wire([message])[0]["content"] == [
        {"type": "text", "text": "plain"},
        {"type": "text", "text": "Describe:"},
        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}},
        {"type": "image_url", "image_url": {"url": "ms://cn0file"}},
        {"type": "image_url", "image_url": {"url": f"data:image/jpeg;base64,{PNG}"}},
        {"type": "image_url", "image_url": {"url": "ms://cn1file"}},
        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}},
        {"type": "image_url", "image_url": {"url": "ms://cn2file"}},
        {"type": "video_url", "video_url": {"url": "ms://cn3video"}},
    ]


@pytest.mark.parametrize(
    "part",
    [
        {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}},
        {"type": "image", "url": "http://example.com/cat.png"},
        {"type": "image", "source_type": "url", "data": "https://example.com/cat.png"},
    ],
)
def test_http_image_urls_are_rejected(part: dict[str, Any]) -> None:
    with pytest.raises(InvalidParameterError, match="plain URLs are not supported") as info:
        messages_to_wire([HumanMessage(content=[part])])
    assert info.value.param == "image_url"


def test_unsupported_parts_and_messages_are_clear_errors() -> None:
    # A file block is a document in a user message only (issue 26), and must be readable.
    tool = ToolMessage(content=[{"type": "file", "base64": "eA=="}], tool_call_id="c")
    with pytest.raises(InvalidParameterError, match="'file' content in a tool message"):
        messages_to_wire([tool])
    with pytest.raises(InvalidParameterError, match="not valid base64"):
        messages_to_wire([HumanMessage(content=[{"type": "file", "base64": "x"}])])
    with pytest.raises(InvalidParameterError, match="can only hold text"):
        messages_to_wire([SystemMessage(content=[{"type": "image", "base64": PNG}])])
    with pytest.raises(InvalidParameterError, match="FunctionMessage"):
        messages_to_wire([FunctionMessage("x", name="f")])
    with pytest.raises(InvalidParameterError, match="role 'wizard'"):
        messages_to_wire([ChatMessage("x", role="wizard")])


def test_list_content_of_system_and_tool_messages_becomes_text() -> None:
    wire = messages_to_wire(
        [
            SystemMessage(content=["Be ", {"type": "text", "text": "brief."}]),
            HumanMessage("q"),
            AIMessage("", tool_calls=[{"name": "f", "args": {}, "id": "f:0"}]),
            ToolMessage(content=[{"type": "text", "text": "a"}, "b"], tool_call_id="f:0"),
        ]
    )
    assert wire[0] == {"role": "system", "content": "Be brief."}
    assert wire[3]["content"] == "ab"


def test_chat_message_roles() -> None:
    wire = messages_to_wire(
        [
            ChatMessage("s", role="developer"),
            ChatMessage("u", role="human"),
            ChatMessage("a", role="ai"),
            ChatMessage("u2", role="user"),
        ]
    )
    assert [m["role"] for m in wire] == ["system", "user", "assistant", "user"]
    assert "partial" not in wire[2]  # only a trailing AIMessage is a partial prefix


# -- wire -> LangChain ------------------------------------------------------------------------


def _completion(message: dict[str, Any], **extra: Any) -> ChatCompletion:
    return ChatCompletion.model_validate(
        {
            "id": "cmpl-1",
            "model": "kimi-k2.6",
            "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
            **extra,
        }
    )


def _choice_message(completion: ChatCompletion, **options: Any) -> AIMessage:
    """The first choice of ``completion`` as ChatKimi's invoke path builds it."""
    wire = completion.wire_dict()
    names = ("prefix", "text_before", "reasoning_before")
    reading = {k: options.pop(k) for k in names if k in options}
    return answer_to_message(
        answer_choices(wire, **reading)[0],
        model=wire.get("model"),
        completion_id=wire.get("id"),
        system_fingerprint=wire.get("system_fingerprint"),
        **options,
    )


def _converter(**gaps: bool) -> Callable[[dict[str, Any]], AIMessageChunk | None]:
    """A fresh ``ChunkConverter``'s chunks as ``AIMessageChunk``s (None when skipped)."""
    generation = ChunkConverter(**gaps).generation

    def convert(chunk: dict[str, Any]) -> AIMessageChunk | None:
        result = generation(chunk)
        return None if result is None else result.message  # type: ignore[return-value]

    return convert


def test_answer_with_reasoning_calls_and_invalid_arguments() -> None:
    completion = _completion(
        {
            "role": "assistant",
            "content": "ok",
            "reasoning_content": "Because.",
            "tool_calls": [
                {
                    "id": "get_distance:0",
                    "type": "function",
                    "function": {"name": "get_distance", "arguments": '{"a": 1}'},
                },
                {
                    "id": "broken:1",
                    "type": "function",
                    "function": {"name": "broken", "arguments": '{"a": '},
                },
                {
                    "id": "listy:2",
                    "type": "function",
                    "function": {"name": "listy", "arguments": "[1, 2]"},
                },
                {"id": "noargs:3", "type": "function", "function": {"name": "noargs"}},
                {
                    "id": "$web_search:4",
                    "type": "builtin_function",
                    "function": {"name": "$web_search", "arguments": "{}"},
                },
            ],
        }
    )
    message = _choice_message(completion, prefix="P: ")
    assert message.content == "P: ok"
    assert message.additional_kwargs == {"reasoning_content": "Because."}
    assert message.tool_calls == [
        {"name": "get_distance", "args": {"a": 1}, "id": "get_distance:0", "type": "tool_call"},
        {"name": "noargs", "args": {}, "id": "noargs:3", "type": "tool_call"},
    ]
    assert [(c["id"], c["args"]) for c in message.invalid_tool_calls] == [
        ("broken:1", '{"a": '),
        ("listy:2", "[1, 2]"),
    ]
    assert "not valid JSON" in str(message.invalid_tool_calls[0]["error"])
    assert message.invalid_tool_calls[1]["error"] == "arguments are not a JSON object"
    assert message.response_metadata == {
        "model_provider": "kimi",
        "model_name": "kimi-k2.6",
        "finish_reason": "stop",
        "id": "cmpl-1",
        "system_fingerprint": None,
    }


def test_acedata_reasoning_twin_is_read() -> None:
    completion = _completion({"role": "assistant", "content": "x", "reasoning": "Twin."})
    message = _choice_message(completion)
    assert message.additional_kwargs == {"reasoning_content": "Twin."}


def test_earlier_builtin_rounds_are_joined_with_a_blank_line() -> None:
    completion = _completion({"role": "assistant", "content": "Answer", "reasoning_content": "B"})
    message = _choice_message(completion, reasoning_before="A", text_before="Searching.")
    assert message.content == "Searching.\n\nAnswer"
    assert message.additional_kwargs["reasoning_content"] == "A\n\nB"


def test_parse_tool_calls_keeps_ids_exactly() -> None:
    calls, invalid = parse_tool_calls(
        [{"id": "functions.get_distance:0", "function": {"name": "get_distance", "arguments": " "}}]
    )
    assert calls == [
        {"name": "get_distance", "args": {}, "id": "functions.get_distance:0", "type": "tool_call"}
    ]
    assert invalid == []


# -- usage ------------------------------------------------------------------------------------


def test_usage_shapes_of_every_gateway() -> None:
    moonshot = {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15, "cached_tokens": 4}
    openai_like = {
        "prompt_tokens": 10,
        "completion_tokens": 5,
        "total_tokens": 15,
        "prompt_tokens_details": {"cached_tokens": 3},
        "completion_tokens_details": {"reasoning_tokens": 2},
    }
    acedata = {
        "prompt_tokens": 9,
        "completion_tokens": 184,
        "total_tokens": 193,
        "prompt_tokens_details": {"cached_tokens_details": {}},
        "completion_tokens_details": {},
    }
    assert normalize_usage(moonshot) == {
        "prompt_tokens": 10,
        "completion_tokens": 5,
        "total_tokens": 15,
        "cached_tokens": 4,
    }
    assert usage_metadata(normalize_usage(openai_like) or {}) == {
        "input_tokens": 10,
        "output_tokens": 5,
        "total_tokens": 15,
        "input_token_details": {"cache_read": 3},
        "output_token_details": {"reasoning": 2},
    }
    assert usage_metadata(normalize_usage(acedata) or {}) == {
        "input_tokens": 9,
        "output_tokens": 184,
        "total_tokens": 193,
    }
    assert normalize_usage({"prompt_tokens": 2, "completion_tokens": 3}) == {
        "prompt_tokens": 2,
        "completion_tokens": 3,
        "total_tokens": 5,
    }
    assert normalize_usage(None) is None
    assert normalize_usage({}) is None


# -- stream chunks ----------------------------------------------------------------------------


def _chunk(delta: dict[str, Any], **choice: Any) -> dict[str, Any]:
    return {"id": "c", "choices": [{"index": 0, "delta": delta, **choice}]}


def test_chunk_conversion_reasoning_text_and_tool_call_chunks() -> None:
    convert = _converter()
    assert convert(_chunk({"role": "assistant", "content": ""})) is None
    assert convert({"choices": [], "usage": {"prompt_tokens": 1}}) is None
    reasoning = convert(_chunk({"reasoning_content": "Hm"}))
    assert reasoning is not None
    assert reasoning.additional_kwargs == {"reasoning_content": "Hm"}
    assert reasoning.content == ""
    assert reasoning.response_metadata == {"model_provider": "kimi"}
    text = convert(_chunk({"content": "Hi"}))
    assert text is not None
    assert text.content == "Hi"
    assert text.additional_kwargs == {}
    first = convert(
        _chunk(
            {
                "tool_calls": [
                    {
                        "index": 1,
                        "id": "f:1",
                        "type": "function",
                        "function": {"name": "f", "arguments": ""},
                    }
                ]
            }
        )
    )
    assert first is not None
    assert first.tool_call_chunks == [
        {"name": "f", "args": "", "id": "f:1", "index": 1, "type": "tool_call_chunk"}
    ]
    more = convert(_chunk({"tool_calls": [{"index": 1, "function": {"arguments": '{"a"'}}]}))
    assert more is not None
    assert more.tool_call_chunks == [
        {"name": None, "args": '{"a"', "id": None, "index": 1, "type": "tool_call_chunk"}
    ]


def test_builtin_tool_call_fragments_are_hidden() -> None:
    convert = _converter()
    start = {
        "index": 0,
        "id": "$web_search:0",
        "type": "builtin_function",
        "function": {"name": "$web_search", "arguments": ""},
    }
    assert convert(_chunk({"tool_calls": [start]})) is None
    assert convert(_chunk({"tool_calls": [{"index": 0, "function": {"arguments": "{}"}}]})) is None


def test_chunks_of_a_later_round_start_with_a_blank_line() -> None:
    convert = _converter(text_gap=True, reasoning_gap=True)
    first = convert(_chunk({"reasoning_content": "B", "content": "Answer"}))
    assert first is not None
    assert first.additional_kwargs["reasoning_content"] == "\n\nB"
    assert first.content == "\n\nAnswer"
    second = convert(_chunk({"reasoning_content": "C", "content": "!"}))
    assert second is not None
    assert second.content == "!"


def test_invalid_streamed_arguments_end_as_invalid_tool_calls() -> None:
    convert = _converter()
    part = convert(
        _chunk(
            {
                "tool_calls": [
                    {"index": 0, "id": "f:0", "function": {"name": "f", "arguments": "{'a': }"}}
                ]
            }
        )
    )
    assert part is not None
    full = part + AIMessageChunk(content="", chunk_position="last")
    assert full.tool_calls == []
    assert [c["id"] for c in full.invalid_tool_calls] == ["f:0"]


# -- v1 content blocks ------------------------------------------------------------------------


def test_translator_blocks_of_a_whole_message() -> None:
    message = AIMessage(
        "Done.",
        additional_kwargs={"reasoning_content": "Think."},
        tool_calls=[{"name": "f", "args": {"a": 1}, "id": "f:0"}],
        invalid_tool_calls=[
            {"type": "invalid_tool_call", "name": "g", "args": "{", "id": "g:1", "error": "bad"}
        ],
        response_metadata={"model_provider": "kimi"},
    )
    assert message.content_blocks == [
        {"type": "reasoning", "reasoning": "Think."},
        {"type": "text", "text": "Done."},
        {"type": "tool_call", "id": "f:0", "name": "f", "args": {"a": 1}},
        {"type": "invalid_tool_call", "id": "g:1", "name": "g", "args": "{", "error": "bad"},
    ]


def test_translator_keeps_block_content_and_does_not_repeat_calls() -> None:
    message = AIMessage(
        content=[
            "Hi ",
            {"type": "tool_call", "id": "f:0", "name": "f", "args": {}},
            {"type": "weird", "x": 1},
        ],
        tool_calls=[{"name": "f", "args": {}, "id": "f:0"}],
        response_metadata={"model_provider": "kimi"},
    )
    assert message.content_blocks == [
        {"type": "text", "text": "Hi "},
        {"type": "tool_call", "id": "f:0", "name": "f", "args": {}},
        {"type": "non_standard", "value": {"type": "weird", "x": 1}},
    ]


def test_streamed_blocks_have_distinct_indices_per_kind() -> None:
    convert = _converter()
    chunks = [
        convert(_chunk({"reasoning_content": "I should call f."})),
        convert(_chunk({"content": "Calling."})),
        convert(
            _chunk(
                {
                    "tool_calls": [
                        {
                            "index": 0,
                            "id": "f:0",
                            "function": {"name": "f", "arguments": '{"a": 1}'},
                        }
                    ]
                }
            )
        ),
    ]
    blocks = [_blocks.translate_content_chunk(c) for c in chunks if c is not None]
    assert blocks == [
        [{"type": "reasoning", "reasoning": "I should call f.", "index": "lc_rs_0"}],
        [{"type": "text", "text": "Calling.", "index": "lc_txt_0"}],
        [
            {
                "type": "tool_call_chunk",
                "id": "f:0",
                "name": "f",
                "args": '{"a": 1}',
                "index": "lc_tc_0",
            }
        ],
    ]
    assert _blocks.tool_call_index(None) == "lc_tc_0"


def test_json_dumps_of_arguments_keeps_unicode() -> None:
    ai = AIMessage("", tool_calls=[{"name": "f", "args": {"city": "上海"}, "id": "f:0"}])
    arguments = messages_to_wire([ai, ToolMessage("x", tool_call_id="f:0")])[0]["tool_calls"][0]
    assert arguments["function"]["arguments"] == json.dumps({"city": "上海"}, ensure_ascii=False)
