"""LlamaIndex end to end on the emulator: query engines, a chat engine, agents, token counting.

Embeddings come from ``MockEmbedding`` (deterministic, no download); every LLM call goes over
real HTTP to the emulator, whose default answer echoes the last user message.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from li_helpers import chat_requests
from llama_index.core import Document, VectorStoreIndex
from llama_index.core.agent.workflow import AgentStream, FunctionAgent, ReActAgent, ToolCallResult
from llama_index.core.base.llms.types import ChatMessage
from llama_index.core.callbacks import CallbackManager, TokenCountingHandler
from llama_index.core.embeddings import MockEmbedding
from llama_index.core.memory import Memory

from kimi_emulator import KimiEmulator
from llama_index_kimi import Kimi

DOCS = [
    Document(text="Kimi is a family of models made by Moonshot AI in Beijing."),
    Document(text="Kimi K2.5 reads images and thinks before it answers."),
]


@pytest.fixture
def index() -> VectorStoreIndex:
    return VectorStoreIndex.from_documents(DOCS, embed_model=MockEmbedding(embed_dim=8))


def _last_user_text(emu: KimiEmulator) -> str:
    messages = chat_requests(emu)[-1]["messages"]
    content: str = [m for m in messages if m["role"] == "user"][-1]["content"]
    return content


def test_query_engine(index: VectorStoreIndex, emu: KimiEmulator, llm: Kimi) -> None:
    response = index.as_query_engine(llm=llm).query("Who makes Kimi?")
    prompt = _last_user_text(emu)
    # The emulator answers a RAG prompt with the context's most relevant sentence.
    assert str(response) == "Kimi is a family of models made by Moonshot AI in Beijing."
    assert "Who makes Kimi?" in prompt
    assert "made by Moonshot AI in Beijing" in prompt
    assert len(response.source_nodes) == 2


def test_streaming_query_engine(index: VectorStoreIndex, emu: KimiEmulator, llm: Kimi) -> None:
    response = index.as_query_engine(llm=llm, streaming=True).query("Who makes Kimi?")
    text = "".join(response.response_gen)  # type: ignore[union-attr]
    assert text == "Kimi is a family of models made by Moonshot AI in Beijing."
    assert "Who makes Kimi?" in _last_user_text(emu)
    assert chat_requests(emu)[0]["stream"] is True


async def test_async_query_engine(index: VectorStoreIndex, emu: KimiEmulator, llm: Kimi) -> None:
    response = await index.as_query_engine(llm=llm).aquery("What does K2.5 read?")
    assert str(response) == "Kimi K2.5 reads images and thinks before it answers."
    assert "What does K2.5 read?" in _last_user_text(emu)


def test_condense_plus_context_chat_engine(
    index: VectorStoreIndex, emu: KimiEmulator, llm: Kimi
) -> None:
    engine = index.as_chat_engine(chat_mode="condense_plus_context", llm=llm)
    first = engine.chat("Who makes Kimi?")
    # The emulator answers a chat engine's context prompt from its context.
    assert first.response == "Kimi is a family of models made by Moonshot AI in Beijing."
    context = chat_requests(emu)[0]["messages"][0]
    assert context["role"] == "system"
    assert "made by Moonshot AI in Beijing" in context["content"]
    second = engine.chat("And where are they?")
    # A follow-up is read with the question before it.
    assert second.response == "Kimi is a family of models made by Moonshot AI in Beijing."
    requests = chat_requests(emu)
    # The second turn first condenses the question (with the history), then answers.
    assert len(requests) == 3
    assert "Who makes Kimi?" in requests[1]["messages"][-1]["content"]
    assert [m["role"] for m in requests[2]["messages"]] == ["system", "user", "assistant", "user"]
    assert requests[2]["messages"][2]["content"] == first.response


# -- agents --------------------------------------------------------------------------------


def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


def multiply(a: int, b: int) -> int:
    """Multiply two integers."""
    return a * b


async def test_function_agent_two_tools_thinking_multi_turn(emu: KimiEmulator, llm: Kimi) -> None:
    agent = FunctionAgent(tools=[add, multiply], llm=llm, system_prompt="Use the tools.")
    # Memory stores the messages as JSON (SQL store): the blocks survive serialization.
    memory = Memory.from_defaults(session_id="li-agent", token_limit=100_000)
    # Turn 1: Kimi calls both tools in parallel, then answers from their results.
    emu.script(
        tool_calls=[
            {"name": "add", "arguments": {"a": 2, "b": 3}},
            {"name": "multiply", "arguments": {"a": 4, "b": 5}},
        ],
        reasoning="I need both tools.",
    )
    handler = agent.run(user_msg="2 + 3 and 4 * 5?", memory=memory)
    thinking: list[str] = []
    results: list[ToolCallResult] = []
    async for event in handler.stream_events():
        if isinstance(event, AgentStream) and event.thinking_delta:
            thinking.append(event.thinking_delta)
        if isinstance(event, ToolCallResult):
            results.append(event)
    first = await handler
    assert str(first) == "The tool add returned: 5\nThe tool multiply returned: 20"
    assert [(r.tool_id, r.tool_name, r.tool_output.content) for r in results] == [
        ("add:0", "add", "5"),
        ("multiply:1", "multiply", "20"),
    ]
    # The reasoning streamed as thinking deltas: the scripted one, then the emulator's default.
    assert "".join(thinking) == "I need both tools.I have the tool results."
    assert len(thinking) > 2

    # Turn 2 on the same memory: ids repeat across turns ("add:0" again), as on the real API.
    second = await agent.run(user_msg="And 1 + 1?", memory=memory)
    assert str(second) == "The tool add returned: 2"
    requests = chat_requests(emu)
    assert len(requests) == 4
    assert all(r["stream"] is True for r in requests)
    # Every assistant tool-call turn went back with its reasoning (else the emulator, like
    # Kimi, would have answered 400), and every tool result with the exact id.
    last = requests[-1]["messages"]
    tool_turns = [m for m in last if m["role"] == "assistant" and m.get("tool_calls")]
    assert [m["reasoning_content"] for m in tool_turns] == [
        "I need both tools.",
        "I should call add.",
    ]
    assert [[c["id"] for c in m["tool_calls"]] for m in tool_turns] == [
        ["add:0", "multiply:1"],
        ["add:0"],
    ]
    assert [m["tool_call_id"] for m in last if m["role"] == "tool"] == [
        "add:0",
        "multiply:1",
        "add:0",
    ]


async def test_function_agent_without_streaming(emu: KimiEmulator, llm: Kimi) -> None:
    agent = FunctionAgent(tools=[add, multiply], llm=llm, streaming=False)
    emu.script(tool_calls=[{"name": "multiply", "arguments": {"a": 6, "b": 7}}])
    result = await agent.run(user_msg="6 * 7?")
    assert str(result) == "The tool multiply returned: 42"
    assert "stream" not in chat_requests(emu)[0]
    assert chat_requests(emu)[1]["messages"][1]["reasoning_content"] == "I should call multiply."


async def test_react_agent(emu: KimiEmulator, llm: Kimi) -> None:
    agent = ReActAgent(tools=[add, multiply], llm=llm)
    emu.script('Thought: I need to add.\nAction: add\nAction Input: {"a": 2, "b": 3}')
    emu.script("Thought: I can answer without using any more tools.\nAnswer: 2 + 3 = 5")
    handler = agent.run(user_msg="What is 2 + 3?")
    thinking: list[str] = []
    async for event in handler.stream_events():
        if isinstance(event, AgentStream) and event.thinking_delta:
            thinking.append(event.thinking_delta)
    result = await handler
    assert str(result) == "2 + 3 = 5"
    assert "".join(thinking) == "Let me think about this." * 2
    second = chat_requests(emu)[1]["messages"]
    assert any("Observation: 5" in (m["content"] or "") for m in second)


# -- token counting --------------------------------------------------------------------------


def _counted(make_llm: Callable[..., Kimi]) -> tuple[Kimi, TokenCountingHandler]:
    counter = TokenCountingHandler()
    return make_llm(callback_manager=CallbackManager([counter])), counter


async def test_token_counting_handler_counts_the_emulators_usage(
    emu: KimiEmulator, make_llm: Callable[..., Kimi]
) -> None:
    llm, counter = _counted(make_llm)
    usages = [(11, 7), (13, 5), (17, 3), (19, 2), (23, 9)]
    for prompt, completion in usages:
        emu.script("ok", usage={"prompt_tokens": prompt, "completion_tokens": completion})
    messages = [ChatMessage(role="user", content="count me")]
    llm.chat(messages)
    await llm.achat(messages)
    list(llm.stream_chat(messages))
    [r async for r in await llm.astream_chat(messages)]
    llm.complete("count me")
    assert [
        (e.prompt_token_count, e.completion_token_count) for e in counter.llm_token_counts
    ] == usages
    assert counter.prompt_llm_token_count == sum(p for p, _ in usages)
    assert counter.completion_llm_token_count == sum(c for _, c in usages)
    assert counter.total_llm_token_count == sum(p + c for p, c in usages)


def test_token_counting_of_the_default_usage(
    emu: KimiEmulator, make_llm: Callable[..., Kimi]
) -> None:
    llm, counter = _counted(make_llm)
    response = llm.chat([ChatMessage(role="user", content="How many tokens is this?")])
    usage = response.raw["usage"]
    assert counter.prompt_llm_token_count == usage["prompt_tokens"] > 0
    assert counter.completion_llm_token_count == usage["completion_tokens"] > 0
