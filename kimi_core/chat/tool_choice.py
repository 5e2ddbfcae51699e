"""``tool_choice``: what each model accepts, and what to send for the rest.

A forced choice (``"required"``, LangChain's ``"any"``, ``True``, or a tool's name) is sent
natively where the catalog says the model accepts it in the request's thinking state
(``docs/kimi-api/models.md`` §4: kimi-k3 takes ``"required"``; kimi-k2.6 with thinking off
takes ``"required"`` and a named function; no thinking model takes a named function). A
named tool the model cannot be forced to natively becomes "only that tool", plus
``"required"`` where that is accepted. Everything else, and every model the catalog does not
know, gets ``"auto"`` and a final user line telling the model it must call a tool (LiteLLM's
workaround, ``docs/kimi-api/chat.md`` "Tool calls"). Nothing a model rejects is sent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..catalog.hosts import HostProfile
from ..catalog.model_info import ModelInfo, ToolChoiceSupport
from ..errors import InvalidParameterError
from .tools import tool_name

__all__ = ["FORCED_TOOL_HINT", "TOOL_CHOICE_WORDS", "apply_tool_choice", "check_tool_choice"]

FORCED_TOOL_HINT = "You must answer this turn by calling {target}; do not reply with plain text."
TOOL_CHOICE_WORDS = ("auto", "none", "any", "required")
_FORCED = ("required", "any")


def check_tool_choice(
    choice: str | bool | Mapping[str, Any] | None, names: Sequence[str]
) -> str | bool | dict[str, Any] | None:
    """A ``tool_choice`` checked against the tools it goes with (at bind time): one of
    ``TOOL_CHOICE_WORDS``, a bool, a tool's name, or a dict; mapped when the request is
    sent."""
    if choice is None or isinstance(choice, bool):
        return choice
    if isinstance(choice, str):
        if choice in TOOL_CHOICE_WORDS or choice in names:
            return choice
        raise InvalidParameterError(
            f"tool_choice={choice!r} is neither one of {', '.join(TOOL_CHOICE_WORDS)} nor a "
            f"bound tool ({', '.join(names) or 'none bound'})",
            param="tool_choice",
        )
    if isinstance(choice, Mapping):
        return dict(choice)
    raise InvalidParameterError(
        f"tool_choice must be a string, a bool or a dict, got {type(choice).__name__}",
        param="tool_choice",
    )


def _named(choice: Any) -> str:
    name = choice
    if isinstance(choice, Mapping):
        function = choice.get("function")
        name = function.get("name") if isinstance(function, Mapping) else choice.get("name")
    if not isinstance(name, str):
        raise InvalidParameterError(
            f"unsupported tool_choice {choice!r}; use 'auto', 'none', 'required' or a tool name",
            param="tool_choice",
        )
    return name


# A host that takes forced choices natively (vLLM, OpenRouter...), whatever the model.
_NATIVE = ToolChoiceSupport(True, True, True, True)


def apply_tool_choice(
    payload: dict[str, Any], info: ModelInfo | None, thinks: bool, host: HostProfile | None = None
) -> None:
    """Rewrite ``payload``'s ``tool_choice`` into what ``info``'s model accepts (on a host
    off Moonshot's platform: what the host takes, ``HostProfile.tool_choice_native``)."""
    choice = payload.get("tool_choice")
    if choice is None or choice == "auto" or choice == "none":
        return
    if choice is False:
        payload["tool_choice"] = "none"
        return
    tools = payload.get("tools") or []
    if not tools:
        raise InvalidParameterError(
            f"tool_choice={choice!r} needs tools, but the request has none", param="tool_choice"
        )
    native = host.tool_choice_native if host is not None else None
    if native is None:
        support = info.tool_choice if info is not None else None
    else:
        support = _NATIVE if native else None
    if choice is True or choice in _FORCED:
        if support is not None and support.required(thinks):
            payload["tool_choice"] = "required"
            return
        target = "one of the provided tools"
    else:
        name = _named(choice)
        chosen = [tool for tool in tools if tool_name(tool) == name]
        if not chosen:
            known = ", ".join(str(tool_name(t)) for t in tools)
            raise InvalidParameterError(
                f"tool_choice names {name!r}, which is not among the tools ({known})",
                param="tool_choice",
            )
        if support is not None and support.named(thinks):
            payload["tool_choice"] = {"type": "function", "function": {"name": name}}
            return
        payload["tools"] = chosen
        if support is not None and support.required(thinks):
            payload["tool_choice"] = "required"
            return
        target = f"the tool `{name}`"
    payload["tool_choice"] = "auto"
    hint = {"role": "user", "content": FORCED_TOOL_HINT.format(target=target)}
    messages = list(payload["messages"])
    if messages and messages[-1].get("partial"):
        messages.insert(len(messages) - 1, hint)
    else:
        messages.append(hint)
    payload["messages"] = messages
