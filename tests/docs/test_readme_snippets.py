"""Every ```python block in README.md runs against the emulator, so the docs cannot rot.

Each block runs on its own with MOONSHOT_API_KEY / MOONSHOT_BASE_URL pointing at a fresh
emulator, the way a reader would paste it. Blocks that define ``test_*`` functions (the "Test
your app offline" section) are then called with the pytest fixtures they name.
"""

from __future__ import annotations

import inspect
import re
from pathlib import Path
from typing import Any

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def _blocks() -> list[tuple[str, str]]:
    text = README.read_text(encoding="utf-8")
    blocks = []
    for match in BLOCK.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        blocks.append((f"README.md:{line}", match.group(1)))
    return blocks


BLOCKS = _blocks()


def test_readme_has_snippets() -> None:
    assert len(BLOCKS) >= 10


@pytest.mark.parametrize(("where", "code"), BLOCKS, ids=[where for where, _ in BLOCKS])
def test_readme_snippet_runs(
    where: str,
    code: str,
    kimi_emulator: Any,
    kimi_emulator_factory: Any,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.setenv("MOONSHOT_API_KEY", "sk-readme-test")
    monkeypatch.setenv("MOONSHOT_BASE_URL", kimi_emulator.base_url)
    monkeypatch.delenv("KIMI_API_KEY", raising=False)
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, Any] = {"__name__": "__readme__"}
    exec(compile(code, where, "exec"), namespace)
    fixtures = {"kimi_emulator": kimi_emulator, "kimi_emulator_factory": kimi_emulator_factory}
    for name, value in list(namespace.items()):
        if name.startswith("test_") and inspect.isfunction(value):
            kimi_emulator.reset()
            wanted = inspect.signature(value).parameters
            value(**{param: fixtures[param] for param in wanted})
