"""Where Kimi is served: one profile per host, and how a client picks its URL, key and host.

Kimi's weights are open, so Moonshot's API is one host among many (OpenRouter, Together,
Fireworks, cloud model gardens, self-hosted vLLM / SGLang...). A ``HostProfile`` says, as
data, everything that differs between them (``docs/kimi-api/hosts.md`` gives the public
source of each value and how sure it is):

- where it is: default base URL, the hostnames that identify it (``base_url`` alone picks
  the profile), how it authenticates (``Authorization: Bearer`` or Azure's ``api-key``);
- how model ids look there (``family``: vendor prefixes, ``k2p6`` spellings, ``:cloud``);
- its dialect: how thinking, effort and preserved thinking are expressed
  (``thinking_style``, ``effort_values``, ``thinking_default``), where reasoning must be sent
  back (``reasoning_back``, ``reasoning_details``), the token-limit field, the stop cap,
  whether streams need ``stream_options.include_usage``, whether forced ``tool_choice`` and
  ``json_schema`` are native, whether reasoning may come inline as ``<think>``, whether it
  reports the call's cost, whether it refuses unknown fields;
- ``platform``: Moonshot's own API rules apply (exact model ids, fixed sampling values, its
  ``tool_choice`` 400s, its retirement dates): Moonshot's two endpoints, the gateways that
  relay its API (Cloudsway, AceData), and a base URL no profile recognises (assumed to be a
  proxy in front of Moonshot: the behaviour of every earlier release);
  ``catalog_prices``: Moonshot's prices are the bill (its own endpoints only).

Precedence (docs/guides/hosts.md): the ``base_url`` argument, else the named
``gateway``'s URL, else ``MOONSHOT_BASE_URL`` / ``KIMI_BASE_URL`` / ``MOONSHOT_API_BASE``,
else Moonshot's global endpoint. The host: the named ``gateway``, else the profile whose
hostnames match the base URL, else Moonshot's. The key: the ``api_key`` argument (a string,
a ``SecretStr`` or a zero-argument callable returning the current token), else
``MOONSHOT_API_KEY``, else ``KIMI_API_KEY``.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urlsplit

from pydantic import SecretStr

from ..errors import ConfigurationError

__all__ = [
    "DEFAULT_HOST",
    "GATEWAYS",
    "HOSTS",
    "Dialect",
    "Gateway",
    "HostProfile",
    "ThinkingStyle",
    "TokenProvider",
    "detect_host",
    "get_gateway",
    "get_host",
    "model_family_id",
    "redact_url",
    "resolve_api_key",
    "resolve_base_url",
]

Dialect = str
"""The wire dialect of a host (its profile's ``name`` for the hosts added in late 2026;
``"moonshot"``, ``"acedata"``, ``"cloudsway"`` for the first three)."""

ThinkingStyle = Literal[
    "moonshot",
    "openrouter",
    "together",
    "fireworks",
    "deepinfra",
    "enable_thinking",
    "chat_template_args",
    "chat_template_kwargs",
    "effort_only",
    "none",
]
"""How a host takes ``thinking`` / ``reasoning_effort`` / ``preserve_thinking``
(``kimi_core.chat.thinking`` maps them): ``moonshot``: ``thinking: {"type": ...}`` and a
top-level ``reasoning_effort`` (also Volcengine, Cloudsway, AceData); ``openrouter``:
``reasoning: {"enabled", "effort"}``; ``together``: ``reasoning: {"enabled"}`` plus
``reasoning_effort``; ``fireworks``: ``reasoning_effort`` with ``"none"`` to turn thinking off
and ``reasoning_history`` to keep it; ``deepinfra``: ``reasoning_effort`` (``"none"`` off)
and ``reasoning: {"enabled": true}``; ``enable_thinking``: a top-level boolean (DashScope,
SiliconFlow); ``chat_template_args``: Baseten's ``{"enable_thinking"}``;
``chat_template_kwargs``: ``{"thinking": bool}`` for the Kimi chat template (vLLM, SGLang,
NVIDIA, Cloudflare), effort top-level; ``effort_only``: ``reasoning_effort`` alone (Ollama,
Bedrock); ``none``: the host takes no thinking switch (Azure, Vertex)."""

TokenProvider = Callable[[], str]
"""A zero-argument callable returning the current API key or access token (Vertex's OAuth
tokens expire after about an hour): called for every request, it refreshes as it needs."""

API_KEY_ENV_VARS = ("MOONSHOT_API_KEY", "KIMI_API_KEY")
BASE_URL_ENV_VARS = ("MOONSHOT_BASE_URL", "KIMI_BASE_URL", "MOONSHOT_API_BASE")
"""Read in this order; ``MOONSHOT_API_BASE`` is the name other Moonshot clients (LiteLLM) read."""


@dataclass(frozen=True)
class HostProfile:
    """A place that serves Kimi's chat-completions API, and its dialect (module docstring).

    ``base_url`` may hold ``{placeholders}`` the user fills by passing ``base_url=`` (their
    account, project or resource), or ``{endpoint_path}`` (Cloudsway, from
    ``endpoint_path=``); None for self-hosted servers (``base_url=`` required).
    """

    name: str
    base_url: str | None
    dialect: Dialect = ""
    model_optional: bool = False
    description: str = ""
    hostnames: tuple[str, ...] = ()
    path_hint: str | None = None
    """A path fragment the base URL must also contain to pick this profile (Cloudflare)."""
    auth_header: Literal["Authorization", "api-key"] = "Authorization"
    platform: bool = False
    catalog_prices: bool = False
    """The catalog's prices are the bill (Moonshot's own endpoints only); elsewhere the cost
    is the host's reported one (``reports_cost``), the user's ``price``, or unknown."""
    thinking_style: ThinkingStyle = "moonshot"
    thinking_default: bool | None = None
    """Whether a toggle model thinks when the request says nothing (None: the model's own
    default; False on Baseten, where thinking is opt-in)."""
    always_send_thinking: bool = False
    """Send the thinking switch even when the user left it unset (DashScope, whose pages
    disagree on the default): the model's default, explicitly."""
    effort_values: tuple[str, ...] | None = None
    """The ``reasoning_effort`` values the host takes (None: the model's levels from the
    catalog, as on Moonshot; ``()``: no effort on this host)."""
    preserve: bool = False
    """The host has a field that keeps earlier reasoning (``preserve_thinking=True``)."""
    reasoning_back: tuple[str, ...] = ("reasoning_content",)
    """The keys a replayed assistant message carries its reasoning under."""
    reasoning_details: bool = False
    """Replay the answer's ``reasoning_details`` list unchanged (OpenRouter)."""
    token_field: Literal["max_tokens", "max_completion_tokens"] = "max_tokens"
    stop_cap: int | None = None
    stream_usage: bool = False
    """Send ``stream_options: {"include_usage": true}``: the stream carries no usage without."""
    tool_choice_native: bool | None = None
    """Forced ``tool_choice`` (``"required"``, a named function) sent as is (True), always
    rewritten to ``"auto"`` plus a prompt line (False), or per the catalog (None: Moonshot)."""
    json_schema_native: bool | None = None
    """``response_format: json_schema`` sent as is (True), as JSON mode plus the schema in a
    prompt (False), or per the catalog (None)."""
    inline_think: bool = False
    """Reasoning may arrive inline as ``<think>...</think>`` in the content (a server run
    without a reasoning parser): split out."""
    reports_cost: bool = False
    strict_fields: bool = False
    """The host refuses unknown fields ("Extra inputs are not permitted"): send only
    standard ones."""
    key_env: tuple[str, ...] = ()
    """Environment variables holding this host's key, read before ``MOONSHOT_API_KEY``."""
    docs: str = ""
    """The section of ``docs/kimi-api/hosts.md`` with this profile's sources."""
    aliases: tuple[str, ...] = field(default=(), compare=False)

    def __post_init__(self) -> None:
        if not self.dialect:
            object.__setattr__(self, "dialect", self.name)

    def url(self, endpoint_path: str | None = None) -> str:
        """The default base URL; the placeholders must come from the user."""
        if self.base_url is None:
            raise ConfigurationError(
                f"gateway {self.name!r} is self-hosted: pass base_url= (your server's "
                "address, e.g. http://localhost:8000/v1)",
                param="base_url",
            )
        if "{endpoint_path}" in self.base_url:
            if not endpoint_path:
                raise ConfigurationError(
                    f"gateway {self.name!r} needs endpoint_path= (the path segment your "
                    f"provider gave you, as in {self.base_url})",
                    param="endpoint_path",
                )
            return self.base_url.replace("{endpoint_path}", endpoint_path.strip("/"))
        if "{" in self.base_url:
            raise ConfigurationError(
                f"gateway {self.name!r} needs base_url= with your own values filled in: "
                f"{self.base_url}",
                param="base_url",
            )
        return self.base_url

    def matches(self, hostname: str, path: str) -> bool:
        """Whether a base URL with this hostname and path belongs to this host."""
        if self.path_hint is not None and self.path_hint not in path:
            return False
        for host in self.hostnames:
            if host.startswith("*-"):  # a regional prefix: us-east5-aiplatform.googleapis.com
                if hostname.endswith(host[1:]):
                    return True
            elif hostname == host or hostname.endswith("." + host):
                return True
        return False


