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
