"""What each Kimi model can do, how it is steered, what it costs: one entry per model.

Every figure comes from ``docs/kimi-api/models.md`` (which gives the public source of each and
how sure it is); ``ModelInfo.sources`` names the source keys of that file per entry. Where the
sources only suggest a limit, the entry allows what the server might allow: local checks
(``kimi_core.chat.request``) refuse only what the catalog is sure of.

Unknown model names are allowed everywhere, with their parameters passed through unchecked:
new models appear before this table knows them.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import Any, Literal

from ..errors import InvalidParameterError
from .hosts import HostProfile, model_family_id

__all__ = [
    "BATCH_DISCOUNT",
    "CATALOG",
    "DEFAULT_MODEL",
    "SAMPLING_FIELDS",
    "FixedSamplingWarning",
    "ModelInfo",
    "ModelRetirementWarning",
    "Price",
    "ThinkingKind",
    "ToolChoiceSupport",
    "apply_fixed_sampling",
    "check_sampling",
    "current_models",
    "get_model_info",
    "model_traits",
    "retirement_hint",
    "retirement_notice",
    "switched_model_notice",
    "thinking_enabled",
    "warn_retirement",
]

ThinkingKind = Literal["toggle", "always", "effort", "none"]
"""``toggle``: ``thinking`` on/off (on by default); ``always``: thinks, no control; ``effort``:
always reasons, steered by a top-level ``reasoning_effort``; ``none``: never thinks."""

DEFAULT_MODEL = "kimi-k2.6"
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
    """Prices per 1M tokens in ``currency``: ``input`` is a cache miss, ``cached_input`` a
    cache hit, ``cache_write`` / ``cache_write_1h`` writing the cache with the 5-minute /
    1-hour TTL (billed separately; in the catalog where known, not yet in usage)."""

    input: Decimal
    output: Decimal
    currency: Literal["USD", "CNY"]
    cached_input: Decimal | None = None
    source: str = ""
    cache_write: Decimal | None = None
    cache_write_1h: Decimal | None = None


@dataclass(frozen=True)
class ToolChoiceSupport:
    """Which forced ``tool_choice`` values the API accepts, with thinking on and off:
    ``"required"`` and a named function. Anything not accepted is rewritten by the core."""

    required_thinking: bool = False
    required_plain: bool = False
    named_thinking: bool = False
    named_plain: bool = False

    def required(self, thinks: bool) -> bool:
        return self.required_thinking if thinks else self.required_plain

    def named(self, thinks: bool) -> bool:
        return self.named_thinking if thinks else self.named_plain


NO_FORCING = ToolChoiceSupport()


@dataclass(frozen=True)
class ModelInfo:
    """One model: limits, how it thinks, what it accepts, what it costs, and its status.

    ``fixed_sampling`` maps a parameter to the only value the API accepts; where the value
    depends on thinking it is stored as ``(with_thinking, without_thinking)``.
    ``max_output_tokens`` is the most a request may ask for (the window less the prompt);
    ``default_output_tokens`` what the server gives when the request does not say.
    """

    id: str
    context_window: int
    max_output_tokens: int
    default_output_tokens: int | None = None
    tools: bool = True
    image_input: bool = False
    video_input: bool = False
    thinking: ThinkingKind = "none"
    effort_levels: tuple[str, ...] = ()
    default_effort: str | None = None
    preserved_thinking: Literal["none", "optional", "always"] = "none"
    """``optional``: ``thinking: {"type": "enabled", "keep": "all"}`` turns it on (K2.6);
    ``always``: always on. Then ``reasoning_content`` goes on every assistant message."""
    tool_choice: ToolChoiceSupport = NO_FORCING
    json_mode: bool = True
    json_schema: bool = False
    partial_mode: bool = True
    batch: bool | None = None
    """Moonshot's batch API (``docs/kimi-api/batch.md`` §1): True where its guides list the
    model, False where they say it is not supported (refused before upload), None where
    they say nothing (sent; the server decides)."""
    price: Price | None = None
    fixed_sampling: dict[str, float | tuple[float, float]] = field(default_factory=dict)
    status: Literal["current", "retired"] = "current"
    retired_on: str | None = None
    replacement: str | None = None
    retiring_on: str | None = None
    """A retirement announced for a later date (``YYYY-MM-DD``)."""
    retirement_confirmed: bool = True
    """Whether Moonshot's own pages state the retirement (False: reported by a gateway
    only; then no warning at construction, ``docs/kimi-api/models.md`` §7)."""
    note: str = ""
    sources: Mapping[str, str] = field(default_factory=dict)
    """Source keys of ``docs/kimi-api/models.md`` per figure."""

    @property
    def vision(self) -> bool:
        """Takes image input (the name the catalog used before video existed)."""
        return self.image_input

    @property
    def retired(self) -> bool:
        return self.status == "retired"

    @property
    def batch_price(self) -> Price | None:
        """The price of a line of a batch job: every token price less Moonshot's batch
        saving (``BATCH_DISCOUNT``); None when the price is unknown or the batch API does
        not take the model."""
        if self.price is None or self.batch is False:
            return None
        return _batch_price(self.price)

    def thinks(self, thinking: bool | None) -> bool:
        """Whether a request with this ``thinking`` choice thinks on this model."""
        if self.thinking in ("always", "effort"):
            return True
        if self.thinking == "none":
            return False
        return thinking is not False


BATCH_DISCOUNT = Decimal("0.6")
"""A batch line costs this share of the model's token prices: "saving 40% on inference costs
compared to real-time API calls" (``docs/kimi-api/batch.md`` §8); applied to cache hits too
(undocumented: an assumption there)."""


@lru_cache(maxsize=64)
def _batch_price(price: Price) -> Price:
    def scaled(value: Decimal | None) -> Decimal | None:
        return None if value is None else value * BATCH_DISCOUNT

    return replace(
        price,
        input=price.input * BATCH_DISCOUNT,
        output=price.output * BATCH_DISCOUNT,
        cached_input=scaled(price.cached_input),
        cache_write=scaled(price.cache_write),
        cache_write_1h=scaled(price.cache_write_1h),
        source=f"{price.source}; batch: x{BATCH_DISCOUNT} (docs/kimi-api/batch.md §8)",
    )


def _usd(
    hit: str | None,
    miss: str,
    out: str,
    source: str,
    write: str | None = None,
    write_1h: str | None = None,
) -> Price:
    return Price(
        Decimal(miss),
        Decimal(out),
        "USD",
        Decimal(hit) if hit else None,
        source,
        Decimal(write) if write else None,
        Decimal(write_1h) if write_1h else None,
    )


def _cny(inp: str, out: str, source: str = "docs/kimi-api/gateways.md (summary page)") -> Price:
    return Price(Decimal(inp), Decimal(out), "CNY", None, source)


# K2.5 / K2.6: "temperature 1.0 with thinking / 0.6 without; top_p 0.95, n 1, penalties 0 cannot
# be modified" [official MG, MO]. K3 / K3.1: all fixed, anything else 400 [3p-live BA, AH].
_K2_FIXED: dict[str, float | tuple[float, float]] = {
    "temperature": (1.0, 0.6),
    "top_p": 0.95,
    "n": 1,
    "presence_penalty": 0.0,
    "frequency_penalty": 0.0,
}
_K3_FIXED: dict[str, float | tuple[float, float]] = {
    "temperature": 1.0,
    "top_p": 0.95,
    "n": 1,
    "presence_penalty": 0.0,
    "frequency_penalty": 0.0,
}
_EFFORT = ("low", "high", "max")
_MILLION = 1024 * 1024
_K2_WINDOW = 256 * 1024

# K3 accepts "required" with thinking (always on); a named function is a 400 on every
# thinking-on model; K2.6 accepts both with thinking off [3p-live IN, OMP, AB; docs §4].
_K3_CHOICE = ToolChoiceSupport(required_thinking=True)
_K26_CHOICE = ToolChoiceSupport(required_plain=True, named_plain=True)

# kimi-k2.6 and kimi-k2.7-code(-highspeed) "go offline on 2027-01-07 00:00 UTC+8", calls
# switched to kimi-k3: Tencent CloudBase's notice "following Moonshot's official upgrade",
# not on Moonshot's own pages (docs §7): recorded, not warned about at construction.
_REPORTED_RETIREMENT: dict[str, Any] = {
    "retiring_on": "2027-01-07",
    "retirement_confirmed": False,
    "replacement": "kimi-k3",
    "note": "retirement on 2027-01-07 reported by a gateway (CloudBase), unconfirmed by Moonshot",
}

_K3 = ModelInfo(
    "kimi-k3",
    _MILLION,
    _MILLION,
    131_072,
    image_input=True,
    video_input=True,
    thinking="effort",
    effort_levels=_EFFORT,
    default_effort="max",
    preserved_thinking="always",
    tool_choice=_K3_CHOICE,
    json_schema=True,
    price=_usd("0.30", "3.00", "15.00", "3p (codeburn#709, NV)", "3.00", "6.00"),
    fixed_sampling=_K3_FIXED,
    batch=False,  # "kimi-k3 is not supported" by the batch API (docs/kimi-api/batch.md §1)
    sources={"limits": "TS RE MO", "thinking": "RE TS", "tools": "BA IN OMP", "price": "3p"},
)
_K26 = ModelInfo(
    "kimi-k2.6",
    _K2_WINDOW,
    _K2_WINDOW,
    32_768,
    image_input=True,
    video_input=True,
    thinking="toggle",
    preserved_thinking="optional",
    tool_choice=_K26_CHOICE,
    json_schema=True,
    batch=True,
    price=_usd("0.16", "0.95", "4.00", "3p (LL, citing the pricing page)"),
    fixed_sampling=_K2_FIXED,
    sources={"limits": "TS MO", "thinking": "TS MO MG TG", "tools": "IN OMP AB"},
    **_REPORTED_RETIREMENT,
)
_K27 = ModelInfo(
    "kimi-k2.7-code",
    _K2_WINDOW,
    _K2_WINDOW,
    32_768,
    image_input=True,
    video_input=True,
    thinking="always",
    preserved_thinking="always",
    json_schema=True,
    batch=True,
    price=_usd("0.19", "0.95", "4.00", "3p (AP)"),
    # Fixed like K3's since the models page lists it "cannot be modified" (docs §2).
    fixed_sampling=_K3_FIXED,
    sources={"limits": "TS", "thinking": "TS TG", "tools": "IN", "price": "3p", "fixed": "FS"},
    **_REPORTED_RETIREMENT,
)


def _retired_k2(model: str, window: int, price: Price, thinking: ThinkingKind) -> ModelInfo:
    """The K2 previews and thinking models, retired on 2026-05-25 [3p LL; docs §7]."""
    return ModelInfo(
        model,
        window,
        window,
        thinking=thinking,
        price=price,
        status="retired",
        retired_on="2026-05-25",
        replacement="kimi-k2.6",
        sources={"limits": "TS MO", "price": "PA LL BA", "status": "3p"},
    )


def _moonshot_v1(model: str, window: int, price: Price, image: bool) -> ModelInfo:
    """moonshot-v1-*: windows count input + output [official TS]; retired on 2026-08-31,
    404 since ("The kimi-k2.5 and moonshot-v1 series were officially retired on August 31,
    2026", Moonshot's models page quoted by three sources, docs §7)."""
    return ModelInfo(
        model,
        window,
        window,
        image_input=image,
        price=price,
        status="retired",
        retired_on="2026-08-31",
        replacement="kimi-k2.6",
        sources={"limits": "TS MO", "price": "summary page / LL BA", "status": "MD NL FS"},
    )


_MODELS = [
    _K3,
    replace(
        _K3,
        id="kimi-k3.1-pro",
        batch=None,  # newer than the batch guides, which do not name it
        price=_usd("0.20", "2.00", "10.00", "3p (AY)", "2.00", "4.00"),
        note="limits and rules as kimi-k3 (AH: the same parameter constraints)",
        sources={"limits": "AH AY Vercel", "thinking": "AH SY", "price": "3p"},
    ),
    replace(
        _K3,
        id="kimi-k3.1-pro-highspeed",
        batch=None,
        price=_usd("0.20", "4.00", "20.00", "3p (AY)", "4.00", "8.00"),
        note="limits and rules as kimi-k3",
        sources={"limits": "AY Vercel", "price": "3p"},
    ),
    _K26,
    _K27,
    replace(
        _K27,
        id="kimi-k2.7-code-highspeed",
        batch=None,  # the batch guides name kimi-k2.7-code only
        price=_usd("0.38", "1.90", "8.00", "3p (one catalog)"),
        sources={"limits": "TG", "price": "3p"},
    ),
    replace(
        _K26,
        id="kimi-k2.5",
        retiring_on=None,
        retirement_confirmed=True,
        note="",
        preserved_thinking="none",
        price=_usd("0.10", "0.60", "3.00", "official archived pricing page (PA)"),
        status="retired",
        retired_on="2026-08-31",
        replacement="kimi-k2.6",
        sources={"limits": "TS TG", "price": "PA", "status": "3p"},
    ),
    _retired_k2("kimi-k2-0905-preview", _K2_WINDOW, _usd("0.15", "0.60", "2.50", "PA"), "none"),
    _retired_k2("kimi-k2-0711-preview", 131_072, _usd("0.15", "0.60", "2.50", "PA"), "none"),
    _retired_k2("kimi-k2-turbo-preview", _K2_WINDOW, _usd("0.15", "1.15", "8.00", "3p"), "none"),
    _retired_k2("kimi-k2-thinking", _K2_WINDOW, _usd("0.15", "0.60", "2.50", "3p"), "always"),
    _retired_k2("kimi-k2-thinking-turbo", _K2_WINDOW, _usd("0.15", "1.15", "8.00", "3p"), "always"),
    ModelInfo(
        "kimi-latest",
        131_072,
        131_072,
        image_input=True,
        price=_usd("0.15", "2.00", "5.00", "3p (LL, 128k tier)"),
        status="retired",
        retired_on="2026-01-28",
        replacement="kimi-k2.6",
        sources={"status": "3p LL"},
    ),
    # A gateway alias (docs/kimi-api/gateways.md, the summary page: "kimi-k2 | 128K | 8K",
    # "¥12/1M input, ¥36/1M output"), not a Moonshot id.
    ModelInfo("kimi-k2", 131_072, 8_192, price=_cny("12", "36"), note="a gateway alias"),
    _moonshot_v1("moonshot-v1-8k", 8_192, _cny("4", "12"), False),
    _moonshot_v1("moonshot-v1-32k", 32_768, _cny("6", "18"), False),
    _moonshot_v1("moonshot-v1-128k", 131_072, _cny("14", "42"), False),
    _moonshot_v1("moonshot-v1-8k-vision-preview", 8_192, _usd(None, "0.20", "2.00", "3p"), True),
    _moonshot_v1("moonshot-v1-32k-vision-preview", 32_768, _usd(None, "1.00", "3.00", "3p"), True),
    _moonshot_v1(
        "moonshot-v1-128k-vision-preview", 131_072, _usd(None, "2.00", "5.00", "3p"), True
    ),
    _moonshot_v1("moonshot-v1-auto", 131_072, _cny("14", "42"), False),
    ModelInfo(
        "kimi-thinking-preview",
        131_072,
        131_072,
        image_input=True,
        thinking="always",
        status="retired",
        retired_on="2025-11-11",
        replacement="kimi-k2.6",
        note="404 live by 2026-06-04",
        sources={"status": "3p-live LL NL"},
    ),
]

CATALOG: dict[str, ModelInfo] = {m.id: m for m in _MODELS}


def get_model_info(model: str | None) -> ModelInfo | None:
    """The catalog entry for ``model``, or ``None`` for a model this table does not know."""
    if model is None:
        return None
    return CATALOG.get(model)


def model_traits(model: str | None, host: HostProfile | None = None) -> ModelInfo | None:
    """What the package knows of ``model`` as served by ``host``.

    On Moonshot's platform (``host.platform``, or no host) the catalog entry of that exact
    id, with Moonshot's rules (fixed sampling, ``tool_choice`` support, prices, status). On
    any other host the traits of the model's family (``hosts.model_family_id``: context,
    media, how it thinks, effort levels, json_schema), without Moonshot's platform rules: no
    fixed sampling, no price, no retirement, forced tool choices left to the host."""
    if model is None:
        return None
    if host is None or host.platform:
        return CATALOG.get(model)
    return _family_traits(model)


@lru_cache(maxsize=256)
def _family_traits(model: str) -> ModelInfo | None:
    info = CATALOG.get(model_family_id(model))
    if info is None:
        return None
    return replace(
        info,
        price=None,
        fixed_sampling={},
        status="current",
        retired_on=None,
        replacement=None,
        batch=None,
        tool_choice=NO_FORCING,
        note=f"family traits of {info.id}",
    )


def current_models() -> list[ModelInfo]:
    """The entries not known to be retired, in catalog order."""
    return [info for info in _MODELS if not info.retired]


def retirement_hint(model: str | None) -> str | None:
    """What to tell a user whose request for ``model`` answered 404, when the catalog knows
    it was retired (or is reported retiring) and what replaces it; else None."""
    info = get_model_info(model)
    if info is None or info.replacement is None:
        return None
    if info.retired:
        when = f" on {info.retired_on}" if info.retired_on else ""
        return (
            f"{model} was retired{when}: use {info.replacement} instead "
            "(client.models.list() shows the models your key can use)"
        )
    return (
        f"{model} may have been retired ({info.note or 'reported'}): try {info.replacement} "
        "(client.models.list() shows the models your key can use)"
    )


class ModelRetirementWarning(UserWarning):
    """The model chosen is retired (its requests answer 404), or Moonshot retires it within
    30 days."""


RETIREMENT_WARNING_DAYS = 30
_RETIREMENTS_WARNED: set[str] = set()


def retirement_notice(model: str | None, today: date | None = None) -> str | None:
    """What to tell a user who chose ``model`` (at construction): it was retired, or its
    retirement, confirmed by Moonshot, is less than ``RETIREMENT_WARNING_DAYS`` away; else
    None. A retirement reported only by a gateway is not announced here (``retiring_on``
    says it; a 404 or an answer from another model is explained when it happens)."""
    info = get_model_info(model)
    if info is None:
        return None
    if info.retired:
        when = f" on {info.retired_on}" if info.retired_on else ""
        instead = f": use {info.replacement}" if info.replacement else ""
        return f"{model} was retired{when} (its requests answer 404){instead}"
    if info.retiring_on is None or not info.retirement_confirmed:
        return None
    day = date.fromisoformat(info.retiring_on)
    left = (day - (today or date.today())).days
    if left > RETIREMENT_WARNING_DAYS:
        return None
    instead = f"; move to {info.replacement}" if info.replacement else ""
    return f"{model} retires on {info.retiring_on} ({max(left, 0)} days){instead}"


def switched_model_notice(requested: str | None, served: str) -> str | None:
    """What to say when ``requested`` was answered by ``served``, its replacement (the
    automatic switch of a retired model), or None when that is not what happened."""
    info = get_model_info(requested)
    if info is None or info.replacement != served:
        return None
    return (
        f"{requested} was answered by {served}: Moonshot switches calls of a retired model to "
        f"its replacement, at the replacement's price; ask for model={served!r} "
        "(it takes reasoning_effort, not thinking)"
    )


def warn_retirement(model: str | None, today: date | None = None) -> None:
    """``retirement_notice`` as one ``ModelRetirementWarning`` per model and process."""
    notice = retirement_notice(model, today)
    if notice is None or model in _RETIREMENTS_WARNED:
        return
    _RETIREMENTS_WARNED.add(model or "")
    warnings.warn(notice, ModelRetirementWarning, stacklevel=3)


def thinking_enabled(model: str | None, thinking: bool | None) -> bool:
    """Whether a request to ``model`` will think, given the user's ``thinking`` choice."""
    info = get_model_info(model)
    if info is None:
        return bool(thinking)
    return info.thinks(thinking)


def check_sampling(
    model: str | ModelInfo | None, params: Mapping[str, object], thinking: bool | None
) -> None:
    """Raise ``InvalidParameterError`` for a sampling value the model fixes to another value
    (``model``: a name, or its catalog entry when the caller has it already).

    Cheap by design (a dict lookup and a few comparisons): it runs on every request.
    """
    info = model if isinstance(model, ModelInfo) else get_model_info(model)
    if info is None or not info.fixed_sampling:
        return
    model = info.id
    thinks = info.thinks(thinking)
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


class FixedSamplingWarning(UserWarning):
    """A sampling value the model fixes was given and dropped (the model's own value
    applies); ``strict_sampling=True`` makes it an error instead."""


_WARNED: set[tuple[str, str]] = set()


def apply_fixed_sampling(
    info: ModelInfo | None,
    params: dict[str, object],
    thinking: bool | None,
    *,
    strict: bool = False,
) -> None:
    """Drop from ``params`` every sampling field ``info``'s model fixes ("do not pass it
    explicitly", Moonshot's models page, ``docs/kimi-api/models.md`` §2): chains pass
    ``temperature=0`` out of habit, and the model's own value applies anyway. A value other
    than the fixed one warns once per model and field (``FixedSamplingWarning``);
    ``strict``: it raises ``InvalidParameterError`` instead, as before."""
    if info is None or not info.fixed_sampling:
        return
    if strict:
        check_sampling(info, params, thinking)
    thinks = info.thinks(thinking)
    for name, fixed in info.fixed_sampling.items():
        if name not in params:
            continue
        value = params.pop(name)
        allowed = (fixed[0] if thinks else fixed[1]) if isinstance(fixed, tuple) else fixed
        if value is None or value == allowed or (info.id, name) in _WARNED:
            continue
        _WARNED.add((info.id, name))
        warnings.warn(
            f"{info.id} fixes {name}={allowed}: the {name}={value!r} given was not sent "
            "(pass strict_sampling=True to make this an error)",
            FixedSamplingWarning,
            stacklevel=4,
        )
