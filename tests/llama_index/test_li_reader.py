"""``KimiFileReader``: uploads with purpose file-extract, Documents of the extracted text."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import fsspec
import httpx
import pytest
from li_helpers import API_KEY
from llama_index.core import SimpleDirectoryReader
from llama_index.core.schema import MetadataMode

from kimi_core.errors import BadRequestError, InternalServerError, InvalidParameterError
from kimi_emulator import KimiEmulator
from llama_index_kimi import KimiFileReader

NOTES = "Kimi reads files.\n第二行。"
README = "# Title\n\nSome *markdown*."


@pytest.fixture
def files(tmp_path: Path) -> list[Path]:
    notes = tmp_path / "notes.txt"
    notes.write_text(NOTES, encoding="utf-8")
    readme = tmp_path / "readme.md"
    readme.write_text(README, encoding="utf-8")
    return [notes, readme]


@pytest.fixture
async def make_reader(emu: KimiEmulator) -> AsyncIterator[Callable[..., KimiFileReader]]:
    made: list[KimiFileReader] = []

    def factory(**kwargs: Any) -> KimiFileReader:
        reader = KimiFileReader(api_key=API_KEY, base_url=emu.base_url, max_retries=0, **kwargs)
        made.append(reader)
        return reader

    yield factory
    for reader in made:
        reader.close()
        await reader.aclose()


@pytest.fixture
def reader(make_reader: Callable[..., KimiFileReader]) -> KimiFileReader:
    return make_reader()


def test_load_data_uploads_and_returns_documents(
    files: list[Path], emu: KimiEmulator, reader: KimiFileReader
) -> None:
    docs = reader.load_data(files)
    uploaded = emu.files
    assert [d.text for d in docs] == [NOTES, README]
    assert [d.metadata for d in docs] == [
        {
            "file_name": "notes.txt",
            "file_path": str(files[0]),
            "file_id": uploaded[0]["id"],
            "size": len(NOTES.encode()),
        },
        {
            "file_name": "readme.md",
            "file_path": str(files[1]),
            "file_id": uploaded[1]["id"],
            "size": len(README.encode()),
        },
    ]
    assert [f["purpose"] for f in uploaded] == ["file-extract", "file-extract"]
    # Kimi's bookkeeping stays out of embeddings and prompts.
    assert "file_id" not in docs[0].get_metadata_str(MetadataMode.EMBED)
    assert "file_id" not in docs[0].get_metadata_str(MetadataMode.LLM)


def test_single_path_and_extra_info(files: list[Path], reader: KimiFileReader) -> None:
    docs = reader.load_data(str(files[0]), extra_info={"team": "research"})
    assert len(docs) == 1
    assert docs[0].metadata["team"] == "research"
    assert docs[0].text == NOTES


def test_delete_after(
    files: list[Path], emu: KimiEmulator, make_reader: Callable[..., KimiFileReader]
) -> None:
    reader = make_reader(delete_after=True)
    docs = reader.load_data(files)
    assert [d.text for d in docs] == [NOTES, README]
    assert emu.files == []
    deletes = [r.path for r in emu.requests if r.method == "DELETE"]
    assert deletes == [f"/v1/files/{d.metadata['file_id']}" for d in docs]


async def test_aload_data_keeps_order_and_deletes(
    files: list[Path], emu: KimiEmulator, make_reader: Callable[..., KimiFileReader]
) -> None:
    reader = make_reader(delete_after=True)
    docs = await reader.aload_data(files)
    assert [d.text for d in docs] == [NOTES, README]
    assert [d.metadata["file_name"] for d in docs] == ["notes.txt", "readme.md"]
    assert emu.files == []


def test_aload_data_in_two_asyncio_runs(
    files: list[Path], emu: KimiEmulator, make_reader: Callable[..., KimiFileReader]
) -> None:
    """Each loop gets its own pool (no "Event loop is closed" on the second run)."""
    reader = make_reader(delete_after=True)
    first = asyncio.run(reader.aload_data(files[0]))
    second = asyncio.run(reader.aload_data(files[1]))
    assert [d.text for d in first + second] == [NOTES, README]
    assert emu.files == []


def test_as_simple_directory_reader_file_extractor(
    files: list[Path], emu: KimiEmulator, reader: KimiFileReader
) -> None:
    directory = SimpleDirectoryReader(
        input_dir=str(files[0].parent), file_extractor={".txt": reader, ".md": reader}
    )
    docs = sorted(directory.load_data(), key=lambda d: d.metadata["file_name"])
    assert [d.text for d in docs] == [NOTES, README]
    assert {d.metadata["file_id"] for d in docs} == {f["id"] for f in emu.files}
    assert docs[0].metadata["file_size"] == len(NOTES.encode())  # SimpleDirectoryReader's own


def test_fsspec_filesystem_is_read_through(emu: KimiEmulator, reader: KimiFileReader) -> None:
    fs = fsspec.filesystem("memory")
    fs.pipe("/li-reader/remote.txt", b"from a remote filesystem")
    docs = reader.load_data("/li-reader/remote.txt", fs=fs)
    assert docs[0].text == "from a remote filesystem"
    assert docs[0].metadata["file_name"] == "remote.txt"
    assert emu.files[0]["filename"] == "remote.txt"


def test_missing_file_fails_before_any_request(
    tmp_path: Path, emu: KimiEmulator, reader: KimiFileReader
) -> None:
    with pytest.raises(InvalidParameterError, match="cannot upload") as info:
        reader.load_data(tmp_path / "absent.pdf")
    assert info.value.param == "file"
    assert emu.requests == []


def test_unreadable_file_is_a_typed_error_and_nothing_is_left(
    tmp_path: Path, emu: KimiEmulator, make_reader: Callable[..., KimiFileReader]
) -> None:
    blob = tmp_path / "data.bin"
    blob.write_bytes(bytes(range(256)))
    reader = make_reader(delete_after=True)
    with pytest.raises(BadRequestError):
        reader.load_data(blob)
    assert emu.files == []


def test_repr_has_no_key(emu: KimiEmulator) -> None:
    reader = KimiFileReader(api_key="sk-reader-secret", base_url=emu.base_url)
    assert "sk-reader-secret" not in repr(reader)
    assert repr(reader) == f"KimiFileReader(base_url={emu.base_url!r}, delete_after=False)"


def test_upload_is_deleted_even_when_reading_fails() -> None:
    seen: list[tuple[str, str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append((request.method, request.url.path))
        if request.method == "POST":
            return httpx.Response(200, json={"id": "cfile0001", "bytes": 3, "filename": "a.txt"})
        if request.method == "DELETE":
            return httpx.Response(200, json={"id": "cfile0001", "deleted": True})
        return httpx.Response(500, json={"error": {"message": "boom", "type": "server_error"}})

    reader = KimiFileReader(
        api_key=API_KEY,
        base_url="https://api.moonshot.cn/v1",
        max_retries=0,
        delete_after=True,
        http_client=httpx.Client(transport=httpx.MockTransport(handler)),
    )
    with pytest.raises(InternalServerError, match="boom"):
        reader.load_data(Path(__file__))
    assert seen == [
        ("POST", "/v1/files"),
        ("GET", "/v1/files/cfile0001/content"),
        ("DELETE", "/v1/files/cfile0001"),
    ]
