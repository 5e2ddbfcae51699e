"""Client-side rate limiting: RPM, TPM, concurrency, leases, sharing and presets."""

from __future__ import annotations

import asyncio
import threading

import pytest
from core_helpers import (
    SENTINEL_KEY,
    USER_HI,
    Recorder,
    async_client,
    json_response,
    sse_bytes,
    sse_response,
    sync_client,
)

from kimi_core import BadRequestError
from kimi_core.limits.limiter import (
    PRESETS,
    RateLimiter,
    RateLimits,
    estimate_request_tokens,
    resolve_limits,
    shared_rate_limiter,
)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def wait_needed(limiter: RateLimiter, tokens: int = 0) -> float:
    """How long ``limiter`` would make a request of ``tokens`` wait (it must not be granted)."""
    wait, lease = limiter._try(tokens)
    assert lease is None, "expected the request to wait"
    return wait


def test_rpm_window() -> None:
    clock = FakeClock()
    limiter = RateLimiter(RateLimits(rpm=2), margin=0, clock=clock)
    limiter.acquire().release()
    clock.now += 10
    limiter.acquire().release()
    assert wait_needed(limiter) == 50.0  # the first request leaves the window at t0+60
    clock.now += 20
    assert wait_needed(limiter) == 30.0
    clock.now += 30
    limiter.acquire().release()  # granted now: the first request expired
    assert wait_needed(limiter) == 10.0


def test_tpm_window() -> None:
    clock = FakeClock()
    limiter = RateLimiter(RateLimits(tpm=100), margin=0, clock=clock)
    limiter.acquire(60).release()
    assert wait_needed(limiter, 50) == 60.0
    clock.now += 10
    limiter.acquire(30).release()  # 60 + 30 <= 100
    assert wait_needed(limiter, 50) == 50.0  # enough frees up when the 60 leave, at t+60
    assert wait_needed(limiter, 80) == 60.0  # the 30 must leave too, at t+70
    clock.now += 50
    limiter.acquire(50).release()


def test_request_larger_than_tpm_waits_for_an_empty_window() -> None:
    clock = FakeClock()
    limiter = RateLimiter(RateLimits(tpm=100), margin=0, clock=clock)
    limiter.acquire(50).release()
    clock.now += 5
    assert wait_needed(limiter, 150) == 55.0
    clock.now += 55
    limiter.acquire(150).release()  # alone in the window: let through rather than deadlock


def test_lease_release_corrects_tokens() -> None:
    clock = FakeClock()
    limiter = RateLimiter(RateLimits(tpm=100), margin=0, clock=clock)
    lease = limiter.acquire(80)
    assert wait_needed(limiter, 30) == 60.0
    lease.release(20)  # the real usage was much lower than the estimate
    limiter.acquire(70).release()  # 20 + 70 <= 100
    assert wait_needed(limiter, 20) == 60.0


def test_lease_release_corrects_upwards_and_is_idempotent() -> None:
    clock = FakeClock()
    limiter = RateLimiter(RateLimits(tpm=100, concurrency=5), margin=0, clock=clock)
    lease = limiter.acquire(10)
    lease.release(95)
    lease.release(1)  # a second release changes nothing
    assert limiter.in_flight == 0
    assert wait_needed(limiter, 10) == 60.0


def test_concurrency_cap_sync() -> None:
    clock = FakeClock()
    limiter = RateLimiter(RateLimits(concurrency=2), margin=0, clock=clock)
    first, second = limiter.acquire(), limiter.acquire()
    assert limiter.in_flight == 2
    assert wait_needed(limiter) == -1.0  # until a request ends
    with first:
        pass
    assert limiter.in_flight == 1
    third = limiter.acquire()
    assert limiter.in_flight == 2
    second.release()
    third.release()
    assert limiter.in_flight == 0


def test_blocked_thread_is_woken_by_release() -> None:
    limiter = RateLimiter(RateLimits(concurrency=1))
    lease = limiter.acquire()
    granted = threading.Event()

    def worker() -> None:
        limiter.acquire().release()
        granted.set()

    thread = threading.Thread(target=worker)
    thread.start()
    assert not granted.wait(0.05)
    lease.release()
    assert granted.wait(2.0)
    thread.join(2.0)


async def test_async_concurrency_cap_honoured() -> None:
    limiter = RateLimiter(RateLimits(concurrency=3))
    in_flight = 0
    peak = 0
    done = 0

    async def task() -> None:
        nonlocal in_flight, peak, done
        lease = await limiter.aacquire(1)
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.002)
        in_flight -= 1
        lease.release()
        done += 1

    await asyncio.wait_for(asyncio.gather(*(task() for _ in range(40))), timeout=5.0)
    assert done == 40
    assert peak == 3
    assert limiter.in_flight == 0


