"""Message content parts Kimi accepts: text, images and video (base64 data URLs or ``ms://``
file ids); and ``document`` parts, which are not Kimi's: the client reads them through the
Files API and sends their text (``kimi_core.resources.documents``).

``docs/kimi-api/files.md`` ("Images and video in messages"): base64 data URLs or
``ms://<file_id>``; plain http image URLs are not fetched, so a remote URL is rejected here,
before any request.
"""

from __future__ import annotations

import base64
from typing import Any

from ..errors import InvalidParameterError

__all__ = [
    "document_part",
    "image_part",
    "image_url_from_base64",
    "keep_documents",
    "media_url_from_base64",
    "text_part",
    "video_part",
]


def text_part(text: str) -> dict[str, Any]:
    return {"type": "text", "text": text}


def media_url_from_base64(data: str | bytes, mime_type: str) -> str:
    """A ``data:`` URL of base64 data (bytes are encoded first)."""
    if isinstance(data, bytes):
        data = base64.b64encode(data).decode()
    return f"data:{mime_type};base64,{data}"


def image_url_from_base64(data: str | bytes, mime_type: str = "image/png") -> str:
    return media_url_from_base64(data, mime_type)


def image_part(url: str) -> dict[str, Any]:
    """An ``image_url`` part; accepts ``data:`` URLs and ``ms://`` file ids only."""
    if not (url.startswith("data:") or url.startswith("ms://")):
        raise InvalidParameterError(
            "Kimi takes images as base64 data URLs or ms://<file_id> (upload with purpose "
            f"'image'); plain URLs are not supported: {url[:80]!r}",
            param="image_url",
        )
    return {"type": "image_url", "image_url": {"url": url}}


def video_part(url: str) -> dict[str, Any]:
    """A ``video_url`` part: an ``ms://<file_id>`` of a video uploaded with
    ``files.upload(..., purpose="video")``, or a base64 ``data:`` URL
    (``docs/kimi-api/models.md`` §8); other URLs are not fetched by Kimi."""
    if not (url.startswith("data:") or url.startswith("ms://")):
        raise InvalidParameterError(
            "Kimi takes video as ms://<file_id> (upload with purpose 'video') or a base64 data "
            f"URL; plain URLs are not supported: {url[:80]!r}",
            param="video_url",
        )
    return {"type": "video_url", "video_url": {"url": url}}


def document_part(
    *,
    data: bytes | None = None,
    path: str | None = None,
    file_id: str | None = None,
    text: str | None = None,
    filename: str | None = None,
    keep: bool = False,
) -> dict[str, Any]:
    """A document to read (a PDF, a Word file, a spreadsheet, plain text...): its bytes, a
    path, the id of a file already uploaded with purpose ``file-extract``, or its text. Kimi
    reads documents through its Files API, not in messages: before sending, the client
    uploads the bytes or path, reads back the extracted text, deletes the upload unless
    ``keep``, and puts the text in a system message before the message that held the part
    (``docs/kimi-api/files.md``, "Documents")."""
    given = [
        name
        for name, value in (("data", data), ("path", path), ("file_id", file_id), ("text", text))
        if value is not None
    ]
    if len(given) != 1:
        raise InvalidParameterError(
            "a document needs exactly one of data, path, file_id or text, got "
            + (", ".join(given) or "none"),
            param="document",
        )
    document: dict[str, Any] = {
        given[0]: {"data": data, "path": path, "file_id": file_id, "text": text}[given[0]]
    }
    if filename:
        document["filename"] = filename
    if keep:
        document["keep"] = True
    return {"type": "document", "document": document}


def keep_documents(messages: list[dict[str, Any]]) -> None:
    """Mark every document part of ``messages`` that would be uploaded (bytes or a path) to
    be kept after it is read, as ``document_part(keep=True)`` does (an adapter's
    ``keep_uploaded_files``)."""
    for message in messages:
        content = message.get("content")
        if not isinstance(content, list):
            continue
        for part in content:
            if isinstance(part, dict) and part.get("type") == "document":
                document = part["document"]
                if "data" in document or "path" in document:
                    document["keep"] = True
