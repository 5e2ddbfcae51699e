"""Standard (v1) content blocks for Kimi messages: a ``kimi`` block translator.

``AIMessage.content_blocks`` and ``output_version="v1"`` ask the translator registered for
``response_metadata["model_provider"]``. Ours emits the reasoning (from
``additional_kwargs["reasoning_content"]``), the text and the tool calls as separate blocks.

Streamed chunks get *distinct, stable string indices* per kind: ``lc_rs_0`` for reasoning,
``lc_txt_0`` for text and ``lc_tc_<wire index>`` for tool calls. LangChain merges streamed
blocks by index; with the default per-chunk counter a reasoning block and the first tool call
both get index 0 and merge into one broken block (the bug of ChatDeepSeek and
langchain-moonshot); string indices starting with ``lc_`` keep them apart.
"""

from __future__ import annotations

from typing import cast

from langchain_core.messages import AIMessage, AIMessageChunk
from langchain_core.messages import content as types
from langchain_core.messages.block_translators import register_translator

from ._messages import PROVIDER

__all__ = ["REASONING_INDEX", "TEXT_INDEX", "register", "tool_call_index"]

REASONING_INDEX = "lc_rs_0"
TEXT_INDEX = "lc_txt_0"


def tool_call_index(index: int | str | None) -> str:
    return f"lc_tc_{index if index is not None else 0}"


def _reasoning(message: AIMessage) -> str | None:
    reasoning = message.additional_kwargs.get("reasoning_content")
    return reasoning if isinstance(reasoning, str) and reasoning else None


def _content(message: AIMessage, index: str | None) -> list[types.ContentBlock]:
    content = message.content
    if isinstance(content, str):
        if not content:
            return []
        block: types.TextContentBlock = {"type": "text", "text": content}
        if index is not None:
            block["index"] = index
        return [block]
    blocks: list[types.ContentBlock] = []
    for item in content:
        if isinstance(item, str):
            blocks.append({"type": "text", "text": item})
        elif item.get("type") in types.KNOWN_BLOCK_TYPES and "source_type" not in item:
            blocks.append(cast("types.ContentBlock", item))
        else:
            blocks.append({"type": "non_standard", "value": item})
    return blocks


def _final_tool_calls(message: AIMessage) -> list[types.ContentBlock]:
    blocks: list[types.ContentBlock] = []
    for call in message.tool_calls:
        blocks.append(
            {"type": "tool_call", "id": call["id"], "name": call["name"], "args": call["args"]}
        )
    for bad in message.invalid_tool_calls:
        blocks.append(
            {
                "type": "invalid_tool_call",
                "id": bad["id"],
                "name": bad["name"],
                "args": bad["args"],
                "error": bad["error"],
            }
        )
    return blocks


def translate_content(message: AIMessage) -> list[types.ContentBlock]:
    """Blocks of a whole Kimi ``AIMessage``: reasoning, text, tool calls."""
    blocks: list[types.ContentBlock] = []
    has_reasoning = not isinstance(message.content, str) and any(
        isinstance(b, dict) and b.get("type") == "reasoning" for b in message.content
    )
    reasoning = None if has_reasoning else _reasoning(message)
    if reasoning is not None:
        blocks.append({"type": "reasoning", "reasoning": reasoning})
    blocks.extend(_content(message, None))
    # Block content that already lists a call (v1 content sent back) is not listed twice.
    listed = {b.get("id") for b in blocks if b.get("type") == "tool_call" and b.get("id")}
    blocks.extend(b for b in _final_tool_calls(message) if b.get("id") not in listed)
    return blocks


def translate_content_chunk(chunk: AIMessageChunk) -> list[types.ContentBlock]:
    """Blocks of one streamed chunk, each kind with its own stable index."""
    blocks: list[types.ContentBlock] = []
    reasoning = _reasoning(chunk)
    if reasoning is not None:
        blocks.append({"type": "reasoning", "reasoning": reasoning, "index": REASONING_INDEX})
    blocks.extend(_content(chunk, TEXT_INDEX))
    if chunk.chunk_position == "last":
        # An aggregated message: its tool calls are complete.
        blocks.extend(_final_tool_calls(chunk))
        return blocks
    for piece in chunk.tool_call_chunks:
        block: types.ToolCallChunk = {
            "type": "tool_call_chunk",
            "id": piece.get("id"),
            "name": piece.get("name"),
            "args": piece.get("args"),
            "index": tool_call_index(piece.get("index")),
        }
        blocks.append(block)
    return blocks


def register() -> None:
    """Register the ``kimi`` translator (idempotent)."""
    register_translator(PROVIDER, translate_content, translate_content_chunk)
