"""``KimiFileLoader`` against the emulator's Files API (upload, extract, delete)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from langchain_core.documents import Document
from langchain_core.exceptions import ModelAPIError, ModelInvalidRequestError
from lc_support import API_KEY

from kimi_core.client import KimiClient
from kimi_core.errors import InternalServerError, InvalidParameterError
from kimi_emulator import KimiEmulator
from langchain_kimi import ChatKimi, KimiFileLoader


@pytest.fixture
def files(tmp_path: Path) -> list[Path]:
    notes = tmp_path / "notes.md"
    notes.write_text("# Kimi\nLong context, 256K tokens.\n", encoding="utf-8")
    poem = tmp_path / "诗.txt"
    poem.write_text("床前明月光\n", encoding="utf-8")
    return [notes, poem]


def _expected(files: list[Path], ids: list[str]) -> list[Document]:
    return [
        Document(
            page_content=path.read_text(encoding="utf-8"),
            metadata={
                "source": str(path),
                "file_id": file_id,
                "file_name": path.name,
                "bytes": path.stat().st_size,
            },
        )
        for path, file_id in zip(files, ids, strict=True)
    ]


def test_load_keeps_uploads_by_default(emu: KimiEmulator, files: list[Path]) -> None:
    docs = KimiFileLoader(files, api_key=API_KEY, base_url=emu.base_url).load()
    ids = [f["id"] for f in emu.files]
    assert len(ids) == 2
    assert docs == _expected(files, ids)
    assert [f["purpose"] for f in emu.files] == ["file-extract", "file-extract"]


def test_load_with_delete_after_and_a_shared_client(emu: KimiEmulator, files: list[Path]) -> None:
    llm = ChatKimi(api_key=API_KEY, base_url=emu.base_url)
    loader = KimiFileLoader(files[0], delete_after=True, client=llm.client)
    docs = list(loader.lazy_load())
    assert [d.page_content for d in docs] == ["# Kimi\nLong context, 256K tokens.\n"]
    assert docs[0].metadata["file_id"].startswith("c")
    assert emu.files == []
    deletes = [r for r in emu.requests if r.method == "DELETE"]
    assert [r.path for r in deletes] == [f"/v1/files/{docs[0].metadata['file_id']}"]
    # The shared client is still usable: the loader closes only clients it made.
    assert llm.invoke("hi").content == "You said: hi"


async def test_async_load(emu: KimiEmulator, files: list[Path]) -> None:
    loader = KimiFileLoader(files, api_key=API_KEY, base_url=emu.base_url, delete_after=True)
    docs = await loader.aload()
    uploads = [r for r in emu.requests if r.method == "POST" and r.path == "/v1/files"]
    assert len(uploads) == 2
    assert [d.page_content for d in docs] == [p.read_text(encoding="utf-8") for p in files]
    assert [d.metadata["file_name"] for d in docs] == ["notes.md", "诗.txt"]
    assert emu.files == []
    streamed = [
        d
        async for d in KimiFileLoader(files[1], api_key=API_KEY, base_url=emu.base_url).alazy_load()
    ]
    assert streamed[0].metadata == {
        "source": str(files[1]),
        "file_id": emu.files[0]["id"],
        "file_name": "诗.txt",
        "bytes": len("床前明月光\n".encode()),
    }


def test_missing_file_fails_before_upload(emu: KimiEmulator, tmp_path: Path) -> None:
    loader = KimiFileLoader(tmp_path / "nope.pdf", api_key=API_KEY, base_url=emu.base_url)
    with pytest.raises(InvalidParameterError) as info:
        loader.load()
    assert isinstance(info.value, ModelInvalidRequestError)
    assert info.value.param == "file"
    assert emu.requests == []


def test_delete_after_also_when_extraction_fails(tmp_path: Path) -> None:
    """Narrow: the extraction answers 500 (MockTransport); the upload is still deleted."""
    seen: list[tuple[str, str]] = []

    def respond(request: httpx.Request) -> httpx.Response:
        seen.append((request.method, request.url.path))
        if request.method == "POST":
            return httpx.Response(200, json={"id": "cfile1", "bytes": 3, "filename": "a.txt"})
        if request.url.path.endswith("/content"):
            return httpx.Response(500, json={"error": {"message": "boom", "type": "server_error"}})
        return httpx.Response(200, json={"id": "cfile1", "object": "file", "deleted": True})

    path = tmp_path / "a.txt"
    path.write_text("abc", encoding="utf-8")
    client = KimiClient(
        api_key=API_KEY,
        base_url="https://api.moonshot.cn/v1",
        max_retries=0,
        http_client=httpx.Client(transport=httpx.MockTransport(respond)),
    )
    with pytest.raises(InternalServerError) as info:
        KimiFileLoader(path, delete_after=True, client=client).load()
    assert isinstance(info.value, ModelAPIError)
    assert seen == [
        ("POST", "/v1/files"),
        ("GET", "/v1/files/cfile1/content"),
        ("DELETE", "/v1/files/cfile1"),
    ]
