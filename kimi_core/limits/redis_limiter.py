"""A rate limiter shared by many processes or machines through Redis (the ``redis`` extra).

Moonshot's limits are per account, so workers on one key must share one budget. Every check
and grant is one Lua script, atomic on the Redis server and on its clock (machines with skewed
clocks agree): concurrency is a sorted set of leases scored by their expiry, requests per
window a sorted set of requests scored by when they were written, tokens per window a sorted
set of requests with their token counts. As the in-process limiter (``limiter.RateLimiter``)
does, a request counts in the RPM window from when it was written (``RedisLease.sent``), and
stays there ``margin`` longer than the server's window (1% by default: the server counts on
arrival, a little later and not always equally so); a call's real token usage replaces its
estimate on release. A daemon thread renews held leases every ``lease_ttl / 3`` seconds, so a
lease outlives a long stream but not a dead worker (or a dropped lease): it expires after
``lease_ttl``.

When Redis fails (docs/guides/rate-limits.md):

- Every Redis round trip is bounded by ``redis_timeout`` (socket connect and read timeouts, no
  retries inside the client), and none runs on an event loop's thread: they run on the
  limiter's own small thread pool, which async callers await and sync callers wait for.
- ``acquire`` / ``aacquire`` on a Redis that refuses connections or does not answer within
  ``redis_timeout`` raise ``RateLimiterUnavailableError`` (a ``KimiError``): the limiter
  **fails closed**, nothing is sent. ``fail_open=True`` lets calls through unlimited instead
  (a warning is logged; Redis is not asked again for ``redis_timeout`` seconds, so calls are
  not slowed by a dead Redis).
- ``timeout=`` (a call's ``total_timeout``) bounds the whole wait, Redis round trips included:
  ``TimeoutError`` once it passed.
- A cancelled ``aacquire`` (``asyncio.wait_for``, a cancelled task) or a sync wait given up
  takes nothing: a lease its round trip still took is released as soon as it returns.
- Releasing, counting a written request and renewing never raise and never lose an answer: a
  failure is logged, and the lease expires by its TTL. An async caller's release does not wait
  for Redis at all.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import hashlib
import logging
import math
import threading
import time
import uuid
import weakref
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from ..errors import RateLimiterUnavailableError
from .limiter import RateLimits, resolve_limits

__all__ = ["RedisLease", "RedisRateLimiter"]

_log = logging.getLogger("kimi_core.limits")
_T = TypeVar("_T")

# KEYS: leases, rpm, tpm, tpm counts (hash), tpm sum. ARGV: id, concurrency, rpm, tpm (0: none),
# tokens, lease ttl, window, rpm span (window + margin). Returns {granted, wait seconds}; a wait
# of -1: until a lease is freed. Redis floats come back truncated, so the wait is a string.
_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local id, concurrency, rpm, tpm = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local tokens, ttl, window, span = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7]),
  tonumber(ARGV[8])
if concurrency > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
  if redis.call('ZCARD', KEYS[1]) >= concurrency then return {0, '-1'} end
end
if rpm > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - span)
  if redis.call('ZCARD', KEYS[2]) >= rpm then
    local oldest = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
    return {0, tostring(tonumber(oldest[2]) + span - now)}
  end
end
if tpm > 0 then
  local expired = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now - window)
  for i = 1, #expired, 500 do
    local chunk = {unpack(expired, i, math.min(i + 499, #expired))}
    local gone = 0
    for _, count in ipairs(redis.call('HMGET', KEYS[4], unpack(chunk))) do
      gone = gone + (tonumber(count) or 0)
    end
    redis.call('DECRBY', KEYS[5], gone)
    redis.call('HDEL', KEYS[4], unpack(chunk))
  end
  redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now - window)
  local sum = math.max(tonumber(redis.call('GET', KEYS[5]) or '0'), 0)
  if sum > 0 and sum + tokens > tpm then
    local excess = sum + tokens - tpm
    local entries = redis.call('ZRANGE', KEYS[3], 0, -1, 'WITHSCORES')
    local last = now
    for i = 1, #entries, 2 do
      last = tonumber(entries[i + 1])
      excess = excess - (tonumber(redis.call('HGET', KEYS[4], entries[i])) or 0)
      if excess <= 0 then break end
    end
    return {0, tostring(last + window - now)}
  end
end
if concurrency > 0 then
  redis.call('ZADD', KEYS[1], now + ttl, id)
  redis.call('PEXPIRE', KEYS[1], math.ceil((ttl + 1) * 1000))
end
if rpm > 0 then
  redis.call('ZADD', KEYS[2], now, id)
  redis.call('PEXPIRE', KEYS[2], math.ceil((span + 1) * 1000))
end
if tpm > 0 then
  redis.call('ZADD', KEYS[3], now, id)
  redis.call('HSET', KEYS[4], id, tokens)
  redis.call('INCRBY', KEYS[5], tokens)
  for i = 3, 5 do redis.call('PEXPIRE', KEYS[i], math.ceil((window + 1) * 1000)) end
end
return {1, '0'}
"""
# One more request (a retry) in the RPM window. KEYS: rpm. ARGV: id, rpm, span.
_AGAIN = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local span = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - span)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return tostring(tonumber(oldest[2]) + span - now)
end
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('PEXPIRE', KEYS[1], math.ceil((span + 1) * 1000))
return '0'
"""
# The request is written: it counts in the RPM window from now. KEYS: rpm. ARGV: id.
_SENT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local stamp = redis.call('ZSCORE', KEYS[1], ARGV[1])
if stamp and now > tonumber(stamp) then redis.call('ZADD', KEYS[1], 'XX', now, ARGV[1]) end
return 0
"""
# KEYS: leases, tpm counts, tpm sum. ARGV: lease id ('' for none), request id, actual tokens
# (-1: unknown). The real count replaces the estimate while the request is in the window.
_RELEASE = """
if ARGV[1] ~= '' then redis.call('ZREM', KEYS[1], ARGV[1]) end
local actual = tonumber(ARGV[3])
if actual >= 0 then
  local estimate = redis.call('HGET', KEYS[2], ARGV[2])
  if estimate then
    redis.call('HSET', KEYS[2], ARGV[2], actual)
    redis.call('INCRBY', KEYS[3], actual - tonumber(estimate))
  end
end
return 0
"""
# Pushes the expiry of the held leases that still exist. KEYS: leases; ARGV: ttl, lease ids.
_RENEW = """
local t = redis.call('TIME')
local expiry = tonumber(t[1]) + tonumber(t[2]) / 1000000 + tonumber(ARGV[1])
for i = 2, #ARGV do
  redis.call('ZADD', KEYS[1], 'XX', expiry, ARGV[i])
end
redis.call('PEXPIRE', KEYS[1], math.ceil((tonumber(ARGV[1]) + 1) * 1000))
return #ARGV - 1
"""

