"""What a host's server reads from a chat request, and what it refuses.

:func:`validate_host_chat` is :func:`validation.validate_chat`'s counterpart for the hosts of
:mod:`host_dialects` (sources: the ``source`` of each host, sections of
``docs/kimi-api/hosts.md``). Off Moonshot's platform none of Moonshot's API rules apply: the
model id is the host's (mapped to its Kimi family with
``kimi_core.catalog.hosts.model_family_id``, the answer names it as asked; by default every
catalog family is served, Moonshot's retired ones too: the weights stay open), sampling values
are free, any ``tool_choice`` and ``json_schema`` are taken, tool names and schemas are not
checked, ``partial`` is ignored (a prefix is not continued), ``n`` and ``stop`` have no cap
(Fireworks: 4 stop strings).

Thinking (:func:`read_thinking`): the host's own fields give an on/off flag and an effort;
Moonshot's ``thinking: {"type": ...}`` is read by Volcengine only, every other host ignores
it. A family that always thinks (kimi-k2.7-code, kimi-k3) thinks, one that never does never
does; a family that can switch follows the flag, else the host's default (off on Baseten and
Bedrock, on elsewhere).

Refused (status, message; the body in the host's shape, :mod:`host_wire`):

- a model no family of the served ones matches: 404 "The model `<m>` does not exist." (vLLM's
  wording; Ollama 404 'model "<m>" not found, try pulling it first'; OpenRouter its own 400
  "<m> is not a valid model ID"; others assumed like vLLM);
- Ollama: an effort other than high/medium/low/none/max: 400 'invalid reasoning value: '<v>'
  (must be "high", "medium", "low", or "none")' (§16); an image part that is not a ``data:``
  URL: 400 "invalid image input" (§16);
- DeepInfra: an effort outside none/low/medium/high/xhigh: 422 FastAPI ``{"detail":
  [{"type": "literal_error", "loc": ["body", "reasoning_effort"], "msg", "input"}]}``
  (assumed, §4);
- Azure: a message field outside the standard ones: 422 ``{"detail": [{"type":
  "extra_forbidden", "loc": ["body", "messages", i, field], "msg": "Extra inputs are not
  permitted", "input"}]}`` (the message is 3p-live, the shape assumed, §12);
- Fireworks: ``max_tokens`` with ``max_completion_tokens``: 400 "max_tokens and
  max_completion_tokens cannot both be set" (the rule is official, §3; the wording assumed);
  more than 4 stop strings: 400 "stop: at most 4 sequences are allowed" (assumed wording);
- Volcengine: turning an always-thinking family off (``thinking: {"type": "disabled"}`` or
  ``reasoning_effort: "none"``): 400 InvalidParameter "A parameter specified in the request is
  not valid" (§10, 3p-live);
- SiliconFlow, and OpenRouter while its upstream is Moonshot AI: thinking on and an assistant
  tool-call turn without ``reasoning_content``: 400 "thinking is enabled but reasoning_content
  is missing in assistant tool call message at index N" (§5 3p-live; §1: OpenRouter wraps
  Moonshot's error as a provider error, 3p-live);
- every host: the prompt and the output maximum over the family's context window: 400 "This
  model's maximum context length is N tokens. However, you requested M tokens (P in the
  messages, C in the completion). ..." (vLLM's wording; assumed elsewhere).

Ollama reads neither ``tool_choice`` nor ``max_completion_tokens`` (§16): a forced choice
forces nothing, only ``max_tokens`` caps the answer.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from kimi_core.catalog.hosts import model_family_id
from kimi_core.catalog.model_info import CATALOG, ModelInfo

from .errors import RequestError, bad_request
from .host_dialects import HostDialect
from .host_wire import host_error_body
from .tokens import count_prompt
from .validation import ChatRequest, build_registry, messages_of, stream_flags

__all__ = [
    "MESSAGE_FIELDS",
    "host_registry",
    "read_thinking",
    "resolve_host_model",
    "seen_reasoning",
    "validate_host_chat",
]

MESSAGE_FIELDS = frozenset(
    {
        "role",
        "content",
        "name",
        "tool_calls",
        "tool_call_id",
        "reasoning_content",
        "refusal",
        "function_call",
        "audio",
    }
)
"""The message fields Azure's strict schema takes (OpenAI's, plus ``reasoning_content``)."""
MSG_REPLAY = (
    "thinking is enabled but reasoning_content is missing in assistant tool call message "
    "at index {}"
)
MSG_OLLAMA_EFFORT = 'invalid reasoning value: \'{}\' (must be "high", "medium", "low", or "none")'
MSG_VOLCENGINE = "A parameter specified in the request is not valid"


def host_registry(models: Iterable[str | ModelInfo] | None) -> dict[str, ModelInfo]:
    """The families a host emulator serves: every catalog entry (``models=None``), or the
    given ids / ``ModelInfo`` (as :func:`validation.build_registry`)."""
    return dict(CATALOG) if models is None else build_registry(models)


def _obj(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _flag(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _kwargs_flag(body: Mapping[str, Any], host: HostDialect) -> bool | None:
    kwargs = _obj(body.get("chat_template_kwargs"))
    for key in host.kwarg_keys:
        if isinstance(kwargs.get(key), bool):
            return bool(kwargs[key])
    return None


def _effort_flag(effort: Any, host: HostDialect) -> bool | None:
    if effort is None:
        return None
    return not (effort is False or effort in host.effort_off)


def read_thinking(body: Mapping[str, Any], host: HostDialect) -> tuple[bool | None, Any]:
    """(the on/off flag the host read from its own fields - None when they say nothing -,
    the effort it read)."""
    reader = host.thinking
    effort = body.get("reasoning_effort")
    reasoning = _obj(body.get("reasoning"))
    if reader in ("openrouter", "deepinfra"):
        effort = reasoning.get("effort", effort)
        enabled = _flag(reasoning.get("enabled"))
        if effort == "none" or enabled is False:
            return False, effort
        on = enabled or effort is not None or "max_tokens" in reasoning
        return (True if on else None), effort
    if reader == "together":
        enabled = _flag(reasoning.get("enabled"))
        return (enabled if enabled is not None else _kwargs_flag(body, host)), effort
    if reader == "fireworks":
        return _effort_flag(effort, host), effort
    if reader == "enable_thinking":
        return _flag(body.get("enable_thinking")), None
    if reader == "chat_template_args":
        return _flag(_obj(body.get("chat_template_args")).get("enable_thinking")), None
    if reader == "chat_template_kwargs":
        flag = _kwargs_flag(body, host)
        if flag is None and effort is not None and effort in host.effort_off:
            flag = False
        return flag, effort
    if reader == "effort_only":
        effort = effort if effort is not None else reasoning.get("effort")
        return _effort_flag(effort, host), effort
    if reader == "moonshot":
        kind = _obj(body.get("thinking")).get("type")
        flag = {"enabled": True, "disabled": False}.get(kind) if isinstance(kind, str) else None
        return (False if effort in host.effort_off else flag), effort
    return None, effort


def seen_reasoning(messages: Any, reasoning_in: tuple[str, ...]) -> list[str | None]:
    """The reasoning the server read on each assistant message of ``messages``, in order
    (the first of the ``reasoning_in`` keys present; OpenRouter's ``reasoning_details`` list
    read as the concatenation of its texts and summaries)."""
    seen: list[str | None] = []
    if not isinstance(messages, list):
        return seen
    for message in messages:
        if not isinstance(message, Mapping) or message.get("role") != "assistant":
            continue
        found: str | None = None
        for key in reasoning_in:
            value = message.get(key)
            if isinstance(value, str):
                found = value
            elif isinstance(value, list):
                found = "".join(
                    str(item.get("text") or item.get("summary") or "")
                    for item in value
                    if isinstance(item, Mapping)
                )
            if found is not None:
                break
        seen.append(found)
    return seen


def _refuse(host: HostDialect, status: int, message: str, upstream: str | None) -> RequestError:
    body = host_error_body(host, status, message, upstream=upstream)
    return RequestError(status, "invalid_request_error", message, body)


def _detail(status: int, kind: str, loc: list[Any], msg: str, value: Any) -> RequestError:
    body = {"detail": [{"type": kind, "loc": loc, "msg": msg, "input": value}]}
    return RequestError(status, "invalid_request_error", msg, body)


def resolve_host_model(
    body: Mapping[str, Any], registry: Mapping[str, ModelInfo], host: HostDialect
) -> tuple[str, ModelInfo]:
    """The model as asked and its family's traits (the exact id, else its family's)."""
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise _refuse(host, 400, "model is required", None)
    info = registry.get(model) or registry.get(model_family_id(model))
    if info is not None:
        return model, info
    if host.name == "openrouter":
        raise _refuse(host, 400, f"{model} is not a valid model ID", None)
    if host.name == "ollama":
        raise _refuse(host, 404, f'model "{model}" not found, try pulling it first', None)
    raise _refuse(host, 404, f"The model `{model}` does not exist.", None)


def _host_checks(
    body: Mapping[str, Any], messages: list[dict[str, Any]], info: ModelInfo, host: HostDialect
) -> None:
    """The refusals of one host (module docstring), before thinking is decided."""
    effort = body.get("reasoning_effort")
    if host.name == "ollama" and effort is None:
        effort = _obj(body.get("reasoning")).get("effort")
    values = host.effort_values
    if values is not None and effort is not None and effort not in values:
        if host.name == "deepinfra":
            listed = ", ".join(repr(v) for v in values)
            msg = f"Input should be one of {listed}"
            raise _detail(422, "literal_error", ["body", "reasoning_effort"], msg, effort)
        raise _refuse(host, 400, MSG_OLLAMA_EFFORT.format(effort), None)
    if host.strict_messages:
        for i, message in enumerate(messages):
            for key in message:
                if key not in MESSAGE_FIELDS:
                    loc = ["body", "messages", i, key]
                    msg = "Extra inputs are not permitted"
                    raise _detail(422, "extra_forbidden", loc, msg, message[key])
    if host.one_token_field and "max_tokens" in body and "max_completion_tokens" in body:
        raise bad_request("max_tokens and max_completion_tokens cannot both be set")
    if host.rejects_disabling_always and info.thinking in ("always", "effort"):
        kind = _obj(body.get("thinking")).get("type")
        if kind == "disabled" or effort == "none":
            raise bad_request(MSG_VOLCENGINE)
    if host.data_images_only:
        for message in messages:
            content = message.get("content")
            for part in content if isinstance(content, list) else ():
                image = _obj(part).get("image_url")
                url = image.get("url") if isinstance(image, Mapping) else image
                if isinstance(url, str) and not url.startswith("data:image/"):
                    raise bad_request("invalid image input")


def _thinks(info: ModelInfo, flag: bool | None, host: HostDialect) -> bool:
    if info.thinking in ("always", "effort"):
        return True
    if info.thinking == "none":
        return False
    return host.thinking_default if flag is None else flag


def _check_replay(messages: list[dict[str, Any]]) -> None:
    """A thinking request's tool-call turns must carry ``reasoning_content``
    (SiliconFlow; OpenRouter's Moonshot AI upstream, wrapped)."""
    for i, message in enumerate(messages):
        if message.get("role") != "assistant" or not message.get("tool_calls"):
            continue
        if message.get("reasoning_content") is None:
            raise RequestError(400, "invalid_request_error", MSG_REPLAY.format(i))


def _output_cap(body: Mapping[str, Any], host: HostDialect) -> tuple[str, int | None]:
    used: tuple[str, int | None] = ("max_tokens", None)
    for name in ("max_tokens", "max_completion_tokens"):
        value = body.get(name)
        if value is None or name in host.ignored:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise bad_request(f"{name} must be a positive integer")
        used = (name, value)
    return used


def _stop(body: Mapping[str, Any], host: HostDialect) -> list[str]:
    raw = body.get("stop")
    stop = [raw] if isinstance(raw, str) else [s for s in raw or () if isinstance(s, str)]
    if host.stop_cap is not None and len(stop) > host.stop_cap:
        raise bad_request(f"stop: at most {host.stop_cap} sequences are allowed")
    return stop


def _n(body: Mapping[str, Any]) -> int:
    n = body.get("n", 1)
    if n is None:
        return 1
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise bad_request("n must be a positive integer")
    return n


def _response_format(body: Mapping[str, Any]) -> tuple[bool, Mapping[str, Any] | None]:
    """(JSON mode, the json_schema's schema): any other format is taken as text."""
    response_format = _obj(body.get("response_format"))
    kind = response_format.get("type")
    if kind == "json_schema":
        schema = _obj(response_format.get("json_schema")).get("schema")
        return True, schema if isinstance(schema, Mapping) else None
    return kind == "json_object", None


def validate_host_chat(
    body: Any, registry: Mapping[str, ModelInfo], host: HostDialect, upstream: str | None
) -> ChatRequest:
    """Check a chat-completions body as ``host``'s server would (module docstring)."""
    if not isinstance(body, dict):
        raise bad_request("the request body must be a JSON object")
    model, info = resolve_host_model(body, registry, host)
    messages = messages_of(body)
    _host_checks(body, messages, info, host)
    flag, effort = read_thinking(body, host)
    thinks = _thinks(info, flag, host)
    if thinks and (host.replay_required or upstream == "Moonshot AI"):
        _check_replay(messages)
    tools = body.get("tools") or []
    if not isinstance(tools, list):
        raise bad_request("tools must be a list")
    json_mode, json_schema = _response_format(body)
    _, max_tokens = _output_cap(body, host)
    prompt_tokens = count_prompt(messages, tools)
    requested = prompt_tokens + (max_tokens or 0)
    if requested > info.context_window:
        raise bad_request(
            f"This model's maximum context length is {info.context_window} tokens. However, "
            f"you requested {requested} tokens ({prompt_tokens} in the messages, "
            f"{max_tokens or 0} in the completion). Please reduce the length of the messages "
            "or completion."
        )
    stream, include_usage = stream_flags(body)
    return ChatRequest(
        model=model,
        info=info,
        messages=messages,
        tools=tools,
        tool_choice=None if "tool_choice" in host.ignored else body.get("tool_choice"),
        thinking=thinks,
        reasoning_effort=effort if isinstance(effort, str) else None,
        json_mode=json_mode,
        json_schema=json_schema,
        stop=_stop(body, host),
        max_tokens=max_tokens,
        n=_n(body),
        stream=stream,
        include_usage=include_usage,
        prompt_tokens=prompt_tokens,
    )
