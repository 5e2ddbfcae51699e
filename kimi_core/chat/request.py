"""Building and checking a chat request: every rule about what goes on the wire, once.

Two steps, both plain dict work (microseconds):

- ``build_chat_request`` (the adapters): an entry point's defaults (model, the sampling
  values it has set, thinking options, extra fields), then the call's overrides, then the
  messages; a JSON-schema ``response_format`` is sent as is to models that take
  ``json_schema`` (``catalog``), and as Kimi's JSON mode with the schema given to the model in
  a system message elsewhere.
- ``prepare_chat_payload`` (every request, run by the clients): unset values dropped; the
  thinking options mapped per model (``thinking``); the sampling values a model fixes
  enforced; ``max_tokens`` sent as ``max_completion_tokens`` on Moonshot's own endpoints
  (``docs/kimi-api/models.md`` §6; gateways that document ``max_tokens`` keep it); stop
  strings, ``n``, partial mode with JSON mode, images / video to a model without that input,
  tool names (``tools``) checked; tool schemas put in Kimi's dialect; ``tool_choice`` mapped
  per model (``tool_choice``); the messages made acceptable (``messages.prepare_messages``).
  Whatever Kimi would reject is an ``InvalidParameterError`` naming the field, before any
  request. ``parallel_tool_calls`` is not sent (Moonshot documents no such field, an
  assumption in ``docs/kimi-api/chat.md``): the adapters keep the first call when it is
  ``False``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NamedTuple, Union

from ..catalog.hosts import DEFAULT_HOST, HOSTS, HostProfile, get_host
from ..catalog.model_info import SAMPLING_FIELDS, ModelInfo, apply_fixed_sampling, model_traits
from ..errors import InvalidParameterError
from ..wire.json import encode_json
from .messages import prepare_messages
from .schema import normalize_schema
from .structured import JSON_OBJECT, json_schema_instruction
from .thinking import apply_thinking, thinking_param
from .tool_choice import FORCED_TOOL_HINT, TOOL_CHOICE_WORDS, apply_tool_choice, check_tool_choice
from .tools import check_tools

if TYPE_CHECKING:
    # The wire types (pydantic models) load on first use: importing them costs ~10 ms, and
    # an adapter's import needs only the request rules.
    from ..types import ChatRequest

__all__ = [
    "FORCED_TOOL_HINT",
    "MAX_N",
    "MAX_STOP_BYTES",
    "TOOL_CHOICE_WORDS",
    "ChatInput",
    "PreparedChat",
    "apply_tool_choice",
    "build_chat_request",
    "chat_defaults",
    "check_tool_choice",
    "max_stop_sequences",
    "prepare_chat",
    "prepare_chat_payload",
    "runs_long",
    "sampling_values",
    "streamed_twin",
    "takes_json_schema",
    "thinking_param",
    "use_schema_instruction",
]

MAX_N = 5  # docs/kimi-api/chat.md, "Sampling"
MAX_STOP_BYTES = 32  # docs/kimi-api/chat.md, "Sampling": at most 32 bytes each
# Each host's stop cap and token-limit field are in its profile (``catalog.hosts``): Moonshot at
# most 5 stop strings and max_completion_tokens (docs/kimi-api/chat.md, models.md §6);
# Cloudsway 4 and max_tokens (docs/kimi-api/gateways.md); the others docs/kimi-api/hosts.md.
_OUTPUT_FIELDS = ("max_tokens", "max_completion_tokens")
_MOONSHOT = HOSTS[DEFAULT_HOST]


def _host(host: HostProfile | str | None) -> HostProfile:
    """A profile, from a profile, a dialect or gateway name (the 2025 API), or None."""
    if isinstance(host, HostProfile):
        return host
    if host is None or host == "moonshot":
        return _MOONSHOT
    return get_host(host)


def max_stop_sequences(host: HostProfile | str | None) -> int | None:
    """How many stop strings a host accepts (None: no known cap)."""
    return _host(host).stop_cap


def takes_json_schema(info: ModelInfo | None, host: HostProfile | None = None) -> bool:
    """Whether ``response_format: json_schema`` goes as it is: the host's say where its
    profile has one, else the catalog's (Moonshot: per model)."""
    native = host.json_schema_native if host is not None else None
    if native is not None:
        return native
    return info is not None and info.json_schema


# -- building ------------------------------------------------------------------------------


def sampling_values(source: object) -> dict[str, Any]:
    """The sampling fields (``catalog.SAMPLING_FIELDS``) ``source`` has set, read from its
    instance attributes (a pydantic model's fields; runs on every call)."""
    fields = vars(source)
    values: dict[str, Any] = {}
    for name in SAMPLING_FIELDS:
        value = fields.get(name)
        if value is not None:
            values[name] = value
    return values


