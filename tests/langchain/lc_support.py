"""Helpers for the LangChain adapter's tests: MockTransport-backed models and chunk folding."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import httpx
from langchain_core.messages import AIMessageChunk

from langchain_kimi import ChatKimi

# Distinctive, so a leak into dumps()/repr()/errors can be searched for.
API_KEY = "sk-lc-test-9f3a7c21e5"
MOCK_BASE_URL = "https://api.moonshot.cn/v1"

Responder = Callable[[httpx.Request], httpx.Response]


@dataclass
class Sent:
    """The requests a MockTransport saw, with their JSON bodies."""

    requests: list[httpx.Request] = field(default_factory=list)

    @property
    def bodies(self) -> list[Any]:
        return [json.loads(r.content) for r in self.requests]


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Responder:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()

    def respond(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            status, content=raw, headers={"content-type": "application/json", **(headers or {})}
        )

    return respond


def sse_response(raw: bytes) -> Responder:
    def respond(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=raw, headers={"content-type": "text/event-stream"})

    return respond


def mock_llm(responder: Responder, **kwargs: Any) -> tuple[ChatKimi, Sent]:
    """A ``ChatKimi`` whose sync and async clients answer through ``httpx.MockTransport``."""
    sent = Sent()

    def handler(request: httpx.Request) -> httpx.Response:
        request.read()
        sent.requests.append(request)
        return responder(request)

    async def ahandler(request: httpx.Request) -> httpx.Response:
        await request.aread()
        sent.requests.append(request)
        return responder(request)

    kwargs.setdefault("api_key", API_KEY)
    kwargs.setdefault("base_url", MOCK_BASE_URL)
    kwargs.setdefault("max_retries", 0)
    model = ChatKimi(
        http_client=httpx.Client(transport=httpx.MockTransport(handler)),
        http_async_client=httpx.AsyncClient(transport=httpx.MockTransport(ahandler)),
        **kwargs,
    )
    return model, sent


def fold(chunks: Iterable[AIMessageChunk]) -> AIMessageChunk:
    """Add up streamed chunks the way LangChain users do."""
    full: AIMessageChunk | None = None
    for chunk in chunks:
        full = chunk if full is None else full + chunk
    assert full is not None, "the stream yielded nothing"
    return full


def sse_events(raw: bytes) -> list[dict[str, Any]]:
    """The JSON events of an SSE capture (an independent, naive reading for expectations)."""
    events = []
    for line in raw.decode().splitlines():
        if line.startswith("data: ") and line != "data: [DONE]":
            events.append(json.loads(line[len("data: ") :]))
    return events
