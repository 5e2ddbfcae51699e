"""LangChain messages <-> Kimi wire dicts, stream chunks -> ``AIMessageChunk``, usage.

Everything here is plain dict work: requests are built as dicts (no per-call pydantic request
validation), answers are read from the decoded dict the core validated them from
(``ChatCompletion.wire_dict()``) and stream chunks are plain dicts. The only pydantic objects
built here are LangChain's own message classes, given only the fields an answer has; text and
reasoning stream chunks skip their no-op validation (``text_generation_chunk``).

Wire facts used (shared/kimi-api-facts.md):
- assistant tool-call messages must carry their ``reasoning_content`` when thinking is on;
- tool messages carry ``name`` and the call's exact ``tool_call_id`` (``get_distance:0``);
- partial mode: the last message ``{"role": "assistant", "content": prefix, "partial": true}``
  (optional ``name``); the reply does not repeat the prefix, the client prepends it;
- images are base64 ``data:`` URLs or ``ms://<file_id>``; plain http URLs are rejected.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    ChatMessage,
    HumanMessage,
    InvalidToolCall,
    SystemMessage,
    ToolMessage,
)
from langchain_core.messages.ai import InputTokenDetails, OutputTokenDetails, UsageMetadata
from langchain_core.messages.tool import ToolCall, ToolCallChunk
from langchain_core.outputs import ChatGenerationChunk

from kimi_core.builtin_tools import is_builtin_call
from kimi_core.content import image_part, image_url_from_base64, text_part
from kimi_core.errors import InvalidParameterError
from kimi_core.unvalidated import is_plain_model, unvalidated_builder
from kimi_core.usage import UsageCounts

__all__ = [
    "PROVIDER",
    "join_rounds",
    "message_to_wire",
    "messages_to_wire",
    "partial_prefix",
    "usage_metadata",
    "wire_choice_to_message",
    "wire_reasoning",
    "wire_text",
]

PROVIDER = "kimi"
_ROLES = {
    "human": "user",
    "user": "user",
    "ai": "assistant",
    "assistant": "assistant",
    "system": "system",
    "developer": "system",
    "tool": "tool",
}
# Content parts of an assistant message that carry no text for Kimi (Anthropic, v1 blocks).
_REASONING_TYPES = ("reasoning", "thinking")

# -- requests: LangChain -> wire -----------------------------------------------------------


def _image_url(block: Mapping[str, Any]) -> str:
    """The URL of an image block in any LangChain format (OpenAI, v1, v0)."""
    if block.get("type") == "image_url":
        value = block.get("image_url")
        url = value.get("url") if isinstance(value, Mapping) else value
        if not isinstance(url, str):
            raise InvalidParameterError("image_url part without a url", param="image_url")
        return url
    data = block.get("base64")
    if data is None and block.get("source_type") == "base64":
        data = block.get("data")
    if isinstance(data, str):
        return image_url_from_base64(data, str(block.get("mime_type") or "image/png"))
    file_id = block.get("file_id")
    if file_id is None and block.get("source_type") == "id":
        file_id = block.get("id")
    if isinstance(file_id, str):
        return file_id if file_id.startswith("ms://") else f"ms://{file_id}"
    url = block.get("url")
    if url is None and block.get("source_type") == "url":
        url = block.get("data")
    if isinstance(url, str):
        return url
    raise InvalidParameterError(
        "image block needs base64 data, a Kimi file id or a data:/ms:// url", param="image_url"
    )


def _content_parts(content: str | list[Any], role: str) -> str | list[dict[str, Any]]:
    """User/tool content: a string, or Kimi parts (text, image_url, video_url)."""
    if isinstance(content, str):
        return content
    parts: list[dict[str, Any]] = []
    for item in content:
        if isinstance(item, str):
            parts.append(text_part(item))
            continue
        kind = item.get("type")
        if kind in ("text", "text-plain") or (kind is None and "text" in item):
            parts.append(text_part(str(item.get("text", ""))))
        elif kind in ("image_url", "image"):
            parts.append(image_part(_image_url(item)))
        elif kind == "video_url":
            parts.append(dict(item))
        else:
            raise InvalidParameterError(
                f"Kimi does not accept {kind!r} content in a {role} message; send text, "
                "images (base64 or ms:// ids) or, for documents, upload them with "
                "KimiFileLoader and send the extracted text",
                param="messages",
            )
    if all(part["type"] == "text" for part in parts):
        return "".join(part["text"] for part in parts) if role == "tool" else parts
    return parts


def _text_only(content: str | list[Any], role: str) -> str:
    """System content: Kimi takes a string."""
    if isinstance(content, str):
        return content
    texts: list[str] = []
    for item in content:
        if isinstance(item, str):
            texts.append(item)
        elif item.get("type") in ("text", "text-plain") or "text" in item:
            texts.append(str(item.get("text", "")))
        else:
            raise InvalidParameterError(
                f"a {role} message can only hold text for Kimi, got a {item.get('type')!r} part",
                param="messages",
            )
    return "".join(texts)


def _assistant_text_and_reasoning(message: AIMessage) -> tuple[str, str | None]:
    """Text and reasoning of an assistant message, from string or block content."""
    reasoning = message.additional_kwargs.get("reasoning_content")
    content = message.content
    if isinstance(content, str):
        return content, reasoning if isinstance(reasoning, str) else None
    texts: list[str] = []
    thoughts: list[str] = []
    for item in content:
        if isinstance(item, str):
            texts.append(item)
            continue
        kind = item.get("type")
        if kind == "text":
            texts.append(str(item.get("text", "")))
        elif kind in _REASONING_TYPES:
            thoughts.append(str(item.get("reasoning") or item.get("thinking") or ""))
        # tool_call / tool_use / tool_call_chunk blocks are sent from message.tool_calls.
    if not isinstance(reasoning, str):
        reasoning = "".join(thoughts) if thoughts else None
    return "".join(texts), reasoning


def _arguments(args: Any) -> str:
    return args if isinstance(args, str) else json.dumps(args, ensure_ascii=False)


def _assistant_to_wire(message: AIMessage) -> dict[str, Any]:
    text, reasoning = _assistant_text_and_reasoning(message)
    wire: dict[str, Any] = {"role": "assistant", "content": text}
    calls: list[dict[str, Any]] = [
        {
            "id": call["id"],
            "type": "function",
            "function": {"name": call["name"], "arguments": _arguments(call["args"])},
        }
        for call in message.tool_calls
    ]
    calls.extend(
        {
            "id": call["id"],
            "type": "function",
            "function": {"name": call["name"], "arguments": call["args"] or ""},
        }
        for call in message.invalid_tool_calls
    )
    if calls:
        wire["tool_calls"] = calls
        # Kimi's thinking models answer 400 without it (kimi-api-facts.md, "Thinking").
        if reasoning is not None:
            wire["reasoning_content"] = reasoning
    if message.name:
        wire["name"] = message.name
    return wire


def message_to_wire(
    message: BaseMessage, call_names: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """One LangChain message as a Kimi wire message (partial mode is set by the caller)."""
    if isinstance(message, AIMessage):
        return _assistant_to_wire(message)
    if isinstance(message, HumanMessage):
        wire: dict[str, Any] = {
            "role": "user",
            "content": _content_parts(message.content, "user"),
        }
    elif isinstance(message, SystemMessage):
        wire = {"role": "system", "content": _text_only(message.content, "system")}
    elif isinstance(message, ToolMessage):
        wire = {
            "role": "tool",
            "tool_call_id": message.tool_call_id,
            "content": _content_parts(message.content, "tool"),
        }
        name = message.name or (call_names or {}).get(message.tool_call_id)
        if name:
            wire["name"] = name
        return wire
    elif isinstance(message, ChatMessage):
        role = _ROLES.get(message.role)
        if role is None or role == "tool":
            raise InvalidParameterError(
                f"Kimi does not accept a message with role {message.role!r}", param="messages"
            )
        content = (
            _text_only(message.content, role)
            if role in ("system", "assistant")
            else _content_parts(message.content, role)
        )
        wire = {"role": role, "content": content}
    else:
        raise InvalidParameterError(
            f"Kimi does not accept {type(message).__name__}; use system, human, AI and tool "
            "messages",
            param="messages",
        )
    if message.name:
        wire["name"] = message.name
    return wire


def messages_to_wire(messages: Sequence[BaseMessage]) -> list[dict[str, Any]]:
    """The ``messages`` array of a request.

    A trailing ``AIMessage`` without tool calls is a partial-mode prefix: it is sent with
    ``partial: true`` (and its ``name``, if any) so Kimi continues it.
    """
    call_names: dict[str, str] = {}
    wire_messages: list[dict[str, Any]] = []
    for message in messages:
        wire = message_to_wire(message, call_names)
        for call in wire.get("tool_calls", ()):
            call_names[call["id"]] = call["function"]["name"]
        wire_messages.append(wire)
    if wire_messages and partial_prefix(messages) is not None:
        wire_messages[-1]["partial"] = True
    return wire_messages


def partial_prefix(messages: Sequence[BaseMessage]) -> str | None:
    """The prefix Kimi continues when the last message is an assistant message (partial mode)."""
    if not messages:
        return None
    last = messages[-1]
    if not isinstance(last, AIMessage) or last.tool_calls or last.invalid_tool_calls:
        return None
    return _assistant_text_and_reasoning(last)[0]


# -- usage ----------------------------------------------------------------------------------


def usage_metadata(usage: UsageCounts) -> UsageMetadata:
    """``UsageCounts`` as LangChain's ``UsageMetadata`` (details only where given)."""
    metadata = UsageMetadata(
        input_tokens=usage["prompt_tokens"],
        output_tokens=usage["completion_tokens"],
        total_tokens=usage["total_tokens"],
    )
    if "cached_tokens" in usage:
        metadata["input_token_details"] = InputTokenDetails(cache_read=usage["cached_tokens"])
    if "reasoning_tokens" in usage:
        metadata["output_token_details"] = OutputTokenDetails(reasoning=usage["reasoning_tokens"])
    return metadata


