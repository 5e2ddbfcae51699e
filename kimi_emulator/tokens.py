"""The emulator's token counts: the core's documented offline estimate
(``kimi_core.catalog.token_estimate``), so the emulator and the offline fallback agree exactly."""

from __future__ import annotations

from kimi_core.catalog.token_estimate import (
    MEDIA_TOKENS,
    MESSAGE_OVERHEAD,
    REPLY_PRIMING,
    content_text,
    count_completion,
    count_content,
    count_message,
    count_prompt,
    count_text,
    truncate_to_tokens,
)

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
