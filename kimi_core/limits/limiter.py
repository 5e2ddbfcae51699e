"""Client-side rate limiting: requests per minute, tokens per minute, concurrent requests.

Moonshot limits each account (``docs/kimi-api/errors-and-limits.md``, "Rate-limit tiers"), so
every client of the same key in a process shares one limiter (``shared_rate_limiter``). Off
unless configured. A limiter is thread-safe and serves sync and async callers alike;
``acquire``/``aacquire`` return a ``Lease`` that frees the concurrency slot and corrects the
token estimate with the real usage when released.
"""

from __future__ import annotations

import asyncio
import hashlib
import inspect
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Protocol

__all__ = [
    "PRESETS",
    "Lease",
    "LeaseLike",
    "Limiter",
    "RateLimiter",
    "RateLimits",
    "aacquire_within",
    "acquire_within",
    "estimate_request_tokens",
    "preset_name",
    "rate_limit_headers",
    "release_lease",
    "resolve_limits",
    "shared_rate_limiter",
]


@dataclass(frozen=True)
class RateLimits:
    """Limits per ``window`` seconds (a minute); ``None`` means unlimited."""

    rpm: int | None = None
    tpm: int | None = None
    concurrency: int | None = None

    def __post_init__(self) -> None:
        for name in ("rpm", "tpm", "concurrency"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise ValueError(f"{name} must be a positive integer or None, got {value!r}")


# Moonshot's account tiers by cumulative top-up, (concurrency, RPM, TPM) per tier
# (docs/kimi-api/errors-and-limits.md, "Rate-limit tiers"). China: Moonshot's current page.
# Global: the table quoted from platform.kimi.ai's limits page on 2026-09-12, one source, lower
# than the older English page (which showed China's numbers); kept because it is the newest.
_CN_TIERS = (
    (1, 3, 500_000),
    (50, 200, 2_000_000),
    (100, 500, 3_000_000),
    (200, 5_000, 3_000_000),
    (400, 5_000, 4_000_000),
    (1_000, 10_000, 5_000_000),
)
_GLOBAL_TIERS = (
    (1, 3, 500_000),
    (15, 100, 2_000_000),
    (40, 100, 3_000_000),
    (50, 200, 3_000_000),
    (60, 200, 4_000_000),
    (100, 300, 5_000_000),
)
PRESETS: dict[str, RateLimits] = {
    **{
        f"{platform}-tier{n}": RateLimits(rpm=rpm, tpm=tpm, concurrency=concurrency)
        for platform, table in (("cn", _CN_TIERS), ("global", _GLOBAL_TIERS))
        for n, (concurrency, rpm, tpm) in enumerate(table)
    },
    # The per-model table of an older tier (the Chinese summary page in docs/kimi-api/gateways.md).
    "moonshot-v1-8k": RateLimits(rpm=30, tpm=300_000, concurrency=5),
    "moonshot-v1-32k": RateLimits(rpm=30, tpm=300_000, concurrency=5),
    "moonshot-v1-128k": RateLimits(rpm=10, tpm=300_000, concurrency=3),
    "kimi-k2": RateLimits(rpm=10, tpm=300_000, concurrency=3),
}
_TIERS = tuple(f"tier{n}" for n in range(len(_CN_TIERS)))


def preset_name(name: str, platform: str | None = None) -> str:
    """The full preset name: ``"tier1"`` is the tier of the client's platform (``cn-tier1``
    on Moonshot China, ``global-tier1`` elsewhere: the default endpoint is the global one)."""
    if name in _TIERS:
        return f"{'cn' if platform == 'moonshot-cn' else 'global'}-{name}"
    return name


def resolve_limits(
    limits: RateLimits | str | Mapping[str, int | None], platform: str | None = None
) -> RateLimits:
    """Limits from a ``RateLimits``, a preset name (``"tier1"``, ``"cn-tier1"``,
    ``"global-tier1"``) or a mapping."""
    if isinstance(limits, RateLimits):
        return limits
    if isinstance(limits, str):
        try:
            return PRESETS[preset_name(limits, platform)]
        except KeyError:
            names = ", ".join((*_TIERS, *PRESETS))
            raise ValueError(f"unknown rate-limit preset {limits!r}; presets: {names}") from None
    return RateLimits(**limits)


def estimate_request_tokens(payload: Mapping[str, Any]) -> int:
    """A quick upper-ish estimate of a request's input tokens (about 3 characters a token),
    charged to the TPM window until the real usage replaces it."""
    chars = 0
    for message in payload.get("messages") or ():
        content = message.get("content") if isinstance(message, Mapping) else None
        if isinstance(content, str):
            chars += len(content)
        elif isinstance(content, list):
            chars += sum(
                len(str(part.get("text", ""))) for part in content if isinstance(part, dict)
            )
    return chars // 3 + 1


_RATE_LIMIT_KEYS = {
    b"x-ratelimit-limit": "limit",
    b"x-ratelimit-remaining": "remaining",
    b"x-ratelimit-reset": "reset",
    # OpenAI-style hosts suffix them (Together, OpenRouter upstreams, vLLM proxies...):
    # requests are what the RPM counts; token figures are kept under their own names
    # (docs/kimi-api/hosts.md, "Rate-limit headers").
    b"x-ratelimit-limit-requests": "limit",
    b"x-ratelimit-remaining-requests": "remaining",
    b"x-ratelimit-reset-requests": "reset",
    b"x-ratelimit-limit-tokens": "limit_tokens",
    b"x-ratelimit-remaining-tokens": "remaining_tokens",
    b"x-ratelimit-reset-tokens": "reset_tokens",
    b"x-tokenlimit-limit": "limit_tokens",
    b"x-tokenlimit-remaining": "remaining_tokens",
    b"x-tokenlimit-reset": "reset_tokens",
}


def rate_limit_headers(headers: Any) -> dict[str, int | str] | None:
    """The account's limits as an answer reported them (``X-RateLimit-Limit``,
    ``-Remaining``, ``-Reset``; ``docs/kimi-api/models.md`` §10; the ``-requests`` /
    ``-tokens`` suffixed names and ``X-TokenLimit-*`` of other hosts): integers where the header
    is one, the header's text otherwise; None when the answer carried none. ``headers``: an
    ``httpx.Headers`` (read in one pass over its raw items: this runs on every answer) or a
    mapping."""
    items = getattr(headers, "raw", None)  # (a property: read once)
    if items is None:
        items = [(str(k).encode("latin-1"), str(v).encode("latin-1")) for k, v in headers.items()]
    found: dict[str, int | str] | None = None
    for raw_key, raw_value in items:
        prefix = raw_key[:12].lower()
        if prefix != b"x-ratelimit-" and prefix != b"x-tokenlimit":
            continue
        key = _RATE_LIMIT_KEYS.get(raw_key.lower())
        if key is None:
            continue
        value = raw_value.decode("latin-1").strip()
        if found is None:
            found = {}
        found[key] = int(value) if value.isdigit() else value
    return found


class LeaseLike(Protocol):
    """What a limiter grants: released once the answer is complete. A lease may also offer
    ``retry()`` / ``aretry()``: wait for, and count, one more request (a retry is a request
    too, against the account's RPM) while keeping its concurrency slot."""

    def release(self, actual_tokens: int | None = None) -> None: ...


_log = logging.getLogger("kimi_core.limits")


def release_lease(lease: LeaseLike | None, tokens: int | None = None) -> None:
    """Give a lease back; never raises: a limiter that fails to hear of it (a Redis gone
    away) must not throw away an answer the server already billed. The failure is logged;
    the lease expires on its own (a Redis lease by its TTL)."""
    if lease is None:
        return
    try:
        lease.release(tokens)
    except Exception as exc:  # any limiter's failure, a caller's own limiter's too
        _log.warning("the rate limiter failed to release a lease: %s: %s", type(exc).__name__, exc)


class Limiter(Protocol):
    """What the clients need of a limiter (``RateLimiter`` in-process, ``RedisRateLimiter``).
    Both of this package's also take ``timeout=`` (``TimeoutError`` once it passed): the
    clients pass what a call's ``total_timeout`` leaves (``acquire_within``)."""

    def acquire(self, tokens: int = 0) -> LeaseLike: ...

    async def aacquire(self, tokens: int = 0) -> LeaseLike: ...


class Lease:
    """A granted request: release it when the answer is complete (a context manager too)."""

    __slots__ = ("_entry", "_limiter", "_released", "_stamp")

    def __init__(self, limiter: RateLimiter, entry: list[float], stamp: list[float]) -> None:
        self._limiter = limiter
        self._entry = entry
        self._stamp = stamp  # this request's (or its latest retry's) place in the RPM window
        self._released = False

    def release(self, actual_tokens: int | None = None) -> None:
        if not self._released:
            self._released = True
            self._limiter._release(self._entry, actual_tokens)

    def sent(self) -> None:
        """The whole request is written: count it in the RPM window from now on.

        The server counts a request when it arrives, a little after it is written and maybe
        long after the grant (a busy event loop, a slow upload); counting from the write
        keeps this window from freeing a place much before the server's does."""
        self._limiter._restamp(self._stamp)

    def retry(self) -> None:
        """Block until one more request (a retry of this one) fits the RPM window."""
        self._stamp = self._limiter._again()

    async def aretry(self) -> None:
        """``retry`` without blocking the event loop."""
        self._stamp = await self._limiter._aagain()

    def __enter__(self) -> Lease:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


class RateLimiter:
    """Sliding-window RPM/TPM plus a concurrency cap, shared by threads and event loops."""

    def __init__(
        self,
        limits: RateLimits | str | Mapping[str, int | None],
        *,
        window: float = 60.0,
        margin: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        platform: str | None = None,
        follow_server: bool | None = None,
    ) -> None:
        self.limits = resolve_limits(limits, platform)
        # A preset is a guess at the account's tier: the server's ``X-RateLimit-Limit`` replaces
        # its RPM either way. Limits the user wrote out are only ever lowered by it.
        self.follow_server = isinstance(limits, str) if follow_server is None else follow_server
        self.window = window
        # A request leaves this window ``margin`` after it left the server's (default 1% of
        # the window): the server counts it on arrival, a little after it was written here,
        # and that delay varies from request to request.
        self.margin = window * 0.01 if margin is None else margin
        self._span = window + self.margin
        self._clock = clock
        self._cond = threading.Condition(threading.Lock())
        # One ``[time]`` per request in the RPM window (a list: ``Lease.sent`` moves it).
        self._requests: deque[list[float]] = deque()
        self._token_entries: deque[list[float]] = deque()
        self._token_sum = 0.0
        self._in_flight = 0
        # Until when no request may start: what the server said (Retry-After, no requests
        # remaining in its window), which wins over this limiter's own count.
        self._paused_until = 0.0
        self._async_waiters: deque[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = deque()

    def __repr__(self) -> str:
        return f"RateLimiter({self.limits!r})"

    @property
    def in_flight(self) -> int:
        return self._in_flight

    def _expire(self, now: float) -> None:
        horizon = now - self._span
        requests = self._requests
        while requests and requests[0][0] <= horizon:
            requests.popleft()
        entries = self._token_entries
        while entries and entries[0][0] <= horizon:
            self._token_sum -= entries.popleft()[1]

    def _try(self, tokens: int) -> tuple[float, Lease | None]:
        """Grant now, or say how long to wait (-1: until a concurrent request ends)."""
        now = self._clock()
        self._expire(now)
        limits = self.limits
        if limits.concurrency is not None and self._in_flight >= limits.concurrency:
            return -1.0, None
        if self._paused_until > now:
            return self._paused_until - now, None
        if limits.rpm is not None and len(self._requests) >= limits.rpm:
            return self._requests[0][0] + self._span - now, None
        if limits.tpm is not None and self._token_sum and self._token_sum + tokens > limits.tpm:
            excess = self._token_sum + tokens - limits.tpm
            for when, count in self._token_entries:
                excess -= count
                if excess <= 0:
                    return when + self._span - now, None
            # Larger than the whole TPM: wait until the window is empty, then let it through.
            return self._token_entries[-1][0] + self._span - now, None
        stamp = [now]
        self._requests.append(stamp)
        entry = [now, float(tokens)]
        self._token_entries.append(entry)
        self._token_sum += tokens
        self._in_flight += 1
        return 0.0, Lease(self, entry, stamp)

    def _try_again(self) -> tuple[float, list[float] | None]:
        """Count a retry under a held lease if the RPM window allows (its stamp), else the
        wait."""
        now = self._clock()
        self._expire(now)
        if self._paused_until > now:
            return self._paused_until - now, None
        rpm = self.limits.rpm
        if rpm is not None and len(self._requests) >= rpm:
            return self._requests[0][0] + self._span - now, None
        stamp = [now]
        self._requests.append(stamp)
        return 0.0, stamp

    def _again(self) -> list[float]:
        with self._cond:
            while True:
                wait, stamp = self._try_again()
                if stamp is not None:
                    return stamp
                self._cond.wait(max(wait, 0.001))

    async def _aagain(self) -> list[float]:
        while True:
            with self._cond:
                wait, stamp = self._try_again()
            if stamp is not None:
                return stamp
            await asyncio.sleep(max(wait, 0.001))

    def _restamp(self, stamp: list[float]) -> None:
        # Entries stay in grant order; one moved later only expires later (never too early).
        with self._cond:
            stamp[0] = max(stamp[0], self._clock())

    def observe(
        self, rate_limit: Mapping[str, int | str] | None, retry_after: float | None = None
    ) -> None:
        """Correct the pace with what the server reported.

        - A 429's ``Retry-After``: no request starts before it has passed.
        - ``X-RateLimit-Limit`` below the configured RPM, or any figure when the limits came
          from a preset: the server's figure is used.
        - ``X-RateLimit-Remaining: 0`` with ``X-RateLimit-Reset`` (seconds, or a Unix time)
          while this limiter still counts plenty of room (under 90% of the RPM): someone else
          uses the account too, so nothing starts until the reset. When this limiter's own
          window is (nearly) full as well, its own count decides: it knows to the millisecond
          when a place frees, the header only to the second, and a little late.
        """
        wait = retry_after or 0.0
        with self._cond:
            now = self._clock()
            rpm = self.limits.rpm
            if rate_limit:
                limit = rate_limit.get("limit")
                if (
                    isinstance(limit, int)
                    and limit > 0
                    and (rpm is None or limit < rpm or self.follow_server)
                ):
                    self.limits = replace(self.limits, rpm=limit)
                    rpm = limit
                reset = rate_limit.get("reset")
                if rate_limit.get("remaining") == 0 and isinstance(reset, int | float):
                    self._expire(now)
                    if rpm is None or len(self._requests) < 0.9 * rpm:
                        seconds = reset - time.time() if reset > 1_000_000_000 else float(reset)
                        wait = max(wait, seconds)
            if wait > 0:
                self._paused_until = max(self._paused_until, now + min(wait, self.window))

    def acquire(self, tokens: int = 0, *, timeout: float | None = None) -> Lease:
        """Block until the request may be sent; ``timeout`` (seconds): ``TimeoutError``
        if it may not within that time."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while True:
                wait, lease = self._try(tokens)
                if lease is not None:
                    return lease
                bounded = _bounded_wait(None if wait < 0 else max(wait, 0.001), deadline)
                self._cond.wait(bounded)

    async def aacquire(self, tokens: int = 0, *, timeout: float | None = None) -> Lease:
        """Wait (without blocking the event loop) until the request may be sent;
        ``timeout`` as ``acquire``. Cancelling the wait takes nothing."""
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            future: asyncio.Future[None] | None = None
            with self._cond:
                wait, lease = self._try(tokens)
                if lease is not None:
                    return lease
                if wait < 0:
                    future = loop.create_future()
                    self._async_waiters.append((loop, future))
            if future is not None:
                try:
                    # The timeout is a safety net against a wake-up lost to a cancelled waiter.
                    await asyncio.wait({future}, timeout=_bounded_wait(1.0, deadline))
                finally:  # timed out or cancelled too: never woken later
                    future.cancel()
            else:
                await asyncio.sleep(_bounded_wait(max(wait, 0.001), deadline) or 0.0)

    def _release(self, entry: list[float], actual_tokens: int | None) -> None:
        with self._cond:
            self._in_flight -= 1
            if actual_tokens is not None and entry[0] > self._clock() - self._span:
                self._token_sum += actual_tokens - entry[1]
                entry[1] = float(actual_tokens)
            self._cond.notify()
            while self._async_waiters:
                loop, future = self._async_waiters.popleft()
                if not future.done():
                    try:
                        loop.call_soon_threadsafe(_wake, future)
                    except RuntimeError:  # its loop has closed: wake the next one
                        continue
                    break


def _bounded_wait(wait: float | None, deadline: float | None) -> float | None:
    """``wait`` cut to what is left before ``deadline``; ``TimeoutError`` once it passed."""
    if deadline is None:
        return wait
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError("the rate limiter gave no slot within the time allowed")
    return left if wait is None else min(wait, left)


def acquire_within(limiter: Limiter, tokens: int, timeout: float | None) -> LeaseLike:
    """``limiter.acquire(tokens)``, given up with ``TimeoutError`` after ``timeout`` seconds
    (a call's ``total_timeout``) when the limiter takes a ``timeout`` (both of this
    package's do; a limiter of your own without one waits as it does)."""
    if timeout is None or not _takes_timeout(limiter.acquire):
        return limiter.acquire(tokens)
    return limiter.acquire(tokens, timeout=timeout)  # type: ignore[call-arg]


async def aacquire_within(limiter: Limiter, tokens: int, timeout: float | None) -> LeaseLike:
    """``acquire_within``, awaited (a limiter without ``timeout`` is waited for with
    ``asyncio.wait_for``)."""
    if timeout is None:
        return await limiter.aacquire(tokens)
    if _takes_timeout(limiter.aacquire):
        return await limiter.aacquire(tokens, timeout=timeout)  # type: ignore[call-arg]
    return await asyncio.wait_for(limiter.aacquire(tokens), max(timeout, 0.0))


def _takes_timeout(method: Callable[..., Any]) -> bool:
    function = getattr(method, "__func__", method)
    known = _TAKES_TIMEOUT.get(function)
    if known is None:
        try:
            known = "timeout" in inspect.signature(method).parameters
        except (TypeError, ValueError):
            known = False
        _TAKES_TIMEOUT[function] = known
    return known


_TAKES_TIMEOUT: dict[Any, bool] = {}


def _wake(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


_SHARED: dict[tuple[str, RateLimits, bool], RateLimiter] = {}
_SHARED_LOCK = threading.Lock()


def shared_rate_limiter(
    api_key: str, limits: RateLimits | str | Mapping[str, int | None], platform: str | None = None
) -> RateLimiter:
    """The process-wide limiter for this key and limits (keyed by a hash, never the key);
    a tier preset is the tier of ``platform`` (``preset_name``)."""
    resolved = resolve_limits(limits, platform)
    follow = isinstance(limits, str)
    fingerprint = hashlib.sha256(api_key.encode()).hexdigest()
    with _SHARED_LOCK:
        limiter = _SHARED.get((fingerprint, resolved, follow))
        if limiter is None:
            limiter = RateLimiter(resolved, follow_server=follow)
            _SHARED[(fingerprint, resolved, follow)] = limiter
        return limiter
