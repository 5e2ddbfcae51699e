"""``import kimi_core`` stays framework-free (and its import time is reported)."""

from __future__ import annotations

import json
import subprocess
import sys

FORBIDDEN = ("langchain", "langchain_core", "llama_index", "starlette", "uvicorn")

_PROBE = f"""
import json, sys, time
start = time.perf_counter()
import kimi_core
elapsed = time.perf_counter() - start
roots = {{name.split(".")[0] for name in sys.modules}}
bad = sorted(r for r in roots if r.startswith({FORBIDDEN!r}))
print(json.dumps({{"elapsed": elapsed, "bad": bad}}))
"""


def test_import_pulls_in_no_framework_or_server() -> None:
    result = subprocess.run(
        [sys.executable, "-c", _PROBE], capture_output=True, text=True, check=True, timeout=60
    )
    report = json.loads(result.stdout)
    print(f"import kimi_core took {report['elapsed'] * 1000:.0f} ms (target < 300 ms)")
    assert report["bad"] == []
