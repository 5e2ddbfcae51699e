"""The official formulas' declarations: what ``GET /formulas/{uri}/tools`` lists, and which
runner (:mod:`formula_runs`) answers each lambda.

The parameter schemas are the live ones (names, types, enums, defaults, required; fetch's
titles, bounds and schema description too), the descriptions short English paraphrases
(docs/kimi-api/official-tools.md §3, §6). Data only: what each formula computes is in
:mod:`formula_runs`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .formula_runs import (
    CODE_RUNNER_OUTPUT,
    DATE_FORMAT,
    QUICKJS_OUTPUT,
    Runner,
    canned_runner,
    run_base64,
    run_convert,
    run_date,
    run_excel,
    run_fetch,
    run_memory,
    run_mew,
    run_random_choice,
    run_rethink,
    run_web_search,
)

__all__ = ["FORMULAS", "Formula"]


@dataclass(frozen=True)
class Formula:
    """One formula: its declarations, and the runner of each lambda name they declare."""

    tools: list[dict[str, Any]]
    runners: dict[str, Runner]


def _fn(
    name: str, description: str, properties: dict[str, Any], required: list[str]
) -> dict[str, Any]:
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": description,
            "parameters": {"type": "object", "properties": properties, "required": required},
        },
    }


def _with_schema_description(tool: dict[str, Any], description: str) -> dict[str, Any]:
    """A declaration whose parameters carry their own ``description``, as the live fetch's."""
    tool["function"]["parameters"] = {"description": description, **tool["function"]["parameters"]}
    return tool


def _str(description: str, **extra: Any) -> dict[str, Any]:
    return {"type": "string", "description": description, **extra}


def _int(description: str, **extra: Any) -> dict[str, Any]:
    return {"type": "integer", "description": description, **extra}


_SHEET = _str("Sheet name (Excel: the first sheet by default; ignored for CSV)")
_FILE_ID = _str("The file id (Kimi Files API)")


def _excel_manifest() -> dict[str, Any]:
    functions = [
        ("read_file", "Rows, columns and column names of an Excel or CSV file", {}),
        ("list_sheets", "The sheets of an Excel or CSV file", {}),
        ("head", "The first n rows of an Excel or CSV file", {"n": _int("Rows", default=5)}),
    ]
    return {
        "type": "_plugin",
        "_plugin": {
            "name": "excel",
            "description": "Analyse Excel and CSV files uploaded to the Files API",
            "functions": [
                {
                    "name": fn,
                    "description": description,
                    "parameters": {
                        "type": "object",
                        "properties": {
                            "file_id": _FILE_ID,
                            **({} if fn == "list_sheets" else {"sheet_name": _SHEET}),
                            **extra,
                        },
                        "required": ["file_id"],
                    },
                }
                for fn, description, extra in functions
            ],
        },
    }


_CLASSES = ["all", "academic", "social", "library", "finance", "code", "ecommerce", "medical"]

