"""``.ci/lower-bounds`` pins exactly the floors pyproject.toml declares (so the job that runs
the suite on the oldest allowed releases tests what the package promises)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_lower_bounds_pins_match_the_pyproject_floors() -> None:
    result = subprocess.run(
        ["bash", str(ROOT / ".ci" / "lower-bounds"), "--check"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert (result.returncode, result.stdout.strip()) == (
        0,
        "lower-bounds pins match pyproject.toml",
    )
