"""LangChain messages <-> Kimi, as field mappings onto ``kimi_core``'s messages and answers.

Outbound, each LangChain message is read for its role, text, reasoning, tool calls and name,
and handed to ``kimi_core.chat.messages``' constructors, which know Kimi's rules (reasoning sent
back on tool-call turns, JSON-string arguments, partial mode). Inbound, ``kimi_core.wire.answer``
has already read the answer (text, reasoning, the user's tool calls, usage); this module
builds LangChain's ``AIMessage`` from it. Nothing here indexes into Kimi's JSON.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    ChatMessage,
    HumanMessage,
    InvalidToolCall,
    SystemMessage,
    ToolMessage,
)
from langchain_core.messages.ai import InputTokenDetails, OutputTokenDetails, UsageMetadata
from langchain_core.messages.tool import ToolCall

from kimi_core.integration import (
    Answer,
    InvalidParameterError,
    UsageCounts,
    assistant_message,
    decode_arguments,
    finish_partial,
    image_part,
    media_url_from_base64,
    system_message,
    text_part,
    tool_call,
    tool_message,
    user_message,
    video_part,
)

from ._documents import file_part

__all__ = [
    "PROVIDER",
    "answer_to_message",
    "message_to_wire",
    "messages_to_wire",
    "parse_tool_calls",
    "partial_prefix",
    "request_messages",
    "usage_metadata",
]

PROVIDER = "kimi"
# LangChain's role names (``ChatMessage.role``) to Kimi's.
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


def _media_url(block: Mapping[str, Any], kind: str) -> str:
    """The URL of an image or video block in any LangChain format (OpenAI's ``image_url`` /
    ``video_url`` parts, v1 and v0 blocks): base64 data, a Kimi file id, or a URL."""
    wire_key = f"{kind}_url"
    if block.get("type") == wire_key:
        value = block.get(wire_key)
        url = value.get("url") if isinstance(value, Mapping) else value
        if not isinstance(url, str):
            raise InvalidParameterError(f"{wire_key} part without a url", param=wire_key)
        return url
    data = block.get("base64")
    if data is None and block.get("source_type") == "base64":
        data = block.get("data")
    if isinstance(data, str):
        default = "image/png" if kind == "image" else "video/mp4"
        return media_url_from_base64(data, str(block.get("mime_type") or default))
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
        f"{kind} block needs base64 data, a Kimi file id or a data:/ms:// url", param=wire_key
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
            parts.append(image_part(_media_url(item, "image")))
        elif kind in ("video_url", "video"):
            parts.append(video_part(_media_url(item, "video")))
        elif kind == "file" and role == "user":
            parts.append(file_part(item))  # read through the Files API (``_documents``)
        else:
            raise InvalidParameterError(
                f"Kimi does not accept {kind!r} content in a {role} message; send text, "
                "images (base64 or ms:// ids) or, in a user message, file blocks (read "
                "through Kimi's Files API)",
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


def _assistant_to_wire(message: AIMessage, keep_reasoning: bool) -> dict[str, Any]:
    text, reasoning = _assistant_text_and_reasoning(message)
    calls = [tool_call(call["id"], call["name"], call["args"]) for call in message.tool_calls]
    calls.extend(
        tool_call(call["id"], call["name"] or "", call["args"] or "")
        for call in message.invalid_tool_calls
    )
    details = message.additional_kwargs.get("reasoning_details")
    return assistant_message(
        text,
        reasoning=reasoning,
        tool_calls=calls,
        name=message.name,
        keep_reasoning=keep_reasoning,
        reasoning_details=details if isinstance(details, list) else None,
    )


def message_to_wire(
    message: BaseMessage,
    call_names: Mapping[str, str] | None = None,
    *,
    keep_reasoning: bool = False,
) -> dict[str, Any]:
    """One LangChain message as a Kimi wire message (partial mode is set by the caller);
    ``keep_reasoning``: the request keeps earlier reasoning (preserved thinking)."""
    if isinstance(message, AIMessage):
        return _assistant_to_wire(message, keep_reasoning)
    if isinstance(message, HumanMessage):
        return user_message(_content_parts(message.content, "user"), message.name)
    if isinstance(message, SystemMessage):
        return system_message(_text_only(message.content, "system"), message.name)
    if isinstance(message, ToolMessage):
        name = message.name or (call_names or {}).get(message.tool_call_id)
        return tool_message(message.tool_call_id, _content_parts(message.content, "tool"), name)
    if isinstance(message, ChatMessage):
        role = _ROLES.get(message.role)
        if role is None or role == "tool":
            raise InvalidParameterError(
                f"Kimi does not accept a message with role {message.role!r}", param="messages"
            )
        if role == "system":
            return system_message(_text_only(message.content, role), message.name)
        if role == "assistant":
            return assistant_message(_text_only(message.content, role), name=message.name)
        return user_message(_content_parts(message.content, role), message.name)
    raise InvalidParameterError(
        f"Kimi does not accept {type(message).__name__}; use system, human, AI and tool messages",
        param="messages",
    )


def request_messages(
    messages: Sequence[BaseMessage], *, keep_reasoning: bool = False
) -> tuple[list[dict[str, Any]], str | None]:
    """The ``messages`` array of a request and the partial-mode prefix (None when the last
    message is not an assistant prefix for Kimi to continue)."""
    call_names: dict[str, str] = {}
    wire_messages: list[dict[str, Any]] = []
    for message in messages:
        wire = message_to_wire(message, call_names, keep_reasoning=keep_reasoning)
        for call in wire.get("tool_calls", ()):
            call_names[call["id"]] = call["function"]["name"]
        wire_messages.append(wire)
    return wire_messages, finish_partial(wire_messages)


def messages_to_wire(messages: Sequence[BaseMessage]) -> list[dict[str, Any]]:
    """``request_messages`` without the prefix."""
    return request_messages(messages)[0]


def partial_prefix(messages: Sequence[BaseMessage]) -> str | None:
    """The prefix Kimi continues when the last message is an assistant message (partial mode)."""
    if not messages:
        return None
    return finish_partial([message_to_wire(messages[-1])])


# -- answers: core -> LangChain -------------------------------------------------------------


def usage_metadata(usage: UsageCounts) -> UsageMetadata:
    """``UsageCounts`` as LangChain's ``UsageMetadata`` (details only where given)."""
    metadata = UsageMetadata(
        input_tokens=usage["prompt_tokens"],
        output_tokens=usage["completion_tokens"],
        total_tokens=usage["total_tokens"],
    )
    if "cached_tokens" in usage or "cache_write_tokens" in usage:
        details = InputTokenDetails()
        if "cached_tokens" in usage:
            details["cache_read"] = usage["cached_tokens"]
        if "cache_write_tokens" in usage:  # Moonshot's explicit cache writes
            details["cache_creation"] = usage["cache_write_tokens"]
        metadata["input_token_details"] = details
    if "reasoning_tokens" in usage:
        metadata["output_token_details"] = OutputTokenDetails(reasoning=usage["reasoning_tokens"])
    return metadata


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
        args = decode_arguments(arguments)
        if isinstance(args, str):
            invalid.append(
                InvalidToolCall(
                    type="invalid_tool_call",
                    name=name,
                    args=arguments,
                    id=raw.get("id"),
                    error=args,
                )
            )
        else:
            calls.append(ToolCall(type="tool_call", name=name, args=args, id=raw.get("id")))
    return calls, invalid


