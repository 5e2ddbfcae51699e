"""The Files API: an in-memory store with text extraction.

- Ids: 20 characters of ``[0-9a-v]`` starting with ``c`` (the ``rs/xid`` look of the ids in
  Moonshot's docs, e.g. ``cn0sjgr5d6r9c1vq4p5g``; assumed).
- Object: ``{id, object: "file", bytes, created_at, filename, purpose, status: "ok",
  status_details: ""}`` (docs/kimi-api/files.md).
- Purposes ``file-extract``, ``image``, ``video`` and ``batch``; anything else → 400. Over
  ``max_bytes`` (100 MB, the real limit) → 400; more than 1,000 files → 400. A ``batch`` file
  must be a non-empty ``.jsonl`` (docs/kimi-api/batch.md §1; the wording is assumed) and is
  kept as uploaded, not extracted; the batch output and error files (:mod:`batches`, purpose
  ``batch_output``) are added by the emulator itself. Both are served raw by the content
  route (``application/octet-stream``, assumed).
- ``GET /files?purpose=&after=&limit=``: oldest first, ``{"object": "list", "data",
  "has_more"}`` (``has_more`` true when ``limit`` cut the list; no limit: every file).
- ``GET /files/{id}/content`` → ``{"content": <text>, "file_type": <mime type>, "filename",
  "title": "", "type": "file"}``: Moonshot's cookbook passes this JSON string on as a system
  message and other code reads ``.json()["content"]`` (fanwin/FastRAG ``rag_kernel/utils.py``).
- Extraction: UTF-8 text for txt/md/csv/json/xml/yaml/code files, visible text for HTML (tags,
  scripts and styles dropped), ``pypdf`` page text joined with ``"\\n"`` for PDF; images and
  videos extract to ``""``; a binary file of any other type → 400 (the real API reads
  doc(x)/xls(x)/ppt(x)/epub too; the emulator does not).
"""

from __future__ import annotations

import builtins
import io
import mimetypes
import secrets
import threading
import time
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

__all__ = ["FileError", "FileRecord", "FileStore", "extract_text"]

PURPOSES = frozenset({"file-extract", "image", "video", "batch"})
MAX_BYTES = 100 * 1024 * 1024
MAX_FILES = 1000
_ID_ALPHABET = "0123456789abcdefghijklmnopqrstuv"
_TEXT_SUFFIXES = frozenset(
    {"txt", "md", "markdown", "csv", "tsv", "json", "jsonl", "xml", "yaml", "yml", "log", "ini"}
    | {"toml", "py", "js", "ts", "java", "c", "cpp", "h", "go", "rs", "rb", "php", "sh", "sql"}
    | {"css", "tex", "rst"}
)
_MEDIA_SUFFIXES = frozenset(
    {"png", "jpg", "jpeg", "gif", "webp", "bmp", "mp4", "mov", "avi", "webm", "mkv"}
)


class FileError(Exception):
    def __init__(self, status: int, type_: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.type = type_
        self.message = message


@dataclass
class FileRecord:
    id: str
    filename: str
    purpose: str
    bytes: int
    created_at: int
    file_type: str
    text: str
    data: builtins.bytes | None = None
    """The raw bytes of batch files (served as they are)."""

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "file",
            "bytes": self.bytes,
            "created_at": self.created_at,
            "filename": self.filename,
            "purpose": self.purpose,
            "status": "ok",
            "status_details": "",
        }

    def content_json(self) -> dict[str, Any]:
        return {
            "content": self.text,
            "file_type": self.file_type,
            "filename": self.filename,
            "title": "",
            "type": "file",
        }


