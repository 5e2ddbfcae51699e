"""Bad tool calls from the model end the way each framework expects, never in an exception.

Invalid JSON arguments, a tool name nobody declared, and the same tool-call id in two turns
(Kimi restarts its ``name:index`` ids every turn), for ChatKimi and Kimi, invoked and streamed.
"""

from __future__ import annotations

import asyncio
from typing import Any

from langchain.agents import create_agent
from langchain_core.messages import AIMessage, AIMessageChunk, ToolMessage
from langchain_core.tools import tool
from llama_index.core.agent.workflow import FunctionAgent
from llama_index.core.llms import ChatMessage
from llama_index.core.tools import FunctionTool

from langchain_kimi import ChatKimi
from llama_index_kimi import Kimi

BROKEN = '{"city": "Paris", '  # not JSON


@tool
def get_weather(city: str) -> str:
    """Current weather in a city."""
    return f"Sunny in {city}"


def _chat(emu: Any) -> ChatKimi:
    return ChatKimi(api_key="sk-t", base_url=emu.base_url, thinking=False)


def _kimi(emu: Any) -> Kimi:
    return Kimi(api_key="sk-t", base_url=emu.base_url, thinking=False)


def test_chatkimi_invalid_arguments_become_invalid_tool_calls(kimi_emulator: Any) -> None:
    kimi_emulator.script(tool_calls=[{"name": "get_weather", "arguments": BROKEN}])
    message = _chat(kimi_emulator).bind_tools([get_weather]).invoke("weather?")
    assert message.tool_calls == []
    assert len(message.invalid_tool_calls) == 1
    invalid = message.invalid_tool_calls[0]
    assert (invalid["name"], invalid["args"], invalid["id"]) == (
        "get_weather",
        BROKEN,
        "get_weather:0",
    )


def test_chatkimi_stream_with_invalid_arguments_does_not_raise(kimi_emulator: Any) -> None:
    # Streamed, langchain-core merges argument fragments with parse_partial_json (for every
    # provider), so only text it cannot complete into JSON ends in invalid_tool_calls.
    kimi_emulator.script(tool_calls=[{"name": "get_weather", "arguments": '{"a": 1}}'}])
    chunks = list(_chat(kimi_emulator).bind_tools([get_weather]).stream("weather?"))
    merged = chunks[0]
    for chunk in chunks[1:]:
        merged += chunk
    assert isinstance(merged, AIMessageChunk)
    assert merged.tool_calls == []
    assert [c["args"] for c in merged.invalid_tool_calls] == ['{"a": 1}}']


def test_kimi_invalid_arguments_become_empty_kwargs(kimi_emulator: Any) -> None:
    kimi_emulator.script(tool_calls=[{"name": "get_weather", "arguments": "{not json at all"}])
    llm = _kimi(kimi_emulator)
    weather = FunctionTool.from_defaults(fn=lambda city: f"Sunny in {city}", name="get_weather")
    response = llm.chat_with_tools([weather], user_msg="weather?")
    selections = llm.get_tool_calls_from_response(response)
    assert [(s.tool_id, s.tool_name, s.tool_kwargs) for s in selections] == [
        ("get_weather:0", "get_weather", {})
    ]


def test_unknown_tool_names_are_returned_for_the_framework_to_handle(kimi_emulator: Any) -> None:
    kimi_emulator.script(tool_calls=[{"name": "launch_rocket", "arguments": {"target": "moon"}}])
    message = _chat(kimi_emulator).bind_tools([get_weather]).invoke("go")
    assert message.tool_calls == [
        {
            "name": "launch_rocket",
            "args": {"target": "moon"},
            "id": "launch_rocket:0",
            "type": "tool_call",
        }
    ]
    # A LangChain agent answers an unknown tool with an error ToolMessage and carries on.
    kimi_emulator.script(tool_calls=[{"name": "launch_rocket", "arguments": {"target": "moon"}}])
    kimi_emulator.script("I cannot launch rockets.")
    agent = create_agent(_chat(kimi_emulator), tools=[get_weather])
    state = agent.invoke({"messages": [("user", "launch")]})
    tool_messages = [m for m in state["messages"] if isinstance(m, ToolMessage)]
    assert len(tool_messages) == 1
    assert tool_messages[0].status == "error"
    assert "launch_rocket" in str(tool_messages[0].content)
    assert state["messages"][-1].content == "I cannot launch rockets."


def test_kimi_agent_survives_an_unknown_tool_name(kimi_emulator: Any) -> None:
    kimi_emulator.script(tool_calls=[{"name": "launch_rocket", "arguments": {"target": "moon"}}])
    kimi_emulator.script("I cannot launch rockets.")
    weather = FunctionTool.from_defaults(fn=lambda city: f"Sunny in {city}", name="get_weather")
    agent = FunctionAgent(tools=[weather], llm=_kimi(kimi_emulator))

    async def run() -> str:
        return str(await agent.run("launch"))

    assert asyncio.run(run()) == "I cannot launch rockets."
    tool_turn = kimi_emulator.requests[-1].json["messages"]
    assert tool_turn[-1]["role"] == "tool"
    assert tool_turn[-1]["tool_call_id"] == "launch_rocket:0"
    assert "launch_rocket" in tool_turn[-1]["content"]


def test_same_tool_call_id_in_two_turns_is_kept_and_accepted(kimi_emulator: Any) -> None:
    """Kimi restarts ids each turn; both frameworks must echo each one unchanged."""
    agent = create_agent(
        ChatKimi(api_key="sk-t", base_url=kimi_emulator.base_url), tools=[get_weather]
    )
    messages: list[Any] = [("user", "Weather in Paris?")]
    messages = agent.invoke({"messages": messages})["messages"]
    messages = agent.invoke({"messages": [*messages, ("user", "And in Lyon?")]})["messages"]
    ids = [c["id"] for m in messages if isinstance(m, AIMessage) for c in m.tool_calls]
    assert ids == ["get_weather:0", "get_weather:0"]
    sent = kimi_emulator.requests[-1].json["messages"]
    assert [m.get("tool_call_id") for m in sent if m["role"] == "tool"] == [
        "get_weather:0",
        "get_weather:0",
    ]
    # thinking was on: every assistant tool-call turn carried its reasoning back
    assert all(m.get("reasoning_content") for m in sent if m.get("tool_calls"))

    llm = Kimi(api_key="sk-t", base_url=kimi_emulator.base_url)
    weather = FunctionTool.from_defaults(fn=lambda city: f"Sunny in {city}", name="get_weather")
    history: list[ChatMessage] = []
    for question in ("Weather in Paris?", "And in Lyon?"):
        history.append(ChatMessage(role="user", content=question))
        response = llm.chat_with_tools([weather], chat_history=history)
        history.append(response.message)
        for call in llm.get_tool_calls_from_response(response):
            history.append(
                ChatMessage(
                    role="tool",
                    content=str(weather(**call.tool_kwargs)),
                    additional_kwargs={"tool_call_id": call.tool_id, "name": call.tool_name},
                )
            )
        history.append(llm.chat(history).message)
    sent = kimi_emulator.requests[-1].json["messages"]
    assert [m.get("tool_call_id") for m in sent if m["role"] == "tool"] == [
        "get_weather:0",
        "get_weather:0",
    ]
