"""The request checks the real API makes, answered with the same statuses and error types.

Models. By default the emulator serves every catalog entry (``kimi_core.catalog``) whose status
is not ``"retired"``; ``KimiEmulator(models=[...])`` serves exactly the given ids (a retired
catalog id given there is served as if current; an id the catalog does not know becomes a
permissive model: 131,072 tokens, image and video input, forced ``tool_choice`` accepted, no
thinking, no fixed sampling). 404 ``resource_not_found_error`` "Not found the model <m> or
Permission denied" for a model not served, retired ones included, on chat completions, token
estimates and ``GET /models/{id}`` [docs/kimi-api/models.md §7, kimi-k2.5 seen doing this;
docs/kimi-api/errors-and-limits.md "Error types"]. Cloudsway never 404s on the model: the
endpoint path selects the deployment and its documentation page (docs/kimi-api/gateways.md)
shows it serving a request whose body named another model; a missing, unknown or retired body
model falls back to the endpoint's model, which is served whatever its catalog status (a
gateway deployment is not Moonshot's catalog; the capture of ``kimi-k2-0711-preview`` is one,
assumed), else ``kimi-k2.6``.

400 ``invalid_request_error`` (messages written like the real ones; sources in brackets):

- thinking (``thinking`` is absent or ``{"type": "enabled"|"disabled", "keep"?: "all"}``;
  ``reasoning_effort`` a top-level string), by the catalog's ``thinking`` kind:

  - any kind: ``thinking.type`` other than enabled/disabled: 'Invalid request: thinking.type
    must be "enabled" or "disabled"' (assumed; Cloudsway also takes ``"true"``/``"false"``,
    the form its page shows [docs/kimi-api/gateways.md]); ``reasoning_effort`` not a string:
    "the reasoning_effort field (expected type string) is illegal" (assumed: docs/kimi-api/
    models.md §2 lists this text as not found in any source); ``reasoning_effort`` sent to a
    model without effort levels: "invalid reasoning_effort: this model does not support
    reasoning_effort" (assumed);
  - ``keep`` on a model without preserved thinking (kimi-k2.5 has no ``keep``; K2.6 takes
    ``"all"``, K2.7-code and K3 always preserve) [docs/kimi-api/models.md §3]: "invalid
    thinking: keep is not supported for this model" (assumed); ``keep`` other than ``"all"``
    ("any other value errors", same section): 'invalid thinking: keep must be "all"'
    (assumed); ``keep`` with type disabled: "invalid thinking: keep is only allowed with
    type=enabled" (assumed);
  - ``always`` (kimi-k2.7-code*, kimi-k2-thinking*) with type disabled: "invalid thinking:
    only type=enabled is allowed for this model" [docs/kimi-api/models.md §2: K2.7-code takes
    only "enabled" and "disabled" errors; the wording is assumed];
  - ``effort`` (kimi-k3*): ``thinking`` together with ``reasoning_effort``: "thinking and
    reasoning_effort cannot be set together; this model is steered by reasoning_effort"
    (assumed: docs/kimi-api/models.md §2 says to drop ``thinking`` and that such a 400 was
    not confirmed); ``thinking: {"type": "disabled"}`` alone: "invalid thinking: this model
    always reasons; remove thinking and use reasoning_effort" (assumed; K3 always thinks, same
    section); ``{"type": "enabled"}`` alone is accepted; an unknown effort string is
    silently ignored (the default ``max`` applies) [same section: "silently ignored (verified
    live)"];
  - ``none``: ``thinking`` is accepted and ignored (``keep`` too).

  The model thinks for ``always`` and ``effort``, for ``toggle`` unless the type is disabled,
  never for ``none``;
- preserved thinking (the model preserves ``"always"``, or ``"optional"`` with ``keep:
  "all"``): every assistant message, not only tool-call ones, must carry a string
  ``reasoning_content`` ("" is fine; absent, null or another type fails): "thinking is enabled
  but reasoning_content is missing in assistant message at index N", N counted from 0 over
  ``messages`` [docs/kimi-api/models.md §3: "send reasoning_content on every assistant
  message, empty strings included"; the message's tail is assumed]; the trailing partial
  prefix is exempt (assumed). Without preservation, thinking on and an assistant tool-call
  message without ``reasoning_content`` (absent or null): "thinking is enabled but
  reasoning_content is missing in assistant tool call message at index N"
  [docs/kimi-api/chat.md "Thinking"];
- a ``tool`` message whose ``tool_call_id`` matches no earlier assistant tool call
  ("tool_call_id is not found", quoted in many agent projects' code comments);
- an assistant message with ``tool_calls`` whose ``content`` is present but empty (``""`` or a
  list whose text parts are all empty): "text content is empty" [docs/kimi-api/models.md
  §10]; absent content is fine;
- an assistant message with neither content nor tool calls (unless it is the partial prefix):
  "the message at position N with role 'assistant' must not be empty" [labring/FastGPT#3575;
  docs/kimi-api/chat.md "Messages and partial mode": "content must not be empty"];
- a sampling value a model fixes (catalog ``fixed_sampling``: kimi-k2.6 temperature 1 with
  thinking / 0.6 without, K3 everything fixed whatever the thinking; kimi-k2.7-code's values
  are assumed in the catalog and not enforced): "invalid temperature: only 1 is allowed for
  this model" [docs/kimi-api/chat.md "Sampling"; docs/kimi-api/models.md §2]; other models:
  ``temperature`` outside [0, 1], and ``n > 1`` with ``temperature`` below 0.001
  [docs/kimi-api/chat.md "Sampling"];
- ``tool_choice`` (catalog ``ToolChoiceSupport``, per thinking state): ``"required"`` where not
  supported: "tool_choice 'required' is incompatible with thinking enabled" when the model
  thinks [docs/kimi-api/models.md §4, a third-party live capture], else 'Invalid request:
  tool_choice "required" is not supported, use "auto" or "none"' [docs/kimi-api/chat.md "Tool
  calls"; the wording is assumed]; a named function ``{"type": "function", "function":
  {"name": ...}}`` while the model thinks and the model does not support it: "tool_choice
  'specified' is incompatible with thinking enabled" [docs/kimi-api/models.md §4] (accepted
  when the model does not think: old models are unknown there, docs/kimi-api/models.md §1
  "?"); a name that is not among the tools: "Invalid request: tool_choice function 'X' is not
  found in tools" (assumed); any other value: "Invalid request: tool_choice ... is not
  supported" (assumed). An accepted forced choice makes the default reply call that tool
  (:mod:`replies`);
- more than 128 tools or a tool name not matching ``^[a-zA-Z_][a-zA-Z0-9-_]{0,127}$``
  [Moonshot's OpenAPI ``ToolDefinition``, September 2026; the count: docs/kimi-api/chat.md
  "Tool calls"];
- tool ``parameters`` and a ``response_format`` ``json_schema`` that are not a "moonshot
  flavored JSON schema": Moonshot's exact 400 "Invalid request: <field> is not a valid
  moonshot flavored json schema, details: <At path 'P': D>" (rules and sources in
  :mod:`mfjs`); absent ``parameters`` are accepted (assumed);
- partial mode combined with ``response_format`` ``json_object`` [docs/kimi-api/chat.md
  "Messages and partial mode"];
- ``stop``: more than 5 strings (4 on Cloudsway): "Invalid request: stop must have at most N
  sequences, got M" [docs/kimi-api/chat.md "Sampling": at most 5; docs/kimi-api/gateways.md:
  Cloudsway's "停止序列(最多 4 个)"; the wording is assumed], a string over 32 bytes in UTF-8:
  "Invalid request: stop sequence at index I is too long: B bytes > 32" [docs/kimi-api/chat.md
  "Sampling"; the wording is assumed]; ``n`` over 5 [same section];
- ``max_tokens`` / ``max_completion_tokens`` (either; both: ``max_completion_tokens`` wins
  [docs/kimi-api/models.md §6: "both mean the same"]) not a positive integer: "Invalid request:
  <field> must be a positive integer" naming the field sent (assumed);
- input tokens (:mod:`tokens`) + the output maximum over the model's context window (K3:
  1,048,576): "Input token length too long" [docs/kimi-api/errors-and-limits.md "Error types";
  the rest of the message is assumed];
- an image or video part whose URL is not ``data:`` / ``ms://`` [docs/kimi-api/models.md §8],
  an image sent to a model without image input or a video to one without video input:
  "Invalid request: model X does not support image input" / "... video input" (assumed).

On the moonshot dialect, ``prompt_cache_options`` is then checked by :mod:`prompt_cache`
(after these checks). Messages other than the quoted ones are this emulator's wording
(assumed). The tool checks
are in :mod:`tool_checks`, the error they raise in :mod:`errors`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from kimi_core.catalog.model_info import (
    CATALOG,
    DEFAULT_MODEL,
    ModelInfo,
    ToolChoiceSupport,
    current_models,
)

from .errors import RequestError, bad_request
from .logprobs import logprobs_of
from .mfjs import RESPONSE_FIELD, check_schema
from .tokens import content_text, count_prompt
from .tool_checks import check_tool_choice, check_tool_schema, check_tools

__all__ = [
    "MAX_STOP",
    "MAX_STOP_BYTES",
    "MAX_STOP_CLOUDSWAY",
    "ChatRequest",
    "RequestError",
    "build_registry",
    "check_tool_schema",
    "permissive_model",
    "resolve_model",
    "validate_chat",
]

ROLES = frozenset({"system", "user", "assistant", "tool"})
MAX_STOP = 5
MAX_STOP_CLOUDSWAY = 4
MAX_STOP_BYTES = 32
MAX_N = 5
_PERMISSIVE_CHOICE = ToolChoiceSupport(
    required_thinking=True, required_plain=True, named_thinking=True, named_plain=True
)

MSG_KEEP_UNSUPPORTED = "invalid thinking: keep is not supported for this model"
MSG_KEEP_VALUE = 'invalid thinking: keep must be "all"'
MSG_KEEP_DISABLED = "invalid thinking: keep is only allowed with type=enabled"
MSG_ONLY_ENABLED = "invalid thinking: only type=enabled is allowed for this model"
MSG_EFFORT_TYPE = "the reasoning_effort field (expected type string) is illegal"
MSG_EFFORT_UNSUPPORTED = "invalid reasoning_effort: this model does not support reasoning_effort"
MSG_EFFORT_AND_THINKING = (
    "thinking and reasoning_effort cannot be set together; this model is steered by "
    "reasoning_effort"
)
MSG_EFFORT_DISABLED = (
    "invalid thinking: this model always reasons; remove thinking and use reasoning_effort"
)
MSG_EMPTY_TEXT = "text content is empty"


@dataclass
class ChatRequest:
    """A validated chat-completions request, in the shape :mod:`replies` needs."""

    model: str
    info: ModelInfo
    messages: list[dict[str, Any]]
    tools: list[dict[str, Any]] = field(default_factory=list)
    tool_choice: Any = None
    thinking: bool = False
    preserved_thinking: bool = False
    reasoning_effort: str | None = None
    json_mode: bool = False
    json_schema: Mapping[str, Any] | None = None
    partial_prefix: str | None = None
    stop: list[str] = field(default_factory=list)
    max_tokens: int | None = None
    n: int = 1
    stream: bool = False
    include_usage: bool = False
    prompt_tokens: int = 0
    top_logprobs: int | None = None
    """Log probabilities asked for: alternatives per token (0: none), None: not asked
    (:mod:`logprobs`)."""

    @property
    def forced_tool(self) -> bool:
        """``tool_choice`` is ``"required"`` or names a function."""
        return self.tool_choice == "required" or isinstance(self.tool_choice, Mapping)


# --------------------------------------------------------------------------- models


def permissive_model(model: str) -> ModelInfo:
    """What an id the catalog does not know becomes: accepts everything, never thinks."""
    return ModelInfo(
        model,
        131_072,
        8_192,
        image_input=True,
        video_input=True,
        tool_choice=_PERMISSIVE_CHOICE,
        json_schema=True,
    )


def build_registry(models: Iterable[str | ModelInfo] | None = None) -> dict[str, ModelInfo]:
    """The models an emulator serves: the current catalog, or the given ids / ``ModelInfo``.

    A given catalog id is served whatever its status; an unknown id becomes
    :func:`permissive_model`.
    """
    if models is None:
        return {info.id: info for info in current_models()}
    registry: dict[str, ModelInfo] = {}
    for item in models:
        if isinstance(item, ModelInfo):
            registry[item.id] = item
        else:
            name = str(item)
            registry[name] = CATALOG.get(name) or permissive_model(name)
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
            info = CATALOG[DEFAULT_MODEL]
        return fallback, info
    if not isinstance(model, str) or not model:
        raise bad_request("Invalid request: model is required")
    info = registry.get(model)
    if info is None:
        raise RequestError(
            404, "resource_not_found_error", f"Not found the model {model} or Permission denied"
        )
    return model, info


# --------------------------------------------------------------------------- helpers


def _fmt(value: float) -> str:
    return f"{value:g}"


def _number(body: Mapping[str, Any], name: str) -> float | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise bad_request(f"Invalid request: {name} must be a number")
    return float(value)


@dataclass(frozen=True)
class _Thinking:
    thinks: bool
    preserved: bool
    effort: str | None


def _thinking(body: Mapping[str, Any], info: ModelInfo, lenient: bool) -> _Thinking:
    """Apply the thinking rules of the module docstring for ``info.thinking``."""
    raw = body.get("thinking")
    flag: bool | None = None
    keep: Any = None
    if raw is not None:
        kind = raw.get("type") if isinstance(raw, Mapping) else None
        if kind == "enabled" or (lenient and kind == "true"):
            flag = True
        elif kind == "disabled" or (lenient and kind == "false"):
            flag = False
        else:
            raise bad_request('Invalid request: thinking.type must be "enabled" or "disabled"')
        keep = raw.get("keep") if isinstance(raw, Mapping) else None
    effort = body.get("reasoning_effort")
    if effort is not None and not isinstance(effort, str):
        raise bad_request(MSG_EFFORT_TYPE)
    if effort is not None and not info.effort_levels:
        raise bad_request(MSG_EFFORT_UNSUPPORTED)
    if info.thinking == "none":
        return _Thinking(False, False, None)
    if keep is not None:
        if info.preserved_thinking == "none":
            raise bad_request(MSG_KEEP_UNSUPPORTED)
        if keep != "all":
            raise bad_request(MSG_KEEP_VALUE)
        if flag is False and info.thinking == "toggle":
            raise bad_request(MSG_KEEP_DISABLED)
    if info.thinking == "always" and flag is False:
        raise bad_request(MSG_ONLY_ENABLED)
    chosen: str | None = None
    if info.thinking == "effort":
        if raw is not None and effort is not None:
            raise bad_request(MSG_EFFORT_AND_THINKING)
        if flag is False:
            raise bad_request(MSG_EFFORT_DISABLED)
        chosen = effort if effort in info.effort_levels else info.default_effort
    thinks = info.thinks(flag)
    preserved = thinks and (
        info.preserved_thinking == "always"
        or (info.preserved_thinking == "optional" and keep == "all")
    )
    return _Thinking(thinks, preserved, chosen)


def _check_stop(body: Mapping[str, Any], max_stop: int) -> list[str]:
    raw = body.get("stop")
    if raw is None:
        return []
    if isinstance(raw, str):
        stop = [raw]
    elif isinstance(raw, list) and all(isinstance(s, str) for s in raw):
        stop = list(raw)
    else:
        raise bad_request("Invalid request: stop must be a string or a list of strings")
    if len(stop) > max_stop:
        raise bad_request(
            f"Invalid request: stop must have at most {max_stop} sequences, got {len(stop)}"
        )
    for i, sequence in enumerate(stop):
        size = len(sequence.encode("utf-8"))
        if size > MAX_STOP_BYTES:
            raise bad_request(
                f"Invalid request: stop sequence at index {i} is too long: "
                f"{size} bytes > {MAX_STOP_BYTES}"
            )
    return stop


def _check_media(message: Mapping[str, Any], index: int, info: ModelInfo) -> None:
    content = message.get("content")
    if not isinstance(content, list):
        return
    for part in content:
        if not isinstance(part, Mapping) or part.get("type") not in ("image_url", "video_url"):
            continue
        kind = str(part.get("type"))
        supported = info.image_input if kind == "image_url" else info.video_input
        if not supported:
            raise bad_request(
                f"Invalid request: model {info.id} does not support {kind[:-4]} input"
            )
        raw = part.get(kind)
        url = raw.get("url") if isinstance(raw, Mapping) else raw
        if not isinstance(url, str) or not url.startswith(("data:", "ms://")):
            raise bad_request(
                f"Invalid request: unsupported {kind} in the message at position {index}: "
                "only base64 data URLs and ms://<file_id> URLs are supported"
            )


def _text_is_empty(content: Any) -> bool:
    """``""``, or a list whose text parts (if any) are all ``""``."""
    if isinstance(content, str):
        return content == ""
    if isinstance(content, list):
        return all(
            not part.get("text")
            for part in content
            if isinstance(part, Mapping) and part.get("type") == "text"
        )
    return False


def _check_messages(
    messages: list[dict[str, Any]], thinks: bool, preserved: bool, info: ModelInfo
) -> None:
    seen_ids: set[str] = set()
    last = len(messages) - 1
    for i, message in enumerate(messages):
        role = message["role"]
        if role == "assistant":
            calls = message.get("tool_calls")
            partial_prefix = i == last and bool(message.get("partial"))
            content = message.get("content")
            if calls:
                if content is not None and _text_is_empty(content):
                    raise bad_request(MSG_EMPTY_TEXT)
            elif not content_text(content) and not partial_prefix:
                raise bad_request(
                    f"Invalid request: the message at position {i} with role 'assistant' "
                    "must not be empty"
                )
            reasoning = message.get("reasoning_content")
            if preserved:
                if not isinstance(reasoning, str) and not partial_prefix:
                    raise bad_request(
                        "thinking is enabled but reasoning_content is missing in assistant "
                        f"message at index {i}"
                    )
            elif calls and thinks and reasoning is None:
                raise bad_request(
                    "thinking is enabled but reasoning_content is missing in assistant "
                    f"tool call message at index {i}"
                )
            for call in calls or ():
                if isinstance(call, Mapping):
                    seen_ids.add(str(call.get("id")))
        elif role == "tool":
            call_id = message.get("tool_call_id")
            if str(call_id) not in seen_ids:
                raise bad_request(
                    f"Invalid request: tool_call_id is not found: {call_id} "
                    f"(tool message at index {i})"
                )
        else:
            _check_media(message, i, info)


def _max_output(body: Mapping[str, Any]) -> tuple[str, int | None]:
    """(the field that sets the output maximum, its value); ``max_completion_tokens`` wins."""
    used: tuple[str, int | None] = ("max_tokens", None)
    for name in ("max_tokens", "max_completion_tokens"):
        value = body.get(name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise bad_request(f"Invalid request: {name} must be a positive integer")
        used = (name, value)
    return used


# --------------------------------------------------------------------------- entry point


def messages_of(body: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The non-empty list of messages, each an object with a known role."""
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise bad_request("Invalid request: messages must be a non-empty list")
    for i, message in enumerate(messages):
        if not isinstance(message, dict) or message.get("role") not in ROLES:
            raise bad_request(f"Invalid request: the message at position {i} has an invalid role")
    return messages


