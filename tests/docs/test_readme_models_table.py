"""The README's model table says exactly what the catalog says."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

from kimi_core.catalog import CATALOG

README = Path(__file__).resolve().parents[2] / "README.md"
ROW = re.compile(
    r"^\| `(?P<id>[^`]+)` \| (?P<context>[\d,]+) \| (?P<output>[\d,]+) \| (?P<rest>.*)\|$"
)


def _money(cell: str) -> Decimal | None:
    cell = cell.strip()
    return None if cell == "—" else Decimal(cell.lstrip("$¥"))


def test_every_catalog_model_is_in_the_readme_table_with_its_numbers() -> None:
    rows = {}
    for line in README.read_text(encoding="utf-8").splitlines():
        match = ROW.match(line)
        if match:
            rows[match["id"]] = match
    assert set(rows) == set(CATALOG)
    for model_id, info in CATALOG.items():
        row = rows[model_id]
        assert int(row["context"].replace(",", "")) == info.context_window
        assert int(row["output"].replace(",", "")) == info.max_output_tokens
        thinking, capabilities, inp, cached, out = (c.strip() for c in row["rest"].split("|")[:5])
        assert ("vision" in capabilities) == info.vision
        assert ("tools" in capabilities) == info.tools
        assert (thinking == "always") == (info.thinking == "always")
        assert info.price is not None
        symbol = "$" if info.price.currency == "USD" else "¥"
        assert inp.startswith(symbol)
        assert out.startswith(symbol)
        assert _money(inp) == info.price.input
        assert _money(out) == info.price.output
        assert _money(cached) == info.price.cached_input
