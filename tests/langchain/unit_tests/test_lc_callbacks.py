"""``get_kimi_callback``: totals across calls, threads and currencies."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import pytest
from langchain_core.messages import AIMessage
from langchain_core.outputs import ChatGeneration, LLMResult
from lc_support import json_response, mock_llm

from langchain_kimi import KimiCallbackHandler, get_kimi_callback


def _result(
    provider: str = "kimi", cost: dict[str, Any] | None = None, cached: int = 0
) -> LLMResult:
    message = AIMessage(
        "x",
        usage_metadata={
            "input_tokens": 10,
            "output_tokens": 4,
            "total_tokens": 14,
            "input_token_details": {"cache_read": cached},
            "output_token_details": {"reasoning": 3},
        },
        response_metadata={"model_provider": provider, **({"cost": cost} if cost else {})},
    )
    return LLMResult(generations=[[ChatGeneration(message=message)]])


def test_totals_are_exact_under_threads() -> None:
    handler = KimiCallbackHandler()
    cost = {"amount": 0.0000123, "currency": "USD"}
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda _: handler.on_llm_end(_result(cost=cost, cached=2)), range(400)))
    assert handler.successful_requests == 400
    assert (handler.prompt_tokens, handler.completion_tokens, handler.total_tokens) == (
        4000,
        1600,
        5600,
    )
    assert (handler.cache_read_tokens, handler.reasoning_tokens) == (800, 1200)
    assert handler.total_cost == Decimal("0.0000123") * 400
    assert handler.currency == "USD"


def test_other_providers_are_ignored_and_currencies_kept_apart() -> None:
    handler = KimiCallbackHandler()
    handler.on_llm_end(_result(provider="openai", cost={"amount": 1.0, "currency": "USD"}))
    assert handler.successful_requests == 0
    assert handler.total_cost == Decimal(0)
    assert handler.currency is None
    handler.on_llm_end(_result(cost={"amount": 0.5, "currency": "USD"}))
    handler.on_llm_end(_result(cost={"amount": 2.0, "currency": "CNY"}))
    assert handler.cost_by_currency == {"USD": Decimal("0.5"), "CNY": Decimal("2.0")}
    assert handler.currency is None
    with pytest.raises(ValueError, match="several currencies"):
        _ = handler.total_cost
    assert "0.5 USD, 2.0 CNY" in repr(handler)


def test_context_manager_scopes_and_nests() -> None:
    answer = {
        "id": "c",
        "model": "moonshot-v1-8k",
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": "hi"}, "finish_reason": "stop"}
        ],
        "usage": {"prompt_tokens": 1000, "completion_tokens": 500, "total_tokens": 1500},
    }
    llm, _ = mock_llm(json_response(answer), model="moonshot-v1-8k")
    with get_kimi_callback() as outer:
        llm.invoke("a")
        with get_kimi_callback() as inner:
            llm.invoke("b")
        llm.invoke("c")
    llm.invoke("after")
    assert inner.successful_requests == 1
    assert outer.successful_requests == 2
    # moonshot-v1-8k (seed 002): ¥4 in / ¥12 out per 1M tokens.
    assert outer.cost_by_currency == {"CNY": Decimal("0.01") * 2}
    assert inner.total_cost == Decimal("0.01")
    assert inner.currency == "CNY"
