"""The JSON bodies and SSE events of each dialect.

Shapes, with their sources:

- **moonshot** (Moonshot's docs, docs/kimi-api/chat.md): message ``{role, content,
  reasoning_content?, tool_calls?}``, usage ``{prompt_tokens, completion_tokens, total_tokens,
  cached_tokens?, prompt_tokens_details?: {cached_tokens, cache_write_tokens}}``
  (``cached_tokens`` top-level when scripted or read from the simulated prompt cache;
  ``prompt_tokens_details`` when that cache read or wrote tokens, :mod:`prompt_cache`).
  Stream: the last chunk has ``delta: {}``, ``finish_reason`` and ``usage`` *inside*
  ``choices[0]``; an extra ``{"choices": [], "usage"}`` chunk only when the request sets
  ``stream_options.include_usage`` (OpenAI convention; assumed, not confirmed for Moonshot).
  Errors ``{"error": {"message", "type"}}``; headers ``Msh-Request-Id`` and ``x-trace-id`` on
  every response (``app.py``).
- **acedata** (tests/fixtures/captures/acedata_*, real captures): ids ``chatcmpl-<16 hex>``;
  message adds ``refusal: null``, ``reasoning`` (a copy of ``reasoning_content``) and
  ``tool_calls: []``; choices carry ``logprobs: null``; usage adds ``prompt_tokens_details:
  {cached_tokens_details: {}}`` and ``completion_tokens_details: {}``. Stream chunks carry
  ``system_fingerprint: null`` and ``usage: null``, deltas duplicate reasoning as ``reasoning``,
  ``finish_reason`` rides on the last delta, then ``{"choices": [], "usage": {...}}``. JSON
  printed with ``", "`` / ``": "`` separators like the capture. Errors ``{"success": false,
  "error": {"code", "message"}, "trace_id"}``; the gateway's own codes
  (docs/kimi-api/gateways.md) replace Moonshot's types for auth (``invalid_token``), rate limits
  (``too_many_requests``) and 500 (``api_error``); other errors pass Moonshot's type through as
  ``code`` (assumed).
- **cloudsway** (tests/fixtures/captures/cloudsway_*, non-streaming): message adds
  ``function_call: null``, ``reasoning_details: null`` and ``tool_calls: null`` when empty;
  choices add ``native_finish_reason: null``; usage adds ``completion_tokens_details: null`` and
  ``prompt_tokens_details: {audio_tokens: 0, cached_tokens: N}``. Its stream and error shapes
  are not in the captures: assumed OpenAI/LiteLLM-like (final chunk with ``delta: {}`` and
  ``finish_reason``, then a ``{"choices": [], "usage"}`` chunk; errors like Moonshot's).

All dialects: the first chunk's delta is ``{"role": "assistant", "content": ""}`` (``role``
only there), reasoning then content are split per word (at most 64 chunks each), each tool
call sends ``{index, id, type, function: {name, arguments: ""}}`` then argument fragments
``{index, function: {arguments}}`` (16+ characters each, at most 32), then ``data: [DONE]``.
"""

from __future__ import annotations

import json
import re
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kimi_core.catalog.hosts import Dialect

from .logprobs import token_logprobs
from .replies import Reply, ToolCall
from .tokens import count_completion

__all__ = [
    "DONE",
    "Dialect",
    "StreamPlan",
    "Usage",
    "completion_body",
    "compute_usage",
    "default_error",
    "dumps",
    "error_body",
    "new_completion_id",
    "stream_plan",
]

DIALECTS: tuple[Dialect, ...] = ("moonshot", "acedata", "cloudsway")
DONE = b"data: [DONE]\n\n"
MAX_TEXT_PIECES = 64
MAX_ARG_PIECES = 32

_ACEDATA_CODES = {
    "invalid_authentication_error": "invalid_token",
    "rate_limit_reached_error": "too_many_requests",
    "server_error": "api_error",
}

