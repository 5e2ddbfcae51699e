"""Helpers shared by the kimi_core unit tests: scripted mock transports and client factories."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx

from kimi_core import AsyncKimiClient, KimiClient

# A key that must never show up in a repr, str, log line or error message.
SENTINEL_KEY = "sk-SENTINEL-c0ffee-do-not-leak-4242"
BASE_URL = "https://api.moonshot.ai/v1"  # the default endpoint (moonshot-global)

Answer = httpx.Response | Callable[[httpx.Request], httpx.Response]


class Recorder:
    """A MockTransport handler that records every request and answers from a script."""

    def __init__(self, *answers: Answer) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        if not self.answers:
            raise AssertionError(f"unexpected request {request.method} {request.url}")
        answer = self.answers.pop(0)
        return answer(request) if callable(answer) else answer

    def json_bodies(self) -> list[Any]:
        return [json.loads(r.content) for r in self.requests]


def json_response(
    body: Any, status: int = 200, headers: dict[str, str] | None = None
) -> httpx.Response:
    return httpx.Response(status, json=body, headers=headers)


class ChunkStream(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A response body delivered in the given network chunks, optionally breaking at the end."""

    def __init__(self, chunks: list[bytes], error: Exception | None = None) -> None:
        self.chunks = chunks
        self.error = error

    def __iter__(self) -> Iterator[bytes]:
        yield from self.chunks
        if self.error is not None:
            raise self.error

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self.chunks:
            yield chunk
        if self.error is not None:
            raise self.error


def sse_response(
    body: bytes | list[bytes],
    status: int = 200,
    *,
    error: Exception | None = None,
    content_type: str = "text/event-stream",
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """A streamed answer in the given network chunks (text/event-stream unless told)."""
    chunks = [body] if isinstance(body, bytes) else body
    return httpx.Response(
        status,
        stream=ChunkStream(chunks, error),
        headers={"content-type": content_type, **(headers or {})},
    )


def sync_client(handler: Callable[[httpx.Request], httpx.Response], **options: Any) -> KimiClient:
    http = httpx.Client(transport=httpx.MockTransport(handler))
    return KimiClient(SENTINEL_KEY, BASE_URL, http_client=http, **options)


def async_client(
    handler: Callable[[httpx.Request], httpx.Response], **options: Any
) -> AsyncKimiClient:
    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return AsyncKimiClient(SENTINEL_KEY, BASE_URL, http_client=http, **options)


def sse_bytes(*chunks: dict[str, Any] | str, done: bool = True) -> bytes:
    """Encode chunk dicts (or raw data strings) as an SSE body, ending with [DONE]."""
    parts = [f"data: {c if isinstance(c, str) else json.dumps(c)}\n\n" for c in chunks]
    if done:
        parts.append("data: [DONE]\n\n")
    return "".join(parts).encode()


USER_HI = [{"role": "user", "content": "Hi"}]
