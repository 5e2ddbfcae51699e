"""LangChain ``file`` content blocks as Kimi documents (read through the Files API).

Kimi takes no file in a message: the core uploads a document with purpose ``file-extract``,
reads back the extracted text and sends it in a system message before the message that held
it, deleting the upload afterwards unless it is kept (``kimi_core.resources.documents``).
This module maps every LangChain form of a ``file`` block onto the core's ``document_part``:

- v1 (``create_file_block``): ``{"type": "file", "base64": ..., "mime_type": ...}``, a
  ``file_id`` (a file already uploaded with purpose ``file-extract``: read, never deleted), a
  ``data:`` ``url``; the name from ``extras["filename"]`` (or a top-level ``filename``);
- v0: ``{"type": "file", "source_type": "base64" | "id" | "url", "data" / "id" / "url": ...}``;
- OpenAI's chat format: ``{"type": "file", "file": {"file_data": "data:...", "filename": ...}}``
  (or ``"file_id"``);
- a local file: ``{"type": "file", "path": "report.pdf"}`` (or ``extras["path"]``).

Plain ``http(s)`` URLs are refused: Kimi does not fetch them (download the file and pass its
bytes).
"""

from __future__ import annotations

import base64
import binascii
import mimetypes
from collections.abc import Mapping
from typing import Any

from kimi_core.integration import InvalidParameterError, document_part

__all__ = ["file_part"]


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _filename(block: Mapping[str, Any], mime_type: str | None) -> str | None:
    extras = _mapping(block.get("extras"))
    metadata = _mapping(block.get("metadata"))
    name = block.get("filename") or extras.get("filename") or metadata.get("filename")
    if isinstance(name, str) and name:
        return name
    # The Files API tells formats apart by the name's extension.
    extension = mimetypes.guess_extension(mime_type) if mime_type else None
    return f"document{extension}" if extension else None


def _decoded(data: str) -> bytes:
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidParameterError(
            "a file block's base64 data is not valid base64", param="messages"
        ) from None


def _data_url(url: str) -> tuple[bytes, str | None]:
    """The bytes and MIME type of a base64 ``data:`` URL."""
    header, _, data = url.partition(",")
    if not header.startswith("data:") or not header.endswith(";base64"):
        raise InvalidParameterError(
            "Kimi reads a file block from base64 data, a data: URL, a file id or a path; "
            f"it does not fetch URLs: {url[:80]!r}",
            param="messages",
        )
    return _decoded(data), header[len("data:") : -len(";base64")] or None


def _openai_file(file: Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(file.get("file_id"), str):
        return document_part(file_id=file["file_id"].removeprefix("ms://"))
    data, mime_type = _data_url(str(file.get("file_data") or ""))
    return document_part(data=data, filename=_filename(file, mime_type))


def file_part(block: Mapping[str, Any]) -> dict[str, Any]:
    """The core's ``document`` part for a LangChain ``file`` block (module docstring)."""
    if isinstance(block.get("file"), Mapping):
        return _openai_file(block["file"])
    source = block.get("source_type")
    mime_type = block.get("mime_type")
    extras = _mapping(block.get("extras"))
    data = block.get("base64") or (block.get("data") if source == "base64" else None)
    if isinstance(data, str):
        return document_part(data=_decoded(data), filename=_filename(block, mime_type))
    file_id = block.get("file_id") or (block.get("id") if source == "id" else None)
    if isinstance(file_id, str):
        return document_part(file_id=file_id.removeprefix("ms://"))
    path = block.get("path") or extras.get("path")
    if isinstance(path, str):
        name = block.get("filename") or extras.get("filename")
        return document_part(path=path, filename=name if isinstance(name, str) else None)
    url = block.get("url") or (block.get("data") if source == "url" else None)
    if isinstance(url, str):
        data_bytes, url_type = _data_url(url)
        return document_part(data=data_bytes, filename=_filename(block, mime_type or url_type))
    raise InvalidParameterError(
        "a file block needs base64 data, a data: URL, a Kimi file id or a path",
        param="messages",
    )
