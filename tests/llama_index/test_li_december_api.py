"""Kimi (LlamaIndex) and issue 25's December API, over the emulator (real HTTP): the user's
price on a host that reports no cost, prompt-cache tiers and cache writes, logprobs, predicted
outputs and the safety identifier, model lifecycle, the tools API and the retired
``$web_search``."""

from __future__ import annotations

import warnings
from collections.abc import AsyncIterator, Callable
from decimal import Decimal
from typing import Any

import pytest
from li_helpers import API_KEY, chat_requests
from llama_index.core.agent.workflow import FunctionAgent, ToolCallResult
from llama_index.core.base.llms.types import ChatMessage, LogProb

from kimi_core import Price
from kimi_core.catalog import model_info
from kimi_core.catalog.model_info import ModelInfo, ModelRetirementWarning
from kimi_core.errors import ConfigurationError
from kimi_emulator import KimiEmulator
from llama_index_kimi import Kimi, KimiWebToolSpec

MakeLLM = Callable[..., Kimi]
PRICE = Price(input=Decimal("1"), output=Decimal("2"), currency="USD")
HI = [ChatMessage(role="user", content="hi")]


@pytest.fixture
async def on_vllm(kimi_emulator_factory: Callable[..., KimiEmulator]) -> AsyncIterator[MakeLLM]:
    vllm = kimi_emulator_factory("vllm")
    made: list[Kimi] = []

    def factory(**kwargs: Any) -> Kimi:
        kwargs.setdefault("model", "moonshotai/Kimi-K2.6")
        model = Kimi(
            api_key=API_KEY, base_url=vllm.base_url, gateway="vllm", max_retries=0, **kwargs
        )
        made.append(model)
        return model

    yield factory
    for model in made:
        model.close()
        await model.aclose()


# -- 1. price and strict sampling ------------------------------------------------------------


async def test_price_gives_the_cost_on_a_host_that_reports_none(on_vllm: MakeLLM) -> None:
    priced = on_vllm(price=PRICE)
    expected = {"amount": 25e-6, "currency": "USD"}  # 7 prompt tokens at 1, 9 output at 2
    response = priced.chat(HI)
    assert (response.additional_kwargs["prompt_tokens"], response.additional_kwargs["cost"]) == (
        7,
        expected,
    )
    assert list(priced.stream_chat(HI))[-1].additional_kwargs["cost"] == expected
    assert (await priced.achat(HI)).additional_kwargs["cost"] == expected
    last = [r async for r in await priced.astream_chat(HI)][-1]
    assert last.additional_kwargs["cost"] == expected
    # Without a price: no cost (never Moonshot's catalog price as another host's bill).
    assert "cost" not in on_vllm().chat(HI).additional_kwargs
    assert "cost" not in list(on_vllm().stream_chat(HI))[-1].additional_kwargs


def test_price_must_be_a_price(on_vllm: MakeLLM) -> None:
    with pytest.raises(ConfigurationError) as info:
        on_vllm(price={"input": 1})
    assert info.value.param == "price"


def test_strict_sampling_is_a_setting_that_survives_a_pickle(emu: KimiEmulator) -> None:
    import pickle

    llm = Kimi(api_key=API_KEY, base_url=emu.base_url, strict_sampling=True, price=PRICE)
    revived = pickle.loads(pickle.dumps(llm))
    assert (revived.strict_sampling, revived.price) == (True, PRICE)
    assert "price" not in llm.to_dict()
    assert chat_requests(emu) == []


# -- 2. prompt caching -----------------------------------------------------------------------

LONG = "You answer questions about the quick brown fox. " * 40  # over the 256-token threshold


def _ask(text: str) -> list[ChatMessage]:
    return [ChatMessage(role="system", content=LONG), ChatMessage(role="user", content=text)]


async def test_cache_tier_writes_and_reads_in_usage_and_cost(
    make_llm: MakeLLM, emu: KimiEmulator
) -> None:
    llm = make_llm(prompt_cache_ttl="1h", thinking=False)
    first = llm.chat(_ask("first"))
    assert first.raw["usage"]["prompt_tokens_details"] == {
        "cached_tokens": 0,
        "cache_write_tokens": 488,
    }
    # kimi-k2.6 (0.95 / 0.16 / 4.00 USD per 1M): 3 fresh, 488 written at the 1h rate (twice
    # the input price: no write price published), 4 out.
    assert first.additional_kwargs == {
        "prompt_tokens": 491,
        "completion_tokens": 4,
        "total_tokens": 495,
        "cache_write_tokens": 488,
        "cost": {"amount": 0.00094605, "currency": "USD"},
        "finish_reason": "stop",
    }
    last = list(llm.stream_chat(_ask("second")))[-1]
    assert last.raw["usage"]["prompt_tokens_details"] == {
        "cached_tokens": 483,
        "cache_write_tokens": 5,
    }
    # 3 fresh, 483 read at 0.16, 5 written at 1.90, 4 out.
    assert (
        last.additional_kwargs["cached_tokens"],
        last.additional_kwargs["cache_write_tokens"],
        last.additional_kwargs["cost"],
    ) == (483, 5, {"amount": 0.00010563, "currency": "USD"})
    five = await llm.achat(_ask("first"), prompt_cache_ttl="5m")  # per call; its own tier
    assert five.additional_kwargs["cost"] == {"amount": 0.00048245, "currency": "USD"}
    streamed = [r async for r in await llm.astream_chat(_ask("first"), prompt_cache_ttl="5m")]
    assert streamed[-1].additional_kwargs["cached_tokens"] == 488
    sent = [body.get("prompt_cache_options") for body in chat_requests(emu)]
    assert sent == [{"ttl": "1h"}, {"ttl": "1h"}, {"ttl": "5m"}, {"ttl": "5m"}]


