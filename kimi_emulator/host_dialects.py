"""The server side of every host that serves Kimi, as data: one :class:`HostDialect` per host.

``KimiEmulator(dialect=NAME)`` speaks the dialect of the host profile ``NAME`` of
``kimi_core.catalog.hosts.HOSTS`` (``moonshot-cn`` and ``moonshot-global`` are Moonshot's own
API: the ``moonshot`` dialect). Each entry below says what that host's *server* does, with the
section of ``docs/kimi-api/hosts.md`` that gives its sources (``assumed`` marks a value no
source gives; the emulator then accepts what the server may do). The client side of the same
hosts (what ``kimi_core`` sends) is ``kimi_core.catalog.hosts``.

Fields:

- ``base_path``: the path of the host's base URL, placeholders filled with the emulator's
  own values (Cloudflare's account ``emulator-account``, Vertex's project
  ``emulator-project``), so ``emu.base_url`` is a URL the client's profile would build.
- ``auth``: the header the key travels in (Azure's ``api-key``; else ``Authorization:
  Bearer``).
- ``thinking``: how the server reads thinking on/off and the effort from *its* fields (the
  readers are in :mod:`host_requests`); ``thinking_default``: whether a model that can switch
  thinks when the request says nothing (Baseten and Bedrock: off); ``kwarg_keys``: the
  ``chat_template_kwargs`` keys read; ``effort_off``: effort values that turn thinking off;
  ``effort_values``: the values the server refuses anything outside of (Ollama 400,
  DeepInfra 422), ``None``: any. Moonshot's ``thinking: {"type": ...}`` object is read only by
  Volcengine's ``moonshot`` style: every other host ignores it.
- ``reasoning_out``: where reasoning comes out, in answers and stream deltas;
  ``reasoning_in``: the keys of a replayed assistant message the server reads its reasoning
  from, first found wins (vLLM reads only ``reasoning``: a ``reasoning_content`` is dropped).
- ``stream_usage_always``: a stream ends with usage whether or not the request sets
  ``stream_options.include_usage`` (OpenRouter); else only when it does.
- ``usage``: the usage block's extras (:mod:`host_wire`); ``errors``: the error body's shape;
  ``rate_headers``: the rate-limit headers sent while ``set_limits`` is in force.
- ``ignored``: request fields the server does not read (Ollama: ``tool_choice``,
  ``max_completion_tokens``); ``stop_cap``; ``one_token_field``: ``max_tokens`` and
  ``max_completion_tokens`` together refused; ``replay_required``: a tool-call turn replayed
  without ``reasoning_content`` while thinking is refused; ``strict_messages``: unknown
  message fields refused (Azure); ``data_images_only``: image parts must be ``data:`` URLs;
  ``rejects_disabling_always``: turning off an always-thinking model is a 400.

Moonshot's platform rules (fixed sampling, its ``tool_choice`` 400s, the MFJS schema checks,
its tool-name pattern and 128-tool cap, exact model ids, retirement) apply on none of these
hosts: a host's model id is mapped to its Kimi family with
``kimi_core.catalog.hosts.model_family_id``, forced ``tool_choice`` and ``json_schema`` are
accepted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = [
    "ALL_DIALECTS",
    "HOST_DIALECTS",
    "MOONSHOT_ALIASES",
    "OPENROUTER_UPSTREAM",
    "HostDialect",
    "canonical_dialect",
]

ThinkingReader = Literal[
    "openrouter",
    "together",
    "fireworks",
    "deepinfra",
    "enable_thinking",
    "chat_template_args",
    "chat_template_kwargs",
    "effort_only",
    "moonshot",
    "none",
]
ErrorStyle = Literal[
    "openai",
    "openrouter",
    "cloudflare",
    "sglang",
    "vllm",
    "ollama",
    "siliconflow",
    "dashscope",
    "volcengine",
]
UsageStyle = Literal["plain", "openrouter", "sglang", "baseten", "vllm"]

OPENROUTER_UPSTREAM = "Moonshot AI"
"""The upstream OpenRouter routes Kimi to by default (``set_upstream`` changes it)."""


@dataclass(frozen=True)
class HostDialect:
    """What one host's server does (module docstring)."""

    name: str
    base_path: str
    source: str
    thinking: ThinkingReader
    thinking_default: bool = True
    kwarg_keys: tuple[str, ...] = ("thinking",)
    effort_off: tuple[str, ...] = ("none",)
    effort_values: tuple[str, ...] | None = None
    reasoning_out: tuple[str, ...] = ("reasoning_content",)
    reasoning_in: tuple[str, ...] = ("reasoning_content",)
    stream_usage_always: bool = False
    usage: UsageStyle = "plain"
    errors: ErrorStyle = "openai"
    rate_headers: Literal["openai", "together"] | None = "openai"
    auth: Literal["authorization", "api-key"] = "authorization"
    ignored: tuple[str, ...] = ()
    stop_cap: int | None = None
    one_token_field: bool = False
    replay_required: bool = False
    strict_messages: bool = False
    data_images_only: bool = False
    rejects_disabling_always: bool = False