_DEFAULT_ERRORS: dict[int, tuple[str, str]] = {
    400: ("invalid_request_error", "Invalid request"),
    401: ("invalid_authentication_error", "Invalid Authentication"),
    403: ("permission_denied_error", "Permission denied"),
    404: ("resource_not_found_error", "Not found"),
    429: (
        "rate_limit_reached_error",
        "Organization Rate limit exceeded, please try again after 1 seconds",
    ),
    500: ("server_error", "Internal server error"),
    503: ("server_unavailable", "The server is temporarily unavailable, please try again later"),
}


def dumps(obj: Any, dialect: Dialect) -> bytes:
    if dialect == "acedata":
        return json.dumps(obj, ensure_ascii=False).encode("utf-8")
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def new_completion_id(dialect: Dialect) -> str:
    return "chatcmpl-" + secrets.token_hex(8 if dialect == "acedata" else 12)


def default_error(status: int) -> tuple[str, str]:
    """The Moonshot ``(type, message)`` used for a bare ``fail_next(status)``."""
    if status in _DEFAULT_ERRORS:
        return _DEFAULT_ERRORS[status]
    if status >= 500:
        return "server_error", "Internal server error"
    return "invalid_request_error", f"HTTP {status}"


def error_body(
    dialect: Dialect, type_: str, message: str, *, map_code: bool = True
) -> dict[str, Any]:
    """The dialect's error body; ``map_code`` turns Moonshot types into AceData's own codes."""
    if dialect == "acedata":
        code = _ACEDATA_CODES.get(type_, type_) if map_code else type_
        return {
            "success": False,
            "error": {"code": code, "message": message},
            "trace_id": str(uuid.uuid4()),
        }
    return {"error": {"message": message, "type": type_}}


# --------------------------------------------------------------------------- usage


@dataclass(frozen=True)
class Usage:
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int
    cached_tokens: int | None = None
    cache_write_tokens: int | None = None
    """Set by Moonshot's simulated prompt cache (:mod:`prompt_cache`)."""


def compute_usage(prompt_tokens: int, reply: Reply, n: int = 1) -> Usage:
    """Usage by :mod:`tokens`, overridden by the fields a script gave."""
    calls = [(c.name, c.arguments) for c in reply.tool_calls]
    completion = count_completion(reply.content, reply.reasoning, calls) * n
    override: Mapping[str, int] = reply.usage or {}
    prompt = int(override.get("prompt_tokens", prompt_tokens))
    completion = int(override.get("completion_tokens", completion))
    total = int(override.get("total_tokens", prompt + completion))
    cached = override.get("cached_tokens")
    return Usage(prompt, completion, total, None if cached is None else int(cached))


def usage_body(dialect: Dialect, usage: Usage) -> dict[str, Any]:
    body: dict[str, Any] = {
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "total_tokens": usage.total_tokens,
    }
    if dialect == "moonshot":
        if usage.cached_tokens is not None:
            body["cached_tokens"] = usage.cached_tokens
        if usage.cache_write_tokens is not None:
            body["prompt_tokens_details"] = {
                "cached_tokens": usage.cached_tokens or 0,
                "cache_write_tokens": usage.cache_write_tokens,
            }
    elif dialect == "acedata":
        details: dict[str, Any] = {"cached_tokens_details": {}}
        if usage.cached_tokens is not None:
            details["cached_tokens"] = usage.cached_tokens
        body["prompt_tokens_details"] = details
        body["completion_tokens_details"] = {}
    else:
        body["completion_tokens_details"] = None
        body["prompt_tokens_details"] = {
            "audio_tokens": 0,
            "cached_tokens": usage.cached_tokens or 0,
        }
    return body


# --------------------------------------------------------------------------- non-streaming


def _tool_call_body(call: ToolCall) -> dict[str, Any]:
    return {
        "id": call.id,
        "type": call.type,
        "function": {"arguments": call.arguments, "name": call.name},
    }


def _message(dialect: Dialect, reply: Reply) -> dict[str, Any]:
    calls = [_tool_call_body(c) for c in reply.tool_calls]
    if dialect == "moonshot":
        message: dict[str, Any] = {"role": "assistant", "content": reply.content}
        if reply.reasoning is not None:
            message["reasoning_content"] = reply.reasoning
        if calls:
            message["tool_calls"] = calls
        return message
    content: str | None = reply.content if (reply.content or not calls) else None
    if dialect == "acedata":
        return {
            "role": "assistant",
            "content": content,
            "refusal": None,
            "reasoning_content": reply.reasoning,
            "reasoning": reply.reasoning,
            "tool_calls": calls,
        }
    return {
        "role": "assistant",
        "content": content,
        "reasoning_content": reply.reasoning,
        "function_call": None,
        "tool_calls": calls or None,
        "reasoning_details": None,
    }


