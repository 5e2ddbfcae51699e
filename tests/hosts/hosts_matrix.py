"""What every host is expected to receive and give back through the adapters (issue 24).

The expectations are written out here, host by host, from ``docs/kimi-api/hosts.md`` (and
the issue's list), not read from ``kimi_core.catalog.hosts``: a profile that drifts from them
fails the matrix. Only the list of hosts comes from the core (``HOSTS``), so a host added
there without a row here fails too (``test_every_host_has_a_row``).
"""

from __future__ import annotations

from typing import Any

from kimi_core.catalog.hosts import HOSTS
from kimi_core.catalog.prices import cost_for

KEY = "sk-hosts-matrix"
HOST_NAMES = list(HOSTS)
PLATFORM = ("moonshot-cn", "moonshot-global", "cloudsway", "acedata")

# Each host's own spelling of a Kimi model (hosts.md, "Kimi ids").
MODELS = {
    "moonshot-cn": "kimi-k2.6",
    "moonshot-global": "kimi-k2.6",
    "cloudsway": "kimi-k2.6",
    "acedata": "kimi-k2.6",
    "openrouter": "moonshotai/kimi-k2.6",
    "together": "moonshotai/Kimi-K2.6",
    "fireworks": "accounts/fireworks/models/kimi-k2p6",
    "deepinfra": "moonshotai/Kimi-K2.6",
    "siliconflow": "Pro/moonshotai/Kimi-K2.6",
    "baseten": "moonshotai/Kimi-K2.6",
    "nvidia": "moonshotai/kimi-k2.6",
    "cloudflare": "@cf/moonshotai/kimi-k2.6",
    "dashscope": "kimi-k2.6",
    "volcengine": "kimi-k2-5-260127",
    "vertex": "moonshotai/kimi-k2-thinking-maas",
    "azure": "Kimi-K2.6",
    "bedrock": "moonshotai.kimi-k2.5",
    "vllm": "moonshotai/Kimi-K2.6",
    "sglang": "moonshotai/Kimi-K2.6",
    "ollama": "kimi-k2.6:cloud",
}

# Every request field a host's thinking switch and effort may use.
THINKING_KEYS = (
    "thinking",
    "reasoning",
    "reasoning_effort",
    "enable_thinking",
    "chat_template_args",
    "chat_template_kwargs",
    "reasoning_history",
    "preserve_thinking",
)

_MOONSHOT_ON = {"thinking": {"type": "enabled"}}
_MOONSHOT_OFF = {"thinking": {"type": "disabled"}}
_KWARGS_ON = {"chat_template_kwargs": {"thinking": True}}
_KWARGS_OFF = {"chat_template_kwargs": {"thinking": False}}

# thinking=True: the host's fields ({}: the host's default already thinks, nothing to send).
ON: dict[str, dict[str, Any]] = {
    **dict.fromkeys(PLATFORM, _MOONSHOT_ON),
    "openrouter": {"reasoning": {"enabled": True}},
    "together": {"reasoning": {"enabled": True}},
    "fireworks": {},
    "deepinfra": {"reasoning": {"enabled": True}},
    "siliconflow": {"enable_thinking": True},
    "baseten": {"chat_template_args": {"enable_thinking": True}},
    "nvidia": _KWARGS_ON,
    "cloudflare": _KWARGS_ON,
    "dashscope": {"enable_thinking": True},
    "volcengine": _MOONSHOT_ON,
    "vertex": {},  # kimi-k2-thinking always thinks
    "azure": {},  # no switch; the model's default thinks
    "bedrock": {"reasoning_effort": "high"},  # off by default: the effort turns it on
    "vllm": _KWARGS_ON,
    "sglang": _KWARGS_ON,
    "ollama": {},
}
# thinking=False: the host's fields, or the start of the refusal's message (no switch).
OFF: dict[str, dict[str, Any] | str] = {
    **dict.fromkeys(PLATFORM, _MOONSHOT_OFF),
    "openrouter": {"reasoning": {"enabled": False}},
    "together": {"reasoning": {"enabled": False}},
    "fireworks": {"reasoning_effort": "none"},
    "deepinfra": {"reasoning_effort": "none"},
    "siliconflow": {"enable_thinking": False},
    "baseten": {"chat_template_args": {"enable_thinking": False}},
    "nvidia": _KWARGS_OFF,
    "cloudflare": _KWARGS_OFF,
    "dashscope": {"enable_thinking": False},
    "volcengine": _MOONSHOT_OFF,
    "vertex": "kimi-k2-thinking always thinks",
    "azure": "gateway 'azure' has no switch to turn thinking off",
    "bedrock": {},  # off by default and no "none" listed: nothing to send
    "vllm": _KWARGS_OFF,
    "sglang": _KWARGS_OFF,
    "ollama": {"reasoning_effort": "none"},
}
# reasoning_effort=...: (model, value, the host's fields), or the refusal at construction.
_K3 = ("kimi-k3", "low", {"reasoning_effort": "low"})
EFFORT: dict[str, tuple[str | None, str, dict[str, Any]] | str] = {
    **dict.fromkeys(PLATFORM, _K3),
    "openrouter": (None, "medium", {"reasoning": {"effort": "medium"}}),
    "together": (None, "medium", {"reasoning_effort": "medium"}),
    "fireworks": (None, "medium", {"reasoning_effort": "medium"}),
    "deepinfra": (None, "medium", {"reasoning_effort": "medium"}),
    "siliconflow": "gateway 'siliconflow' takes no reasoning_effort",
    "baseten": "gateway 'baseten' takes no reasoning_effort",
    "nvidia": (None, "medium", {"reasoning_effort": "medium"}),
    "cloudflare": (None, "medium", {"reasoning_effort": "medium"}),
    "dashscope": "gateway 'dashscope' takes no reasoning_effort",
    "volcengine": (None, "minimal", {"reasoning_effort": "minimal"}),
    "vertex": "gateway 'vertex' takes no reasoning_effort",
    "azure": (None, "high", {"reasoning_effort": "high"}),
    "bedrock": (None, "medium", {"reasoning_effort": "medium"}),
    "vllm": (None, "medium", {"reasoning_effort": "medium"}),
    "sglang": (None, "medium", {"reasoning_effort": "medium"}),
    "ollama": (None, "medium", {"reasoning_effort": "medium"}),
}
# Sent with every request whatever the call says (DashScope's pages disagree on its default).
ALWAYS: dict[str, dict[str, Any]] = {"dashscope": {"enable_thinking": True}}

