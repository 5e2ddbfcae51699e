"""Issue 26: LlamaIndex ``DocumentBlock``s are read through Kimi's Files API (file-extract),
their text sent in a system message, the upload deleted unless kept (over the emulator, real
HTTP)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from llama_index.core.base.llms.types import ChatMessage, DocumentBlock, TextBlock

from kimi_core.errors import InvalidParameterError
from kimi_emulator import KimiEmulator
from llama_index_kimi import Kimi

MakeLLM = Callable[..., Kimi]
REPORT = b"Quarterly report: revenue grew 12 percent."


def _calls(emu: KimiEmulator) -> list[tuple[str, str]]:
    """Method and path of every request, file ids as ``{id}``."""
    return [(r.method, re.sub(r"/files/[^/]+", "/files/{id}", r.path)) for r in emu.requests]


def _chat(emu: KimiEmulator) -> Any:
    [chat] = [r.json for r in emu.requests if r.path == "/v1/chat/completions"]
    return chat


def _asked(block: DocumentBlock) -> list[ChatMessage]:
    return [ChatMessage(role="user", blocks=[block, TextBlock(text="Summarize it.")])]


def test_a_document_block_is_uploaded_read_sent_and_deleted(
    make_llm: MakeLLM, emu: KimiEmulator
) -> None:
    make_llm().chat(_asked(DocumentBlock(data=REPORT, title="q3.txt")))
    assert _chat(emu)["messages"] == [
        {"role": "system", "content": "Document q3.txt:\n\n" + REPORT.decode()},
        {"role": "user", "content": [{"type": "text", "text": "Summarize it."}]},
    ]
    assert _calls(emu) == [
        ("POST", "/v1/files"),
        ("GET", "/v1/files/{id}/content"),
        ("DELETE", "/v1/files/{id}"),
        ("POST", "/v1/chat/completions"),
    ]
    assert emu.files == []


async def test_a_path_block_streamed_and_kept_with_keep_uploaded_files(
    make_llm: MakeLLM, emu: KimiEmulator, tmp_path: Path
) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes(b"Meeting notes: ship on Friday.")
    llm = make_llm(keep_uploaded_files=True)
    stream = await llm.astream_chat(_asked(DocumentBlock(path=path)))
    async for _ in stream:
        pass
    [kept] = emu.files
    assert kept["purpose"] == "file-extract"
    assert kept["filename"] == "notes.txt"
    assert _chat(emu)["messages"][0] == {
        "role": "system",
        "content": "Document notes.txt:\n\nMeeting notes: ship on Friday.",
    }
    assert [method for method, _ in _calls(emu)].count("DELETE") == 0


def test_a_document_outside_a_user_message_is_refused(make_llm: MakeLLM, emu: KimiEmulator) -> None:
    block = DocumentBlock(data=REPORT, title="q3.txt")
    with pytest.raises(InvalidParameterError, match="DocumentBlock is not supported"):
        make_llm().chat([ChatMessage(role="system", blocks=[block])])
    assert emu.requests == []