FORMULAS: dict[str, Formula] = {
    "moonshot/web-search:latest": Formula(
        [
            _fn(
                "web_search",
                "Search the web for information",
                {
                    "query": _str("What to search for"),
                    "classes": {
                        "type": "array",
                        "description": "Search domains to focus on ('all' when not given)",
                        "items": {"type": "string", "enum": _CLASSES},
                    },
                },
                ["query"],
            )
        ],
        {"web_search": run_web_search},
    ),
    "moonshot/fetch:latest": Formula(
        [
            _with_schema_description(
                _fn(
                    "fetch",
                    "Fetch a URL and extract its contents as markdown",
                    {
                        "url": _str("URL to fetch", format="uri", minLength=1, title="Url"),
                        "max_length": _int(
                            "Maximum number of characters to return",
                            default=5000,
                            exclusiveMinimum=0,
                            exclusiveMaximum=1000000,
                            title="Max Length",
                        ),
                        "start_index": _int(
                            "Return output starting at this index",
                            default=0,
                            minimum=0,
                            title="Start Index",
                        ),
                        "raw": {
                            "type": "boolean",
                            "description": "Raw HTML",
                            "default": False,
                            "title": "Raw",
                        },
                    },
                    ["url"],
                ),
                "Parameters for fetching a URL.",
            )
        ],
        {"fetch": run_fetch},
    ),
    "moonshot/convert:latest": Formula(
        [
            _fn(
                "convert",
                "Convert units of length, mass, temperature, time and more",
                {
                    "value": {"type": "number", "description": "The value to convert"},
                    "from_unit": _str("Source unit (m, km, inch, ft, kg, lb, °C, °F, K, hour)"),
                    "to_unit": _str("Target unit, of the same kind as from_unit"),
                },
                ["value", "from_unit", "to_unit"],
            )
        ],
        {"convert": run_convert},
    ),
    "moonshot/date:latest": Formula(
        [
            _fn(
                "date",
                "Dates and times: current time, time zones, date arithmetic",
                {
                    "operation": _str(
                        "time, convert, between, add or subtract",
                        enum=["time", "convert", "between", "add", "subtract"],
                    ),
                    "format": _str("Output format (strftime)", default=DATE_FORMAT),
                    "zone": _str("Time zone, e.g. Asia/Shanghai, UTC"),
                    "date": _str("A date: YYYY-MM-DD or YYYY-MM-DD HH:MM:SS"),
                    "date1": _str("The first date (between)"),
                    "date2": _str("The second date (between)"),
                    "days": _int("Days to add or subtract"),
                    "from_zone": _str("Source time zone (convert)"),
                    "to_zone": _str("Target time zone (convert)"),
                },
                ["operation"],
            )
        ],
        {"date": run_date},
    ),
    "moonshot/base64:latest": Formula(
        [
            _fn(
                "base64_encode",
                "Encode text as base64",
                {"data": _str("Text to encode"), "encoding": _str("Encoding", default="utf-8")},
                ["data"],
            ),
            _fn(
                "base64_decode",
                "Decode base64 to text",
                {"data": _str("Base64 to decode"), "encoding": _str("Encoding", default="utf-8")},
                ["data"],
            ),
        ],
        {"base64_encode": run_base64, "base64_decode": run_base64},
    ),
    "moonshot/code-runner:latest": Formula(
        [_fn("code_runner", "Run Python code in a sandbox", {"code": _str("Python")}, ["code"])],
        {"code_runner": canned_runner(CODE_RUNNER_OUTPUT)},
    ),
    "moonshot/quickjs:latest": Formula(
        [
            _fn(
                "quickjs",
                "Run JavaScript in a QuickJS sandbox (print with console.log)",
                {"code": _str("JavaScript code")},
                ["code"],
            )
        ],
        {"quickjs": canned_runner(QUICKJS_OUTPUT)},
    ),
    "moonshot/memory:latest": Formula(
        [
            _fn(
                "memory",
                "Store and retrieve memories: conversation history, preferences",
                {
                    "action": _str(
                        "store, retrieve, delete or list",
                        enum=["store", "retrieve", "delete", "list"],
                    ),
                    "data": {"type": "object", "description": "The data to store"},
                    "key": _str("The memory's key"),
                    "prefix": _str("Key prefix for list"),
                    "ttl": _int("Seconds to keep the data", default=86400),
                },
                ["action"],
            )
        ],
        {"memory": run_memory},
    ),
    "moonshot/excel:latest": Formula(
        [_excel_manifest()],
        {"excel.read_file": run_excel, "excel.list_sheets": run_excel, "excel.head": run_excel},
    ),
    "moonshot/rethink:latest": Formula(
        [
            _fn(
                "rethink",
                "Organise your thoughts; returns no information",
                {"thought": _str("The thought to consider")},
                ["thought"],
            )
        ],
        {"rethink": run_rethink},
    ),
    "moonshot/random-choice:latest": Formula(
        [
            _fn(
                "random_choice",
                "Choose randomly among candidates, optionally weighted or with replacement",
                {
                    "candidates": {
                        "type": "array",
                        "description": "The candidates",
                        "items": {"type": "string"},
                    },
                    "count": _int("How many to choose", default=1),
                    "format": _str(
                        "simple, detailed or json",
                        enum=["simple", "detailed", "json"],
                        default="simple",
                    ),
                    "replace": {"type": "boolean", "description": "Repeats", "default": False},
                    "seed": _int("Random seed, for reproducible results"),
                    "weights": {
                        "type": "array",
                        "description": "Weights, one per candidate",
                        "items": {"type": "number"},
                    },
                },
                ["candidates"],
            )
        ],
        {"random_choice": run_random_choice},
    ),
    "moonshot/mew:latest": Formula(
        [
            _fn(
                "mew_generator",
                "A random cat meow and a blessing",
                {
                    "mood": _str(
                        "The cat's mood", enum=["happy", "sleepy", "hungry", "playful", "grumpy"]
                    )
                },
                [],
            )
        ],
        {"mew_generator": run_mew},
    ),
}
