"""Files API: multipart uploads, checks before sending, content in both shapes, list/delete."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from core_helpers import Recorder, async_client, json_response, sync_client

from kimi_core import FileObject, FileTooLargeError, InvalidParameterError
from kimi_core.files import MAX_FILE_BYTES
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
        sync_client(Recorder()).files.upload(b"x", "batch", filename="x.txt")  # type: ignore[arg-type]
    assert caught.value.param == "purpose"
    assert (
        str(caught.value)
        == "unsupported file purpose 'batch'; use one of file-extract, image, video"
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
    assert await files.list() == [FileObject.model_validate(FILE)]
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