Gateway = HostProfile
"""The name earlier releases used for a host profile."""

_SELF_HOSTED_BACK = ("reasoning", "reasoning_content")

HOSTS: dict[str, HostProfile] = {
    profile.name: profile
    for profile in (
        HostProfile(
            "moonshot-cn",
            "https://api.moonshot.cn/v1",
            "moonshot",
            description="Moonshot open platform, China (platform.moonshot.cn)",
            hostnames=("api.moonshot.cn",),
            platform=True,
            catalog_prices=True,
            token_field="max_completion_tokens",
            stop_cap=5,
            docs="moonshot",
        ),
        HostProfile(
            "moonshot-global",
            "https://api.moonshot.ai/v1",
            "moonshot",
            description="Moonshot open platform, global (platform.moonshot.ai / platform.kimi.ai)",
            hostnames=("api.moonshot.ai",),
            platform=True,
            catalog_prices=True,
            token_field="max_completion_tokens",
            stop_cap=5,
            docs="moonshot",
        ),
        # docs/kimi-api/gateways.md (Cloudsway): POST https://genaiapi.cloudsway.net/v1/ai/
        # {endpointPath}/chat/completions; the endpoint path selects the deployed model.
        HostProfile(
            "cloudsway",
            "https://genaiapi.cloudsway.net/v1/ai/{endpoint_path}",
            "cloudsway",
            model_optional=True,
            description="Cloudsway MaaS",
            hostnames=("genaiapi.cloudsway.net",),
            platform=True,
            stop_cap=4,
            docs="gateways",
        ),
        # docs/kimi-api/gateways.md (AceData): POST https://api.acedata.cloud/kimi/chat/completions.
        HostProfile(
            "acedata",
            "https://api.acedata.cloud/kimi",
            "acedata",
            description="AceData Cloud",
            hostnames=("api.acedata.cloud",),
            platform=True,
            stop_cap=5,
            docs="gateways",
        ),
        HostProfile(
            "openrouter",
            "https://openrouter.ai/api/v1",
            description="OpenRouter",
            hostnames=("openrouter.ai",),
            thinking_style="openrouter",
            effort_values=("xhigh", "high", "medium", "low", "minimal", "none"),
            reasoning_back=("reasoning_content",),
            reasoning_details=True,
            stream_usage=True,
            tool_choice_native=True,
            json_schema_native=True,
            reports_cost=True,
            key_env=("OPENROUTER_API_KEY",),
            docs="openrouter",
        ),
        HostProfile(
            "together",
            "https://api.together.xyz/v1",
            description="Together AI",
            hostnames=("api.together.xyz", "api.together.ai"),
            thinking_style="together",
            effort_values=("low", "medium", "high"),
            reasoning_back=("reasoning", "reasoning_content"),
            stream_usage=True,
            tool_choice_native=True,
            json_schema_native=True,
            key_env=("TOGETHER_API_KEY",),
            docs="together",
        ),
        HostProfile(
            "fireworks",
            "https://api.fireworks.ai/inference/v1",
            description="Fireworks AI",
            hostnames=("api.fireworks.ai",),
            thinking_style="fireworks",
            effort_values=("low", "medium", "high", "none"),
            preserve=True,
            stop_cap=4,
            stream_usage=True,
            tool_choice_native=True,
            json_schema_native=True,
            key_env=("FIREWORKS_API_KEY",),
            docs="fireworks",
        ),
        HostProfile(
            "deepinfra",
            "https://api.deepinfra.com/v1/openai",
            description="DeepInfra",
            hostnames=("api.deepinfra.com",),
            thinking_style="deepinfra",
            effort_values=("none", "low", "medium", "high", "xhigh"),
            stream_usage=True,
            tool_choice_native=True,
            json_schema_native=True,
            key_env=("DEEPINFRA_API_KEY",),
            docs="deepinfra",
        ),
        HostProfile(
            "siliconflow",
            "https://api.siliconflow.com/v1",
            description="SiliconFlow (global; China: https://api.siliconflow.cn/v1)",
            hostnames=("api.siliconflow.com", "api.siliconflow.cn"),
            thinking_style="enable_thinking",
            effort_values=(),
            stream_usage=True,
            json_schema_native=True,
            key_env=("SILICONFLOW_API_KEY",),
            docs="siliconflow",
        ),
        HostProfile(
            "baseten",
            "https://inference.baseten.co/v1",
            description="Baseten Model APIs",
            hostnames=("inference.baseten.co",),
            thinking_style="chat_template_args",
            thinking_default=False,
            effort_values=(),
            stream_usage=True,
            json_schema_native=True,
            key_env=("BASETEN_API_KEY",),
            docs="baseten",
        ),
        HostProfile(
            "nvidia",
            "https://integrate.api.nvidia.com/v1",
            description="NVIDIA API catalog (build.nvidia.com) and NIM",
            hostnames=("integrate.api.nvidia.com",),
            thinking_style="chat_template_kwargs",
            effort_values=("none", "minimal", "low", "medium", "high", "xhigh", "max"),
            reasoning_back=_SELF_HOSTED_BACK,
            stream_usage=True,
            json_schema_native=True,
            inline_think=True,
            key_env=("NVIDIA_API_KEY",),
            docs="nvidia",
        ),
        HostProfile(
            "cloudflare",
            "https://api.cloudflare.com/client/v4/accounts/{account_id}/ai/v1",
            description="Cloudflare Workers AI",
            hostnames=("api.cloudflare.com",),
            path_hint="/ai/",
            thinking_style="chat_template_kwargs",
            effort_values=("low", "medium", "high"),
            token_field="max_completion_tokens",
            stream_usage=True,
            json_schema_native=True,
            key_env=("CLOUDFLARE_API_TOKEN",),
            docs="cloudflare",
        ),
        HostProfile(
            "dashscope",
            "https://dashscope.aliyuncs.com/compatible-mode/v1",
            description="Alibaba Cloud Model Studio (DashScope / Bailian)",
            hostnames=("dashscope.aliyuncs.com", "dashscope-intl.aliyuncs.com"),
            thinking_style="enable_thinking",
            always_send_thinking=True,
            effort_values=(),
            preserve=True,
            stream_usage=True,
            # Alibaba-hosted Kimi: no structured output (docs/kimi-api/hosts.md §9).
            json_schema_native=False,
            key_env=("DASHSCOPE_API_KEY",),
            docs="dashscope",
        ),
        HostProfile(
            "volcengine",
            "https://ark.cn-beijing.volces.com/api/v3",
            description="Volcengine Ark (BytePlus ModelArk abroad)",
            hostnames=("volces.com", "bytepluses.com"),
            thinking_style="moonshot",
            effort_values=("minimal", "low", "medium", "high"),
            stream_usage=True,
            tool_choice_native=True,
            json_schema_native=True,
            key_env=("ARK_API_KEY",),
            docs="volcengine",
        ),
        HostProfile(
            "vertex",
            "https://aiplatform.googleapis.com/v1/projects/{project}/locations/global/"
            "endpoints/openapi",
            description="Google Vertex AI Model Garden (MaaS); api_key: a token callable",
            hostnames=("aiplatform.googleapis.com", "*-aiplatform.googleapis.com"),
            thinking_style="none",
            effort_values=(),
            stream_usage=True,
            json_schema_native=True,
            inline_think=True,
            docs="vertex",
        ),
        HostProfile(
            "azure",
            "https://{resource}.openai.azure.com/openai/v1",
            description="Azure AI Foundry",
            hostnames=("openai.azure.com", "services.ai.azure.com", "cognitiveservices.azure.com"),
            auth_header="api-key",
            thinking_style="none",
            effort_values=("low", "high", "max"),
            token_field="max_completion_tokens",
            stream_usage=True,
            json_schema_native=True,
            strict_fields=True,
            key_env=("AZURE_API_KEY", "AZURE_OPENAI_API_KEY"),
            docs="azure",
        ),
        HostProfile(
            "bedrock",
            "https://bedrock-mantle.{region}.api.aws/v1",
            description="Amazon Bedrock, OpenAI-compatible (Mantle) endpoint",
            hostnames=("api.aws",),
            thinking_style="effort_only",
            thinking_default=False,
            effort_values=("low", "medium", "high"),
            reasoning_back=_SELF_HOSTED_BACK,
            stream_usage=True,
            tool_choice_native=True,
            json_schema_native=True,
            key_env=("AWS_BEARER_TOKEN_BEDROCK",),
            docs="bedrock",
        ),
        HostProfile(
            "vllm",
            None,
            description="self-hosted vLLM (kimi_k2 reasoning and tool-call parsers)",
            thinking_style="chat_template_kwargs",
            reasoning_back=_SELF_HOSTED_BACK,
            token_field="max_completion_tokens",
            stream_usage=True,
            tool_choice_native=True,
            json_schema_native=True,
            inline_think=True,
            docs="vllm",
        ),
        HostProfile(
            "sglang",
            None,
            description="self-hosted SGLang (kimi_k2 reasoning and tool-call parsers)",
            thinking_style="chat_template_kwargs",
            effort_values=("none", "minimal", "low", "medium", "high", "xhigh", "max"),
            reasoning_back=_SELF_HOSTED_BACK,
            token_field="max_completion_tokens",
            stream_usage=True,
            tool_choice_native=True,
            json_schema_native=True,
            inline_think=True,
            docs="sglang",
        ),
        HostProfile(
            "ollama",
            "http://localhost:11434/v1",
            description="Ollama (local; Ollama's cloud: https://ollama.com/v1)",
            hostnames=("ollama.com",),
            thinking_style="effort_only",
            effort_values=("high", "medium", "low", "none", "max"),
            reasoning_back=("reasoning",),
            stream_usage=True,
            tool_choice_native=False,
            json_schema_native=True,
            inline_think=True,
            key_env=("OLLAMA_API_KEY",),
            docs="ollama",
        ),
    )
}
GATEWAYS = HOSTS
"""The name earlier releases used for the host table."""

