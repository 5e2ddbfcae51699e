"""The Formula API of the emulator: Moonshot's official tools, with deterministic outputs.

Routes (moonshot dialect only: no gateway is known to serve formulas, docs/kimi-api/
official-tools.md §9): ``GET /formulas/{uri}/tools`` → ``{"object": "list", "tools": [...]}``
and ``POST /formulas/{uri}/fibers`` ``{"name", "arguments": "<json string>"}`` → a fiber
``{id, object: "fiber", created_at, lambda_id, status, context: {input, output |
encrypted_output | error}, formula, organization_id, project_id}`` (§4).

The declarations' parameter schemas are the live ones (§3, §6: names, types, enums, defaults,
required; fetch's titles, bounds and schema description too), their descriptions short English
paraphrases. What each formula answers:

- ``moonshot/web-search:latest`` (``web_search``): *protected*, so only
  ``context.encrypted_output``: the real markers (``----MOONSHOT ENCRYPTED BEGIN----`` ...
  ``----MOONSHOT ENCRYPTED END----``) around ``<base64>.<digest>`` of the JSON ``{"query",
  "results": [{"title", "url", "snippet"}]}`` of two fixed results (:func:`search_results`).
  The emulator's chat model reads it back (:func:`decrypt`) when the blob returns unchanged
  in a tool message, as the real model does.
- ``fetch``: ``URL: <url>\\nTitle: Kimi emulator page\\n\\n<fixed text>``, cut by
  ``start_index`` / ``max_length`` (the live format); a URL that is not http(s) fails.
- ``convert``: length, mass, temperature and time units, ``"<value> <from> = <result> <to>"``
  with the result rounded to 2 places (the live format: ``72.0 °F = 22.22 °C``); other units
  (currencies included) fail.
- ``date``: on the emulator's clock (``KimiEmulator.set_clock``): ``time`` (``zone``, default
  UTC; ``format``, default ``%Y-%m-%d %H:%M:%S``), ``between`` (``"<n> days"``), ``add`` /
  ``subtract`` (``days``), ``convert`` (``from_zone`` → ``to_zone``).
- ``base64`` (``base64_encode`` / ``base64_decode``): real base64 in ``encoding``.
- ``code-runner`` (``code_runner``) and ``quickjs``: the canned :data:`CODE_RUNNER_OUTPUT` /
  :data:`QUICKJS_OUTPUT` (no code is ever run).
- ``memory``: ``store`` / ``retrieve`` / ``delete`` / ``list`` on a store kept until
  ``reset()`` (``ttl`` ignored); ``retrieve`` answers the data's JSON (the live format).
- ``excel``: a plugin manifest (``{"type": "_plugin", "_plugin": {name, description,
  functions}}``, the live shape) with ``read_file``, ``list_sheets`` and ``head``, run as
  ``excel.<fn>`` (a bare name is no match, as live) on CSV files uploaded to the emulator;
  an unknown file answers a succeeded fiber whose output starts with ``ERROR:`` (live).
- ``rethink``: the fixed live answer :data:`RETHINK_OUTPUT`; ``random-choice``: seeded
  choices (seed 0 when none is given), ``simple`` / ``json`` / ``detailed`` formats;
  ``mew`` (``mew_generator``): a fixed sound and blessing per mood.

Errors [docs §3, §4]: an unknown URI → 404 ``resource_not_found_error`` "formula not found"
(the live text); a body that is not an object, a missing ``name`` or non-string
``arguments`` → 400 ``invalid_request_error``; a name the formula does not declare → 400
"no matching lambda found" (the live text; the status is assumed). A fiber that runs and
fails (bad arguments, a missing required one, an impossible conversion, a queued
``fail_next_fiber``) answers 200 with ``status: "failed"`` and the message in
``context.error`` (the status value and field are assumed).
"""

from __future__ import annotations

import base64
import binascii
import csv
import hashlib
import io
import json
import random
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .files import FileStore

