"""The arguments the emulator's chat model sends when it calls an official tool.

A sensible model fills an official tool's arguments from the user's words (a URL, a quoted
text, "20 km to mi", two dates); any other tool gets placeholder values from its schema
(:mod:`schema_values`). A tool counts as official when it is declared with an official
formula's name and the same properties (:mod:`formula_tools`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from .formula_tools import FORMULAS

__all__ = ["sample_arguments"]

_URL = re.compile(r"https?://[^\s'\"<>]+")
_QUOTED = re.compile(r"[\"'“‘](.+?)[\"'”’]")
_CODE = re.compile(r"`([^`]+)`")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_CONVERSION = re.compile(r"(-?\d+(?:\.\d+)?)\s*(\S+)\s+(?:to|in|into)\s+(\S+?)[?.!]*$")
_FILE = re.compile(r"\bc[0-9a-v]{19}\b")


def _quoted(text: str) -> str:
    match = _QUOTED.search(text)
    return match.group(1) if match else text


def _sample_date(text: str) -> dict[str, Any]:
    dates = _DATE.findall(text)
    if len(dates) >= 2:
        return {"operation": "between", "date1": dates[0], "date2": dates[1]}
    return {"operation": "time"}


def _sample_convert(text: str) -> dict[str, Any]:
    match = _CONVERSION.search(text.strip())
    if match is None:
        return {"value": 1, "from_unit": "km", "to_unit": "m"}
    return {"value": float(match.group(1)), "from_unit": match.group(2), "to_unit": match.group(3)}


def _sample_choice(text: str) -> dict[str, Any]:
    tail = text.rsplit(":", 1)[-1] if ":" in text else ""
    words = [w.strip(" .?!") for w in re.split(r",|\bor\b", tail) if w.strip(" .?!")]
    return {"candidates": words if len(words) > 1 else ["heads", "tails"], "seed": 0}


def _sample_file(text: str) -> dict[str, Any]:
    match = _FILE.search(text)
    return {"file_id": match.group(0) if match else "<file_id>"}


def _code(text: str, default: str) -> dict[str, Any]:
    match = _CODE.search(text)
    return {"code": match.group(1) if match else default}


# tool name -> the arguments a sensible model would send, from the user's last message.
_SAMPLES: dict[str, Callable[[str], dict[str, Any]]] = {
    "web_search": lambda text: {"query": text},
    "fetch": lambda text: {
        "url": m.group(0) if (m := _URL.search(text)) else "https://example.com"
    },
    "convert": _sample_convert,
    "date": _sample_date,
    "base64_encode": lambda text: {"data": _quoted(text)},
    "base64_decode": lambda text: {"data": _quoted(text)},
    "code_runner": lambda text: _code(text, "print(6 * 7)"),
    "quickjs": lambda text: _code(text, "console.log(6 * 7)"),
    "memory": lambda text: {"action": "list"},
    "excel_read_file": _sample_file,
    "excel_list_sheets": _sample_file,
    "excel_head": _sample_file,
    "rethink": lambda text: {"thought": text},
    "random_choice": _sample_choice,
    "mew_generator": lambda text: {"mood": "happy"},
}


def _declared_properties() -> dict[str, frozenset[str]]:
    found: dict[str, frozenset[str]] = {}
    for formula in FORMULAS.values():
        for entry in formula.tools:
            plugin = entry.get("_plugin")
            if plugin is not None:
                for fn in plugin["functions"]:
                    properties = fn["parameters"]["properties"]
                    found[f"{plugin['name']}_{fn['name']}"] = frozenset(properties)
            else:
                function = entry["function"]
                found[function["name"]] = frozenset(function["parameters"]["properties"])
    return found


_PROPERTIES = _declared_properties()


def sample_arguments(name: str, parameters: Any, user_text: str) -> dict[str, Any] | None:
    """Arguments for a call of an official tool — one declared with this name and the same
    properties as the emulator's formula — built from the user's text; None for any other
    tool (its arguments come from its schema)."""
    expected = _PROPERTIES.get(name)
    properties = parameters.get("properties") if isinstance(parameters, Mapping) else None
    if expected is None or not isinstance(properties, Mapping) or frozenset(properties) != expected:
        return None
    return _SAMPLES[name](user_text)
