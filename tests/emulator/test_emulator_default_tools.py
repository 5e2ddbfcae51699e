"""Unscripted tool calls make sense: the tool that matches, arguments from the conversation.

Driven through LangChain's ``create_agent`` (the real agent loop) and raw HTTP.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
from langchain.agents import create_agent
from langchain_core.messages import AIMessage, ToolMessage
from langchain_core.tools import tool
from llama_index.core.agent.workflow import ReActAgent, ToolCallResult
from llama_index.core.tools import FunctionTool

from kimi_emulator import KimiEmulator
from kimi_emulator.relevance import numbers, places, relevance
from langchain_kimi import ChatKimi
from llama_index_kimi import Kimi

KEY = "sk-emulator-test-key"
OFF = {"type": "disabled"}


@tool
def get_weather(city: str) -> str:
    """Current weather in a city."""
    return f"Sunny, 22 °C in {city}"


@tool
def get_population(city: str) -> str:
    """Population of a city."""
    return f"{city} has about 2.1 million inhabitants"


def _calls(messages: list[Any]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (call["name"], call["args"])
        for message in messages
        if isinstance(message, AIMessage)
        for call in message.tool_calls
    ]


def test_agent_picks_the_matching_tool_and_resolves_there(moonshot: KimiEmulator) -> None:
    llm = ChatKimi(model="kimi-k2.6", api_key=KEY, base_url=moonshot.base_url, max_retries=0)
    agent = create_agent(llm, tools=[get_weather, get_population])
    state = agent.invoke({"messages": [("user", "What's the weather in Paris?")]})
    assert _calls(state["messages"]) == [("get_weather", {"city": "Paris"})]
    assert state["messages"][-1].content == "The tool get_weather returned: Sunny, 22 °C in Paris"
    messages = [*state["messages"], ("user", "And how many people live there?")]
    state = agent.invoke({"messages": messages})
    assert _calls(state["messages"]) == [
        ("get_weather", {"city": "Paris"}),
        ("get_population", {"city": "Paris"}),
    ]
    tool_messages = [m for m in state["messages"] if isinstance(m, ToolMessage)]
    assert tool_messages[-1].content == "Paris has about 2.1 million inhabitants"
    assert state["messages"][-1].content == (
        "The tool get_population returned: Paris has about 2.1 million inhabitants"
    )
    llm.close()


def _function(name: str, description: str, properties: dict[str, Any]) -> dict[str, Any]:
    schema = {"type": "object", "properties": properties, "required": list(properties)}
    return {
        "type": "function",
        "function": {"name": name, "description": description, "parameters": schema},
    }


def _call(base_url: str, messages: list[dict[str, Any]], tools: list[Any]) -> tuple[str, Any]:
    body = {"model": "kimi-k2.6", "messages": messages, "tools": tools, "thinking": OFF}
    response = httpx.post(
        f"{base_url}/chat/completions", json=body, headers={"Authorization": f"Bearer {KEY}"}
    )
    [call] = response.json()["choices"][0]["message"]["tool_calls"]
    return call["function"]["name"], json.loads(call["function"]["arguments"])


def test_numbers_and_places_come_from_the_question(moonshot: KimiEmulator) -> None:
    add = _function("add", "Add two numbers.", {"a": {"type": "integer"}, "b": {"type": "number"}})
    flights = _function(
        "find_flights",
        "Find flights to a destination for a number of passengers.",
        {"destination": {"type": "string"}, "passengers": {"type": "integer"}},
    )
    asked = [{"role": "user", "content": "What is 12 plus 30.5? Add them."}]
    assert _call(moonshot.base_url, asked, [flights, add]) == ("add", {"a": 12, "b": 30.5})
    trip = [{"role": "user", "content": "Book flights to New York for 3 passengers"}]
    assert _call(moonshot.base_url, trip, [add, flights]) == (
        "find_flights",
        {"destination": "New York", "passengers": 3},
    )
    # Nothing names a place: the schema's placeholder, never an invented one.
    nowhere = [{"role": "user", "content": "flights please"}]
    assert _call(moonshot.base_url, nowhere, [flights]) == (
        "find_flights",
        {"destination": "<destination>", "passengers": 1},
    )


def test_relevance_helpers() -> None:
    assert places("What's the weather in Paris?") == ["Paris"]
    assert places("Oslo?") == ["Oslo"]
    assert places("Is it cold in San Francisco today, Alice?") == ["San Francisco", "Alice"]
    assert places("How many people live there?") == []
    assert numbers("Add 1,000 and 2.5 to -3") == [1000, 2.5, -3]
    assert relevance("How many people live there?", "Population of a city.") == 1
    assert relevance("What time is it?", "get weather Current weather in a city.") == 0


def weather(city: str) -> str:
    """Current weather in a city."""
    return f"Sunny in {city}"


def population(city: str) -> str:
    """Population of a city: how many people live there."""
    return f"{city} has 700,000 inhabitants"


async def test_llama_index_react_agent_picks_the_tool_and_the_city(moonshot: KimiEmulator) -> None:
    llm = Kimi(
        model="kimi-k2.6", thinking=False, api_key=KEY, base_url=moonshot.base_url, max_retries=0
    )
    tools = [FunctionTool.from_defaults(weather), FunctionTool.from_defaults(population)]
    agent = ReActAgent(tools=tools, llm=llm)
    handler = agent.run(user_msg="How many people live in Oslo?")
    results = [e async for e in handler.stream_events() if isinstance(e, ToolCallResult)]
    response = await handler
    assert [(r.tool_name, r.tool_kwargs) for r in results] == [("population", {"city": "Oslo"})]
    assert str(response) == "The tool population returned: Oslo has 700,000 inhabitants"
    llm.close()