def test_shared_rate_limiter() -> None:
    first = shared_rate_limiter("key-A", "cn-tier1")
    assert shared_rate_limiter("key-A", "cn-tier1") is first
    assert shared_rate_limiter("key-A", "tier1", "moonshot-cn") is first
    explicit = RateLimits(rpm=200, tpm=2_000_000, concurrency=50)
    # The same numbers written out are the user's own limits, not a preset's guess.
    assert shared_rate_limiter("key-A", explicit) is not first
    assert shared_rate_limiter("key-A", explicit) is shared_rate_limiter("key-A", explicit)
    assert shared_rate_limiter("key-B", "cn-tier1") is not first
    assert shared_rate_limiter("key-A", "cn-tier2") is not first
    assert repr(first) == "RateLimiter(RateLimits(rpm=200, tpm=2000000, concurrency=50))"


def test_presets_and_resolution() -> None:
    # China: Moonshot's current limits page; global: the table quoted on 2026-09-12
    # (docs/kimi-api/errors-and-limits.md, "Rate-limit tiers").
    assert PRESETS["cn-tier0"] == RateLimits(rpm=3, tpm=500_000, concurrency=1)
    assert PRESETS["cn-tier1"] == RateLimits(rpm=200, tpm=2_000_000, concurrency=50)
    assert PRESETS["cn-tier5"] == RateLimits(rpm=10_000, tpm=5_000_000, concurrency=1_000)
    assert PRESETS["global-tier0"] == RateLimits(rpm=3, tpm=500_000, concurrency=1)
    assert PRESETS["global-tier1"] == RateLimits(rpm=100, tpm=2_000_000, concurrency=15)
    assert PRESETS["global-tier2"] == RateLimits(rpm=100, tpm=3_000_000, concurrency=40)
    assert PRESETS["global-tier5"] == RateLimits(rpm=300, tpm=5_000_000, concurrency=100)
    assert PRESETS["kimi-k2"] == RateLimits(rpm=10, tpm=300_000, concurrency=3)
    # "tierN" is the tier of the client's platform; the global one by default.
    assert resolve_limits("tier1") == PRESETS["global-tier1"]
    assert resolve_limits("tier1", "moonshot-global") == PRESETS["global-tier1"]
    assert resolve_limits("tier1", "moonshot-cn") == PRESETS["cn-tier1"]
    assert resolve_limits("cn-tier3", "moonshot-global") == PRESETS["cn-tier3"]
    assert resolve_limits({"rpm": 5}) == RateLimits(rpm=5)
    with pytest.raises(ValueError, match="unknown rate-limit preset 'tier9'"):
        resolve_limits("tier9")
    with pytest.raises(ValueError, match="rpm must be a positive integer"):
        RateLimits(rpm=0)


def test_estimate_request_tokens() -> None:
    assert estimate_request_tokens({"messages": USER_HI}) == 1
    parts = [{"type": "text", "text": "x" * 150}, {"type": "image_url", "image_url": {}}]
    payload = {
        "messages": [{"role": "user", "content": "y" * 150}, {"role": "user", "content": parts}]
    }
    assert estimate_request_tokens(payload) == 101
    assert estimate_request_tokens({}) == 1


def test_clients_share_one_limiter_per_key() -> None:
    recorder = Recorder()
    first = sync_client(recorder, rate_limits={"rpm": 7, "concurrency": 2})
    second = sync_client(recorder, rate_limits=RateLimits(rpm=7, concurrency=2))
    assert first.rate_limiter is not None
    assert first.rate_limiter is second.rate_limiter
    assert sync_client(recorder).rate_limiter is None  # off unless configured
    assert SENTINEL_KEY not in repr(first.rate_limiter)


def test_chat_releases_its_lease_with_the_real_usage() -> None:
    clock = FakeClock()
    limiter = RateLimiter(RateLimits(tpm=1000, concurrency=1), margin=0, clock=clock)
    answer = {"choices": [{"message": {"content": "ok"}}], "usage": {"total_tokens": 990}}
    client = sync_client(Recorder(json_response(answer)), rate_limiter=limiter)
    client.chat({"model": "kimi-k2-0905-preview", "messages": USER_HI})
    assert limiter.in_flight == 0
    assert wait_needed(limiter, 20) == 60.0  # 990 real tokens now fill the window


def test_stream_releases_its_lease_with_the_streamed_usage() -> None:
    clock = FakeClock()
    limiter = RateLimiter(RateLimits(tpm=1000, concurrency=1), margin=0, clock=clock)
    body = sse_bytes(
        {"choices": [{"index": 0, "delta": {"content": "x"}, "finish_reason": "stop"}]},
        {"choices": [], "usage": {"total_tokens": 995}},
    )
    client = sync_client(Recorder(sse_response(body)), rate_limiter=limiter)
    with client.chat_stream({"model": "kimi-k2-0905-preview", "messages": USER_HI}) as stream:
        assert limiter.in_flight == 1
        assert len(list(stream)) == 2
    assert limiter.in_flight == 0
    assert wait_needed(limiter, 10) == 60.0


async def test_async_chat_error_still_releases_the_lease() -> None:
    limiter = RateLimiter(RateLimits(concurrency=1))
    answer = json_response({"error": {"message": "bad", "type": "invalid_request_error"}}, 400)
    client = async_client(Recorder(answer), rate_limiter=limiter)
    with pytest.raises(BadRequestError):
        await client.chat({"model": "kimi-k2-0905-preview", "messages": USER_HI})
    assert limiter.in_flight == 0


