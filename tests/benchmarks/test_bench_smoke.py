"""The benchmark script runs end to end and prints its table (no timing is asserted)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SUBJECT_ROWS = (
    "raw httpx",
    "raw httpx + langchain_core loaded",
    "LangChain floor (minimal adapter)",
    "ChatKimi",
    "LlamaIndex floor (minimal adapter)",
    "Kimi (LlamaIndex)",
)
REFERENCE_ROWS = {
    "raw httpx + langchain_core loaded",
    "LangChain floor (minimal adapter)",
    "LlamaIndex floor (minimal adapter)",
}
# A measured cell: a number, then its ratio to the floor, e.g. "1,344 (1.00×)". The ratio is
# left out only when the floor's own figure is 0 (possible for the tiny quick memory figure).
CELL = r"[\d,]+(?:\.\d+)?(?: \(\d+\.\d\d×\))?(?:\s|$)"


@pytest.fixture(scope="module")
def quick_run() -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "run.py"),
            "--quick",
            "--quiet",
            "--only",
            "raw",
            "raw+langchain",
            "lc-floor",
            "ChatKimi",
            "li-floor",
            "Kimi",
        ],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=ROOT,
        check=False,
    )


def table_rows(output: str) -> dict[str, str]:
    """Table lines keyed by their subject name (the text before the first cell)."""
    rows = {}
    for line in output.splitlines():
        for name in SUBJECT_ROWS:
            if line.startswith(name + "  "):
                rows[name] = line[len(name) :].strip()
    return rows


def test_quick_run_exits_cleanly(quick_run: subprocess.CompletedProcess[str]) -> None:
    assert quick_run.returncode == 0, quick_run.stderr[-2000:]
    assert quick_run.stderr == ""  # --quiet: no progress lines, and no warnings or tracebacks


def test_prints_the_header_and_one_row_per_subject(
    quick_run: subprocess.CompletedProcess[str],
) -> None:
    lines = quick_run.stdout.splitlines()
    header = next(line for line in lines if line.startswith("subject"))
    assert re.split(r"\s{2,}", header) == [
        "subject",
        "invoke µs",
        "stream-200 ms",
        "20 async ms",
        "import s",
        "20 streams MiB",
    ]
    rows = table_rows(quick_run.stdout)
    assert list(rows) == list(SUBJECT_ROWS)
    assert lines[0].startswith("Machine: ")


def test_every_figure_is_measured_for_every_subject(
    quick_run: subprocess.CompletedProcess[str],
) -> None:
    for name, cells in table_rows(quick_run.stdout).items():
        if name in REFERENCE_ROWS:  # no import figure of its own
            assert cells.count("n/a (reference row)") == 1, f"{name}: {cells}"
            assert len(re.findall(CELL, cells.replace("n/a (reference row)", ""))) == 4, cells
            continue
        assert "n/a" not in cells, f"{name}: {cells}"
        assert len(re.findall(CELL, cells)) == 5, f"{name}: {cells}"


@pytest.mark.parametrize(
    ("flag", "said"),
    [
        ("--gc-freeze", "gc.freeze() after imports in every worker"),
        ("--gc-off", "gc.disable() after imports in every worker"),
    ],
)
def test_gc_modes_run_and_say_so(flag: str, said: str) -> None:
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "run.py"),
            *("--quick", "--quiet", flag, "--only", "raw"),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    run_line = next(line for line in done.stdout.splitlines() if line.startswith("Run: "))
    assert said in run_line
    assert "n/a" not in table_rows(done.stdout)["raw httpx"]


def test_the_floor_is_its_own_unit(quick_run: subprocess.CompletedProcess[str]) -> None:
    floor = table_rows(quick_run.stdout)["raw httpx"]
    ratios = re.findall(r"\((\d+\.\d\d)×\)", floor)
    assert ratios[:4] == ["1.00"] * 4
    assert ratios[4:] in ([], ["1.00"])


def test_prints_a_verdict_for_each_selected_target(
    quick_run: subprocess.CompletedProcess[str],
) -> None:
    verdicts = re.findall(r"^(PASS|FAIL|n/a)\s+(.+?):", quick_run.stdout, flags=re.MULTILINE)
    labels = [label for _, label in verdicts]
    assert len(labels) == 8  # the 9 targets less the kimi_core import, not selected here
    assert "ChatKimi invoke ≤ 1.4× raw httpx" in labels
    assert "Kimi (LlamaIndex) stream_chat ≤ 2.5× raw httpx" in labels
    assert all(status in ("PASS", "FAIL") for status, _ in verdicts)


def test_rejects_an_unknown_subject() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--only", "nope"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode != 0
    assert "unknown subject(s) ['nope']" in done.stderr


# Which framework a subject's process may load. Full garbage collections walk every tracked
# object in the process, so a reference row that also loaded the other framework's 100k+ objects
# would be slower than the adapter it is the reference for.
FRAMEWORKS_LOADED = {
    "raw": set(),
    "kimi_core": set(),
    "raw+langchain": {"langchain_core"},
    "lc-floor": {"langchain_core"},
    "ChatKimi": {"langchain_core"},
    "raw+llama_index": {"llama_index"},
    "li-floor": {"llama_index"},
    "Kimi": {"llama_index"},
}
SHOW_FRAMEWORKS = """
import sys
sys.path.insert(0, "benchmarks")
from subjects import SUBJECTS
SUBJECTS[sys.argv[1]]("http://127.0.0.1:9/bench/4/v1")
loaded = {name.split(".")[0] for name in sys.modules}
print(" ".join(sorted(loaded & {"langchain_core", "llama_index"})))
"""


@pytest.mark.parametrize("subject", sorted(FRAMEWORKS_LOADED))
def test_a_subject_loads_only_its_own_framework(subject: str) -> None:
    built = subprocess.run(
        [sys.executable, "-c", SHOW_FRAMEWORKS, subject],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        check=True,
    )
    assert set(built.stdout.split()) == FRAMEWORKS_LOADED[subject]