_CONCURRENCY_POLL = 0.02  # seconds between tries while every concurrency lease is taken
_SLACK = 0.25  # how much longer than ``redis_timeout`` a caller waits for a round trip
_IO_THREADS = 8


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


class RedisLease:
    """A granted request; ``release`` frees the concurrency lease and settles tokens."""

    __slots__ = ("__weakref__", "_dropped", "_estimate", "_id", "_limiter", "_released", "_stamp")

    def __init__(self, limiter: RedisRateLimiter, lease_id: str, estimate: int) -> None:
        self._limiter = limiter
        self._id = lease_id
        self._stamp = lease_id  # its latest request in the RPM window (a retry adds one)
        self._estimate = estimate
        self._released = False
        # Dropped without a release: given back (and no longer renewed) when collected.
        self._dropped = weakref.finalize(self, _drop, weakref.ref(limiter), lease_id)
        self._dropped.atexit = False

    def release(self, actual_tokens: int | None = None) -> None:
        """Give the lease back; never raises (a failure is logged: the lease expires by its
        TTL). On an event loop's thread it does not wait for Redis."""
        if not self._released:
            self._released = True
            self._dropped.detach()
            self._limiter._release(self._id, actual_tokens)

    def sent(self) -> None:
        """The whole request is written: it counts in the RPM window from now (without
        waiting for Redis)."""
        limiter = self._limiter
        if limiter.limits.rpm:
            limiter._background(limiter._sent_now, self._stamp)

    def retry(self) -> None:
        """Wait for, and count, one more request (a retry) in the shared RPM window."""
        self._stamp = self._limiter._again()

    async def aretry(self) -> None:
        self._stamp = await self._limiter._aagain()

    def __enter__(self) -> RedisLease:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


