"""Import time of a statement: a fresh interpreter each time, the statement timed inside it.

Timing inside the child (``time.perf_counter`` around the statement) leaves out interpreter
start-up, which is the same for every package and would only dilute the ratios.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys

_PROBE = "import time\n_t = time.perf_counter()\n{statement}\nprint(time.perf_counter() - _t)\n"

# Every package must be read from its bytecode cache, as in a normal install: with
# PYTHONDONTWRITEBYTECODE set (some CI images and sandboxes set it), an editable install
# such as this repository's would be compiled from source on every import while pip-installed
# packages keep the caches pip wrote, a 15-20 ms handicap for the package under test only.
_ENV = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}


class ImportFailed(RuntimeError):
    """The statement raised in the child: the package is missing or broken."""


def time_once(statement: str) -> float:
    """Seconds the statement takes in a fresh ``python`` process."""
    done = subprocess.run(
        [sys.executable, "-c", _PROBE.format(statement=statement)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=_ENV,
    )
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no error output"])[-1]
        raise ImportFailed(last[:160])
    return float(done.stdout.split()[-1])


def time_imports(statements: list[str], runs: int, warmup: int = 1) -> dict[str, float | str]:
    """Median seconds per statement (or the error text), runs interleaved across statements.

    Interleaving spreads slow moments of a busy machine over every statement alike; the
    warm-up runs write the bytecode caches so no statement pays for compiling.
    """
    samples: dict[str, list[float]] = {statement: [] for statement in statements}
    failed: dict[str, str] = {}
    for run in range(warmup + runs):
        for statement in statements:
            if statement in failed:
                continue
            try:
                seconds = time_once(statement)
            except (ImportFailed, subprocess.TimeoutExpired, ValueError) as exc:
                failed[statement] = str(exc) or type(exc).__name__
                continue
            if run >= warmup:
                samples[statement].append(seconds)
    return {
        statement: failed.get(statement) or statistics.median(samples[statement])
        for statement in statements
    }
