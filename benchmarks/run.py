"""Measure what each Kimi client adds on top of the HTTP round trip, side by side, in one run.

    python benchmarks/run.py                  # every subject, prints one table + targets
    python benchmarks/run.py --quick          # small counts (the smoke test uses this)
    python benchmarks/run.py --only ChatKimi Kimi --markdown

A canned-answer server runs in its own process (on its own CPU when there are two); each
subject runs in its own worker process; timed figures go round-robin across subjects so a
busy moment on the machine hits them all. The floor is raw ``httpx`` + ``json.loads``, always
measured. See benchmarks/README.md for what each figure means.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, Any

from imports import time_imports
from report import Row, Table, machine, render_markdown, render_targets, render_text
from server import raise_fd_limit, running_server, server_cpu
from subjects import IMPORT_BASELINES, SUBJECTS

HERE = Path(__file__).resolve().parent
FLOOR = "raw"


@dataclass(frozen=True)
class Plan:
    """How much of each figure to run."""

    rounds: int
    invoke_warmup: int
    invoke_calls: int
    stream_warmup: int
    streams: int
    chunks: int
    async_warmup: int
    async_batches: int
    async_calls: int
    memory_streams: int
    memory_chunks: int
    import_warmup: int
    import_runs: int
    #: What every worker does to Python's garbage collector once its subject is built:
    #: "default" (nothing), "freeze" (``gc.freeze()``) or "off" (``gc.disable()``).
    gc: str = "default"


GC_MODES = {
    "default": "",
    "freeze": ", gc.freeze() after imports in every worker",
    "off": ", gc.disable() after imports in every worker (diagnostic: no collections at all)",
}

# Each round is long enough to contain Python's periodic full garbage collections in due
# proportion (a subject that keeps every chunk alive, as LangChain's stream does, pays one
# every few streams); the figure is the mean of the rounds less the fastest and the slowest.
FULL = Plan(
    rounds=7,
    invoke_warmup=50,
    invoke_calls=150,
    stream_warmup=2,
    streams=3,
    chunks=2000,
    async_warmup=2,
    async_batches=2,
    async_calls=200,
    memory_streams=1000,
    memory_chunks=50,
    import_warmup=1,  # writes the bytecode caches of anything not yet imported since an edit
    import_runs=5,
)
QUICK = Plan(
    rounds=2,
    invoke_warmup=5,
    invoke_calls=20,
    stream_warmup=1,
    streams=1,
    chunks=200,
    async_warmup=1,
    async_batches=1,
    async_calls=20,
    memory_streams=20,
    memory_chunks=10,
    import_warmup=0,
    import_runs=1,
)


class FigureError(RuntimeError):
    """A worker could not produce a figure; the table shows the reason instead."""


class Worker:
    """A subject's worker process, answering one timed command at a time."""

    def __init__(self, key: str, command: list[str]) -> None:
        """Start the process; it imports and builds its subject while the others do too."""
        self.key = key
        # Kept open for the worker's lifetime (closed in ``close``): its last words on a crash.
        self._stderr: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115
        self.process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
            bufsize=1,
        )

    def ready(self) -> str | None:
        """Wait for the subject to be built; the reason it could not be, if so."""
        error = self._read().get("error")
        return None if error is None else str(error)

    def _read(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            self._stderr.seek(0)
            tail = self._stderr.read().decode(errors="replace").strip().splitlines()
            return {"error": f"worker exited: {tail[-1] if tail else 'no output'}"[:160]}
        reply: dict[str, Any] = json.loads(line)
        return reply

    def ask(self, op: str, count: int) -> float:
        assert self.process.stdin is not None
        try:
            self.process.stdin.write(json.dumps({"op": op, "count": count}) + "\n")
            self.process.stdin.flush()
        except BrokenPipeError:
            pass  # _read reports how the worker died
        reply = self._read()
        if "error" in reply:
            raise FigureError(reply["error"])
        return float(reply["seconds"])

    def close(self) -> None:
        if self.process.poll() is None and self.process.stdin is not None:
            try:
                self.process.stdin.write('{"op": "quit"}\n')
                self.process.stdin.close()
            except BrokenPipeError:
                pass
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._stderr.close()


def worker_command(
    key: str, root: str, chunks: int, server_cpu: int | None, *, gc: str = "default"
) -> list[str]:
    command = [sys.executable, str(HERE / "worker.py"), key, root, "--chunks", str(chunks)]
    command += ["--gc", gc]
    return command + (["--avoid-cpu", str(server_cpu)] if server_cpu is not None else [])


def timed_figures(
    rows: dict[str, Row], root: str, plan: Plan, server_cpu: int | None, log: Any
) -> None:
    """invoke, stream and async figures: warm-up, then rounds in rotating subject order."""
    log("starting one worker per subject")
    started = [
        Worker(key, worker_command(key, root, plan.chunks, server_cpu, gc=plan.gc)) for key in rows
    ]
    workers: list[Worker] = []
    for worker in started:
        error = worker.ready()
        if error:
            rows[worker.key].errors["subject"] = error
            worker.close()
        else:
            workers.append(worker)
    # (figure, warm-up commands, commands per sample, count per command, sample divisor)
    figures = (
        ("invoke", [plan.invoke_warmup], 1, plan.invoke_calls, plan.invoke_calls),
        ("stream", [plan.stream_warmup], 1, plan.streams, plan.streams),
        ("async", [plan.async_calls] * plan.async_warmup, plan.async_batches, plan.async_calls, 1),
    )
    try:
        for figure, warmups, commands, count, per in figures:
            log(f"{figure}: warm-up")
            live = []
            for worker in workers:
                try:
                    for warmup in warmups:
                        worker.ask(figure, warmup)
                    live.append(worker)
                except FigureError as exc:
                    rows[worker.key].errors[figure] = str(exc)
            for round_ in range(plan.rounds):
                log(f"{figure}: round {round_ + 1}/{plan.rounds}")
                shift = round_ % len(live) if live else 0
                for worker in live[shift:] + live[:shift]:
                    if figure in rows[worker.key].errors:
                        continue
                    try:
                        seconds = sum(worker.ask(figure, count) for _ in range(commands))
                    except FigureError as exc:
                        rows[worker.key].errors[figure] = str(exc)
                        continue
                    sample = seconds / (per * commands)
                    rows[worker.key].samples.setdefault(figure, []).append(sample)
    finally:
        for worker in workers:
            worker.close()


def memory_figure(
    rows: dict[str, Row], root: str, plan: Plan, server_cpu: int | None, log: Any
) -> None:
    """Peak memory of many concurrent async streams, a fresh process per subject."""
    for key, row in rows.items():
        if "subject" in row.errors:
            continue
        log(f"memory: {row.name}")
        command = worker_command(key, root, plan.memory_chunks, server_cpu, gc=plan.gc)
        command += ["--memory", str(plan.memory_streams)]
        result: dict[str, Any]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=300)
            lines = done.stdout.strip().splitlines()
            result = json.loads(lines[-1]) if lines else {"error": "worker printed nothing"}
        except subprocess.TimeoutExpired:
            result = {"error": "timed out after 300 s"}
        if "error" in result:
            row.errors["memory"] = str(result["error"])
        elif result["together"] < plan.memory_streams:
            row.errors["memory"] = f"only {result['together']} streams open at once"
        else:
            row.memory = result


