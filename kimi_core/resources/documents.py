"""Documents in messages, read the way Kimi documents: through the Files API.

Kimi does not take files in a message. Its guide uploads a file with purpose
``file-extract``, reads back the extracted text (``GET /files/{id}/content``) and sends that
text in a system message ("note that it's the content, not the file ID";
``docs/kimi-api/files.md``, "Documents"). A message part ``{"type": "document", ...}``
(``kimi_core.chat.content.document_part``, what both adapters map LangChain ``file`` blocks
and LlamaIndex ``DocumentBlock`` to) is resolved so before a chat request is sent: bytes or a
path are uploaded and their text read (the upload deleted afterwards unless the part says
``keep``), an uploaded file's id is read as it is (never deleted: it is the caller's), plain
text is used directly. Each document becomes a system message placed right before the message
that held it; the message keeps its other parts. Uploading is free; the text is billed as
input tokens of the request; an account keeps at most 1,000 files of at most 100 MB each.

``DocumentPlan`` finds the parts and rebuilds the messages (no I/O); ``resolve_documents`` /
``aresolve_documents`` do the reading with a client's ``files``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import InvalidParameterError

if TYPE_CHECKING:
    from .files import AsyncFiles, Files

__all__ = ["DocumentPlan", "aresolve_documents", "has_documents", "resolve_documents"]


def _is_document(part: Any) -> bool:
    return isinstance(part, Mapping) and part.get("type") == "document"


def has_documents(messages: Any) -> bool:
    """Whether any message of a request holds a ``document`` part (cheap: most do not)."""
    if not isinstance(messages, Sequence):
        return False
    for message in messages:
        content = message.get("content") if isinstance(message, Mapping) else None
        if isinstance(content, list) and any(_is_document(part) for part in content):
            return True
    return False


@dataclass
class DocumentPlan:
    """The documents of a message list, in order, and how to rebuild the list once their
    texts are known."""

    messages: list[Any]
    documents: list[Mapping[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        for message in self.messages:
            content = message.get("content") if isinstance(message, Mapping) else None
            if isinstance(content, list):
                self.documents.extend(p["document"] for p in content if _is_document(p))

    def messages_with(self, texts: Sequence[str]) -> list[Any]:
        """The messages with each document part replaced by a system message of its text,
        before the message that held it."""
        out: list[Any] = []
        position = 0
        for message in self.messages:
            content = message.get("content") if isinstance(message, Mapping) else None
            if not isinstance(content, list) or not any(_is_document(p) for p in content):
                out.append(message)
                continue
            rest = []
            for part in content:
                if _is_document(part):
                    out.append(_system(part["document"], texts[position]))
                    position += 1
                else:
                    rest.append(part)
            if rest:
                out.append({**message, "content": rest})
        return out


def _system(document: Mapping[str, Any], text: str) -> dict[str, Any]:
    name = document.get("filename")
    return {"role": "system", "content": f"Document {name}:\n\n{text}" if name else text}


def _upload_of(document: Mapping[str, Any]) -> tuple[Any, str | None]:
    data = document.get("data")
    if data is not None:
        if not isinstance(data, bytes):
            raise InvalidParameterError("a document's data must be bytes", param="document")
        return data, document.get("filename") or "document"
    path = document.get("path")
    if not isinstance(path, str) or not path:
        raise InvalidParameterError(
            "a document's path must be a non-empty string", param="document"
        )
    return path, document.get("filename")


def resolve_documents(messages: list[Any], files: Files) -> list[Any]:
    """``messages`` with their documents read through ``files`` (module docstring)."""
    plan = DocumentPlan(messages)
    texts = []
    for document in plan.documents:
        if "text" in document:
            texts.append(str(document["text"]))
        elif "file_id" in document:
            texts.append(files.content(str(document["file_id"])))
        else:
            file, filename = _upload_of(document)
            keep = bool(document.get("keep"))
            texts.append(files.extract(file, filename=filename, delete_after=not keep).text)
    return plan.messages_with(texts)


async def aresolve_documents(messages: list[Any], files: AsyncFiles) -> list[Any]:
    """``resolve_documents``, awaited."""
    plan = DocumentPlan(messages)
    texts = []
    for document in plan.documents:
        if "text" in document:
            texts.append(str(document["text"]))
        elif "file_id" in document:
            texts.append(await files.content(str(document["file_id"])))
        else:
            file, filename = _upload_of(document)
            keep = bool(document.get("keep"))
            extracted = await files.extract(file, filename=filename, delete_after=not keep)
            texts.append(extracted.text)
    return plan.messages_with(texts)
