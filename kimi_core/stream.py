"""Streaming chat completions: decode SSE, normalise chunks, accumulate, detect cut streams.

``ChatStream`` / ``AsyncChatStream`` yield each chunk as the plain wire ``dict`` (no pydantic on
the hot path), normalised in place so callers read one shape whatever the gateway:

- usage is lifted to the chunk's top-level ``usage`` when Moonshot puts it inside
  ``choices[0].usage`` (its own API) — gateways already send it top-level with ``choices: []``;
- ``delta.reasoning`` (AceData's twin of ``reasoning_content``) is copied to
  ``delta.reasoning_content`` when only the twin is present.

Every way a stream can go wrong ends in a typed error that carries the text received so far:
a stream that ends (or breaks) before ``[DONE]`` and before any ``finish_reason``
(``StreamInterruptedError``), the call's ``total_timeout`` passing (``StreamTimeoutError``),
an error event (the ``APIStatusError`` of its kind), a chunk that is not the wire format — a
``usage`` that is not an object, a second choice, text that is not a string
(``MalformedResponseError``). Nothing is silently truncated.

A stream holds a connection and, with a rate limiter, a concurrency slot. Both go back when
it is exhausted, closed, or fails; one dropped without any of that gives them back when it
is garbage-collected (``_give_back``), so a forgotten stream cannot block later calls.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import weakref
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx

from .errors import (
    APIStatusError,
    MalformedResponseError,
    StreamInterruptedError,
    StreamTimeoutError,
    error_from_body,
)
from .errors import request_id as response_request_id
from .ratelimit import LeaseLike, rate_limit_headers
from .sse import SSEDecoder
from .types import ChatCompletion, Usage

__all__ = ["AsyncChatStream", "ChatStream", "StreamAccumulator"]

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
            raise self._malformed_event("stream event is not JSON", data) from None
        if not isinstance(chunk, dict):
            raise self._malformed_event("stream event is not a JSON object", data)
        if "error" in chunk and not chunk.get("choices"):
            raise self._in_stream_error(chunk)
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
                    # n > 1 is refused before a stream is sent (kimi_core.request): a second
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
                    if reasoning is None and "reasoning" in delta:
                        reasoning = delta["reasoning_content"] = delta["reasoning"]
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
                    self.finish_reason = finish
                inner_usage = choice.get("usage")
                if inner_usage and not chunk.get("usage"):
                    chunk["usage"] = inner_usage
            usage = chunk.get("usage")
            if usage:
                if type(usage) is not dict:
                    raise self._malformed("usage is not an object", chunk)
                self.usage_dict = usage
            fingerprint = chunk.get("system_fingerprint")
            if fingerprint:
                self.system_fingerprint = fingerprint
        except _SHAPE_ERRORS as exc:
            what = f"a stream chunk does not match the wire format ({exc!r})"
            raise self._malformed(what, chunk) from None

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

    def _malformed_event(self, what: str, data: str) -> MalformedResponseError:
        error = MalformedResponseError(what, body=data[:500], request_id=self.request_id)
        error.text, error.reasoning = self.text, self.reasoning
        return error

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


def _is_event_stream(response: httpx.Response) -> bool:
    content_type = response.headers.get("content-type")
    return not content_type or "event-stream" in content_type


def _body_as_stream(response: httpx.Response, body: bytes) -> bytes:
    """A 2xx answer to a stream request that is not labelled an event stream: a JSON error
    body is that error; a body that is SSE all the same (a gateway's wrong label) is read as
    one; anything else (an HTML page, plain text) is a ``MalformedResponseError``."""
    stripped = body.lstrip()
    if stripped.startswith(b"{"):
        try:
            parsed = json.loads(body)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict) and "error" in parsed:
            raise error_from_body(response.headers, body)
    if stripped.startswith((b"data:", b":", b"event:", b"id:")):
        return body
    content_type = response.headers.get("content-type", "")
    raise MalformedResponseError(
        f"expected an event stream, got {content_type} with {len(body)} bytes",
        body=body[:500].decode("utf-8", "replace"),
        request_id=response_request_id(response.headers),
    )


_cleanups: set[asyncio.Task[None]] = set()


def _give_back(response: httpx.Response, lease: LeaseLike | None, loop: Any) -> None:
    """Free a stream that was dropped without being closed: its connection and its limiter
    slot. Run from a garbage-collection finalizer, so never here and now (the collection may
    have interrupted this very thread inside the pool's or the limiter's lock): a sync stream
    is closed from a short-lived thread, an async one by a task on its own event loop."""
    if loop is None:
        threading.Thread(
            target=_close_sync, args=(response, lease), name="kimi-stream-cleanup", daemon=True
        ).start()
        return
    try:
        loop.call_soon_threadsafe(_close_async_soon, response, lease)
    except RuntimeError:  # the loop has closed: its pool is gone, only the slot is left
        if lease is not None:
            threading.Thread(target=lease.release, name="kimi-stream-cleanup", daemon=True).start()


def _close_sync(response: httpx.Response, lease: LeaseLike | None) -> None:
    try:
        response.close()
    finally:
        if lease is not None:
            lease.release()


def _close_async_soon(response: httpx.Response, lease: LeaseLike | None) -> None:
    async def close() -> None:
        try:
            await response.aclose()
        finally:
            if lease is not None:
                lease.release()

    task = asyncio.get_running_loop().create_task(close())
    _cleanups.add(task)
    task.add_done_callback(_cleanups.discard)


class _StreamBase:
    """What both stream classes share: the response, the accumulator, the slot, the results.

    ``lease``: the rate limiter's grant, released with the answer's token count when the
    stream ends; ``deadline``: the ``time.monotonic()`` by which the call must be over
    (``total_timeout``), checked after every read; ``observe``: told the answer's
    ``X-RateLimit-*`` values.
    """

    _loop: asyncio.AbstractEventLoop | None = None

    def __init__(
        self,
        response: httpx.Response,
        *,
        lease: LeaseLike | None = None,
        deadline: float | None = None,
        observe: Callable[[dict[str, int | str] | None], None] | None = None,
    ) -> None:
        self.response = response
        headers = response.headers
        self.state = StreamAccumulator(response_request_id(headers), rate_limit_headers(headers))
        self._lease = lease
        self._deadline = deadline
        self._closed = False
        if observe is not None and self.state.rate_limit is not None:
            observe(self.state.rate_limit)
        self._finalizer = weakref.finalize(self, _give_back, response, lease, self._loop)
        self._finalizer.atexit = False

    def _release(self) -> None:
        self._finalizer.detach()
        lease, self._lease = self._lease, None
        if lease is not None:
            lease.release(self.state.total_tokens())

    def _check_deadline(self) -> None:
        if time.monotonic() > self._deadline:  # type: ignore[operator]
            raise self.state.timed_out()

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
        deadline = self._deadline
        response = self.response
        try:
            try:
                pieces: Any = (
                    response.iter_bytes()
                    if _is_event_stream(response)
                    else (_body_as_stream(response, response.read()),)
                )
                for raw in pieces:
                    if deadline is not None:
                        self._check_deadline()
                    for data in decoder.feed(raw):
                        chunk = add(data)
                        if chunk is not None:
                            yield chunk
                for data in decoder.flush():
                    chunk = add(data)
                    if chunk is not None:
                        yield chunk
            except httpx.DecodingError as exc:
                raise state.undecodable(exc) from exc
            except httpx.TransportError as exc:
                state.check_complete(cause=exc)
                return
            state.check_complete()
        finally:
            self.close()

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            try:
                self.response.close()
            finally:
                self._release()

    def __enter__(self) -> ChatStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncChatStream(_StreamBase):
    """The async twin of ``ChatStream``; the SSE and chunk logic is the same accumulator."""

    def __init__(
        self,
        response: httpx.Response,
        *,
        lease: LeaseLike | None = None,
        deadline: float | None = None,
        observe: Callable[[dict[str, int | str] | None], None] | None = None,
    ) -> None:
        self._loop = asyncio.get_running_loop()
        super().__init__(response, lease=lease, deadline=deadline, observe=observe)

    async def __aiter__(self) -> AsyncIterator[Chunk]:
        state = self.state
        decoder = SSEDecoder()
        add = state.add_data
        deadline = self._deadline
        response = self.response
        try:
            try:
                if _is_event_stream(response):
                    pieces: Any = response.aiter_bytes()
                else:
                    pieces = _aiter_one(_body_as_stream(response, await response.aread()))
                async for raw in pieces:
                    if deadline is not None:
                        self._check_deadline()
                    for data in decoder.feed(raw):
                        chunk = add(data)
                        if chunk is not None:
                            yield chunk
                for data in decoder.flush():
                    chunk = add(data)
                    if chunk is not None:
                        yield chunk
            except httpx.DecodingError as exc:
                raise state.undecodable(exc) from exc
            except httpx.TransportError as exc:
                state.check_complete(cause=exc)
                return
            state.check_complete()
        finally:
            await self.aclose()

    async def aclose(self) -> None:
        if not self._closed:
            self._closed = True
            try:
                await self.response.aclose()
            finally:
                self._release()

    async def __aenter__(self) -> AsyncChatStream:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


async def _aiter_one(body: bytes) -> AsyncIterator[bytes]:
    yield body
