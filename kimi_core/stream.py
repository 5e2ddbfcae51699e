"""Streaming chat completions: decode SSE, normalise chunks, accumulate, detect cut streams.

``ChatStream`` / ``AsyncChatStream`` yield each chunk as the plain wire ``dict`` (no pydantic on
the hot path), normalised in place so callers read one shape whatever the gateway:

- usage is lifted to the chunk's top-level ``usage`` when Moonshot puts it inside
  ``choices[0].usage`` (its own API) — gateways already send it top-level with ``choices: []``;
- ``delta.reasoning`` (AceData's twin of ``reasoning_content``) is copied to
  ``delta.reasoning_content`` when only the twin is present.

A stream that ends (or breaks) before ``[DONE]`` and before any ``finish_reason`` raises
``StreamInterruptedError`` with the text received so far; nothing is silently truncated.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx

from .errors import (
    APIStatusError,
    MalformedResponseError,
    StreamInterruptedError,
    error_from_body,
)
from .errors import request_id as response_request_id
from .ratelimit import rate_limit_headers
from .sse import SSEDecoder
from .types import ChatCompletion, Usage

__all__ = ["AsyncChatStream", "ChatStream", "StreamAccumulator"]

Chunk = dict[str, Any]


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
        "request_id",
        "system_fingerprint",
        "tool_calls_by_index",
        "usage_dict",
    )

    def __init__(
        self, request_id: str | None = None, rate_limit: dict[str, int | str] | None = None
    ) -> None:
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
            chunk = json.loads(data)
        except ValueError:
            raise MalformedResponseError(
                "stream event is not JSON", body=data[:500], request_id=self.request_id
            ) from None
        if not isinstance(chunk, dict):
            raise MalformedResponseError(
                "stream event is not a JSON object", body=data[:500], request_id=self.request_id
            )
        if "error" in chunk and not chunk.get("choices"):
            raise self._in_stream_error(chunk)
        self.add_chunk(chunk)
        return chunk

    def add_chunk(self, chunk: Chunk) -> None:
        self.events += 1
        if self.id is None:
            self.id = chunk.get("id")
            self.model = chunk.get("model")
            self.created = chunk.get("created")
        choices = chunk.get("choices")
        if choices:
            choice = choices[0]
            if not isinstance(choice, dict):
                raise MalformedResponseError("stream choice is not an object", body=str(chunk))
            delta = choice.get("delta")
            if delta:
                content = delta.get("content")
                if content:
                    self._text.append(content)
                reasoning = delta.get("reasoning_content")
                if reasoning is None and "reasoning" in delta:
                    reasoning = delta["reasoning_content"] = delta["reasoning"]
                if reasoning:
                    self._reasoning.append(reasoning)
                tool_calls = delta.get("tool_calls")
                if tool_calls:
                    self._add_tool_calls(tool_calls)
            finish = choice.get("finish_reason")
            if finish:
                self.finish_reason = finish
            inner_usage = choice.get("usage")
            if inner_usage and not chunk.get("usage"):
                chunk["usage"] = inner_usage
        usage = chunk.get("usage")
        if usage:
            self.usage_dict = usage
        fingerprint = chunk.get("system_fingerprint")
        if fingerprint:
            self.system_fingerprint = fingerprint

    def _add_tool_calls(self, fragments: list[dict[str, Any]]) -> None:
        calls = self.tool_calls_by_index
        for position, fragment in enumerate(fragments):
            index = fragment.get("index")
            if index is None:
                index = position
            call = calls.get(index)
            function = fragment.get("function") or {}
            if call is None:
                calls[index] = {
                    "id": fragment.get("id"),
                    "type": fragment.get("type") or "function",
                    "index": index,
                    "function": {
                        "name": function.get("name") or "",
                        "arguments": function.get("arguments") or "",
                    },
                }
                continue
            if fragment.get("id") and not call["id"]:
                call["id"] = fragment["id"]
            if function.get("name"):
                call["function"]["name"] += function["name"]
            if function.get("arguments"):
                call["function"]["arguments"] += function["arguments"]

    def _in_stream_error(self, chunk: Chunk) -> APIStatusError:
        headers = {"msh-request-id": self.request_id} if self.request_id else {}
        return error_from_body(headers, json.dumps(chunk))

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


def _check_event_stream(response: httpx.Response, body: bytes | None) -> None:
    """A 2xx answer that is not an event stream: a JSON error, or something else broken."""
    if body is None:
        return
    request_id = response_request_id(response.headers)
    if body.strip():
        try:
            parsed = json.loads(body)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict) and "error" in parsed:
            raise error_from_body(response.headers, body)
    content_type = response.headers.get("content-type", "")
    raise MalformedResponseError(
        f"expected an event stream, got {content_type or 'no content type'} with {len(body)} bytes",
        body=body[:500].decode("utf-8", "replace"),
        request_id=request_id,
    )


def _not_event_stream(response: httpx.Response) -> bool:
    content_type = response.headers.get("content-type", "")
    return "json" in content_type or "html" in content_type


_NETWORK_ERRORS = (httpx.TransportError, httpx.DecodingError)


class _StreamBase:
    """What both stream classes share: the response, the accumulator, the results."""

    def __init__(self, response: httpx.Response, on_close: Callable[[], None] | None = None):
        self.response = response
        headers = response.headers
        self.state = StreamAccumulator(response_request_id(headers), rate_limit_headers(headers))
        self._on_close = on_close
        self._closed = False

    # Accumulated results, complete once iteration has ended.
    @property
    def text(self) -> str:
        return self.state.text

    @property
    def reasoning(self) -> str:
        return self.state.reasoning

    @property
    def tool_calls(self) -> list[dict[str, Any]]:
        return self.state.tool_calls

    @property
    def finish_reason(self) -> str | None:
        return self.state.finish_reason

    @property
    def usage(self) -> Usage | None:
        return self.state.usage

    def completion(self) -> ChatCompletion:
        return self.state.completion()


class ChatStream(_StreamBase):
    """A streamed chat completion; iterate for chunk dicts, then read the accumulated answer.

    Use it as a context manager (or exhaust it) so the connection goes back to the pool.
    """

    def __iter__(self) -> Iterator[Chunk]:
        state = self.state
        decoder = SSEDecoder()
        add = state.add_data
        try:
            if _not_event_stream(self.response):
                _check_event_stream(self.response, self.response.read())
            try:
                for raw in self.response.iter_bytes():
                    for data in decoder.feed(raw):
                        chunk = add(data)
                        if chunk is not None:
                            yield chunk
                for data in decoder.flush():
                    chunk = add(data)
                    if chunk is not None:
                        yield chunk
            except _NETWORK_ERRORS as exc:
                state.check_complete(cause=exc)
                return
            state.check_complete()
        finally:
            self.close()

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self.response.close()
            if self._on_close is not None:
                self._on_close()

    def __enter__(self) -> ChatStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncChatStream(_StreamBase):
    """The async twin of ``ChatStream``; the SSE and chunk logic is the same accumulator."""

    async def __aiter__(self) -> AsyncIterator[Chunk]:
        state = self.state
        decoder = SSEDecoder()
        add = state.add_data
        try:
            if _not_event_stream(self.response):
                _check_event_stream(self.response, await self.response.aread())
            try:
                async for raw in self.response.aiter_bytes():
                    for data in decoder.feed(raw):
                        chunk = add(data)
                        if chunk is not None:
                            yield chunk
                for data in decoder.flush():
                    chunk = add(data)
                    if chunk is not None:
                        yield chunk
            except _NETWORK_ERRORS as exc:
                state.check_complete(cause=exc)
                return
            state.check_complete()
        finally:
            await self.aclose()

    async def aclose(self) -> None:
        if not self._closed:
            self._closed = True
            await self.response.aclose()
            if self._on_close is not None:
                self._on_close()

    async def __aenter__(self) -> AsyncChatStream:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