class _OpenLease:
    """What ``fail_open`` grants while Redis is away: nothing to give back."""

    __slots__ = ()

    def release(self, actual_tokens: int | None = None) -> None:
        return None

    def sent(self) -> None:
        return None

    def retry(self) -> None:
        return None

    async def aretry(self) -> None:
        return None

    def __enter__(self) -> _OpenLease:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


_OPEN = _OpenLease()


def _drop(ref: weakref.ReferenceType[RedisRateLimiter], lease_id: str) -> None:
    """A lease collected without ``release``: stop renewing it and give it back, from the
    limiter's threads (a finalizer may run anywhere, an event loop's thread included)."""
    limiter = ref()
    if limiter is not None:
        limiter._release(lease_id, None, wait=False)


class RedisRateLimiter:
    """RPM/TPM/concurrency limits shared through Redis; same interface as ``RateLimiter``.

    ``name`` identifies the shared budget; use ``for_api_key`` to derive it from the key (a
    hash, never the key itself). ``window``: the limits' window in seconds (60); ``margin``:
    how much longer a request stays in this RPM window than in the server's (default 1% of
    the window); ``lease_ttl``: how long a concurrency lease outlives a worker that stopped
    renewing it. ``redis_timeout``: the most one Redis round trip may take (connecting
    included) before the call fails with ``RateLimiterUnavailableError`` (default 5 s);
    ``fail_open``: let calls through, unlimited, while Redis is unreachable (default: fail
    closed). ``platform``: whose tier an unqualified preset (``"tier1"``) is
    (``"moonshot-cn"``; default the global platform). See the module docstring for what
    happens when Redis fails.
    """

    def __init__(
        self,
        limits: RateLimits | str | Mapping[str, int | None],
        url: str = "redis://127.0.0.1:6379/0",
        *,
        name: str = "default",
        window: float = 60,
        lease_ttl: float = 30.0,
        redis_timeout: float = 5.0,
        fail_open: bool = False,
        margin: float | None = None,
        platform: str | None = None,
    ) -> None:
        self._redis = _connect(url, redis_timeout)
        self.limits = resolve_limits(limits, platform)
        self.window = window
        self.margin = window * 0.01 if margin is None else margin
        self.lease_ttl = lease_ttl
        self.redis_timeout = redis_timeout
        self.fail_open = fail_open
        self.name = name
        self._scripts = {
            script: self._redis.register_script(source)
            for script, source in (
                ("acquire", _ACQUIRE),
                ("again", _AGAIN),
                ("sent", _SENT),
                ("release", _RELEASE),
                ("renew", _RENEW),
            )
        }
        prefix = f"kimi:ratelimit:{name}"
        self._lease_key = f"{prefix}:leases"
        self._keys = [self._lease_key, f"{prefix}:rpm", f"{prefix}:tpm"]
        self._keys += [f"{prefix}:tpm:counts", f"{prefix}:tpm:sum"]
        self._io = concurrent.futures.ThreadPoolExecutor(
            max_workers=_IO_THREADS, thread_name_prefix="kimi-redis"
        )
        self._held: weakref.WeakValueDictionary[str, RedisLease] = weakref.WeakValueDictionary()
        self._held_lock = threading.Lock()
        self._stop = threading.Event()
        self._renewer: threading.Thread | None = None
        self._open_until = 0.0  # fail_open: Redis is not asked before then

    @classmethod
    def for_api_key(
        cls, api_key: str, limits: RateLimits | str | Mapping[str, int | None], url: str, **kw: Any
    ) -> RedisRateLimiter:
        """The limiter every worker using ``api_key`` shares (named by the key's hash)."""
        return cls(limits, url, name=hashlib.sha256(api_key.encode()).hexdigest()[:32], **kw)

    def __repr__(self) -> str:
        return f"RedisRateLimiter({self.limits!r}, name={self.name!r})"

    # -- Redis round trips (on the limiter's threads) ------------------------------------------
    def _try(self, tokens: int) -> tuple[float, str | None]:
        """One try: ``(0, lease id)`` granted, else ``(seconds to wait, None)`` (while every
        concurrency lease is taken: the poll interval)."""
        limits = self.limits
        lease_id = uuid.uuid4().hex
        granted, wait = self._scripts["acquire"](
            keys=self._keys,
            args=[
                lease_id,
                limits.concurrency or 0,
                limits.rpm or 0,
                limits.tpm or 0,
                max(int(tokens), 0),
                self.lease_ttl,
                self.window,
                self.window + self.margin,
            ],
        )
        if granted:
            return 0.0, lease_id
        seconds = float(wait)
        return (_CONCURRENCY_POLL if seconds < 0 else seconds), None

    def _again_now(self, request_id: str) -> float:
        wait = self._scripts["again"](
            keys=self._keys[1:2], args=[request_id, self.limits.rpm, self.window + self.margin]
        )
        return float(wait)

    def _sent_now(self, request_id: str) -> None:
        self._scripts["sent"](keys=self._keys[1:2], args=[request_id])

    def _release_now(self, lease_id: str, actual_tokens: int | None) -> None:
        with self._held_lock:
            self._held.pop(lease_id, None)
        self._scripts["release"](
            keys=[self._lease_key, *self._keys[3:]],
            args=[lease_id if self.limits.concurrency else "", lease_id, _count(actual_tokens)],
        )

    def _renew(self) -> None:
        with self._held_lock:
            held = list(self._held.keys())
        if held:
            self._scripts["renew"](keys=[self._lease_key], args=[self.lease_ttl, *held])

    # -- waiting for a round trip ------------------------------------------------------------
    def _bound(self, deadline: float | None) -> tuple[float, bool]:
        """How long to wait for one round trip, and whether the deadline set it."""
        wait = self.redis_timeout + _SLACK
        if deadline is not None and deadline - time.monotonic() < wait:
            return max(deadline - time.monotonic(), 0.0), True
        return wait, False

    def _call(self, fn: Callable[..., _T], *args: Any, deadline: float | None = None) -> _T:
        """``fn(*args)`` on the limiter's threads, waited for at most ``redis_timeout``."""
        future = self._submit(fn, *args)
        wait, by_deadline = self._bound(deadline)
        try:
            return future.result(timeout=wait)
        except concurrent.futures.TimeoutError:
            self._abandon(future)
            raise self._timed_out(by_deadline) from None
        except Exception as exc:
            raise self._unavailable(exc) from exc

    async def _acall(self, fn: Callable[..., _T], *args: Any, deadline: float | None = None) -> _T:
        """``_call``, awaited: the event loop never waits on Redis, and a cancelled await
        leaves nothing behind (``_abandon``)."""
        future = self._submit(fn, *args)
        wait, by_deadline = self._bound(deadline)
        try:
            return await asyncio.wait_for(asyncio.wrap_future(future), wait)
        except asyncio.TimeoutError:
            self._abandon(future)
            raise self._timed_out(by_deadline) from None
        except asyncio.CancelledError:
            self._abandon(future)
            raise
        except Exception as exc:
            raise self._unavailable(exc) from exc

    def _submit(self, fn: Callable[..., _T], *args: Any) -> concurrent.futures.Future[_T]:
        try:
            return self._io.submit(fn, *args)
        except RuntimeError:  # the pool was shut down
            raise RateLimiterUnavailableError(
                f"the rate limiter {self.name!r} was closed; build a new one"
            ) from None

    def _abandon(self, future: concurrent.futures.Future[Any]) -> None:
        """A round trip nobody waits for any more: if it still takes a lease, give it back."""
        if not future.cancel():
            future.add_done_callback(self._undo)

    def _undo(self, future: concurrent.futures.Future[Any]) -> None:
        if future.cancelled() or future.exception() is not None:
            return
        result = future.result()
        if isinstance(result, tuple) and result[1] is not None:
            self._release(result[1], None, wait=False)

    def _timed_out(self, by_deadline: bool) -> Exception:
        if by_deadline:
            return TimeoutError("the rate limiter gave no slot within the time allowed")
        return RateLimiterUnavailableError(
            f"the rate limiter's Redis ({self.name}) did not answer within "
            f"redis_timeout={self.redis_timeout} s; nothing was sent"
        )

    def _unavailable(self, exc: Exception) -> RateLimiterUnavailableError:
        if isinstance(exc, RateLimiterUnavailableError):
            return exc
        return RateLimiterUnavailableError(
            f"the rate limiter's Redis ({self.name}) failed: {type(exc).__name__}: {exc}; "
            "nothing was sent"
        )

    def _background(self, fn: Callable[..., Any], *args: Any) -> None:
        """``fn(*args)`` on the limiter's threads, not waited for; a failure is logged."""
        try:
            future = self._io.submit(fn, *args)
        except RuntimeError:  # closed
            return
        future.add_done_callback(_log_failure)

    # -- acquiring -------------------------------------------------------------------------
    def acquire(self, tokens: int = 0, *, timeout: float | None = None) -> RedisLease | _OpenLease:
        """Block until the request may be sent (module docstring: how Redis failures end
        it); ``timeout``: ``TimeoutError`` once that many seconds passed."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            if self._open():
                return _OPEN
            try:
                wait, granted = self._call(self._try, tokens, deadline=deadline)
            except RateLimiterUnavailableError as exc:
                if not self.fail_open:
                    raise
                self._opened(exc)
                return _OPEN
            if granted is not None:
                return self._granted(granted, tokens)
            time.sleep(_pause(wait, deadline))

    async def aacquire(
        self, tokens: int = 0, *, timeout: float | None = None
    ) -> RedisLease | _OpenLease:
        """``acquire`` without blocking the event loop; cancelling it takes nothing."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            if self._open():
                return _OPEN
            try:
                wait, granted = await self._acall(self._try, tokens, deadline=deadline)
            except RateLimiterUnavailableError as exc:
                if not self.fail_open:
                    raise
                self._opened(exc)
                return _OPEN
            if granted is not None:
                return self._granted(granted, tokens)
            await asyncio.sleep(_pause(wait, deadline))

    def _granted(self, lease_id: str, tokens: int) -> RedisLease:
        lease = RedisLease(self, lease_id, tokens)
        if self.limits.concurrency:
            self._hold(lease)
        return lease

    def _open(self) -> bool:
        return self.fail_open and time.monotonic() < self._open_until

    def _opened(self, exc: Exception) -> None:
        """``fail_open``: Redis failed; calls go through unlimited, Redis is asked again
        after ``redis_timeout``."""
        self._open_until = time.monotonic() + max(self.redis_timeout, 1.0)
        _log.warning("%s; fail_open: calls go through without the shared limits", exc)

    def _again(self) -> str:
        request_id = uuid.uuid4().hex
        while self.limits.rpm and not self._open():
            try:
                wait = self._call(self._again_now, request_id)
            except RateLimiterUnavailableError as exc:
                if not self.fail_open:
                    raise
                self._opened(exc)
                break
            if wait <= 0:
                break
            time.sleep(wait)
        return request_id

    async def _aagain(self) -> str:
        request_id = uuid.uuid4().hex
        while self.limits.rpm and not self._open():
            try:
                wait = await self._acall(self._again_now, request_id)
            except RateLimiterUnavailableError as exc:
                if not self.fail_open:
                    raise
                self._opened(exc)
                break
            if wait <= 0:
                break
            await asyncio.sleep(wait)
        return request_id

    # -- leases ------------------------------------------------------------------------------
    def _hold(self, lease: RedisLease) -> None:
        with self._held_lock:
            self._held[lease._id] = lease
            if self._renewer is None or not self._renewer.is_alive():
                self._renewer = threading.Thread(
                    target=_renew_forever,
                    args=(weakref.ref(self), self._stop, self.lease_ttl / 3),
                    name="kimi-redis-lease-renewer",
                    daemon=True,
                )
                self._renewer.start()

    def _release(self, lease_id: str, actual_tokens: int | None, *, wait: bool = True) -> None:
        """Give a lease back. ``wait`` (and not on an event loop's thread): wait for Redis, at
        most ``redis_timeout``; a failure is logged, never raised (the lease expires by its
        TTL)."""
        with self._held_lock:
            self._held.pop(lease_id, None)
        if not wait or _running_loop() is not None:
            self._background(self._release_now, lease_id, actual_tokens)
            return
        try:
            self._call(self._release_now, lease_id, actual_tokens)
        except RateLimiterUnavailableError as exc:
            _log.warning("%s (releasing a lease: it expires in %s s)", exc, self.lease_ttl)

    def close(self) -> None:
        """Stop renewing (leases still held expire by TTL); the releases already asked for
        are still sent (each bounded by ``redis_timeout``), then the connections close.
        Returns at once."""
        self._stop.set()
        io, redis_client = self._io, self._redis

        def finish() -> None:
            io.shutdown(wait=True)
            redis_client.close()

        threading.Thread(target=finish, name="kimi-redis-close", daemon=True).start()


