"""Agent handoffs: name a real agent, and let the agent handed to do the work.

- **Handoff tools**: a tool named ``handoff`` (LlamaIndex ``AgentWorkflow``) or
  ``transfer_to_<agent>`` (LangGraph swarm / supervisor).
- **Which agent** (:func:`handoff_agent`): a handoff tool's agent parameter (``to_agent``,
  ``agent``, ``agent_name``, ``next_agent``) names one of the agents its description lists
  after "available agents:" - a Python dict literal ``{'Name': 'description', ...}`` as
  ``AgentWorkflow`` writes it, or ``Name: description`` lines: the one whose name and
  description share the most content words with the question (:mod:`relevance`), the first on
  ties. Its ``reason`` parameter: ``"<Name> is suited to this request."``.
- **After a handoff** (:func:`handed_off`): when every tool result since the last user message
  answers a handoff tool, the turn counts as fresh: the agent handed to calls one of its own
  tools (never a handoff tool again in that turn) instead of reporting the handoff's result.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping, Sequence
from typing import Any

from .relevance import relevance

__all__ = [
    "AGENT_PARAMETERS",
    "handed_off",
    "handoff_agent",
    "handoff_arguments",
    "is_handoff",
    "listed_agents",
]

AGENT_PARAMETERS = ("to_agent", "agent", "agent_name", "next_agent")
_LISTED = re.compile(r"available agents:\s*(.*)", re.S | re.I)
_LINE = re.compile(r"^\s*[-*]?\s*([\w.\-]+):\s*(.*)$", re.M)


def is_handoff(name: str) -> bool:
    """Whether a tool of this name hands the conversation to another agent."""
    return name == "handoff" or name.startswith("transfer_to_")


def listed_agents(description: str) -> list[tuple[str, str]]:
    """``(name, description)`` of each agent listed in a handoff tool's description."""
    match = _LISTED.search(description)
    if match is None:
        return []
    listing = match.group(1).strip()
    if listing.startswith("{"):
        try:
            parsed = ast.literal_eval(listing.split("\n\n")[0])
        except (ValueError, SyntaxError):
            parsed = None
        if isinstance(parsed, dict):
            return [(str(k), str(v)) for k, v in parsed.items()]
    return [(m.group(1), m.group(2)) for m in _LINE.finditer(listing)]


def handoff_agent(description: str, question: str) -> str | None:
    """The listed agent most relevant to ``question`` (module docstring), or ``None``."""
    agents = listed_agents(description)
    if not agents:
        return None
    scores = [relevance(question, f"{name} {text}") for name, text in agents]
    return agents[scores.index(max(scores))][0]


def handoff_arguments(value: dict[str, Any], description: str, question: str) -> dict[str, Any]:
    """``value`` with the agent and reason filled (module docstring)."""
    agent = handoff_agent(description, question)
    if agent is None:
        return value
    for key in value:
        if key in AGENT_PARAMETERS:
            value[key] = agent
        elif key == "reason":
            value[key] = f"{agent} is suited to this request."
    return value


def handed_off(results: Sequence[Mapping[str, Any]], call_names: Mapping[str, str]) -> bool:
    """Whether the tool results of this turn are all handoff results (module docstring)."""
    names = [str(m.get("name") or call_names.get(str(m.get("tool_call_id")), "")) for m in results]
    return bool(names) and all(is_handoff(name) for name in names)
