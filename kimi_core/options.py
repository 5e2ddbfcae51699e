"""``KimiOptions``: everything that configures a connection to Kimi, checked once.

Every entry point (``KimiClient``, ``AsyncKimiClient``, ``ChatKimi``, ``Kimi``,
``KimiFileLoader``, ``KimiFileReader``) resolves its keyword arguments through
``KimiOptions.resolve``, so the same argument means the same thing everywhere and every bad
value fails the same way: a ``ConfigurationError`` (a ``ValueError`` and an
``InvalidParameterError`` whose ``param`` names the option), at construction, before any
request. The clients are then built from the resolved options without checking again.

Key and base URL precedence are ``kimi_core.catalog.hosts``'s (documented in
docs/getting-started/install.md).
httpx is not imported here: an adapter resolves its options at construction without paying
for the HTTP stack, which loads with the first client.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from typing import Any, TypedDict, cast

from pydantic import SecretStr
from typing_extensions import Unpack

from .catalog.hosts import (
    DEFAULT_HOST,
    HOSTS,
    HostProfile,
    TokenProvider,
    detect_host,
    get_host,
    resolve_api_key,
    resolve_base_url,
)
from .catalog.model_info import DEFAULT_MODEL, Price
from .errors import ConfigurationError
from .limits.limiter import Limiter, RateLimits, shared_rate_limiter

__all__ = ["ConnectionSettings", "KimiOptions", "as_price"]

_UNSET: Any = object()


class ConnectionSettings(TypedDict, total=False):
    """The connection settings every entry point takes as keyword arguments (besides
    ``api_key`` and ``base_url``), documented once here."""

    gateway: str | HostProfile | None
    """Where Kimi is served: a host profile's name (``kimi_core.catalog.hosts.HOSTS``:
    ``moonshot-cn`` (default), ``moonshot-global``, ``openrouter``, ``together``,
    ``fireworks``, ``vllm``...). ``base_url`` overrides its URL; without a gateway, a base URL
    on a known host picks its profile."""
    endpoint_path: str | None
    """Cloudsway's endpoint path segment (it names the deployed model)."""
    timeout: Any
    """Seconds or an ``httpx.Timeout``; ``None``: 600 s, 10 s to connect."""
    max_retries: int
    """Retries of failed requests (default 2; what is retried: ``kimi_core.transport.retry``)."""
    retry_ambiguous: bool
    """Also retry a chat request that was sent and then lost its answer (it may have been
    billed): off by default."""
    total_timeout: float | None
    """Seconds a whole call may take, retries and a streamed answer included (None: no
    limit beyond ``timeout``'s per-operation ones)."""
    default_headers: Mapping[str, str] | None
    """Extra HTTP headers sent with every request."""
    rate_limits: RateLimits | str | Mapping[str, int | None] | Limiter | None
    """Client-side limits: a preset (``"tier1"``), a mapping, ``RateLimits`` or a limiter."""
    rate_limiter: Limiter | None
    """A ``kimi_core`` limiter object to use as given."""
    allow_insecure: bool
    """Allow a plain ``http://`` base URL that is not loopback."""
    stream_long_calls: bool
    """Stream a non-streaming call that may outlast Moonshot's 900 s gateway limit (a model
    reasoning at a high effort, a large output limit) and fold it into the same answer
    (default True)."""
    price: Price | Mapping[str, Any] | None
    """The price to report ``cost`` with where the host reports none and is not Moonshot's
    platform (whose catalog prices apply): never another host's price as the bill. A
    ``Price`` or a mapping of its fields, per million tokens: ``{"input": "1.20", "output":
    "4.50", "currency": "USD"}`` (optional ``cached_input``)."""
    http_client: Any
    """Your own ``httpx.Client`` for sync calls (used as is, never closed here)."""
    async_http_client: Any
    """Your own ``httpx.AsyncClient`` for async calls (reused across event loops)."""