def test_no_cache_key_is_made_up(llm: Kimi, emu: KimiEmulator) -> None:
    # LlamaIndex hands an LLM no session id: nothing automatic (a documented choice).
    llm.chat(HI)
    llm.chat(HI, prompt_cache_key="session-1")
    assert [body.get("prompt_cache_key") for body in chat_requests(emu)] == [None, "session-1"]


# -- 3. log probabilities --------------------------------------------------------------------


def _lp(token: str, logprob: float) -> LogProb:
    return LogProb(token=token, logprob=logprob, bytes=list(token.encode()))


# The emulator's answer to "hi there" is "You said: hi there", one token per word.
TOKENS = [_lp("You ", 0.0), _lp("said: ", -0.01), _lp("hi ", -0.02), _lp("there", -0.03)]
THERE = [ChatMessage(role="user", content="hi there")]


async def test_logprobs_on_the_chat_response(make_llm: MakeLLM, emu: KimiEmulator) -> None:
    llm = make_llm(logprobs=True, thinking=False)
    # Without alternatives each token is its own one-element list.
    assert llm.chat(THERE).logprobs == [[t] for t in TOKENS]
    assert (await llm.achat(THERE)).logprobs == [[t] for t in TOKENS]
    streamed = list(llm.stream_chat(THERE))
    # Cumulative, as every streamed response carries the whole answer so far.
    assert [len(r.logprobs or []) for r in streamed if r.delta] == [1, 2, 3, 4]
    assert streamed[-1].logprobs == [[t] for t in TOKENS]
    top = [r async for r in await llm.astream_chat(THERE, top_logprobs=2)][-1].logprobs
    assert top is not None
    assert top[0] == [_lp("You ", 0.0), _lp("<alt1>", -1.0)]
    assert len(top) == 4
    sent = [(b.get("logprobs"), b.get("top_logprobs")) for b in chat_requests(emu)]
    assert sent == [(True, None)] * 3 + [(True, 2)]
    plain = make_llm()
    assert plain.chat(THERE).logprobs is None
    assert list(plain.stream_chat(THERE))[-1].logprobs is None


# -- 4. predicted outputs and the safety identifier ------------------------------------------

PREDICTION = {"type": "content", "content": "def add(a, b):\n    return a + b\n"}


async def test_prediction_and_safety_identifier_are_sent(
    make_llm: MakeLLM, emu: KimiEmulator
) -> None:
    llm = make_llm(prediction=PREDICTION, safety_identifier="user-hash-1")
    llm.chat(HI)
    list(llm.stream_chat(HI))
    await llm.achat(HI, safety_identifier="user-hash-2")
    [r async for r in await llm.astream_chat(HI, prediction={"type": "content", "content": "x"})]
    sent = [(b.get("prediction"), b.get("safety_identifier")) for b in chat_requests(emu)]
    assert sent == [
        (PREDICTION, "user-hash-1"),
        (PREDICTION, "user-hash-1"),
        (PREDICTION, "user-hash-2"),
        ({"type": "content", "content": "x"}, "user-hash-1"),
    ]
    assert Kimi.from_dict(llm.to_dict(), api_key=API_KEY).prediction == PREDICTION


# -- 5. model lifecycle ----------------------------------------------------------------------


