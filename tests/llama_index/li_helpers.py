"""Helpers shared by the LlamaIndex adapter tests (imported as ``li_helpers``)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx

API_KEY = "sk-li-test-key"
MOCK_BASE_URL = "https://api.moonshot.cn/v1"

Responder = Callable[[httpx.Request], httpx.Response]


class Sent:
    """Requests a MockTransport received, with their JSON bodies."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    @property
    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(r.content) for r in self.requests]


def json_response(body: bytes | dict[str, Any], status: int = 200) -> Responder:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return lambda request: httpx.Response(
        status, content=raw, headers={"content-type": "application/json"}
    )


def sse_response(body: bytes) -> Responder:
    return lambda request: httpx.Response(
        200, content=body, headers={"content-type": "text/event-stream"}
    )


def sse(*chunks: dict[str, Any], done: bool = True) -> bytes:
    """An SSE body of these chunk dicts (then ``[DONE]``)."""
    events = [b"data: " + json.dumps(c, ensure_ascii=False).encode() + b"\n\n" for c in chunks]
    if done:
        events.append(b"data: [DONE]\n\n")
    return b"".join(events)


def chat_requests(emu: Any) -> list[dict[str, Any]]:
    """The JSON bodies of the chat completions the emulator received."""
    return [r.json for r in emu.requests if r.path.endswith("/chat/completions")]
