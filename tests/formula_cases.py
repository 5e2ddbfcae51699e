"""One agent turn per official formula, as both adapters' agent tests run it on the emulator:
the question, the tool the emulator's model calls with which arguments, the fiber's content
that goes back as the tool message, and the model's final answer (kimi_emulator/
formulas.py and replies.py document every string)."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from kimi_emulator.formulas import (
    CODE_RUNNER_OUTPUT,
    FETCH_TEXT,
    QUICKJS_OUTPUT,
    RETHINK_OUTPUT,
    encrypt,
    search_results,
)

NOON = datetime(2026, 8, 13, 12, 30, 5, tzinfo=timezone.utc)
"""The emulator's clock in these turns (``KimiEmulator.set_clock``)."""


@dataclass(frozen=True)
class Case:
    uri: str
    question: str
    name: str
    arguments: dict[str, Any]
    content: str
    read: str = ""
    """What the model reads in ``content`` (the plain text of an encrypted result)."""

    @property
    def id(self) -> str:
        return self.uri.split("/")[1].split(":")[0]

    @property
    def sent_arguments(self) -> str:
        """The fiber's ``arguments``: the model's arguments as the adapters encode them."""
        return json.dumps(self.arguments, ensure_ascii=False, separators=(",", ":"))

    @property
    def answer(self) -> str:
        return f"The tool {self.name} returned: {self.read or self.content}"


_QUERY = "What is new with Kimi K3?"
_RESULTS = json.dumps(search_results(_QUERY), ensure_ascii=False)
_EXCEL_FILE = "cabcdefghij012345678"

CASES = [
    Case(
        "moonshot/web-search:latest",
        _QUERY,
        "web_search",
        {"query": _QUERY},
        encrypt(_RESULTS),
        _RESULTS,
    ),
    Case(
        "moonshot/fetch:latest",
        "Please fetch https://kimi.ai/news",
        "fetch",
        {"url": "https://kimi.ai/news"},
        f"URL: https://kimi.ai/news\nTitle: Kimi emulator page\n\n{FETCH_TEXT}",
    ),
    Case(
        "moonshot/convert:latest",
        "convert 72 °F to °C",
        "convert",
        {"value": 72.0, "from_unit": "°F", "to_unit": "°C"},
        "72.0 °F = 22.22 °C",
    ),
    Case(
        "moonshot/date:latest",
        "What date is it?",
        "date",
        {"operation": "time"},
        "2026-08-13 12:30:05",
    ),
    Case(
        "moonshot/base64:latest",
        'base64_encode "Hello, Kimi!"',
        "base64_encode",
        {"data": "Hello, Kimi!"},
        "SGVsbG8sIEtpbWkh",
    ),
    Case(
        "moonshot/code-runner:latest",
        "code_runner: `print(2 ** 10)`",
        "code_runner",
        {"code": "print(2 ** 10)"},
        CODE_RUNNER_OUTPUT,
    ),
    Case(
        "moonshot/quickjs:latest",
        "quickjs please",
        "quickjs",
        {"code": "console.log(6 * 7)"},
        QUICKJS_OUTPUT,
    ),
    Case("moonshot/memory:latest", "what does memory hold?", "memory", {"action": "list"}, "[]"),
    Case(
        "moonshot/excel:latest",
        f"excel_head of {_EXCEL_FILE}",
        "excel_head",
        {"file_id": _EXCEL_FILE},
        f"ERROR: File {_EXCEL_FILE} is empty or not found",
    ),
    Case(
        "moonshot/rethink:latest",
        "rethink the plan",
        "rethink",
        {"thought": "rethink the plan"},
        RETHINK_OUTPUT,
    ),
    Case(
        "moonshot/random-choice:latest",
        "random_choice: tea, coffee or juice",
        "random_choice",
        {"candidates": ["tea", "coffee", "juice"], "seed": 0},
        random.Random(0).sample(["tea", "coffee", "juice"], 1)[0],
    ),
    Case(
        "moonshot/mew:latest",
        "mew_generator!",
        "mew_generator",
        {"mood": "happy"},
        json.dumps(
            {
                "sound": "Meow meow~",
                "blessing": "May your day be as calm as a cat's.",
                "mood": "happy",
            }
        ),
    ),
]
IDS = [case.id for case in CASES]


# What a chat request carries for fetch's declaration (issue 25): its parameters in Moonshot's
# schema dialect, as every tool schema is sent (kimi_core.chat.schema: no ``title``, ``format``
# noted in the description, exclusive bounds as inclusive ones).
FETCH_SENT_PARAMETERS: dict[str, Any] = {
    "description": "Parameters for fetching a URL.",
    "type": "object",
    "properties": {
        "url": {"type": "string", "description": "URL to fetch (format: uri)", "minLength": 1},
        "max_length": {
            "type": "integer",
            "description": "Maximum number of characters to return",
            "default": 5000,
            "minimum": 1,
            "maximum": 999999,
        },
        "start_index": {
            "type": "integer",
            "description": "Return output starting at this index",
            "default": 0,
            "minimum": 0,
        },
        "raw": {"type": "boolean", "description": "Raw HTML", "default": False},
    },
    "required": ["url"],
}


def as_sent(declared: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Formula declarations as a chat request carries them: fetch's parameters in Moonshot's
    dialect (``FETCH_SENT_PARAMETERS``); the other formulas' schemas are sent as declared."""
    sent = []
    for tool in declared:
        function = tool["function"]
        if function["name"] == "fetch":
            function = {**function, "parameters": FETCH_SENT_PARAMETERS}
        sent.append({**tool, "function": function})
    return sent
