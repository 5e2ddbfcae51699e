"""Token usage as plain dicts: every gateway's shape read once, cheaply, for both adapters.

Moonshot reports cache hits as top-level ``usage.cached_tokens``; OpenAI-style gateways as
``prompt_tokens_details.cached_tokens`` (``docs/kimi-api/chat.md``, "Streaming"). Reasoning tokens
come, where given, as ``completion_tokens_details.reasoning_tokens``. No pydantic here: this
runs on every answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

__all__ = ["UsageCounts", "add_usage", "normalize_usage", "reported_cost"]

UsageCounts = dict[str, int]
"""``prompt_tokens``, ``completion_tokens``, ``total_tokens``, plus ``cached_tokens``,
``cache_write_tokens`` (``prompt_tokens_details``: Moonshot's explicit cache writes) and
``reasoning_tokens`` only where the server gave them."""


def normalize_usage(usage: Mapping[str, Any] | None) -> UsageCounts | None:
    """A wire usage object (any gateway's shape) to ``UsageCounts``; None when absent."""
    if not usage:
        return None
    prompt = usage.get("prompt_tokens") or 0
    completion = usage.get("completion_tokens") or 0
    counts: UsageCounts = {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": usage.get("total_tokens") or prompt + completion,
    }
    cached = usage.get("cached_tokens")
    if cached is None:
        details = usage.get("prompt_tokens_details")
        if details is not None and isinstance(details, Mapping):
            cached = details.get("cached_tokens")
    if isinstance(cached, int):
        counts["cached_tokens"] = cached
    written = usage.get("cache_write_tokens")  # read back from UsageCounts (cost_at)
    details = usage.get("prompt_tokens_details")
    if details is not None and isinstance(details, Mapping):
        written = details.get("cache_write_tokens", written)
    if isinstance(written, int) and not isinstance(written, bool) and written:
        counts["cache_write_tokens"] = written
    details = usage.get("completion_tokens_details")
    reasoning = usage.get("reasoning_tokens")  # SGLang: top level
    if details is not None and isinstance(details, Mapping):
        reasoning = details.get("reasoning_tokens", reasoning)
    if isinstance(reasoning, int) and not isinstance(reasoning, bool):
        counts["reasoning_tokens"] = reasoning
    return counts


def reported_cost(usage: Mapping[str, Any] | None) -> Decimal | None:
    """The call's cost as the host reported it (OpenRouter's ``usage.cost``, in USD), or
    None (``docs/kimi-api/hosts.md``, OpenRouter)."""
    if not usage:
        return None
    cost = usage.get("cost")
    if isinstance(cost, bool) or not isinstance(cost, int | float | str):
        return None
    try:
        value = Decimal(str(cost))
    except ArithmeticError:
        return None
    return value if value.is_finite() and value >= 0 else None


def add_usage(left: UsageCounts | None, right: UsageCounts | None) -> UsageCounts | None:
    """The sum of two usages (e.g. the rounds of a ``$web_search`` loop)."""
    if left is None:
        return right
    if right is None:
        return left
    total = dict(left)
    for key, value in right.items():
        total[key] = total.get(key, 0) + value
    return total
