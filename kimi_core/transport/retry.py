"""When to retry a failed request, and how long to wait first.

What may be retried, and why (``docs/kimi-api/errors-and-limits.md``; the table in
``docs/guides/retries-and-errors.md`` says the same):

- an answer that says the request was not served: 429 (except
  ``exceeded_current_quota_error``, a balance that retrying cannot help), 500, 502, 503
  (the server answered, so it knows the request failed; Moonshot documents that requests
  refused with a 429 are not charged, and the same is assumed of 5xx answers); a 504 only
  for idempotent requests: Moonshot's gateway answers 504 after 900 s without an answer
  while the backend may still generate it, so a ``POST`` that got one is ambiguous;
- a request that never reached the server: a refused or failed connection, a connect or pool
  timeout, a connection that broke while the request was being written
  (``APIConnectionError.request_sent`` is False);
- anything, for requests that are idempotent (``GET``, ``DELETE``).

Not retried by default: a chat (or other ``POST``) request that was written and then lost its
answer (a read timeout, a reset or close mid-answer): the server may have generated, and
billed, the answer. ``retry_ambiguous=True`` retries those too. A stream is never retried once
it has handed an event to the caller (the client retries only before the body is read).
``Retry-After`` (seconds or an HTTP date) wins over the backoff, capped at
``max_retry_after``.

A request sent ``once`` (creating a batch, uploading a batch file: work a 502 or 504 from a
proxy does not prove undone) is retried only when it surely did not reach the server (a 429,
a connection that failed before the request was written); after a 5xx or a lost answer the
caller looks the object up before it sends anything again (``maybe_acted_on``;
``kimi_core.transport.base``, ``find=``).
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

from ..errors import (
    APIConnectionError,
    APIStatusError,
    MalformedResponseError,
    QuotaExceededError,
)

__all__ = ["RETRYABLE_STATUSES", "RetryPolicy", "maybe_acted_on", "parse_retry_after"]

RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value (delta-seconds or HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter: ``base * 2**attempt``, capped, times [0.5, 1)."""

    max_retries: int = 2
    base_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_after: float = 60.0
    retry_ambiguous: bool = False

    def should_retry(
        self, error: BaseException, attempt: int, *, idempotent: bool = True, once: bool = False
    ) -> bool:
        """``attempt`` counts from 0 (the first try); ``idempotent``: the request may be
        repeated without effect (a ``GET``), unlike a chat ``POST``; ``once``: never repeat
        it once it may have reached the server, even with ``retry_ambiguous`` (module
        docstring)."""
        if attempt >= self.max_retries:
            return False
        if isinstance(error, QuotaExceededError):
            return False
        if once and maybe_acted_on(error):
            return False
        if isinstance(error, APIStatusError):
            if error.status == 504 and not idempotent and not self.retry_ambiguous:
                # A gateway timeout: the backend may have generated (and billed) the answer
                # it gave up waiting for (docs/kimi-api/errors-and-limits.md, "Long calls").
                return False
            return error.status in RETRYABLE_STATUSES
        if isinstance(error, APIConnectionError):
            return not error.request_sent or idempotent or self.retry_ambiguous
        return False

    def delay(self, error: BaseException, attempt: int) -> float:
        if isinstance(error, APIStatusError):
            stated = parse_retry_after(error.headers.get("retry-after"))
            if stated is not None:
                return min(stated, self.max_retry_after)
        backoff = min(self.max_delay, self.base_delay * 2.0**attempt)
        return backoff * (0.5 + random.random() / 2)


def maybe_acted_on(error: BaseException) -> bool:
    """Whether the server may have done what a failed request asked: a 5xx (a proxy's 502 /
    504 says nothing of its backend), an answer lost after the request was written, or a
    2xx answer that could not be read."""
    if isinstance(error, APIStatusError):
        return error.status >= 500
    if isinstance(error, APIConnectionError):  # APITimeoutError too
        return error.request_sent
    return isinstance(error, MalformedResponseError)
