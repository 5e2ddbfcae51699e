"""Token usage to money, in the currency of the model's catalog price."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ..wire.usage import normalize_usage
from .model_info import Price, get_model_info

if TYPE_CHECKING:
    from ..types import Usage
    from .hosts import HostProfile

__all__ = ["TOOL_PRICES", "Cost", "cost_at", "cost_for", "cost_of", "host_cost", "tool_cost"]

_MILLION = Decimal(1_000_000)


@dataclass(frozen=True)
class Cost:
    """An amount of money; ``amount`` is exact (``Decimal``)."""

    amount: Decimal
    currency: str

    def __add__(self, other: Cost) -> Cost:
        if other.currency != self.currency:
            raise ValueError(f"cannot add {other.currency} to {self.currency}")
        return Cost(self.amount + other.amount, self.currency)

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly form used in response metadata: ``{"amount": float, "currency"}``."""
        return {"amount": float(self.amount), "currency": self.currency}


def cost_of(
    usage: Usage | Mapping[str, Any] | None,
    model: str | None,
    *,
    batch: bool = False,
    ttl: str | None = None,
) -> Cost | None:
    """What ``usage`` cost on ``model``; None when the model or usage is unknown.

    Cached input tokens are priced at the cache-hit price where the catalog has one.
    ``batch``: the usage of a batch-job line, priced at ``ModelInfo.batch_price``.
    """
    if usage is None:
        return None
    info = get_model_info(model)
    if info is None:
        return None
    price = info.batch_price if batch else info.price
    if price is None:
        return None
    return cost_at(usage, price, ttl)


def cost_at(usage: Usage | Mapping[str, Any], price: Price, ttl: str | None = None) -> Cost:
    """What ``usage`` costs at ``price`` (a user's own price for a host that reports none).

    Prompt tokens are cache hits (``cached_input``), cache writes (``cache_write`` for the
    5-minute TTL, ``cache_write_1h`` for ``ttl="1h"``: the answer does not say which tier was
    written, the request does), or fresh input; writes without a catalog price cost the input
    price (5m) or twice it (1h), the pattern of every model whose write prices Moonshot
    published (``docs/kimi-api/models.md`` §9, assumed for the others)."""
    if isinstance(usage, (dict, Mapping)):  # an exact dict matches first: no ABC check
        counts = normalize_usage(usage) or {}
        prompt, output = counts.get("prompt_tokens", 0), counts.get("completion_tokens", 0)
        cache_hits = counts.get("cached_tokens", 0)
        written = counts.get("cache_write_tokens", 0)
    else:
        prompt, output = usage.input_tokens, usage.output_tokens
        cache_hits = usage.cache_read_tokens
        written = usage.cache_write_tokens
    cached = cache_hits if price.cached_input is not None else 0
    fresh = max(prompt - cached - written, 0)
    if ttl == "1h":
        write_price = price.cache_write_1h or price.input * 2
    else:
        write_price = price.cache_write or price.input
    amount = (
        Decimal(fresh) * price.input
        + Decimal(cached) * (price.cached_input or price.input)
        + Decimal(written) * write_price
        + Decimal(output) * price.output
    ) / _MILLION
    return Cost(amount, price.currency)


def cost_for(
    usage: Usage | Mapping[str, Any] | None,
    served_model: str | None,
    requested_model: str | None,
    *,
    batch: bool = False,
    ttl: str | None = None,
) -> Cost | None:
    """What ``usage`` cost: at the served model's catalog price (gateways answer with their
    own names, e.g. ``MaaS_Kimi_K2.5_20260127``), else the requested one's (``batch``: at
    their batch price)."""
    return cost_of(usage, served_model, batch=batch, ttl=ttl) or cost_of(
        usage, requested_model, batch=batch, ttl=ttl
    )


def host_cost(
    usage: Usage | Mapping[str, Any] | None,
    served_model: str | None,
    requested_model: str | None,
    *,
    host: HostProfile | None = None,
    reported: Decimal | None = None,
    price: Price | None = None,
    batch: bool = False,
    ttl: str | None = None,
) -> Cost | None:
    """What a call cost on ``host``: Moonshot's catalog price on Moonshot's own endpoints
    (``cost_for``); elsewhere the host's reported cost (OpenRouter's ``usage.cost``, in USD),
    else the user's ``price``, else unknown (None). Never another host's price as the bill."""
    if usage is None:
        return None
    if host is None or host.catalog_prices:
        return cost_for(usage, served_model, requested_model, batch=batch, ttl=ttl)
    if reported is not None:
        return Cost(reported, "USD")
    if price is not None:
        return cost_at(usage, price, ttl)
    return None


TOOL_PRICES: dict[str, dict[str, Decimal]] = {
    "search": {"USD": Decimal("0.002"), "CNY": Decimal("0.01")},
    "search_pro": {"USD": Decimal("0.003"), "CNY": Decimal("0.015")},
    "fetch": {"USD": Decimal("0.002"), "CNY": Decimal("0.01")},
}
"""Moonshot's per-call prices of its REST tools (global pricing page in USD, China's in CNY;
``docs/kimi-api/official-tools.md``, "Tools API", with their sources)."""


def tool_cost(tool: str, currency: str, billed: bool) -> Cost:
    """What one call of a REST tool cost: its price when it was billed (a 200 with a
    non-empty result), else nothing."""
    amount = TOOL_PRICES[tool][currency] if billed else Decimal(0)
    return Cost(amount, currency)
