"""An offline token estimate: the count when Kimi's tokenizer endpoint cannot be reached, and
the emulator's ``usage`` and ``/tokenizers/estimate-token-count``.

It is not Kimi's tokenizer: it is a cheap, documented formula (tests assert exact numbers; for
English and Chinese text it lands near Kimi's own counts, within tens of percent, not exactly).

- ``count_text(s)`` = ``ceil(ascii_chars / 4) + non_ascii_chars`` (each non-ASCII code point,
  e.g. a CJK character, counts as one token); ``""`` is 0.
- A message costs ``MESSAGE_OVERHEAD`` (3) + its text content + its ``name`` + its
  ``reasoning_content`` + for each tool call ``count_text(name) + count_text(arguments)``;
  each ``image_url`` / ``video_url`` content part costs ``MEDIA_TOKENS`` (256). A ``$web_search``
  tool message also costs the ``usage.total_tokens`` its content carries (the real API bills
  search results as input, docs/kimi-api/chat.md "Tool calls").
- ``count_prompt(messages, tools)`` = ``REPLY_PRIMING`` (3) + the sum over messages +
  ``count_text`` of the tools list serialised as compact JSON
  (``json.dumps(tools, separators=(",", ":"), ensure_ascii=False)``).
- ``count_completion`` = ``count_text(reasoning) + count_text(content)`` + each tool call's
  ``count_text(name) + count_text(arguments)``, times ``n`` choices.

Example: ``[{"role": "user", "content": "hello"}]`` → 3 + (3 + 2) = 8 prompt tokens.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from ..wire.json import loads as json_loads

__all__ = [
    "MEDIA_TOKENS",
    "MESSAGE_OVERHEAD",
    "REPLY_PRIMING",
    "content_text",
    "count_completion",
    "count_content",
    "count_message",
    "count_prompt",
    "count_text",
    "truncate_to_tokens",
]

MESSAGE_OVERHEAD = 3
REPLY_PRIMING = 3
MEDIA_TOKENS = 256
_MEDIA_PARTS = ("image_url", "video_url", "input_image", "image", "video")


def count_text(text: str | None) -> int:
    """``ceil(ascii_chars / 4) + non_ascii_chars``."""
    if not text:
        return 0
    ascii_chars = len(text.encode("ascii", "ignore"))
    return -(-ascii_chars // 4) + (len(text) - ascii_chars)


def truncate_to_tokens(text: str, budget: int) -> str:
    """The longest prefix of ``text`` whose ``count_text`` is at most ``budget``."""
    if budget <= 0:
        return ""
    if count_text(text) <= budget:
        return text
    used_ascii = 0
    non_ascii = 0
    for i, ch in enumerate(text):
        if ch.isascii():
            cost = -(-(used_ascii + 1) // 4) + non_ascii
        else:
            cost = -(-used_ascii // 4) + non_ascii + 1
        if cost > budget:
            return text[:i]
        if ch.isascii():
            used_ascii += 1
        else:
            non_ascii += 1
    return text


def content_text(content: Any, sep: str = " ") -> str:
    """The text of a message ``content``: a string, or the ``text`` parts of a list joined."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, Sequence):
        texts = [
            str(part.get("text", ""))
            for part in content
            if isinstance(part, Mapping) and part.get("type") == "text"
        ]
        return sep.join(texts)
    return json.dumps(content, ensure_ascii=False)


def count_content(content: Any) -> int:
    """Tokens of a message ``content`` (text parts by ``count_text``, media parts fixed)."""
    if content is None:
        return 0
    if isinstance(content, str):
        return count_text(content)
    if isinstance(content, Sequence):
        total = 0
        for part in content:
            if not isinstance(part, Mapping):
                continue
            kind = part.get("type")
            if kind == "text":
                total += count_text(str(part.get("text", "")))
            elif kind in _MEDIA_PARTS:
                total += MEDIA_TOKENS
        return total
    return count_text(json.dumps(content, ensure_ascii=False))


def _web_search_tokens(message: Mapping[str, Any]) -> int:
    is_search = message.get("name") == "$web_search" or str(
        message.get("tool_call_id") or ""
    ).startswith("$web_search")
    content = message.get("content")
    if not is_search or not isinstance(content, str):
        return 0
    try:
        data = json_loads(content)
        total = data["usage"]["total_tokens"]
    except (ValueError, TypeError, KeyError):
        return 0
    return total if isinstance(total, int) and total > 0 else 0


def count_message(message: Mapping[str, Any]) -> int:
    """Tokens of one chat message (see the module docstring)."""
    total = MESSAGE_OVERHEAD + count_content(message.get("content"))
    name = message.get("name")
    if isinstance(name, str):
        total += count_text(name)
    reasoning = message.get("reasoning_content")
    if isinstance(reasoning, str):
        total += count_text(reasoning)
    tool_calls = message.get("tool_calls")
    if isinstance(tool_calls, list):
        for call in tool_calls:
            function = call.get("function") if isinstance(call, Mapping) else None
            if isinstance(function, Mapping):
                total += count_text(str(function.get("name") or ""))
                arguments = function.get("arguments")
                if not isinstance(arguments, str):
                    arguments = json.dumps(arguments, ensure_ascii=False)
                total += count_text(arguments)
    if message.get("role") == "tool":
        total += _web_search_tokens(message)
    return total


def count_prompt(messages: Sequence[Any], tools: Sequence[Any] | None = None) -> int:
    """Prompt tokens of a request: priming + messages + the tools' compact JSON."""
    total = REPLY_PRIMING
    for message in messages:
        if isinstance(message, Mapping):
            total += count_message(message)
    if tools:
        total += count_text(json.dumps(list(tools), separators=(",", ":"), ensure_ascii=False))
    return total


def count_completion(
    content: str | None, reasoning: str | None, tool_calls: Sequence[tuple[str, str]] = ()
) -> int:
    """Completion tokens of one choice; ``tool_calls`` as ``(name, arguments)`` pairs."""
    total = count_text(content) + count_text(reasoning)
    for name, arguments in tool_calls:
        total += count_text(name) + count_text(arguments)
    return total