@dataclass(frozen=True, eq=False, repr=False)
class KimiOptions:
    """Resolved connection settings (build with ``KimiOptions.resolve``).

    ``model`` and ``thinking`` are the defaults of the entry point that made the options
    (requests may override them); the clients themselves send whatever a request says.
    """

    api_key: SecretStr
    base_url: str
    gateway: HostProfile | None = None
    """The gateway named by the caller (None when only a base URL or nothing was given)."""
    host: HostProfile = HOSTS[DEFAULT_HOST]
    """The host profile in use: the named gateway, else the one the base URL's hostname
    identifies, else Moonshot's (``kimi_core.catalog.hosts``)."""
    token: TokenProvider | None = None
    """A callable returning the current key or token (``api_key=<callable>``), called per
    request; ``api_key`` is then empty."""
    endpoint_path: str | None = None
    timeout: Any = None
    """``None`` (600 s, 10 s to connect), seconds, or an ``httpx.Timeout``."""
    max_retries: int = 2
    retry_ambiguous: bool = False
    total_timeout: float | None = None
    default_headers: Mapping[str, str] = field(default_factory=dict)
    rate_limiter: Limiter | None = None
    allow_insecure: bool = False
    http_client: Any = None
    """A caller's ``httpx.Client`` for sync calls (used as is, never closed here)."""
    async_http_client: Any = None
    """A caller's ``httpx.AsyncClient`` for async calls (reused across event loops)."""
    model: str | None = DEFAULT_MODEL
    thinking: bool | None = None
    price: Price | None = None
    stream_long_calls: bool = True

    @classmethod
    def resolve(
        cls,
        api_key: str | SecretStr | TokenProvider | None = None,
        base_url: str | None = None,
        *,
        model: str | None = _UNSET,
        thinking: bool | None = None,
        **settings: Unpack[ConnectionSettings],
    ) -> KimiOptions:
        """Check every argument and resolve key, base URL, gateway and rate limiter."""
        _check_settings(settings, model=model, thinking=thinking)
        gateway = settings.get("gateway")
        endpoint_path = settings.get("endpoint_path")
        allow_insecure = settings.get("allow_insecure", False)
        named = get_host(gateway) if gateway is not None else None
        url = resolve_base_url(
            base_url, named, endpoint_path=endpoint_path, allow_insecure=allow_insecure
        )
        host = named or detect_host(url) or _moonshot_compatible(url)
        token = api_key if callable(api_key) else None
        key = SecretStr("") if callable(api_key) else resolve_api_key(api_key, host)
        return cls(
            api_key=key,
            base_url=url,
            gateway=named,
            host=host,
            token=token,
            endpoint_path=endpoint_path,
            timeout=settings.get("timeout"),
            max_retries=settings.get("max_retries", 2),
            retry_ambiguous=bool(settings.get("retry_ambiguous", False)),
            total_timeout=settings.get("total_timeout"),
            default_headers=dict(settings.get("default_headers") or {}),
            rate_limiter=_limiter(
                key.get_secret_value() or f"token:{id(token)}",
                settings.get("rate_limits"),
                settings.get("rate_limiter"),
                host.name,
            ),
            allow_insecure=allow_insecure,
            http_client=settings.get("http_client"),
            async_http_client=settings.get("async_http_client"),
            model=DEFAULT_MODEL if model is _UNSET else model,
            thinking=thinking,
            price=as_price(settings.get("price")),
            stream_long_calls=bool(settings.get("stream_long_calls", True)),
        )

    @property
    def model_optional(self) -> bool:
        """True on gateways whose URL names the model (Cloudsway), where ``model`` may be
        left out of a request."""
        return self.host.model_optional

    def with_http_clients(self, http_client: Any, async_http_client: Any) -> KimiOptions:
        """The same options with other caller-supplied httpx clients."""
        return replace(self, http_client=http_client, async_http_client=async_http_client)

    def __repr__(self) -> str:
        return (
            f"KimiOptions(base_url={self.base_url!r}, model={self.model!r}, "
            f"max_retries={self.max_retries}, api_key=SecretStr('**********'))"
        )


