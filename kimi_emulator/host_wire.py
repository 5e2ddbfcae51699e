"""The JSON bodies, SSE events, error bodies and headers of the hosts of :mod:`host_dialects`.

Shapes common to every host (OpenAI's, which they all follow; sources per host in
``docs/kimi-api/hosts.md``): ``{id, object: "chat.completion", created, model, choices:
[{index, message, logprobs: null, finish_reason}], usage}`` with ``model`` the id as the
request spelled it; the message carries the reasoning under the host's ``reasoning_out``
keys (omitted when the model did not think); streams send ``{"role": "assistant", "content":
""}`` first, reasoning then content per word, tool calls as in :mod:`wire`, a ``delta: {}``
chunk with the ``finish_reason``, then - when the request sets
``stream_options.include_usage`` or the host always sends it - a usage chunk, then
``data: [DONE]``.

Per host:

- **OpenRouter** (§1, the captures in ``tests/fixtures/captures/hosts/``): ids ``gen-<unix
  time>-<20 characters>``; ``provider`` (the upstream, ``"Moonshot AI"`` unless
  ``set_upstream``) at the top level; ``native_finish_reason`` on each choice; the message
  adds ``refusal: null``; reasoning as ``reasoning`` and ``reasoning_details: [{"type":
  "reasoning.text", "text", "format": "unknown", "index": 0}]`` (each delta carries its
  piece); tool calls carry their ``index``; a stream opens with the comment ``:
  OPENROUTER PROCESSING`` (it counts as one event for ``cut_next_stream`` and
  ``fail_mid_stream``) and always ends with a chunk holding the finish choice again plus
  ``usage``. Usage: ``cost`` in USD, ``is_byok: false``, ``prompt_tokens_details:
  {cached_tokens: 0, cache_write_tokens: 0, audio_tokens: 0, video_tokens: 0}``,
  ``cost_details`` and ``completion_tokens_details: {reasoning_tokens, image_tokens: 0,
  audio_tokens: 0}``. The emulated cost (assumed, deterministic): **$1 per million prompt
  tokens and $4 per million completion tokens** (:data:`OPENROUTER_PROMPT_USD`,
  :data:`OPENROUTER_COMPLETION_USD`), rounded to 10 decimals. Errors: OpenRouter's own
  (401, 402 out of credits, 403, 408) ``{"error": {"code": <status>, "message"}, "user_id"}``;
  everything else is the upstream's, wrapped ``{"error": {"code": <status>, "message":
  "Provider returned error", "metadata": {"raw": "<Moonshot's error JSON as a string>",
  "provider_name"}}, "user_id"}``. Mid-stream error: ``data: {<chunk head>, "error": {"code",
  "message"}, "choices": [{"index": 0, "delta": {"content": ""}, "finish_reason": "error",
  "native_finish_reason": "error"}]}``, and the stream ends (no ``[DONE]``).
- **vLLM** (§14): usage ``{prompt_tokens, total_tokens, completion_tokens,
  prompt_tokens_details: null}``; errors ``{"error": {"message", "type", "param": null,
  "code": <status>}}`` with types named after the HTTP status (``BadRequestError``,
  ``NotFoundError``, ``InternalServerError``...).
- **SGLang** (§15): usage adds ``reasoning_tokens`` at the top level; errors flat
  ``{"object": "error", "message", "type", "param": null, "code": <status>}`` (types as vLLM).
- **Baseten** (§6): usage adds ``completion_tokens_details: {reasoning_tokens}``.
- **Cloudflare** (§8): errors ``{"errors": [{"message": "AiError: <message>", "code"}],
  "success": false, "result": null}``; codes 4006 (429), 3046 (408), 5021 (413) as seen in
  the wild, the HTTP status otherwise (assumed).
- **Ollama** (§16): errors ``{"error": {"message", "type": "invalid_request_error" (400) |
  "not_found_error" (404) | "api_error", "param": null, "code": null}}``.
- **SiliconFlow** (§5): errors ``{"code": 20015 (400) | <status>, "message", "data": null}``
  (the codes are assumed).
- **DashScope** (§9, assumed): ``{"error": {"code", "param": null, "message", "type"}, "id",
  "request_id"}``.
- **Volcengine** (§10): ``{"error": {"code": "InvalidParameter" (400; others assumed),
  "message", "param": "", "type"}}``.
- the others (Together, Fireworks, DeepInfra, NVIDIA, Vertex, Azure, Bedrock): OpenAI's
  ``{"error": {"message", "type", "param": null, "code": null}}`` (assumed where §2-§13 give
  none), types ``invalid_request_error``, ``authentication_error``, ``not_found_error``,
  ``rate_limit_error``, ``server_error``...

Mid-stream errors other than OpenRouter's: ``data: <the host's error body>`` then ``data:
[DONE]`` (vLLM's documented form, assumed for the others).

Rate-limit headers while :meth:`KimiEmulator.set_limits` is in force: Together's
``x-ratelimit-limit`` / ``-remaining`` / ``-reset`` and ``x-tokenlimit-limit`` /
``-remaining`` (§2, 3p); OpenAI's ``x-ratelimit-limit-requests`` / ``-remaining-requests`` /
``-reset-requests`` (``"<n>s"``) and the same three for ``-tokens`` on the other commercial
hosts (assumed; Fireworks documents suffixed names, §3); none on OpenRouter, Cloudflare and
the self-hosted servers.
"""

