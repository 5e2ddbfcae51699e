"""Checking and normalising a chat request body before it is sent.

Both adapters and the clients go through ``prepare_chat_payload``, so every rule lives here
once. It is plain dict work (microseconds): unset values dropped, ``thinking`` booleans mapped
to Kimi's object, the sampling values a model fixes enforced, and what Kimi rejects caught
before any request (stop strings, ``n``, partial mode with JSON mode).

``tool_choice``: Kimi accepts only ``"auto"``/``"none"`` (kimi-api-facts.md, "Tool calls";
``"required"`` answers 400). To still honour a forced choice we send ``"auto"`` and add a user
line telling the model it must call a tool (LiteLLM's documented workaround); a specific tool
is forced by also sending only that tool. Nothing Kimi rejects is ever sent.
"""

from __future__ import annotations

from typing import Any

from .catalog import check_sampling
from .errors import InvalidParameterError

__all__ = [
    "FORCED_TOOL_HINT",
    "MAX_STOP_SEQUENCES",
    "apply_tool_choice",
    "prepare_chat_payload",
    "thinking_param",
]

MAX_STOP_SEQUENCES = 4  # seed 000: "停止序列(最多 4 个)"
MAX_N = 5  # kimi-api-facts.md: "n <= 5"
FORCED_TOOL_HINT = "You must answer this turn by calling {target}; do not reply with plain text."
_FORCED = ("required", "any")


def thinking_param(thinking: bool | dict[str, Any] | None) -> dict[str, Any] | None:
    """``True``/``False`` to ``{"type": "enabled"|"disabled"}``; dicts pass unchanged."""
    if thinking is None or isinstance(thinking, dict):
        return thinking
    return {"type": "enabled" if thinking else "disabled"}


def _thinking_flag(thinking: Any) -> bool | None:
    if isinstance(thinking, dict):
        kind = thinking.get("type")
        return None if kind is None else kind not in ("disabled", "false", False)
    return None if thinking is None else bool(thinking)


def _tool_name(tool: dict[str, Any]) -> str | None:
    function = tool.get("function")
    return function.get("name") if isinstance(function, dict) else None


def apply_tool_choice(payload: dict[str, Any]) -> None:
    """Rewrite a forced ``tool_choice`` into something Kimi accepts (see module docstring)."""
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
    if choice is True or choice in _FORCED:
        target = "one of the provided tools"
    else:
        name = choice
        if isinstance(choice, dict):
            function = choice.get("function")
            name = function.get("name") if isinstance(function, dict) else choice.get("name")
        if not isinstance(name, str):
            raise InvalidParameterError(
                f"unsupported tool_choice {choice!r}; use 'auto', 'none', 'required' or a "
                "tool name",
                param="tool_choice",
            )
        chosen = [tool for tool in tools if _tool_name(tool) == name]
        if not chosen:
            known = ", ".join(str(_tool_name(t)) for t in tools)
            raise InvalidParameterError(
                f"tool_choice names {name!r}, which is not among the tools ({known})",
                param="tool_choice",
            )
        payload["tools"] = chosen
        target = f"the tool `{name}`"
    payload["tool_choice"] = "auto"
    hint = {"role": "user", "content": FORCED_TOOL_HINT.format(target=target)}
    messages = list(payload["messages"])
    if messages and messages[-1].get("partial"):
        messages.insert(len(messages) - 1, hint)
    else:
        messages.append(hint)
    payload["messages"] = messages


def prepare_chat_payload(
    payload: dict[str, Any], *, model_optional: bool = False
) -> dict[str, Any]:
    """Check and normalise ``payload`` in place (and return it).

    Raises ``InvalidParameterError`` naming the field for anything Kimi would reject.
    """
    for key in [k for k, v in payload.items() if v is None]:
        del payload[key]
    messages = payload.get("messages")
    if not isinstance(messages, list) or not messages:
        raise InvalidParameterError("messages must be a non-empty list", param="messages")
    model = payload.get("model")
    if model is None and not model_optional:
        raise InvalidParameterError(
            "model is required (only gateways whose URL names the model, such as Cloudsway, "
            "may omit it)",
            param="model",
        )
    if "thinking" in payload:
        payload["thinking"] = thinking_param(payload["thinking"])
    check_sampling(model, payload, _thinking_flag(payload.get("thinking")))
    stop = payload.get("stop")
    if isinstance(stop, list | tuple) and len(stop) > MAX_STOP_SEQUENCES:
        raise InvalidParameterError(
            f"Kimi accepts at most {MAX_STOP_SEQUENCES} stop sequences, got {len(stop)}",
            param="stop",
        )
    n = payload.get("n")
    if n is not None and (not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= MAX_N):
        raise InvalidParameterError(
            f"Kimi accepts an integer 1 <= n <= {MAX_N}, got n={n!r}", param="n"
        )
    last = messages[-1]
    if isinstance(last, dict) and last.get("partial"):
        if last.get("role") != "assistant":
            raise InvalidParameterError(
                "partial mode needs the last message to be an assistant message",
                param="messages",
            )
        response_format = payload.get("response_format")
        if isinstance(response_format, dict) and response_format.get("type") == "json_object":
            raise InvalidParameterError(
                "partial mode cannot be combined with response_format json_object",
                param="response_format",
            )
    if "tool_choice" in payload:
        apply_tool_choice(payload)
    return payload