def _check_settings(
    settings: Mapping[str, Any], *, model: str | None, thinking: bool | None
) -> None:
    """One ``ConfigurationError`` naming the first bad setting (``KimiOptions.resolve``)."""
    unknown = set(settings) - set(ConnectionSettings.__annotations__)
    if unknown:
        raise ConfigurationError(
            f"unknown setting {sorted(unknown)[0]!r}; the connection settings are "
            f"{', '.join(ConnectionSettings.__annotations__)}",
            param=sorted(unknown)[0],
        )
    total_timeout = settings.get("total_timeout")
    if total_timeout is not None and (
        isinstance(total_timeout, bool)
        or not isinstance(total_timeout, int | float)
        or not total_timeout > 0
    ):
        raise ConfigurationError(
            f"total_timeout must be a positive number of seconds, got {total_timeout!r}",
            param="total_timeout",
        )
    max_retries = settings.get("max_retries", 2)
    if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
        raise ConfigurationError(
            f"max_retries must be >= 0, got {max_retries!r}", param="max_retries"
        )
    timeout = settings.get("timeout")
    if isinstance(timeout, bool) or (
        isinstance(timeout, int | float) and not timeout > 0  # also rejects NaN
    ):
        raise ConfigurationError(
            f"timeout must be a positive number of seconds, got {timeout!r}", param="timeout"
        )
    if thinking is not None and not isinstance(thinking, bool):
        raise ConfigurationError(
            f"thinking must be True, False or None, got {thinking!r}", param="thinking"
        )
    as_price(settings.get("price"))
    if model is not _UNSET and model is not None and not isinstance(model, str):
        raise ConfigurationError(f"model must be a string, got {model!r}", param="model")


_PRICE_FIELDS = ("input", "output", "currency", "cached_input", "cache_write", "cache_write_1h")


def as_price(value: Any) -> Price | None:
    """``price=`` as a ``Price``: one as given, or a mapping of its fields (amounts as
    strings or numbers, per million tokens); anything else is a ``ConfigurationError``."""
    if value is None or isinstance(value, Price):
        return value
    if not isinstance(value, Mapping):
        raise ConfigurationError(
            "price must be a kimi_core.Price or a mapping like {'input': '1.20', 'output': "
            f"'4.50', 'currency': 'USD'}}, got {type(value).__name__}",
            param="price",
        )
    unknown = sorted(set(value) - set(_PRICE_FIELDS))
    missing = [name for name in ("input", "output", "currency") if value.get(name) is None]
    if unknown or missing:
        raise ConfigurationError(
            f"price needs input, output and currency (optional: cached_input, cache_write, "
            f"cache_write_1h); got {sorted(value)}",
            param="price",
        )
    if value["currency"] not in ("USD", "CNY"):
        raise ConfigurationError(
            f"price currency must be 'USD' or 'CNY', got {value['currency']!r}", param="price"
        )
    try:
        amounts = {
            name: Decimal(str(value[name]))
            for name in _PRICE_FIELDS
            if name != "currency" and value.get(name) is not None
        }
    except InvalidOperation:
        raise ConfigurationError(
            f"price amounts must be numbers, got {dict(value)!r}", param="price"
        ) from None
    return Price(currency=value["currency"], **amounts)  # type: ignore[arg-type]


def _moonshot_compatible(url: str) -> HostProfile:
    """The profile of a base URL no profile recognises: Moonshot's dialect and platform
    rules, as every earlier release assumed (a proxy in front of Moonshot, the emulator);
    pass ``gateway=`` for anything else."""
    return HOSTS["moonshot-cn"] if ".moonshot.cn" in url else HOSTS[DEFAULT_HOST]


def _limiter(
    key: str, rate_limits: Any, rate_limiter: Limiter | None, platform: str
) -> Limiter | None:
    """The limiter given, else one for ``rate_limits``: a limiter object (e.g. a
    ``RedisRateLimiter``) is used as given; limits are shared by every client of this key in
    the process, and a tier preset is the tier of the client's platform."""
    if rate_limiter is not None or rate_limits is None:
        return rate_limiter
    if isinstance(rate_limits, RateLimits | str | Mapping):
        try:
            return shared_rate_limiter(key, rate_limits, platform)
        except (TypeError, ValueError) as exc:
            raise ConfigurationError(str(exc), param="rate_limits") from None
    return cast("Limiter", rate_limits)
