"""Translation between LlamaIndex chat types and Kimi's wire dicts, both directions.

Outbound: ``ChatMessage`` blocks become one Kimi message each (text, ``image_url`` parts,
``reasoning_content`` from ``ThinkingBlock``, ``tool_calls`` from ``ToolCallBlock``). Inbound: a
validated ``ChatCompletion`` becomes a ``ChatResponse``; streamed chunk dicts are folded into
cumulative ``ChatResponse``s by ``StreamFolder`` with plain dict access.

Nothing here does I/O: ``base.Kimi`` calls these helpers around the core's clients.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from llama_index.core.base.llms.types import (
    CachePoint,
    ChatMessage,
    ChatResponse,
    ContentBlock,
    ImageBlock,
    MessageRole,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
)
from llama_index.core.llms.llm import ToolSelection
from llama_index.core.llms.utils import parse_partial_json

from kimi_core.catalog import get_model_info
from kimi_core.content import image_part, image_url_from_base64
from kimi_core.cost import cost_of
from kimi_core.errors import InvalidParameterError, MalformedResponseError
from kimi_core.unvalidated import is_plain_model, unvalidated_builder
from kimi_core.usage import normalize_usage

if TYPE_CHECKING:
    # kimi_core.stream imports httpx; only its accumulator's type is needed here.
    from kimi_core.stream import StreamAccumulator
    from kimi_core.types import ChatCompletion

__all__ = [
    "StreamFolder",
    "chat_response_from_completion",
    "parse_tool_arguments",
    "pricing_model",
    "to_kimi_messages",
    "tool_selections",
    "usage_kwargs",
]

# LlamaIndex roles to the four Kimi accepts.
_ROLES: dict[str, str] = {
    "system": "system",
    "developer": "system",
    "user": "user",
    "assistant": "assistant",
    "chatbot": "assistant",
    "model": "assistant",
    "tool": "tool",
    "function": "tool",
}


# --------------------------------------------------------------------------- outbound


def _image_url(block: ImageBlock) -> str:
    """A Kimi image URL for ``block``: its ``url`` (checked by ``image_part``) or a data URL."""
    if block.url is not None:
        return str(block.url)
    if block.image is None and block.path is None:
        raise InvalidParameterError("ImageBlock has no image, path or url", param="messages")
    data = block.resolve_image(as_base64=True).read().decode()
    return image_url_from_base64(data, block.image_mimetype or "image/png")


def _wire_arguments(arguments: Any) -> str:
    """Tool-call arguments as the JSON string Kimi expects; strings are sent unchanged."""
    if isinstance(arguments, str):
        return arguments
    return json.dumps(arguments if arguments is not None else {}, ensure_ascii=False)


def _block_tool_call(block: ToolCallBlock, index: int) -> dict[str, Any]:
    if not block.tool_call_id:
        raise InvalidParameterError(
            f"message {index}: tool call {block.tool_name!r} has no tool_call_id; Kimi needs "
            "the id it sent to match the tool result",
            param="messages",
        )
    return {
        "id": block.tool_call_id,
        "type": "function",
        "function": {"name": block.tool_name, "arguments": _wire_arguments(block.tool_kwargs)},
    }


def _legacy_tool_call(call: Any) -> dict[str, Any]:
    """An ``additional_kwargs["tool_calls"]`` entry (dict or OpenAI-SDK object) as a wire dict."""
    if not isinstance(call, Mapping):
        call = call.model_dump() if hasattr(call, "model_dump") else dict(call)
    function = call.get("function") or {}
    return {
        "id": call.get("id"),
        "type": call.get("type") or "function",
        "function": {
            "name": function.get("name") or "",
            "arguments": _wire_arguments(function.get("arguments")),
        },
    }


def _to_kimi_message(message: ChatMessage, index: int) -> dict[str, Any]:
    role = _ROLES.get(message.role.value)
    if role is None:
        raise InvalidParameterError(
            f"message {index}: role {message.role.value!r} has no Kimi equivalent "
            "(use system, user, assistant or tool)",
            param="messages",
        )
    texts: list[str] = []
    parts: list[dict[str, Any]] = []
    media = False
    reasoning: list[str] = []
    calls: list[dict[str, Any]] = []
    for block in message.blocks:
        if isinstance(block, TextBlock):
            texts.append(block.text)
            parts.append({"type": "text", "text": block.text})
        elif isinstance(block, ImageBlock):
            parts.append(image_part(_image_url(block)))
            media = True
        elif isinstance(block, ThinkingBlock):
            if block.content:
                reasoning.append(block.content)
        elif isinstance(block, ToolCallBlock):
            calls.append(_block_tool_call(block, index))
        elif isinstance(block, CachePoint):
            continue  # Kimi caches context by itself; there is no cache marker to send.
        else:
            raise InvalidParameterError(
                f"message {index}: {type(block).__name__} is not supported by Kimi (send text, "
                "ImageBlock, ThinkingBlock or ToolCallBlock; upload documents with "
                "KimiFileReader and send their text)",
                param="messages",
            )
    wire: dict[str, Any] = {"role": role, "content": parts if media else "".join(texts)}
    extra = message.additional_kwargs
    if role == "assistant":
        if not calls and extra.get("tool_calls"):
            calls = [_legacy_tool_call(call) for call in extra["tool_calls"]]
        if calls:
            wire["tool_calls"] = calls
            # Kimi's thinking models answer 400 when an earlier tool-call turn lacks its
            # reasoning (kimi-api-facts.md, "Thinking"), so it always goes back with the calls.
            text = "".join(reasoning) or extra.get("reasoning_content")
            if text:
                wire["reasoning_content"] = text
    elif role == "tool":
        call_id = extra.get("tool_call_id")
        if not call_id:
            raise InvalidParameterError(
                f"message {index}: a tool message needs additional_kwargs['tool_call_id'] "
                "(the id of the call it answers)",
                param="messages",
            )
        wire["tool_call_id"] = call_id
    name = extra.get("name")
    if isinstance(name, str) and name:
        wire["name"] = name
    return wire


def to_kimi_messages(messages: Sequence[ChatMessage]) -> tuple[list[dict[str, Any]], str | None]:
    """Wire messages plus the partial-mode prefix (``None`` when not in partial mode).

    A trailing assistant message without tool calls is a prefix to continue: it is sent with
    ``partial: true`` and Kimi's reply does not repeat it (kimi-api-facts.md, "partial mode").
    """
    wire = [_to_kimi_message(message, i) for i, message in enumerate(messages)]
    prefix: str | None = None
    if wire:
        last = wire[-1]
        if last["role"] == "assistant" and "tool_calls" not in last:
            last["partial"] = True
            content = last["content"]
            prefix = content if isinstance(content, str) else ""
    return wire, prefix


# --------------------------------------------------------------------------- inbound


def pricing_model(response_model: str | None, requested_model: str | None) -> str | None:
    """The catalog name to price a response with: the served model when the catalog knows it
    (gateways answer with their own names, e.g. ``MaaS_Kimi_K2.5_20260127``), else the
    requested one."""
    if response_model is not None and get_model_info(response_model) is not None:
        return response_model
    return requested_model


def usage_kwargs(usage: Mapping[str, Any] | None, model: str | None) -> dict[str, Any]:
    """Token counts (the keys llama-index-llms-openai reports) and ``cost`` for a response."""
    if not usage:
        return {}
    result: dict[str, Any] = normalize_usage(usage) or {}  # a fresh dict: ours to extend
    if not result.get("cached_tokens"):
        result.pop("cached_tokens", None)
    cost = cost_of(usage, model)
    if cost is not None:
        result["cost"] = cost.as_dict()
    return result


def _tool_call_block(call_id: str | None, name: str, arguments: str) -> ToolCallBlock:
    return ToolCallBlock(tool_call_id=call_id, tool_name=name, tool_kwargs=arguments)


def _wire_call(call_id: str | None, kind: str, name: str, arguments: str) -> dict[str, Any]:
    return {"id": call_id, "type": kind, "function": {"name": name, "arguments": arguments}}


# -- building the responses ---------------------------------------------------------------
#
# ``ChatMessage(...)`` costs ~2.7 µs and ``ChatResponse(...)`` ~1.3 µs (LlamaIndex's own
# ``__init__``, a model validator that runs again when the message is validated into the
# response, a copy of every list and dict), paid on every stream chunk. Their inputs here are
# already valid (built from validated or core-normalised data), so they are built with
# ``kimi_core.unvalidated.unvalidated_builder``: equal to validated ones, field for field, with
# the same ``model_fields_set`` (tests/llama_index/test_li_responses.py checks it). The
# shortcut is taken only while both classes still have exactly the fields and validators it
# accounts for (the one validator, ``legacy_additional_kwargs_image``, acts only on an
# ``images`` key, never set here); otherwise validation builds them.

_FAST_BUILD = is_plain_model(
    ChatMessage, ("role", "additional_kwargs", "blocks"), {"legacy_additional_kwargs_image"}
) and is_plain_model(
    ChatResponse, ("message", "raw", "delta", "logprobs", "additional_kwargs"), set()
)
_build_message = unvalidated_builder(ChatMessage)
_build_response = unvalidated_builder(ChatResponse)


def _response(
    blocks: list[ContentBlock],
    message_kwargs: dict[str, Any],
    raw: Any,
    additional: dict[str, Any],
    delta: str | None = None,
) -> ChatResponse:
    """The assistant ``ChatResponse`` both paths hand to LlamaIndex: what
    ``ChatResponse(message=ChatMessage(role=ASSISTANT, blocks=..., additional_kwargs=...),
    raw=..., additional_kwargs=...)`` builds, plus ``delta=...`` when it is not None."""
    if not _FAST_BUILD:
        message = ChatMessage(
            role=MessageRole.ASSISTANT, blocks=blocks, additional_kwargs=message_kwargs
        )
        if delta is None:
            return ChatResponse(message=message, raw=raw, additional_kwargs=additional)
        return ChatResponse(message=message, raw=raw, delta=delta, additional_kwargs=additional)
    message = _build_message(
        {"role": MessageRole.ASSISTANT, "additional_kwargs": message_kwargs, "blocks": blocks},
        {"role", "additional_kwargs", "blocks"},
    )
    values = {
        "message": message,
        "raw": raw,
        "delta": delta,
        "logprobs": None,
        "additional_kwargs": additional,
    }
    if delta is None:
        return _build_response(values, {"message", "raw", "additional_kwargs"})
    return _build_response(values, {"message", "raw", "delta", "additional_kwargs"})


def chat_response_from_completion(
    completion: ChatCompletion, prefix: str | None, requested_model: str | None
) -> ChatResponse:
    """A validated non-streaming answer as a ``ChatResponse``.

    ``raw`` is the decoded answer itself (``ChatCompletion.wire_dict``, not a dump of the
    model), with the usage at top-level ``usage`` (where ``TokenCountingHandler`` reads it)
    whichever place the gateway used: a shallow copy is made only when the usage has to be
    lifted there, so the core's dict is never changed.
    """
    if not completion.choices:
        raise MalformedResponseError("chat answer has no choices", body=str(completion)[:500])
    choice = completion.choices[0]
    message = choice.message
    text = message.text
    if prefix:
        text = prefix + text
    blocks: list[ContentBlock] = []
    reasoning = message.reasoning_text
    if reasoning:
        blocks.append(ThinkingBlock(content=reasoning))
    calls = message.tool_calls
    if text or not calls:
        blocks.append(TextBlock(text=text))
    message_kwargs: dict[str, Any] = {}
    if calls:
        wire_calls = []
        for call in calls:
            function = call.function
            name = (function.name if function is not None else None) or ""
            arguments = (function.arguments if function is not None else None) or ""
            blocks.append(_tool_call_block(call.id, name, arguments))
            wire_calls.append(_wire_call(call.id, call.type or "function", name, arguments))
        message_kwargs["tool_calls"] = wire_calls
    raw = completion.wire_dict()
    top = raw.get("usage")
    # ``ChatCompletion.usage_any``, read from the dicts: top-level, else the first choice's.
    usage = top if top is not None else raw["choices"][0].get("usage")
    if usage is not top:  # lifted from the choice
        raw = {**raw, "usage": usage}
    additional = usage_kwargs(usage, pricing_model(completion.model, requested_model))
    if choice.finish_reason is not None:
        additional["finish_reason"] = choice.finish_reason
    return _response(blocks, message_kwargs, raw, additional)


class StreamFolder:
    """Folds streamed chunk dicts into cumulative ``ChatResponse``s.

    Every response carries the whole message so far (thinking, text, every tool call
    accumulated by ``index`` with its arguments so far) and ``delta`` only the new text; the
    chunk's new reasoning goes to ``additional_kwargs["thinking_delta"]``, which
    ``FunctionAgent`` forwards as ``AgentStream.thinking_delta``. Tool calls are read from the
    core's ``StreamAccumulator``, which has already folded the chunk when it is handed over.
    In partial mode the prefix is the first delta.

    Per chunk only what the chunk changed is rebuilt (hot path: plain dict access): a block
    whose content did not change is the same object in consecutive responses (the thinking
    block while text streams, the tool-call blocks until a fragment of a call arrives), so a
    response is never changed afterwards by later chunks; each response gets its own block
    list and dicts.
    """

    __slots__ = (
        "_calls",
        "_model",
        "_pending",
        "_reasoning",
        "_state",
        "_text",
        "_text_block",
        "_thinking_block",
        "_wire_calls",
        "count",
    )

    def __init__(
        self, state: StreamAccumulator, prefix: str | None, requested_model: str | None
    ) -> None:
        self._state = state
        self._pending = prefix or ""
        self._text = ""
        self._reasoning = ""
        self._model = requested_model
        self._text_block = TextBlock(text="")
        self._thinking_block: ThinkingBlock | None = None
        self._calls: list[ToolCallBlock] = []
        self._wire_calls: list[dict[str, Any]] = []
        self.count = 0

    def fold(self, chunk: Mapping[str, Any]) -> ChatResponse:
        """The cumulative response after ``chunk``."""
        self.count += 1
        content = ""
        reasoning = ""
        fragments = None
        finish = None
        choices = chunk.get("choices")
        if choices:
            choice = choices[0]
            delta = choice.get("delta")
            if delta:
                content = delta.get("content") or ""
                reasoning = delta.get("reasoning_content") or ""
                fragments = delta.get("tool_calls")
            finish = choice.get("finish_reason")
        if self._pending:
            content = self._pending + content
            self._pending = ""
        if content:
            self._text += content
            self._text_block = TextBlock(text=self._text)
        if reasoning:
            self._reasoning += reasoning
            self._thinking_block = ThinkingBlock(content=self._reasoning)
        if fragments:
            self._rebuild_calls()
        thinking = self._thinking_block
        blocks: list[ContentBlock] = (
            [self._text_block] if thinking is None else [thinking, self._text_block]
        )
        message_kwargs: dict[str, Any] = {}
        if self._calls:
            blocks.extend(self._calls)
            message_kwargs["tool_calls"] = list(self._wire_calls)
        additional: dict[str, Any] = {}
        if reasoning:
            additional["thinking_delta"] = reasoning
        usage = chunk.get("usage")
        if usage:
            additional.update(usage_kwargs(usage, pricing_model(chunk.get("model"), self._model)))
        if finish:
            additional["finish_reason"] = finish
        return _response(blocks, message_kwargs, chunk, additional, content)

    def _rebuild_calls(self) -> None:
        """New blocks and wire dicts for the calls so far (a fragment of one just arrived);
        the earlier responses keep the previous ones."""
        calls = self._state.tool_calls_by_index
        blocks = []
        wire_calls = []
        for index in sorted(calls):
            call = calls[index]
            function = call["function"]
            name = function["name"]
            arguments = function["arguments"]
            blocks.append(_tool_call_block(call["id"], name, arguments))
            wire_calls.append(_wire_call(call["id"], call["type"], name, arguments))
        self._calls = blocks
        self._wire_calls = wire_calls


# --------------------------------------------------------------------------- tool calls


def parse_tool_arguments(arguments: Any) -> dict[str, Any]:
    """Tool-call arguments as a dict; partial JSON (mid-stream) is completed, and anything
    that is not a JSON object becomes ``{}`` rather than an exception, as in
    llama-index-llms-openai."""
    if isinstance(arguments, dict):
        return arguments
    if not isinstance(arguments, str) or not arguments.strip():
        return {}
    try:
        value = json.loads(arguments)
    except ValueError:
        try:
            value = parse_partial_json(arguments)
        except (ValueError, TypeError):
            return {}
    return value if isinstance(value, dict) else {}


def tool_selections(message: ChatMessage) -> list[ToolSelection]:
    """The tool calls of ``message``: its ``ToolCallBlock``s, else the older
    ``additional_kwargs["tool_calls"]``; ids exactly as Kimi sent them."""
    selections = [
        ToolSelection(
            tool_id=block.tool_call_id or "",
            tool_name=block.tool_name,
            tool_kwargs=parse_tool_arguments(block.tool_kwargs),
        )
        for block in message.blocks
        if isinstance(block, ToolCallBlock)
    ]
    if selections:
        return selections
    for call in message.additional_kwargs.get("tool_calls") or ():
        wire = _legacy_tool_call(call)
        selections.append(
            ToolSelection(
                tool_id=wire["id"] or "",
                tool_name=wire["function"]["name"],
                tool_kwargs=parse_tool_arguments(wire["function"]["arguments"]),
            )
        )
    return selections
