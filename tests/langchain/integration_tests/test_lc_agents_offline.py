"""LangChain agents on the emulator's unscripted answers end, in the documented number of turns.

A forced structured-output agent (``ToolStrategy``) used to be answered with its first tool on
every turn and ran to its recursion limit; the emulator now calls the structured-output tool
once the tools have answered (kimi_emulator/choice.py), and answers LangChain's classic
ReAct prompt in its format (kimi_emulator/prompts.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from langchain.agents import create_agent
from langchain.agents.structured_output import ProviderStrategy, ToolStrategy
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langchain_core.prompts import PromptTemplate
from langchain_core.tools import tool
from pydantic import BaseModel

from kimi_core.chat.tool_choice import FORCED_TOOL_HINT
from kimi_emulator import KimiEmulator
from langchain_kimi import ChatKimi

MakeLLM = Callable[..., ChatKimi]
REPORT = {"city": "<city>", "summary": "<summary>"}
QUESTION = "What's the weather in Paris?"
LIMIT = {"recursion_limit": 12}  # a loop fails fast instead of running 10,000 steps


class Report(BaseModel):
    """A weather report."""

    city: str
    summary: str


@tool
def get_weather(city: str) -> str:
    """Current weather in a city."""
    return f"Sunny in {city}"


def _chats(emu: KimiEmulator) -> list[dict[str, Any]]:
    return [r.json for r in emu.requests if r.path.endswith("/chat/completions")]


def _names(body: dict[str, Any]) -> list[str]:
    return [t["function"]["name"] for t in body.get("tools", [])]


@pytest.mark.parametrize("thinking", [True, False], ids=["hint", "required"])
def test_tool_strategy_calls_the_tool_then_the_schema(
    make_llm: MakeLLM, emu: KimiEmulator, thinking: bool
) -> None:
    agent = create_agent(
        make_llm(thinking=thinking), tools=[get_weather], response_format=ToolStrategy(Report)
    )
    result = agent.invoke({"messages": [("user", QUESTION)]}, LIMIT)
    assert result["structured_response"] == Report(**REPORT)
    messages = result["messages"]
    assert [type(m) for m in messages] == [
        HumanMessage,
        AIMessage,
        ToolMessage,
        AIMessage,
        ToolMessage,
    ]
    assert messages[1].tool_calls[0]["name"] == "get_weather"
    assert messages[2].content == "Sunny in Paris"
    assert [(c["name"], c["args"]) for c in messages[3].tool_calls] == [("Report", REPORT)]
    first, second = _chats(emu)
    assert _names(first) == _names(second) == ["get_weather", "Report"]
    if thinking:  # kimi-k2.6 rejects "required" while thinking: "auto" plus kimi_core's hint
        hint = FORCED_TOOL_HINT.format(target="one of the provided tools")
        assert [b["tool_choice"] for b in (first, second)] == ["auto", "auto"]
        assert [b["messages"][-1]["content"] for b in (first, second)] == [hint, hint]
    else:
        assert [b["tool_choice"] for b in (first, second)] == ["required", "required"]


def test_tool_strategy_without_tools_answers_at_once(make_llm: MakeLLM, emu: KimiEmulator) -> None:
    agent = create_agent(make_llm(), tools=[], response_format=ToolStrategy(Report))
    result = agent.invoke({"messages": [("user", QUESTION)]}, LIMIT)
    assert result["structured_response"] == Report(**REPORT)
    assert len(_chats(emu)) == 1


@pytest.mark.parametrize(
    "response_format", [ProviderStrategy(Report), Report], ids=["provider", "auto"]
)
def test_provider_strategy_answers_json_after_the_tool(
    make_llm: MakeLLM, emu: KimiEmulator, response_format: Any
) -> None:
    agent = create_agent(make_llm(), tools=[get_weather], response_format=response_format)
    result = agent.invoke({"messages": [("user", QUESTION)]}, LIMIT)
    assert result["structured_response"] == Report(**REPORT)
    first, second = _chats(emu)
    if response_format is Report and "response_format" not in first:
        # langchain before 1.1 picks the tool strategy for a bare schema (no model profiles).
        assert result["messages"][-1].content == (
            "Returning structured response: city='<city>' summary='<summary>'"
        )
        return
    assert result["messages"][-1].content == '{"city": "<city>", "summary": "<summary>"}'
    assert [b["response_format"]["type"] for b in (first, second)] == ["json_schema"] * 2
    assert _names(first) == ["get_weather"]


def test_plain_agent_loop_ends_with_the_tool_result(make_llm: MakeLLM, emu: KimiEmulator) -> None:
    agent = create_agent(make_llm(), tools=[get_weather])
    result = agent.invoke({"messages": [("user", QUESTION)]}, LIMIT)
    assert result["messages"][-1].content == "The tool get_weather returned: Sunny in Paris"
    assert len(_chats(emu)) == 2


REACT = PromptTemplate.from_template(
    """Answer the following questions as best you can. You have access to the following tools:

{tools}

Use the following format:

Question: the input question you must answer
Thought: you should always think about what to do
Action: the action to take, should be one of [{tool_names}]
Action Input: the input to the action
Observation: the result of the action
... (this Thought/Action/Action Input/Observation can repeat N times)
Thought: I now know the final answer
Final Answer: the final answer to the original input question

Begin!

Question: {input}
Thought:{agent_scratchpad}"""
)


def test_classic_react_prompt_gets_action_then_final_answer(make_llm: MakeLLM) -> None:
    # What langchain-classic's create_react_agent sends (its hub prompt, stop "\nObservation").
    chain = REACT | make_llm().bind(stop=["\nObservation"])
    tools = "get_weather(city: str) -> str - Current weather in a city."
    ask = {"tools": tools, "tool_names": "get_weather", "input": QUESTION}
    action = chain.invoke({**ask, "agent_scratchpad": ""})
    assert action.content == (
        "I need to use a tool to answer the question.\nAction: get_weather\n"
        f"Action Input: {QUESTION}"
    )
    observed = f"{action.content}\nObservation: {get_weather.invoke('Paris')}\nThought: "
    final = chain.invoke({**ask, "agent_scratchpad": observed})
    assert final.content == (
        "I now know the final answer\nFinal Answer: The tool get_weather returned: Sunny in Paris"
    )
