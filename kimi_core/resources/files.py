"""Kimi's Files API: upload a document, read the text Kimi extracted, list, delete.

``Files`` and ``AsyncFiles`` share request building and answer parsing; only the I/O call
differs. Inputs are checked before anything is sent: a path that is not a regular file, a file
over 100 MB (``docs/kimi-api/files.md``: 100 MB per file) or an unknown purpose is a clear
``InvalidParameterError``; a ``batch`` file must be a non-empty ``.jsonl``
(``docs/kimi-api/batch.md`` §1). An open binary file is streamed, not read into memory (httpx
rewinds it for a retry); ``content_lines`` streams a file's raw content line by line (batch
output and error files).

An upload is a ``POST``: a 429 or a connection that failed before the request was written is
retried; a 5xx (which a proxy gives whatever its backend did) is retried too, and may leave a
duplicate file behind (never billed; ``files.list()`` shows it), unless the upload's name is
unique (``unique_filename=True``, as a batch job's input files, which carry the job's token):
then the file is looked up by name before it is sent again, and no duplicate is made.

A ``str`` is a path: one that names no existing file is refused (``InvalidParameterError``
saying so; send text as ``bytes`` with a ``filename``).

``extract`` is what document loaders do: upload with purpose ``file-extract``, read the
extracted text, optionally delete the upload (Kimi keeps at most 1,000 files per account), also
when reading failed, in which case the reading error is the one raised.
"""

from __future__ import annotations

import contextlib
import io
import os
import stat
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Literal, Union

import httpx

from ..errors import (
    APIConnectionError,
    FileTooLargeError,
    InvalidParameterError,
    KimiError,
    MalformedResponseError,
)
from ..types import AsyncPageRequest, FileDeleted, FileList, FileObject
from ..wire.json import loads as json_loads
from ..wire.paths import page_params, path_segment

__all__ = ["MAX_FILE_BYTES", "PURPOSES", "AsyncFiles", "ExtractedFile", "FileInput", "Files"]

MAX_FILE_BYTES = 100 * 1024 * 1024
PURPOSES = ("file-extract", "image", "video", "batch")
Purpose = Literal["file-extract", "image", "video", "batch"]
FileInput = Union[str, "os.PathLike[str]", bytes, IO[bytes]]


def _size_of(file: IO[bytes]) -> int:
    """The bytes from the start of an open binary file to its end (its position kept)."""
    try:
        position = file.tell()
        size = file.seek(0, io.SEEK_END)
        file.seek(position)
    except (OSError, ValueError) as exc:
        raise InvalidParameterError(
            f"cannot upload this file object: it cannot seek ({exc})", param="file"
        ) from None
    return size


def read_upload(
    file: FileInput, purpose: str, filename: str | None
) -> tuple[dict[str, tuple[str, bytes | IO[bytes]]], dict[str, str]]:
    """Check an upload and build its multipart parts (an open file is sent as is: streamed)."""
    if purpose not in PURPOSES:
        raise InvalidParameterError(
            f"unsupported file purpose {purpose!r}; use one of {', '.join(PURPOSES)}",
            param="purpose",
        )
    data: bytes | IO[bytes]
    if not isinstance(file, str | bytes | os.PathLike):
        if isinstance(file, io.TextIOBase) or not hasattr(file, "read"):
            raise InvalidParameterError(
                "file must be a path, bytes or a file opened in binary mode", param="file"
            )
        name = getattr(file, "name", None)
        filename = filename or (Path(name).name if isinstance(name, str) else None)
        if not filename:
            raise InvalidParameterError(
                "filename= is required when uploading a file object without a name",
                param="filename",
            )
        size = _size_of(file)
        if size > MAX_FILE_BYTES:
            raise FileTooLargeError(_too_large(filename, size), param="file")
        _check_batch_file(purpose, filename, size)
        return {"file": (filename, file)}, {"purpose": purpose}
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
        except (OSError, ValueError) as exc:  # a NUL in the string: ValueError
            raise InvalidParameterError(_not_a_file(file, exc), param="file") from None
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
    _check_batch_file(purpose, filename or "upload", len(data))
    return {"file": (filename or "upload", data)}, {"purpose": purpose}


def _not_a_file(file: str | os.PathLike[str], exc: Exception) -> str:
    """Why ``file`` cannot be uploaded, its name cut short (a str may be a whole text)."""
    shown = str(file)
    if len(shown) > 80:
        shown = shown[:60] + f"... ({len(shown):,} characters)"
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    hint = (
        "; a str is read as a file path: to upload text, pass bytes with filename="
        if isinstance(file, str)
        else ""
    )
    return f"cannot upload {shown!r}: {reason}{hint}"


def _check_batch_file(purpose: str, filename: str, size: int) -> None:
    """A batch input file is a non-empty ``.jsonl`` (``docs/kimi-api/batch.md`` §1)."""
    if purpose != "batch":
        return
    if not filename.endswith(".jsonl"):
        raise InvalidParameterError(
            f"a batch file must be named *.jsonl, got {filename!r}", param="filename"
        )
    if size == 0:
        raise InvalidParameterError("a batch file must not be empty", param="file")


def _too_large(name: str, size: int) -> str:
    return (
        f"{name!r} is {size / 1024 / 1024:.1f} MB; Kimi's Files API accepts files up to "
        f"{MAX_FILE_BYTES // 1024 // 1024} MB"
    )