def import_figure(rows: dict[str, Row], plan: Plan, log: Any) -> dict[str, float | str]:
    """Import time of each subject's package and of the framework baselines they compare to."""
    subjects = {key: SUBJECTS[key] for key in rows}
    baselines = {cls.import_baseline for cls in subjects.values() if cls.import_baseline}
    statements = [cls.import_statement for cls in subjects.values() if cls.import_statement]
    statements += [IMPORT_BASELINES[name] for name in sorted(baselines)]
    log(f"imports: {len(statements)} statements × {plan.import_runs} fresh processes")
    times = time_imports(statements, plan.import_runs, plan.import_warmup)
    for key, cls in subjects.items():
        if not cls.import_statement:
            rows[key].errors["import"] = "reference row"
            continue
        value = times[cls.import_statement]
        if isinstance(value, str):
            rows[key].errors["import"] = value
            continue
        rows[key].import_seconds = value
        if cls.import_baseline:
            base = times[IMPORT_BASELINES[cls.import_baseline]]
            if isinstance(base, str):
                rows[key].errors["import"] = f"baseline failed: {base}"
                rows[key].import_seconds = None
            else:
                rows[key].import_baseline = base
    return {
        name: times[statement] for name, statement in IMPORT_BASELINES.items() if statement in times
    }


