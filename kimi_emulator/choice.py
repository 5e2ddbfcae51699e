"""Which declared tool the emulator calls: the one the request points at, never a loop.

A forced agent (LangChain's ``ToolStrategy`` sends ``tool_choice="any"`` on every turn) must
see its structured-output tool called once the tools have answered, or its graph runs to its
recursion limit. The rules (``user_text``, ``results`` and ``called`` come from :mod:`turn`;
"mentioned" is :func:`mentions`: the name as a whole word of the last user message, matched
case-sensitively; "first" means in declaration order):

1. ``tool_choice`` names a function, or the forced-tool hint names one: that tool.
2. Not forced: the first mentioned tool, else the most relevant tool.
3. Forced, no tool result since the last user message: the first mentioned tool, else the
   most relevant tool that is not a structured-output tool, else the first tool.

"Most relevant": the tool whose name (split at ``_``) and description share the most content
words with the last user message (:func:`relevance.best`; the first declared on ties, so a
question sharing no word with any tool gets the first).
4. Forced after tool results: the first structured-output tool; else the first mentioned tool
   not called since the last user message, else the first tool not called since then; else
   (every tool called) rule 3.

**Structured-output tools** (:func:`structured_output_tools`) are the trailing run of declared
``function`` tools whose names look like a class name (``^[A-Z][A-Za-z0-9]*$``): LangChain's
``ToolStrategy`` appends one tool per schema after the agent's tools, named after the schema
class (``Report``, its docstring as the description), and ``with_structured_output(...,
method="function_calling")`` and LlamaIndex's function-calling programs name theirs the same
way.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from .relevance import best
from .turn import Turn

__all__ = ["choose_tool", "mentions", "structured_output_tools", "tool_name"]

_CLASS_NAME = re.compile(r"[A-Z][A-Za-z0-9]*")

Tool = Mapping[str, Any]


def tool_name(tool: Mapping[str, Any]) -> str:
    function = tool.get("function")
    if isinstance(function, Mapping):
        return str(function.get("name") or "")
    return str(tool.get("name") or "")


def mentions(text: str, name: str) -> bool:
    """``name`` appears in ``text`` as a whole word (case-sensitive)."""
    return bool(name) and re.search(rf"(?<![\w$]){re.escape(name)}(?!\w)", text) is not None


def structured_output_tools(tools: Sequence[Tool]) -> list[Tool]:
    """The trailing run of ``function`` tools with class-like names (module docstring)."""
    run: list[Tool] = []
    for tool in reversed(tools):
        if tool.get("type", "function") != "function":
            break
        if not _CLASS_NAME.fullmatch(tool_name(tool)):
            break
        run.append(tool)
    return run[::-1]


def _described(tool: Tool) -> str:
    function = tool.get("function")
    description = function.get("description") if isinstance(function, Mapping) else None
    return f"{tool_name(tool).replace('_', ' ')} {description or ''}"


def _most_relevant(tools: Sequence[Tool], question: str) -> Tool:
    found = best(question, tools, _described)
    return found if found is not None else tools[0]


def choose_tool(tools: Sequence[Tool], tool_choice: Any, turn: Turn, forced: bool) -> Tool | None:
    """The tool to call this turn by the rules of the module docstring (``None``: no tools)."""
    if not tools:
        return None
    wanted = tool_name(tool_choice) if isinstance(tool_choice, Mapping) else turn.hinted
    if wanted:
        return next((t for t in tools if tool_name(t) == wanted), tools[0])
    mentioned = [t for t in tools if mentions(turn.user_text, tool_name(t))]
    if not forced:
        return mentioned[0] if mentioned else _most_relevant(tools, turn.user_text)
    structured = structured_output_tools(tools)
    if turn.results:
        if structured:
            return structured[0]
        fresh = [t for t in [*mentioned, *tools] if tool_name(t) not in turn.called]
        if fresh:
            return fresh[0]
    if mentioned:
        return mentioned[0]
    plain = [t for t in tools if not any(t is s for s in structured)]
    return _most_relevant(plain, turn.user_text) if plain else tools[0]
