"""One subject in its own process: timed figures on command, or the memory figure once.

Each subject gets a fresh interpreter so no subject pays for another's imports, heap or
connection pool. The parent (``run.py``) drives timed figures round-robin across subjects
through JSON lines on stdin/stdout, so slow drift on the machine hits every subject alike:

    {"op": "invoke", "count": 200}   ->  {"seconds": ...}   (sync calls, one after another)
    {"op": "stream", "count": 2}     ->  {"seconds": ...}   (whole N-chunk streams)
    {"op": "async", "count": 200}    ->  {"seconds": ...}   (one gather of concurrent calls)

Any failure answers ``{"error": "..."}``. With ``--memory STREAMS`` the worker instead opens
that many concurrent async streams, holds them all open after their first chunk, reads them to
the end, and prints the resident-memory high-water mark it took above the warmed-up process.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import resource
import sys
import time
from typing import Any

import canned
from server import raise_fd_limit
from subjects import SUBJECTS, Subject


class IncompleteAnswer(AssertionError):
    """A subject did not hand back the whole answer: its timing would be meaningless."""


def subject_url(root: str, chunks: int, *, close: bool = False) -> str:
    """The base URL a subject is built with; the path tells the server what to send.

    ``close``: the server closes each connection after its answer. The async figures use it:
    httpcore 1.0.9's pool, under every httpx-based client here, hands one idle keep-alive
    connection to every queued request and spins until keep-alive expiry when a burst of
    requests meets a warm pool (encode/httpcore#1035), which makes warm-pool bursts take
    anywhere from 0.3 to 5 s. Fresh connections cost every subject the same connect and keep
    the figure about the client.
    """
    return f"{root}/bench/{chunks}/{'close/' if close else ''}v1"


def describe(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {text}"[:160] if text else type(exc).__name__


class Figures:
    """The timed figures of one subject; every answer is checked, every time."""

    def __init__(self, subject: Subject, chunks: int, async_subject: Subject | None = None) -> None:
        self.subject = subject
        self.async_subject = async_subject or subject
        self.expected_text = len(canned.stream_shape(chunks).text)
        self.loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self.loop)

    def invoke(self, count: int) -> float:
        invoke = self.subject.invoke
        expected = canned.COMPLETION_TEXT
        start = time.perf_counter()
        for _ in range(count):
            text = invoke()
            if text != expected:
                raise IncompleteAnswer(f"invoke returned {text[:60]!r}, not the canned reply")
        return time.perf_counter() - start

    def stream(self, count: int) -> float:
        stream = self.subject.stream
        start = time.perf_counter()
        for _ in range(count):
            received = stream()
            if received != self.expected_text:
                raise IncompleteAnswer(
                    f"stream gave {received} content characters, expected {self.expected_text}"
                )
        return time.perf_counter() - start

    def concurrent(self, count: int) -> float:
        ainvoke = self.async_subject.ainvoke

        async def batch() -> list[str]:
            return await asyncio.gather(*(ainvoke() for _ in range(count)))

        start = time.perf_counter()
        texts = self.loop.run_until_complete(batch())
        elapsed = time.perf_counter() - start
        wrong = sum(text != canned.COMPLETION_TEXT for text in texts)
        if wrong:
            raise IncompleteAnswer(f"{wrong} of {count} async calls did not return the reply")
        return elapsed

    def run(self, op: str, count: int) -> float:
        if op == "invoke":
            return self.invoke(count)
        if op == "stream":
            return self.stream(count)
        if op == "async":
            return self.concurrent(count)
        raise ValueError(f"unknown op {op!r}")


def serve_commands(subject: Subject, async_subject: Subject, chunks: int) -> None:
    figures = Figures(subject, chunks, async_subject)
    for line in sys.stdin:
        command = json.loads(line)
        if command["op"] == "quit":
            break
        try:
            reply: dict[str, Any] = {"seconds": figures.run(command["op"], command["count"])}
        except Exception as exc:
            reply = {"error": describe(exc)}
        print(json.dumps(reply), flush=True)
    subject.close()


# -- memory --------------------------------------------------------------------------------


def current_rss() -> int:
    """Resident set size now, in bytes."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return peak_rss()


def peak_rss() -> int:
    """Resident high-water mark of this process, in bytes."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


async def hold_streams(subject: Subject, streams: int, expected: int, timeout: float) -> int:
    """Open ``streams`` streams at once; return how many were open together at the peak."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    everyone = asyncio.Event()
    arrived = 0
    together = 0

    async def gate() -> None:
        nonlocal arrived, together
        arrived += 1
        if arrived == streams:
            everyone.set()
        try:
            await asyncio.wait_for(everyone.wait(), max(0.0, deadline - loop.time()))
        except asyncio.TimeoutError:
            everyone.set()  # a pool smaller than ``streams``: go on with what is open
        together = together or arrived

    counts = await asyncio.gather(*(subject.astream(gate) for _ in range(streams)))
    wrong = sum(count != expected for count in counts)
    if wrong:
        raise IncompleteAnswer(f"{wrong} of {streams} streams did not deliver the whole text")
    return together


def measure_memory(subject: Subject, streams: int, chunks: int) -> dict[str, Any]:
    expected = len(canned.stream_shape(chunks).text)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    # Warm up: lazy imports, caches and the first connections are not the streams' cost.
    loop.run_until_complete(hold_streams(subject, min(20, streams), expected, 10.0))
    gc.collect()
    before = current_rss()
    start = time.perf_counter()
    together = loop.run_until_complete(hold_streams(subject, streams, expected, 30.0))
    elapsed = time.perf_counter() - start
    peak = peak_rss()
    return {
        "peak_mb": max(0, peak - before) / 2**20,
        "process_peak_mb": peak / 2**20,
        "together": together,
        "seconds": elapsed,
    }


def avoid_cpu(cpu: int | None) -> None:
    """Measure off the server's CPU (pinned only now: building subjects may use every CPU)."""
    if cpu is None or not hasattr(os, "sched_setaffinity"):
        return
    others = os.sched_getaffinity(0) - {cpu}
    if others:
        os.sched_setaffinity(0, others)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="run one benchmark subject")
    parser.add_argument("subject", choices=sorted(SUBJECTS))
    parser.add_argument("root", help="the benchmark server's root URL")
    parser.add_argument("--chunks", type=int, default=canned.DEFAULT_CHUNKS)
    parser.add_argument("--memory", type=int, metavar="STREAMS", default=None)
    parser.add_argument("--avoid-cpu", type=int, default=None, help="the server's CPU")
    parser.add_argument(
        "--gc",
        choices=("default", "freeze", "off"),
        default="default",
        help="once the subject is built: leave the collector alone, gc.freeze(), or gc.disable()",
    )
    args = parser.parse_args(argv)
    raise_fd_limit()
    build = SUBJECTS[args.subject]
    try:
        async_subject = build(subject_url(args.root, args.chunks, close=True))
        if args.memory is None:
            subject = build(subject_url(args.root, args.chunks))
    except Exception as exc:
        print(json.dumps({"error": describe(exc)}), flush=True)
        return
    if args.gc == "freeze":
        # The application-level tip from the README: everything imported so far (the
        # frameworks' modules, classes and caches) moves to the permanent generation, so full
        # collections stop walking it.
        gc.collect()
        gc.freeze()
    elif args.gc == "off":
        # Diagnostic: the clients' own CPU, with no collection at all (cycles pile up).
        gc.disable()
    avoid_cpu(args.avoid_cpu)
    if args.memory is not None:
        try:
            result = measure_memory(async_subject, args.memory, args.chunks)
        except Exception as exc:
            result = {"error": describe(exc)}
        print(json.dumps(result), flush=True)
        return
    print(json.dumps({"ready": True}), flush=True)
    serve_commands(subject, async_subject, args.chunks)


if __name__ == "__main__":
    main()