from __future__ import annotations

import json
import secrets
import string
import time
import uuid
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from .host_dialects import HostDialect
from .replies import Reply
from .tokens import count_text
from .wire import DONE, StreamPlan, Usage, split_text, tool_call_deltas

__all__ = [
    "OPENROUTER_COMPLETION_USD",
    "OPENROUTER_PROMPT_USD",
    "HostAnswer",
    "host_completion_body",
    "host_error_body",
    "host_mid_stream_error",
    "host_rate_headers",
    "host_stream_plan",
    "new_host_id",
]

OPENROUTER_PROMPT_USD = 1e-6
OPENROUTER_COMPLETION_USD = 4e-6
OPENROUTER_USER = "user_emulator"
OPENROUTER_COMMENT = b": OPENROUTER PROCESSING\n\n"
_OPENROUTER_OWN = frozenset({401, 402, 403, 408})
_OPENROUTER_MESSAGES = {
    401: "No auth credentials found",
    402: "Insufficient credits. Add more using https://openrouter.ai/settings/credits",
}
_OPENAI_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "insufficient_quota",
    403: "permission_error",
    404: "not_found_error",
    408: "timeout_error",
    413: "invalid_request_error",
    422: "invalid_request_error",
    429: "rate_limit_error",
    503: "service_unavailable_error",
    504: "timeout_error",
}
_CLOUDFLARE_CODES = {429: 4006, 408: 3046, 413: 5021}
_VOLCENGINE_CODES = {
    400: ("InvalidParameter", "BadRequest"),
    401: ("AuthenticationError", "Unauthorized"),
    404: ("InvalidEndpointOrModel.NotFound", "NotFound"),
    429: ("RateLimitExceeded", "TooManyRequests"),
}
_DASHSCOPE_CODES = {
    400: "invalid_parameter_error",
    401: "invalid_api_key",
    404: "model_not_found",
    429: "limit_requests",
}
_ALPHABET = string.ascii_letters + string.digits


def new_host_id(host: HostDialect) -> str:
    if host.name == "openrouter":
        tail = "".join(secrets.choice(_ALPHABET) for _ in range(20))
        return f"gen-{int(time.time())}-{tail}"
    return "chatcmpl-" + secrets.token_hex(12)


# --------------------------------------------------------------------------- errors


def _status_type(status: int) -> str:
    """vLLM's and SGLang's error type: the HTTP status's name (``BadRequestError``)."""
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        return "InternalServerError"
    name = "".join(word.capitalize() for word in phrase.replace("-", " ").split())
    return name if name.endswith("Error") else name + "Error"


