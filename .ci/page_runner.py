"""Run one documentation page's ```python blocks top to bottom in one namespace, the way a
reader follows the page. Standard library only: `.ci/wheel-check` runs it in fresh venvs that
hold nothing but the built wheel and one framework's extra (the key and base URL come from the
environment, pointing at an emulator started elsewhere)."""

from __future__ import annotations

import re
import sys
import textwrap
from pathlib import Path

FENCE = re.compile(
    r"^(?P<indent>[ ]*)```python[^\n]*\n(?P<code>.*?)^(?P=indent)```[ ]*$", re.S | re.M
)


def main(page: str) -> int:
    text = Path(page).read_text(encoding="utf-8")
    namespace: dict[str, object] = {"__name__": "__page__"}
    blocks = list(FENCE.finditer(text))
    if not blocks:
        print(f"{page}: no python blocks", file=sys.stderr)
        return 1
    for match in blocks:
        line = text.count("\n", 0, match.start()) + 1
        code = textwrap.dedent(match.group("code"))
        exec(compile(code, f"{page}:{line}", "exec"), namespace)
    print(f"{page}: {len(blocks)} blocks ran")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1]))
