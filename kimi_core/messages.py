"""Kimi's request messages, built from plain values: the adapters map their framework's
message types onto these constructors and never write a wire dict themselves.

Rules applied here (sources in ``docs/kimi-api/chat.md``):

- an assistant message that calls tools carries its ``reasoning_content`` whenever the
  reasoning is known (an empty string included): Kimi's thinking models answer 400
  "thinking is enabled but reasoning_content is missing in assistant tool call message at
  index N" without it;
- tool-call arguments travel as a JSON string; a string is sent unchanged (it is what the
  model produced, valid JSON or not);
- a tool message carries the exact ``tool_call_id`` of the call it answers (ids such as
  ``get_weather:0`` repeat across turns and are never rewritten) and the tool's ``name``;
- partial mode: a trailing assistant message without tool calls is a prefix Kimi continues:
  it is sent with ``partial: true`` and the reply does not repeat it (``finish_partial``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = [
    "assistant_message",
    "finish_partial",
    "system_message",
    "tool_call",
    "tool_message",
    "user_message",
]

Content = str | list[dict[str, Any]]


def _named(message: dict[str, Any], name: str | None) -> dict[str, Any]:
    if name:
        message["name"] = name
    return message


def system_message(text: str, name: str | None = None) -> dict[str, Any]:
    return _named({"role": "system", "content": text}, name)


def user_message(content: Content, name: str | None = None) -> dict[str, Any]:
    """``content``: a string, or parts from ``kimi_core.content`` (text, image, video)."""
    return _named({"role": "user", "content": content}, name)


def tool_call(
    call_id: str | None, name: str, arguments: Any, kind: str = "function"
) -> dict[str, Any]:
    """One call of an assistant message; dict (or other JSON) arguments are encoded."""
    if not isinstance(arguments, str):
        arguments = json.dumps(arguments if arguments is not None else {}, ensure_ascii=False)
    return {"id": call_id, "type": kind, "function": {"name": name, "arguments": arguments}}


def assistant_message(
    content: Content,
    *,
    reasoning: str | None = None,
    tool_calls: Iterable[Mapping[str, Any]] = (),
    name: str | None = None,
) -> dict[str, Any]:
    """An earlier assistant turn (see the module docstring for the reasoning rule)."""
    message: dict[str, Any] = {"role": "assistant", "content": content}
    calls = list(tool_calls)
    if calls:
        message["tool_calls"] = calls
        if reasoning is not None:
            message["reasoning_content"] = reasoning
    return _named(message, name)


def tool_message(call_id: str, content: Content, name: str | None = None) -> dict[str, Any]:
    return _named({"role": "tool", "tool_call_id": call_id, "content": content}, name)


def finish_partial(messages: list[dict[str, Any]]) -> str | None:
    """Mark a trailing assistant prefix for partial mode; return the prefix (else None)."""
    if not messages:
        return None
    last = messages[-1]
    if last.get("role") != "assistant" or "tool_calls" in last:
        return None
    last["partial"] = True
    content = last.get("content")
    return content if isinstance(content, str) else ""
