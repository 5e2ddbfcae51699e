"""Every page of the documentation site runs: its ```python blocks top to bottom in one
namespace, as a reader follows the page, offline (``snippets``: each real host answered by an
emulator of its dialect). ``test_*`` functions a block defines are called with the fixtures they
name."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from snippets import ROOT, blocks, reader_environment, routed, run

PAGES = sorted(p for p in (ROOT / "docs").rglob("*.md") if blocks(p))


def test_the_guides_have_snippets() -> None:
    names = {str(p.relative_to(ROOT / "docs")) for p in PAGES}
    assert {"getting-started/langchain.md", "getting-started/llama-index.md"} <= names
    assert "guides/hosts.md" in names


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(ROOT)) for p in PAGES])
def test_page_runs(
    page: Path,
    kimi_emulator: Any,
    kimi_emulator_factory: Any,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    reader_environment(monkeypatch, tmp_path)
    fixtures = {"kimi_emulator": kimi_emulator, "kimi_emulator_factory": kimi_emulator_factory}
    with routed(monkeypatch, kimi_emulator) as router:
        kimi_emulator.reset()
        run(blocks(page), {"__name__": "__docs__"}, fixtures, router.reset)