def _openai_type(status: int) -> str:
    return _OPENAI_TYPES.get(status, "server_error" if status >= 500 else "invalid_request_error")


def host_error_body(
    host: HostDialect,
    status: int,
    message: str,
    *,
    error_type: str | None = None,
    moonshot_type: str = "invalid_request_error",
    upstream: str | None = None,
) -> Any:
    """The host's error body (module docstring); ``error_type`` overrides the type the
    status gives; ``moonshot_type`` is the upstream's type inside OpenRouter's ``raw``;
    ``upstream`` None: an error of OpenRouter's own (not wrapped)."""
    style = host.errors
    if style == "openrouter":
        return _openrouter_error(status, message, moonshot_type, upstream)
    if style == "cloudflare":
        code = _CLOUDFLARE_CODES.get(status, status)
        return {
            "errors": [{"message": f"AiError: {message}", "code": code}],
            "success": False,
            "result": None,
        }
    if style == "siliconflow":
        return {"code": 20015 if status == 400 else status, "message": message, "data": None}
    if style in ("vllm", "sglang"):
        inner = {
            "message": message,
            "type": error_type or _status_type(status),
            "param": None,
            "code": status,
        }
        return {"object": "error", **inner} if style == "sglang" else {"error": inner}
    if style == "ollama":
        kind = {400: "invalid_request_error", 404: "not_found_error"}.get(status, "api_error")
        return {
            "error": {"message": message, "type": error_type or kind, "param": None, "code": None}
        }
    if style == "volcengine":
        ark_code, ark_type = _VOLCENGINE_CODES.get(
            status, ("InternalServiceError", "InternalServerError")
        )
        return {"error": {"code": ark_code, "message": message, "param": "", "type": ark_type}}
    kind = error_type or _openai_type(status)
    if style == "dashscope":
        return {
            "error": {
                "code": _DASHSCOPE_CODES.get(status, "internal_error"),
                "param": None,
                "message": message,
                "type": kind,
            },
            "id": "chatcmpl-" + secrets.token_hex(12),
            "request_id": str(uuid.uuid4()),
        }
    return {"error": {"message": message, "type": kind, "param": None, "code": None}}