def check_n(body: Mapping[str, Any]) -> int:
    n_raw = body.get("n")
    n = 1 if n_raw is None else n_raw
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise bad_request("Invalid request: n must be a positive integer")
    if n > MAX_N:
        raise bad_request(f"Invalid request: n must be at most {MAX_N}, got {n}")
    return n


def response_format_of(body: Mapping[str, Any]) -> tuple[bool, Mapping[str, Any] | None]:
    """(JSON mode, the ``json_schema`` schema if one is given)."""
    response_format = body.get("response_format")
    if not isinstance(response_format, Mapping):
        return False, None
    kind = response_format.get("type")
    if kind == "json_object":
        return True, None
    if kind == "json_schema":
        spec = response_format.get("json_schema")
        schema = spec.get("schema") if isinstance(spec, Mapping) else None
        return True, schema if isinstance(schema, Mapping) else None
    if kind not in (None, "text"):
        raise bad_request(f"Invalid request: response_format type {kind!r} is not supported")
    return False, None


def _partial_prefix(messages: list[dict[str, Any]], json_mode: bool) -> str | None:
    """The text of a trailing partial assistant message (partial mode), else None."""
    last = messages[-1]
    if not (last.get("role") == "assistant" and last.get("partial")):
        return None
    if json_mode:
        raise bad_request(
            "Invalid request: partial mode is not supported with response_format json_object"
        )
    return content_text(last.get("content"))


