"""Unscripted structured answers fit the prompt: selectors, schema extraction, tool selection,
handoffs. Each test drives the real framework component against the emulator."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, Literal

import pytest
from langchain.agents import create_agent
from langchain.agents.middleware import LLMToolSelectorMiddleware
from langchain_core.tools import tool
from llama_index.core.agent.workflow import AgentWorkflow, FunctionAgent, ToolCallResult
from llama_index.core.indices.property_graph import SchemaLLMPathExtractor
from llama_index.core.schema import TextNode
from llama_index.core.selectors import (
    LLMSingleSelector,
    PydanticMultiSelector,
    PydanticSingleSelector,
)
from llama_index.core.tools import FunctionTool, ToolMetadata

from kimi_emulator import KimiEmulator
from langchain_kimi import ChatKimi
from llama_index_kimi import Kimi

KEY = "sk-emulator-test-key"
CHOICES = [
    ToolMetadata(name="models", description="Useful for questions about Kimi models"),
    ToolMetadata(name="limits", description="Useful for questions about rate limits and tiers"),
    ToolMetadata(name="partial", description="Useful for questions about partial mode"),
]


@pytest.fixture
def llm(moonshot: KimiEmulator) -> Iterator[Kimi]:
    model = Kimi(
        model="kimi-k2.6", thinking=False, api_key=KEY, base_url=moonshot.base_url, max_retries=0
    )
    yield model
    model.close()


def _chats(emu: KimiEmulator) -> list[dict[str, Any]]:
    return [r.json for r in emu.requests if r.path.endswith("/chat/completions")]


def test_selectors_pick_the_most_relevant_choices(llm: Kimi) -> None:
    single = LLMSingleSelector.from_defaults(llm=llm).select(CHOICES, "What are the rate limits?")
    assert [(s.index, s.reason) for s in single.selections] == [
        (1, "Choice 2 shares 2 words with the question.")
    ]
    pydantic_single = PydanticSingleSelector.from_defaults(llm=llm).select(
        CHOICES, "How does partial mode work?"
    )
    assert [s.index for s in pydantic_single.selections] == [2]
    multi = PydanticMultiSelector.from_defaults(llm=llm, max_outputs=2).select(
        CHOICES, "Which Kimi models have the highest rate limits?"
    )
    assert [(s.index, s.reason) for s in multi.selections] == [
        (0, "Choice 1 shares 2 words with the question."),
        (1, "Choice 2 shares 2 words with the question."),
    ]


def test_schema_llm_path_extractor_gets_triplets_from_the_text(llm: Kimi) -> None:
    extractor = SchemaLLMPathExtractor(
        llm=llm,
        possible_entities=Literal["PERSON", "PLACE", "ORGANIZATION"],  # type: ignore[arg-type]
        possible_relations=Literal["FOUNDED", "LOCATED_IN"],  # type: ignore[arg-type]
        kg_validation_schema=[
            ("PERSON", "FOUNDED", "ORGANIZATION"),
            ("ORGANIZATION", "LOCATED_IN", "PLACE"),
        ],
        strict=True,
        num_workers=1,
    )
    [node] = extractor(
        [TextNode(text="Yang Zhilin founded Moonshot. Moonshot is located in Beijing.")]
    )
    nodes = {n.id: n.label for n in node.metadata["nodes"]}
    relations = [(r.source_id, r.label, r.target_id) for r in node.metadata["relations"]]
    assert relations == [
        ("Yang Zhilin", "FOUNDED", "Moonshot"),
        ("Moonshot", "LOCATED_IN", "Beijing"),
    ]
    assert [(r[0], nodes[r[0]]) for r in relations] == [
        ("Yang Zhilin", "PERSON"),
        ("Moonshot", "ORGANIZATION"),
    ]


@tool
def get_weather(city: str) -> str:
    """Current weather in a city."""
    return f"Sunny in {city}"


@tool
def get_population(city: str) -> str:
    """Population of a city."""
    return f"{city} has 2.1 million inhabitants"


@tool
def convert_currency(amount: float) -> str:
    """Convert an amount of money from euros to dollars."""
    return f"{amount * 1.1:.2f} USD"


def test_llm_tool_selector_middleware_selects_real_relevant_tools(moonshot: KimiEmulator) -> None:
    chat = ChatKimi(model="kimi-k2.6", api_key=KEY, base_url=moonshot.base_url, max_retries=0)
    agent = create_agent(
        chat,
        tools=[convert_currency, get_weather, get_population],
        middleware=[LLMToolSelectorMiddleware(max_tools=2)],
    )
    state = agent.invoke({"messages": [("user", "How many people live in Paris?")]})
    selection, first_turn, _, second_turn = _chats(moonshot)
    assert selection["response_format"]["json_schema"]["name"] == "ToolSelectionResponse"
    # The selector runs before each model call; both times it keeps the one relevant tool.
    assert [t["function"]["name"] for t in first_turn["tools"]] == ["get_population"]
    assert [t["function"]["name"] for t in second_turn["tools"]] == ["get_population"]
    assert state["messages"][-1].content == (
        "The tool get_population returned: Paris has 2.1 million inhabitants"
    )
    chat.close()


def weather(city: str) -> str:
    """Current weather in a city."""
    return f"Sunny in {city}"


async def test_agent_workflow_hands_off_to_the_agent_that_fits(llm: Kimi) -> None:
    router = FunctionAgent(
        name="RouterAgent",
        description="Routes requests to the right agent.",
        tools=[],
        llm=llm,
        can_handoff_to=["WeatherAgent", "MathAgent"],
    )
    weather_agent = FunctionAgent(
        name="WeatherAgent",
        description="Looks up the current weather in a city.",
        tools=[FunctionTool.from_defaults(weather)],
        llm=llm,
        can_handoff_to=[],
    )
    math_agent = FunctionAgent(
        name="MathAgent", description="Adds and multiplies numbers.", tools=[], llm=llm
    )
    workflow = AgentWorkflow(agents=[router, weather_agent, math_agent], root_agent="RouterAgent")
    handler = workflow.run(user_msg="What's the weather in Paris?")
    results = [e async for e in handler.stream_events() if isinstance(e, ToolCallResult)]
    response = await handler
    assert [(r.tool_name, r.tool_kwargs) for r in results] == [
        (
            "handoff",
            {"to_agent": "WeatherAgent", "reason": "WeatherAgent is suited to this request."},
        ),
        ("weather", {"city": "Paris"}),
    ]
    assert str(response) == "The tool weather returned: Sunny in Paris"


def test_arrays_are_never_empty_and_choices_are_relevant(moonshot: KimiEmulator) -> None:
    schema = {
        "title": "Pick",
        "type": "object",
        "properties": {
            "labels": {"type": "array", "items": {"type": "string"}},
            "colors": {"type": "array", "items": {"enum": ["red", "green", "blue"]}},
        },
        "required": ["labels", "colors"],
    }
    chat = ChatKimi(model="kimi-k2.6", api_key=KEY, base_url=moonshot.base_url, max_retries=0)
    picked = chat.with_structured_output(schema).invoke("Paint it blue or green")
    assert picked == {"labels": ["<labels>"], "colors": ["green", "blue"]}
    body = _chats(moonshot)[0]
    assert json.dumps(body["response_format"]["json_schema"]["schema"]["properties"]["colors"])
    chat.close()