__all__ = [
    "CODE_RUNNER_OUTPUT",
    "ENCRYPTED_BEGIN",
    "ENCRYPTED_END",
    "FORMULAS",
    "QUICKJS_OUTPUT",
    "RETHINK_OUTPUT",
    "FiberFailure",
    "FormulaEnv",
    "decrypt",
    "encrypt",
    "run_fiber",
    "sample_arguments",
    "search_results",
    "tools_body",
]

ENCRYPTED_BEGIN = "----MOONSHOT ENCRYPTED BEGIN----"
ENCRYPTED_END = "----MOONSHOT ENCRYPTED END----"
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
NOT_FOUND = "formula not found"
NO_LAMBDA = "no matching lambda found"
ORGANIZATION = "org-emulator"
PROJECT = "proj-emulator"
_ID_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"


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

# --------------------------------------------------------------------------- the formulas


def search_results(query: str) -> dict[str, Any]:
    """The fixed search results for ``query`` (what ``web_search`` encrypts)."""
    q = quote(query)
    return {
        "query": query,
        "results": [
            {
                "title": f"Kimi emulator search result 1 for {query}",
                "url": f"https://example.com/search/1?q={q}",
                "snippet": "A fixed result: the emulator never searches the web.",
            },
            {
                "title": f"Kimi emulator search result 2 for {query}",
                "url": f"https://example.com/search/2?q={q}",
                "snippet": "Same query, same results, every time.",
            },
        ],
    }


def _digest(text: str) -> str:
    return hashlib.sha256(b"kimi-emulator:" + text.encode("utf-8")).hexdigest()[:24]


def encrypt(text: str) -> str:
    """The emulator's stand-in for Moonshot's encrypted envelope: the text in base64 and a
    digest of it, inside the real markers."""
    payload = base64.b64encode(text.encode("utf-8")).decode("ascii")
    return f"{ENCRYPTED_BEGIN}{payload}.{_digest(text)}{ENCRYPTED_END}"


def decrypt(content: Any) -> str | None:
    """The plain text of an envelope made by :func:`encrypt`, or None: any change to the
    blob, even one byte, makes it unreadable (the digest no longer matches)."""
    if not (
        isinstance(content, str)
        and content.startswith(ENCRYPTED_BEGIN)
        and content.endswith(ENCRYPTED_END)
    ):
        return None
    payload, _, digest = content[len(ENCRYPTED_BEGIN) : -len(ENCRYPTED_END)].rpartition(".")
    try:
        text = base64.b64decode(payload, validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return None
    return text if digest == _digest(text) else None


def _required(args: Mapping[str, Any], *names: str) -> None:
    for name in names:
        if args.get(name) is None:
            raise FiberFailure(f"missing required argument: {name}")


def _web_search(name: str, args: dict[str, Any], env: FormulaEnv) -> Output:
    _required(args, "query")
    results = search_results(str(args["query"]))
    return Output(encrypt(json.dumps(results, ensure_ascii=False)), encrypted=True)


def _fetch(name: str, args: dict[str, Any], env: FormulaEnv) -> Output:
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


def _convert(name: str, args: dict[str, Any], env: FormulaEnv) -> Output:
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


def _date_tool(name: str, args: dict[str, Any], env: FormulaEnv) -> Output:
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


def _base64(name: str, args: dict[str, Any], env: FormulaEnv) -> Output:
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


def _canned(text: str) -> Runner:
    def run(name: str, args: dict[str, Any], env: FormulaEnv) -> Output:
        _required(args, "code")
        return Output(text)

    return run


def _memory(name: str, args: dict[str, Any], env: FormulaEnv) -> Output:
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


def _excel(name: str, args: dict[str, Any], env: FormulaEnv) -> Output:
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


def _random_choice(name: str, args: dict[str, Any], env: FormulaEnv) -> Output:
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


def _mew(name: str, args: dict[str, Any], env: FormulaEnv) -> Output:
    mood = str(args.get("mood") or "happy")
    sound = _MEWS.get(mood, _MEWS["happy"])
    answer = {"sound": sound, "blessing": "May your day be as calm as a cat's.", "mood": mood}
    return Output(json.dumps(answer, ensure_ascii=False))


@dataclass(frozen=True)
class Formula:
    tools: list[dict[str, Any]]
    runners: dict[str, Runner]


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
        {"web_search": _web_search},
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
        {"fetch": _fetch},
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
        {"convert": _convert},
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
        {"date": _date_tool},
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
        {"base64_encode": _base64, "base64_decode": _base64},
    ),
    "moonshot/code-runner:latest": Formula(
        [_fn("code_runner", "Run Python code in a sandbox", {"code": _str("Python")}, ["code"])],
        {"code_runner": _canned(CODE_RUNNER_OUTPUT)},
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
        {"quickjs": _canned(QUICKJS_OUTPUT)},
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
        {"memory": _memory},
    ),
    "moonshot/excel:latest": Formula(
        [_excel_manifest()],
        {"excel.read_file": _excel, "excel.list_sheets": _excel, "excel.head": _excel},
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
        {"rethink": lambda name, args, env: Output(RETHINK_OUTPUT)},
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
        {"random_choice": _random_choice},
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
        {"mew_generator": _mew},
    ),
}


