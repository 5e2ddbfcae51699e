"""LlamaIndex ``DocumentBlock``s as Kimi documents (read through the Files API).

Kimi takes no file in a message: the core uploads a document with purpose ``file-extract``,
reads back the extracted text and sends it in a system message before the message that held
it, deleting the upload afterwards unless it is kept (``kimi_core.resources.documents``).
A block's ``path`` is uploaded from disk; its ``data`` (LlamaIndex keeps it base64-encoded)
or ``url`` (downloaded by LlamaIndex's ``resolve_document``) as bytes. The upload is named
after the path, else the block's ``title`` with an extension from its MIME type (the Files
API tells formats apart by the extension).
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Any

from llama_index.core.base.llms.types import DocumentBlock

from kimi_core.integration import InvalidParameterError, document_part

__all__ = ["document_block_part"]


def _filename(block: DocumentBlock) -> str:
    name = block.title or "document"
    if Path(name).suffix:
        return name
    mime_type = block.document_mimetype
    extension = mimetypes.guess_extension(mime_type) if mime_type else None
    if extension is None and block.url:
        extension = Path(str(block.url).split("?", 1)[0]).suffix or None
    return f"{name}{extension or ''}"


def document_block_part(block: DocumentBlock) -> dict[str, Any]:
    """The core's ``document`` part for ``block``."""
    if block.path is not None and not block.data:
        path = Path(block.path)
        title = block.title if block.title and block.title != "input_document" else None
        return document_part(path=str(path), filename=title or path.name)
    try:
        data = block.resolve_document().read()
    except ValueError as exc:
        raise InvalidParameterError(f"DocumentBlock: {exc}", param="messages") from None
    return document_part(data=data, filename=_filename(block))
