"""Folding a streamed answer: chunks in, the whole answer out, every malformed shape typed.

``StreamAccumulator`` is plain dict work with no I/O: the transport's ``ChatStream`` /
``AsyncChatStream`` feed it what they decode, the builtin-tool turn (``kimi_core.chat.turn``)
and the adapters read the folded text, reasoning, tool calls and usage from it, and tests feed
it chunks directly.
"""

from __future__ import annotations

import json
from typing import Any

from ..errors import (
    APIStatusError,
    MalformedResponseError,
    StreamInterruptedError,
    StreamTimeoutError,
)
from ..types import ChatCompletion, Usage
from ..wire.answer import details_text
from ..wire.error_body import error_from_body, parse_error_body
from ..wire.json import loads as json_loads

__all__ = ["Chunk", "StreamAccumulator"]

Chunk = dict[str, Any]
# What a malformed chunk raises on the way through plain dict/list access.
_SHAPE_ERRORS = (AttributeError, TypeError, KeyError, IndexError)


class StreamAccumulator:
    """Folds chunks into the whole answer: text, reasoning, tool calls by ``index``, usage.

    Shared by both stream classes and usable on its own (the adapters' tests feed it chunks).
    """

    __slots__ = (
        "_reasoning",
        "_text",
        "created",
        "done",
        "events",
        "finish_reason",
        "id",
        "model",
        "rate_limit",
        "reasoning_details",
        "request_id",
        "system_fingerprint",
        "tool_calls_by_index",
        "typed_error_events",
        "usage_dict",
    )

    def __init__(
        self,
        request_id: str | None = None,
        rate_limit: dict[str, int | str] | None = None,
        *,
        typed_error_events: bool = True,
    ) -> None:
        """``typed_error_events``: an ``error`` event without choices is the typed error of
        its kind (Moonshot's platform and the gateways relaying it: the whole answer is that
        error); False: it is a ``StreamInterruptedError`` like any mid-stream error (other
        hosts, whose streams break mid-answer that way)."""
        self.typed_error_events = typed_error_events
        self.reasoning_details: list[Any] = []
        self._text: list[str] = []
        self._reasoning: list[str] = []
        self.tool_calls_by_index: dict[int, dict[str, Any]] = {}
        self.finish_reason: str | None = None
        self.usage_dict: dict[str, Any] | None = None
        self.done = False
        self.events = 0
        self.id: str | None = None
        self.model: str | None = None
        self.created: int | None = None
        self.system_fingerprint: str | None = None
        self.request_id = request_id
        self.rate_limit = rate_limit

    # -- per event (hot path: plain dict access only) -------------------------------------
    def add_data(self, data: str) -> Chunk | None:
        """Handle one SSE ``data`` payload; return the normalised chunk, or None for [DONE]."""
        if data == "[DONE]":
            self.done = True
            return None
        try:
            chunk = json_loads(data)
        except ValueError:
            raise self._malformed_event("stream event is not JSON", data) from None
        if not isinstance(chunk, dict):
            raise self._malformed_event("stream event is not a JSON object", data)
        if "error" in chunk:
            if not chunk.get("choices") and self.typed_error_events:
                raise self._in_stream_error(chunk)
            raise self._interrupted_by(chunk["error"])
        if "choices" not in chunk and _error_like(chunk):
            # A host's own error body as an event (SGLang's flat {"object": "error"},
            # Cloudflare's {"errors": [...]}, SiliconFlow's {"code", "message"}).
            if self.typed_error_events:
                raise self._in_stream_error(chunk)
            raise self._interrupted_by(chunk, whole=True)
        self.add_chunk(chunk)
        return chunk

    def add_chunk(self, chunk: Chunk) -> None:
        """Fold one chunk in; one that is not the wire format is a ``MalformedResponseError``
        (never the ``AttributeError`` / ``KeyError`` of reading it)."""
        try:
            self.events += 1
            if self.id is None:
                self.id = chunk.get("id")
                self.model = chunk.get("model")
                self.created = chunk.get("created")
            choices = chunk.get("choices")
            if choices:
                choice = choices[0]
                if type(choice) is not dict:
                    raise self._malformed("a stream choice is not an object", chunk)
                if choice.get("index") or len(choices) > 1:
                    # n > 1 is refused before a stream is sent (kimi_core.chat.request): a second
                    # choice would be merged into the first one's text.
                    raise self._malformed("the stream carries more than one choice", chunk)
                delta = choice.get("delta")
                if delta:
                    content = delta.get("content")
                    if content:
                        if type(content) is not str:
                            raise self._malformed("delta.content is not a string", chunk)
                        self._text.append(content)
                    reasoning = delta.get("reasoning_content")
                    if reasoning is None:
                        reasoning = self._other_reasoning(delta)
                    if reasoning:
                        if type(reasoning) is not str:
                            raise self._malformed("delta.reasoning_content is not a string", chunk)
                        self._reasoning.append(reasoning)
                    tool_calls = delta.get("tool_calls")
                    if tool_calls:
                        self._add_tool_calls(tool_calls, chunk)
                finish = choice.get("finish_reason")
                if finish:
                    if type(finish) is not str:
                        raise self._malformed("finish_reason is not a string", chunk)
                    if finish == "error" or choice.get("error"):
                        raise self._interrupted_by(choice.get("error") or chunk.get("error"))
                    self.finish_reason = finish
                inner_usage = choice.get("usage")
                if inner_usage and not chunk.get("usage"):
                    chunk["usage"] = inner_usage
            usage = chunk.get("usage")
            if usage is None and "x_groq" in chunk:
                usage = (chunk.get("x_groq") or {}).get("usage")
                if usage:
                    chunk["usage"] = usage
            if usage:
                self.usage_dict = self._checked_usage(usage, chunk)
            fingerprint = chunk.get("system_fingerprint")
            if fingerprint:
                self.system_fingerprint = fingerprint
        except _SHAPE_ERRORS as exc:
            what = f"a stream chunk does not match the wire format ({exc!r})"
            raise self._malformed(what, chunk) from None

    def _other_reasoning(self, delta: dict[str, Any]) -> Any:
        """Reasoning a host sent under another name (``reasoning``: AceData, vLLM,
        OpenRouter; ``reasoning_details``: OpenRouter), copied to ``reasoning_content`` so
        every reader sees one field; OpenRouter's detail items are kept for replay."""
        details = delta.get("reasoning_details")
        if details:
            if type(details) is list:
                _merge_details(self.reasoning_details, details)
            if "reasoning" not in delta:
                text = details_text(details)
                if text:
                    delta["reasoning_content"] = text
                return text
        if "reasoning" in delta:
            reasoning = delta["reasoning_content"] = delta["reasoning"]
            return reasoning
        return None

    def _add_tool_calls(self, fragments: list[dict[str, Any]], chunk: Chunk) -> None:
        calls = self.tool_calls_by_index
        for position, fragment in enumerate(fragments):
            index = fragment.get("index")
            if index is None:
                index = position
            elif type(index) is not int:
                raise self._malformed("a tool-call fragment's index is not an integer", chunk)
            call = calls.get(index)
            function = fragment.get("function") or {}
            name = function.get("name") or ""
            arguments = function.get("arguments") or ""
            if type(name) is not str or type(arguments) is not str:
                raise self._malformed("a tool call's name or arguments is not a string", chunk)
            if call is None:
                calls[index] = {
                    "id": fragment.get("id"),
                    "type": fragment.get("type") or "function",
                    "index": index,
                    "function": {"name": name, "arguments": arguments},
                }
                continue
            if fragment.get("id") and not call["id"]:
                call["id"] = fragment["id"]
            if name:
                call["function"]["name"] += name
            if arguments:
                call["function"]["arguments"] += arguments

    def _malformed(self, what: str, chunk: Chunk) -> MalformedResponseError:
        error = MalformedResponseError(
            what, body=json.dumps(chunk, default=str)[:500], request_id=self.request_id
        )
        error.text, error.reasoning = self.text, self.reasoning
        return error

    def _checked_usage(self, usage: Any, chunk: Chunk) -> dict[str, Any]:
        """``usage`` if it is an object whose counts are numbers; else (``"total_tokens":
        "many"``) it is malformed, as in a whole answer (the same ``Usage`` model reads
        both)."""
        if type(usage) is not dict:
            raise self._malformed("usage is not an object", chunk)
        try:
            Usage.model_validate(usage)
        except ValueError as exc:  # pydantic's ValidationError
            problems: list[dict[str, Any]] = getattr(exc, "errors", list)()
            where = "; ".join(
                f"usage.{'.'.join(map(str, problem['loc']))}: {problem['msg']}"
                for problem in problems
            )
            raise self._malformed(
                f"the stream's usage does not match the wire format ({where or exc})", chunk
            ) from None
        return usage

    def _malformed_event(self, what: str, data: str) -> MalformedResponseError:
        error = MalformedResponseError(what, body=data[:500], request_id=self.request_id)
        error.text, error.reasoning = self.text, self.reasoning
        return error

    def _interrupted_by(self, error: Any, *, whole: bool = False) -> StreamInterruptedError:
        """A host's error in the middle of a stream (OpenRouter: an ``error`` object next
        to ``choices`` with ``finish_reason: "error"``, or on the choice; vLLM: an ``error``
        event; ``whole``: ``error`` is a whole error body of another shape): the stream is
        cut, with the text received so far and the host's message (its upstream provider's
        included, ``wire.error_body``)."""
        if whole:
            body = json.dumps(error)
        else:
            body = json.dumps({"error": error}) if isinstance(error, dict) else "{}"
        message, kind, code, _, _ = parse_error_body(body)
        what = message or "the host reported an error (finish_reason: error)"
        cut = StreamInterruptedError(
            f"the stream was interrupted by an error after {self.events} events: {what}",
            text=self.text,
            reasoning=self.reasoning,
            events=self.events,
            request_id=self.request_id,
        )
        cut.error_type, cut.error_code = kind, code
        return cut

    def _in_stream_error(self, chunk: Chunk) -> APIStatusError:
        """An error event: the typed error of its kind, with what had arrived before it."""
        headers = {"msh-request-id": self.request_id} if self.request_id else {}
        error = error_from_body(headers, json.dumps(chunk))
        error.text, error.reasoning = self.text, self.reasoning
        return error

    def total_tokens(self) -> int | None:
        """The usage's ``total_tokens`` once the stream carried it (for the rate limiter)."""
        usage = self.usage_dict
        total = usage.get("total_tokens") if type(usage) is dict else None
        return total if type(total) is int else None

    # -- results -------------------------------------------------------------------------
    @property
    def text(self) -> str:
        if len(self._text) > 1:
            self._text[:] = ["".join(self._text)]
        return self._text[0] if self._text else ""

    @property
    def reasoning(self) -> str:
        if len(self._reasoning) > 1:
            self._reasoning[:] = ["".join(self._reasoning)]
        return self._reasoning[0] if self._reasoning else ""

    @property
    def tool_calls(self) -> list[dict[str, Any]]:
        return [self.tool_calls_by_index[i] for i in sorted(self.tool_calls_by_index)]

    @property
    def usage(self) -> Usage | None:
        return Usage.model_validate(self.usage_dict) if self.usage_dict else None

    @property
    def complete(self) -> bool:
        return self.done or self.finish_reason is not None

    def check_complete(self, cause: BaseException | None = None) -> None:
        """Raise ``StreamInterruptedError`` unless the stream reached [DONE] or a finish."""
        if self.complete:
            return
        reason = "the connection broke" if cause is not None else "the stream ended"
        error = StreamInterruptedError(
            f"{reason} after {self.events} events, before [DONE] and before a finish_reason; "
            f"{len(self.text)} characters of text were received",
            text=self.text,
            reasoning=self.reasoning,
            events=self.events,
            request_id=self.request_id,
        )
        if cause is not None:
            raise error from cause
        raise error

    def undecodable(self, cause: Exception) -> MalformedResponseError:
        """The error of a stream whose bytes cannot be decoded (a corrupt gzip body)."""
        error = MalformedResponseError(
            f"the stream could not be decoded after {self.events} events "
            f"({type(cause).__name__}: {cause})",
            request_id=self.request_id,
        )
        error.text, error.reasoning = self.text, self.reasoning
        return error

    def timed_out(self) -> StreamTimeoutError:
        """The error of a stream still running when the call's ``total_timeout`` passed."""
        return StreamTimeoutError(
            f"the call's total_timeout passed while the answer was streaming, after "
            f"{self.events} events; {len(self.text)} characters of text were received",
            text=self.text,
            reasoning=self.reasoning,
            events=self.events,
            request_id=self.request_id,
        )

    def completion(self) -> ChatCompletion:
        """The whole answer as a validated ``ChatCompletion`` (call after the stream ended)."""
        message: dict[str, Any] = {"role": "assistant", "content": self.text}
        if self._reasoning:
            message["reasoning_content"] = self.reasoning
        if self.tool_calls_by_index:
            message["tool_calls"] = self.tool_calls
        return ChatCompletion.model_validate(
            {
                "id": self.id,
                "object": "chat.completion",
                "created": self.created,
                "model": self.model,
                "system_fingerprint": self.system_fingerprint,
                "choices": [{"index": 0, "message": message, "finish_reason": self.finish_reason}],
                "usage": self.usage_dict,
            }
        )


