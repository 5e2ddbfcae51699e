"""ChatKimi and issue 25's December API, over the emulator (real HTTP): the user's price on a
host that reports no cost, prompt-cache tiers and cache writes, logprobs, predicted outputs and
the safety identifier, model lifecycle, the tools API and the retired ``$web_search``."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest
from langchain.agents import create_agent
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import START, MessagesState, StateGraph
from lc_support import API_KEY, fold

from kimi_core import Price
from kimi_core.catalog import model_info
from kimi_core.catalog.model_info import ModelInfo, ModelRetirementWarning
from kimi_emulator import KimiEmulator
from langchain_kimi import ChatKimi, KimiWebFetchTool, KimiWebSearchTool, KimiWebToolkit

MakeLLM = Callable[..., ChatKimi]
PRICE = Price(input=Decimal("1"), output=Decimal("2"), currency="USD")


def _chat_requests(emu: KimiEmulator) -> list[dict[str, Any]]:
    return [r.json for r in emu.requests if r.path.endswith("/chat/completions")]


@pytest.fixture
def vllm(kimi_emulator_factory: Callable[..., KimiEmulator]) -> KimiEmulator:
    return kimi_emulator_factory("vllm")


@pytest.fixture
def on_vllm(vllm: KimiEmulator) -> Iterator[MakeLLM]:
    made: list[ChatKimi] = []

    def factory(**kwargs: Any) -> ChatKimi:
        kwargs.setdefault("model", "moonshotai/Kimi-K2.6")
        model = ChatKimi(
            api_key=API_KEY, base_url=vllm.base_url, gateway="vllm", max_retries=0, **kwargs
        )
        made.append(model)
        return model

    yield factory
    for model in made:
        model.close()


# -- 1. price and strict sampling ------------------------------------------------------------


async def test_price_gives_the_cost_on_a_host_that_reports_none(on_vllm: MakeLLM) -> None:
    priced = on_vllm(price=PRICE)
    expected = {"amount": 25e-6, "currency": "USD"}  # 7 prompt tokens at 1, 9 output at 2
    message = priced.invoke("hi")
    assert message.usage_metadata is not None
    assert (message.usage_metadata["input_tokens"], message.usage_metadata["output_tokens"]) == (
        7,
        9,
    )
    assert message.response_metadata["cost"] == expected
    assert fold(priced.stream("hi")).response_metadata["cost"] == expected
    assert (await priced.ainvoke("hi")).response_metadata["cost"] == expected
    assert fold([c async for c in priced.astream("hi")]).response_metadata["cost"] == expected
    # Without a price: no cost (never Moonshot's catalog price as another host's bill).
    assert "cost" not in on_vllm().invoke("hi").response_metadata


def test_price_must_be_a_price(on_vllm: MakeLLM) -> None:
    from kimi_core.errors import ConfigurationError

    with pytest.raises(ConfigurationError) as info:
        on_vllm(price={"input": 1})
    assert info.value.param == "price"


# -- 2. prompt caching -----------------------------------------------------------------------

LONG = "You answer questions about the quick brown fox. " * 40  # over the 256-token threshold


def _ask(text: str) -> list[Any]:
    return [SystemMessage(LONG), HumanMessage(text)]


async def test_cache_tier_writes_and_reads_in_usage_and_cost(
    make_llm: MakeLLM, emu: KimiEmulator
) -> None:
    llm = make_llm(prompt_cache_ttl="1h", thinking=False)
    first = llm.invoke(_ask("first"))
    assert first.usage_metadata == {
        "input_tokens": 491,
        "output_tokens": 4,
        "total_tokens": 495,
        "input_token_details": {"cache_creation": 488, "cache_read": 0},
    }
    # kimi-k2.6 (0.95 / 0.16 / 4.00 USD per 1M): 3 fresh, 488 written at the 1h rate (twice
    # the input price: no write price published), 4 out.
    assert first.response_metadata["cost"] == {"amount": 0.00094605, "currency": "USD"}
    streamed = fold(llm.stream(_ask("second")))
    assert streamed.usage_metadata is not None
    assert streamed.usage_metadata["input_token_details"] == {
        "cache_creation": 5,
        "cache_read": 483,
    }
    # 3 fresh, 483 read at 0.16, 5 written at 1.90, 4 out.
    assert streamed.response_metadata["cost"] == {"amount": 0.00010563, "currency": "USD"}
    five = await llm.ainvoke(_ask("first"), prompt_cache_ttl="5m")  # per call; its own tier
    assert five.usage_metadata is not None
    assert five.usage_metadata["input_token_details"] == {"cache_creation": 488, "cache_read": 0}
    assert five.response_metadata["cost"] == {"amount": 0.00048245, "currency": "USD"}
    sent = [body.get("prompt_cache_options") for body in _chat_requests(emu)]
    assert sent == [{"ttl": "1h"}, {"ttl": "1h"}, {"ttl": "5m"}]
    assert all("prompt_cache_ttl" not in body for body in _chat_requests(emu))


def test_kimi_callback_adds_cache_writes_and_their_cost(make_llm: MakeLLM) -> None:
    from decimal import Decimal

    from langchain_kimi import get_kimi_callback

    llm = make_llm(prompt_cache_ttl="1h", thinking=False)
    with get_kimi_callback() as cb:
        llm.invoke(_ask("first"))
        llm.invoke(_ask("second"))
    assert (cb.cache_write_tokens, cb.cache_read_tokens) == (488 + 5, 483)
    assert cb.total_cost == Decimal("0.00094605") + Decimal("0.00010563")
    assert "Cache Write Tokens: 493" in repr(cb)


def test_no_tier_sends_no_cache_options(llm: ChatKimi, emu: KimiEmulator) -> None:
    llm.invoke("hi")
    assert "prompt_cache_options" not in _chat_requests(emu)[0]


def _graph(llm: ChatKimi, stream: bool = False) -> Any:
    def node(state: MessagesState) -> dict[str, Any]:
        if stream:
            return {"messages": [fold(llm.stream(state["messages"]))]}
        return {"messages": [llm.invoke(state["messages"])]}

    graph = StateGraph(MessagesState)
    graph.add_node("model", node)
    graph.add_edge(START, "model")
    return graph.compile(checkpointer=InMemorySaver())


async def test_thread_id_is_the_prompt_cache_key(make_llm: MakeLLM, emu: KimiEmulator) -> None:
    llm = make_llm()
    thread = {"configurable": {"thread_id": "chat-42"}}
    _graph(llm).invoke({"messages": [("user", "hi")]}, thread)
    agent = create_agent(llm, tools=[], checkpointer=InMemorySaver())
    agent.invoke({"messages": [("user", "hi")]}, thread)
    await agent.ainvoke({"messages": [("user", "again")]}, thread)
    _graph(llm, stream=True).invoke({"messages": [("user", "hi")]}, thread)
    llm.invoke("hi", config={"metadata": {"thread_id": 7}})
    llm.invoke("no thread")
    keys = [body.get("prompt_cache_key") for body in _chat_requests(emu)]
    assert keys == ["chat-42", "chat-42", "chat-42", "chat-42", "7", None]


def test_a_key_set_wins_and_the_thread_can_be_ignored(make_llm: MakeLLM, emu: KimiEmulator) -> None:
    thread = {"configurable": {"thread_id": "chat-42"}}
    _graph(make_llm(prompt_cache_key="mine")).invoke({"messages": [("user", "hi")]}, thread)
    _graph(make_llm(prompt_cache_key_from_thread=False)).invoke(
        {"messages": [("user", "hi")]}, thread
    )
    _graph(make_llm(model_kwargs={"prompt_cache_key": "kw"})).invoke(
        {"messages": [("user", "hi")]}, thread
    )
    keys = [body.get("prompt_cache_key") for body in _chat_requests(emu)]
    assert keys == ["mine", None, "kw"]


def test_no_thread_key_off_moonshot(on_vllm: MakeLLM, vllm: KimiEmulator) -> None:
    thread = {"configurable": {"thread_id": "chat-42"}}
    _graph(on_vllm()).invoke({"messages": [("user", "hi")]}, thread)
    assert "prompt_cache_key" not in _chat_requests(vllm)[0]


# -- 3. log probabilities --------------------------------------------------------------------


def _lp(token: str, logprob: float) -> dict[str, Any]:
    return {"token": token, "logprob": logprob, "bytes": list(token.encode())}


# The emulator's answer to "hi there" is "You said: hi there", one token per word.
TOKENS = [_lp("You ", 0.0), _lp("said: ", -0.01), _lp("hi ", -0.02), _lp("there", -0.03)]


async def test_logprobs_in_response_metadata_as_chat_openai(
    make_llm: MakeLLM, emu: KimiEmulator
) -> None:
    llm = make_llm(logprobs=True, thinking=False)
    expected = {"content": [{**t, "top_logprobs": []} for t in TOKENS]}
    assert llm.invoke("hi there").response_metadata["logprobs"] == expected
    assert (await llm.ainvoke("hi there")).response_metadata["logprobs"] == expected
    chunks = list(llm.stream("hi there"))
    assert fold(chunks).response_metadata["logprobs"] == expected
    assert [c.response_metadata.get("logprobs") for c in chunks if c.content] == [
        {"content": [{**t, "top_logprobs": []}]} for t in TOKENS
    ]
    alternatives = fold([c async for c in llm.astream("hi there", top_logprobs=2)])
    first = alternatives.response_metadata["logprobs"]["content"][0]
    assert first["top_logprobs"] == [_lp("You ", 0.0), _lp("<alt1>", -1.0)]
    sent = [(b.get("logprobs"), b.get("top_logprobs")) for b in _chat_requests(emu)]
    assert sent == [(True, None)] * 3 + [(True, 2)]
    assert "logprobs" not in make_llm().invoke("hi").response_metadata


# -- 4. predicted outputs and the safety identifier ------------------------------------------

PREDICTION = {"type": "content", "content": "def add(a, b):\n    return a + b\n"}


async def test_prediction_and_safety_identifier_are_sent(
    make_llm: MakeLLM, emu: KimiEmulator
) -> None:
    llm = make_llm(prediction=PREDICTION, safety_identifier="user-hash-1")
    llm.invoke("rename add")
    fold(llm.stream("rename add"))
    await llm.ainvoke("rename add", safety_identifier="user-hash-2", prediction=None)
    sent = [(b.get("prediction"), b.get("safety_identifier")) for b in _chat_requests(emu)]
    assert sent == [
        (PREDICTION, "user-hash-1"),
        (PREDICTION, "user-hash-1"),
        (None, "user-hash-2"),  # per call: None unsets
    ]
    assert llm._identifying_params["safety_identifier"] == "user-hash-1"


# -- 5. model lifecycle ----------------------------------------------------------------------


def test_a_retired_model_warns_once_at_construction(
    make_llm: MakeLLM, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(model_info, "_RETIREMENTS_WARNED", set())
    with pytest.warns(ModelRetirementWarning) as caught:
        ChatKimi(api_key=API_KEY, model="moonshot-v1-8k")
    assert [str(w.message) for w in caught] == [
        "moonshot-v1-8k was retired on 2026-08-31 (its requests answer 404): use kimi-k2.6"
    ]
    assert caught[0].filename == __file__  # points at the user's line
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        make_llm(model="moonshot-v1-8k")  # once per model
        make_llm(model="kimi-k2.6")  # an unconfirmed retirement: nothing at construction


NEXT = ModelInfo("kimi-k9-preview", 524_288, 65_536, image_input=True, thinking="always")


@pytest.fixture
def with_next(kimi_emulator_factory: Callable[..., KimiEmulator]) -> KimiEmulator:
    return kimi_emulator_factory("moonshot", models=["kimi-k2.6", NEXT])


async def test_an_unknown_model_is_sent_as_asked_and_profiled_from_get_models(
    with_next: KimiEmulator,
) -> None:
    llm = ChatKimi(
        api_key=API_KEY, base_url=with_next.base_url, model="kimi-k9-preview", temperature=0.3
    )
    assert with_next.requests == []  # nothing asked at construction
    assert (await llm.ainvoke("hi")).content == "You said: hi"
    profile = llm.profile
    assert profile is not None
    assert (
        profile["max_input_tokens"],
        profile["image_inputs"],
        profile["video_inputs"],
        profile["reasoning_output"],
        profile["tool_calling"],
    ) == (524_288, True, False, True, True)
    assert "max_output_tokens" not in profile
    assert llm.profile["max_input_tokens"] == 524_288
    paths = [(r.method, r.path) for r in with_next.requests]
    assert paths == [("POST", "/v1/chat/completions"), ("GET", "/v1/models")]
    assert with_next.requests[0].json["model"] == "kimi-k9-preview"
    assert with_next.requests[0].json["temperature"] == 0.3  # nothing refused by guesswork
    llm.close()


# -- 6. the tools API as LangChain tools, and the retired $web_search -------------------------


@pytest.fixture
def web(emu: KimiEmulator) -> Iterator[KimiWebToolkit]:
    toolkit = KimiWebToolkit(api_key=API_KEY, base_url=emu.base_url, max_retries=0)
    yield toolkit
    toolkit.close()


def _tool_posts(emu: KimiEmulator) -> list[tuple[str, Any]]:
    return [(r.path, r.json) for r in emu.requests if r.path.startswith("/v1/tools/")]


SEARCH_TEXT = (
    "1. Result 1 for kimi k3\nURL: https://example.com/{h}/1\nexample.com, 2026-06-01\n"
    "Snippet 1 about kimi k3."
)


def test_search_and_fetch_in_a_create_agent_loop(
    make_llm: MakeLLM, web: KimiWebToolkit, emu: KimiEmulator
) -> None:
    tools = web.get_tools()
    assert [(type(t), t.name) for t in tools] == [
        (KimiWebSearchTool, "kimi_web_search"),
        (KimiWebFetchTool, "kimi_web_fetch"),
    ]
    emu.script(tool_calls=[{"name": "kimi_web_search", "arguments": {"query": "kimi k3"}}])
    emu.script(
        tool_calls=[{"name": "kimi_web_fetch", "arguments": {"url": "https://kimi.ai/news"}}]
    )
    agent = create_agent(make_llm(), tools=tools)
    messages = agent.invoke({"messages": [("user", "What is new with Kimi?")]})["messages"]
    results = [m for m in messages if isinstance(m, ToolMessage)]
    assert [(m.name, m.status) for m in results] == [
        ("kimi_web_search", "success"),
        ("kimi_web_fetch", "success"),
    ]
    search, fetch = results
    first = search.artifact["results"][0]
    blocks = str(search.content).split("\n\n")
    assert blocks[0] == SEARCH_TEXT.format(h=first["url"].split("/")[3])
    assert [r["title"] for r in search.artifact["results"]] == [
        f"Result {i} for kimi k3" for i in range(1, 6)
    ]
    assert len(blocks) == 5
    assert search.artifact["cost"] == {"amount": 0.002, "currency": "USD"}
    assert fetch.content.startswith("# kimi.ai/news\n\nEmulated content of https://kimi.ai/news.")
    assert (fetch.artifact["title"], fetch.artifact["url"], fetch.artifact["cost"]) == (
        "/news - kimi.ai",
        "https://kimi.ai/news",
        {"amount": 0.002, "currency": "USD"},
    )
    assert _tool_posts(emu) == [
        ("/v1/tools/search", {"text_query": "kimi k3"}),
        ("/v1/tools/fetch", {"url": "https://kimi.ai/news"}),
    ]
    final = messages[-1]
    assert isinstance(final, AIMessage)
    # The emulator's model reads both results back (one line per tool result).
    assert str(final.content).startswith("The tool kimi_web_search returned: 1. Result 1 for")
    assert "The tool kimi_web_fetch returned: # kimi.ai/news" in str(final.content)


async def test_refusals_are_tool_error_messages_async(make_llm: MakeLLM, emu: KimiEmulator) -> None:
    llm = make_llm()
    web = KimiWebToolkit.from_chat_model(llm, [])
    emu.script(
        tool_calls=[{"name": "kimi_web_fetch", "arguments": {"url": "http://unsafe.example/x"}}]
    )
    emu.script(
        tool_calls=[{"name": "kimi_web_fetch", "arguments": {"url": "https://empty.example/"}}]
    )
    agent = create_agent(llm, tools=await web.aget_tools())
    messages = (await agent.ainvoke({"messages": [("user", "Read those pages")]}))["messages"]
    errors = [m for m in messages if isinstance(m, ToolMessage)]
    assert [m.status for m in errors] == ["error", "error"]
    assert "403 security_risk: We consider the current URL poses a security risk" in str(
        errors[0].content
    )
    assert "404 markdown_not_found: No text/markdown content found" in str(errors[1].content)
    await llm.aclose()


async def test_search_pro_async_and_with_any_chat_model(emu: KimiEmulator) -> None:
    web = KimiWebToolkit(api_key=API_KEY, base_url=emu.base_url, tools=["search_pro"])
    [tool] = await web.aget_tools()
    assert tool.name == "kimi_web_search_pro"
    message = await tool.ainvoke(
        {"type": "tool_call", "id": "c1", "name": tool.name, "args": {"query": "kimi", "limit": 1}}
    )
    assert message.content.endswith("- Chunk of result 1 about kimi.")
    assert message.artifact["cost"] == {"amount": 0.003, "currency": "USD"}
    nothing = tool.invoke({"query": "no results"})  # not billed: an empty answer
    assert nothing == "No results found."
    assert _tool_posts(emu) == [
        ("/v1/tools/search_pro", {"text_query": "kimi", "limit": 1}),
        ("/v1/tools/search_pro", {"text_query": "no results"}),
    ]
    await web.aclose()


def test_binding_the_builtin_web_search_is_deprecated_and_still_works(
    llm: ChatKimi, emu: KimiEmulator
) -> None:
    from kimi_core.chat.tools import WEB_SEARCH_TOOL

    with pytest.warns(DeprecationWarning, match="retired on 2026-10-20") as caught:
        bound = llm.bind_tools([WEB_SEARCH_TOOL])
    assert "client.tools.search" in str(caught[0].message)
    assert caught[0].filename == __file__
    assert bound.invoke("news about kimi").content  # answered where it is still served
    assert _chat_requests(emu)[0]["tools"] == [WEB_SEARCH_TOOL]