# -- answers: wire -> LangChain -------------------------------------------------------------


def parse_tool_calls(
    raw_calls: Sequence[Mapping[str, Any]],
) -> tuple[list[ToolCall], list[InvalidToolCall]]:
    """Wire tool calls to LangChain's; arguments that are not a JSON object become invalid
    tool calls (never an exception). Ids are kept exactly."""
    calls: list[ToolCall] = []
    invalid: list[InvalidToolCall] = []
    for raw in raw_calls:
        function = raw.get("function") or {}
        name = function.get("name") or ""
        arguments = function.get("arguments") or ""
        call_id = raw.get("id")
        try:
            args = json.loads(arguments) if arguments.strip() else {}
        except ValueError as exc:
            invalid.append(
                InvalidToolCall(
                    type="invalid_tool_call",
                    name=name,
                    args=arguments,
                    id=call_id,
                    error=f"arguments are not valid JSON: {exc}",
                )
            )
            continue
        if not isinstance(args, dict):
            invalid.append(
                InvalidToolCall(
                    type="invalid_tool_call",
                    name=name,
                    args=arguments,
                    id=call_id,
                    error="arguments are not a JSON object",
                )
            )
            continue
        calls.append(ToolCall(type="tool_call", name=name, args=args, id=call_id))
    return calls, invalid