# The endpoint used when nothing names one (docs/getting-started/install.md; CHANGELOG.md).
DEFAULT_HOST = "moonshot-global"
_ALIASES = {
    "moonshot": "moonshot-cn",
    "moonshot-ai": "moonshot-global",
    "global": "moonshot-global",
    "kimi": "moonshot-global",
    "alibaba": "dashscope",
    "bailian": "dashscope",
    "ark": "volcengine",
    "byteplus": "volcengine",
    "workers-ai": "cloudflare",
    "azure-ai": "azure",
    "google": "vertex",
    "vertex-ai": "vertex",
    "nim": "nvidia",
}
_NOT_SUPPORTED = {
    "bedrock-converse": (
        "Amazon Bedrock's Converse API (SigV4 signing) is not supported: use Bedrock's "
        "OpenAI-compatible endpoint with gateway='bedrock' and a Bedrock API key "
        "(base_url='https://bedrock-mantle.<region>.api.aws/v1')"
    ),
}


def get_host(name: str | HostProfile | None) -> HostProfile:
    """Look a host profile up by its name (``HOSTS``) or an alias; ``None`` means the default
    endpoint, Moonshot's global platform (as in Moonshot's own client; ``"moonshot"`` stays
    the alias of ``"moonshot-cn"`` it always was). An unknown name is a
    ``ConfigurationError`` listing the known ones."""
    if isinstance(name, HostProfile):
        return name
    if name is None:
        return HOSTS[DEFAULT_HOST]
    key = _ALIASES.get(name, name)
    if key in _NOT_SUPPORTED:
        raise ConfigurationError(_NOT_SUPPORTED[key], param="gateway")
    try:
        return HOSTS[key]
    except KeyError:
        known = ", ".join(sorted({*HOSTS, *_ALIASES}))
        raise ConfigurationError(
            f"unknown gateway {name!r}; known gateways: {known}", param="gateway"
        ) from None


