"""Turn measurements into the one table, the target verdicts and the machine description."""

from __future__ import annotations

import os
import platform
import statistics
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

FIGURES = ("invoke", "stream", "async", "import", "memory")

PACKAGES = (
    "kimi-integrations",
    "httpx",
    "pydantic",
    "langchain-core",
    "langchain-openai",
    "langchain-moonshot",
    "llama-index-core",
    "llama-index-llms-openai-like",
    "openai",
)


def trimmed_mean(values: list[float]) -> float:
    """Mean without the fastest and the slowest round (when there are at least three).

    Not the median: garbage collection comes every few rounds for some subjects, and a median
    would drop it; not the plain mean: one round slowed by another process would skew it.
    """
    ordered = sorted(values)
    kept = ordered[1:-1] if len(ordered) >= 3 else ordered
    return statistics.fmean(kept)


@dataclass
class Row:
    """Everything measured for one subject; ``errors`` says why a figure is missing."""

    key: str
    name: str
    samples: dict[str, list[float]] = field(default_factory=dict)
    import_seconds: float | None = None
    import_baseline: float | None = None
    memory: dict[str, Any] | None = None
    errors: dict[str, str] = field(default_factory=dict)

    def value(self, figure: str) -> float | None:
        """The figure in its display unit (µs, ms, ms, s, MiB), or None."""
        if figure in ("invoke", "stream", "async"):
            values = self.samples.get(figure)
            if not values:
                return None
            scale = 1e6 if figure == "invoke" else 1e3
            return trimmed_mean(values) * scale
        if figure == "import":
            return self.import_seconds
        return None if self.memory is None else float(self.memory["peak_mb"])


@dataclass
class Table:
    rows: list[Row]
    floor: Row
    chunks: int
    async_calls: int
    memory_streams: int
    memory_chunks: int

    def ratio(self, row: Row, figure: str) -> float | None:
        value = row.value(figure)
        if value is None:
            return None
        if figure == "import":
            base = row.import_baseline if row.import_baseline else self.floor.import_seconds
        else:
            base = self.floor.value(figure)
        return value / base if base else None

    def headers(self) -> list[str]:
        return [
            "subject",
            "invoke µs",
            f"stream-{self.chunks} ms",
            f"{self.async_calls} async ms",
            "import s",
            f"{self.memory_streams} streams MiB",
        ]

    def cell(self, row: Row, figure: str) -> str:
        value = row.value(figure)
        if value is None:
            error = row.errors.get(figure) or row.errors.get("subject") or "not measured"
            return f"n/a ({error})"
        digits = 0 if figure == "invoke" else 2 if figure == "import" else 1
        ratio = self.ratio(row, figure)
        shown = f"{value:,.{digits}f}"
        return f"{shown} ({ratio:.2f}×)" if ratio is not None else shown

    def cells(self) -> list[list[str]]:
        return [[row.name] + [self.cell(row, figure) for figure in FIGURES] for row in self.rows]


def render_text(table: Table) -> str:
    lines = [table.headers(), *table.cells()]
    widths = [max(len(line[i]) for line in lines) for i in range(len(lines[0]))]
    out = []
    for n, line in enumerate(lines):
        out.append(
            "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        )
        if n == 0:
            out.append("  ".join("-" * width for width in widths))
    return "\n".join(out)


def render_markdown(table: Table) -> str:
    headers = table.headers()
    out = ["| " + " | ".join(headers) + " |", "|" + "|".join(["---"] + ["---:"] * 5) + "|"]
    out += ["| " + " | ".join(cells) + " |" for cells in table.cells()]
    return "\n".join(out)


@dataclass(frozen=True)
class Target:
    """One line of the issue's targets: a subject's figure against a limit."""

    subject: str
    figure: str
    limit: float
    label: str
    absolute: bool = False  # compare the value itself, not its ratio

    def verdict(self, table: Table) -> tuple[str, str]:
        row = next((row for row in table.rows if row.key == self.subject), None)
        if row is None:
            return "skip", "not selected"
        measured = row.value(self.figure) if self.absolute else table.ratio(row, self.figure)
        if measured is None:
            return "n/a", row.errors.get(self.figure) or row.errors.get("subject") or "missing"
        unit = " s" if self.absolute else "×"
        status = "PASS" if measured <= self.limit else "FAIL"
        return status, f"{measured:.2f}{unit}"


TARGETS = (
    Target("ChatKimi", "invoke", 1.4, "ChatKimi invoke ≤ 1.4× raw httpx"),
    Target("ChatKimi", "stream", 2.5, "ChatKimi stream ≤ 2.5× raw httpx"),
    Target("Kimi", "invoke", 1.4, "Kimi (LlamaIndex) chat ≤ 1.4× raw httpx"),
    Target("Kimi", "stream", 2.5, "Kimi (LlamaIndex) stream_chat ≤ 2.5× raw httpx"),
    Target("ChatKimi", "async", 1.2, "ChatKimi concurrent ainvoke ≤ 1.2× httpx.AsyncClient"),
    Target("Kimi", "async", 1.2, "Kimi concurrent achat ≤ 1.2× httpx.AsyncClient"),
    Target("ChatKimi", "import", 1.15, "import langchain_kimi ≤ 1.15× BaseChatModel import"),
    Target("Kimi", "import", 1.1, "import llama_index_kimi ≤ 1.1× llama_index.core import"),
    Target("kimi_core", "import", 0.3, "from kimi_core import KimiClient < 0.3 s", absolute=True),
)


def render_targets(table: Table) -> tuple[str, bool]:
    """One line per target, and whether every selected one passed."""
    lines = []
    ok = True
    for target in TARGETS:
        status, detail = target.verdict(table)
        if status == "skip":
            continue
        ok = ok and status == "PASS"
        lines.append(f"{status:<4}  {target.label}: {detail}")
    return "\n".join(lines), ok


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def machine() -> str:
    """One line naming the machine, Python and the versions measured."""
    versions = []
    for package in PACKAGES:
        try:
            versions.append(f"{package} {metadata.version(package)}")
        except metadata.PackageNotFoundError:
            continue
    return (
        f"{os.cpu_count()} CPUs ({cpu_model()}), Linux {platform.release()}, "
        f"{platform.python_implementation()} {platform.python_version()}; " + ", ".join(versions)
    )
