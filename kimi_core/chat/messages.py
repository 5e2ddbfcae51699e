"""Kimi's request messages, built from plain values: the adapters map their framework's
message types onto these constructors and never write a wire dict themselves.

Rules applied here (sources in ``docs/kimi-api/chat.md``):

- an assistant message that calls tools carries its ``reasoning_content`` whenever the
  reasoning is known (an empty string included): Kimi's thinking models answer 400
  "thinking is enabled but reasoning_content is missing in assistant tool call message at
  index N" without it;
- tool-call arguments travel as a JSON string; a string is sent unchanged (it is what the
  model produced, valid JSON or not);
- a tool message carries the exact ``tool_call_id`` of the call it answers (ids such as
  ``get_weather:0`` repeat across turns and are never rewritten) and the tool's ``name``;
- partial mode: a trailing assistant message without tool calls is a prefix Kimi continues:
  it is sent with ``partial: true`` and the reply does not repeat it (``finish_partial``).

``prepare_messages`` (run on every request, ``docs/kimi-api/models.md`` §3, §10, §12) then
makes any history, other providers' included, acceptable:

- ``content`` is left out of an assistant tool-call message with no text (Kimi answers 400
  "text content is empty" to an empty one);
- on a request that thinks, an assistant tool-call message without ``reasoning_content``
  gets ``""`` (Kimi answers 400 "thinking is enabled but reasoning_content is missing"; a
  history from another provider has none to send, and Moonshot's own client sends empty
  strings); with preserved thinking, every assistant message gets it;
- a tool-call id over 64 characters (other providers' ids) is shortened the same way in the
  call and in the tool message answering it; Kimi's own ids are never rewritten.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..catalog.hosts import HostProfile

__all__ = [
    "MAX_TOOL_CALL_ID",
    "assistant_message",
    "finish_partial",
    "prepare_messages",
    "shorten_tool_call_id",
    "system_message",
    "tool_call",
    "tool_message",
    "user_message",
]

MAX_TOOL_CALL_ID = 64

Content = str | list[dict[str, Any]]


def _named(message: dict[str, Any], name: str | None) -> dict[str, Any]:
    if name:
        message["name"] = name
    return message


def system_message(text: str, name: str | None = None) -> dict[str, Any]:
    return _named({"role": "system", "content": text}, name)


def user_message(content: Content, name: str | None = None) -> dict[str, Any]:
    """``content``: a string, or parts from ``kimi_core.chat.content`` (text, image, video)."""
    return _named({"role": "user", "content": content}, name)


def tool_call(
    call_id: str | None, name: str, arguments: Any, kind: str = "function"
) -> dict[str, Any]:
    """One call of an assistant message; dict (or other JSON) arguments are encoded."""
    if not isinstance(arguments, str):
        arguments = json.dumps(arguments if arguments is not None else {}, ensure_ascii=False)
    return {"id": call_id, "type": kind, "function": {"name": name, "arguments": arguments}}


def assistant_message(
    content: Content,
    *,
    reasoning: str | None = None,
    tool_calls: Iterable[Mapping[str, Any]] = (),
    name: str | None = None,
    keep_reasoning: bool = False,
    reasoning_details: list[Any] | None = None,
) -> dict[str, Any]:
    """An earlier assistant turn. Its reasoning goes back on tool-call turns, and on every
    turn when the request keeps earlier reasoning (``keep_reasoning``: preserved thinking,
    ``kimi_core.chat.thinking.preserves_thinking``). ``reasoning_details``: the list a host
    answered with (OpenRouter), replayed unchanged where the host reads it
    (``prepare_messages`` drops it elsewhere)."""
    message: dict[str, Any] = {"role": "assistant", "content": content}
    calls = list(tool_calls)
    if calls:
        message["tool_calls"] = calls
    if reasoning is not None and (calls or keep_reasoning):
        message["reasoning_content"] = reasoning
    if reasoning_details:
        message["reasoning_details"] = reasoning_details
    return _named(message, name)


def tool_message(call_id: str, content: Content, name: str | None = None) -> dict[str, Any]:
    return _named({"role": "tool", "tool_call_id": call_id, "content": content}, name)


def finish_partial(messages: list[dict[str, Any]]) -> str | None:
    """Mark a trailing assistant prefix for partial mode; return the prefix (else None)."""
    if not messages:
        return None
    last = messages[-1]
    if last.get("role") != "assistant" or "tool_calls" in last:
        return None
    last["partial"] = True
    content = last.get("content")
    return content if isinstance(content, str) else ""


def shorten_tool_call_id(call_id: str) -> str:
    """A tool-call id Kimi accepts: ids over 64 characters become their first 47 characters
    and a hash of the whole (the same id always maps to the same result)."""
    if len(call_id) <= MAX_TOOL_CALL_ID:
        return call_id
    digest = hashlib.sha256(call_id.encode("utf-8")).hexdigest()[:16]
    return f"{call_id[: MAX_TOOL_CALL_ID - 17]}_{digest}"


def _empty_content(content: Any) -> bool:
    if content is None or content == "":
        return True
    if isinstance(content, list):
        return all(
            isinstance(part, Mapping) and part.get("type") == "text" and not part.get("text")
            for part in content
        )
    return False


def prepare_messages(
    messages: list[Any],
    *,
    thinks: bool | None,
    preserves: bool,
    host: HostProfile | None = None,
) -> list[Any]:
    """The messages as Kimi accepts them (module docstring); the same list when nothing
    changes, else a new one (the caller's dicts are never changed). ``host``: reasoning goes
    back under the keys it reads (``HostProfile.reasoning_back``: vLLM reads only
    ``reasoning``), ``reasoning_details`` only where it is read."""
    messages = _prepare(messages, thinks, preserves)
    if host is not None and (host.reasoning_back != _MOONSHOT_BACK or not host.reasoning_details):
        messages = _reasoning_keys(messages, host)
    return messages


_MOONSHOT_BACK = ("reasoning_content",)


def _reasoning_keys(messages: list[Any], host: HostProfile) -> list[Any]:
    """Each assistant message's reasoning under ``host.reasoning_back``; its
    ``reasoning_details`` kept only where the host replays them."""
    result: list[Any] | None = None
    for index, message in enumerate(messages):
        if message.get("role") != "assistant":
            continue
        reasoning = message.get("reasoning_content")
        details = "reasoning_details" in message and not host.reasoning_details
        if not details and (
            reasoning is None
            or (
                all(message.get(key) == reasoning for key in host.reasoning_back)
                and ("reasoning_content" in host.reasoning_back)
            )
        ):
            continue
        fixed = {k: v for k, v in message.items() if k not in ("reasoning_content", "reasoning")}
        if details:
            fixed.pop("reasoning_details", None)
        if reasoning is not None:
            for key in host.reasoning_back:
                fixed[key] = reasoning
        if result is None:
            result = list(messages)
        result[index] = fixed
    return result if result is not None else messages


def _prepare(messages: list[Any], thinks: bool | None, preserves: bool) -> list[Any]:
    result: list[Any] | None = None
    long_ids = False
    for index, message in enumerate(messages):
        # (prepare_chat_payload checked these are message mappings)
        if message.get("role") != "assistant":
            continue
        calls = message.get("tool_calls")
        fixed: dict[str, Any] | None = None
        if calls:
            if "content" in message and _empty_content(message["content"]):
                fixed = {k: v for k, v in message.items() if k != "content"}
            if thinks and message.get("reasoning_content") is None:
                fixed = fixed or dict(message)
                fixed["reasoning_content"] = ""
            long_ids = long_ids or any(
                isinstance(call, Mapping) and len(str(call.get("id") or "")) > MAX_TOOL_CALL_ID
                for call in calls
            )
        elif preserves and message.get("reasoning_content") is None:
            fixed = {**message, "reasoning_content": ""}
        if fixed is not None:
            if result is None:
                result = list(messages)
            result[index] = fixed
    if long_ids:
        result = _shorten_ids(result if result is not None else list(messages))
    return result if result is not None else messages


def _shorten_ids(messages: list[Any]) -> list[Any]:
    for index, message in enumerate(messages):
        if not isinstance(message, Mapping):
            continue
        if message.get("role") == "assistant" and message.get("tool_calls"):
            calls = [
                {**call, "id": shorten_tool_call_id(str(call["id"]))}
                if isinstance(call, Mapping) and len(str(call.get("id") or "")) > MAX_TOOL_CALL_ID
                else call
                for call in message["tool_calls"]
            ]
            messages[index] = {**message, "tool_calls": calls}
        elif message.get("role") == "tool":
            call_id = message.get("tool_call_id")
            if isinstance(call_id, str) and len(call_id) > MAX_TOOL_CALL_ID:
                messages[index] = {**message, "tool_call_id": shorten_tool_call_id(call_id)}
    return messages