class _TextOfHTML(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip and data.strip():
            self.parts.append(data.strip())


def _pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    return "\n".join((page.extract_text() or "").strip() for page in reader.pages).strip()


def extract_text(filename: str, data: bytes, content_type: str | None = None) -> tuple[str, str]:
    """``(text, mime type)`` of an uploaded file; raises :class:`FileError` if unreadable."""
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    mime = mimetypes.guess_type(filename)[0] or content_type or "application/octet-stream"
    if suffix == "pdf" or data.startswith(b"%PDF-"):
        try:
            return _pdf_text(data), "application/pdf"
        except Exception as exc:  # pypdf raises many types for a broken file
            raise FileError(
                400, "invalid_request_error", f"Invalid request: cannot read PDF: {exc}"
            ) from exc
    if suffix in ("html", "htm"):
        parser = _TextOfHTML()
        parser.feed(data.decode("utf-8", "replace"))
        return "\n".join(parser.parts), "text/html"
    if suffix in _MEDIA_SUFFIXES or mime.startswith(("image/", "video/")):
        return "", mime
    if suffix in _TEXT_SUFFIXES or mime.startswith("text/"):
        return data.decode("utf-8", "replace"), mime if mime != "application/octet-stream" else (
            "text/plain"
        )
    try:
        return data.decode("utf-8"), "text/plain"
    except UnicodeDecodeError:
        raise FileError(
            400,
            "invalid_request_error",
            f"Invalid request: unsupported file type: {filename}",
        ) from None


def new_file_id() -> str:
    return "c" + "".join(secrets.choice(_ID_ALPHABET) for _ in range(19))


class FileStore:
    """Thread-safe in-memory files, in upload order."""

    def __init__(self, max_bytes: int = MAX_BYTES) -> None:
        self._lock = threading.Lock()
        self._files: dict[str, FileRecord] = {}
        self.max_bytes = max_bytes

    def clear(self) -> None:
        with self._lock:
            self._files.clear()

    def add(
        self, filename: str, data: bytes, purpose: str, content_type: str | None = None
    ) -> FileRecord:
        if purpose not in PURPOSES:
            raise FileError(
                400,
                "invalid_request_error",
                f"Invalid request: purpose {purpose!r} is not supported, use one of "
                "file-extract, image, video, batch",
            )
        if len(data) > self.max_bytes:
            raise FileError(
                400,
                "invalid_request_error",
                f"Invalid request: file size {len(data)} bytes exceeds the limit of "
                f"{self.max_bytes} bytes",
            )
        with self._lock:
            if len(self._files) >= MAX_FILES:
                raise FileError(
                    400,
                    "invalid_request_error",
                    f"Invalid request: too many files, the limit is {MAX_FILES}",
                )
        if purpose == "batch":
            if not filename.endswith(".jsonl"):
                raise FileError(
                    400, "invalid_request_error", "Invalid request: a batch file must be .jsonl"
                )
            if not data:
                raise FileError(
                    400, "invalid_request_error", "Invalid request: a batch file must not be empty"
                )
            return self._store(filename, data, purpose, "application/jsonl", "", raw=True)
        text, file_type = extract_text(filename, data, content_type)
        return self._store(filename, data, purpose, file_type, text)

    def add_raw(self, filename: str, data: bytes, purpose: str) -> FileRecord:
        """A file the emulator writes itself (batch output and error files)."""
        return self._store(filename, data, purpose, "application/jsonl", "", raw=True)

    def _store(
        self,
        filename: str,
        data: bytes,
        purpose: str,
        file_type: str,
        text: str,
        *,
        raw: bool = False,
    ) -> FileRecord:
        record = FileRecord(
            id=new_file_id(),
            filename=filename,
            purpose=purpose,
            bytes=len(data),
            created_at=int(time.time()),
            file_type=file_type,
            text=text,
            data=data if raw else None,
        )
        with self._lock:
            self._files[record.id] = record
        return record

    def get(self, file_id: str) -> FileRecord | None:
        with self._lock:
            return self._files.get(file_id)

    def delete(self, file_id: str) -> bool:
        with self._lock:
            return self._files.pop(file_id, None) is not None

    def list(
        self, purpose: str | None = None, after: str | None = None, limit: int | None = None
    ) -> list[FileRecord]:
        with self._lock:
            records = list(self._files.values())
        if after is not None:
            ids = [r.id for r in records]
            records = records[ids.index(after) + 1 :] if after in ids else []
        if purpose:
            records = [r for r in records if r.purpose == purpose]
        if limit is not None and limit > 0:
            records = records[:limit]
        return records
