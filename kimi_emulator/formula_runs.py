"""What each official formula computes when a fiber runs (the answers are listed in
:mod:`formulas`' docstring).

Kept apart from the declarations (:mod:`formula_tools`) and the HTTP side (:mod:`formulas`):
a runner takes the lambda name, the decoded arguments and the emulator's clock, memory and
files, and returns the output text or raises :class:`FiberFailure` (a ``failed`` fiber).
"""

from __future__ import annotations

import base64
import binascii
import csv
import io
import json
import random
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .files import FileStore
from .formula_envelope import encrypt, search_results

__all__ = [
    "CODE_RUNNER_OUTPUT",
    "DATE_FORMAT",
    "FETCH_TEXT",
    "QUICKJS_OUTPUT",
    "RETHINK_OUTPUT",
    "FiberFailure",
    "FormulaEnv",
    "Output",
    "Runner",
    "canned_runner",
    "run_base64",
    "run_convert",
    "run_date",
    "run_excel",
    "run_fetch",
    "run_memory",
    "run_mew",
    "run_random_choice",
    "run_rethink",
    "run_web_search",
]

CODE_RUNNER_OUTPUT = "42\n(the Kimi emulator's canned code-runner result: no code was run)"
QUICKJS_OUTPUT = "42\n(the Kimi emulator's canned quickjs result: no code was run)"
RETHINK_OUTPUT = json.dumps(
    {"thought": "I have thought about it and I think it is a good idea to do something."}
)
FETCH_TEXT = (
    "This page was served by the Kimi emulator: fetch answers this fixed text for every URL "
    "and never reaches the network."
)
DATE_FORMAT = "%Y-%m-%d %H:%M:%S"


class FiberFailure(Exception):
    """The formula ran and failed: a fiber with ``status: "failed"``."""


@dataclass
class FormulaEnv:
    """What a formula may use: the emulator's clock, memory store and uploaded files."""

    now: Callable[[], float]
    memory: dict[str, Any]
    files: FileStore


@dataclass(frozen=True)
class Output:
    text: str
    encrypted: bool = False


Runner = Callable[[str, dict[str, Any], FormulaEnv], Output]


def _required(args: Mapping[str, Any], *names: str) -> None:
    for name in names:
        if args.get(name) is None:
            raise FiberFailure(f"missing required argument: {name}")


def run_web_search(name: str, args: dict[str, Any], env: FormulaEnv) -> Output:
    _required(args, "query")
    results = search_results(str(args["query"]))
    return Output(encrypt(json.dumps(results, ensure_ascii=False)), encrypted=True)


def run_fetch(name: str, args: dict[str, Any], env: FormulaEnv) -> Output:
    _required(args, "url")
    url = str(args["url"])
    if not re.match(r"https?://", url):
        raise FiberFailure(f"invalid URL {url!r}: only http and https URLs can be fetched")
    text = f"URL: {url}\nTitle: Kimi emulator page\n\n{FETCH_TEXT}"
    start = int(args.get("start_index") or 0)
    length = int(args.get("max_length") or 5000)
    return Output(text[start : start + length])


# Units per dimension, as factors to the dimension's base unit (temperature is separate).
_UNITS: dict[str, dict[str, float]] = {
    "length": {"m": 1.0, "meter": 1.0, "km": 1000.0, "cm": 0.01, "mm": 0.001}
    | {"inch": 0.0254, "in": 0.0254, "ft": 0.3048, "foot": 0.3048, "mi": 1609.344}
    | {"mile": 1609.344},
    "mass": {"kg": 1.0, "g": 0.001, "gram": 0.001, "lb": 0.45359237, "pound": 0.45359237}
    | {"oz": 0.028349523125},
    "time": {"second": 1.0, "s": 1.0, "minute": 60.0, "min": 60.0, "hour": 3600.0, "h": 3600.0},
}
_TEMPERATURES = {
    "°c": "C",
    "degc": "C",
    "c": "C",
    "celsius": "C",
    "°f": "F",
    "degf": "F",
    "f": "F",
    "fahrenheit": "F",
    "k": "K",
    "kelvin": "K",
}


def _temperature(value: float, source: str, target: str) -> float:
    kelvin = {"C": value + 273.15, "F": (value - 32) * 5 / 9 + 273.15, "K": value}[source]
    return {"C": kelvin - 273.15, "F": (kelvin - 273.15) * 9 / 5 + 32, "K": kelvin}[target]


def run_convert(name: str, args: dict[str, Any], env: FormulaEnv) -> Output:
    _required(args, "value", "from_unit", "to_unit")
    source, target = str(args["from_unit"]), str(args["to_unit"])
    try:
        value = float(args["value"])
    except (TypeError, ValueError):
        raise FiberFailure(f"value must be a number, got {args['value']!r}") from None
    result: float | None = None
    hot, cold = _TEMPERATURES.get(source.lower()), _TEMPERATURES.get(target.lower())
    if hot is not None and cold is not None:
        result = _temperature(value, hot, cold)
    for units in _UNITS.values():
        if source in units and target in units:
            result = value * units[source] / units[target]
    if result is None:
        raise FiberFailure(f"Unsupported conversion from {source} to {target}")
    return Output(f"{value} {source} = {round(result, 2)} {target}")


def _zone(name: Any) -> tzinfo:
    if name in (None, "", "UTC", "utc"):
        return timezone.utc
    try:
        return ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError):
        raise FiberFailure(f"unknown time zone {name!r}") from None


