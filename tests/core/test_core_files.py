"""Files API: multipart uploads, checks before sending, content in both shapes, list/delete."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, Literal

import httpx
import pytest
from core_helpers import Recorder, async_client, json_response, sync_client

from kimi_core import (
    FileObject,
    FileTooLargeError,
    InternalServerError,
    InvalidParameterError,
    NotFoundError,
)
from kimi_core.resources.files import MAX_FILE_BYTES, ExtractedFile
from kimi_core.types import FileDeleted

FILE_ID = "cqh9bq5r5g6cq5bvsu1g"
FILE: dict[str, Any] = {
    "id": FILE_ID,
    "object": "file",
    "bytes": 11,
    "created_at": 1722000000,
    "filename": "notes.txt",
    "purpose": "file-extract",
    "status": "ok",
    "status_details": "",
}


def _multipart(request: httpx.Request) -> tuple[str, bytes]:
    content_type = request.headers["content-type"]
    assert content_type.startswith("multipart/form-data; boundary=")
    return content_type, request.content


def test_upload_path(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes(b"hello world")
    recorder = Recorder(json_response(FILE))
    uploaded = sync_client(recorder).files.upload(path)
    assert uploaded == FileObject.model_validate(FILE)
    (request,) = recorder.requests
    assert (request.method, request.url.path) == ("POST", "/v1/files")
    content_type, body = _multipart(request)
    assert "application/json" not in content_type
    boundary = content_type.split("boundary=")[1].encode()
    assert body.startswith(b"--" + boundary)
    assert b'name="purpose"\r\n\r\nfile-extract\r\n' in body
    assert b'name="file"; filename="notes.txt"' in body
    assert b"\r\n\r\nhello world\r\n" in body


def test_upload_bytes_with_filename_and_purpose() -> None:
    recorder = Recorder(json_response({**FILE, "filename": "cat.png", "purpose": "image"}))
    uploaded = sync_client(recorder).files.upload(b"\x89PNG...", "image", filename="cat.png")
    assert (uploaded.filename, uploaded.purpose) == ("cat.png", "image")
    _, body = _multipart(recorder.requests[0])
    assert b'name="purpose"\r\n\r\nimage\r\n' in body
    assert b'filename="cat.png"' in body
    assert b"\x89PNG..." in body


def test_upload_bytes_needs_filename() -> None:
    with pytest.raises(InvalidParameterError) as caught:
        sync_client(Recorder()).files.upload(b"data")
    assert caught.value.param == "filename"


def test_upload_directory_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidParameterError) as caught:
        sync_client(Recorder()).files.upload(tmp_path)
    assert caught.value.param == "file"
    assert "not a regular file" in str(caught.value)


def test_upload_missing_file_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidParameterError, match="No such file"):
        sync_client(Recorder()).files.upload(tmp_path / "absent.pdf")


def test_upload_too_large_refused_before_any_request(tmp_path: Path) -> None:
    path = tmp_path / "huge.pdf"
    with path.open("wb") as handle:
        handle.truncate(MAX_FILE_BYTES + 1)  # sparse: 100 MB + 1 byte, no disk used
    recorder = Recorder()
    with pytest.raises(FileTooLargeError) as caught:
        sync_client(recorder).files.upload(path)
    assert isinstance(caught.value, InvalidParameterError)
    assert caught.value.param == "file"
    assert "accepts files up to 100 MB" in str(caught.value)
    assert recorder.requests == []


def test_upload_bytes_over_100_mb_refused() -> None:
    with pytest.raises(FileTooLargeError):
        sync_client(Recorder()).files.upload(bytes(MAX_FILE_BYTES + 1), filename="big.bin")


def test_bad_purpose_refused() -> None:
    with pytest.raises(InvalidParameterError) as caught:
        sync_client(Recorder()).files.upload(b"x", "assistants", filename="x.txt")  # type: ignore[arg-type]
    assert caught.value.param == "purpose"
    assert (
        str(caught.value)
        == "unsupported file purpose 'assistants'; use one of file-extract, image, video, batch"
    )


def test_content_json_shape() -> None:
    recorder = Recorder(json_response({"content": "extracted text", "file_type": "text/plain"}))
    assert sync_client(recorder).files.content("f-1") == "extracted text"
    assert recorder.requests[0].url.path == "/v1/files/f-1/content"


def test_content_plain_text_shape() -> None:
    answer = httpx.Response(200, text="第一章 plain text", headers={"content-type": "text/plain"})
    assert sync_client(Recorder(answer)).files.content("f-1") == "第一章 plain text"


def test_list_retrieve_delete() -> None:
    recorder = Recorder(
        json_response({"object": "list", "data": [FILE, {**FILE, "id": "f-2"}]}),
        json_response(FILE),
        json_response({"id": FILE_ID, "object": "file", "deleted": True}),
    )
    files = sync_client(recorder).files
    assert [f.id for f in files.list()] == [FILE_ID, "f-2"]
    assert files.retrieve(FILE_ID) == FileObject.model_validate(FILE)
    assert files.delete(FILE_ID) == FileDeleted(id=FILE_ID, object="file", deleted=True)
    assert [(r.method, r.url.path) for r in recorder.requests] == [
        ("GET", "/v1/files"),
        ("GET", f"/v1/files/{FILE_ID}"),
        ("DELETE", f"/v1/files/{FILE_ID}"),
    ]


@pytest.mark.parametrize("file_id", ["", "../models", "a/b"])
def test_invalid_file_id(file_id: str) -> None:
    with pytest.raises(InvalidParameterError) as caught:
        sync_client(Recorder()).files.retrieve(file_id)
    assert caught.value.param == "file_id"


async def test_async_files(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes(b"hello world")
    recorder = Recorder(
        json_response(FILE),
        httpx.Response(200, text="hello world", headers={"content-type": "text/plain"}),
        json_response({"content": "hello world"}),
        json_response({"data": [FILE]}),
        json_response(FILE),
        json_response({"id": FILE_ID, "deleted": True}),
    )
    files = async_client(recorder).files
    assert await files.upload(path) == FileObject.model_validate(FILE)
    assert await files.content(FILE_ID) == "hello world"
    assert await files.content(FILE_ID) == "hello world"
    assert (await files.list()).data == [FileObject.model_validate(FILE)]
    assert (await files.retrieve(FILE_ID)).filename == "notes.txt"
    assert (await files.delete(FILE_ID)).deleted is True
    _, body = _multipart(recorder.requests[0])
    assert b'name="purpose"\r\n\r\nfile-extract\r\n' in body
    assert b'filename="notes.txt"' in body


async def test_async_too_large_refused_before_any_request(tmp_path: Path) -> None:
    path = tmp_path / "huge.pdf"
    with path.open("wb") as handle:
        handle.truncate(MAX_FILE_BYTES + 1)
    recorder = Recorder()
    with pytest.raises(FileTooLargeError):
        await async_client(recorder).files.upload(path)
    assert recorder.requests == []


def test_upload_authorization_header() -> None:
    recorder = Recorder(json_response(FILE))
    sync_client(recorder).files.upload(b"x", filename="x.txt")
    headers: Any = recorder.requests[0].headers
    assert headers["authorization"].startswith("Bearer sk-SENTINEL")


# -- extract: upload, read, optionally delete --------------------------------------------------

Mode = Literal["sync", "async"]
UPLOAD = ("POST", "/v1/files")
READ = ("GET", f"/v1/files/{FILE_ID}/content")
DELETE = ("DELETE", f"/v1/files/{FILE_ID}")


def _deleted() -> httpx.Response:
    return json_response({"id": FILE_ID, "object": "file", "deleted": True})


def _read_fails() -> httpx.Response:
    return json_response({"error": {"message": "extraction broke", "type": "server_error"}}, 500)


async def _extract(mode: Mode, recorder: Recorder, file: Any, **options: Any) -> ExtractedFile:
    """``files.extract`` on the sync or the async client (no retries: one answer each)."""
    if mode == "sync":
        return sync_client(recorder, max_retries=0).files.extract(file, **options)
    return await async_client(recorder, max_retries=0).files.extract(file, **options)


def _calls(recorder: Recorder) -> list[tuple[str, str]]:
    return [(r.method, r.url.path) for r in recorder.requests]


@pytest.fixture
def notes(tmp_path: Path) -> Path:
    path = tmp_path / "notes.txt"
    path.write_bytes(b"hello world")
    return path


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_extract_deletes_after_reading(mode: Mode, notes: Path) -> None:
    recorder = Recorder(json_response(FILE), json_response({"content": "hello world"}), _deleted())
    extracted = await _extract(mode, recorder, notes, delete_after=True)
    assert extracted == ExtractedFile(file=FileObject.model_validate(FILE), text="hello world")
    assert _calls(recorder) == [UPLOAD, READ, DELETE]
    _, body = _multipart(recorder.requests[0])
    assert b'name="purpose"\r\n\r\nfile-extract\r\n' in body
    assert b'filename="notes.txt"' in body


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_extract_keeps_the_upload_by_default(mode: Mode) -> None:
    plain = httpx.Response(200, text="第一章", headers={"content-type": "text/plain"})
    recorder = Recorder(json_response({**FILE, "filename": "book.txt"}), plain)
    extracted = await _extract(mode, recorder, "第一章".encode(), filename="book.txt")
    assert (extracted.file.filename, extracted.text) == ("book.txt", "第一章")
    assert _calls(recorder) == [UPLOAD, READ]  # a DELETE would fail the Recorder
    _, body = _multipart(recorder.requests[0])
    assert b'filename="book.txt"' in body


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_extract_deletes_when_reading_fails_and_raises_the_read_error(
    mode: Mode, notes: Path
) -> None:
    recorder = Recorder(json_response(FILE), _read_fails(), _deleted())
    with pytest.raises(InternalServerError, match="extraction broke") as caught:
        await _extract(mode, recorder, notes, delete_after=True)
    assert caught.value.status == 500
    assert _calls(recorder) == [UPLOAD, READ, DELETE]


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_extract_read_error_wins_over_a_failed_delete(mode: Mode, notes: Path) -> None:
    gone = json_response({"error": {"message": "no such file", "type": "not_found"}}, 404)
    recorder = Recorder(json_response(FILE), _read_fails(), gone)
    with pytest.raises(InternalServerError, match="extraction broke"):
        await _extract(mode, recorder, notes, delete_after=True)
    assert _calls(recorder) == [UPLOAD, READ, DELETE]


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_extract_without_delete_after_leaves_a_failed_upload(mode: Mode, notes: Path) -> None:
    recorder = Recorder(json_response(FILE), _read_fails())
    with pytest.raises(InternalServerError):
        await _extract(mode, recorder, notes)
    assert _calls(recorder) == [UPLOAD, READ]


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_extract_delete_error_after_a_good_read_is_raised(mode: Mode, notes: Path) -> None:
    """Nothing else went wrong, so a failed delete is the error (the upload is left over)."""
    gone = json_response({"error": {"message": "no such file", "type": "not_found"}}, 404)
    recorder = Recorder(json_response(FILE), json_response({"content": "hello world"}), gone)
    with pytest.raises(NotFoundError, match="no such file"):
        await _extract(mode, recorder, notes, delete_after=True)


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_extract_refuses_bad_input_before_any_request(mode: Mode, tmp_path: Path) -> None:
    recorder = Recorder()
    with pytest.raises(InvalidParameterError) as caught:
        await _extract(mode, recorder, tmp_path / "absent.pdf", delete_after=True)
    assert caught.value.param == "file"
    assert recorder.requests == []


def test_extracted_file_is_frozen() -> None:
    extracted = ExtractedFile(file=FileObject.model_validate(FILE), text="x")
    with pytest.raises(dataclasses.FrozenInstanceError):
        extracted.text = "y"  # type: ignore[misc]