# -- pacing against the server's own count (issue 17: retries, stamps, headers) ----------------


def test_a_request_leaves_the_window_a_margin_after_the_servers() -> None:
    clock = FakeClock()
    limiter = RateLimiter(RateLimits(rpm=1), clock=clock)  # margin: 1% of 60 s
    assert limiter.margin == 0.6
    limiter.acquire().release()
    assert wait_needed(limiter) == pytest.approx(60.6)


def test_a_request_counts_from_when_it_was_written() -> None:
    clock = FakeClock()
    limiter = RateLimiter(RateLimits(rpm=1), margin=0, clock=clock)
    lease = limiter.acquire()
    clock.now += 5  # the request waited 5 s for a connection, then was written
    lease.sent()
    lease.release()
    assert wait_needed(limiter) == 60.0  # 60 s from the write, not from the grant


def test_a_retry_takes_a_place_in_the_rpm_window() -> None:
    clock = FakeClock()
    limiter = RateLimiter(RateLimits(rpm=2), margin=0, clock=clock)
    lease = limiter.acquire()
    lease.retry()  # the second try of the same call: a second request for the server
    assert len(limiter._requests) == 2
    assert wait_needed(limiter) == 60.0
    lease.release()


def test_retry_after_pauses_every_caller() -> None:
    clock = FakeClock()
    limiter = RateLimiter(RateLimits(rpm=100), margin=0, clock=clock)
    limiter.observe(None, retry_after=7.0)
    assert wait_needed(limiter) == 7.0


def test_no_remaining_requests_pause_only_when_this_limiter_saw_room() -> None:
    clock = FakeClock()
    limiter = RateLimiter(RateLimits(rpm=10), margin=0, clock=clock)
    limiter.acquire().release()
    # The server's window is full though this one holds 1 of 10: others use the account.
    limiter.observe({"limit": 10, "remaining": 0, "reset": 4})
    assert wait_needed(limiter) == 4.0

    own = RateLimiter(RateLimits(rpm=2), margin=0, clock=clock)
    own.acquire().release()
    own.acquire().release()
    # Both windows are full: this limiter's exact count decides, not the header's seconds.
    own.observe({"limit": 2, "remaining": 0, "reset": 59})
    assert wait_needed(own) == 60.0
    assert own._paused_until == 0.0


def test_a_lower_server_limit_replaces_the_configured_rpm() -> None:
    limiter = RateLimiter(RateLimits(rpm=500, concurrency=3), margin=0, clock=FakeClock())
    limiter.observe({"limit": 200, "remaining": 150, "reset": 1})
    assert limiter.limits == RateLimits(rpm=200, concurrency=3)
    limiter.observe({"limit": 900, "remaining": 150, "reset": 1})
    assert limiter.limits.rpm == 200  # never raised above what was configured


def test_a_timeout_bounds_the_wait_for_a_slot_sync_and_async() -> None:
    """``acquire(timeout=)`` / ``aacquire(timeout=)`` (what a call's ``total_timeout``
    leaves): ``TimeoutError`` once it passed; a cancelled wait takes nothing."""
    import asyncio

    from kimi_core.limits.limiter import RateLimiter as Limiter

    limiter = Limiter({"concurrency": 1})
    held = limiter.acquire()
    with pytest.raises(TimeoutError):
        limiter.acquire(timeout=0.05)

    async def waits() -> None:
        with pytest.raises(TimeoutError):
            await limiter.aacquire(timeout=0.05)
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(limiter.aacquire(), 0.05)

    asyncio.run(waits())
    assert limiter.in_flight == 1
    held.release()
    assert limiter.acquire(timeout=0.05).release() is None
    assert limiter.in_flight == 0


def test_a_preset_follows_the_servers_rpm_both_ways_explicit_limits_only_go_down() -> None:
    """X-RateLimit-Limit wins over a preset (a guess at the account's tier), up or down; limits
    the user wrote out are only lowered by it."""
    preset = RateLimiter("tier1")
    assert preset.limits.rpm == 100
    preset.observe({"limit": 200, "remaining": 150, "reset": 10})
    assert preset.limits == RateLimits(rpm=200, tpm=2_000_000, concurrency=15)
    preset.observe({"limit": 60, "remaining": 50, "reset": 10})
    assert preset.limits.rpm == 60
    explicit = RateLimiter(RateLimits(rpm=100))
    explicit.observe({"limit": 200, "remaining": 150, "reset": 10})
    assert explicit.limits.rpm == 100
    explicit.observe({"limit": 60, "remaining": 50, "reset": 10})
    assert explicit.limits.rpm == 60


def test_a_clients_tier_preset_is_its_platforms_tier() -> None:
    from kimi_core import KimiClient

    with KimiClient("sk-tier-global", rate_limits="tier1") as default:
        assert default.rate_limiter.limits == PRESETS["global-tier1"]  # type: ignore[union-attr]
    with KimiClient("sk-tier-cn", gateway="moonshot-cn", rate_limits="tier1") as china:
        assert china.rate_limiter.limits == PRESETS["cn-tier1"]  # type: ignore[union-attr]