ROUND_SEPARATOR = "\n\n"


def join_rounds(before: str, now: str) -> str:
    """Text of successive builtin-tool rounds, separated by a blank line."""
    return before + ROUND_SEPARATOR + now if before and now else before + now


_NO_MESSAGE: Mapping[str, Any] = {}  # a choice without a message (read-only)


def wire_text(message: Mapping[str, Any]) -> str:
    """The text of a wire message ("" when there is none), read as ``kimi_core``'s
    ``Message.text`` reads it: a string, or the ``text`` parts of a part list."""
    content = message.get("content")
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    return "".join(str(p.get("text", "")) for p in content if p.get("type") == "text")


def wire_reasoning(message: Mapping[str, Any]) -> str | None:
    """The reasoning of a wire message, from whichever field the gateway used (AceData sends
    the ``reasoning`` twin; as ``kimi_core``'s ``Message.reasoning_text``)."""
    reasoning = message.get("reasoning_content")
    return reasoning if reasoning is not None else message.get("reasoning")


def wire_choice_to_message(
    choice: Mapping[str, Any],
    *,
    model: str | None,
    completion_id: str | None,
    system_fingerprint: str | None,
    prefix: str | None = None,
    reasoning_before: str = "",
    text_before: str = "",
    usage: UsageMetadata | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> AIMessage:
    """One choice of an answer, as the decoded wire dict, as an ``AIMessage``.

    Plain dict reads (the dict the core validated the answer from: no ``model_dump``).
    ``prefix`` is the partial-mode prefix (prepended: Kimi does not repeat it);
    ``reasoning_before`` and ``text_before`` carry what earlier ``$web_search`` rounds
    produced. Builtin tool calls are never shown to the user. Empty fields are left to their
    defaults: fewer fields for pydantic to validate, the same message.
    """
    message = choice.get("message") or _NO_MESSAGE
    text = join_rounds(text_before, wire_text(message))
    if prefix:
        text = prefix + text
    thought = wire_reasoning(message)
    if reasoning_before:
        thought = join_rounds(reasoning_before, thought or "")
    response_metadata: dict[str, Any] = {
        "model_provider": PROVIDER,
        "model_name": model,
        "finish_reason": choice.get("finish_reason"),
        "id": completion_id,
        "system_fingerprint": system_fingerprint,
    }
    if metadata:
        response_metadata.update(metadata)
    fields: dict[str, Any] = {"response_metadata": response_metadata}
    if thought is not None:
        fields["additional_kwargs"] = {"reasoning_content": thought}
    raw_calls = message.get("tool_calls")
    if raw_calls:
        calls, invalid = parse_tool_calls(
            [c for c in raw_calls if not is_builtin_call(_call_name(c))]
        )
        if calls:
            fields["tool_calls"] = calls
        if invalid:
            fields["invalid_tool_calls"] = invalid
    if usage is not None:
        fields["usage_metadata"] = usage
    if completion_id is not None:
        fields["id"] = completion_id
    return AIMessage(content=text, **fields)


def _call_name(call: Mapping[str, Any]) -> str | None:
    function = call.get("function")
    return function.get("name") if isinstance(function, Mapping) else None


# -- text and reasoning chunks without re-validation ------------------------------------------
#
# A 2,000-token stream builds 2,000 ``AIMessageChunk``s and ``ChatGenerationChunk``s. Their
# validated constructors cost about 5 µs per chunk (pydantic validation, LangChain's
# ``AIMessage.__init__``, three model validators and ``set_text``), which was the largest share
# of what this adapter added to a stream. For a chunk with only text and/or reasoning, every
# one of those validators is a no-op (langchain-core 1.x, ``messages/ai.py``):
# ``_backwards_compat_tool_calls`` acts on ``tool_calls`` / ``tool_call_chunks`` keys,
# ``init_tool_calls`` on non-empty ``tool_call_chunks`` / ``tool_calls``,
# ``init_server_tool_calls`` on list content with ``chunk_position="last"``; ``set_text`` copies
# ``message.text``, which is read here the same way. So those chunks are built with
# ``kimi_core.unvalidated.unvalidated_builder``: equal to validated ones field for field, with the
# same ``model_fields_set`` (tests/langchain/unit_tests/test_lc_hot_path.py compares them). The
# shortcut is taken only while both classes have exactly the fields and validators accounted
# for here; otherwise (another langchain-core) the validated constructors build them. Chunks
# with tool-call fragments always go through validation.

_FAST_CHUNKS = is_plain_model(
    AIMessageChunk,
    (
        "content",
        "additional_kwargs",
        "response_metadata",
        "type",
        "name",
        "id",
        "tool_calls",
        "invalid_tool_calls",
        "usage_metadata",
        "tool_call_chunks",
        "chunk_position",
    ),
    {"_backwards_compat_tool_calls", "init_tool_calls", "init_server_tool_calls"},
) and is_plain_model(
    ChatGenerationChunk, ("text", "generation_info", "type", "message"), {"set_text"}
)
_build_message_chunk = unvalidated_builder(AIMessageChunk)
_build_generation_chunk = unvalidated_builder(ChatGenerationChunk)


def text_generation_chunk(
    content: str, additional_kwargs: dict[str, Any] | None
) -> ChatGenerationChunk:
    """``ChatGenerationChunk(message=AIMessageChunk(content=content,
    additional_kwargs=additional_kwargs, response_metadata={"model_provider": PROVIDER}))``
    (``additional_kwargs`` left out when None), built without re-validation when allowed."""
    if not _FAST_CHUNKS:
        fields: dict[str, Any] = {"response_metadata": {"model_provider": PROVIDER}}
        if additional_kwargs is not None:
            fields["additional_kwargs"] = additional_kwargs
        return ChatGenerationChunk(message=AIMessageChunk(content=content, **fields))
    if additional_kwargs is None:
        additional_kwargs = {}
        message_set = {"content", "response_metadata"}
    else:
        message_set = {"content", "additional_kwargs", "response_metadata"}
    message = _build_message_chunk(
        {
            "content": content,
            "additional_kwargs": additional_kwargs,
            "response_metadata": {"model_provider": PROVIDER},
            "type": "AIMessageChunk",
            "name": None,
            "id": None,
            "tool_calls": [],
            "invalid_tool_calls": [],
            "usage_metadata": None,
            "tool_call_chunks": [],
            "chunk_position": None,
        },
        message_set,
    )
    return _build_generation_chunk(
        {
            "text": message.text,  # what set_text gives: a str subclass (TextAccessor)
            "generation_info": None,
            "type": "ChatGenerationChunk",
            "message": message,
        },
        {"text", "message"},
    )


class ChunkConverter:
    """Stream chunk dicts to ``ChatGenerationChunk``s, hiding builtin (``$web_search``) calls.

    One instance per streamed round. This runs once per streamed token, so it is plain dict
    access, with the common chunks (only text, only reasoning) on their own short path that
    builds them without re-validation (``text_generation_chunk``). Returns ``None`` for chunks
    that carry nothing the user sees (role-only first chunk, usage-only chunk, builtin
    tool-call fragments).
    """

    __slots__ = ("_builtin", "_reasoning_gap", "_text_gap")

    def __init__(self, *, text_gap: bool = False, reasoning_gap: bool = False) -> None:
        self._builtin: set[int] = set()
        # After earlier builtin rounds that said something: start this round's text /
        # reasoning with ROUND_SEPARATOR, as join_rounds does on the invoke path.
        self._text_gap = text_gap
        self._reasoning_gap = reasoning_gap

    def generation(self, chunk: Mapping[str, Any]) -> ChatGenerationChunk | None:
        """The chunk as the ``ChatGenerationChunk`` LangChain's ``_stream`` yields."""
        choices = chunk.get("choices")
        if not choices:
            return None
        delta = choices[0].get("delta")
        if not delta:
            return None
        content = delta.get("content")
        reasoning = delta.get("reasoning_content")
        if delta.get("tool_calls"):
            message = self._with_tool_calls(content or "", reasoning, delta["tool_calls"])
            return None if message is None else ChatGenerationChunk(message=message)
        if reasoning:
            if self._reasoning_gap:
                reasoning = ROUND_SEPARATOR + reasoning
                self._reasoning_gap = False
            if content and self._text_gap:
                content = ROUND_SEPARATOR + content
                self._text_gap = False
            return text_generation_chunk(content or "", {"reasoning_content": reasoning})
        if content:
            if self._text_gap:
                content = ROUND_SEPARATOR + content
                self._text_gap = False
            return text_generation_chunk(content, None)
        return None

    def _with_tool_calls(
        self, content: str, reasoning: str | None, raw_calls: Sequence[Mapping[str, Any]]
    ) -> AIMessageChunk | None:
        """A chunk with tool-call fragments (builtin ones dropped), or None if nothing is left
        to show."""
        tool_call_chunks: list[ToolCallChunk] = []
        builtin = self._builtin
        for position, raw in enumerate(raw_calls):
            index = raw.get("index")
            if index is None:
                index = position
            function = raw.get("function") or {}
            name = function.get("name")
            if name and is_builtin_call(name):
                builtin.add(index)
            if index in builtin:
                continue
            tool_call_chunks.append(
                ToolCallChunk(
                    type="tool_call_chunk",
                    name=name,
                    args=function.get("arguments"),
                    id=raw.get("id"),
                    index=index,
                )
            )
        if not content and not reasoning and not tool_call_chunks:
            return None
        if content and self._text_gap:
            content = ROUND_SEPARATOR + content
            self._text_gap = False
        if reasoning and self._reasoning_gap:
            reasoning = ROUND_SEPARATOR + reasoning
            self._reasoning_gap = False
        fields: dict[str, Any] = {"response_metadata": {"model_provider": PROVIDER}}
        if reasoning:
            fields["additional_kwargs"] = {"reasoning_content": reasoning}
        if tool_call_chunks:
            fields["tool_call_chunks"] = tool_call_chunks
        return AIMessageChunk(content=content, **fields)