def select(only: list[str] | None) -> list[str]:
    """Subject keys in table order; the floor is always included."""
    if not only:
        return list(SUBJECTS)
    by_lower = {key.lower(): key for key in SUBJECTS}
    unknown = [name for name in only if name.lower() not in by_lower]
    if unknown:
        raise SystemExit(f"unknown subject(s) {unknown}; choose from {list(SUBJECTS)}")
    chosen = {by_lower[name.lower()] for name in only} | {FLOOR}
    return [key for key in SUBJECTS if key in chosen]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small counts, for a smoke test")
    parser.add_argument(
        "--only", nargs="+", metavar="SUBJECT", help=f"subjects to run: {', '.join(SUBJECTS)}"
    )
    parser.add_argument("--markdown", action="store_true", help="print the table as markdown")
    parser.add_argument("--no-pin", action="store_true", help="do not pin processes to CPUs")
    parser.add_argument("--check", action="store_true", help="exit 1 if a target is not met")
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    gc_modes = parser.add_mutually_exclusive_group()
    gc_modes.add_argument(
        "--gc-freeze",
        action="store_const",
        dest="gc",
        const="freeze",
        default="default",
        help="every worker, the floor's too, calls gc.freeze() after its imports (the README's "
        "tip for async services), so full collections skip the frameworks' imported objects",
    )
    gc_modes.add_argument(
        "--gc-off",
        action="store_const",
        dest="gc",
        const="off",
        help="diagnostic: every worker calls gc.disable() after its imports, so the figures are "
        "the clients' own CPU without any collection (memory then includes uncollected cycles)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    plan = replace(QUICK if args.quick else FULL, gc=args.gc)
    keys = select(args.only)
    started = time.perf_counter()

    def log(message: str) -> None:
        if not args.quiet:
            print(f"[{time.perf_counter() - started:6.1f}s] {message}", file=sys.stderr, flush=True)

    raise_fd_limit()
    cpu = None if args.no_pin else server_cpu()
    rows = {key: Row(key, SUBJECTS[key].name) for key in keys}
    baselines = import_figure(rows, plan, log)
    with running_server(cpu) as root:
        timed_figures(rows, root, plan, cpu, log)
        memory_figure(rows, root, plan, cpu, log)
    table = Table(
        rows=list(rows.values()),
        floor=rows[FLOOR],
        chunks=plan.chunks,
        async_calls=plan.async_calls,
        memory_streams=plan.memory_streams,
        memory_chunks=plan.memory_chunks,
    )
    targets, ok = render_targets(table)
    print(f"Machine: {machine()}")
    pinning = f"server on CPU {cpu}, clients on the others" if cpu is not None else "no pinning"
    shown = ", ".join(
        f"{name} {value:.2f} s" if isinstance(value, float) else f"{name} n/a ({value})"
        for name, value in baselines.items()
    )
    mode = "quick" if args.quick else "full"
    mode += GC_MODES[plan.gc]
    print(
        f"Run: {mode}, {plan.rounds} rounds (trimmed mean), {pinning}; "
        f"memory: {plan.memory_streams} concurrent async streams of {plan.memory_chunks} chunks; "
        f"import baselines: {shown or 'none'}; took {time.perf_counter() - started:.0f} s"
    )
    print()
    print(render_markdown(table) if args.markdown else render_text(table))
    print()
    print(targets)
    return 1 if args.check and not ok else 0


if __name__ == "__main__":
    sys.exit(main())
