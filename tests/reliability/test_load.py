"""1,000 concurrent async calls through one ChatKimi against simulated account limits.

The emulator enforces concurrency 50 and RPM 600 (on a 6 s window instead of 60 s, so the test
takes seconds, not minutes); ChatKimi's client-side limiter uses the same numbers with a little
headroom on the window. A server counts a request when it arrives, which trails the client's
grant by a variable delay (here the in-process emulator competes for the GIL with 1,000
coroutines), so a client-side limiter cannot be exact at the window's edge: the few 429s that
slip through are retried by the core. What must hold: no 429 reaches the caller, every answer is
right, the limiter kept refusals rare, and the sockets go back to their baseline.
"""

from __future__ import annotations

import asyncio
import os
import time
from typing import Any

from kimi_core import RateLimiter, RateLimits
from langchain_kimi import ChatKimi

CALLS = 1_000
CONCURRENCY = 50
RPM = 600
SERVER_WINDOW = 6.0
CLIENT_WINDOW = 6.5


def _open_sockets() -> int:
    fd_dir = "/proc/self/fd"
    count = 0
    for name in os.listdir(fd_dir):
        try:
            if os.readlink(os.path.join(fd_dir, name)).startswith("socket:"):
                count += 1
        except OSError:
            continue
    return count


def test_thousand_concurrent_calls_respect_the_limits(kimi_emulator: Any) -> None:
    kimi_emulator.set_limits(rpm=RPM, concurrency=CONCURRENCY, window=SERVER_WINDOW)
    limiter = RateLimiter(RateLimits(rpm=RPM, concurrency=CONCURRENCY), window=CLIENT_WINDOW)
    baseline = _open_sockets()

    async def main() -> list[str]:
        llm = ChatKimi(
            model="kimi-k2.6",
            api_key="sk-load",
            base_url=kimi_emulator.base_url,
            thinking=False,
            rate_limits=limiter,
        )
        try:
            answers = await asyncio.gather(*(llm.ainvoke(f"question {i}") for i in range(CALLS)))
            return [str(answer.content) for answer in answers]
        finally:
            await llm.aclose()

    started = time.monotonic()
    answers = asyncio.run(main())
    elapsed = time.monotonic() - started

    assert answers == [f"You said: question {i}" for i in range(CALLS)]
    sent = [r for r in kimi_emulator.requests if r.path.endswith("/chat/completions")]
    refused = len(sent) - CALLS  # every refused request was retried and then answered
    assert 0 <= refused <= CALLS // 20, f"{refused} requests were refused with 429"
    assert limiter.in_flight == 0
    # 1,000 requests at 600 per window need a second window: the limiter really paced them.
    assert elapsed >= CLIENT_WINDOW
    deadline = time.monotonic() + 5
    while _open_sockets() > baseline and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _open_sockets() <= baseline
