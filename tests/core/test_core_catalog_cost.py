"""Model catalog (fixed sampling values, thinking) and exact costs."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kimi_core import Cost, InvalidParameterError, Usage, cost_of
from kimi_core.catalog.model_info import check_sampling, get_model_info, thinking_enabled


def test_catalog_entries() -> None:
    info = get_model_info("kimi-k2.5")
    assert info is not None
    assert (info.context_window, info.max_output_tokens, info.default_output_tokens) == (
        262_144,
        262_144,
        32_768,
    )
    assert (info.tools, info.vision, info.thinking, info.json_mode) == (
        True,
        True,
        "toggle",
        True,
    )
    assert (info.status, info.retired_on, info.replacement) == (
        "retired",
        "2026-08-31",
        "kimi-k2.6",
    )
    assert info.price is not None
    assert (info.price.input, info.price.output, info.price.cached_input, info.price.currency) == (
        Decimal("0.60"),
        Decimal("3.00"),
        Decimal("0.10"),
        "USD",
    )
    k2 = get_model_info("kimi-k2")
    assert k2 is not None
    assert k2.price is not None
    assert (k2.context_window, k2.price.currency) == (131_072, "CNY")
    thinking = get_model_info("kimi-k2-thinking")
    assert thinking is not None
    assert (thinking.thinking, thinking.status) == ("always", "retired")
    assert get_model_info("kimi-k9-future") is None
    assert get_model_info(None) is None


@pytest.mark.parametrize(
    ("model", "thinking", "enabled"),
    [
        ("kimi-k2.5", None, True),
        ("kimi-k2.5", True, True),
        ("kimi-k2.5", False, False),
        ("kimi-k2-thinking", False, True),
        ("kimi-k2-0905-preview", True, False),
        ("kimi-k3", None, True),
        ("kimi-k2.7-code", False, True),
        ("kimi-k2.6", False, False),
        ("unknown-model", True, True),
        ("unknown-model", None, False),
    ],
)
def test_thinking_enabled(model: str, thinking: bool | None, enabled: bool) -> None:
    assert thinking_enabled(model, thinking) is enabled


@pytest.mark.parametrize(
    ("params", "thinking"),
    [
        ({"temperature": 1.0}, None),
        ({"temperature": 1}, True),
        ({"temperature": 0.6}, False),
        ({"top_p": 0.95, "n": 1, "presence_penalty": 0, "frequency_penalty": 0.0}, None),
        ({"temperature": None, "top_p": None}, False),
        ({}, None),
    ],
)
def test_k25_allowed_values(params: dict[str, object], thinking: bool | None) -> None:
    check_sampling("kimi-k2.5", params, thinking)  # raises on failure


@pytest.mark.parametrize(
    ("params", "thinking", "param", "message"),
    [
        (
            {"temperature": 0.6},
            None,
            "temperature",
            "kimi-k2.5 only accepts temperature=1.0 with thinking on, got temperature=0.6",
        ),
        (
            {"temperature": 1.0},
            False,
            "temperature",
            "kimi-k2.5 only accepts temperature=0.6 with thinking off, got temperature=1.0",
        ),
        ({"top_p": 0.9}, None, "top_p", "kimi-k2.5 only accepts top_p=0.95, got top_p=0.9"),
        ({"n": 2}, None, "n", "kimi-k2.5 only accepts n=1, got n=2"),
        (
            {"presence_penalty": 0.5},
            None,
            "presence_penalty",
            "kimi-k2.5 only accepts presence_penalty=0.0, got presence_penalty=0.5",
        ),
        (
            {"frequency_penalty": -1},
            False,
            "frequency_penalty",
            "kimi-k2.5 only accepts frequency_penalty=0.0, got frequency_penalty=-1",
        ),
    ],
)
def test_k25_rejected_values_name_the_param(
    params: dict[str, object], thinking: bool | None, param: str, message: str
) -> None:
    with pytest.raises(InvalidParameterError) as caught:
        check_sampling("kimi-k2.5", params, thinking)
    assert caught.value.param == param
    assert str(caught.value).startswith(message)
    assert f"leave {param} unset" in str(caught.value)


def test_unknown_and_unconstrained_models_are_unchecked() -> None:
    wild: dict[str, object] = {"temperature": 1.7, "top_p": 0.1, "n": 3, "presence_penalty": 2}
    check_sampling("kimi-k9-future", wild, None)
    check_sampling("kimi-k2-0905-preview", wild, None)
    check_sampling(None, wild, None)


def test_cost_usd_with_cached_tokens() -> None:
    usage = Usage(prompt_tokens=1000, completion_tokens=500, total_tokens=1500, cached_tokens=400)
    # 600 fresh * $0.60 + 400 cached * $0.10 + 500 out * $3.00, per 1M tokens.
    assert cost_of(usage, "kimi-k2.5") == Cost(Decimal("0.0019"), "USD")


def test_cost_usd_with_openai_style_cached_tokens_from_a_mapping() -> None:
    usage = {
        "prompt_tokens": 2_000_000,
        "completion_tokens": 1_000_000,
        "prompt_tokens_details": {"cached_tokens": 1_000_000},
    }
    # 1M fresh * 0.60 + 1M cached * 0.15 + 1M out * 2.50
    assert cost_of(usage, "kimi-k2-0905-preview") == Cost(Decimal("3.25"), "USD")


def test_cost_cny_model() -> None:
    usage = Usage(prompt_tokens=1000, completion_tokens=2000, total_tokens=3000, cached_tokens=500)
    # kimi-k2 (seed 002): ¥12 in, ¥36 out per 1M, no cache price: cached input priced as input.
    cost = cost_of(usage, "kimi-k2")
    assert cost == Cost(Decimal("0.084"), "CNY")
    assert cost is not None
    assert cost.as_dict() == {"amount": 0.084, "currency": "CNY"}


def test_cost_unknown_model_or_usage() -> None:
    assert cost_of(Usage(prompt_tokens=10), "kimi-k9-future") is None
    assert cost_of(None, "kimi-k2.5") is None


def test_cost_addition() -> None:
    assert Cost(Decimal("0.1"), "USD") + Cost(Decimal("0.2"), "USD") == Cost(Decimal("0.3"), "USD")
    with pytest.raises(ValueError, match="cannot add CNY to USD"):
        _ = Cost(Decimal(1), "USD") + Cost(Decimal(1), "CNY")
