"""The turn being answered: the user's last words, what happened since, and whether a call is due.

A *turn sequence* is everything after the last user message: the assistant's tool calls and
the ``tool`` results that answer them. kimi_core's forced-tool hint
(:data:`kimi_core.chat.tool_choice.FORCED_TOOL_HINT`, the user line sent instead of a
``tool_choice`` the model rejects) is not the user speaking: it is skipped when finding the
last user message, and when it is the last message it forces a call as ``"required"`` (target
"one of the provided tools") or a named ``tool_choice`` (target "the tool `X`") would.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from kimi_core.chat.tool_choice import FORCED_TOOL_HINT

from .tokens import content_text

__all__ = ["Turn", "hint_target", "read_turn"]

_HINT = re.compile(
    "^" + re.escape(FORCED_TOOL_HINT).replace(re.escape("{target}"), "(.+)") + "$", re.S
)
_NAMED_TARGET = re.compile(r"^the tool `(.+)`$", re.S)


def hint_target(message: Mapping[str, Any]) -> str | None:
    """``""`` for a hint forcing any tool, the tool's name for a named one, else ``None``."""
    if message.get("role") != "user":
        return None
    match = _HINT.match(content_text(message.get("content")))
    if match is None:
        return None
    named = _NAMED_TARGET.match(match.group(1))
    return named.group(1) if named else ""


@dataclass(frozen=True)
class Turn:
    """What :func:`read_turn` found (see the module docstring)."""

    user_text: str = ""
    results: list[dict[str, Any]] = field(default_factory=list)
    call_names: dict[str, str] = field(default_factory=dict)
    called: tuple[str, ...] = ()
    hinted: str | None = None


def _call_name(call: Any) -> str:
    if not isinstance(call, Mapping):
        return ""
    function = call.get("function")
    name = function.get("name") if isinstance(function, Mapping) else None
    return str(name or "")


def read_turn(messages: Sequence[Mapping[str, Any]]) -> Turn:
    """The :class:`Turn` of ``messages`` (without a partial assistant prefix).

    ``results``: the ``tool`` messages after the last user message; ``call_names``: tool call
    id → function name over the whole history; ``called``: the names of the calls made after
    the last user message, in order; ``hinted``: :func:`hint_target` of the last message.
    """
    call_names: dict[str, str] = {}
    last_user = -1
    for i, message in enumerate(messages):
        role = message.get("role")
        if role == "user" and hint_target(message) is None:
            last_user = i
        elif role == "assistant":
            for call in message.get("tool_calls") or ():
                if isinstance(call, Mapping):
                    call_names[str(call.get("id"))] = _call_name(call)
    user_text = content_text(messages[last_user].get("content")) if last_user >= 0 else ""
    since = messages[last_user + 1 :]
    called = tuple(
        _call_name(call)
        for message in since
        if message.get("role") == "assistant"
        for call in message.get("tool_calls") or ()
    )
    return Turn(
        user_text=user_text,
        results=[dict(m) for m in since if m.get("role") == "tool"],
        call_names=call_names,
        called=called,
        hinted=hint_target(messages[-1]) if messages else None,
    )
