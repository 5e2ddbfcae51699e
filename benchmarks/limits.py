"""Throughput at the account's limits: ``ChatKimi.abatch`` of many calls, paced by the limiter,
against an emulator that enforces the same RPM / TPM / concurrency (with a short window so the
run takes seconds, not minutes).

Prints the achieved throughput as a fraction of what the limits allow (target >= 0.95), the
429s the server sent (target 0: the pacing itself must not cause any) and the errors that
reached the caller (must be 0). The limiter corrects its pace with the server's
``X-RateLimit-*`` and ``Retry-After`` headers (docs/guides/rate-limits.md).

    python benchmarks/limits.py                  # 1,000 calls, rpm 333 per 5 s window (~15 s)
    python benchmarks/limits.py --calls 301 --rpm 100 --window 2 --concurrency 10

The default 1,000 calls fill three windows and put the last call alone in a fourth, so the
least time the limits allow is three windows, whatever the machine's speed.

The emulator runs in its own process. The limits must stay under what it and the client serve
with no limits at all (about 150 calls/s on 2 cores): above that the run measures the
machine, not the pacing. The allowed time is the RPM's; a binding ``--tpm``
makes the run slower than it, and then the fraction is only a lower bound.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kimi_core import RateLimiter, RateLimits  # noqa: E402
from langchain_kimi import ChatKimi  # noqa: E402


def minimum_seconds(calls: int, rpm: int, window: float) -> float:
    """The least time ``calls`` requests take at ``rpm`` per ``window``: the first window's
    requests go at once, each later group one window after the previous one."""
    return (math.ceil(calls / rpm) - 1) * window


def start_emulator(args: argparse.Namespace) -> tuple[subprocess.Popen[str], str]:
    """The emulator in a process of its own (as a real server is): in this process it would
    share the GIL with the client, and its own lag would count against the pacing."""
    command = [sys.executable, "-m", "kimi_emulator", "--api-key", "sk-limits"]
    command += ["--rpm", str(args.rpm), "--concurrency", str(args.concurrency)]
    command += ["--tpm", str(args.tpm), "--window", str(args.window)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    assert process.stdout is not None
    line = process.stdout.readline()
    match = re.search(r"(http://\S+)", line)
    if match is None:
        process.kill()
        raise SystemExit(f"the emulator did not start: {line!r}")
    return process, match.group(1)


async def run(args: argparse.Namespace) -> int:
    process, base_url = start_emulator(args)
    statuses: list[int] = []

    async def note(response: httpx.Response) -> None:
        statuses.append(response.status_code)

    http = httpx.AsyncClient(
        event_hooks={"response": [note]}, limits=httpx.Limits(max_connections=None)
    )
    limiter = RateLimiter(
        RateLimits(rpm=args.rpm, tpm=args.tpm, concurrency=args.concurrency),
        window=args.window,
    )
    llm = ChatKimi(
        model="kimi-k2.6",
        api_key="sk-limits",
        base_url=base_url,
        thinking=False,
        rate_limits=limiter,  # kimi_core's limiter (rate_limiter= is LangChain's own)
        http_async_client=http,
        max_retries=5,
    )
    prompts = [f"label item {i}" for i in range(args.calls)]
    started = time.perf_counter()
    answers = await llm.abatch(prompts, return_exceptions=True)
    took = time.perf_counter() - started
    await http.aclose()
    process.terminate()
    process.wait(10)

    errors = [a for a in answers if isinstance(a, BaseException)]
    wrong = [
        a
        for a, p in zip(answers, prompts, strict=True)
        if not isinstance(a, BaseException) and a.content != f"You said: {p}"
    ]
    floor = minimum_seconds(args.calls, args.rpm, args.window)
    fraction = floor / took if took > 0 else 0.0
    too_many = statuses.count(429)
    print(f"calls                 {args.calls}")
    print(
        f"limits                rpm={args.rpm} tpm={args.tpm} "
        f"concurrency={args.concurrency} per {args.window:g} s"
    )
    print(f"took                  {took:.2f} s (the limits allow {floor:.2f} s)")
    print(f"throughput fraction   {fraction:.3f} (target >= 0.95)")
    print(f"429s from the server  {too_many} (target 0)")
    print(f"errors to the caller  {len(errors)} (must be 0)")
    print(f"wrong answers         {len(wrong)} (must be 0)")
    ok = fraction >= 0.95 and too_many == 0 and not errors and not wrong
    return 0 if ok or not args.check else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--rpm", type=int, default=333, help="requests per window")
    parser.add_argument("--tpm", type=int, default=100_000, help="tokens per window")
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--window", type=float, default=5.0, help="seconds (the API: 60)")
    parser.add_argument("--check", action="store_true", help="exit 1 below a target")
    return asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    raise SystemExit(main())
