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

An error built from what the server sent (an error event, a body that is not a stream) has
the key scrubbed (``kimi_core.wire.error_body.scrub_error``) when the client passes ``secret``.

A stream holds a connection and, with a rate limiter, a concurrency slot. Both go back when
it is exhausted, closed, or fails; one dropped without any of that gives them back when it
is garbage-collected (``_give_back``), so a forgotten stream cannot block later calls.
"""

from __future__ import annotations

import asyncio
import threading
import time
import weakref
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx

from ..chat.accumulator import Chunk, StreamAccumulator
from ..errors import (
    KimiError,
    MalformedResponseError,
)
from ..limits.limiter import LeaseLike, rate_limit_headers, release_lease
from ..types import ChatCompletion, Usage
from ..wire.error_body import error_from_body, scrub_error
from ..wire.error_body import request_id as response_request_id
from ..wire.json import loads as json_loads
from ..wire.sse import SSEDecoder

__all__ = ["AsyncChatStream", "ChatStream", "StreamAccumulator"]  # the accumulator re-exported


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
            parsed = json_loads(body)
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
            threading.Thread(
                target=release_lease, args=(lease,), name="kimi-stream-cleanup", daemon=True
            ).start()


def _close_sync(response: httpx.Response, lease: LeaseLike | None) -> None:
    try:
        response.close()
    finally:
        release_lease(lease)


def _close_async_soon(response: httpx.Response, lease: LeaseLike | None) -> None:
    async def close() -> None:
        try:
            await response.aclose()
        finally:
            release_lease(lease)

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
        typed_error_events: bool = True,
        secret: Callable[[], str] | None = None,
    ) -> None:
        self.response = response
        self._secret = secret
        headers = response.headers
        self.state = StreamAccumulator(
            response_request_id(headers),
            rate_limit_headers(headers),
            typed_error_events=typed_error_events,
        )
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
            release_lease(lease, self.state.total_tokens())

    def _scrubbed(self, error: KimiError) -> None:
        """An error event may echo the key: scrubbed as every server error is."""
        if self._secret is not None:
            scrub_error(error, self._secret())

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
        except KimiError as exc:
            self._scrubbed(exc)
            raise
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
        typed_error_events: bool = True,
        secret: Callable[[], str] | None = None,
    ) -> None:
        self._loop = asyncio.get_running_loop()
        super().__init__(
            response,
            lease=lease,
            deadline=deadline,
            observe=observe,
            typed_error_events=typed_error_events,
            secret=secret,
        )

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
        except KimiError as exc:
            self._scrubbed(exc)
            raise
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