# The keys a replayed tool-call turn carries its reasoning under, the way each host reads it.
_BOTH = {"reasoning", "reasoning_content"}
REPLAY_KEYS: dict[str, set[str]] = {
    **{name: {"reasoning_content"} for name in HOST_NAMES},
    "openrouter": {"reasoning_content", "reasoning_details"},
    "together": _BOTH,
    "nvidia": _BOTH,
    "bedrock": _BOTH,
    "vllm": _BOTH,
    "sglang": _BOTH,
    "ollama": {"reasoning"},
}
# Hosts whose streams carry usage only when asked: stream_options.include_usage is sent.
STREAM_OPTIONS = {name for name in HOST_NAMES if name not in PLATFORM}

# Hosts that send no rate-limit headers (hosts.md: none documented / self-hosted servers).
NO_RATE_HEADERS = {"openrouter", "cloudflare", "vllm", "sglang", "ollama"}

# Hostnames that pick each host by themselves (the self-hosted ones have none).
DETECT_URLS = {
    "moonshot-cn": "https://api.moonshot.cn/v1",
    "moonshot-global": "https://api.moonshot.ai/v1",
    "cloudsway": "https://genaiapi.cloudsway.net/v1/ai/abc123",
    "acedata": "https://api.acedata.cloud/kimi",
    "openrouter": "https://openrouter.ai/api/v1",
    "together": "https://api.together.xyz/v1",
    "fireworks": "https://api.fireworks.ai/inference/v1",
    "deepinfra": "https://api.deepinfra.com/v1/openai",
    "siliconflow": "https://api.siliconflow.cn/v1",
    "baseten": "https://inference.baseten.co/v1",
    "nvidia": "https://integrate.api.nvidia.com/v1",
    "cloudflare": "https://api.cloudflare.com/client/v4/accounts/acc/ai/v1",
    "dashscope": "https://dashscope-intl.aliyuncs.com/compatible-mode/v1",
    "volcengine": "https://ark.ap-southeast.bytepluses.com/api/v3",
    "vertex": "https://us-east5-aiplatform.googleapis.com/v1/projects/p/locations/us-east5/"
    "endpoints/openapi",
    "azure": "https://res.openai.azure.com/openai/v1?api-version=2024-10-21",
    "bedrock": "https://bedrock-mantle.us-east-1.api.aws/v1",
    "ollama": "https://ollama.com/v1",
}

# One scripted answer: its text, reasoning, usage; and a tool call.
TEXT = "Bonjour tout le monde, voici la suite"
THOUGHT = "Because I can."
USAGE = {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18}
CALL = {"name": "get_weather", "arguments": {"city": "Paris"}, "id": "get_weather:0"}
HOST_MESSAGE = "the host says no"
INTERRUPTION = "upstream connection lost"
# OpenRouter's documented prices of the emulator's upstream: $1 / $4 per million tokens.
OPENROUTER_COST = 11 * 1e-6 + 7 * 4e-6


# A family that always keeps earlier reasoning (kimi-k3), as some hosts spell it: every
# earlier assistant turn goes back with its reasoning, not only tool-call turns.
PRESERVING = {
    "moonshot-global": "kimi-k3",
    "openrouter": "moonshotai/kimi-k3",
    "fireworks": "accounts/fireworks/models/kimi-k3",
    "vllm": "moonshotai/Kimi-K3",
    "ollama": "kimi-k3:cloud",
}


def thinking_fields(body: dict[str, Any]) -> dict[str, Any]:
    """The thinking-related fields of a recorded request body."""
    return {key: body[key] for key in THINKING_KEYS if key in body}


def settings(name: str, emu: Any, **extra: Any) -> dict[str, Any]:
    """An adapter's keyword arguments for ``name``, served by ``emu``."""
    values: dict[str, Any] = {
        "model": MODELS[name],
        "gateway": name,
        "base_url": emu.base_url,
        "api_key": KEY,
        "max_retries": 0,
    }
    if name == "cloudsway":
        values["endpoint_path"] = "kimi-k2.6"
    values.update(extra)
    return values


def expected_cost(name: str) -> dict[str, Any] | None:
    """``cost`` as the adapters report it for ``USAGE`` on ``name``: Moonshot's catalog
    price on Moonshot's own endpoints, the reported cost on OpenRouter, else none."""
    if name in ("moonshot-cn", "moonshot-global"):
        cost = cost_for(USAGE, MODELS[name], MODELS[name])
        assert cost is not None
        return cost.as_dict()
    if name == "openrouter":
        return {"amount": OPENROUTER_COST, "currency": "USD"}
    return None


def chat_requests(emu: Any) -> list[Any]:
    return [r for r in emu.requests if r.path.endswith("/chat/completions")]
