"""Documents in messages (issue 26): read through the Files API (file-extract) before the chat
request, their text in a system message, the upload deleted unless kept; over real HTTP."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from kimi_core import AsyncKimiClient, InvalidParameterError, KimiClient
from kimi_core.chat.content import document_part, text_part
from kimi_core.chat.request import prepare_chat_payload
from kimi_emulator import KimiEmulator

REPORT = b"Quarterly report: revenue grew 12 percent."


def _request(*parts: dict[str, Any]) -> dict[str, Any]:
    return {"model": "kimi-k2.6", "messages": [{"role": "user", "content": list(parts)}]}


def _chats(emu: KimiEmulator) -> list[Any]:
    return [r.json for r in emu.requests if r.path.endswith("/chat/completions")]


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_document_is_read_and_its_upload_deleted(kimi_emulator: KimiEmulator, mode: str) -> None:
    request = _request(document_part(data=REPORT, filename="q3.txt"), text_part("Summarize it."))
    if mode == "sync":
        with KimiClient("sk-test", kimi_emulator.base_url) as client:
            client.chat(request)
    else:

        async def run() -> None:
            async with AsyncKimiClient("sk-test", kimi_emulator.base_url) as client:
                await client.chat(request)

        asyncio.run(run())
    (sent,) = _chats(kimi_emulator)
    assert sent["messages"] == [
        {"role": "system", "content": "Document q3.txt:\n\n" + REPORT.decode()},
        {"role": "user", "content": [{"type": "text", "text": "Summarize it."}]},
    ]
    assert kimi_emulator.files == []  # the upload was deleted once read


def test_a_kept_upload_stays_and_an_uploaded_file_is_read_as_it_is(
    kimi_emulator: KimiEmulator, tmp_path: Path
) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes(b"Meeting notes: ship on Friday.")
    with KimiClient("sk-test", kimi_emulator.base_url) as client:
        stream = client.chat_stream(_request(document_part(path=str(path), keep=True)))
        with stream:
            for _ in stream:
                pass
        (kept,) = kimi_emulator.files
        client.chat(_request(document_part(file_id=kept["id"]), text_part("When?")))
    assert [f["id"] for f in kimi_emulator.files] == [kept["id"]]  # the caller's file stays
    first, second = _chats(kimi_emulator)
    assert first["messages"] == [{"role": "system", "content": "Meeting notes: ship on Friday."}]
    assert second["messages"][0] == {"role": "system", "content": "Meeting notes: ship on Friday."}


def test_text_documents_need_no_upload_and_unread_ones_are_refused(
    kimi_emulator: KimiEmulator,
) -> None:
    with KimiClient("sk-test", kimi_emulator.base_url) as client:
        client.chat(_request(document_part(text="plain words"), text_part("Count them.")))
    assert [r.path for r in kimi_emulator.requests] == ["/v1/chat/completions"]
    with pytest.raises(InvalidParameterError, match="reads through its Files API"):
        prepare_chat_payload(_request(document_part(text="x")))
    with pytest.raises(InvalidParameterError, match="exactly one of data, path, file_id or text"):
        document_part(data=b"x", text="y")