# Per-instance options every entry point has besides the sampling fields (sent when set;
# ``preserve_thinking`` only when True).
OPTION_FIELDS = (
    "thinking",
    "reasoning_effort",
    "prompt_cache_key",
    "prompt_cache_options",
    "prompt_cache_ttl",
    "strict_sampling",
    "logprobs",
    "top_logprobs",
    "prediction",
    "safety_identifier",
)


def chat_defaults(source: object, model: str | None) -> dict[str, Any]:
    """An entry point's request defaults: ``model``, the sampling fields and the options
    (``OPTION_FIELDS``, ``preserve_thinking``) ``source`` has set, by attribute."""
    fields = vars(source)
    defaults: dict[str, Any] = {"model": model, **sampling_values(source)}
    for name in OPTION_FIELDS:
        value = fields.get(name)
        if value is not None:
            defaults[name] = value
    if fields.get("preserve_thinking"):
        defaults["preserve_thinking"] = True
    return defaults


def build_chat_request(
    messages: list[dict[str, Any]],
    defaults: Mapping[str, Any],
    overrides: Mapping[str, Any] | None = None,
    host: HostProfile | None = None,
) -> dict[str, Any]:
    """The request body: ``defaults``, then ``overrides`` (a ``None`` there unsets the
    field), then ``messages``; a JSON-schema ``response_format`` goes to the model as it
    takes it (module docstring)."""
    payload = dict(defaults)
    if overrides:
        payload.update(overrides)
    payload["messages"] = messages
    if payload.get("response_format") is not None:
        use_schema_instruction(payload, model_traits(payload.get("model"), host), host)
    return payload


def use_schema_instruction(
    payload: dict[str, Any], info: ModelInfo | None = None, host: HostProfile | None = None
) -> None:
    """``response_format`` ``json_schema`` -> Kimi's ``json_object`` plus the schema in a
    system message, after the leading system messages (``docs/kimi-api/chat.md``, "JSON
    mode"), unless ``info``'s model takes ``json_schema`` itself (``docs/kimi-api/models.md``
    §5); JSON mode with a schema (``structured.json_mode_format``) always."""
    response_format = payload.get("response_format")
    if response_format is None:  # most calls: skip the Mapping (ABC) check
        return
    if not isinstance(response_format, Mapping):
        return
    kind = response_format.get("type")
    if kind == "json_schema":
        if takes_json_schema(info, host):
            return
    elif kind != "json_object" or "json_schema" not in response_format:
        return  # plain JSON mode, text, or another type: sent as given
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


# -- checking ------------------------------------------------------------------------------


def _check_messages(messages: Any) -> list[Any]:
    if not isinstance(messages, list) or not messages:
        raise InvalidParameterError("messages must be a non-empty list", param="messages")
    for index, message in enumerate(messages):
        if type(message) is not dict and not isinstance(message, Mapping):
            message = None
        if message is None or type(message.get("role")) is not str:
            raise InvalidParameterError(
                f"messages[{index}] must be a message dict with a role, got "
                f"{type(message).__name__}",
                param="messages",
            )
    return messages


def _check_output_limit(payload: dict[str, Any], host: HostProfile) -> None:
    """One positive ``max_completion_tokens`` / ``max_tokens``, under the host's name."""
    if "max_tokens" not in payload and "max_completion_tokens" not in payload:
        return
    given = [name for name in _OUTPUT_FIELDS if name in payload]
    wanted = host.token_field
    # An explicit max_completion_tokens wins over max_tokens (its deprecated alias).
    value = payload.pop("max_completion_tokens", None)
    alias = payload.pop("max_tokens", None)
    if value is None:
        value = alias
    name = given[-1] if len(given) == 1 else "max_completion_tokens"
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidParameterError(f"{name} must be a positive integer, got {value!r}", param=name)
    payload[wanted] = value


def _check_stop(stop: Any, host: HostProfile) -> None:
    stops = [stop] if isinstance(stop, str) else stop
    if not isinstance(stops, list | tuple) or not all(isinstance(s, str) for s in stops):
        raise InvalidParameterError(
            f"stop must be a string or a list of strings, got {stop!r}", param="stop"
        )
    limit = host.stop_cap
    if limit is not None and len(stops) > limit:
        raise InvalidParameterError(
            f"Kimi accepts at most {limit} stop sequences here, got {len(stops)}", param="stop"
        )
    for text in stops:
        if len(text.encode("utf-8")) > MAX_STOP_BYTES:
            raise InvalidParameterError(
                f"each stop sequence may have at most {MAX_STOP_BYTES} bytes, got {text!r}",
                param="stop",
            )


