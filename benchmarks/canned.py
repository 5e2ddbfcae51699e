"""The canned Kimi answers the benchmark server sends, and what a client must read from them.

Shared by ``server.py`` (which sends the bytes) and ``subjects.py`` (which checks that every
subject really consumed the whole answer), so the two can never disagree.

Shapes follow Moonshot's own API (``docs/kimi-api/chat.md``, "Streaming"): the first
chunk carries ``role``, reasoning (``delta.reasoning_content``) streams before content, and the
last chunk has an empty delta, ``finish_reason`` and the usage *inside* ``choices[0]``; then
``data: [DONE]``. JSON is compact, as Moonshot prints it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

MODEL = "kimi-k2.6"
COMPLETION_ID = "chatcmpl-6a1b2c3d4e5f60718293a4b5"
CREATED = 1770991864

# Non-streaming answer: small, like a one-line chat reply.
COMPLETION_TEXT = "Hello! How can I help you today?"
COMPLETION_REASONING = "The user greets me. A short, friendly reply is enough."
COMPLETION_USAGE = {"prompt_tokens": 9, "completion_tokens": 24, "total_tokens": 33}

# Streams are built from these words, one word (a token-sized piece) per chunk.
_WORDS = (
    "the", "model", "streams", "tokens", "quickly", "while", "thinking", "about", "answer",
    "and", "then", "writes", "a", "short", "reply", "to", "user", "with", "care", "now",
)  # fmt: skip

DEFAULT_CHUNKS = 2000


def _dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def completion_body() -> bytes:
    """The JSON body of the fixed non-streaming ``chat.completion``."""
    return _dumps(
        {
            "id": COMPLETION_ID,
            "object": "chat.completion",
            "created": CREATED,
            "model": MODEL,
            "choices": [
                {
                    "index": 0,
                    "message": {
                        "role": "assistant",
                        "content": COMPLETION_TEXT,
                        "reasoning_content": COMPLETION_REASONING,
                    },
                    "finish_reason": "stop",
                }
            ],
            "usage": COMPLETION_USAGE,
        }
    )


def models_body() -> bytes:
    """``GET /models``: enough for clients that list models."""
    return _dumps(
        {
            "object": "list",
            "data": [{"id": MODEL, "object": "model", "created": CREATED, "owned_by": "moonshot"}],
        }
    )


@dataclass(frozen=True)
class StreamShape:
    """How an N-chunk stream splits, and the text a client must end up with."""

    chunks: int
    reasoning_pieces: list[str]
    content_pieces: list[str]

    @property
    def text(self) -> str:
        return "".join(self.content_pieces)

    @property
    def reasoning(self) -> str:
        return "".join(self.reasoning_pieces)


def stream_shape(chunks: int) -> StreamShape:
    """N chunks: 1 with the role, about N/4 of reasoning, the rest content, 1 with the finish."""
    if chunks < 3:
        raise ValueError(f"a stream needs at least 3 chunks (role, content, finish), got {chunks}")
    body = chunks - 2
    n_reasoning = chunks // 4 if body > 1 else 0
    words = [" " + _WORDS[i % len(_WORDS)] for i in range(body)]
    return StreamShape(chunks, words[:n_reasoning], words[n_reasoning:])


def stream_events(chunks: int) -> list[bytes]:
    """Every SSE event of an N-chunk stream, ``data: [DONE]`` included, each with its blank line."""
    shape = stream_shape(chunks)
    head = {
        "id": COMPLETION_ID,
        "object": "chat.completion.chunk",
        "created": CREATED,
        "model": MODEL,
    }

    def event(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> bytes:
        choice = {"index": 0, "delta": delta, "finish_reason": finish, **extra}
        return b"data: " + _dumps({**head, "choices": [choice]}) + b"\n\n"

    usage = {
        "prompt_tokens": 9,
        "completion_tokens": chunks - 2,
        "total_tokens": chunks + 7,
    }
    events = [event({"role": "assistant", "content": ""})]
    events += [event({"reasoning_content": piece}) for piece in shape.reasoning_pieces]
    events += [event({"content": piece}) for piece in shape.content_pieces]
    events.append(event({}, "stop", usage=usage))
    events.append(b"data: [DONE]\n\n")
    return events