def completion_body(
    dialect: Dialect,
    completion_id: str,
    created: int,
    model: str,
    reply: Reply,
    usage: Usage,
    n: int = 1,
    top_logprobs: int | None = None,
) -> dict[str, Any]:
    """A non-streaming ``chat.completion`` body (``top_logprobs``: log probabilities asked
    for, :mod:`logprobs`)."""
    message = _message(dialect, reply)
    logprobs = None
    if top_logprobs is not None:
        logprobs = {"content": token_logprobs(split_text(reply.content), top_logprobs)}
    choices: list[dict[str, Any]] = []
    for i in range(n):
        if dialect == "moonshot":
            choice: dict[str, Any] = {
                "index": i,
                "message": message,
                "finish_reason": reply.finish_reason,
            }
            if logprobs is not None:
                choice["logprobs"] = logprobs
        elif dialect == "acedata":
            choice = {
                "index": i,
                "message": message,
                "logprobs": logprobs,
                "finish_reason": reply.finish_reason,
            }
        else:
            choice = {
                "index": i,
                "logprobs": logprobs,
                "message": message,
                "finish_reason": reply.finish_reason,
                "native_finish_reason": None,
            }
        choices.append(choice)
    body: dict[str, Any] = {
        "id": completion_id,
        "object": "chat.completion",
        "created": created,
        "model": model,
        "choices": choices,
    }
    if dialect == "cloudsway":
        body["system_fingerprint"] = None
    body["usage"] = usage_body(dialect, usage)
    return body


# --------------------------------------------------------------------------- streaming

_WORD_BOUNDARY = re.compile(r"(?<=\s)(?=\S)")