def _check_sampling(body: Mapping[str, Any], info: ModelInfo, thinks: bool, n: int) -> None:
    """The values a model fixes, else the temperature range (module docstring)."""
    for name, fixed in info.fixed_sampling.items():
        value = _number(body, name)
        if value is None:
            continue
        allowed = (fixed[0] if thinks else fixed[1]) if isinstance(fixed, tuple) else fixed
        if abs(value - allowed) > 1e-9:
            raise bad_request(f"invalid {name}: only {_fmt(allowed)} is allowed for this model")
    if "temperature" in info.fixed_sampling:
        return
    temperature = _number(body, "temperature")
    if temperature is None:
        return
    if not 0.0 <= temperature <= 1.0:
        raise bad_request(
            f"Invalid request: temperature must be in [0, 1], got {_fmt(temperature)}"
        )
    if n > 1 and temperature < 0.001:
        raise bad_request("Invalid request: n must be 1 when temperature is close to 0")


def _check_context(
    body: Mapping[str, Any],
    model: str,
    info: ModelInfo,
    messages: list[dict[str, Any]],
    tools: list[dict[str, Any]],
) -> tuple[int, int | None]:
    """(prompt tokens, the output maximum), refused when they overflow the context window."""
    max_field, max_tokens = _max_output(body)
    prompt_tokens = count_prompt(messages, tools)
    if prompt_tokens + (max_tokens or 0) > info.context_window:
        raise bad_request(
            f"Invalid request: Input token length too long: {prompt_tokens} input tokens + "
            f"{max_field} {max_tokens or 0} exceed the context window of {model} "
            f"({info.context_window} tokens)"
        )
    return prompt_tokens, max_tokens