def _date(value: Any, zone: tzinfo) -> datetime:
    for pattern in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d"):
        try:
            return datetime.strptime(str(value), pattern).replace(tzinfo=zone)
        except ValueError:
            continue
    raise FiberFailure(f"invalid date {value!r}: use YYYY-MM-DD or YYYY-MM-DD HH:MM:SS")


def run_date(name: str, args: dict[str, Any], env: FormulaEnv) -> Output:
    operation = args.get("operation") or "time"
    pattern = str(args.get("format") or DATE_FORMAT)
    if operation == "time":
        zone = _zone(args.get("zone"))
        return Output(datetime.fromtimestamp(env.now(), zone).strftime(pattern))
    if operation == "between":
        _required(args, "date1", "date2")
        days = (_date(args["date2"], timezone.utc) - _date(args["date1"], timezone.utc)).days
        return Output(f"{days} days")
    if operation in ("add", "subtract"):
        _required(args, "date", "days")
        zone = _zone(args.get("zone"))
        sign = 1 if operation == "add" else -1
        when = _date(args["date"], zone) + timedelta(days=sign * int(args["days"]))
        return Output(when.strftime(pattern))
    if operation == "convert":
        _required(args, "date", "from_zone", "to_zone")
        when = _date(args["date"], _zone(args["from_zone"]))
        return Output(when.astimezone(_zone(args["to_zone"])).strftime(pattern))
    raise FiberFailure(
        f"unknown operation {operation!r}: use time, convert, between, add or subtract"
    )


def run_base64(name: str, args: dict[str, Any], env: FormulaEnv) -> Output:
    _required(args, "data")
    data, encoding = str(args["data"]), str(args.get("encoding") or "utf-8")
    try:
        if name == "base64_encode":
            return Output(base64.b64encode(data.encode(encoding)).decode("ascii"))
        return Output(base64.b64decode(data, validate=True).decode(encoding))
    except LookupError:
        raise FiberFailure(f"unknown encoding {encoding!r}") from None
    except (binascii.Error, ValueError) as exc:
        raise FiberFailure(f"cannot decode {data!r}: {exc}") from None


def canned_runner(text: str) -> Runner:
    def run(name: str, args: dict[str, Any], env: FormulaEnv) -> Output:
        _required(args, "code")
        return Output(text)

    return run


def run_memory(name: str, args: dict[str, Any], env: FormulaEnv) -> Output:
    _required(args, "action")
    action, key, store = args["action"], args.get("key"), env.memory
    if action == "list":
        prefix = str(args.get("prefix") or "")
        return Output(json.dumps(sorted(k for k in store if k.startswith(prefix))))
    if not isinstance(key, str) or not key:
        raise FiberFailure(f"key is required for {action}")
    if action == "store":
        _required(args, "data")
        store[key] = args["data"]
        return Output(json.dumps({"stored": key}))
    if action not in ("retrieve", "delete"):
        raise FiberFailure(f"unknown action {action!r}: use store, retrieve, delete, list")
    if key not in store:
        raise FiberFailure(f"no memory stored under {key!r}")
    if action == "delete":
        del store[key]
        return Output(json.dumps({"deleted": key}))
    return Output(json.dumps(store[key], ensure_ascii=False))


def run_excel(name: str, args: dict[str, Any], env: FormulaEnv) -> Output:
    _required(args, "file_id")
    record = env.files.get(str(args["file_id"]))
    if record is None or not record.text.strip():
        return Output(f"ERROR: File {args['file_id']} is empty or not found")
    rows = list(csv.reader(io.StringIO(record.text)))
    header, body = rows[0], rows[1:]
    if name == "excel.list_sheets":
        return Output(json.dumps({"sheets": [{"name": "Sheet1", "rows": len(body)}]}))
    if name == "excel.head":
        count = int(args.get("n") or 5)
        return Output(json.dumps([dict(zip(header, row, strict=False)) for row in body[:count]]))
    info = {"file_name": record.filename, "rows": len(body), "columns": len(header)}
    return Output(json.dumps({**info, "column_names": header}, ensure_ascii=False))


def run_random_choice(name: str, args: dict[str, Any], env: FormulaEnv) -> Output:
    _required(args, "candidates")
    candidates = [str(c) for c in args["candidates"]]
    count = int(args.get("count") or 1)
    rng = random.Random(int(args.get("seed") or 0))
    weights = args.get("weights")
    if args.get("replace") or weights:
        chosen = rng.choices(candidates, weights=weights, k=count)
    elif count > len(candidates):
        raise FiberFailure(f"cannot choose {count} of {len(candidates)} candidates")
    else:
        chosen = rng.sample(candidates, count)
    style = args.get("format") or "simple"
    if style == "json":
        return Output(json.dumps(chosen, ensure_ascii=False))
    if style == "detailed":
        return Output("\n".join(f"{i}. {item}" for i, item in enumerate(chosen, 1)))
    return Output(", ".join(chosen))


_MEWS = {
    "happy": "Meow meow~",
    "sleepy": "Mew... zzz",
    "hungry": "MEOW!",
    "playful": "Mrrp?",
    "grumpy": "Hsss.",
}


def run_mew(name: str, args: dict[str, Any], env: FormulaEnv) -> Output:
    mood = str(args.get("mood") or "happy")
    sound = _MEWS.get(mood, _MEWS["happy"])
    answer = {"sound": sound, "blessing": "May your day be as calm as a cat's.", "mood": mood}
    return Output(json.dumps(answer, ensure_ascii=False))


def run_rethink(name: str, args: dict[str, Any], env: FormulaEnv) -> Output:
    return Output(RETHINK_OUTPUT)
