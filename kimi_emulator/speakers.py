"""One object per dialect that knows how its server reads, answers and refuses.

:class:`MoonshotSpeaker` speaks Moonshot's API and the two gateways that relay it (``moonshot``,
``acedata``, ``cloudsway``: :mod:`validation`, :mod:`wire`, Moonshot's prompt cache in
:mod:`prompt_cache`); :class:`HostSpeaker` speaks a host of :mod:`host_dialects`
(:mod:`host_requests`, :mod:`host_wire`). The routes of :mod:`app` only call these.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from .host_dialects import HOST_DIALECTS, HostDialect
from .host_requests import read_thinking, seen_reasoning, validate_host_chat
from .host_wire import (
    HostAnswer,
    host_completion_body,
    host_default_message,
    host_error_body,
    host_mid_stream_error,
    host_rate_headers,
    host_stream_plan,
    new_host_id,
)
from .prompt_cache import cache_tier, prompt_blocks
from .replies import Reply, build_reply
from .validation import MAX_STOP, MAX_STOP_CLOUDSWAY, ChatRequest, validate_chat
from .wire import (
    DONE,
    StreamPlan,
    Usage,
    completion_body,
    compute_usage,
    default_error,
    dumps,
    error_body,
    new_completion_id,
    stream_plan,
)

if TYPE_CHECKING:
    from .faults import Limiter
    from .state import EmulatorState

__all__ = ["HostSpeaker", "MoonshotSpeaker", "Observed", "Speaker", "Turn", "speaker_for"]

ACEDATA_AUTH_MESSAGE = (
    "Unauthorized, invalid or missing authorization token."  # docs/kimi-api/gateways.md (AceData)
)


@dataclass(frozen=True)
class Observed:
    """What a server read from a chat request, for :class:`state.RecordedRequest`."""

    reasoning: list[str | None]
    thinking: bool | None
    effort: Any


class Turn:
    """One validated chat request and its answer, ready to be sent whole or streamed."""

    chat: ChatRequest
    usage: Usage

    def body(self) -> dict[str, Any]:
        raise NotImplementedError

    def plan(self) -> StreamPlan:
        raise NotImplementedError

    def mid_stream(self, status: int, message: str, code: str | int | None) -> list[bytes]:
        """The events that end a stream with an error (``fail_mid_stream``)."""
        raise NotImplementedError


class Speaker:
    """The dialect-specific part of the server (module docstring)."""

    dialect: str

    def __init__(self, state: EmulatorState) -> None:
        self.state = state

    def auth_ok(self, headers: Mapping[str, str], key: str) -> bool:
        return headers.get("authorization", "") == f"Bearer {key}"

    def auth_message(self) -> str:
        raise NotImplementedError

    def error_body(
        self, status: int, type_: str, message: str, *, map_code: bool = True, own: bool = False
    ) -> Any:
        raise NotImplementedError

    def default_message(self, status: int, fallback: str) -> str:
        return fallback

    def rate_headers(self, headers: dict[str, str], limiter: Limiter) -> dict[str, str]:
        return headers

    def observe(self, body: Any) -> Observed:
        raise NotImplementedError

    def turn(self, body: Any) -> Turn:
        raise NotImplementedError


# --------------------------------------------------------------------------- Moonshot


@dataclass
class _MoonshotTurn(Turn):
    dialect: str
    chat: ChatRequest
    reply: Reply
    usage: Usage
    completion_id: str
    created: int

    def body(self) -> dict[str, Any]:
        chat = self.chat
        return completion_body(
            self.dialect,
            self.completion_id,
            self.created,
            chat.model,
            self.reply,
            self.usage,
            chat.n,
            chat.top_logprobs,
        )

    def plan(self) -> StreamPlan:
        chat = self.chat
        return stream_plan(
            self.dialect,
            self.completion_id,
            self.created,
            chat.model,
            self.reply,
            self.usage,
            n=chat.n,
            include_usage=chat.include_usage,
            top_logprobs=chat.top_logprobs,
        )

    def mid_stream(self, status: int, message: str, code: str | int | None) -> list[bytes]:
        kind = code if isinstance(code, str) else default_error(status)[0]
        body = error_body(self.dialect, kind, message)
        return [b"data: " + dumps(body, self.dialect) + b"\n\n", DONE]


class MoonshotSpeaker(Speaker):
    """Moonshot's API and its relays (``moonshot``, ``acedata``, ``cloudsway``)."""

    def __init__(self, state: EmulatorState) -> None:
        super().__init__(state)
        self.dialect = state.dialect

    def auth_message(self) -> str:
        return ACEDATA_AUTH_MESSAGE if self.dialect == "acedata" else "Invalid Authentication"

    def error_body(
        self, status: int, type_: str, message: str, *, map_code: bool = True, own: bool = False
    ) -> Any:
        return error_body(self.dialect, type_, message, map_code=map_code)

    def observe(self, body: Any) -> Observed:
        body = body if isinstance(body, Mapping) else {}
        thinking = body.get("thinking")
        kind = thinking.get("type") if isinstance(thinking, Mapping) else None
        flag = {"enabled": True, "disabled": False}.get(kind) if isinstance(kind, str) else None
        return Observed(
            seen_reasoning(body.get("messages"), ("reasoning_content",)),
            flag,
            body.get("reasoning_effort"),
        )

    def turn(self, body: Any) -> Turn:
        state = self.state
        cloudsway = self.dialect == "cloudsway"
        chat = validate_chat(
            body,
            state.registry,
            fallback_model=state.fallback_model,
            lenient_thinking=cloudsway,
            max_stop=MAX_STOP_CLOUDSWAY if cloudsway else MAX_STOP,
        )
        tier = cache_tier(body) if self.dialect == "moonshot" else None
        reply = build_reply(chat, state.pop_script())
        usage = compute_usage(chat.prompt_tokens, reply, chat.n)
        if tier is not None and reply.usage is None:
            blocks = prompt_blocks(chat.messages, chat.tools)
            cached, written = state.prompt_cache.account(blocks, tier, state.now())
            if cached or written:
                usage = replace(usage, cached_tokens=cached, cache_write_tokens=written)
        completion_id = new_completion_id(self.dialect)
        return _MoonshotTurn(self.dialect, chat, reply, usage, completion_id, int(state.now()))


