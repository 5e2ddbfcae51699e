"""LlamaIndex messages to Kimi's wire format: every block kind, role and edge case."""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from li_helpers import chat_requests
from llama_index.core.base.llms.types import (
    CacheControl,
    CachePoint,
    ChatMessage,
    DocumentBlock,
    ImageBlock,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
)

from kimi_core.errors import InvalidParameterError
from kimi_emulator import KimiEmulator
from llama_index_kimi import Kimi
from llama_index_kimi.utils import to_kimi_messages

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
PNG_B64 = base64.b64encode(PNG).decode()


def test_text_messages_and_roles_map_to_kimi_roles() -> None:
    wire, prefix = to_kimi_messages(
        [
            ChatMessage(role="system", content="Be brief."),
            ChatMessage(role="developer", content="Dev rules."),
            ChatMessage(role="user", content="Hi"),
        ]
    )
    assert wire == [
        {"role": "system", "content": "Be brief."},
        {"role": "system", "content": "Dev rules."},
        {"role": "user", "content": "Hi"},
    ]
    assert prefix is None


def test_several_text_blocks_are_concatenated() -> None:
    wire, _ = to_kimi_messages(
        [ChatMessage(role="user", blocks=[TextBlock(text="a "), TextBlock(text="b")])]
    )
    assert wire == [{"role": "user", "content": "a b"}]


def test_assistant_tool_calls_carry_reasoning_and_exact_ids() -> None:
    message = ChatMessage(
        role="assistant",
        blocks=[
            ThinkingBlock(content="I should call get_distance."),
            TextBlock(text=""),
            ToolCallBlock(
                tool_call_id="get_distance:0",
                tool_name="get_distance",
                tool_kwargs='{"location1": "北京", "location2":"上海"}',
            ),
            ToolCallBlock(
                tool_call_id="functions.lookup:1", tool_name="lookup", tool_kwargs={"q": "北京"}
            ),
        ],
    )
    wire, prefix = to_kimi_messages([ChatMessage(role="user", content="go"), message])
    assert wire[1] == {
        "role": "assistant",
        "content": "",
        "tool_calls": [
            {
                "id": "get_distance:0",
                "type": "function",
                # a string is sent exactly as received
                "function": {
                    "name": "get_distance",
                    "arguments": '{"location1": "北京", "location2":"上海"}',
                },
            },
            {
                "id": "functions.lookup:1",
                "type": "function",
                "function": {"name": "lookup", "arguments": '{"q": "北京"}'},
            },
        ],
        "reasoning_content": "I should call get_distance.",
    }
    assert prefix is None  # a tool-call turn is not a partial prefix


def test_reasoning_is_not_sent_on_plain_assistant_turns() -> None:
    wire, _ = to_kimi_messages(
        [
            ChatMessage(role="user", content="Hi"),
            ChatMessage(
                role="assistant", blocks=[ThinkingBlock(content="hmm"), TextBlock(text="Hello")]
            ),
            ChatMessage(role="user", content="Again"),
        ]
    )
    assert wire[1] == {"role": "assistant", "content": "Hello"}


def test_legacy_additional_kwargs_tool_calls_and_reasoning() -> None:
    class SdkCall:  # an OpenAI-SDK-like object
        def model_dump(self) -> dict[str, Any]:
            return {
                "id": "b:1",
                "type": "function",
                "function": {"name": "b", "arguments": {"x": 1}},
            }

    message = ChatMessage(
        role="assistant",
        content="",
        additional_kwargs={
            "tool_calls": [
                {"id": "a:0", "type": "function", "function": {"name": "a", "arguments": "{}"}},
                SdkCall(),
            ],
            "reasoning_content": "thinking text",
        },
    )
    wire, _ = to_kimi_messages([message])
    assert wire[0]["tool_calls"] == [
        {"id": "a:0", "type": "function", "function": {"name": "a", "arguments": "{}"}},
        {"id": "b:1", "type": "function", "function": {"name": "b", "arguments": '{"x": 1}'}},
    ]
    assert wire[0]["reasoning_content"] == "thinking text"


def test_tool_results_carry_tool_call_id_and_name() -> None:
    wire, _ = to_kimi_messages(
        [
            ChatMessage(
                role="tool",
                content="1000",
                additional_kwargs={"tool_call_id": "get_distance:0", "name": "get_distance"},
            ),
            ChatMessage(role="function", content="2", additional_kwargs={"tool_call_id": "x:1"}),
        ]
    )
    assert wire == [
        {
            "role": "tool",
            "content": "1000",
            "tool_call_id": "get_distance:0",
            "name": "get_distance",
        },
        {"role": "tool", "content": "2", "tool_call_id": "x:1"},
    ]


def test_tool_result_without_id_is_rejected_before_sending() -> None:
    with pytest.raises(InvalidParameterError, match="tool_call_id") as info:
        to_kimi_messages([ChatMessage(role="tool", content="1")])
    assert info.value.param == "messages"