def _json(response: httpx.Response) -> Any:
    try:
        return json_loads(response.content)
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


def parse_file(response: httpx.Response) -> FileObject:
    return FileObject.model_validate(_json(response))


def parse_list(response: httpx.Response) -> FileList:
    """A ``FileList`` page (a bare JSON array is read as one last page)."""
    body = _json(response)
    items = body.get("data") if isinstance(body, dict) else body
    if not isinstance(items, list):
        raise MalformedResponseError("Files API list has no data array", body=str(body)[:500])
    extra = body if isinstance(body, dict) else {}
    return FileList.model_validate({**extra, "data": items})


def _list_params(after: str | None, limit: int | None) -> dict[str, Any]:
    return page_params(after, limit, what="file id")


def _named(files: Iterable[FileObject], name: str, purpose: str) -> FileObject | None:
    """The file named ``name`` for ``purpose`` (an upload looked up by its unique name)."""
    for item in files:
        if item.filename == name and item.purpose == purpose:
            return item
    return None


def _file_path(file_id: str) -> str:
    return "/files/" + path_segment(file_id, param="file_id", what="file id")


def _broken_download(file_id: str, exc: Exception) -> APIConnectionError:
    """A download that broke after its answer began (its start is retried by ``_send``)."""
    return APIConnectionError(
        f"the download of file {file_id} broke off: {type(exc).__name__}: {exc}; "
        "download it again (reading a file is safe to repeat)"
    )


@dataclass(frozen=True)
class ExtractedFile:
    """An upload (purpose ``file-extract``) and the text Kimi extracted from it. ``file.id`` is
    kept even when the upload was deleted: it names the source in document metadata."""

    file: FileObject
    text: str


Send = Callable[..., Any]
ASend = Callable[..., Awaitable[Any]]


class Files:
    """Sync Files API, reached as ``KimiClient.files``."""

    def __init__(self, send: Send) -> None:
        self._send = send

    def upload(
        self,
        file: FileInput,
        purpose: Purpose = "file-extract",
        *,
        filename: str | None = None,
        unique_filename: bool = False,
    ) -> FileObject:
        """Upload ``file`` (a path, bytes, or a binary file object; a ``str`` is a path).
        ``unique_filename``: no other file of the account has this name, so an upload that
        failed after it may have been stored is looked up by name before it is sent again
        (module docstring)."""
        files, data = read_upload(file, purpose, filename)
        name = files["file"][0]

        def find() -> FileObject | None:
            return _named(self.list(), name, purpose)

        uploaded: FileObject = self._send(
            "POST", "/files", files=files, data=data, parse=parse_file,
            find=find if unique_filename else None,
        )  # fmt: skip
        return uploaded

    def content(self, file_id: str) -> str:
        return parse_content(self._send("GET", _file_path(file_id) + "/content"))

    def content_lines(self, file_id: str) -> Iterator[str]:
        """The file's raw content, streamed line by line (batch output and error files:
        nothing holds the whole file); sent on the first ``next``."""
        path = _file_path(file_id) + "/content"
        response: httpx.Response = self._send("GET", path, stream=True)
        try:
            yield from response.iter_lines()
        except httpx.HTTPError as exc:
            raise _broken_download(file_id, exc) from exc
        finally:
            response.close()

    def list(self, *, after: str | None = None, limit: int | None = None) -> FileList:
        """The account's files: a page that iterates over every file, across pages
        (``types.ListPage``); ``limit`` per page, ``after`` a file id."""
        page = parse_list(self._send("GET", "/files", params=_list_params(after, limit)))
        page._fetch = lambda next_after: self.list(after=next_after, limit=limit)
        return page

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
        self,
        file: FileInput,
        purpose: Purpose = "file-extract",
        *,
        filename: str | None = None,
        unique_filename: bool = False,
    ) -> FileObject:
        """``Files.upload``, awaited."""
        files, data = read_upload(file, purpose, filename)
        name = files["file"][0]

        async def find() -> FileObject | None:
            return _named(await self.list(), name, purpose)

        uploaded: FileObject = await self._send(
            "POST", "/files", files=files, data=data, parse=parse_file,
            find=find if unique_filename else None,
        )  # fmt: skip
        return uploaded

    async def content(self, file_id: str) -> str:
        return parse_content(await self._send("GET", _file_path(file_id) + "/content"))

    async def content_lines(self, file_id: str) -> AsyncIterator[str]:
        """Async ``Files.content_lines``."""
        path = _file_path(file_id) + "/content"
        response: httpx.Response = await self._send("GET", path, stream=True)
        try:
            async for line in response.aiter_lines():
                yield line
        except httpx.HTTPError as exc:
            raise _broken_download(file_id, exc) from exc
        finally:
            await response.aclose()

    def list(
        self, *, after: str | None = None, limit: int | None = None
    ) -> AsyncPageRequest[FileList]:
        """Awaited: the first page; ``async for``: every file, across pages."""
        params = _list_params(after, limit)
        return AsyncPageRequest(lambda: self._page(params, limit))

    async def _page(self, params: dict[str, Any], limit: int | None) -> FileList:
        page = parse_list(await self._send("GET", "/files", params=params))
        page._afetch = lambda after: self._page(_list_params(after, limit), limit)
        return page

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