# --------------------------------------------------------------------------- hosts


@dataclass
class _HostTurn(Turn):
    answer: HostAnswer
    chat: ChatRequest
    reply: Reply
    usage: Usage

    def body(self) -> dict[str, Any]:
        return host_completion_body(self.answer, self.reply, self.usage, self.chat.n)

    def plan(self) -> StreamPlan:
        chat = self.chat
        return host_stream_plan(
            self.answer, self.reply, self.usage, n=chat.n, include_usage=chat.include_usage
        )

    def mid_stream(self, status: int, message: str, code: str | int | None) -> list[bytes]:
        return host_mid_stream_error(self.answer, status, message, code)


class HostSpeaker(Speaker):
    """A host of :mod:`host_dialects`."""

    def __init__(self, state: EmulatorState, host: HostDialect) -> None:
        super().__init__(state)
        self.host = host
        self.dialect = host.name

    @property
    def upstream(self) -> str | None:
        return self.state.upstream if self.host.name == "openrouter" else None

    def auth_ok(self, headers: Mapping[str, str], key: str) -> bool:
        if self.host.auth == "api-key":
            return headers.get("api-key", "") == key
        return super().auth_ok(headers, key)

    def auth_message(self) -> str:
        return host_default_message(self.host, 401, "Invalid API key provided")

    def error_body(
        self, status: int, type_: str, message: str, *, map_code: bool = True, own: bool = False
    ) -> Any:
        return host_error_body(
            self.host,
            status,
            message,
            error_type=None if map_code else type_,
            moonshot_type=type_,
            upstream=None if own else self.upstream,
        )

    def default_message(self, status: int, fallback: str) -> str:
        return host_default_message(self.host, status, fallback)

    def rate_headers(self, headers: dict[str, str], limiter: Limiter) -> dict[str, str]:
        return host_rate_headers(self.host, headers, limiter.tokens_left(), limiter.tpm)

    def observe(self, body: Any) -> Observed:
        body = body if isinstance(body, Mapping) else {}
        flag, effort = read_thinking(body, self.host)
        return Observed(seen_reasoning(body.get("messages"), self.host.reasoning_in), flag, effort)

    def turn(self, body: Any) -> Turn:
        state = self.state
        chat = validate_host_chat(body, state.registry, self.host, self.upstream)
        reply = build_reply(chat, state.pop_script())
        usage = compute_usage(chat.prompt_tokens, reply, chat.n)
        reasoning = body.get("reasoning") if isinstance(body, Mapping) else None
        hide = isinstance(reasoning, Mapping) and reasoning.get("exclude") is True
        answer = HostAnswer(
            self.host,
            new_host_id(self.host),
            int(state.now()),
            chat.model,
            self.upstream,
            hide and self.host.name == "openrouter",
        )
        return _HostTurn(answer, chat, reply, usage)


def speaker_for(state: EmulatorState) -> Speaker:
    host = HOST_DIALECTS.get(state.dialect)
    return MoonshotSpeaker(state) if host is None else HostSpeaker(state, host)


def dumps_any(body: Any) -> bytes:
    """A body that is not a dialect's own (a host's, a tools error) as compact JSON."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