def _error_like(chunk: Chunk) -> bool:
    """Whether an event without ``choices`` is an error body rather than a chunk (a usage-only
    chunk has an ``id`` or ``usage``, never these)."""
    if chunk.get("object") == "error":
        return True
    if isinstance(chunk.get("errors"), list) and chunk.get("success") is False:
        return True
    return "message" in chunk and "code" in chunk and "id" not in chunk and "usage" not in chunk


_DETAIL_TEXTS = ("text", "summary", "data")


def _merge_details(merged: list[Any], fragments: list[Any]) -> None:
    """OpenRouter streams each ``reasoning_details`` item in fragments (same ``type`` and
    ``index``, a piece of ``text`` / ``summary`` / ``data`` each): folded into one item per
    block, as a non-streamed answer gives them and as they are replayed. Other keys (``id``,
    ``format``, a closing ``signature``) keep their last non-null value."""
    for fragment in fragments:
        last = merged[-1] if merged else None
        if (
            type(fragment) is dict
            and type(last) is dict
            and fragment.get("type") == last.get("type")
            and fragment.get("index") == last.get("index")
        ):
            for key, value in fragment.items():
                if key in _DETAIL_TEXTS and isinstance(value, str):
                    last[key] = (last.get(key) or "") + value
                elif value is not None:
                    last[key] = value
        else:
            merged.append(dict(fragment) if type(fragment) is dict else fragment)
