"""What each Kimi model can do, what it costs, and which sampling values it fixes.

Sources (kept next to each fact so a reader can re-check them):
- docs/kimi-api/gateways.md (a Chinese API summary page): kimi-k2 and moonshot-v1-* context
  sizes and CNY prices.
- docs/kimi-api/models.md (Moonshot docs): k2.5 / k2 preview context windows, global USD
  prices, k2.5's fixed sampling values, thinking behaviour.
- Output limits and prices not in those two: the public model table of big-AGI
  (src/modules/llms/server/openai/models/moonshot.models.ts, "updated 2026-01-26", quoting
  platform.moonshot.ai/docs/pricing/chat). Assumed, not confirmed by Moonshot directly.

Unknown model names are allowed everywhere: new models appear before this table knows them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from .errors import InvalidParameterError

__all__ = [
    "CATALOG",
    "DEFAULT_MODEL",
    "SAMPLING_FIELDS",
    "ModelInfo",
    "Price",
    "ThinkingMode",
    "check_sampling",
    "get_model_info",
    "thinking_enabled",
]

ThinkingMode = Literal["always", "optional", "never"]

DEFAULT_MODEL = "kimi-k2.5"
"""The model every entry point uses when none is given."""

SAMPLING_FIELDS = (
    "temperature",
    "top_p",
    "max_tokens",
    "n",
    "presence_penalty",
    "frequency_penalty",
    "stop",
    "user",
)
"""Request fields an adapter may set per instance; sent only when set (never a default)."""


@dataclass(frozen=True)
class Price:
    """Prices per 1M tokens in ``currency``; ``cached_input`` is the cache-hit input price."""

    input: Decimal
    output: Decimal
    currency: Literal["USD", "CNY"]
    cached_input: Decimal | None = None
    source: str = ""


@dataclass(frozen=True)
class ModelInfo:
    """One model: limits, capabilities, prices and the sampling values it fixes.

    ``fixed_sampling`` maps a parameter to the only value the API accepts; temperature's value
    depends on thinking, so it is stored as ``(with_thinking, without_thinking)``.
    """

    id: str
    context_window: int
    max_output_tokens: int
    tools: bool = True
    vision: bool = False
    thinking: ThinkingMode = "never"
    json_mode: bool = True
    partial_mode: bool = True
    price: Price | None = None
    fixed_sampling: dict[str, float | tuple[float, float]] = field(default_factory=dict)


def _usd(inp: str, out: str, cached: str | None, source: str) -> Price:
    return Price(Decimal(inp), Decimal(out), "USD", Decimal(cached) if cached else None, source)


def _cny(inp: str, out: str, source: str = "docs/kimi-api/gateways.md") -> Price:
    return Price(Decimal(inp), Decimal(out), "CNY", None, source)


_FACTS = "docs/kimi-api/models.md (platform.moonshot.ai pricing)"
_BIGAGI = "platform.moonshot.ai pricing via big-AGI model table (2026-01-26)"

# kimi-k2.5 (facts: "temperature 1.0 with thinking / 0.6 without, top_p 0.95, n 1, presence and
# frequency penalty 0. Any other value -> 400 invalid_request_error").
_K25_FIXED: dict[str, float | tuple[float, float]] = {
    "temperature": (1.0, 0.6),
    "top_p": 0.95,
    "n": 1,
    "presence_penalty": 0.0,
    "frequency_penalty": 0.0,
}

_MODELS = [
    ModelInfo(
        "kimi-k2.5",
        262_144,
        32_768,  # facts: "max_tokens default 32,768"; big-AGI: maxCompletionTokens 32768
        vision=True,
        thinking="optional",
        price=_usd("0.60", "3.00", "0.10", _FACTS),
        fixed_sampling=_K25_FIXED,
    ),
    ModelInfo("kimi-k2-0905-preview", 262_144, 32_768, price=_usd("0.60", "2.50", "0.15", _FACTS)),
    ModelInfo("kimi-k2-0711-preview", 131_072, 16_384, price=_usd("0.60", "2.50", "0.15", _FACTS)),
    ModelInfo(
        "kimi-k2-turbo-preview", 262_144, 32_768, price=_usd("1.15", "8.00", "0.15", _BIGAGI)
    ),
    ModelInfo(
        "kimi-k2-thinking",
        262_144,
        65_536,
        thinking="always",
        price=_usd("0.60", "2.50", "0.15", _BIGAGI),
    ),
    ModelInfo(
        "kimi-k2-thinking-turbo",
        262_144,
        65_536,
        thinking="always",
        price=_usd("1.15", "8.00", "0.15", _BIGAGI),
    ),
    # The summary page (docs/kimi-api/gateways.md): "kimi-k2 | 128K | 8K", "¥12/1M input,
    # ¥36/1M output".
    ModelInfo("kimi-k2", 131_072, 8_192, price=_cny("12", "36")),
    # The same page: moonshot-v1-* context sizes count input + output; CNY prices per 1M tokens.
    ModelInfo("moonshot-v1-8k", 8_192, 8_192, price=_cny("4", "12")),
    ModelInfo("moonshot-v1-32k", 32_768, 8_192, price=_cny("6", "18")),
    ModelInfo("moonshot-v1-128k", 131_072, 8_192, price=_cny("14", "42")),
    ModelInfo(
        "moonshot-v1-8k-vision-preview",
        8_192,
        8_192,
        vision=True,
        price=_usd("0.20", "2.00", None, _BIGAGI),
    ),
    ModelInfo(
        "moonshot-v1-32k-vision-preview",
        32_768,
        8_192,
        vision=True,
        price=_usd("1.00", "3.00", None, _BIGAGI),
    ),
    ModelInfo(
        "moonshot-v1-128k-vision-preview",
        131_072,
        8_192,
        vision=True,
        price=_usd("2.00", "5.00", None, _BIGAGI),
    ),
]

CATALOG: dict[str, ModelInfo] = {m.id: m for m in _MODELS}


def get_model_info(model: str | None) -> ModelInfo | None:
    """The catalog entry for ``model``, or ``None`` for a model this table does not know."""
    if model is None:
        return None
    return CATALOG.get(model)


def thinking_enabled(model: str | None, thinking: bool | None) -> bool:
    """Whether a request to ``model`` will think, given the user's ``thinking`` choice."""
    info = get_model_info(model)
    if info is None:
        return bool(thinking)
    if info.thinking == "always":
        return True
    if info.thinking == "never":
        return False
    return thinking is not False


def check_sampling(model: str | None, params: dict[str, object], thinking: bool | None) -> None:
    """Raise ``InvalidParameterError`` for a sampling value the model fixes to another value.

    Cheap by design (a dict lookup and a few comparisons): it runs on every request.
    """
    info = get_model_info(model)
    if info is None or not info.fixed_sampling:
        return
    thinks = thinking_enabled(model, thinking)
    for name, fixed in info.fixed_sampling.items():
        value = params.get(name)
        if value is None:
            continue
        allowed = (fixed[0] if thinks else fixed[1]) if isinstance(fixed, tuple) else fixed
        if value != allowed:
            mode = (
                (" with thinking on" if thinks else " with thinking off")
                if isinstance(fixed, tuple)
                else ""
            )
            raise InvalidParameterError(
                f"{model} only accepts {name}={allowed}{mode}, got {name}={value!r}; "
                f"leave {name} unset to use the model's fixed value",
                param=name,
            )