def _check_parts(messages: list[Any], info: ModelInfo | None) -> None:
    """Images or video to a model the catalog knows does not take them; a document part
    left unread (the clients read them before preparing)."""
    limited = info if info is not None and not (info.image_input and info.video_input) else None
    for index, message in enumerate(messages):
        content = message.get("content")
        if not isinstance(content, list):
            continue
        for part in content:
            kind = part.get("type") if isinstance(part, Mapping) else None
            if kind == "document":
                raise InvalidParameterError(
                    f"message {index} holds a document, which Kimi reads through its Files "
                    "API: send it with KimiClient.chat / chat_stream (they read it first), "
                    "not in a prepared request or a batch line",
                    param="messages",
                )
            if limited is not None and (
                (kind == "image_url" and not limited.image_input)
                or (kind == "video_url" and not limited.video_input)
            ):
                what = "images" if kind == "image_url" else "video"
                raise InvalidParameterError(
                    f"{limited.id} does not take {what} (message {index}); use a model with "
                    f"{what} input, such as kimi-k2.6",
                    param="messages",
                )


def _check_n(payload: Mapping[str, Any]) -> None:
    n = payload.get("n")
    if n is not None and (not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= MAX_N):
        raise InvalidParameterError(
            f"Kimi accepts an integer 1 <= n <= {MAX_N}, got n={n!r}", param="n"
        )
    if n is not None and n > 1 and payload.get("stream"):
        # A package choice (docs/kimi-api/chat.md, "Package choices"): the stream readers
        # and both frameworks' streaming types carry one answer.
        raise InvalidParameterError(
            f"n={n} cannot be streamed: a stream carries one choice; ask without streaming "
            "for several choices",
            param="n",
        )


def _check_partial(last: Mapping[str, Any], payload: Mapping[str, Any]) -> None:
    """Partial mode: the prefix is an assistant message, and JSON mode cannot follow it."""
    if last.get("role") != "assistant":
        raise InvalidParameterError(
            "partial mode needs the last message to be an assistant message",
            param="messages",
        )
    response_format = payload.get("response_format")
    kind = response_format.get("type") if isinstance(response_format, dict) else None
    if kind in ("json_object", "json_schema"):
        raise InvalidParameterError(
            f"partial mode cannot be combined with response_format {kind}",
            param="response_format",
        )


def prepare_chat_payload(
    payload: dict[str, Any],
    *,
    model_optional: bool | None = None,
    dialect: str | None = None,
    host: HostProfile | None = None,
) -> dict[str, Any]:
    """Check and normalise ``payload`` in place (and return it), for ``host`` (a profile of
    ``kimi_core.catalog.hosts``; ``dialect``, its name, as earlier releases passed it;
    Moonshot's when neither is given). Raises ``InvalidParameterError`` naming the field for
    anything the host would reject."""
    host = _host(host if host is not None else dialect)
    if model_optional is None:
        model_optional = host.model_optional
    for key in [k for k, v in payload.items() if v is None]:
        del payload[key]
    messages = _check_messages(payload.get("messages"))
    model = payload.get("model")
    if model is None and not model_optional:
        raise InvalidParameterError(
            "model is required (only gateways whose URL names the model, such as Cloudsway, "
            "may omit it)",
            param="model",
        )
    info = model_traits(model, host)
    strict_sampling = bool(payload.pop("strict_sampling", False))
    _prompt_cache(payload, host)
    choice = apply_thinking(payload, info, host)
    if host.platform:
        apply_fixed_sampling(info, payload, choice.thinks, strict=strict_sampling)
    _check_output_limit(payload, host)
    if "stop" in payload:
        _check_stop(payload["stop"], host)
    _check_n(payload)
    payload.pop("parallel_tool_calls", None)
    if messages[-1].get("partial"):
        _check_partial(messages[-1], payload)
    _check_parts(messages, info)
    tools = payload.get("tools")
    if tools is not None:
        if not isinstance(tools, list):
            raise InvalidParameterError("tools must be a list of tool definitions", param="tools")
        payload["tools"] = check_tools(tools)
    if "tool_choice" in payload:
        apply_tool_choice(payload, info, bool(choice.thinks), host)
    if payload.get("response_format") is not None:
        use_schema_instruction(payload, info, host)
        _normalize_response_schema(payload)
    payload["messages"] = prepare_messages(
        payload["messages"], thinks=choice.thinks, preserves=choice.preserves, host=host
    )
    if host.strict_fields:
        _only_standard_fields(payload, host)
    return payload


def _prompt_cache(payload: dict[str, Any], host: HostProfile) -> None:
    """``prompt_cache_ttl`` (``"5m"`` / ``"1h"``) into Moonshot's
    ``prompt_cache_options: {"ttl"}`` (``docs/kimi-api/models.md`` §9; the value is the
    server's to judge). A Moonshot platform field: refused on other hosts rather than sent
    where nothing reads it."""
    ttl = payload.pop("prompt_cache_ttl", None)
    if ttl is not None:
        payload["prompt_cache_options"] = {
            **(payload.get("prompt_cache_options") or {}),
            "ttl": ttl,
        }
    if "prompt_cache_options" in payload and not host.platform:
        raise InvalidParameterError(
            f"prompt cache options are Moonshot's platform's; gateway {host.name!r} does not "
            "take them",
            param="prompt_cache_options",
        )