# --------------------------------------------------------------------------- the wire


def tools_body(uri: str) -> dict[str, Any] | None:
    """The ``GET .../tools`` answer for ``uri`` (None: not a formula)."""
    formula = FORMULAS.get(uri)
    return None if formula is None else {"object": "list", "tools": formula.tools}


def _new_id(prefix: str) -> str:
    return prefix + "".join(secrets.choice(_ID_ALPHABET) for _ in range(20))


class FiberRequestError(Exception):
    """A fiber request answered with an HTTP error (``status``, ``type``, ``message``)."""

    def __init__(self, status: int, type_: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.type = type_
        self.message = message


def run_fiber(
    uri: str, body: Any, env: FormulaEnv, failure: Callable[[], str | None] = lambda: None
) -> dict[str, Any]:
    """The fiber for one ``POST .../fibers``, or a :class:`FiberRequestError` for the HTTP
    errors (module docstring). ``failure`` gives a queued ``fail_next_fiber`` message; it is
    asked only for a fiber that runs, so a refused request consumes none."""
    formula = FORMULAS.get(uri)
    if formula is None:
        raise FiberRequestError(404, "resource_not_found_error", NOT_FOUND)
    if not isinstance(body, dict):
        raise FiberRequestError(
            400, "invalid_request_error", "Invalid request: the request body must be a JSON object"
        )
    name, arguments = body.get("name"), body.get("arguments", "{}")
    if not isinstance(name, str) or not name:
        raise FiberRequestError(400, "invalid_request_error", "Invalid request: name is required")
    if not isinstance(arguments, str):
        raise FiberRequestError(
            400, "invalid_request_error", "Invalid request: arguments must be a JSON string"
        )
    runner = formula.runners.get(name)
    if runner is None:
        raise FiberRequestError(400, "invalid_request_error", NO_LAMBDA)
    context: dict[str, Any] = {"input": json.dumps(body, ensure_ascii=False, separators=(",", ":"))}
    status = "succeeded"
    try:
        queued = failure()
        if queued is not None:
            raise FiberFailure(queued)
        try:
            args = json.loads(arguments) if arguments.strip() else {}
        except ValueError as exc:
            raise FiberFailure(f"arguments is not valid JSON: {exc}") from None
        if not isinstance(args, dict):
            raise FiberFailure("arguments must be a JSON object")
        output = runner(name, args, env)
    except FiberFailure as exc:
        status, context["error"] = "failed", str(exc)
    else:
        context["encrypted_output" if output.encrypted else "output"] = output.text
    return {
        "id": _new_id("fiber-"),
        "object": "fiber",
        "created_at": int(env.now()),
        "lambda_id": _new_id("lambda-"),
        "status": status,
        "context": context,
        "formula": uri,
        "organization_id": ORGANIZATION,
        "project_id": PROJECT,
    }


# --------------------------------------------------------------------------- the chat model

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
