"""``import langchain_kimi`` stays light: no frameworks it does not need, little time."""

from __future__ import annotations

import json
import subprocess
import sys

# Each run imports BaseChatModel, writes a marker, then imports langchain_kimi; -X importtime
# timings of both halves come from the same process, so machine noise mostly cancels out.
_PROBE = """
import sys
from langchain_core.language_models import BaseChatModel
before = {name.split(".")[0] for name in sys.modules}
sys.stderr.write("MARK\\n")
import langchain_kimi
# Only what langchain_kimi adds (older langchain-core releases import httpx themselves).
roots = sorted({name.split(".")[0] for name in sys.modules} - before)
print(__import__("json").dumps(roots))
"""
FORBIDDEN = {"langgraph", "langchain", "llama_index", "starlette", "uvicorn", "httpx", "openai"}


def _run() -> tuple[float, list[str]]:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", _PROBE],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    base = extra = 0
    after_mark = False
    for line in done.stderr.splitlines():
        if line == "MARK":
            after_mark = True
            continue
        parts = line.split("|")
        if not line.startswith("import time:") or len(parts) != 3 or "cumulative" in line:
            continue
        if parts[2].startswith("  "):  # nested: already in its parent's cumulative time
            continue
        if after_mark:
            extra += int(parts[1])
        else:
            base += int(parts[1])
    return (base + extra) / base, json.loads(done.stdout)


def test_import_is_light() -> None:
    runs = [_run() for _ in range(3)]
    ratio = min(r[0] for r in runs)
    print(f"import langchain_kimi: {ratio:.3f}x the import of BaseChatModel (limit 1.15x)")
    assert ratio <= 1.15
    assert FORBIDDEN.isdisjoint(runs[0][1]), FORBIDDEN.intersection(runs[0][1])
