"""The table of docs/guides/hosts.md ("What each host supports") against the host profiles:
a row per host, and the effort values, cost and stream-usage columns as the profiles say."""

from __future__ import annotations

from pathlib import Path

from kimi_core.catalog.hosts import HOSTS

PAGE = Path(__file__).resolve().parents[2] / "docs" / "guides" / "hosts.md"


def _rows() -> dict[str, list[str]]:
    text = PAGE.read_text(encoding="utf-8").split("## What each host supports", 1)[1]
    rows = {}
    for line in text.split("\n## ", 1)[0].splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 8 and cells[0].startswith("`") and cells[0] != "`gateway=`":
            rows[cells[0].strip("`")] = cells
    return rows


def test_the_support_table_has_a_row_per_host_matching_its_profile() -> None:
    rows = _rows()
    assert list(rows) == list(HOSTS)
    for name, cells in rows.items():
        profile = HOSTS[name]
        values = profile.effort_values
        if values is None:
            assert cells[2].startswith("the model's"), name
        elif values == ():
            assert cells[2] == "—", name
        else:
            assert cells[2] == ", ".join(values), name
        assert (cells[4] == "always sent") is (not profile.stream_usage), name
        if profile.catalog_prices:
            assert cells[7] == "catalog price", name
        elif profile.reports_cost:
            assert cells[7].startswith("reported"), name
        else:
            assert cells[7] == "`price=`", name
