"""LlamaIndex's format-asking prompts on the emulator's unscripted answers, parsed by LlamaIndex.

Selectors, the sub-question generator and the ReAct agent each get the answer shape their
own parser expects (kimi_emulator/prompts.py; exact texts in replies.py's docstring).
"""

from __future__ import annotations

from llama_index.core.agent.workflow import ReActAgent, ToolCallResult
from llama_index.core.base.base_selector import SelectorResult, SingleSelection
from llama_index.core.query_engine import CustomQueryEngine, SubQuestionQueryEngine
from llama_index.core.question_gen import LLMQuestionGenerator
from llama_index.core.question_gen.types import SubQuestion
from llama_index.core.schema import QueryBundle
from llama_index.core.selectors import LLMMultiSelector, LLMSingleSelector
from llama_index.core.tools import FunctionTool, QueryEngineTool, ToolMetadata

from kimi_emulator import KimiEmulator
from llama_index_kimi import Kimi

CHOICES = [
    ToolMetadata(name="models", description="Useful for questions about Kimi models and windows"),
    ToolMetadata(name="limits", description="Useful for questions about rate limits and tiers"),
    ToolMetadata(name="partial", description="Useful for questions about partial mode"),
]


def _selection(index: int, shared: int) -> SingleSelection:
    return SingleSelection(
        index=index, reason=f"Choice {index + 1} shares {shared} words with the question."
    )


async def test_single_selector_selects_the_best_matching_choice(llm: Kimi) -> None:
    selector = LLMSingleSelector.from_defaults(llm=llm)
    assert selector.select(CHOICES, QueryBundle("What are the rate limits?")) == SelectorResult(
        selections=[_selection(1, 2)]
    )
    unmatched = await selector.aselect(CHOICES, QueryBundle("Hello"))
    assert unmatched == SelectorResult(selections=[_selection(0, 0)])


async def test_multi_selector_selects_every_matching_choice(llm: Kimi) -> None:
    selector = LLMMultiSelector.from_defaults(llm=llm)
    result = selector.select(CHOICES, QueryBundle("Partial mode or rate limits?"))
    assert result == SelectorResult(selections=[_selection(1, 2), _selection(2, 2)])
    assert result.inds == [1, 2]
    capped = LLMMultiSelector.from_defaults(llm=llm, max_outputs=1)
    one = await capped.aselect(CHOICES, QueryBundle("Partial mode or rate limits?"))
    assert one == SelectorResult(selections=[_selection(1, 2)])


async def test_question_generator_returns_one_sub_question_per_tool(llm: Kimi) -> None:
    generator = LLMQuestionGenerator.from_defaults(llm=llm)
    question = "Compare the models with the limits"
    expected = [SubQuestion(sub_question=question, tool_name=c.name) for c in CHOICES]
    assert generator.generate(CHOICES, QueryBundle(question)) == expected
    assert await generator.agenerate(CHOICES[:1], QueryBundle(question)) == expected[:1]


class _Echo(CustomQueryEngine):
    """Answers with its name, so the sub-answers can be told apart."""

    name: str

    def custom_query(self, query_str: str) -> str:
        return f"{self.name}: {query_str}"


def test_sub_question_query_engine_with_the_llm_question_generator(
    emu: KimiEmulator, llm: Kimi
) -> None:
    tools = [
        QueryEngineTool.from_defaults(_Echo(name=c.name), name=c.name, description=c.description)
        for c in CHOICES[:2]
    ]
    engine = SubQuestionQueryEngine.from_defaults(
        query_engine_tools=tools,
        llm=llm,
        question_gen=LLMQuestionGenerator.from_defaults(llm=llm),
        use_async=False,
        verbose=False,
    )
    response = engine.query("Models and limits?")
    asked = [n.node.get_content() for n in response.source_nodes]
    assert asked == [
        "Sub question: Models and limits?\nResponse: models: Models and limits?",
        "Sub question: Models and limits?\nResponse: limits: Models and limits?",
    ]
    # The synthesis prompt is answered from its context (the sub-answers), not echoed.
    assert str(response) == "Sub question: Models and limits?"


def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


async def test_react_agent_calls_the_tool_then_answers(emu: KimiEmulator, llm: Kimi) -> None:
    agent = ReActAgent(tools=[FunctionTool.from_defaults(add)], llm=llm)
    handler = agent.run(user_msg="What is 2 + 3?")
    results = [e async for e in handler.stream_events() if isinstance(e, ToolCallResult)]
    response = await handler
    assert str(response) == "The tool add returned: 5"
    assert [(r.tool_name, r.tool_kwargs, r.tool_output.content) for r in results] == [
        ("add", {"a": 2, "b": 3}, "5")  # the emulator takes the numbers from the question
    ]
    assert len([r for r in emu.requests if r.path.endswith("/chat/completions")]) == 2
