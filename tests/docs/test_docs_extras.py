"""Each documentation page says what to install for its snippets (issue 26: "each snippet says
what to install and works with exactly that"): the extras its imports need, in a
``pip install "./kimi-integrations[...]"`` line. The wheel check (``.ci/wheel-check``) runs the
getting-started pages in venvs holding exactly their extra."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from snippets import ROOT, blocks

PAGES = sorted(p for p in (ROOT / "docs").rglob("*.md") if blocks(p))

# Top-level modules a snippet may import, and the extra that brings each.
EXTRA_OF = {
    "langchain_kimi": "langchain",
    "langchain": "langchain",
    "langchain_core": "langchain",
    "langgraph": "langchain",
    "llama_index": "llama-index",
    "llama_index_kimi": "llama-index",
    "kimi_emulator": "emulator",
    "redis": "redis",
}
INSTALL = re.compile(r'pip install (?:-\S+ )*"[^"\[]*kimi-integrations(?:\[([a-z,-]+)\])?"')


def needed_extras(page: Path) -> set[str]:
    """The extras the imports of ``page``'s snippets need (a ``kimi_emulator`` fixture too)."""
    needed: set[str] = set()
    for _, code in blocks(page):
        for node in ast.walk(ast.parse(code)):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names = [node.module]
            elif isinstance(node, ast.arg) and node.arg.startswith("kimi_emulator"):
                names = ["kimi_emulator"]
            needed.update(EXTRA_OF[n.split(".")[0]] for n in names if n.split(".")[0] in EXTRA_OF)
    return needed


def declared_extras(page: Path) -> list[set[str]]:
    text = page.read_text(encoding="utf-8")
    return [set(filter(None, (m.group(1) or "").split(","))) for m in INSTALL.finditer(text)]


def test_needed_extras_are_read_from_imports() -> None:
    page = ROOT / "docs" / "getting-started" / "langchain.md"
    assert "langchain" in needed_extras(page)


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(ROOT)) for p in PAGES])
def test_page_says_what_to_install(page: Path) -> None:
    needed = needed_extras(page)
    declared = declared_extras(page)
    assert declared, f"{page.name}: no pip install line (needs {sorted(needed) or 'no extra'})"
    assert any(needed <= extras for extras in declared), (
        f"{page.name}: needs {sorted(needed)}, says {[sorted(d) for d in declared]}"
    )
