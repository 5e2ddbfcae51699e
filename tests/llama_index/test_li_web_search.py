"""Kimi's builtin ``$web_search`` in the LlamaIndex adapter: the core's loop, driven by ``Kimi``.

The same cases as ChatKimi's (``tests/langchain/integration_tests/test_lc_e2e.py``), over real
HTTP against the emulator: the client answers the builtin calls itself, shows none of them,
joins the reasoning of every round and sums their usage and cost.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from li_helpers import chat_requests
from llama_index.core.base.llms.types import ChatMessage, ChatResponse, ThinkingBlock, ToolCallBlock

from kimi_core.chat.tools import WEB_SEARCH_TOOL
from kimi_core.errors import ToolLoopError
from kimi_emulator import KimiEmulator
from llama_index_kimi import Kimi

ASK = [ChatMessage(role="user", content="What's new with Kimi?")]
# 400 prompt + 30 completion tokens over both rounds; at $0.95 / $4.00 per 1M tokens.
SEARCH_USAGE = {"prompt_tokens": 400, "completion_tokens": 30, "total_tokens": 430}
SEARCH_COST = {"amount": 0.0005, "currency": "USD"}


def _script_search(emu: KimiEmulator, answer: str = "Kimi K2.5 launched.") -> str:
    arguments = json.dumps({"search_result": {"search_id": "s-1"}, "usage": {"total_tokens": 50}})
    emu.script(
        reasoning="Search first.",
        tool_calls=[{"name": "$web_search", "arguments": arguments, "type": "builtin_function"}],
        usage={"prompt_tokens": 100, "completion_tokens": 10},
    )
    emu.script(answer, reasoning="Found it.", usage={"prompt_tokens": 300, "completion_tokens": 20})
    return arguments


def _check_search_requests(emu: KimiEmulator, arguments: str) -> None:
    first, second = chat_requests(emu)
    assert first["tools"] == [WEB_SEARCH_TOOL]
    assert second["messages"][1:] == [
        {
            "role": "assistant",
            "tool_calls": [
                {
                    "id": "$web_search:0",
                    "type": "builtin_function",
                    "function": {"name": "$web_search", "arguments": arguments},
                }
            ],
            "reasoning_content": "Search first.",
        },
        {
            "role": "tool",
            "tool_call_id": "$web_search:0",
            "name": "$web_search",
            "content": arguments,
        },
    ]


def _check_answer(response: ChatResponse) -> None:
    assert response.message.content == "Kimi K2.5 launched."
    assert not [b for b in response.message.blocks if isinstance(b, ToolCallBlock)]
    assert "tool_calls" not in response.message.additional_kwargs
    thinking = [b for b in response.message.blocks if isinstance(b, ThinkingBlock)]
    assert [b.content for b in thinking] == ["Search first.\n\nFound it."]
    usage = {k: response.additional_kwargs[k] for k in SEARCH_USAGE}
    assert usage == SEARCH_USAGE
    assert response.additional_kwargs["cost"] == SEARCH_COST
    assert response.raw["usage"] == SEARCH_USAGE  # what TokenCountingHandler reads


def test_web_search_loop_chat(llm: Kimi, emu: KimiEmulator) -> None:
    arguments = _script_search(emu)
    _check_answer(llm.chat(ASK, tools=[WEB_SEARCH_TOOL]))
    _check_search_requests(emu, arguments)


def test_web_search_loop_stream_chat(llm: Kimi, emu: KimiEmulator) -> None:
    arguments = _script_search(emu)
    responses = list(llm.stream_chat(ASK, tools=[WEB_SEARCH_TOOL]))
    assert all(not [b for b in r.message.blocks if isinstance(b, ToolCallBlock)] for r in responses)
    _check_answer(responses[-1])
    assert "".join(r.delta or "" for r in responses) == "Kimi K2.5 launched."
    thoughts = "".join(r.additional_kwargs.get("thinking_delta", "") for r in responses)
    assert thoughts == "Search first.\n\nFound it."
    assert [("cost" in r.additional_kwargs) for r in responses].count(True) == 1
    _check_search_requests(emu, arguments)


async def test_web_search_loop_async(llm: Kimi, emu: KimiEmulator) -> None:
    arguments = _script_search(emu)
    _check_answer(await llm.achat(ASK, tools=[WEB_SEARCH_TOOL]))
    _check_search_requests(emu, arguments)
    emu.reset()
    arguments = _script_search(emu)
    responses = [r async for r in await llm.astream_chat(ASK, tools=[WEB_SEARCH_TOOL])]
    _check_answer(responses[-1])
    _check_search_requests(emu, arguments)


def test_web_search_default_reply_and_round_guard(
    make_llm: Callable[..., Kimi], emu: KimiEmulator
) -> None:
    llm = make_llm(max_builtin_tool_rounds=2)
    # The emulator's default: search once, then quote the search result.
    answer = llm.chat([ChatMessage(role="user", content="news")], tools=[WEB_SEARCH_TOOL])
    assert (answer.message.content or "").startswith("The tool $web_search returned: ")
    emu.reset()
    emu.script(tool_calls=[{"name": "$web_search", "arguments": "{}"}], times=3)
    with pytest.raises(ToolLoopError, match="max_builtin_tool_rounds=2"):
        llm.chat([ChatMessage(role="user", content="news")], tools=[WEB_SEARCH_TOOL])
    assert len(chat_requests(emu)) == 3
    emu.reset()
    emu.script(tool_calls=[{"name": "$web_search", "arguments": "{}"}], times=2)
    with pytest.raises(ToolLoopError, match="max_builtin_tool_rounds=1"):
        list(llm.stream_chat(ASK, tools=[WEB_SEARCH_TOOL], max_builtin_tool_rounds=1))
    assert len(chat_requests(emu)) == 2


@pytest.mark.parametrize("stream", [False, True])
def test_builtin_call_next_to_a_user_tool_is_not_shown(
    make_llm: Callable[..., Kimi], emu: KimiEmulator, stream: bool
) -> None:
    emu.script(
        tool_calls=[
            {"name": "$web_search", "arguments": "{}", "type": "builtin_function"},
            {"name": "get_weather", "arguments": {"city": "Oslo"}},
        ]
    )
    weather = {
        "type": "function",
        "function": {
            "name": "get_weather",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
        },
    }
    llm = make_llm(thinking=False)
    tools = [WEB_SEARCH_TOOL, weather]
    response = list(llm.stream_chat(ASK, tools=tools))[-1] if stream else llm.chat(ASK, tools=tools)
    selections = llm.get_tool_calls_from_response(response)
    assert [(s.tool_id, s.tool_name, s.tool_kwargs) for s in selections] == [
        ("get_weather:1", "get_weather", {"city": "Oslo"})
    ]
    assert [
        call["function"]["name"] for call in response.message.additional_kwargs["tool_calls"]
    ] == ["get_weather"]
    assert len(chat_requests(emu)) == 1
