"""Kimi's Files API: upload a document, read the text Kimi extracted, list, delete.

``Files`` and ``AsyncFiles`` share request building and answer parsing; only the I/O call
differs. Inputs are checked before anything is sent: a path that is not a regular file, a file
over 100 MB (``docs/kimi-api/files.md``: 100 MB per file) or an unknown purpose is a clear
``InvalidParameterError``.

``extract`` is what document loaders do: upload with purpose ``file-extract``, read the
extracted text, optionally delete the upload (Kimi keeps at most 1,000 files per account), also
when reading failed, in which case the reading error is the one raised.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Union

import httpx

from .errors import FileTooLargeError, InvalidParameterError, KimiError, MalformedResponseError
from .paths import path_segment
from .types import FileDeleted, FileObject

__all__ = ["MAX_FILE_BYTES", "PURPOSES", "AsyncFiles", "ExtractedFile", "FileInput", "Files"]

MAX_FILE_BYTES = 100 * 1024 * 1024
PURPOSES = ("file-extract", "image", "video")
Purpose = Literal["file-extract", "image", "video"]
FileInput = Union[str, "os.PathLike[str]", bytes]


def read_upload(
    file: FileInput, purpose: str, filename: str | None
) -> tuple[dict[str, tuple[str, bytes]], dict[str, str]]:
    """Check an upload and build its multipart parts."""
    if purpose not in PURPOSES:
        raise InvalidParameterError(
            f"unsupported file purpose {purpose!r}; use one of {', '.join(PURPOSES)}",
            param="purpose",
        )
    if isinstance(file, bytes):
        if not filename:
            raise InvalidParameterError(
                "filename= is required when uploading bytes", param="filename"
            )
        data = file
    else:
        path = Path(file)
        try:
            info = path.stat()
        except OSError as exc:
            raise InvalidParameterError(
                f"cannot upload {str(path)!r}: {exc.strerror or exc}", param="file"
            ) from None
        if not stat.S_ISREG(info.st_mode):
            raise InvalidParameterError(
                f"cannot upload {str(path)!r}: not a regular file", param="file"
            )
        if info.st_size > MAX_FILE_BYTES:
            raise FileTooLargeError(_too_large(str(path), info.st_size), param="file")
        data = path.read_bytes()
        filename = filename or path.name
    if len(data) > MAX_FILE_BYTES:
        raise FileTooLargeError(_too_large(filename or "upload", len(data)), param="file")
    return {"file": (filename or "upload", data)}, {"purpose": purpose}


def _too_large(name: str, size: int) -> str:
    return (
        f"{name!r} is {size / 1024 / 1024:.1f} MB; Kimi's Files API accepts files up to "
        f"{MAX_FILE_BYTES // 1024 // 1024} MB"
    )


def _json(response: httpx.Response) -> Any:
    try:
        return json.loads(response.content)
    except ValueError:
        raise MalformedResponseError(
            "Files API answer is not JSON", body=response.text[:500]
        ) from None


def parse_content(response: httpx.Response) -> str:
    """The extracted text: JSON ``{"content": ...}`` on some deployments, plain text on others
    (``docs/kimi-api/files.md``: accept both)."""
    if "json" in response.headers.get("content-type", ""):
        body = _json(response)
        content = body.get("content") if isinstance(body, dict) else None
        if isinstance(content, str):
            return content
    return response.text


def parse_list(response: httpx.Response) -> list[FileObject]:
    body = _json(response)
    items = body.get("data") if isinstance(body, dict) else body
    if not isinstance(items, list):
        raise MalformedResponseError("Files API list has no data array", body=str(body)[:500])
    return [FileObject.model_validate(item) for item in items]


def _file_path(file_id: str) -> str:
    return "/files/" + path_segment(file_id, param="file_id", what="file id")


@dataclass(frozen=True)
class ExtractedFile:
    """An upload (purpose ``file-extract``) and the text Kimi extracted from it. ``file.id`` is
    kept even when the upload was deleted: it names the source in document metadata."""

    file: FileObject
    text: str


Send = Callable[..., httpx.Response]
ASend = Callable[..., Awaitable[httpx.Response]]


class Files:
    """Sync Files API, reached as ``KimiClient.files``."""

    def __init__(self, send: Send) -> None:
        self._send = send

    def upload(
        self, file: FileInput, purpose: Purpose = "file-extract", *, filename: str | None = None
    ) -> FileObject:
        files, data = read_upload(file, purpose, filename)
        return FileObject.model_validate(
            _json(self._send("POST", "/files", files=files, data=data))
        )

    def content(self, file_id: str) -> str:
        return parse_content(self._send("GET", _file_path(file_id) + "/content"))

    def list(self) -> list[FileObject]:
        return parse_list(self._send("GET", "/files"))

    def retrieve(self, file_id: str) -> FileObject:
        return FileObject.model_validate(_json(self._send("GET", _file_path(file_id))))

    def delete(self, file_id: str) -> FileDeleted:
        return FileDeleted.model_validate(_json(self._send("DELETE", _file_path(file_id))))

    def extract(
        self, file: FileInput, *, filename: str | None = None, delete_after: bool = False
    ) -> ExtractedFile:
        """Upload ``file`` for extraction and read its text; ``delete_after`` deletes the
        upload afterwards, also when reading failed (the reading error is raised)."""
        uploaded = self.upload(file, "file-extract", filename=filename)
        try:
            text = self.content(uploaded.id)
        except BaseException:
            if delete_after:
                with contextlib.suppress(KimiError):  # the reading error is the one to report
                    self.delete(uploaded.id)
            raise
        if delete_after:
            self.delete(uploaded.id)
        return ExtractedFile(uploaded, text)


class AsyncFiles:
    """Async Files API, reached as ``AsyncKimiClient.files``."""

    def __init__(self, send: ASend) -> None:
        self._send = send

    async def upload(
        self, file: FileInput, purpose: Purpose = "file-extract", *, filename: str | None = None
    ) -> FileObject:
        files, data = read_upload(file, purpose, filename)
        response = await self._send("POST", "/files", files=files, data=data)
        return FileObject.model_validate(_json(response))

    async def content(self, file_id: str) -> str:
        return parse_content(await self._send("GET", _file_path(file_id) + "/content"))

    async def list(self) -> list[FileObject]:
        return parse_list(await self._send("GET", "/files"))

    async def retrieve(self, file_id: str) -> FileObject:
        return FileObject.model_validate(_json(await self._send("GET", _file_path(file_id))))

    async def delete(self, file_id: str) -> FileDeleted:
        return FileDeleted.model_validate(_json(await self._send("DELETE", _file_path(file_id))))

    async def extract(
        self, file: FileInput, *, filename: str | None = None, delete_after: bool = False
    ) -> ExtractedFile:
        """Async ``Files.extract``: the same steps, awaited."""
        uploaded = await self.upload(file, "file-extract", filename=filename)
        try:
            text = await self.content(uploaded.id)
        except BaseException:
            if delete_after:
                with contextlib.suppress(KimiError):  # the reading error is the one to report
                    await self.delete(uploaded.id)
            raise
        if delete_after:
            await self.delete(uploaded.id)
        return ExtractedFile(uploaded, text)