get_gateway = get_host
"""The name earlier releases used for ``get_host``."""


def detect_host(base_url: str) -> HostProfile | None:
    """The profile whose hostnames match ``base_url`` (``https://openrouter.ai/api/v1`` is
    OpenRouter), or None. A Bedrock Converse URL is a ``ConfigurationError``."""
    parts = urlsplit(base_url)
    hostname = (parts.hostname or "").lower()
    if hostname.startswith("bedrock-runtime.") and "/model/" in parts.path:
        raise ConfigurationError(_NOT_SUPPORTED["bedrock-converse"], param="base_url")
    for profile in HOSTS.values():
        if profile.matches(hostname, parts.path):
            return profile
    return None


# -- model ids: a host's spelling to the Kimi family ------------------------------------------

_PREFIXES = (
    "accounts/fireworks/models/",
    "accounts/fireworks/routers/",
    "@cf/moonshotai/",
    "pro/moonshotai/",
    "moonshotai/",
    "moonshot/",
    "kimi/",
    "global.moonshotai.",
    "moonshotai.",
    "moonshot.",
    "fw-",
)
_SUFFIX = re.compile(r"(:[a-z0-9_.-]+|-maas|-tee|-fast|-turbo)$")
_DATE = re.compile(r"(-\d{8}|-\d{6})$")
_DOTTED_DATE = re.compile(r"^(kimi-k\d\.\d.*?)-\d{4}$")
_SPELLINGS = (
    (re.compile(r"k(\d)p(\d)"), r"k\1.\2"),
    (re.compile(r"k(\d)_(\d)"), r"k\1.\2"),
    (re.compile(r"^kimi-k2-([5-9])$"), r"kimi-k2.\1"),
)


