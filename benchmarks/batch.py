"""A batch job of many chat requests, built, uploaded and read back: time and peak memory.

    python benchmarks/batch.py                 # 10,000 requests
    python benchmarks/batch.py --lines 200     # what the smoke test runs

The Kimi emulator runs in its own process (``python -m kimi_emulator``), so the figures
are the client's alone: ``tracemalloc`` counts this process's Python allocations, and each
phase's peak is measured from the memory held when the phase starts. Phases:

- build: every request through the chat request builder into the JSONL (``write_batch_files``:
  a temporary file, line by line);
- submit: build again, upload the file (streamed from disk by httpx in 64 KiB pieces) and
  create the batch (``KimiBatchJob.submit``);
- wait: poll until the batch has ended (the emulator answers every line at creation);
- results: download the output file line by line and parse each line into a
  ``ChatCompletion``, put in input order. "held after" is what the list of results keeps;
- iterate: the same download and parsing through ``job.iter_results()``, keeping nothing.

The JSONL must never sit in memory: submit's peak stays far under the file's size, the
results' peak is the parsed answers themselves, and iterating holds one line at a time.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from kimi_core import KimiBatchJob, KimiClient, PollPolicy
from kimi_core.batch.jsonl import write_batch_files

_T = TypeVar("_T")
SYSTEM = "You label customer reviews as positive, negative or neutral. Answer with the label only."


def requests(count: int) -> Iterator[dict[str, Any]]:
    for index in range(count):
        review = f"Review {index}: the delivery took {index % 9 + 1} days and the box was fine."
        yield {
            "model": "kimi-k2.6",
            "messages": [
                {"role": "system", "content": SYSTEM},
                {"role": "user", "content": review},
            ],
            "thinking": False,
            "max_tokens": 64,
        }


def measured(step: Callable[[], _T], memory: bool) -> tuple[_T, float, int, int]:
    """``(result, seconds, peak bytes above the start, bytes still held after)``; memory is
    traced only when ``memory`` (tracing slows every allocation down, so the times come from
    a run without it)."""
    if not memory:
        began = time.perf_counter()
        result = step()
        return result, time.perf_counter() - began, 0, 0
    start = tracemalloc.get_traced_memory()[0]
    tracemalloc.reset_peak()
    result = step()
    current, peak = tracemalloc.get_traced_memory()
    return result, 0.0, peak - start, current - start


def run(client: KimiClient, count: int, memory: bool) -> dict[str, Any]:
    """One pass over the phases (module docstring)."""
    if memory:
        tracemalloc.start()

    def build() -> int:
        plan = write_batch_files(requests(count), lambda r: client.prepare(r)[:2])
        size = sum(part.size for part in plan.files)
        plan.close()
        return size

    poll = PollPolicy(0.05, 1, 0.05)
    figures: dict[str, Any] = {}
    size, *figures["build"] = measured(build, memory)
    job, *figures["submit"] = measured(
        lambda: KimiBatchJob.submit(client, requests(count), poll=poll), memory
    )
    _, *figures["wait"] = measured(job.wait, memory)
    results, *figures["results"] = measured(job.results, memory)
    del results[1:-1]  # the first and last are checked below
    seen, *figures["iterate"] = measured(lambda: sum(1 for _ in job.iter_results()), memory)
    assert seen == count
    if memory:
        tracemalloc.stop()
    expected = "You said: Review 0: the delivery took 1 days and the box was fine."
    assert results[0].message.text == expected
    assert results[-1].message.text.startswith(f"You said: Review {count - 1}:")
    figures["size"], figures["job"] = size, job
    return figures


def start_emulator() -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "kimi_emulator", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    if "listening on " not in line:
        process.kill()
        raise RuntimeError(f"the emulator did not start: {line!r}")
    return process, line.rsplit("listening on ", 1)[1].strip()


def mib(size: int) -> str:
    return f"{size / 1024 / 1024:,.2f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=10_000, help="requests (default 10,000)")
    args = parser.parse_args()
    count = args.lines
    process, base_url = start_emulator()
    try:
        with KimiClient(api_key="sk-bench", base_url=base_url, max_retries=0) as client:
            client.models.list()  # a warm connection, outside the figures
            timed = run(client, count, memory=False)
            traced = run(client, count, memory=True)
    finally:
        process.terminate()
        process.wait(10)
    job = timed["job"]
    print(f"Batch of {count:,} requests: JSONL {mib(timed['size'])} MiB, {len(job.ids)} batch(es)")
    print(f"{'phase':<10}{'seconds':>10}{'peak MiB':>12}{'held after MiB':>16}")
    for name in ("build", "submit", "wait", "results", "iterate"):
        seconds = timed[name][0]
        peak, kept = traced[name][1], traced[name][2]
        after = mib(kept) if name == "results" else ""
        print(f"{name:<10}{seconds:>10.3f}{mib(peak):>12}{after:>16}")
    total = sum(timed[name][0] for name in ("submit", "wait", "results"))
    cost = f"{job.cost.amount:.6f} {job.cost.currency}" if job.cost else "unknown"
    print(f"total (submit + wait + results): {total:.3f} s; cost at the batch price: {cost}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
