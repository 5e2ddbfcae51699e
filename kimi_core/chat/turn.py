"""One chat turn, from the request to the answer the user sees: ``ChatTurn``.

Every chat call of both adapters (and every batch line they read back) goes through a
``ChatTurn``: send ``turn.payload``, hand the answer to ``add`` (or the finished stream's
state to ``add_stream``), and send ``turn.payload`` again while it returns True. It sums the
usage of every round, reads the answer's choices as the user sees them (partial-mode prefix
in front, builtin calls hidden, the first call only when parallel tool calls are off), gives
the cost, and drives Kimi's builtin-tool rounds when the model calls one.

Builtin tools (``$web_search``), per Moonshot's docs (``docs/kimi-api/chat.md``, "Builtin web
search"): declare ``{"type": "builtin_function", "function": {"name": "$web_search"}}``; the
model answers with ``finish_reason: tool_calls`` and a call of that tool; the client appends
the assistant message (with its ``reasoning_content``), then a tool message whose content is
the call's arguments unchanged, and asks again. The search runs on Moonshot's side and its
results count as input tokens. What earlier rounds said is joined to the final answer
(streamed, it has already been shown, so the invoke path keeps it too and both give the same
message). The official tools (``docs/kimi-api/official-tools.md``) replace this legacy path.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import replace
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ..catalog.model_info import ModelRetirementWarning, switched_model_notice
from ..catalog.prices import host_cost
from ..errors import MalformedResponseError, ToolLoopError
from ..wire.answer import (
    ROUND_SEPARATOR,
    THINK_CLOSE,
    THINK_OPEN,
    Answer,
    answer_choices,
    completion_usage,
    join_rounds,
    message_reasoning,
    message_text,
    split_think,
)
from ..wire.usage import UsageCounts, add_usage, normalize_usage, reported_cost
from .tools import builtin_tool_message, is_builtin_call, tool_name

if TYPE_CHECKING:
    from ..catalog.hosts import HostProfile
    from ..catalog.model_info import Price
    from ..catalog.prices import Cost
    from ..types import ChatCompletion
    from .accumulator import StreamAccumulator

__all__ = ["DEFAULT_MAX_ROUNDS", "ChatTurn", "RoundReader", "ThinkSplitter"]

DEFAULT_MAX_ROUNDS = 8

_ZERO_USAGE: UsageCounts = {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}


class RoundReader:
    """Reads the chunks of one streamed round as the user sees them.

    ``read(chunk)`` returns ``(content, reasoning, tool_call_fragments, finish_reason,
    usage)``: strings ``""`` when absent, fragments ``None`` when no user-visible call
    fragment came (builtin calls, tracked by ``builtin`` indices, are dropped). After an
    earlier round that said something, this round's first text / reasoning starts with a
    blank line, as ``join_rounds`` joins them on the invoke path. Runs once per streamed
    token: plain dict reads only.
    """

    __slots__ = ("_first_call", "_one_call", "_reasoning_gap", "_text_gap", "_think", "builtin")

    def __init__(
        self,
        *,
        text_gap: bool = False,
        reasoning_gap: bool = False,
        one_call: bool = False,
        inline_think: bool = False,
    ) -> None:
        """``inline_think``: content that opens with ``<think>`` is reasoning up to
        ``</think>`` (a server without a reasoning parser, ``ThinkSplitter``)."""
        self._think = ThinkSplitter() if inline_think else None
        self.builtin: set[int] = set()
        self._text_gap = text_gap
        self._reasoning_gap = reasoning_gap
        # parallel_tool_calls=False: only the first user-visible call is shown.
        self._one_call = one_call
        self._first_call: int | None = None

    def read(
        self, chunk: Mapping[str, Any]
    ) -> tuple[str, str, list[dict[str, Any]] | None, str | None, Any]:
        usage = chunk.get("usage")
        choices = chunk.get("choices")
        if not choices:
            return "", "", None, None, usage
        choice = choices[0]
        finish = choice.get("finish_reason")
        delta = choice.get("delta")
        if not delta:
            if self._think is not None and finish is not None:
                thought, content = self._think.feed("", end=True)
                return content, thought, None, finish, usage
            return "", "", None, finish, usage
        content = delta.get("content") or ""
        reasoning = delta.get("reasoning_content") or ""
        if self._think is not None:
            thought, content = self._think.feed(content, end=finish is not None)
            reasoning += thought
        fragments = delta.get("tool_calls")
        if fragments:
            fragments = self._visible(fragments)
        if content and self._text_gap:
            content = ROUND_SEPARATOR + content
            self._text_gap = False
        if reasoning and self._reasoning_gap:
            reasoning = ROUND_SEPARATOR + reasoning
            self._reasoning_gap = False
        return content, reasoning, fragments or None, finish, usage

    def _visible(self, fragments: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        visible = []
        builtin = self.builtin
        for position, fragment in enumerate(fragments):
            index = fragment.get("index")
            if index is None:
                index = position
            name = tool_name(fragment)
            if name and is_builtin_call(name):
                builtin.add(index)
            if index in builtin:
                continue
            if self._one_call:
                if self._first_call is None:
                    self._first_call = index
                elif index != self._first_call:
                    continue
            visible.append(fragment if "index" in fragment else {**fragment, "index": index})
        return visible

    def only_builtin_calls(self, state: StreamAccumulator) -> bool:
        """Whether this round's calls so far are all builtin ones (then another round
        follows once it ends)."""
        return bool(self.builtin) and all(i in self.builtin for i in state.tool_calls_by_index)

    def visible_calls(self, state: StreamAccumulator) -> list[dict[str, Any]]:
        """The user's calls accumulated so far in this round (builtin ones left out, and all
        but the first with ``parallel_tool_calls=False``)."""
        calls = state.tool_calls_by_index
        if self._one_call:
            first = self._first_call
            return [calls[first]] if first is not None and first in calls else []
        return [calls[i] for i in sorted(calls) if i not in self.builtin]


class ThinkSplitter:
    """Splits streamed content that carries its reasoning inline (``<think>...</think>``
    first, then the answer) into reasoning and text, tags split across chunks included. Text
    that does not open with ``<think>`` passes through untouched."""

    __slots__ = ("_buffer", "_state")

    def __init__(self) -> None:
        self._state = "start"
        self._buffer = ""

    def feed(self, piece: str, *, end: bool = False) -> tuple[str, str]:
        """``(reasoning, text)`` to show for ``piece`` (``end``: the last piece: nothing is
        held back any more)."""
        if self._state == "text":
            return "", piece
        self._buffer += piece
        if self._state == "start":
            stripped = self._buffer.lstrip()
            if not end and (not stripped or THINK_OPEN.startswith(stripped)):
                return "", ""  # whitespace, or maybe the start of the tag: wait
            if not stripped.startswith(THINK_OPEN):
                self._state, held, self._buffer = "text", self._buffer, ""
                return "", held
            self._state, self._buffer = "think", stripped[len(THINK_OPEN) :]
        at = self._buffer.find(THINK_CLOSE)
        if at >= 0:
            thought, rest = self._buffer[:at], self._buffer[at + len(THINK_CLOSE) :]
            self._state, self._buffer = "text", ""
            return thought, rest.lstrip("\n")
        if end:
            thought, self._buffer = self._buffer, ""
            return thought, ""
        keep = next(
            (
                n
                for n in range(min(len(THINK_CLOSE) - 1, len(self._buffer)), 0, -1)
                if THINK_CLOSE.startswith(self._buffer[-n:])
            ),
            0,
        )
        cut = len(self._buffer) - keep
        thought, self._buffer = self._buffer[:cut], self._buffer[cut:]
        return thought, ""


class ChatTurn:
    """One chat turn: the request, its builtin-tool rounds, the answer (module docstring)."""

    def __init__(
        self,
        payload: dict[str, Any],
        *,
        prefix: str | None = None,
        max_rounds: int = DEFAULT_MAX_ROUNDS,
        batch: bool = False,
        host: HostProfile | None = None,
        price: Price | None = None,
    ) -> None:
        """``batch``: the answer comes from a batch job, so ``cost`` is at the batch price
        (``kimi_core.batch.job``); ``host``: where the answer comes from (how its cost is
        known, whether reasoning may come inline as ``<think>``); ``price``: the user's price
        for a host that reports no cost."""
        self.batch = batch
        self.host = host
        self.price = price
        self.reported_cost: Decimal | None = None
        """The cost the host reported for every round together (OpenRouter)."""
        # Not a wire field (kimi_core.chat.request): the loop keeps the first call when False.
        self.parallel_tool_calls: bool | None = payload.pop("parallel_tool_calls", None)
        self.payload = payload
        self.prefix = prefix
        self.max_rounds = max_rounds
        self.requested_model: str | None = payload.get("model")
        self.cache_ttl = cache_ttl(payload)
        """The prompt-cache TTL the request asked for (writes are priced at its tier)."""
        self.rate_limit: dict[str, int | str] | None = None
        """The ``X-RateLimit-*`` values of the last answer (``ratelimit.rate_limit_headers``)."""
        self.rounds = 0
        self.usage: UsageCounts | None = None
        self.earlier_text = ""
        self.earlier_reasoning = ""
        self.done = False
        self.wire: Mapping[str, Any] | None = None
        """The last answer as decoded from the wire (invoke path; never mutated here)."""
        self.stream_state: StreamAccumulator | None = None
        """The last round's accumulated stream (stream path)."""

    # -- driving ---------------------------------------------------------------------------

    def add(self, completion: ChatCompletion) -> bool:
        """Fold in one answer; True when builtin calls were answered and ``payload`` must be
        sent again."""
        wire, self.rate_limit = completion.wire_source()
        choices = wire.get("choices")
        if not choices:
            raise MalformedResponseError("chat answer has no choices", body=str(wire.get("id")))
        usage = completion_usage(wire)
        if usage is not None:
            # An empty usage object validates to zero counts: keep reading it that way.
            self.usage = add_usage(self.usage, normalize_usage(usage) or dict(_ZERO_USAGE))
            self._add_reported(usage)
        message = choices[0].get("message")
        raw_calls = message.get("tool_calls") if message else None
        if raw_calls and all(is_builtin_call(tool_name(call)) for call in raw_calls):
            # Only builtin calls (rare): the follow-up payload gets the validated calls, as
            # sent before (defaults filled, nulls dropped).
            calls = [
                call.model_dump(exclude_none=True)
                for call in completion.choices[0].message.tool_calls or ()
            ]
            if self._follow_up(calls, message_text(message), message_reasoning(message)):
                return True
        self.wire = wire
        self.done = True
        self._check_switch(wire.get("model"))
        return False

    def _check_switch(self, served: Any) -> None:
        """An answer from the model that replaces a retiring one (Moonshot switches calls to
        kimi-k2.6 over to kimi-k3 when it retires, at kimi-k3's price): said once."""
        requested = self.requested_model
        if self.host is None or not self.host.platform or not served or served == requested:
            return
        notice = switched_model_notice(requested, served)
        if notice is not None and (requested, served) not in _SWITCHES_SEEN:
            _SWITCHES_SEEN.add((requested, served))
            warnings.warn(notice, ModelRetirementWarning, stacklevel=4)

    def add_stream(self, state: StreamAccumulator) -> bool:
        """After a streamed round ended: True when the next round must be streamed."""
        self.usage = add_usage(self.usage, normalize_usage(state.usage_dict))
        self._add_reported(state.usage_dict)
        self.rate_limit = state.rate_limit
        if self._follow_up(state.tool_calls, state.text, state.reasoning or None):
            return True
        self.stream_state = state
        self.done = True
        self._check_switch(state.model)
        return False

    def _add_reported(self, usage: Mapping[str, Any] | None) -> None:
        if self.host is None or not self.host.reports_cost:
            return
        cost = reported_cost(usage)
        if cost is not None:
            self.reported_cost = cost if self.reported_cost is None else self.reported_cost + cost

    def _follow_up(self, calls: list[dict[str, Any]], text: str, reasoning: str | None) -> bool:
        """If every call is a builtin one, add their answers to the payload and return True."""
        if not calls or not all(is_builtin_call(tool_name(call)) for call in calls):
            return False
        if self.rounds >= self.max_rounds:
            raise ToolLoopError(
                f"the model called builtin tools in {self.rounds + 1} rounds in a row; "
                f"the client stops after max_builtin_tool_rounds={self.max_rounds}"
            )
        self.rounds += 1
        assistant: dict[str, Any] = {
            "role": "assistant",
            "content": text,
            "tool_calls": [
                {
                    "id": call.get("id"),
                    "type": call.get("type") or "function",
                    "function": call["function"],
                }
                for call in calls
            ],
        }
        if reasoning is not None:
            # Thinking models answer 400 without it, builtin calls included.
            assistant["reasoning_content"] = reasoning
        answers = [
            builtin_tool_message(
                str(call.get("id")),
                str(tool_name(call)),
                call["function"].get("arguments") or "",
            )
            for call in calls
        ]
        messages = list(self.payload["messages"])
        # A partial-mode prefix must stay the last message.
        at = len(messages) - 1 if messages and messages[-1].get("partial") else len(messages)
        messages[at:at] = [assistant, *answers]
        self.payload = {**self.payload, "messages": messages}
        self.earlier_text = join_rounds(self.earlier_text, text)
        self.earlier_reasoning = join_rounds(self.earlier_reasoning, reasoning or "")
        return True

    # -- streams -----------------------------------------------------------------------------

    def opening(self) -> str | None:
        """Partial mode: the prefix, streamed first (Kimi does not repeat it); only once."""
        if self.rounds or not self.prefix:
            return None
        return self.prefix

    def round_reader(self) -> RoundReader:
        """The reader for the round about to be streamed."""
        return RoundReader(
            text_gap=bool(self.earlier_text),
            reasoning_gap=bool(self.earlier_reasoning),
            one_call=self.parallel_tool_calls is False,
            inline_think=self.host is not None and self.host.inline_think,
        )

    # -- results ---------------------------------------------------------------------------

    def answers(self) -> list[Answer]:
        """Every choice of the final answer (invoke path), earlier rounds joined to the first."""
        if self.wire is None:
            raise RuntimeError("ChatTurn.answers() before the final answer was added")
        answers = answer_choices(
            self.wire,
            prefix=self.prefix,
            text_before=self.earlier_text,
            reasoning_before=self.earlier_reasoning,
        )
        if self.parallel_tool_calls is False:
            answers = [replace(a, tool_calls=a.tool_calls[:1]) for a in answers]
        if self.host is not None and self.host.inline_think:
            answers = [_thought_apart(a) for a in answers]
        return answers

    def served_model(self) -> str | None:
        """The model the final answer names (a gateway's own name, possibly)."""
        if self.wire is not None:
            return self.wire.get("model")
        return self.stream_state.model if self.stream_state is not None else None

    def cost(self) -> Cost | None:
        """What every round together cost, at the catalog price (``answer.cost_for``: the
        served model's, else the requested one's; None when unknown)."""
        return host_cost(
            self.usage,
            self.served_model(),
            self.requested_model,
            host=self.host,
            reported=self.reported_cost,
            price=self.price,
            batch=self.batch,
            ttl=self.cache_ttl,
        )

    def stream_cost(
        self, counts: UsageCounts | None, served: str | None, usage: Mapping[str, Any] | None
    ) -> Cost | None:
        """The cost of the rounds so far when a streamed round's ``usage`` arrives (before
        ``add_stream``): ``counts`` summed with the earlier rounds, and what the host reported
        for them, this round's included (``cost``'s rules)."""
        reported = self.reported_cost
        if self.host is not None and self.host.reports_cost:
            extra = reported_cost(usage)
            if extra is not None:
                reported = extra if reported is None else reported + extra
        return host_cost(
            counts,
            served,
            self.requested_model,
            host=self.host,
            reported=reported,
            price=self.price,
            batch=self.batch,
            ttl=self.cache_ttl,
        )


_SWITCHES_SEEN: set[tuple[Any, Any]] = set()


def cache_ttl(payload: Mapping[str, Any]) -> str | None:
    """The prompt-cache TTL a request asks for (``prompt_cache_ttl`` or
    ``prompt_cache_options.ttl``), or None (the 5-minute default)."""
    ttl = payload.get("prompt_cache_ttl")
    if ttl is None:
        options = payload.get("prompt_cache_options")
        ttl = options.get("ttl") if isinstance(options, Mapping) else None
    return ttl if isinstance(ttl, str) else None


def _thought_apart(answer: Answer) -> Answer:
    """An answer whose reasoning came inline as ``<think>...</think>`` (a server without a
    reasoning parser), split into reasoning and text."""
    if answer.reasoning:
        return answer
    reasoning, text = split_think(answer.text)
    if reasoning is None:
        return answer
    return replace(answer, text=text, reasoning=reasoning)