def _normalize_response_schema(payload: dict[str, Any]) -> None:
    """A ``json_schema`` response format's schema in Moonshot's dialect, as tool schemas are
    (``kimi_core.chat.schema``); the caller's dict is not changed."""
    response_format = payload["response_format"]
    if not isinstance(response_format, Mapping) or response_format.get("type") != "json_schema":
        return
    spec = response_format.get("json_schema")
    schema = spec.get("schema") if isinstance(spec, Mapping) else None
    if isinstance(schema, Mapping):
        normalized = normalize_schema(schema)
        if normalized is not schema:
            payload["response_format"] = {
                **response_format,
                "json_schema": {**spec, "schema": normalized},  # type: ignore[dict-item]
            }


# Fields Moonshot's API adds to OpenAI's chat completions; a host that refuses unknown fields
# (Azure: "Extra inputs are not permitted", docs/kimi-api/hosts.md) must not see them.
_MOONSHOT_FIELDS = ("prompt_cache_key", "prompt_cache_options")


def _only_standard_fields(payload: dict[str, Any], host: HostProfile) -> None:
    for key in _MOONSHOT_FIELDS:
        payload.pop(key, None)
    if any(m.get("partial") for m in payload["messages"] if isinstance(m, Mapping)):
        raise InvalidParameterError(
            f"gateway {host.name!r} takes no partial mode (Moonshot's assistant prefix)",
            param="messages",
        )


class PreparedChat(NamedTuple):
    """A chat request checked and encoded for one model (``prepare_chat``): sending it does
    not check or encode it again."""

    payload: dict[str, Any]
    body: bytes
    stream: bool


ChatInput = Union["ChatRequest", Mapping[str, Any], PreparedChat]


def prepare_chat(
    request: ChatInput, *, stream: bool, host: HostProfile | None = None
) -> PreparedChat:
    """``request`` as it would be sent: checked and normalised for its model
    (``prepare_chat_payload``) and encoded. A ``PreparedChat`` is taken as it is, if it was
    prepared for the same ``stream``. What the clients' ``prepare`` and every send use, and
    the batch writer too."""
    if isinstance(request, PreparedChat):
        if request.stream is not stream:
            raise InvalidParameterError(
                f"this request was prepared with stream={request.stream}: prepare it "
                f"again to send it with stream={stream}",
                param="stream",
            )
        return request
    # A ChatRequest (the typed request) gives its payload; anything else is a mapping.
    to_payload = getattr(request, "to_payload", None)
    payload = to_payload() if to_payload is not None else dict(request)
    host = _host(host)
    if stream:
        payload["stream"] = True
        if host.stream_usage and "stream_options" not in payload:
            # The host's stream carries no usage unless asked (docs/kimi-api/hosts.md).
            payload["stream_options"] = {"include_usage": True}
    else:
        payload.pop("stream", None)
    prepare_chat_payload(payload, host=host)
    return PreparedChat(payload, encode_json(payload), stream)


# Moonshot's gateway answers an HTML 504 to a non-streaming call that has produced nothing
# for 900 s ("use streaming", docs/kimi-api/errors-and-limits.md, "Long calls"); K3 at its
# higher efforts thinks for minutes, and a long answer takes as long.
LONG_OUTPUT_TOKENS = 32_768
_SHORT_EFFORTS = ("low", "none", "minimal")


def runs_long(payload: Mapping[str, Any], host: HostProfile) -> bool:
    """Whether a prepared non-streaming request on Moonshot's platform may outlast the
    gateway's 900 s: a model that reasons by effort at a high one (its default is ``max``),
    or an output limit of ``LONG_OUTPUT_TOKENS`` or more. Then the client streams it and
    folds the stream into the same answer (``KimiClient.chat``)."""
    if not host.platform or (payload.get("n") or 1) > 1:
        return False
    limit = payload.get("max_completion_tokens") or payload.get("max_tokens") or 0
    if isinstance(limit, int) and limit >= LONG_OUTPUT_TOKENS:
        return True
    info = model_traits(payload.get("model"), host)
    return (
        info is not None
        and info.thinking == "effort"
        and payload.get("reasoning_effort") not in _SHORT_EFFORTS
    )


def streamed_twin(prepared: PreparedChat) -> PreparedChat:
    """The same prepared request, asking for a stream."""
    payload = {**prepared.payload, "stream": True}
    return PreparedChat(payload, encode_json(payload), True)
