"""Reading Kimi's answers: text, reasoning, tool calls and usage, once for everyone.

Everything reads plain wire dicts (``ChatCompletion.wire_dict()``, stream chunks), so the
adapters never index into Kimi's JSON themselves. Where gateways differ it is decided here
(``docs/kimi-api/chat.md``, ``docs/kimi-api/gateways.md``):

- reasoning comes as ``reasoning_content`` (Moonshot) or its twin ``reasoning`` (AceData);
- a part-list ``content`` holds its text in ``{"type": "text"}`` parts;
- usage sits at the top level, or (Moonshot) inside the first choice;
- builtin tool calls (``$web_search``) are told apart by their ``$`` name.

What an answer cost is the catalog's business (``kimi_core.catalog.prices.cost_for``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import MalformedResponseError
from .json import loads as json_loads

__all__ = [
    "ROUND_SEPARATOR",
    "Answer",
    "answer_choices",
    "completion_usage",
    "decode_arguments",
    "details_text",
    "is_builtin_call",
    "join_rounds",
    "message_reasoning",
    "message_text",
    "message_tool_calls",
    "split_think",
    "tool_name",
]

ROUND_SEPARATOR = "\n\n"


def tool_name(item: Mapping[str, Any]) -> str | None:
    """The function name of a tool definition or a tool call (``item["function"]["name"]``)."""
    function = item.get("function")
    return function.get("name") if isinstance(function, Mapping) else None


def is_builtin_call(name: str | None) -> bool:
    """A tool call the client answers itself: builtin names start with ``$``."""
    return name is not None and name.startswith("$")


def message_text(message: Mapping[str, Any]) -> str:
    """The text of a wire message ("" when there is none): a string, or the ``text`` parts
    of a part list."""
    content = message.get("content")
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    return "".join(str(p.get("text", "")) for p in content if p.get("type") == "text")


def message_reasoning(message: Mapping[str, Any]) -> str | None:
    """The reasoning of a wire message, from whichever field the host used:
    ``reasoning_content`` (Moonshot), ``reasoning`` (AceData, vLLM, OpenRouter, Ollama), the
    texts of ``reasoning_details`` (OpenRouter)."""
    reasoning: str | None = message.get("reasoning_content")
    if reasoning is not None:
        return reasoning
    twin: str | None = message.get("reasoning")
    if twin is not None:
        return twin
    details = message.get("reasoning_details")
    return details_text(details) if details else None


def details_text(details: Any) -> str | None:
    """The text of OpenRouter's ``reasoning_details`` items (``reasoning.text`` /
    ``reasoning.summary``; encrypted items have none)."""
    if not isinstance(details, list):
        return None
    texts = [
        str(item.get("text") or item.get("summary") or "")
        for item in details
        if isinstance(item, Mapping)
    ]
    joined = "".join(texts)
    return joined or None


THINK_OPEN = "<think>"
THINK_CLOSE = "</think>"


def split_think(text: str) -> tuple[str | None, str]:
    """``(reasoning, text)`` of a content that carries its reasoning inline as
    ``<think>...</think>`` (a server run without a reasoning parser); ``(None, text)``
    otherwise. A content with ``</think>`` but no opening tag (the template opened it) counts
    too; an unclosed ``<think>`` is all reasoning."""
    stripped = text.lstrip()
    if stripped.startswith(THINK_OPEN):
        body = stripped[len(THINK_OPEN) :]
        reasoning, closed, rest = body.partition(THINK_CLOSE)
        return reasoning.strip("\n"), rest.lstrip("\n") if closed else ""
    if THINK_CLOSE in text:
        reasoning, _, rest = text.partition(THINK_CLOSE)
        return reasoning.strip("\n"), rest.lstrip("\n")
    return None, text


def message_tool_calls(message: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The tool calls of a wire message, each ``{id, type, function: {name, arguments}}``
    with the type defaulting to ``"function"`` and missing strings to ``""``; ids exactly as
    Kimi sent them."""
    calls = []
    for call in message.get("tool_calls") or ():
        function = call.get("function") or {}
        calls.append(
            {
                "id": call.get("id"),
                "type": call.get("type") or "function",
                "function": {
                    "name": function.get("name") or "",
                    "arguments": function.get("arguments") or "",
                },
            }
        )
    return calls


def decode_arguments(arguments: str) -> dict[str, Any] | str:
    """A call's arguments as a dict, or the reason they are not a JSON object (a string)."""
    try:
        args = json_loads(arguments) if arguments.strip() else {}
    except ValueError as exc:
        return f"arguments are not valid JSON: {exc}"
    if not isinstance(args, dict):
        return "arguments are not a JSON object"
    return args


def completion_usage(wire: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """An answer's usage object: top-level, else (Moonshot) the first choice's, else Groq's
    ``x_groq.usage``."""
    usage = wire.get("usage")
    if usage is None:
        choices = wire.get("choices")
        if choices:
            usage = choices[0].get("usage")
        if usage is None:
            extra = wire.get("x_groq")
            if isinstance(extra, Mapping):
                usage = extra.get("usage")
    return usage


def join_rounds(before: str, now: str) -> str:
    """Text of successive builtin-tool rounds, separated by a blank line."""
    return before + ROUND_SEPARATOR + now if before and now else before + now


@dataclass(slots=True)
class Answer:
    """One choice of an answer as the user sees it: the partial-mode prefix and what earlier
    builtin-tool rounds said are included, builtin tool calls are not."""

    text: str
    reasoning: str | None
    tool_calls: list[dict[str, Any]]
    finish_reason: str | None
    reasoning_details: list[Any] | None = None
    """The host's ``reasoning_details`` (OpenRouter), kept to be replayed unchanged."""


_NO_MESSAGE: Mapping[str, Any] = {}  # a choice without a message (read-only)


def _answer(
    choice: Mapping[str, Any],
    prefix: str | None,
    text_before: str = "",
    reasoning_before: str = "",
) -> Answer:
    message = choice.get("message") or _NO_MESSAGE
    text = message_text(message)
    if text_before:
        text = join_rounds(text_before, text)
    if prefix:
        text = prefix + text
    reasoning = message_reasoning(message)
    if reasoning_before:
        reasoning = join_rounds(reasoning_before, reasoning or "")
    calls = (
        [
            call
            for call in message_tool_calls(message)
            if not is_builtin_call(call["function"]["name"])
        ]
        if message.get("tool_calls")
        else []
    )
    details = message.get("reasoning_details")
    return Answer(
        text,
        reasoning,
        calls,
        choice.get("finish_reason"),
        details if isinstance(details, list) and details else None,
    )


def answer_choices(
    wire: Mapping[str, Any],
    *,
    prefix: str | None = None,
    text_before: str = "",
    reasoning_before: str = "",
) -> list[Answer]:
    """Every choice of a decoded answer; what earlier rounds said goes to the first one."""
    choices: Sequence[Mapping[str, Any]] | None = wire.get("choices")
    if not choices:
        raise MalformedResponseError("chat answer has no choices", body=str(wire.get("id")))
    first = _answer(choices[0], prefix, text_before, reasoning_before)
    if len(choices) == 1:
        return [first]
    return [first, *[_answer(choice, prefix) for choice in choices[1:]]]
