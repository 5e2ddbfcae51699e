"""Counting tokens without a request per call: Kimi's counts cached per message, an offline
estimate when the endpoint cannot be reached.

``POST /tokenizers/estimate-token-count`` counts a whole message list. Frameworks count often
and overlapping lists (``trim_messages`` tries prefix after prefix), so ``TokenCounter`` asks
Kimi once per *distinct message* (each sent alone) and adds the counts up. Each single count
includes the per-request overhead once; the sum takes out the extra ones, assuming
``REQUEST_OVERHEAD`` tokens (the chat template's assistant priming; docs/kimi-api/chat.md,
"Token counting": assumed, exact on the emulator). ``exact=True`` sends the list as a whole.

The cache is bounded in bytes whatever the messages' size: at most ``CACHE_ENTRIES`` entries,
each keyed by a 16-byte hash of the model and the message (never the text itself), under 1 MB
in all. It is thread-safe: a call reads the counts it needs once (``TokenCounter.lookup``),
so another thread's (or its own) new counts pushing one out of the cache before the sum
change nothing.

When the endpoint cannot be reached (connection or timeout errors, a 404 from a gateway
without it, 5xx after the retries) the count is ``kimi_core.catalog.token_estimate``'s formula, the
result says so (``TokenCount.estimated``) and a ``TokenCountEstimateWarning`` is issued once
per counter; for ``OFFLINE_FOR`` seconds after that no request is tried (a framework counting
a hundred times must not wait a hundred timeouts).
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
import warnings
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..catalog.token_estimate import REPLY_PRIMING, count_prompt
from ..errors import (
    APIConnectionError,
    APIStatusError,
    InternalServerError,
    KimiError,
    MalformedResponseError,
    NotFoundError,
)
from ..wire.json import encode_json

if TYPE_CHECKING:
    import httpx

__all__ = [
    "CACHE_ENTRIES",
    "ESTIMATE_PATH",
    "OFFLINE_FOR",
    "REQUEST_OVERHEAD",
    "TokenCount",
    "TokenCountEstimateWarning",
    "TokenCounter",
    "estimate_body",
    "parse_token_count",
]

ESTIMATE_PATH = "/tokenizers/estimate-token-count"
REQUEST_OVERHEAD = REPLY_PRIMING
OFFLINE_FOR = 60.0
CACHE_ENTRIES = 4096


class TokenCountEstimateWarning(UserWarning):
    """Kimi's tokenizer endpoint could not be reached: counts are the offline estimate."""


class TokenCount(int):
    """A token count (an ``int``) that says whether it is Kimi's or the offline estimate."""

    estimated: bool

    def __new__(cls, value: int, *, estimated: bool = False) -> TokenCount:
        count = super().__new__(cls, value)
        count.estimated = estimated
        return count

    def __repr__(self) -> str:
        return f"TokenCount({int(self)}, estimated={self.estimated})"


def _key(model: str, message: Mapping[str, Any]) -> bytes:
    """A fixed-size key (a hash of the model and the message): the cache never holds text."""
    text = json.dumps(message, sort_keys=True, ensure_ascii=False, default=str)
    digest = hashlib.blake2b(model.encode(), digest_size=16)
    digest.update(b"\x00")
    digest.update(text.encode("utf-8", "surrogatepass"))
    return digest.digest()


class TokenCounter:
    """Per-client cache of single-message counts, and the offline state (module docstring).

    The client does the I/O: ``lookup`` says which messages to count alone (and the counts
    known), ``store`` keeps each answer, ``total`` adds them up; ``unreachable`` and
    ``estimate`` are the fallback."""

    def __init__(self, size: int = CACHE_ENTRIES) -> None:
        self._counts: OrderedDict[bytes, int] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()
        self._offline_until = 0.0
        self._warned = False

    def lookup(
        self, model: str, messages: Sequence[Mapping[str, Any]]
    ) -> tuple[list[bytes], dict[bytes, int], list[tuple[bytes, Mapping[str, Any]]]]:
        """Each message's key (in order), the counts already cached (read now, under the
        lock: a later eviction does not take them away), and the distinct messages still to
        count, with their keys."""
        keys = [_key(model, message) for message in messages]
        known: dict[bytes, int] = {}
        wanted: dict[bytes, Mapping[str, Any]] = {}
        with self._lock:
            counts = self._counts
            for key, message in zip(keys, messages, strict=True):
                count = counts.get(key)
                if count is not None:
                    known[key] = count
                    counts.move_to_end(key)
                elif key not in known:
                    wanted.setdefault(key, message)
        return keys, known, list(wanted.items())

    def store(self, key: bytes, count: int) -> None:
        with self._lock:
            self._counts[key] = count
            self._counts.move_to_end(key)
            while len(self._counts) > self._size:
                self._counts.popitem(last=False)

    @staticmethod
    def total(keys: Sequence[bytes], counts: Mapping[bytes, int]) -> TokenCount:
        """The list's count from its messages' counts (``counts`` has every key)."""
        total = sum(counts[key] for key in keys)
        if len(keys) > 1:
            total -= (len(keys) - 1) * REQUEST_OVERHEAD
        return TokenCount(total)

    def offline(self) -> bool:
        """Within ``OFFLINE_FOR`` of the endpoint failing: do not try it."""
        return time.monotonic() < self._offline_until

    def unreachable(self, error: KimiError) -> bool:
        """``error`` means the endpoint cannot be reached (not that the request was wrong)."""
        if isinstance(error, APIConnectionError | MalformedResponseError):
            return True
        return isinstance(error, NotFoundError | InternalServerError) or (
            isinstance(error, APIStatusError) and error.status in (405, 501)
        )

    def went_offline(self, messages: Sequence[Mapping[str, Any]], error: KimiError) -> TokenCount:
        """Remember the failure, warn once, and give the estimate."""
        self._offline_until = time.monotonic() + OFFLINE_FOR
        if not self._warned:
            self._warned = True
            warnings.warn(
                f"Kimi's token-count endpoint could not be reached ({type(error).__name__}: "
                f"{error}); token counts are an offline estimate for the next {OFFLINE_FOR:g} s "
                "(TokenCount.estimated is True)",
                TokenCountEstimateWarning,
                stacklevel=4,
            )
        return self.estimate(messages)

    @staticmethod
    def estimate(messages: Sequence[Mapping[str, Any]]) -> TokenCount:
        """``kimi_core.catalog.token_estimate``'s count of the request, marked as an estimate."""
        return TokenCount(count_prompt(messages), estimated=True)


def estimate_body(model: str, messages: Sequence[Mapping[str, Any]]) -> bytes:
    """The ``POST /tokenizers/estimate-token-count`` body."""
    return encode_json({"model": model, "messages": list(messages)})


def parse_token_count(response: httpx.Response) -> int:
    """``data.total_tokens`` of the endpoint's answer."""
    # Imported here: the adapters import this module for ``TokenCount`` without httpx.
    from ..transport.responses import decode_json

    body = decode_json(response)
    data = body.get("data") if isinstance(body, dict) else None
    total = data.get("total_tokens") if isinstance(data, dict) else None
    if not isinstance(total, int):
        raise MalformedResponseError("token-count answer has no data.total_tokens", body=str(body))
    return total
