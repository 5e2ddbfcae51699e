"""ChatKimi and issue 25's December API, over the emulator (real HTTP): the user's price on a
host that reports no cost, prompt-cache tiers and cache writes, logprobs, predicted outputs and
the safety identifier, model lifecycle, the tools API and the retired ``$web_search``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest
from lc_support import API_KEY, fold

from kimi_core import Price
from kimi_emulator import KimiEmulator
from langchain_kimi import ChatKimi

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
