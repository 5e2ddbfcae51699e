"""Where Kimi is served, and how a client picks its base URL and key.

Precedence (documented in the README): the ``base_url`` argument, else the named ``gateway``'s
URL, else ``MOONSHOT_BASE_URL`` / ``KIMI_BASE_URL``, else Moonshot China. The key: the
``api_key`` argument, else ``MOONSHOT_API_KEY``, else ``KIMI_API_KEY``.
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

from pydantic import SecretStr

from ..errors import ConfigurationError

__all__ = [
    "GATEWAYS",
    "Dialect",
    "Gateway",
    "get_gateway",
    "redact_url",
    "resolve_api_key",
    "resolve_base_url",
]

Dialect = Literal["moonshot", "acedata", "cloudsway"]

API_KEY_ENV_VARS = ("MOONSHOT_API_KEY", "KIMI_API_KEY")
BASE_URL_ENV_VARS = ("MOONSHOT_BASE_URL", "KIMI_BASE_URL")


@dataclass(frozen=True)
class Gateway:
    """A place that serves Kimi's chat-completions API.

    ``dialect`` says how the gateway shapes errors and streamed usage; ``model_optional`` is
    true where the URL itself names the model (Cloudsway's endpoint path).
    """

    name: str
    base_url: str
    dialect: Dialect
    model_optional: bool = False
    description: str = ""

    def url(self, endpoint_path: str | None = None) -> str:
        if "{endpoint_path}" not in self.base_url:
            return self.base_url
        if not endpoint_path:
            raise ConfigurationError(
                f"gateway {self.name!r} needs endpoint_path= (the path segment your "
                f"provider gave you, as in {self.base_url})"
            )
        return self.base_url.replace("{endpoint_path}", endpoint_path.strip("/"))


GATEWAYS: dict[str, Gateway] = {
    "moonshot-cn": Gateway(
        "moonshot-cn",
        "https://api.moonshot.cn/v1",
        "moonshot",
        description="Moonshot open platform, China (platform.moonshot.cn)",
    ),
    "moonshot-global": Gateway(
        "moonshot-global",
        "https://api.moonshot.ai/v1",
        "moonshot",
        description="Moonshot open platform, global (platform.moonshot.ai)",
    ),
    # docs/kimi-api/gateways.md (Cloudsway): POST https://genaiapi.cloudsway.net/v1/ai/{endpointPath}/chat/completions;
    # the endpoint path selects the deployed model, so "model" may be omitted.
    "cloudsway": Gateway(
        "cloudsway",
        "https://genaiapi.cloudsway.net/v1/ai/{endpoint_path}",
        "cloudsway",
        model_optional=True,
        description="Cloudsway MaaS",
    ),
    # docs/kimi-api/gateways.md (AceData): POST https://api.acedata.cloud/kimi/chat/completions.
    "acedata": Gateway(
        "acedata",
        "https://api.acedata.cloud/kimi",
        "acedata",
        description="AceData Cloud",
    ),
}
_ALIASES = {
    "moonshot": "moonshot-cn",
    "moonshot-ai": "moonshot-global",
    "global": "moonshot-global",
}


def get_gateway(name: str | Gateway | None) -> Gateway:
    """Look a gateway up by name (``moonshot``/``moonshot-cn``, ``moonshot-global``,
    ``cloudsway``, ``acedata``); ``None`` means Moonshot China."""
    if isinstance(name, Gateway):
        return name
    key = _ALIASES.get(name or "moonshot", name or "moonshot")
    try:
        return GATEWAYS[key]
    except KeyError:
        known = ", ".join(sorted({*GATEWAYS, *_ALIASES}))
        raise ConfigurationError(f"unknown gateway {name!r}; known gateways: {known}") from None


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def redact_url(url: str) -> str:
    """``url`` without the credentials a base URL may carry (``https://user:pass@host``), for
    reprs and error messages."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return parts._replace(netloc=f"***@{host}").geturl()


def resolve_base_url(
    base_url: str | None = None,
    gateway: str | Gateway | None = None,
    *,
    endpoint_path: str | None = None,
    allow_insecure: bool = False,
) -> str:
    """The base URL to use, checked: https, or plain http only on loopback / when allowed."""
    if base_url:
        url = base_url
    elif gateway is not None:
        url = get_gateway(gateway).url(endpoint_path)
    else:
        url = next((os.environ[v] for v in BASE_URL_ENV_VARS if os.environ.get(v)), "")
        url = url or get_gateway(None).url()
    url = url.rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(f"base_url must be an http(s) URL, got {url!r}")
    if parts.scheme == "http" and not allow_insecure and not _is_loopback(parts.hostname):
        raise ConfigurationError(
            f"refusing plain http:// base_url {url!r}: the API key would travel unencrypted. "
            "Use https://, a loopback address, or pass allow_insecure=True."
        )
    return url


def resolve_api_key(api_key: str | SecretStr | None = None) -> SecretStr:
    """The API key from the argument or the environment; a clear error when there is none."""
    if isinstance(api_key, SecretStr):
        value = api_key.get_secret_value()
    else:
        value = api_key or next((os.environ[v] for v in API_KEY_ENV_VARS if os.environ.get(v)), "")
    if not value:
        raise ConfigurationError(
            "no Kimi API key: pass api_key=... or set the MOONSHOT_API_KEY (or KIMI_API_KEY) "
            "environment variable",
            param="api_key",
        )
    return SecretStr(value)
