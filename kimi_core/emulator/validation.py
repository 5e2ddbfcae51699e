"""The request checks the real API makes, answered with the same statuses and error types.

400 ``invalid_request_error`` (messages written like the real ones; sources in brackets):

- a ``tool`` message whose ``tool_call_id`` matches no earlier assistant tool call
  ("tool_call_id is not found", quoted in many agent projects' code comments);
- thinking on and an assistant tool-call message without ``reasoning_content`` (absent or
  null): "thinking is enabled but reasoning_content is missing in assistant tool call message
  at index N", N counted from 0 over ``messages`` [docs/kimi-api/chat.md "Thinking";
  continuedev/continue#11600];
- a sampling value a model fixes (kimi-k2.5): "invalid temperature: only 1 is allowed for this
  model" [docs/kimi-api/chat.md "Sampling"]; other models: ``temperature`` outside
  [0, 1], and ``n > 1`` with ``temperature`` below 0.001 [same section];
- ``tool_choice: "required"`` [facts "Tool calls"]; more than 128 tools or a tool name not
  matching ``^[a-zA-Z_][a-zA-Z0-9-_]{2,63}$`` [same];
- partial mode combined with ``response_format`` ``json_object`` [facts "JSON and partial"];
- more than 4 ``stop`` strings [docs/kimi-api/gateways.md: Cloudsway's "停止序列(最多 4 个)"];
  ``n`` over 5 [docs/kimi-api/chat.md "Sampling"];
- input tokens (:mod:`tokens`) + ``max_tokens`` over the context window: "Input token length
  too long" [facts "Models"; the wording is assumed];
- an image part whose URL is not ``data:`` / ``ms://`` [facts "Files": "plain http image URLs
  are not supported"], or an image sent to a model without vision;
- an assistant message with neither content nor tool calls (unless it is the partial prefix):
  "the message at position N with role 'assistant' must not be empty" [labring/FastGPT#3575].

404 ``resource_not_found_error`` "Not found the model <m> or Permission denied" for an unknown
model [langgenius/dify#39778]. Cloudsway never 404s on the model: the endpoint path selects the
deployment and its documentation page (docs/kimi-api/gateways.md) shows it serving a request
whose body named another model; a missing or unknown body model falls back to the endpoint's
model.

Messages other than the quoted ones are this emulator's wording (assumed).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from kimi_core.catalog import CATALOG, ModelInfo

from .tokens import content_text, count_prompt

__all__ = [
    "ChatRequest",
    "RequestError",
    "build_registry",
    "resolve_model",
    "validate_chat",
]

ROLES = frozenset({"system", "user", "assistant", "tool"})
TOOL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9\-_]{2,63}$")
MAX_TOOLS = 128
MAX_STOP = 4
MAX_N = 5


class RequestError(Exception):
    """A request the API rejects: ``status``, Moonshot error ``type`` and ``message``."""

    def __init__(self, status: int, type_: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.type = type_
        self.message = message


def _bad(message: str) -> RequestError:
    return RequestError(400, "invalid_request_error", message)


@dataclass
class ChatRequest:
    """A validated chat-completions request, in the shape :mod:`replies` needs."""

    model: str
    info: ModelInfo
    messages: list[dict[str, Any]]
    tools: list[dict[str, Any]] = field(default_factory=list)
    tool_choice: Any = None
    thinking: bool = False
    json_mode: bool = False
    json_schema: Mapping[str, Any] | None = None
    partial_prefix: str | None = None
    stop: list[str] = field(default_factory=list)
    max_tokens: int | None = None
    n: int = 1
    stream: bool = False
    include_usage: bool = False
    prompt_tokens: int = 0


def build_registry(models: Any = None) -> dict[str, ModelInfo]:
    """The models an emulator serves: the catalog, or the given ids / ``ModelInfo`` objects.

    An id the catalog does not know becomes a 131,072-token, vision-capable, non-thinking model.
    """
    if models is None:
        return dict(CATALOG)
    registry: dict[str, ModelInfo] = {}
    for item in models:
        if isinstance(item, ModelInfo):
            registry[item.id] = item
        else:
            name = str(item)
            registry[name] = CATALOG.get(name) or ModelInfo(name, 131_072, 8_192, vision=True)
    return registry


def resolve_model(
    body: Mapping[str, Any], registry: Mapping[str, ModelInfo], fallback: str | None
) -> tuple[str, ModelInfo]:
    """The model a request uses; ``fallback`` set means the Cloudsway rule (never 404)."""
    model = body.get("model")
    if fallback is not None:
        if isinstance(model, str) and model in registry:
            return model, registry[model]
        info = registry.get(fallback) or CATALOG.get(fallback)
        if info is None:
            info = ModelInfo(fallback, 262_144, 32_768)
        return fallback, info
    if not isinstance(model, str) or not model:
        raise _bad("Invalid request: model is required")
    info = registry.get(model)
    if info is None:
        raise RequestError(
            404, "resource_not_found_error", f"Not found the model {model} or Permission denied"
        )
    return model, info


def _fmt(value: float) -> str:
    return f"{value:g}"


def _number(body: Mapping[str, Any], name: str) -> float | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _bad(f"Invalid request: {name} must be a number")
    return float(value)


def _thinking_flag(body: Mapping[str, Any], lenient: bool) -> bool | None:
    raw = body.get("thinking")
    if raw is None:
        return None
    kind = raw.get("type") if isinstance(raw, Mapping) else None
    if kind == "enabled" or (lenient and kind == "true"):
        return True
    if kind == "disabled" or (lenient and kind == "false"):
        return False
    raise _bad('Invalid request: thinking.type must be "enabled" or "disabled"')


def _check_tools(body: Mapping[str, Any]) -> list[dict[str, Any]]:
    tools = body.get("tools")
    if tools is None:
        return []
    if not isinstance(tools, list):
        raise _bad("Invalid request: tools must be a list")
    if len(tools) > MAX_TOOLS:
        raise _bad(f"Invalid request: too many tools: {len(tools)} > {MAX_TOOLS}")
    for i, tool in enumerate(tools):
        if not isinstance(tool, dict):
            raise _bad(f"Invalid request: tools[{i}] must be an object")
        kind = tool.get("type")
        function = tool.get("function")
        name = function.get("name") if isinstance(function, Mapping) else None
        if kind == "builtin_function":
            if not isinstance(name, str) or not name:
                raise _bad(f"Invalid request: tools[{i}].function.name is required")
            continue
        if kind != "function":
            raise _bad(f"Invalid request: tools[{i}].type {kind!r} is not supported")
        if not isinstance(name, str) or not TOOL_NAME.match(name):
            raise _bad(
                f"Invalid request: tools[{i}].function.name {name!r} must match "
                "^[a-zA-Z_][a-zA-Z0-9-_]{2,63}$"
            )
    return tools


def _check_tool_choice(body: Mapping[str, Any]) -> Any:
    choice = body.get("tool_choice")
    if choice is None or choice in ("auto", "none") or isinstance(choice, Mapping):
        return choice
    if choice == "required":
        raise _bad('Invalid request: tool_choice "required" is not supported, use "auto" or "none"')
    raise _bad(f"Invalid request: tool_choice {choice!r} is not supported")


def _check_media(message: Mapping[str, Any], index: int, info: ModelInfo) -> None:
    content = message.get("content")
    if not isinstance(content, list):
        return
    for part in content:
        if not isinstance(part, Mapping) or part.get("type") not in ("image_url", "video_url"):
            continue
        kind = str(part.get("type"))
        if not info.vision:
            raise _bad(f"Invalid request: model {info.id} does not support {kind[:-4]} input")
        raw = part.get(kind)
        url = raw.get("url") if isinstance(raw, Mapping) else raw
        if not isinstance(url, str) or not url.startswith(("data:", "ms://")):
            raise _bad(
                f"Invalid request: unsupported {kind} in the message at position {index}: "
                "only base64 data URLs and ms://<file_id> URLs are supported"
            )


def _check_messages(messages: list[dict[str, Any]], thinks: bool, info: ModelInfo) -> None:
    seen_ids: set[str] = set()
    last = len(messages) - 1
    for i, message in enumerate(messages):
        role = message["role"]
        if role == "assistant":
            calls = message.get("tool_calls")
            if calls:
                if thinks and message.get("reasoning_content") is None:
                    raise _bad(
                        "thinking is enabled but reasoning_content is missing in assistant "
                        f"tool call message at index {i}"
                    )
                for call in calls:
                    if isinstance(call, Mapping):
                        seen_ids.add(str(call.get("id")))
            elif not content_text(message.get("content")) and not (
                i == last and message.get("partial")
            ):
                raise _bad(
                    f"Invalid request: the message at position {i} with role 'assistant' "
                    "must not be empty"
                )
        elif role == "tool":
            call_id = message.get("tool_call_id")
            if str(call_id) not in seen_ids:
                raise _bad(
                    f"Invalid request: tool_call_id is not found: {call_id} "
                    f"(tool message at index {i})"
                )
        else:
            _check_media(message, i, info)


def validate_chat(
    body: Any,
    registry: Mapping[str, ModelInfo],
    *,
    fallback_model: str | None = None,
    lenient_thinking: bool = False,
) -> ChatRequest:
    """Check a chat-completions body; raise :class:`RequestError` like the real API."""
    if not isinstance(body, dict):
        raise _bad("Invalid request: the request body must be a JSON object")
    model, info = resolve_model(body, registry, fallback_model)
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise _bad("Invalid request: messages must be a non-empty list")
    for i, message in enumerate(messages):
        if not isinstance(message, dict) or message.get("role") not in ROLES:
            raise _bad(f"Invalid request: the message at position {i} has an invalid role")

    flag = _thinking_flag(body, lenient_thinking)
    thinks = info.thinking == "always" or (info.thinking == "optional" and flag is not False)

    n_raw = body.get("n")
    n = 1 if n_raw is None else n_raw
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise _bad("Invalid request: n must be a positive integer")
    if n > MAX_N:
        raise _bad(f"Invalid request: n must be at most {MAX_N}, got {n}")

    stop_raw = body.get("stop")
    if stop_raw is None:
        stop: list[str] = []
    elif isinstance(stop_raw, str):
        stop = [stop_raw]
    elif isinstance(stop_raw, list) and all(isinstance(s, str) for s in stop_raw):
        stop = list(stop_raw)
    else:
        raise _bad("Invalid request: stop must be a string or a list of strings")
    if len(stop) > MAX_STOP:
        raise _bad(f"Invalid request: stop must have at most {MAX_STOP} sequences, got {len(stop)}")

    tool_choice = _check_tool_choice(body)
    tools = _check_tools(body)

    json_mode = False
    json_schema: Mapping[str, Any] | None = None
    response_format = body.get("response_format")
    if isinstance(response_format, Mapping):
        kind = response_format.get("type")
        if kind == "json_object":
            json_mode = True
        elif kind == "json_schema":
            spec = response_format.get("json_schema")
            schema = spec.get("schema") if isinstance(spec, Mapping) else None
            json_mode = True
            json_schema = schema if isinstance(schema, Mapping) else None
        elif kind not in (None, "text"):
            raise _bad(f"Invalid request: response_format type {kind!r} is not supported")

    last = messages[-1]
    partial_prefix: str | None = None
    if last.get("role") == "assistant" and last.get("partial"):
        partial_prefix = content_text(last.get("content"))
        if json_mode:
            raise _bad(
                "Invalid request: partial mode is not supported with response_format json_object"
            )

    for name, fixed in info.fixed_sampling.items():
        value = _number(body, name)
        if value is None:
            continue
        allowed = (fixed[0] if thinks else fixed[1]) if isinstance(fixed, tuple) else fixed
        if abs(value - allowed) > 1e-9:
            raise _bad(f"invalid {name}: only {_fmt(allowed)} is allowed for this model")
    if "temperature" not in info.fixed_sampling:
        temperature = _number(body, "temperature")
        if temperature is not None:
            if not 0.0 <= temperature <= 1.0:
                raise _bad(
                    f"Invalid request: temperature must be in [0, 1], got {_fmt(temperature)}"
                )
            if n > 1 and temperature < 0.001:
                raise _bad("Invalid request: n must be 1 when temperature is close to 0")

    _check_messages(messages, thinks, info)

    max_raw = body.get("max_tokens")
    if max_raw is None:
        max_raw = body.get("max_completion_tokens")
    if max_raw is not None and (
        isinstance(max_raw, bool) or not isinstance(max_raw, int) or max_raw < 1
    ):
        raise _bad("Invalid request: max_tokens must be a positive integer")
    max_tokens: int | None = max_raw
    prompt_tokens = count_prompt(messages, tools)
    if prompt_tokens + (max_tokens or 0) > info.context_window:
        raise _bad(
            f"Invalid request: Input token length too long: {prompt_tokens} input tokens + "
            f"max_tokens {max_tokens or 0} exceed the context window of {model} "
            f"({info.context_window} tokens)"
        )

    stream_raw = body.get("stream")
    stream = stream_raw is True or stream_raw in ("true", "True")
    options = body.get("stream_options")
    include_usage = isinstance(options, Mapping) and options.get("include_usage") is True

    return ChatRequest(
        model=model,
        info=info,
        messages=messages,
        tools=tools,
        tool_choice=tool_choice,
        thinking=thinks,
        json_mode=json_mode,
        json_schema=json_schema,
        partial_prefix=partial_prefix,
        stop=stop,
        max_tokens=max_tokens,
        n=n,
        stream=stream,
        include_usage=include_usage,
        prompt_tokens=prompt_tokens,
    )