def _openrouter_error(
    status: int, message: str, moonshot_type: str, upstream: str | None
) -> dict[str, Any]:
    if status in _OPENROUTER_OWN or upstream is None:
        return {"error": {"code": status, "message": message}, "user_id": OPENROUTER_USER}
    raw = json.dumps(
        {"error": {"message": message, "type": moonshot_type}},
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return {
        "error": {
            "code": status,
            "message": "Provider returned error",
            "metadata": {"raw": raw, "provider_name": upstream},
        },
        "user_id": OPENROUTER_USER,
    }


def host_default_message(host: HostDialect, status: int, fallback: str) -> str:
    """The message of a bare ``fail_next(status)`` on ``host`` (OpenRouter's own texts for
    401 and 402; the Moonshot default otherwise)."""
    if host.errors == "openrouter" and status in _OPENROUTER_MESSAGES:
        return _OPENROUTER_MESSAGES[status]
    return fallback


def host_rate_headers(
    host: HostDialect, moonshot: dict[str, str], tokens_left: int | None, tpm: int | None
) -> dict[str, str]:
    """The host's rate-limit headers made from the limiter's (``x-ratelimit-limit`` /
    ``-remaining`` / ``-reset``, present while an RPM limit is set) and the TPM state;
    ``retry-after`` is kept."""
    headers = {k: v for k, v in moonshot.items() if k == "retry-after"}
    limit, left = moonshot.get("x-ratelimit-limit"), moonshot.get("x-ratelimit-remaining")
    reset = moonshot.get("x-ratelimit-reset", "60")
    if host.rate_headers == "together":
        if limit is not None and left is not None:
            headers.update(
                {
                    "x-ratelimit-limit": limit,
                    "x-ratelimit-remaining": left,
                    "x-ratelimit-reset": reset,
                }
            )
        if tpm is not None and tokens_left is not None:
            headers.update(
                {"x-tokenlimit-limit": str(tpm), "x-tokenlimit-remaining": str(tokens_left)}
            )
    elif host.rate_headers == "openai":
        if limit is not None and left is not None:
            headers.update(
                {
                    "x-ratelimit-limit-requests": limit,
                    "x-ratelimit-remaining-requests": left,
                    "x-ratelimit-reset-requests": f"{reset}s",
                }
            )
        if tpm is not None and tokens_left is not None:
            headers.update(
                {
                    "x-ratelimit-limit-tokens": str(tpm),
                    "x-ratelimit-remaining-tokens": str(tokens_left),
                    "x-ratelimit-reset-tokens": f"{reset}s",
                }
            )
    return headers


# --------------------------------------------------------------------------- answers


@dataclass(frozen=True)
class HostAnswer:
    """What the answer of one request says besides the reply: its id, time, model (as
    asked), the OpenRouter upstream, and whether reasoning is left out (OpenRouter's
    ``reasoning.exclude``)."""

    host: HostDialect
    completion_id: str
    created: int
    model: str
    upstream: str | None = None
    hide_reasoning: bool = False


def _usage(answer: HostAnswer, usage: Usage, reasoning_tokens: int) -> dict[str, Any]:
    body: dict[str, Any] = {
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "total_tokens": usage.total_tokens,
    }
    style = answer.host.usage
    if style == "openrouter":
        prompt_cost = round(usage.prompt_tokens * OPENROUTER_PROMPT_USD, 10)
        completion_cost = round(usage.completion_tokens * OPENROUTER_COMPLETION_USD, 10)
        cost = round(prompt_cost + completion_cost, 10)
        body.update(
            {
                "cost": cost,
                "is_byok": False,
                "prompt_tokens_details": {
                    "cached_tokens": usage.cached_tokens or 0,
                    "cache_write_tokens": usage.cache_write_tokens or 0,
                    "audio_tokens": 0,
                    "video_tokens": 0,
                },
                "cost_details": {
                    "upstream_inference_cost": cost,
                    "upstream_inference_prompt_cost": prompt_cost,
                    "upstream_inference_completions_cost": completion_cost,
                },
                "completion_tokens_details": {
                    "reasoning_tokens": reasoning_tokens,
                    "image_tokens": 0,
                    "audio_tokens": 0,
                },
            }
        )
    elif style == "sglang":
        body["prompt_tokens_details"] = None
        body["reasoning_tokens"] = reasoning_tokens
    elif style == "baseten":
        body["completion_tokens_details"] = {"reasoning_tokens": reasoning_tokens}
    elif style == "vllm":
        body["prompt_tokens_details"] = None
    return body


def _reasoning_fields(host: HostDialect, text: str) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for key in host.reasoning_out:
        if key == "reasoning_details":
            fields[key] = [
                {"type": "reasoning.text", "text": text, "format": "unknown", "index": 0}
            ]
        else:
            fields[key] = text
    return fields


def _tool_calls(answer: HostAnswer, reply: Reply) -> list[dict[str, Any]]:
    calls = []
    for i, call in enumerate(reply.tool_calls):
        body: dict[str, Any] = {
            "id": call.id,
            "type": call.type,
            "function": {"name": call.name, "arguments": call.arguments},
        }
        if answer.host.name == "openrouter":
            body["index"] = i
        calls.append(body)
    return calls


def _message(answer: HostAnswer, reply: Reply) -> dict[str, Any]:
    calls = _tool_calls(answer, reply)
    content = reply.content if (reply.content or not calls) else None
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if answer.host.name == "openrouter":
        message["refusal"] = None
    if reply.reasoning is not None and not answer.hide_reasoning:
        message.update(_reasoning_fields(answer.host, reply.reasoning))
    if calls:
        message["tool_calls"] = calls
    return message


def _choice(
    answer: HostAnswer, index: int, key: str, value: Any, finish: str | None
) -> dict[str, Any]:
    choice: dict[str, Any] = {"index": index, key: value, "logprobs": None, "finish_reason": finish}
    if answer.host.name == "openrouter":
        choice["native_finish_reason"] = finish
    return choice


def _head(answer: HostAnswer, kind: str) -> dict[str, Any]:
    head: dict[str, Any] = {
        "id": answer.completion_id,
        "object": kind,
        "created": answer.created,
        "model": answer.model,
    }
    if answer.upstream is not None:
        head["provider"] = answer.upstream
    return head


def _reasoning_tokens(reply: Reply, n: int) -> int:
    return count_text(reply.reasoning or "") * n


def host_completion_body(
    answer: HostAnswer, reply: Reply, usage: Usage, n: int = 1
) -> dict[str, Any]:
    """A non-streaming ``chat.completion`` body in the host's shape."""
    message = _message(answer, reply)
    body = _head(answer, "chat.completion")
    body["system_fingerprint"] = None
    body["choices"] = [
        _choice(answer, i, "message", message, reply.finish_reason) for i in range(n)
    ]
    body["usage"] = _usage(answer, usage, _reasoning_tokens(reply, n))
    return body


# --------------------------------------------------------------------------- streams


def _deltas(answer: HostAnswer, reply: Reply) -> list[dict[str, Any]]:
    deltas: list[dict[str, Any]] = [{"role": "assistant", "content": ""}]
    if not answer.hide_reasoning:
        for piece in split_text(reply.reasoning or ""):
            deltas.append(_reasoning_fields(answer.host, piece))
    for piece in split_text(reply.content):
        deltas.append({"content": piece})
    deltas.extend(tool_call_deltas(reply.tool_calls))
    return deltas


def _event(body: dict[str, Any]) -> bytes:
    return (
        b"data: " + json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode() + b"\n\n"
    )


def host_stream_plan(
    answer: HostAnswer, reply: Reply, usage: Usage, *, n: int = 1, include_usage: bool = False
) -> StreamPlan:
    """Every event of a streamed answer in the host's shape (module docstring)."""
    host = answer.host
    chunk = _head(answer, "chat.completion.chunk")
    deltas = _deltas(answer, reply)
    events: list[bytes] = [OPENROUTER_COMMENT] if host.name == "openrouter" else []
    finish_at = -1
    for i in range(n):
        for delta in deltas:
            events.append(_event({**chunk, "choices": [_choice(answer, i, "delta", delta, None)]}))
        if finish_at < 0:
            finish_at = len(events)
        final = _choice(answer, i, "delta", {}, reply.finish_reason)
        events.append(_event({**chunk, "choices": [final]}))
    if host.stream_usage_always or include_usage:
        usage_json = _usage(answer, usage, _reasoning_tokens(reply, n))
        if host.name == "openrouter":
            last = _choice(answer, 0, "delta", {"content": "", "role": "assistant"}, None)
            last["finish_reason"] = last["native_finish_reason"] = reply.finish_reason
            events.append(_event({**chunk, "choices": [last], "usage": usage_json}))
        else:
            events.append(_event({**chunk, "choices": [], "usage": usage_json}))
    events.append(DONE)
    return StreamPlan(events, finish_at)


def host_mid_stream_error(
    answer: HostAnswer, status: int, message: str, code: str | int | None
) -> list[bytes]:
    """The events that end a stream with an error (module docstring)."""
    host = answer.host
    if host.name == "openrouter":
        chunk = _head(answer, "chat.completion.chunk")
        choice = {
            "index": 0,
            "delta": {"content": ""},
            "finish_reason": "error",
            "native_finish_reason": "error",
        }
        error = {"code": code if code is not None else "server_error", "message": message}
        return [_event({**chunk, "error": error, "choices": [choice]})]
    body = host_error_body(
        host, status, message, moonshot_type="server_error", upstream=answer.upstream
    )
    return [b"data: " + json.dumps(body, ensure_ascii=False).encode() + b"\n\n", DONE]
