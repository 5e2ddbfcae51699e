"""Kimi (LlamaIndex) and issue 25's December API, over the emulator (real HTTP): the user's
price on a host that reports no cost, prompt-cache tiers and cache writes, logprobs, predicted
outputs and the safety identifier, model lifecycle, the tools API and the retired
``$web_search``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from decimal import Decimal
from typing import Any

import pytest
from li_helpers import API_KEY, chat_requests
from llama_index.core.base.llms.types import ChatMessage

from kimi_core import Price
from kimi_core.errors import ConfigurationError
from kimi_emulator import KimiEmulator
from llama_index_kimi import Kimi

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