def answer_to_message(
    answer: Answer,
    *,
    model: str | None,
    completion_id: str | None,
    system_fingerprint: str | None,
    usage: UsageMetadata | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> AIMessage:
    """One choice of an answer as an ``AIMessage``. Empty fields are left to their
    defaults: fewer fields for pydantic to validate, the same message."""
    response_metadata: dict[str, Any] = {
        "model_provider": PROVIDER,
        "model_name": model,
        "finish_reason": answer.finish_reason,
        "id": completion_id,
        "system_fingerprint": system_fingerprint,
    }
    if metadata:
        response_metadata.update(metadata)
    fields: dict[str, Any] = {"response_metadata": response_metadata}
    if answer.reasoning is not None:
        fields["additional_kwargs"] = {"reasoning_content": answer.reasoning}
    if answer.reasoning_details:  # OpenRouter's: replayed unchanged on the next turn
        fields.setdefault("additional_kwargs", {})["reasoning_details"] = answer.reasoning_details
    if answer.tool_calls:
        calls, invalid = parse_tool_calls(answer.tool_calls)
        if calls:
            fields["tool_calls"] = calls
        if invalid:
            fields["invalid_tool_calls"] = invalid
    if usage is not None:
        fields["usage_metadata"] = usage
    if completion_id is not None:
        fields["id"] = completion_id
    return AIMessage(content=answer.text, **fields)
