"""benchmarks/batch.py runs end to end with a small batch and prints every phase (no timing
is asserted)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_batch_benchmark_runs_and_prints_every_phase() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "batch.py"), "--lines", "300"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stderr == ""
    lines = done.stdout.splitlines()
    assert re.fullmatch(r"Batch of 300 requests: JSONL 0\.\d\d MiB, 1 batch\(es\)", lines[0])
    assert lines[1].split() == ["phase", "seconds", "peak", "MiB", "held", "after", "MiB"]
    rows = {line.split()[0]: line.split()[1:] for line in lines[2:7]}
    assert list(rows) == ["build", "submit", "wait", "results", "iterate"]
    for name, cells in rows.items():
        assert len(cells) == (3 if name == "results" else 2), name
        assert all(re.fullmatch(r"[\d,]+\.\d+", cell) for cell in cells), cells
    assert re.fullmatch(
        r"total \(submit \+ wait \+ results\): \d+\.\d{3} s; cost at the batch price: "
        r"0\.\d{6} USD",
        lines[7],
    )