def test_tool_call_block_without_id_is_rejected() -> None:
    block = ToolCallBlock(tool_name="add", tool_kwargs={})
    with pytest.raises(InvalidParameterError, match="no tool_call_id"):
        to_kimi_messages([ChatMessage(role="assistant", blocks=[block])])


def test_trailing_assistant_message_is_a_partial_prefix() -> None:
    wire, prefix = to_kimi_messages(
        [
            ChatMessage(role="user", content="Name a colour"),
            ChatMessage(
                role="assistant", content="The colour is", additional_kwargs={"name": "Bob"}
            ),
        ]
    )
    assert wire[-1] == {
        "role": "assistant",
        "content": "The colour is",
        "name": "Bob",
        "partial": True,
    }
    assert prefix == "The colour is"


def test_image_blocks_become_image_url_parts() -> None:
    wire, _ = to_kimi_messages(
        [
            ChatMessage(
                role="user",
                blocks=[
                    TextBlock(text="What is this?"),
                    ImageBlock(image=PNG),
                    ImageBlock(url="ms://cn0sjgr5d6r9c1vq4p5g"),
                    ImageBlock(url=f"data:image/png;base64,{PNG_B64}"),
                ],
            )
        ]
    )
    assert wire == [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "What is this?"},
                {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG_B64}"}},
                {"type": "image_url", "image_url": {"url": "ms://cn0sjgr5d6r9c1vq4p5g"}},
                {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG_B64}"}},
            ],
        }
    ]


def test_image_from_path_is_sent_as_base64(tmp_path: Path) -> None:
    path = tmp_path / "dot.png"
    path.write_bytes(PNG)
    wire, _ = to_kimi_messages([ChatMessage(role="user", blocks=[ImageBlock(path=path)])])
    assert wire[0]["content"] == [
        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG_B64}"}}
    ]


def test_http_image_url_is_rejected_clearly(emu: KimiEmulator, llm: Kimi) -> None:
    message = ChatMessage(role="user", blocks=[ImageBlock(url="https://example.com/cat.png")])
    with pytest.raises(InvalidParameterError, match="plain URLs are not supported") as info:
        llm.chat([message])
    assert info.value.param == "image_url"
    assert emu.requests == []


def test_unsupported_blocks_are_rejected_and_cache_points_skipped() -> None:
    # A DocumentBlock is read through the Files API in a user message only (issue 26).
    with pytest.raises(InvalidParameterError, match="DocumentBlock is not supported"):
        to_kimi_messages([ChatMessage(role="assistant", blocks=[DocumentBlock(data=b"%PDF-1.4")])])
    wire, _ = to_kimi_messages(
        [
            ChatMessage(
                role="user",
                blocks=[
                    TextBlock(text="Hi"),
                    CachePoint(cache_control=CacheControl(type="ephemeral")),
                ],
            )
        ]
    )
    assert wire == [{"role": "user", "content": "Hi"}]


def test_image_request_reaches_the_emulator(emu: KimiEmulator, llm: Kimi) -> None:
    message = ChatMessage(
        role="user",
        blocks=[TextBlock(text="Describe"), ImageBlock(url="ms://cn0sjgr5d6r9c1vq4p5g")],
    )
    response = llm.chat([message])
    assert response.message.content == "You said: Describe"
    assert chat_requests(emu)[0]["messages"][0]["content"][1] == {
        "type": "image_url",
        "image_url": {"url": "ms://cn0sjgr5d6r9c1vq4p5g"},
    }


def test_round_trip_through_the_emulator_keeps_ids_and_reasoning(
    emu: KimiEmulator, make_llm: Callable[..., Kimi]
) -> None:
    llm = make_llm()
    emu.script(
        tool_calls=[{"name": "get_distance", "arguments": {"a": "北京"}, "id": "get_distance:0"}]
    )
    first = llm.chat([ChatMessage(role="user", content="How far?")])
    history = [
        ChatMessage(role="user", content="How far?"),
        first.message,
        ChatMessage(
            role="tool", content="1000", additional_kwargs={"tool_call_id": "get_distance:0"}
        ),
    ]
    second = llm.chat(history)
    assert second.message.content == "The tool get_distance returned: 1000"
    sent = chat_requests(emu)[1]["messages"]
    assert sent[1] == {  # no empty content next to the calls (Kimi: "text content is empty")
        "role": "assistant",
        "tool_calls": [
            {
                "id": "get_distance:0",
                "type": "function",
                "function": {"name": "get_distance", "arguments": '{"a": "北京"}'},
            }
        ],
        "reasoning_content": "I should call get_distance.",
    }
    assert sent[2] == {"role": "tool", "content": "1000", "tool_call_id": "get_distance:0"}
