"""A rate limiter shared by many processes or machines through Redis (the ``redis`` extra).

Moonshot's limits are per account, so workers on one key must share one budget. Requests and
tokens per window use the ``limits`` library's moving-window strategy on Redis (no hand-written
windows). Concurrency uses leases: a Redis sorted set of lease ids scored by their expiry, taken
and renewed atomically by a Lua script on the server's clock. A daemon thread renews held
leases every ``lease_ttl / 3`` seconds, so a lease outlives a long stream but not a dead
worker: a killed process's lease expires after ``lease_ttl``.

Token budgets cannot be refunded in ``limits``: when a call used more tokens than estimated the
difference is charged on release; when it used fewer, the estimate stands (stricter, never
looser).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import threading
import time
import uuid
import weakref
from collections.abc import Mapping
from typing import Any

from .limiter import RateLimits, resolve_limits

__all__ = ["RedisLease", "RedisRateLimiter"]

# Takes a lease when fewer than ARGV[2] unexpired leases exist. Uses the server's clock so that
# machines with skewed clocks agree. KEYS[1]: the lease set; ARGV: lease id, max, ttl seconds.
_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
  redis.call('EXPIRE', KEYS[1], math.ceil(tonumber(ARGV[3])) + 1)
  return 1
end
return 0
"""
# Pushes the expiry of the held leases that still exist. KEYS[1]: the set; ARGV[1]: ttl; rest:
# lease ids.
_RENEW = """
local t = redis.call('TIME')
local expiry = tonumber(t[1]) + tonumber(t[2]) / 1000000 + tonumber(ARGV[1])
for i = 2, #ARGV do
  redis.call('ZADD', KEYS[1], 'XX', expiry, ARGV[i])
end
redis.call('EXPIRE', KEYS[1], math.ceil(tonumber(ARGV[1])) + 1)
return #ARGV - 1
"""

_CONCURRENCY_POLL = 0.02  # seconds between tries while every concurrency lease is taken


class RedisLease:
    """A granted request; ``release`` frees the concurrency lease and settles tokens."""

    __slots__ = ("_estimate", "_id", "_limiter", "_released")

    def __init__(self, limiter: RedisRateLimiter, lease_id: str | None, estimate: int) -> None:
        self._limiter = limiter
        self._id = lease_id
        self._estimate = estimate
        self._released = False

    def release(self, actual_tokens: int | None = None) -> None:
        if not self._released:
            self._released = True
            self._limiter._release(self._id, self._estimate, actual_tokens)

    def retry(self) -> None:
        """Wait for, and count, one more request (a retry) in the shared RPM window."""
        self._limiter._again()

    async def aretry(self) -> None:
        await asyncio.to_thread(self._limiter._again)

    def __enter__(self) -> RedisLease:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


