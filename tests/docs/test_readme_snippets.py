"""Every ```python block in README.md runs against the emulator, so the docs cannot rot.

Each block runs on its own, the way a reader would paste it, with a key in the environment and
every request for a real host answered by an emulator of that host (``snippets``). Blocks that
define ``test_*`` functions are then called with the pytest fixtures they name.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from snippets import ROOT, blocks, reader_environment, routed, run

BLOCKS = blocks(ROOT / "README.md")


def test_readme_has_snippets() -> None:
    assert len(BLOCKS) >= 2


@pytest.mark.parametrize(("where", "code"), BLOCKS, ids=[where for where, _ in BLOCKS])
def test_readme_snippet_runs(
    where: str,
    code: str,
    kimi_emulator: Any,
    kimi_emulator_factory: Any,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    reader_environment(monkeypatch, tmp_path)
    fixtures = {"kimi_emulator": kimi_emulator, "kimi_emulator_factory": kimi_emulator_factory}
    with routed(monkeypatch, kimi_emulator) as router:
        run([(where, code)], {"__name__": "__readme__"}, fixtures, router.reset)