_REASONING = ("reasoning",)
_BOTH_IN = ("reasoning_content", "reasoning")

HOST_DIALECTS: dict[str, HostDialect] = {
    host.name: host
    for host in (
        HostDialect(
            "openrouter",
            "/api/v1",
            "§1 OpenRouter: reasoning/reasoning_details out; usage with cost always on the "
            "last chunk; errors with metadata {raw, provider_name}; mid-stream error with "
            "finish_reason 'error'; no rate-limit headers documented",
            "openrouter",
            reasoning_out=("reasoning", "reasoning_details"),
            reasoning_in=("reasoning_content", "reasoning", "reasoning_details"),
            stream_usage_always=True,
            usage="openrouter",
            errors="openrouter",
            rate_headers=None,
        ),
        HostDialect(
            "together",
            "/v1",
            "§2 Together: reasoning {enabled} (chat_template_kwargs as the compatibility form); "
            "reasoning out; x-ratelimit-* and x-tokenlimit-* headers (3p); errors assumed "
            "OpenAI-like; replay keys assumed",
            "together",
            kwarg_keys=("thinking", "enable_thinking"),
            reasoning_out=_REASONING,
            reasoning_in=("reasoning", "reasoning_content"),
            rate_headers="together",
        ),
        HostDialect(
            "fireworks",
            "/inference/v1",
            "§3 Fireworks: reasoning_effort 'none' off (or false); reasoning_content; stop "
            "<= 4; max_tokens and max_completion_tokens never both; stream usage only when "
            "asked (the LangChain report; Vercel's disagrees)",
            "fireworks",
            stop_cap=4,
            one_token_field=True,
        ),
        HostDialect(
            "deepinfra",
            "/v1/openai",
            "§4 DeepInfra: reasoning_effort none/low/medium/high (+xhigh) or reasoning "
            "{effort, enabled}; reasoning_content; FastAPI 422 detail on validation (assumed)",
            "deepinfra",
            effort_values=("none", "low", "medium", "high", "xhigh"),
        ),
        HostDialect(
            "siliconflow",
            "/v1",
            "§5 SiliconFlow: enable_thinking (default true); reasoning_content required on "
            "tool-call turns while thinking (3p-live); errors {code, message, data}",
            "enable_thinking",
            errors="siliconflow",
            replay_required=True,
        ),
        HostDialect(
            "baseten",
            "/v1",
            "§6 Baseten: chat_template_args.enable_thinking, thinking opt-in (off by default); "
            "reasoning_content; completion_tokens_details.reasoning_tokens",
            "chat_template_args",
            thinking_default=False,
            usage="baseten",
        ),
        HostDialect(
            "nvidia",
            "/v1",
            "§7 NVIDIA: chat_template_kwargs thinking / enable_thinking, reasoning_effort "
            "'none' off (assumed); reasoning_content out, both keys read back (assumed)",
            "chat_template_kwargs",
            kwarg_keys=("thinking", "enable_thinking"),
            reasoning_in=_BOTH_IN,
        ),
        HostDialect(
            "cloudflare",
            "/client/v4/accounts/emulator-account/ai/v1",
            "§8 Cloudflare: chat_template_kwargs.thinking, effort low/medium/high; "
            "reasoning_content; v4 error envelope {errors, success, result}",
            "chat_template_kwargs",
            effort_off=(),
            errors="cloudflare",
            rate_headers=None,
        ),
        HostDialect(
            "dashscope",
            "/compatible-mode/v1",
            "§9 DashScope: enable_thinking (the page disagrees on the default: on, assumed); "
            "reasoning_content; stream usage only with stream_options; errors with id and "
            "request_id (assumed)",
            "enable_thinking",
            errors="dashscope",
        ),
        HostDialect(
            "volcengine",
            "/api/v3",
            "§10 Volcengine: Moonshot-style thinking {type} and reasoning_effort; an "
            "always-thinking model refuses both switches with 400 InvalidParameter (3p-live)",
            "moonshot",
            errors="volcengine",
            rejects_disabling_always=True,
        ),
        HostDialect(
            "vertex",
            "/v1/projects/emulator-project/locations/global/endpoints/openapi",
            "§11 Vertex: no thinking switch (always on for kimi-k2-thinking-maas); "
            "reasoning_content; errors assumed OpenAI-like",
            "none",
        ),
        HostDialect(
            "azure",
            "/openai/v1",
            "§12 Azure: api-key header; no thinking switch; unknown message fields refused "
            "'Extra inputs are not permitted' (3p-live; a FastAPI 422 assumed)",
            "none",
            auth="api-key",
            strict_messages=True,
        ),
        HostDialect(
            "bedrock",
            "/v1",
            "§13 Bedrock (Mantle): reasoning_effort turns thinking on, off by default; "
            "reasoning out (3p-live)",
            "effort_only",
            thinking_default=False,
            reasoning_out=_REASONING,
            reasoning_in=("reasoning", "reasoning_content"),
        ),
        HostDialect(
            "vllm",
            "/v1",
            "§14 vLLM: only chat_template_kwargs.thinking; reasoning out; only 'reasoning' "
            "read back (reasoning_content dropped); errors {error: {message, type, param, "
            "code}}; stream error event then [DONE]",
            "chat_template_kwargs",
            effort_off=(),
            reasoning_out=_REASONING,
            reasoning_in=_REASONING,
            usage="vllm",
            errors="vllm",
            rate_headers=None,
        ),
        HostDialect(
            "sglang",
            "/v1",
            "§15 SGLang: chat_template_kwargs.thinking, reasoning_effort 'none' off; "
            "reasoning_content only (a 'reasoning' key is ignored); usage.reasoning_tokens; "
            "flat {object: 'error', ...} errors",
            "chat_template_kwargs",
            usage="sglang",
            errors="sglang",
            rate_headers=None,
        ),
        HostDialect(
            "ollama",
            "/v1",
            "§16 Ollama: reasoning_effort (or reasoning.effort) high/medium/low/none(/max), "
            "other values 400; reasoning in and out; tool_choice and max_completion_tokens "
            "not read; data: images only",
            "effort_only",
            effort_values=("high", "medium", "low", "none", "max"),
            reasoning_out=_REASONING,
            reasoning_in=_REASONING,
            errors="ollama",
            rate_headers=None,
            ignored=("tool_choice", "max_completion_tokens"),
            data_images_only=True,
        ),
    )
}

MOONSHOT_ALIASES = ("moonshot-cn", "moonshot-global")
"""Moonshot's two endpoints: the ``moonshot`` dialect."""

ALL_DIALECTS: tuple[str, ...] = (
    "moonshot",
    "acedata",
    "cloudsway",
    *MOONSHOT_ALIASES,
    *HOST_DIALECTS,
)


def canonical_dialect(name: str) -> str:
    """The dialect ``name`` is served in: Moonshot's endpoints are ``moonshot``; a name that
    is not one of :data:`ALL_DIALECTS` is a ``ValueError`` listing them."""
    if name in MOONSHOT_ALIASES:
        return "moonshot"
    if name not in ALL_DIALECTS:
        raise ValueError(f"unknown dialect {name!r}; use one of {', '.join(ALL_DIALECTS)}")
    return name