def stream_flags(body: Mapping[str, Any]) -> tuple[bool, bool]:
    """(stream, include_usage): ``stream`` also as the strings "true" / "True"."""
    stream_raw = body.get("stream")
    stream = stream_raw is True or stream_raw in ("true", "True")
    options = body.get("stream_options")
    include_usage = isinstance(options, Mapping) and options.get("include_usage") is True
    return stream, include_usage


def validate_chat(
    body: Any,
    registry: Mapping[str, ModelInfo],
    *,
    fallback_model: str | None = None,
    lenient_thinking: bool = False,
    max_stop: int = MAX_STOP,
) -> ChatRequest:
    """Check a chat-completions body; raise :class:`RequestError` like the real API.

    The checks run in this order, so a body with several faults gets the first one's error.
    """
    if not isinstance(body, dict):
        raise bad_request("Invalid request: the request body must be a JSON object")
    model, info = resolve_model(body, registry, fallback_model)
    messages = messages_of(body)
    thinking = _thinking(body, info, lenient_thinking)
    n = check_n(body)
    stop = _check_stop(body, max_stop)
    tools = check_tools(body)
    tool_choice = check_tool_choice(body, info, thinking.thinks, tools)
    json_mode, json_schema = response_format_of(body)
    if json_schema is not None:
        check_schema(json_schema, RESPONSE_FIELD)
    partial_prefix = _partial_prefix(messages, json_mode)
    _check_sampling(body, info, thinking.thinks, n)
    _check_messages(messages, thinking.thinks, thinking.preserved, info)
    prompt_tokens, max_tokens = _check_context(body, model, info, messages, tools)
    stream, include_usage = stream_flags(body)
    top_logprobs = logprobs_of(body)
    return ChatRequest(
        model=model,
        info=info,
        messages=messages,
        tools=tools,
        tool_choice=tool_choice,
        thinking=thinking.thinks,
        preserved_thinking=thinking.preserved,
        reasoning_effort=thinking.effort,
        json_mode=json_mode,
        json_schema=json_schema,
        partial_prefix=partial_prefix,
        stop=stop,
        max_tokens=max_tokens,
        n=n,
        stream=stream,
        include_usage=include_usage,
        prompt_tokens=prompt_tokens,
        top_logprobs=top_logprobs,
    )
