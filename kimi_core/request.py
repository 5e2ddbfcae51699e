"""Building and checking a chat request: every rule about what goes on the wire, once.

Two steps, both plain dict work (microseconds):

- ``build_chat_request`` (the adapters): an entry point's defaults (model, the sampling
  values it has set, ``thinking``, extra fields), then the call's overrides, then the
  messages; a JSON-schema ``response_format`` becomes Kimi's JSON mode with the schema given
  to the model in a system message (Kimi's ``json_object`` takes no schema).
- ``prepare_chat_payload`` (every request, run by the clients): unset values dropped,
  ``thinking`` booleans mapped to Kimi's object, the sampling values a model fixes enforced,
  and what Kimi rejects caught before sending (stop strings, ``n``, partial mode with JSON
  mode) as ``InvalidParameterError`` naming the field.

``tool_choice``: Kimi accepts only ``"auto"``/``"none"`` (``docs/kimi-api/chat.md``, "Tool
calls"; ``"required"`` answers 400). To still honour a forced choice we send ``"auto"`` and
add a user line telling the model it must call a tool (LiteLLM's documented workaround); a
specific tool is forced by also sending only that tool. Nothing Kimi rejects is ever sent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .catalog import SAMPLING_FIELDS, check_sampling
from .errors import InvalidParameterError
from .structured import JSON_OBJECT, json_schema_instruction
from .tools import tool_name

__all__ = [
    "FORCED_TOOL_HINT",
    "MAX_N",
    "MAX_STOP_SEQUENCES",
    "TOOL_CHOICE_WORDS",
    "apply_tool_choice",
    "build_chat_request",
    "check_tool_choice",
    "prepare_chat_payload",
    "sampling_values",
    "thinking_param",
    "use_schema_instruction",
]

MAX_STOP_SEQUENCES = 4  # docs/kimi-api/gateways.md (Cloudsway: "停止序列(最多 4 个)")
MAX_N = 5  # docs/kimi-api/chat.md, "Sampling"
FORCED_TOOL_HINT = "You must answer this turn by calling {target}; do not reply with plain text."
TOOL_CHOICE_WORDS = ("auto", "none", "any", "required")
_FORCED = ("required", "any")


# -- building ------------------------------------------------------------------------------


def sampling_values(source: object) -> dict[str, Any]:
    """The sampling fields (``catalog.SAMPLING_FIELDS``) ``source`` has set, by attribute."""
    values: dict[str, Any] = {}
    for name in SAMPLING_FIELDS:
        value = getattr(source, name, None)
        if value is not None:
            values[name] = value
    return values


def build_chat_request(
    messages: list[dict[str, Any]],
    defaults: Mapping[str, Any],
    overrides: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The request body: ``defaults``, then ``overrides`` (a ``None`` there unsets the
    field), then ``messages``; a JSON-schema ``response_format`` is turned into JSON mode."""
    payload = dict(defaults)
    if overrides:
        payload.update(overrides)
    payload["messages"] = messages
    use_schema_instruction(payload)
    return payload


def use_schema_instruction(payload: dict[str, Any]) -> None:
    """``response_format`` ``json_schema`` -> Kimi's ``json_object`` plus the schema in a
    system message, after the leading system messages (``docs/kimi-api/chat.md``, "JSON
    mode")."""
    response_format = payload.get("response_format")
    if response_format is None:  # most calls: skip the Mapping (ABC) check
        return
    if not isinstance(response_format, Mapping) or response_format.get("type") != "json_schema":
        return
    spec = response_format.get("json_schema") or {}
    payload["response_format"] = dict(JSON_OBJECT)
    schema = spec.get("schema")
    if isinstance(schema, Mapping):
        messages = list(payload["messages"])
        at = 0
        while at < len(messages) and messages[at].get("role") == "system":
            at += 1
        text = json_schema_instruction(schema, spec.get("name"))
        messages.insert(at, {"role": "system", "content": text})
        payload["messages"] = messages


# -- tools -----------------------------------------------------------------------------------


def check_tool_choice(
    choice: str | bool | Mapping[str, Any] | None, names: Sequence[str]
) -> str | bool | dict[str, Any] | None:
    """A ``tool_choice`` checked against the tools it goes with (at bind time): one of
    ``TOOL_CHOICE_WORDS``, a bool, a tool's name, or a dict; the core maps forced choices to
    what Kimi takes when the request is sent."""
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
        chosen = [tool for tool in tools if tool_name(tool) == name]
        if not chosen:
            known = ", ".join(str(tool_name(t)) for t in tools)
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


# -- checking ------------------------------------------------------------------------------


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
