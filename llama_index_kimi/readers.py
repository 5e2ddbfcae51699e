"""``KimiFileReader``: documents through Kimi's own extraction (``POST /files``, purpose
``file-extract``), so PDFs, Office files and scans read the way Kimi reads them. The steps
(upload, read, optionally delete) are ``kimi_core``'s ``Files.extract``; this module only makes
``Document``s."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from llama_index.core.readers.base import BaseReader
from llama_index.core.schema import Document
from pydantic import SecretStr
from typing_extensions import Unpack

from kimi_core.integration import ConnectionSettings, KimiClients, KimiOptions

if TYPE_CHECKING:
    # httpx and the client, files modules (which import it) load on first use.

    from kimi_core.integration import ExtractedFile, FileInput

__all__ = ["KimiFileReader"]

PathInput = str | os.PathLike[str]
# Kimi-side bookkeeping: useful to keep, noise for embeddings and prompts.
_HIDDEN_METADATA = ["file_id", "size"]


def _paths(file: PathInput | Sequence[PathInput]) -> list[PathInput]:
    if isinstance(file, str | os.PathLike):
        return [file]
    return list(file)


def _upload_input(path: PathInput, fs: Any) -> tuple[FileInput, str | None]:
    """What to upload: the path itself, or its bytes read through an fsspec filesystem (as
    ``SimpleDirectoryReader`` passes for non-local files)."""
    if fs is None:
        return path, None
    with fs.open(str(path), "rb") as handle:
        data: bytes = handle.read()
    return data, Path(str(path)).name


def _document(
    path: PathInput, extracted: ExtractedFile, extra_info: dict[str, Any] | None
) -> Document:
    uploaded = extracted.file
    metadata: dict[str, Any] = {
        "file_name": uploaded.filename or Path(str(path)).name,
        "file_path": str(path),
        **(extra_info or {}),
        "file_id": uploaded.id,
        "size": uploaded.bytes if uploaded.bytes is not None else 0,
    }
    return Document(
        text=extracted.text,
        metadata=metadata,
        excluded_embed_metadata_keys=list(_HIDDEN_METADATA),
        excluded_llm_metadata_keys=list(_HIDDEN_METADATA),
    )


class KimiFileReader(BaseReader):
    """Upload files to Kimi (purpose ``file-extract``) and return the extracted text as
    ``Document``s with ``file_name``, ``file_path``, ``file_id`` and ``size`` metadata.

    >>> docs = KimiFileReader(delete_after=True).load_data(["report.pdf", "notes.docx"])

    Works as a ``SimpleDirectoryReader`` ``file_extractor``. Uploads stay on the account (they
    count towards Kimi's 1,000-file limit) unless ``delete_after=True``, which deletes each
    one once its text has been read, also when reading failed (the reading error is raised).
    """

    def __init__(
        self,
        api_key: str | SecretStr | None = None,
        base_url: str | None = None,
        *,
        delete_after: bool = False,
        **settings: Unpack[ConnectionSettings],
    ) -> None:
        """``settings``: ``gateway``, ``timeout``, ``max_retries``, ``http_client`` and the
        other connection settings of ``kimi_core.options.ConnectionSettings``."""
        self.delete_after = delete_after
        self._clients = KimiClients(KimiOptions.resolve(api_key, base_url, **settings))

    def __repr__(self) -> str:
        return (
            f"KimiFileReader(base_url={self._clients.options.base_url!r}, "
            f"delete_after={self.delete_after})"
        )

    def _read_one(self, path: PathInput, extra_info: dict[str, Any] | None, fs: Any) -> Document:
        upload, filename = _upload_input(path, fs)
        extracted = self._clients.sync.files.extract(
            upload, filename=filename, delete_after=self.delete_after
        )
        return _document(path, extracted, extra_info)

    async def _aread_one(
        self, path: PathInput, extra_info: dict[str, Any] | None, fs: Any
    ) -> Document:
        upload, filename = _upload_input(path, fs)
        extracted = await self._clients.async_client.files.extract(
            upload, filename=filename, delete_after=self.delete_after
        )
        return _document(path, extracted, extra_info)

    def lazy_load_data(
        self,
        file: PathInput | Sequence[PathInput],
        extra_info: dict[str, Any] | None = None,
        fs: Any = None,
    ) -> Iterator[Document]:
        """One ``Document`` per file, uploaded and read one after another."""
        for path in _paths(file):
            yield self._read_one(path, extra_info, fs)

    def load_data(
        self,
        file: PathInput | Sequence[PathInput],
        extra_info: dict[str, Any] | None = None,
        fs: Any = None,
    ) -> list[Document]:
        return list(self.lazy_load_data(file, extra_info=extra_info, fs=fs))

    async def aload_data(
        self,
        file: PathInput | Sequence[PathInput],
        extra_info: dict[str, Any] | None = None,
        fs: Any = None,
    ) -> list[Document]:
        """Upload and read the files concurrently; documents come back in input order."""
        return list(
            await asyncio.gather(*(self._aread_one(p, extra_info, fs) for p in _paths(file)))
        )

    async def alazy_load_data(
        self,
        file: PathInput | Sequence[PathInput],
        extra_info: dict[str, Any] | None = None,
        fs: Any = None,
    ) -> Iterable[Document]:
        return await self.aload_data(file, extra_info=extra_info, fs=fs)

    def close(self) -> None:
        self._clients.close()

    async def aclose(self) -> None:
        await self._clients.aclose()
