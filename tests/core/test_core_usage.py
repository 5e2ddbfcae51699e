"""Usage normalisation: every gateway's shape to the same plain counts."""

from __future__ import annotations

from typing import Any

from kimi_core.wire.usage import add_usage, normalize_usage


def test_moonshot_top_level_cached_tokens() -> None:
    usage = {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15, "cached_tokens": 4}
    assert normalize_usage(usage) == {
        "prompt_tokens": 10,
        "completion_tokens": 5,
        "total_tokens": 15,
        "cached_tokens": 4,
    }


def test_openai_style_details() -> None:
    usage = {
        "prompt_tokens": 10,
        "completion_tokens": 5,
        "total_tokens": 15,
        "prompt_tokens_details": {"cached_tokens": 3},
        "completion_tokens_details": {"reasoning_tokens": 2},
    }
    assert normalize_usage(usage) == {
        "prompt_tokens": 10,
        "completion_tokens": 5,
        "total_tokens": 15,
        "cached_tokens": 3,
        "reasoning_tokens": 2,
    }


def test_acedata_capture_shape_and_nulls(captures: Any) -> None:
    usage = captures.json("acedata_hello")["usage"]
    assert normalize_usage(usage) == {
        "prompt_tokens": 9,
        "completion_tokens": 184,
        "total_tokens": 193,
    }
    cloudsway = captures.json("cloudsway_tool_call")["usage"]
    assert normalize_usage(cloudsway) == {
        "prompt_tokens": 83,
        "completion_tokens": 33,
        "total_tokens": 116,
    }
    assert normalize_usage({"prompt_tokens": 2, "completion_tokens": 3}) == {
        "prompt_tokens": 2,
        "completion_tokens": 3,
        "total_tokens": 5,
    }
    assert normalize_usage(None) is None
    assert normalize_usage({}) is None


def test_rounds_add_up() -> None:
    a = normalize_usage({"prompt_tokens": 10, "completion_tokens": 5, "cached_tokens": 4})
    b = normalize_usage({"prompt_tokens": 20, "completion_tokens": 1})
    assert add_usage(a, b) == {
        "prompt_tokens": 30,
        "completion_tokens": 6,
        "total_tokens": 36,
        "cached_tokens": 4,
    }
    assert add_usage(None, b) == b
    assert add_usage(a, None) == a


def test_cache_writes_survive_a_second_reading_and_are_priced_at_their_tier() -> None:
    # The chat turn keeps UsageCounts and prices them (cost_at reads them again): the cache
    # writes must not turn into fresh input on the way (issue 25).
    from decimal import Decimal

    from kimi_core.catalog.model_info import Price
    from kimi_core.catalog.prices import cost_at

    wire = {
        "prompt_tokens": 1000,
        "completion_tokens": 10,
        "prompt_tokens_details": {"cached_tokens": 100, "cache_write_tokens": 600},
    }
    counts = normalize_usage(wire)
    assert counts == {
        "prompt_tokens": 1000,
        "completion_tokens": 10,
        "total_tokens": 1010,
        "cached_tokens": 100,
        "cache_write_tokens": 600,
    }
    assert normalize_usage(counts) == counts
    price = Price(
        input=Decimal("1"),
        output=Decimal("4"),
        currency="USD",
        cached_input=Decimal("0.1"),
        cache_write=Decimal("1.25"),
        cache_write_1h=Decimal("2"),
    )
    # fresh 300 * 1 + cached 100 * 0.1 + written 600 * (1.25 | 2) + output 10 * 4
    assert cost_at(counts, price).amount == Decimal("1100") / 1_000_000
    assert cost_at(counts, price, "1h").amount == Decimal("1550") / 1_000_000
    assert cost_at(wire, price, "1h") == cost_at(counts, price, "1h")