def test_a_retired_model_warns_once_at_construction(
    make_llm: MakeLLM, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(model_info, "_RETIREMENTS_WARNED", set())
    with pytest.warns(ModelRetirementWarning) as caught:
        make_llm(model="kimi-thinking-preview")
    assert [str(w.message) for w in caught] == [
        "kimi-thinking-preview was retired on 2025-11-11 (its requests answer 404): use kimi-k2.6"
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        make_llm(model="kimi-thinking-preview")  # once per model
        make_llm(model="kimi-k2.6")  # an unconfirmed retirement: nothing at construction


NEXT = ModelInfo("kimi-k9-preview", 524_288, 65_536, image_input=True, thinking="always")


async def test_an_unknown_model_is_sent_as_asked_and_sized_from_get_models(
    kimi_emulator_factory: Callable[..., KimiEmulator],
) -> None:
    emu = kimi_emulator_factory("moonshot", models=["kimi-k2.6", NEXT])
    llm = Kimi(api_key=API_KEY, base_url=emu.base_url, model="kimi-k9-preview", top_p=0.5)
    assert emu.requests == []  # nothing asked at construction
    assert str(await llm.acomplete("hi")) == "You said: hi"
    metadata = llm.metadata
    assert (metadata.context_window, metadata.num_output, metadata.is_function_calling_model) == (
        524_288,
        8_192,
        True,
    )
    assert llm.metadata.context_window == 524_288
    # Listed once (with KIMI_FASTPATH=0 LlamaIndex's callbacks read the metadata on the
    # first call already).
    paths = sorted((r.method, r.path) for r in emu.requests)
    assert paths == [("GET", "/v1/models"), ("POST", "/v1/chat/completions")]
    [sent] = [r.json for r in emu.requests if r.method == "POST"]
    assert sent["top_p"] == 0.5  # nothing refused by guesswork
    unlisted = Kimi(api_key=API_KEY, base_url=emu.base_url, model="kimi-k10")
    assert unlisted.metadata.context_window == 131_072  # the safe lower bound
    assert (
        Kimi(
            api_key=API_KEY, base_url=emu.base_url, model="kimi-k10", context_window=9_000
        ).metadata.context_window
        == 9_000
    )
    assert len(emu.requests) == 3  # one listing per client
    for model in (llm, unlisted):
        model.close()
        await model.aclose()


# -- 6. the tools API as LlamaIndex tools, and the retired $web_search ------------------------


def _tool_posts(emu: KimiEmulator) -> list[tuple[str, Any]]:
    return [(r.path, r.json) for r in emu.requests if r.path.startswith("/v1/tools/")]


async def _agent_results(agent: FunctionAgent, question: str) -> tuple[list[Any], str]:
    handler = agent.run(user_msg=question)
    results = [e async for e in handler.stream_events() if isinstance(e, ToolCallResult)]
    return results, str(await handler)


async def test_search_and_fetch_in_a_function_agent_loop(llm: Kimi, emu: KimiEmulator) -> None:
    spec = KimiWebToolSpec(api_key=API_KEY, base_url=emu.base_url, max_retries=0)
    tools = spec.to_tool_list()
    assert [t.metadata.name for t in tools] == ["kimi_web_search", "kimi_web_fetch"]
    assert spec.spec_functions == ["kimi_web_search", "kimi_web_fetch"]
    emu.script(tool_calls=[{"name": "kimi_web_search", "arguments": {"query": "kimi k3"}}])
    emu.script(
        tool_calls=[{"name": "kimi_web_fetch", "arguments": {"url": "https://kimi.ai/news"}}]
    )
    results, answer = await _agent_results(FunctionAgent(tools=tools, llm=llm), "Kimi news?")
    search, fetch = (r.tool_output for r in results)
    assert (search.is_error, fetch.is_error) == (False, False)
    assert search.content.startswith("1. Result 1 for kimi k3\nURL: https://example.com/")
    assert len(search.raw_output["results"]) == 5
    assert search.raw_output["cost"] == {"amount": 0.002, "currency": "USD"}
    assert fetch.content.startswith("# kimi.ai/news\n\nEmulated content of https://kimi.ai/news.")
    assert (fetch.raw_output["title"], fetch.raw_output["cost"]) == (
        "/news - kimi.ai",
        {"amount": 0.002, "currency": "USD"},
    )
    assert "The tool kimi_web_fetch returned: # kimi.ai/news" in answer
    assert _tool_posts(emu) == [
        ("/v1/tools/search", {"text_query": "kimi k3"}),
        ("/v1/tools/fetch", {"url": "https://kimi.ai/news"}),
    ]
    spec.close()
    await spec.aclose()


async def test_refusals_reach_the_model_as_tool_errors(llm: Kimi, emu: KimiEmulator) -> None:
    spec = KimiWebToolSpec.from_llm(llm, tools=["fetch", "search_pro"])
    tools = await spec.to_tool_list_async()
    assert [t.metadata.name for t in tools] == ["kimi_web_fetch", "kimi_web_search_pro"]
    emu.script(
        tool_calls=[{"name": "kimi_web_fetch", "arguments": {"url": "http://unsafe.example/"}}]
    )
    results, _ = await _agent_results(FunctionAgent(tools=tools, llm=llm), "Read it")
    [refused] = [r.tool_output for r in results]
    assert refused.is_error is True
    assert "We consider the current URL poses a security risk" in refused.content
    pro = tools[1].call(query="kimi", limit=1)
    assert pro.content.endswith("- Chunk of result 1 about kimi.")
    assert pro.raw_output["cost"] == {"amount": 0.003, "currency": "USD"}
    empty = await tools[1].acall(query="no results")
    assert (empty.content, empty.raw_output["cost"]["amount"]) == ("No results found.", 0.0)


def test_the_builtin_web_search_is_deprecated_and_still_works(llm: Kimi, emu: KimiEmulator) -> None:
    from kimi_core.chat.tools import WEB_SEARCH_TOOL

    with pytest.warns(DeprecationWarning, match="retired on 2026-10-20") as caught:
        answer = llm.chat(HI, tools=[WEB_SEARCH_TOOL])
    assert "KimiWebToolSpec" in str(caught[0].message)
    assert answer.message.content  # answered where it is still served
    assert chat_requests(emu)[0]["tools"] == [WEB_SEARCH_TOOL]