_FAMILY_ALIASES = {
    "kimi-k2-instruct": "kimi-k2",
    "kimi-k2-instruct-0905": "kimi-k2",
    "kimi-k2-instruct-0711": "kimi-k2",
    "kimi-k2-0905": "kimi-k2",
    "kimi-k2-0711": "kimi-k2",
    "moonshot-kimi-k2-instruct": "kimi-k2",
}


def model_family_id(model: str) -> str:
    """``model`` as a host spells it, reduced to Moonshot's own id of its family
    (``accounts/fireworks/models/kimi-k2p6`` -> ``kimi-k2.6``; rules in
    ``docs/kimi-api/hosts.md``, "Model ids"). Ids of other families come back lower-cased
    and without the host's decorations; the catalog decides whether it knows them."""
    name = model.strip().lstrip("~").lower()
    changed = True
    while changed:
        changed = False
        for prefix in _PREFIXES:
            if name.startswith(prefix):
                name = name[len(prefix) :]
                changed = True
    while True:
        stripped = _SUFFIX.sub("", name)
        if stripped == name or not stripped:
            break
        name = stripped
    name = _DATE.sub("", name)
    name = _DOTTED_DATE.sub(r"\1", name)
    for pattern, replacement in _SPELLINGS:
        name = pattern.sub(replacement, name)
    return _FAMILY_ALIASES.get(name, name)


