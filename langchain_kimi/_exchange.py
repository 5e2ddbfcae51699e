"""One answer of the model, possibly over several rounds of builtin tool calls.

Kimi's builtin ``$web_search`` is answered by the client (kimi-api-facts.md, "Builtin web
search"): when the model calls it, the client appends the assistant message (with its
``reasoning_content``) and a tool message whose content is the call's arguments unchanged, and
asks again. ``Exchange`` (invoke) and ``StreamExchange`` (stream) hold everything about that
loop that is not I/O: the payload of the next round, the usage summed over all rounds, the
round limit and the final message. ``ChatKimi`` only sends and receives.

What earlier rounds said (usually nothing but reasoning) is kept: streamed, it has already
been shown, so invoke keeps it too and both paths give the same message.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from langchain_core.messages import AIMessageChunk
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

from kimi_core.builtin_tools import builtin_tool_message, is_builtin_call
from kimi_core.cost import cost_of
from kimi_core.errors import MalformedResponseError
from kimi_core.usage import UsageCounts, add_usage, normalize_usage

from ._errors import ToolLoopError
from ._messages import (
    PROVIDER,
    ChunkConverter,
    join_rounds,
    text_generation_chunk,
    usage_metadata,
    wire_choice_to_message,
    wire_reasoning,
    wire_text,
)

if TYPE_CHECKING:
    from kimi_core.stream import StreamAccumulator
    from kimi_core.types import ChatCompletion

__all__ = ["Exchange", "StreamExchange"]


class _Rounds:
    """The builtin-tool loop's state, shared by the invoke and stream paths."""

    def __init__(self, payload: dict[str, Any], *, prefix: str | None, max_rounds: int) -> None:
        self.payload = payload
        self.prefix = prefix
        self.max_rounds = max_rounds
        self.rounds = 0
        self.usage: UsageCounts | None = None
        self.earlier_text = ""
        self.earlier_reasoning = ""

    def _follow_up(self, calls: list[dict[str, Any]], text: str, reasoning: str | None) -> bool:
        """If every call is a builtin one, add their answers to the payload and return True."""
        if not calls or not all(is_builtin_call(_name(call)) for call in calls):
            return False
        if self.rounds >= self.max_rounds:
            raise ToolLoopError(
                f"the model called builtin tools in {self.rounds + 1} rounds in a row; "
                f"ChatKimi stops after max_builtin_tool_rounds={self.max_rounds}"
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
                str(call.get("id")), str(_name(call)), call["function"].get("arguments") or ""
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

    def _metadata(self, model: str | None, requested: str | None) -> dict[str, Any]:
        """Response metadata every path adds: provider, summed token usage and cost."""
        metadata: dict[str, Any] = {"model_provider": PROVIDER}
        usage = self.usage
        if usage is not None:
            metadata["token_usage"] = dict(usage)
            cost = cost_of(usage, model) or cost_of(usage, requested)
            if cost is not None:
                metadata["cost"] = cost.as_dict()
        return metadata


def _name(call: Mapping[str, Any]) -> str | None:
    function = call.get("function")
    return function.get("name") if isinstance(function, Mapping) else None


class Exchange(_Rounds):
    """The invoke path: fold each answer in, then build the ``ChatResult``.

    Everything is read from the decoded wire dict the core validated the answer from
    (``ChatCompletion.wire_dict()``, not copied, never mutated here): no ``model_dump`` per call.
    """

    _wire: dict[str, Any] | None = None  # the last answer, as decoded from the wire

    def add(self, completion: ChatCompletion) -> bool:
        """Fold in one answer; True when a builtin call was answered and Kimi must be asked
        again with ``self.payload``."""
        wire = completion.wire_dict()
        choices = wire.get("choices")
        if not choices:
            raise MalformedResponseError("chat answer has no choices", body=str(completion.id))
        first = choices[0]
        # ``ChatCompletion.usage_any``: the top-level usage, else the first choice's (Moonshot).
        usage = wire.get("usage")
        if usage is None:
            usage = first.get("usage")
        if usage is not None:
            # An empty usage object validates to zero counts: keep reading it that way.
            self.usage = add_usage(self.usage, normalize_usage(usage) or dict(_ZERO_USAGE))
        message = first.get("message")
        raw_calls = message.get("tool_calls") if message else None
        if raw_calls and all(is_builtin_call(_name(call)) for call in raw_calls):
            # Only builtin calls (rare): the follow-up payload gets the validated calls, as
            # sent before (defaults filled, nulls dropped).
            calls = [
                call.model_dump(exclude_none=True)
                for call in completion.choices[0].message.tool_calls or ()
            ]
            if self._follow_up(calls, wire_text(message), wire_reasoning(message)):
                return True
        self._wire = wire
        return False

    def result(self) -> ChatResult:
        wire = self._wire
        if wire is None:  # pragma: no cover - add() always ran first
            raise RuntimeError("Exchange.result() before an answer was added")
        model = wire.get("model")
        completion_id = wire.get("id")
        fingerprint = wire.get("system_fingerprint")
        metadata = self._metadata(model, self.payload.get("model"))
        usage = usage_metadata(self.usage) if self.usage is not None else None
        choices = wire["choices"]
        message = wire_choice_to_message(
            choices[0],
            model=model,
            completion_id=completion_id,
            system_fingerprint=fingerprint,
            prefix=self.prefix,
            reasoning_before=self.earlier_reasoning,
            text_before=self.earlier_text,
            usage=usage,
            metadata=metadata,
        )
        generations = [ChatGeneration(message=message)]
        for choice in choices[1:]:
            # Usage covers every choice: it is counted once, on the first.
            other = wire_choice_to_message(
                choice,
                model=model,
                completion_id=completion_id,
                system_fingerprint=fingerprint,
                prefix=self.prefix,
            )
            generations.append(ChatGeneration(message=other))
        llm_output = {"token_usage": metadata.get("token_usage"), "model_name": model}
        return ChatResult(generations=generations, llm_output=llm_output)


_ZERO_USAGE: UsageCounts = {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}


class StreamExchange(_Rounds):
    """The stream path: convert chunks, loop over builtin rounds, end with one chunk that
    carries the summed usage (unless ``stream_usage`` is off) and the response metadata."""

    def __init__(
        self,
        payload: dict[str, Any],
        *,
        prefix: str | None,
        max_rounds: int,
        stream_usage: bool,
    ) -> None:
        super().__init__(payload, prefix=prefix, max_rounds=max_rounds)
        self.stream_usage = stream_usage
        self.converter = ChunkConverter()
        self.done = False
        self._last: StreamAccumulator | None = None

    def opening(self) -> ChatGenerationChunk | None:
        """Partial mode: the prefix is the first chunk (Kimi does not repeat it)."""
        if self.rounds or not self.prefix:
            return None
        return text_generation_chunk(self.prefix, None)

    def end_round(self, state: StreamAccumulator) -> None:
        """After a stream ended: either prepare the next round or mark the exchange done."""
        self.usage = add_usage(self.usage, normalize_usage(state.usage_dict))
        if self._follow_up(state.tool_calls, state.text, state.reasoning or None):
            self.converter = ChunkConverter(
                text_gap=bool(self.earlier_text), reasoning_gap=bool(self.earlier_reasoning)
            )
            return
        self._last = state
        self.done = True

    def final(self) -> ChatGenerationChunk:
        state = self._last
        if state is None:  # pragma: no cover - end_round() always ran first
            raise RuntimeError("StreamExchange.final() before the stream ended")
        metadata = self._metadata(state.model, self.payload.get("model"))
        metadata.update(
            model_name=state.model,
            finish_reason=state.finish_reason,
            id=state.id,
            system_fingerprint=state.system_fingerprint,
        )
        usage = None
        if self.stream_usage and self.usage is not None:
            usage = usage_metadata(self.usage)
        else:
            metadata.pop("token_usage", None)
        message = AIMessageChunk(
            content="", usage_metadata=usage, response_metadata=metadata, chunk_position="last"
        )
        return ChatGenerationChunk(message=message)
