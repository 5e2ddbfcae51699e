"""Issue 26: LangChain ``file`` content blocks are read through Kimi's Files API
(file-extract), their text sent in a system message, the upload deleted unless kept (over the
emulator, real HTTP)."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import HumanMessage
from langchain_core.messages.content import create_file_block

from kimi_emulator import KimiEmulator
from langchain_kimi import ChatKimi

MakeLLM = Callable[..., ChatKimi]
REPORT = b"Quarterly report: revenue grew 12 percent."
B64 = base64.b64encode(REPORT).decode()


def _calls(emu: KimiEmulator) -> list[tuple[str, str]]:
    """Method and path of every request, file ids as ``{id}``."""
    return [(r.method, re.sub(r"/files/[^/]+", "/files/{id}", r.path)) for r in emu.requests]


def _chat(emu: KimiEmulator) -> Any:
    [chat] = [r.json for r in emu.requests if r.path == "/v1/chat/completions"]
    return chat


BLOCKS = {
    "v1": create_file_block(base64=B64, mime_type="text/plain", filename="q3.txt"),
    "v0": {
        "type": "file",
        "source_type": "base64",
        "data": B64,
        "mime_type": "text/plain",
        "filename": "q3.txt",
    },
    "openai": {
        "type": "file",
        "file": {"file_data": f"data:text/plain;base64,{B64}", "filename": "q3.txt"},
    },
    "data-url": {"type": "file", "url": f"data:text/plain;base64,{B64}", "filename": "q3.txt"},
}


@pytest.mark.parametrize("form", sorted(BLOCKS))
def test_a_file_block_is_uploaded_read_sent_and_deleted(
    emu: KimiEmulator, make_llm: MakeLLM, form: str
) -> None:
    message = HumanMessage(content=[BLOCKS[form], {"type": "text", "text": "Summarize it."}])
    make_llm().invoke([message])
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


async def test_a_path_block_kept_with_keep_uploaded_files(
    emu: KimiEmulator, make_llm: MakeLLM, tmp_path: Path
) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes(b"Meeting notes: ship on Friday.")
    llm = make_llm(keep_uploaded_files=True)
    await llm.ainvoke([HumanMessage(content=[{"type": "file", "path": str(path)}, "When?"])])
    [kept] = emu.files
    assert kept["purpose"] == "file-extract"
    assert kept["filename"] == "notes.txt"
    assert _chat(emu)["messages"][0] == {
        "role": "system",
        "content": "Meeting notes: ship on Friday.",
    }
    assert [r.method for r in emu.requests].count("DELETE") == 0


def test_an_uploaded_file_id_is_read_and_never_deleted(
    emu: KimiEmulator, make_llm: MakeLLM
) -> None:
    llm = make_llm()
    uploaded = llm.client.files.upload(REPORT, filename="r.txt", purpose="file-extract")
    llm.invoke([HumanMessage(content=[create_file_block(file_id=uploaded.id), "Summary?"])])
    assert _chat(emu)["messages"][0]["content"] == REPORT.decode()
    assert [f["id"] for f in emu.files] == [uploaded.id]


def test_a_plain_url_is_refused_before_any_request(emu: KimiEmulator, make_llm: MakeLLM) -> None:
    from kimi_core.errors import InvalidParameterError

    block = {"type": "file", "url": "https://example.com/report.pdf"}
    with pytest.raises(InvalidParameterError, match="does not fetch URLs"):
        make_llm().invoke([HumanMessage(content=[block])])
    assert emu.requests == []


def test_a_streamed_call_reads_the_document_too(emu: KimiEmulator, make_llm: MakeLLM) -> None:
    message = HumanMessage(content=[BLOCKS["v1"], "Summarize it."])
    text = "".join(str(chunk.content) for chunk in make_llm(thinking=False).stream([message]))
    assert text.startswith("You said")
    assert _chat(emu)["messages"][0] == {
        "role": "system",
        "content": "Document q3.txt:\n\n" + REPORT.decode(),
    }
    assert emu.files == []