# -- URLs and keys ---------------------------------------------------------------------------


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
    gateway: str | HostProfile | None = None,
    *,
    endpoint_path: str | None = None,
    allow_insecure: bool = False,
) -> str:
    """The base URL to use, checked: https, or plain http only on loopback / when allowed.
    A query string (Azure's ``?api-version=``) is kept; the request paths go before it."""
    if base_url:
        url = base_url
    elif gateway is not None:
        url = get_host(gateway).url(endpoint_path)
    else:
        url = next((os.environ[v] for v in BASE_URL_ENV_VARS if os.environ.get(v)), "")
        url = url or get_host(None).url()
    parts = urlsplit(url.strip())
    url = parts._replace(path=parts.path.rstrip("/")).geturl()
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(f"base_url must be an http(s) URL, got {url!r}", param="base_url")
    if parts.scheme == "http" and not allow_insecure and not _is_loopback(parts.hostname):
        raise ConfigurationError(
            f"refusing plain http:// base_url {url!r}: the API key would travel unencrypted. "
            "Use https://, a loopback address, or pass allow_insecure=True.",
            param="base_url",
        )
    return url


def resolve_api_key(
    api_key: str | SecretStr | None = None, host: HostProfile | None = None
) -> SecretStr:
    """The API key from the argument or the environment (the host's own variables first,
    e.g. ``OPENROUTER_API_KEY``); a clear error when there is none. (A token callable is
    ``KimiOptions``' business: it is called per request.)"""
    names = (*(host.key_env if host is not None else ()), *API_KEY_ENV_VARS)
    if isinstance(api_key, SecretStr):
        value = api_key.get_secret_value()
    else:
        value = api_key or next((os.environ[v] for v in names if os.environ.get(v)), "")
    if not value:
        raise ConfigurationError(
            "no API key: pass api_key=... (a key, or a callable returning the current token) "
            f"or set one of these environment variables: {', '.join(names)}",
            param="api_key",
        )
    return SecretStr(value)
