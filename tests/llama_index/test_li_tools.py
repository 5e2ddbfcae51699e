"""Function calling: tool specs, tool_required / tool_choice (Kimi rejects "required"),
exact ids, parsing of arguments, parallel calls and the reasoning round trip."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from li_helpers import chat_requests
from llama_index.core.base.llms.types import ChatMessage, ChatResponse, ThinkingBlock, ToolCallBlock
from llama_index.core.llms.llm import ToolSelection
from llama_index.core.tools import FunctionTool

from kimi_core.chat.request import FORCED_TOOL_HINT
from kimi_emulator import KimiEmulator
from llama_index_kimi import Kimi


def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


def multiply(a: int, b: int) -> int:
    """Multiply two integers."""
    return a * b


TOOLS = [FunctionTool.from_defaults(fn=add), FunctionTool.from_defaults(fn=multiply)]


def test_chat_with_tools_sends_specs_and_returns_exact_ids(emu: KimiEmulator, llm: Kimi) -> None:
    response = llm.chat_with_tools(TOOLS, user_msg="What is 1 + 1?")
    body = chat_requests(emu)[0]
    assert [t["function"]["name"] for t in body["tools"]] == ["add", "multiply"]
    # Issue 25: parameters in Moonshot's dialect (MFJS: no ``title``).
    assert TOOLS[0].metadata.get_parameters_dict()["properties"]["a"]["title"] == "A"
    assert body["tools"][0] == {
        "type": "function",
        "function": {
            "name": "add",
            "description": TOOLS[0].metadata.description,
            "parameters": {
                "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
                "required": ["a", "b"],
                "type": "object",
            },
        },
    }
    assert body["tool_choice"] == "auto"
    assert llm.get_tool_calls_from_response(response) == [
        ToolSelection(tool_id="add:0", tool_name="add", tool_kwargs={"a": 1, "b": 1})
    ]
    assert response.message.blocks[0] == ThinkingBlock(content="I should call add.")


def test_chat_with_tools_does_not_mutate_the_history(llm: Kimi) -> None:
    history = [ChatMessage(role="system", content="Use tools.")]
    llm.chat_with_tools(TOOLS, user_msg="Go", chat_history=history)
    assert len(history) == 1


def test_tool_required_is_sent_as_auto_plus_a_hint(emu: KimiEmulator, llm: Kimi) -> None:
    llm.chat_with_tools(TOOLS, user_msg="Compute", tool_required=True)
    body = chat_requests(emu)[0]
    assert body["tool_choice"] == "auto"
    assert body["messages"][-1] == {
        "role": "user",
        "content": FORCED_TOOL_HINT.format(target="one of the provided tools"),
    }
    assert [t["function"]["name"] for t in body["tools"]] == ["add", "multiply"]


async def test_named_tool_choice_sends_only_that_tool(emu: KimiEmulator, llm: Kimi) -> None:
    response = await llm.achat_with_tools(TOOLS, user_msg="Compute", tool_choice="multiply")
    body = chat_requests(emu)[0]
    assert [t["function"]["name"] for t in body["tools"]] == ["multiply"]
    assert body["messages"][-1]["content"] == FORCED_TOOL_HINT.format(target="the tool `multiply`")
    assert llm.get_tool_calls_from_response(response)[0].tool_id == "multiply:0"


def test_no_tools_sends_no_tool_choice(emu: KimiEmulator, llm: Kimi) -> None:
    response = llm.chat_with_tools([], user_msg="Hi", tool_required=True)
    body = chat_requests(emu)[0]
    assert "tools" not in body
    assert "tool_choice" not in body
    assert response.message.content == "You said: Hi"


def test_invalid_json_arguments_become_empty_or_partial_dicts(emu: KimiEmulator, llm: Kimi) -> None:
    emu.script(
        tool_calls=[
            {"name": "add", "arguments": "not json at all"},
            {"name": "add", "arguments": '{"a": 1,'},
            {"name": "add", "arguments": "[1, 2]"},
            {"name": "add", "arguments": ""},
        ]
    )
    response = llm.chat_with_tools(TOOLS, user_msg="Go", allow_parallel_tool_calls=True)
    assert [s.tool_kwargs for s in llm.get_tool_calls_from_response(response)] == [
        {},
        {"a": 1},
        {},
        {},
    ]
    # The raw strings are kept for the round trip.
    blocks = [b for b in response.message.blocks if isinstance(b, ToolCallBlock)]
    assert [b.tool_kwargs for b in blocks] == ["not json at all", '{"a": 1,', "[1, 2]", ""]


def test_error_on_no_tool_call(llm: Kimi) -> None:
    response = llm.chat([ChatMessage(role="user", content="Just talk")])
    with pytest.raises(ValueError, match="Expected at least one tool call"):
        llm.get_tool_calls_from_response(response)
    assert llm.get_tool_calls_from_response(response, error_on_no_tool_call=False) == []


def test_parallel_calls_kept_only_when_allowed(emu: KimiEmulator, llm: Kimi) -> None:
    script = [
        {"name": "add", "arguments": {"a": 1, "b": 2}},
        {"name": "multiply", "arguments": {"a": 3, "b": 4}},
    ]
    emu.script(tool_calls=script, times=2)
    single = llm.chat_with_tools(TOOLS, user_msg="Both")
    both = llm.chat_with_tools(TOOLS, user_msg="Both", allow_parallel_tool_calls=True)
    assert [s.tool_id for s in llm.get_tool_calls_from_response(single)] == ["add:0"]
    assert len(single.message.additional_kwargs["tool_calls"]) == 1
    assert [s.tool_id for s in llm.get_tool_calls_from_response(both)] == ["add:0", "multiply:1"]
    assert "parallel_tool_calls" not in chat_requests(emu)[0]


def test_legacy_additional_kwargs_tool_calls_are_read() -> None:
    llm = Kimi(api_key="sk-x")
    message = ChatMessage(
        role="assistant",
        content="",
        additional_kwargs={
            "tool_calls": [
                {
                    "id": "add:0",
                    "type": "function",
                    "function": {"name": "add", "arguments": '{"a": 5}'},
                }
            ]
        },
    )
    assert llm.get_tool_calls_from_response(ChatResponse(message=message)) == [
        ToolSelection(tool_id="add:0", tool_name="add", tool_kwargs={"a": 5})
    ]


def test_predict_and_call_runs_the_tool(emu: KimiEmulator, llm: Kimi) -> None:
    emu.script(tool_calls=[{"name": "multiply", "arguments": {"a": 6, "b": 7}}])
    result = llm.predict_and_call(TOOLS, user_msg="6 times 7?")
    assert result.response == "42"
    assert result.sources[0].tool_name == "multiply"


def test_reasoning_round_trip_satisfies_the_thinking_rule(emu: KimiEmulator, llm: Kimi) -> None:
    """Kimi answers 400 when a tool-call turn comes back without its reasoning; the emulator
    enforces the same rule, and ``Kimi`` always sends it."""
    history = [ChatMessage(role="user", content="1 + 1?")]
    first = llm.chat_with_tools(TOOLS, chat_history=history)
    history.append(first.message)
    for selection in llm.get_tool_calls_from_response(first):
        history.append(
            ChatMessage(
                role="tool",
                content="2",
                additional_kwargs={"tool_call_id": selection.tool_id, "name": selection.tool_name},
            )
        )
    second = llm.chat_with_tools(TOOLS, chat_history=history)
    assert second.message.content == "The tool add returned: 2"
    assistant = chat_requests(emu)[1]["messages"][1]
    assert assistant["reasoning_content"] == "I should call add."
    assert assistant["tool_calls"][0]["id"] == "add:0"

    # Without the ThinkingBlock (a history from another provider), the core sends an empty
    # reasoning, which Kimi accepts (it answers 400 "reasoning_content is missing" without).
    stripped = ChatMessage(
        role="assistant",
        blocks=[b for b in first.message.blocks if not isinstance(b, ThinkingBlock)],
    )
    third = llm.chat_with_tools(TOOLS, chat_history=[history[0], stripped, *history[2:]])
    assert third.message.content == "The tool add returned: 2"
    assert chat_requests(emu)[2]["messages"][1]["reasoning_content"] == ""


def test_thinking_off_needs_no_reasoning(emu: KimiEmulator, make_llm: Callable[..., Kimi]) -> None:
    llm = make_llm(thinking=False)
    first = llm.chat_with_tools(TOOLS, user_msg="1 + 1?")
    assert not any(isinstance(b, ThinkingBlock) for b in first.message.blocks)
    history = [
        ChatMessage(role="user", content="1 + 1?"),
        first.message,
        ChatMessage(role="tool", content="2", additional_kwargs={"tool_call_id": "add:0"}),
    ]
    assert llm.chat(history).message.content == "The tool add returned: 2"
    assert "reasoning_content" not in chat_requests(emu)[1]["messages"][1]
