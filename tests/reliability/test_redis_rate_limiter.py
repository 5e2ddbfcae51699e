"""The Redis-backed limiter: many processes on one key never exceed the shared limits."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
import time
import uuid
from typing import Any

import pytest

from kimi_core.limits.limiter import RateLimits
from kimi_core.limits.redis_limiter import RedisRateLimiter


def _worker(url: str, name: str, calls: int, hold: float, window: int, out: Any) -> None:
    """Acquire ``calls`` times, hold each lease ``hold`` s; report (start, end) intervals."""
    limiter = RedisRateLimiter(
        RateLimits(rpm=12, concurrency=2), url, name=name, window=window, lease_ttl=5
    )
    intervals = []
    for _ in range(calls):
        lease = limiter.acquire()
        start = time.time()
        time.sleep(hold)
        end = time.time()
        lease.release()
        intervals.append((start, end))
    out.put(intervals)
    limiter.close()


def _max_overlap(intervals: list[tuple[float, float]]) -> int:
    events = sorted([(s, 1) for s, _ in intervals] + [(e, -1) for _, e in intervals])
    current = peak = 0
    for _, step in events:
        current += step
        peak = max(peak, current)
    return peak


def test_four_processes_never_exceed_concurrency_or_rpm(redis_url: str) -> None:
    name = uuid.uuid4().hex
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    window = 2
    workers = [
        ctx.Process(target=_worker, args=(redis_url, name, 5, 0.05, window, out)) for _ in range(4)
    ]
    for worker in workers:
        worker.start()
    intervals = [interval for _ in workers for interval in out.get(timeout=60)]
    for worker in workers:
        worker.join(timeout=10)
        assert worker.exitcode == 0
    assert len(intervals) == 20
    assert _max_overlap(intervals) <= 2
    starts = sorted(start for start, _ in intervals)
    # No moving window of `window` seconds holds more than rpm=12 starts. A start is measured
    # a few ms after its hit was recorded, so allow that much jitter at the window's edge.
    for i, start in enumerate(starts):
        in_window = [s for s in starts[i:] if s < start + window - 0.1]
        assert len(in_window) <= 12, (start, len(in_window))
    # 20 starts at 12 per 2 s need more than one window: the limit really bit.
    assert starts[-1] - starts[0] >= window * 0.9


def _hold_forever(url: str, name: str, ready: Any) -> None:
    limiter = RedisRateLimiter(RateLimits(concurrency=1), url, name=name, lease_ttl=1.0)
    lease = limiter.acquire()  # held (a lease dropped unreleased is given back)
    ready.set()
    time.sleep(600)
    lease.release()


def test_a_killed_workers_lease_expires(redis_url: str) -> None:
    name = uuid.uuid4().hex
    ctx = multiprocessing.get_context("spawn")
    ready = ctx.Event()
    holder = ctx.Process(target=_hold_forever, args=(redis_url, name, ready))
    holder.start()
    assert ready.wait(30)
    limiter = RedisRateLimiter(RateLimits(concurrency=1), redis_url, name=name, lease_ttl=1.0)
    # While the holder lives (and renews), no lease is free.
    wait, lease = limiter._try(0)
    assert lease is None
    assert wait > 0
    time.sleep(1.5)
    wait, lease = limiter._try(0)
    assert lease is None, "a live worker's lease must be renewed past its ttl"
    os.kill(holder.pid, signal.SIGKILL)
    holder.join(timeout=10)
    started = time.monotonic()
    lease = limiter.acquire()
    waited = time.monotonic() - started
    assert waited < 3.0
    lease.release()
    limiter.close()


def test_async_callers_share_the_budget(redis_url: str) -> None:
    limiter = RedisRateLimiter(RateLimits(concurrency=3), redis_url, name=uuid.uuid4().hex)
    in_flight = 0
    peak = 0

    async def call() -> None:
        nonlocal in_flight, peak
        lease = await limiter.aacquire()
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.02)
        in_flight -= 1
        lease.release()

    async def main() -> None:
        await asyncio.gather(*(call() for _ in range(30)))

    asyncio.run(main())
    assert peak == 3
    limiter.close()


def test_tokens_per_window_are_charged(redis_url: str) -> None:
    limiter = RedisRateLimiter(RateLimits(tpm=100), redis_url, name=uuid.uuid4().hex, window=2)
    limiter.acquire(60).release(actual_tokens=90)  # 30 more than estimated are charged
    wait, lease = limiter._try(20)
    assert lease is None
    assert 0 < wait <= 2.0
    limiter.close()


def test_for_api_key_never_puts_the_key_in_redis(redis_url: str) -> None:
    import redis

    key = "sk-sentinel-" + uuid.uuid4().hex
    limiter = RedisRateLimiter.for_api_key(key, RateLimits(rpm=5, concurrency=1), redis_url)
    limiter.acquire().release()
    client = redis.Redis.from_url(redis_url)
    names = [k.decode() for k in client.keys("*")]
    assert names
    assert all(key not in k for k in names)
    assert key not in repr(limiter)
    limiter.close()


@pytest.mark.parametrize(
    ("limits", "platform", "rpm"),
    [
        ("tier1", None, 100),
        ("tier1", "moonshot-cn", 200),
        ("cn-tier2", None, 500),
        ({"rpm": 10}, None, 10),
    ],
)
def test_presets_and_mappings(redis_url: str, limits: Any, platform: str | None, rpm: int) -> None:
    limiter = RedisRateLimiter(limits, redis_url, name=uuid.uuid4().hex, platform=platform)
    assert limiter.limits.rpm == rpm
    limiter.close()


def test_a_closed_limiter_says_so_with_a_typed_error(redis_url: str) -> None:
    from kimi_core import RateLimiterUnavailableError

    limiter = RedisRateLimiter(RateLimits(concurrency=1), redis_url, name=uuid.uuid4().hex)
    limiter.acquire().release()
    limiter.close()
    with pytest.raises(RateLimiterUnavailableError, match="closed"):
        limiter.acquire()


def test_a_release_on_an_event_loop_does_not_wait_for_redis(redis_url: str) -> None:
    """The release runs on the limiter's threads; the slot is free soon after."""
    limiter = RedisRateLimiter(RateLimits(concurrency=1), redis_url, name=uuid.uuid4().hex)

    async def main() -> float:
        lease = await limiter.aacquire()
        started = time.perf_counter()
        lease.release()
        took = time.perf_counter() - started
        (await limiter.aacquire(timeout=2.0)).release()  # the slot came back
        return took

    try:
        assert asyncio.run(main()) < 0.05
    finally:
        limiter.close()
