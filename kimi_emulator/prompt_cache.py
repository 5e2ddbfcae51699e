"""Moonshot's prompt cache, simulated deterministically per emulator (moonshot dialect).

The request field ``prompt_cache_options: {"mode": "implicit", "ttl": "5m" | "1h"}`` (both
optional; omitted means a 5m write) is checked: anything else is 400
``invalid_request_error`` naming the field ("Invalid request: prompt_cache_options.ttl must be
\\"5m\\" or \\"1h\\", got '30m'"; the enums are official, docs/kimi-api: OpenAPI
``ChatRequestBasePromptCacheOptions``; the wording is assumed).

The usage then says what the cache did: ``prompt_tokens_details: {"cached_tokens": c,
"cache_write_tokens": w}`` and the top-level ``cached_tokens: c`` (Moonshot's own field), in
non-streamed answers and in the stream's usage, whenever ``c`` or ``w`` is not 0 (the fields
are left out when both are 0, as the live capture without ``cache_write_tokens`` suggests).
``c + w <= prompt_tokens`` always (the rest is fresh input).

The simulation's rules (assumed: Moonshot documents the fields and the 256-token threshold,
not its cache's granularity):

1. A prompt is a list of blocks: the tools (their compact JSON) when the request has any,
   then each message in order; a block's tokens are the offline estimate's
   (``kimi_core.catalog.token_estimate``), so the blocks plus the reply priming (3) make
   ``prompt_tokens``. Two prompts share the leading blocks that are identical (the same JSON).
2. The cache holds one entry per written prompt, in two independent tiers, ``5m`` and ``1h``
   (a request reads and writes only its own tier, the one its ``ttl`` names, default 5m),
   each entry alive until its expiry on the emulator's clock (``set_clock`` moves it).
3. **Read**: the longest run of leading blocks shared with a live entry of the tier; if
   those blocks hold more than 256 tokens ("a new request can hit the prefix cache only when
   the previous request's prompt tokens exceed 256", Moonshot's caching page as quoted in
   docs), they are ``cached_tokens`` and that entry's lifetime starts again (with its TTL).
4. **Write**: when all the prompt's blocks hold more than 256 tokens, the blocks not read are
   written (``cache_write_tokens``) and the prompt becomes an entry of the tier, alive for
   the TTL (5 minutes or 1 hour); otherwise nothing is written.
5. A scripted answer with a ``usage`` bypasses the simulation (the script wins).

At most 1,024 entries are kept (the oldest go first); ``reset()`` empties the cache.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .errors import bad_request
from .tokens import count_message, count_text

__all__ = ["MIN_CACHED_TOKENS", "TTL_SECONDS", "PromptCache", "cache_tier", "prompt_blocks"]

TTL_SECONDS = {"5m": 300.0, "1h": 3600.0}
MIN_CACHED_TOKENS = 256
MAX_ENTRIES = 1024


def cache_tier(body: Mapping[str, Any]) -> str:
    """The request's cache tier (``"5m"`` when it says nothing), or a 400 for a bad
    ``prompt_cache_options`` (module docstring)."""
    raw = body.get("prompt_cache_options")
    if raw is None:
        return "5m"
    if not isinstance(raw, Mapping):
        raise bad_request("Invalid request: prompt_cache_options must be an object")
    mode = raw.get("mode", "implicit")
    if mode != "implicit":
        raise bad_request(
            f'Invalid request: prompt_cache_options.mode must be "implicit", got {mode!r}'
        )
    ttl = raw.get("ttl", "5m")
    if not isinstance(ttl, str) or ttl not in TTL_SECONDS:
        raise bad_request(
            f'Invalid request: prompt_cache_options.ttl must be "5m" or "1h", got {ttl!r}'
        )
    return ttl


def _key(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def prompt_blocks(
    messages: Sequence[Mapping[str, Any]], tools: Sequence[Any] | None
) -> list[tuple[str, int]]:
    """``(identity, tokens)`` of each block of a prompt (rule 1)."""
    blocks: list[tuple[str, int]] = []
    if tools:
        text = json.dumps(list(tools), separators=(",", ":"), ensure_ascii=False)
        blocks.append((_key(["tools", list(tools)]), count_text(text)))
    for message in messages:
        blocks.append((_key(message), count_message(message)))
    return blocks


@dataclass
class _Entry:
    keys: tuple[str, ...]
    tier: str
    expires: float


class PromptCache:
    """The simulated cache of one emulator (module docstring); thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[_Entry] = []

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def account(self, blocks: Sequence[tuple[str, int]], tier: str, now: float) -> tuple[int, int]:
        """``(cached_tokens, cache_write_tokens)`` of a prompt made of ``blocks`` (rules 3-4);
        the cache is updated."""
        keys = tuple(key for key, _ in blocks)
        ttl = TTL_SECONDS[tier]
        with self._lock:
            self._entries = [e for e in self._entries if e.expires > now]
            best: _Entry | None = None
            shared = 0
            for entry in self._entries:
                if entry.tier != tier:
                    continue
                length = _common(entry.keys, keys)
                if length > shared:
                    best, shared = entry, length
            cached = sum(tokens for _, tokens in blocks[:shared])
            if best is not None and cached > MIN_CACHED_TOKENS:
                best.expires = now + ttl
            else:
                cached = 0
            total = sum(tokens for _, tokens in blocks)
            if total <= MIN_CACHED_TOKENS:
                return cached, 0
            self._entries = [e for e in self._entries if (e.keys, e.tier) != (keys, tier)]
            self._entries.append(_Entry(keys, tier, now + ttl))
            del self._entries[:-MAX_ENTRIES]
            return cached, total - cached


def _common(left: tuple[str, ...], right: tuple[str, ...]) -> int:
    n = 0
    for a, b in zip(left, right, strict=False):
        if a != b:
            break
        n += 1
    return n