def _connect(url: str, redis_timeout: float) -> Any:
    """A Redis client whose every round trip is bounded by ``redis_timeout``."""
    try:
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "RedisRateLimiter needs the redis extra: pip install 'kimi-integrations[redis]'"
        ) from exc
    if not (isinstance(redis_timeout, int | float) and 0 < redis_timeout < math.inf):
        raise ValueError(f"redis_timeout must be a positive number of seconds: {redis_timeout!r}")
    return redis.Redis.from_url(
        url,
        socket_timeout=redis_timeout,
        socket_connect_timeout=redis_timeout,
        retry=Retry(NoBackoff(), 0),
    )


def _count(tokens: int | None) -> int:
    return -1 if tokens is None else max(int(tokens), 0)


def _pause(wait: float, deadline: float | None) -> float:
    """The sleep before the next try; ``TimeoutError`` when the deadline passes first."""
    pause = max(wait, 0.001)
    if deadline is not None:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("the rate limiter gave no slot within the time allowed")
        pause = min(pause, left)
    return pause


def _log_failure(future: concurrent.futures.Future[Any]) -> None:
    if future.cancelled():
        return
    exc = future.exception()
    if exc is not None:
        _log.warning("the rate limiter's Redis failed: %s: %s", type(exc).__name__, exc)


def _renew_forever(
    ref: weakref.ReferenceType[RedisRateLimiter], stop: threading.Event, every: float
) -> None:
    while not stop.wait(every):
        limiter = ref()
        if limiter is None:
            return
        try:
            limiter._renew()
        except Exception as exc:  # a Redis hiccup: the next round tries again
            _log.debug("renewing leases failed: %s: %s", type(exc).__name__, exc)
        del limiter