def split_text(text: str, max_pieces: int = MAX_TEXT_PIECES) -> list[str]:
    """Per-word pieces (whitespace kept) whose concatenation is ``text``; at most ``max_pieces``."""
    if not text:
        return []
    pieces = _WORD_BOUNDARY.split(text)
    if len(pieces) <= max_pieces:
        return pieces
    size = -(-len(pieces) // max_pieces)
    return ["".join(pieces[i : i + size]) for i in range(0, len(pieces), size)]


def split_arguments(arguments: str) -> list[str]:
    if not arguments:
        return []
    size = max(16, -(-len(arguments) // MAX_ARG_PIECES))
    return [arguments[i : i + size] for i in range(0, len(arguments), size)]


@dataclass
class StreamPlan:
    """SSE events of one streamed answer; ``events[finish_at:]`` carry or follow a finish."""

    events: list[bytes]
    finish_at: int


def _deltas(dialect: Dialect, reply: Reply) -> list[dict[str, Any]]:
    deltas: list[dict[str, Any]] = [{"role": "assistant", "content": ""}]
    for piece in split_text(reply.reasoning or ""):
        delta = {"reasoning_content": piece}
        if dialect == "acedata":
            delta["reasoning"] = piece
        deltas.append(delta)
    for piece in split_text(reply.content):
        deltas.append({"content": piece})
    deltas.extend(tool_call_deltas(reply.tool_calls))
    return deltas


def tool_call_deltas(calls: list[ToolCall]) -> list[dict[str, Any]]:
    """The stream deltas of ``calls``: each call's head (id, type, name), then its arguments
    in pieces, as every OpenAI-style server streams them."""
    deltas: list[dict[str, Any]] = []
    for j, call in enumerate(calls):
        head = {
            "index": j,
            "id": call.id,
            "type": call.type,
            "function": {"name": call.name, "arguments": ""},
        }
        deltas.append({"tool_calls": [head]})
        for piece in split_arguments(call.arguments):
            deltas.append({"tool_calls": [{"index": j, "function": {"arguments": piece}}]})
    return deltas


@dataclass(frozen=True)
class _Chunks:
    """Builds the ``data:`` events of one streamed completion in a dialect."""

    dialect: Dialect
    head: dict[str, Any]

    @classmethod
    def of(cls, dialect: Dialect, completion_id: str, created: int, model: str) -> _Chunks:
        head: dict[str, Any] = {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
        }
        if dialect != "moonshot":
            head["system_fingerprint"] = None
        return cls(dialect, head)

    def event(self, choices: list[dict[str, Any]], usage_value: Any = None) -> bytes:
        body = dict(self.head)
        body["choices"] = choices
        if self.dialect == "acedata" or (not choices):
            body["usage"] = usage_value
        return b"data: " + dumps(body, self.dialect) + b"\n\n"

    def choice(
        self,
        index: int,
        delta: dict[str, Any],
        finish: str | None,
        logprobs: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        wrapped = None if logprobs is None else {"content": logprobs}
        if self.dialect == "moonshot":
            choice = {"index": index, "delta": delta, "finish_reason": finish}
            if wrapped is not None:
                choice["logprobs"] = wrapped
            return choice
        return {"index": index, "delta": delta, "logprobs": wrapped, "finish_reason": finish}


def _delta_logprobs(
    deltas: list[dict[str, Any]], top: int | None
) -> list[list[dict[str, Any]] | None]:
    """Per delta, the log probabilities of its content piece (None: not asked, or no text)."""
    if top is None:
        return [None] * len(deltas)
    extras: list[list[dict[str, Any]] | None] = []
    tokens = 0
    for delta in deltas:
        piece = delta.get("content")
        if piece and "role" not in delta:
            extras.append(token_logprobs([piece], top, start=tokens))
            tokens += 1
        else:
            extras.append(None)
    return extras


def _choice_events(
    chunks: _Chunks,
    index: int,
    deltas: list[dict[str, Any]],
    finish_reason: str,
    finish_usage: dict[str, Any] | None,
    extras: list[list[dict[str, Any]] | None],
) -> tuple[list[bytes], bytes]:
    """(the body events, the finish event) of choice ``index``. AceData's finish rides on the
    last delta; the others send ``delta: {}``, with ``finish_usage`` inside when given.
    ``extras``: each delta's log probabilities (``_delta_logprobs``)."""
    pairs = list(zip(deltas, extras, strict=True))
    if chunks.dialect == "acedata" and len(deltas) > 1:
        body = [chunks.event([chunks.choice(index, d, None, x)]) for d, x in pairs[:-1]]
        last, extra = pairs[-1]
        return body, chunks.event([chunks.choice(index, last, finish_reason, extra)])
    body = [chunks.event([chunks.choice(index, d, None, x)]) for d, x in pairs]
    final = chunks.choice(index, {}, finish_reason)
    if finish_usage is not None:
        final["usage"] = finish_usage
    return body, chunks.event([final])


def stream_plan(
    dialect: Dialect,
    completion_id: str,
    created: int,
    model: str,
    reply: Reply,
    usage: Usage,
    *,
    n: int = 1,
    include_usage: bool = False,
    top_logprobs: int | None = None,
) -> StreamPlan:
    """Every ``data:`` event of a streamed answer, ``[DONE]`` included (``top_logprobs``:
    log probabilities asked for, on each content chunk, :mod:`logprobs`)."""
    chunks = _Chunks.of(dialect, completion_id, created, model)
    deltas = _deltas(dialect, reply)
    extras = _delta_logprobs(deltas, top_logprobs)
    usage_json = usage_body(dialect, usage)
    per_choice = [
        _choice_events(
            chunks,
            i,
            deltas,
            reply.finish_reason,
            usage_json if dialect == "moonshot" and i == n - 1 else None,
            extras,
        )
        for i in range(n)
    ]
    # Each choice's events stay together: its body events, then its finish event.
    events = [event for body, finish in per_choice for event in (*body, finish)]
    finish_at = len(per_choice[0][0]) if per_choice else 0
    if dialect != "moonshot" or include_usage:
        events.append(chunks.event([], usage_json))
    events.append(DONE)
    return StreamPlan(events, finish_at)