class RedisRateLimiter:
    """RPM/TPM/concurrency limits shared through Redis; same interface as ``RateLimiter``.

    ``name`` identifies the shared budget; use ``for_api_key`` to derive it from the key (a
    hash, never the key itself).
    """

    def __init__(
        self,
        limits: RateLimits | str | Mapping[str, int | None],
        url: str = "redis://127.0.0.1:6379/0",
        *,
        name: str = "default",
        window: int = 60,
        lease_ttl: float = 30.0,
    ) -> None:
        try:
            import redis
            from limits import RateLimitItemPerSecond
            from limits.storage import RedisStorage
            from limits.strategies import MovingWindowRateLimiter
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ImportError(
                "RedisRateLimiter needs the redis extra: pip install 'kimi-integrations[redis]'"
            ) from exc
        self.limits = resolve_limits(limits)
        self.window = window
        self.lease_ttl = lease_ttl
        self.name = name
        self._redis = redis.Redis.from_url(url)
        self._acquire_script = self._redis.register_script(_ACQUIRE)
        self._renew_script = self._redis.register_script(_RENEW)
        self._lease_key = f"kimi:ratelimit:{name}:leases"
        storage = RedisStorage(url, key_prefix=f"kimi:ratelimit:{name}")
        self._windows = MovingWindowRateLimiter(storage)
        self._rpm = RateLimitItemPerSecond(self.limits.rpm, window) if self.limits.rpm else None
        self._tpm = RateLimitItemPerSecond(self.limits.tpm, window) if self.limits.tpm else None
        self._held: set[str] = set()
        self._held_lock = threading.Lock()
        self._stop = threading.Event()
        self._renewer: threading.Thread | None = None

    @classmethod
    def for_api_key(
        cls, api_key: str, limits: RateLimits | str | Mapping[str, int | None], url: str, **kw: Any
    ) -> RedisRateLimiter:
        """The limiter every worker using ``api_key`` shares (named by the key's hash)."""
        return cls(limits, url, name=hashlib.sha256(api_key.encode()).hexdigest()[:32], **kw)

    def __repr__(self) -> str:
        return f"RedisRateLimiter({self.limits!r}, name={self.name!r})"

    # -- one non-blocking try ------------------------------------------------------------
    def _try(self, tokens: int) -> tuple[float, RedisLease | None]:
        lease_id: str | None = None
        if self.limits.concurrency is not None:
            candidate = uuid.uuid4().hex
            granted = self._acquire_script(
                keys=[self._lease_key], args=[candidate, self.limits.concurrency, self.lease_ttl]
            )
            if not granted:
                return _CONCURRENCY_POLL, None
            lease_id = candidate
            self._hold(lease_id)
        if self._rpm is not None and not self._windows.hit(self._rpm, "rpm"):
            self._release(lease_id, 0, None)
            return self._wait_for(self._rpm, "rpm"), None
        tpm = self._tpm
        if tpm is not None and tokens and not self._windows.hit(tpm, "tpm", cost=tokens):
            # The request slot taken above stays spent: stricter, never looser.
            self._release(lease_id, 0, None)
            return self._wait_for(tpm, "tpm"), None
        return 0.0, RedisLease(self, lease_id, tokens)

    def _again(self) -> None:
        rpm = self._rpm
        while rpm is not None and not self._windows.hit(rpm, "rpm"):
            time.sleep(self._wait_for(rpm, "rpm"))

    def _wait_for(self, item: Any, identifier: str) -> float:
        stats = self._windows.get_window_stats(item, identifier)
        return max(stats.reset_time - time.time(), 0.01)

    def acquire(self, tokens: int = 0) -> RedisLease:
        while True:
            wait, lease = self._try(tokens)
            if lease is not None:
                return lease
            time.sleep(wait)

    async def aacquire(self, tokens: int = 0) -> RedisLease:
        # Each try is a few quick Redis round trips, run off the event loop; waits are async.
        while True:
            wait, lease = await asyncio.to_thread(self._try, tokens)
            if lease is not None:
                return lease
            await asyncio.sleep(wait)

    # -- leases --------------------------------------------------------------------------
    def _hold(self, lease_id: str) -> None:
        with self._held_lock:
            self._held.add(lease_id)
            if self._renewer is None or not self._renewer.is_alive():
                self._renewer = threading.Thread(
                    target=_renew_forever,
                    args=(weakref.ref(self), self._stop, self.lease_ttl / 3),
                    name="kimi-redis-lease-renewer",
                    daemon=True,
                )
                self._renewer.start()

    def _renew(self) -> None:
        with self._held_lock:
            held = list(self._held)
        if held:
            self._renew_script(keys=[self._lease_key], args=[self.lease_ttl, *held])

    def _release(self, lease_id: str | None, estimate: int, actual_tokens: int | None) -> None:
        if lease_id is not None:
            with self._held_lock:
                self._held.discard(lease_id)
            self._redis.zrem(self._lease_key, lease_id)
        if self._tpm is not None and actual_tokens is not None and actual_tokens > estimate:
            self._windows.hit(self._tpm, "tpm", cost=actual_tokens - estimate)

    def close(self) -> None:
        self._stop.set()
        self._redis.close()


def _renew_forever(
    ref: weakref.ReferenceType[RedisRateLimiter], stop: threading.Event, every: float
) -> None:
    while not stop.wait(every):
        limiter = ref()
        if limiter is None:
            return
        with contextlib.suppress(Exception):  # a Redis hiccup: the next round tries again
            limiter._renew()
        del limiter
