"""``KimiFileLoader``: documents from Kimi's file extraction (``purpose="file-extract"``).

Kimi extracts the text of PDFs, Office files, HTML, code and more on its side (kimi-api-facts.md,
"Files"); the usual way to use it is to put that text into a system message. The loader
uploads each file, reads the extracted text and yields one ``Document`` per file, optionally
deleting the upload afterwards (Kimi keeps at most 1,000 files per account): the steps are
``kimi_core``'s ``Files.extract``; this module only makes ``Document``s.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from langchain_core.document_loaders import BaseLoader
from langchain_core.documents import Document
from pydantic import SecretStr

from ._errors import translated_errors

if TYPE_CHECKING:
    # The clients pull in httpx: imported on first use, as in chat_models.
    from kimi_core.client import AsyncKimiClient, KimiClient
    from kimi_core.files import ExtractedFile

__all__ = ["KimiFileLoader"]

PathLike = str | os.PathLike[str]


class KimiFileLoader(BaseLoader):
    """Upload files to Kimi and load the text Kimi extracted, one ``Document`` per file.

    >>> loader = KimiFileLoader(["report.pdf", "notes.docx"], delete_after=True)
    >>> docs = loader.load()  # doctest: +SKIP
    >>> docs[0].metadata  # doctest: +SKIP
    {'source': 'report.pdf', 'file_id': 'cn0s...', 'file_name': 'report.pdf', 'bytes': 48213}

    Uploads stay on the account (they count towards Kimi's 1,000-file limit) unless
    ``delete_after=True``, which deletes each one once its text has been read, also when
    reading failed (the reading error is raised).

    Pass ``client``/``async_client`` (e.g. ``ChatKimi(...).client``) to reuse a connection
    pool; otherwise a client is built from the keyword options for each load and closed after
    (so each ``asyncio.run`` gets a pool of its own).
    """

    def __init__(
        self,
        file_path: PathLike | Sequence[PathLike],
        *,
        delete_after: bool = False,
        api_key: str | SecretStr | None = None,
        base_url: str | None = None,
        gateway: str | None = None,
        endpoint_path: str | None = None,
        timeout: float | None = None,
        max_retries: int = 2,
        default_headers: Mapping[str, str] | None = None,
        allow_insecure: bool = False,
        client: KimiClient | None = None,
        async_client: AsyncKimiClient | None = None,
    ) -> None:
        paths = [file_path] if isinstance(file_path, str | os.PathLike) else list(file_path)
        self.file_paths: list[Path] = [Path(p) for p in paths]
        self.delete_after = delete_after
        self._options: dict[str, Any] = {
            "api_key": api_key,
            "base_url": base_url,
            "gateway": gateway,
            "endpoint_path": endpoint_path,
            "timeout": timeout,
            "max_retries": max_retries,
            "default_headers": default_headers,
            "allow_insecure": allow_insecure,
        }
        self._client = client
        self._async_client = async_client

    @staticmethod
    def _document(path: Path, extracted: ExtractedFile) -> Document:
        file = extracted.file
        metadata = {
            "source": str(path),
            "file_id": file.id,
            "file_name": file.filename or path.name,
            "bytes": file.bytes,
        }
        return Document(page_content=extracted.text, metadata=metadata)

    def lazy_load(self) -> Iterator[Document]:
        """Upload, extract and (optionally) delete each file in turn."""
        with translated_errors():
            from kimi_core.client import KimiClient

            client = self._client or KimiClient(**self._options)
            try:
                for path in self.file_paths:
                    extracted = client.files.extract(path, delete_after=self.delete_after)
                    yield self._document(path, extracted)
            finally:
                if self._client is None:
                    client.close()

    async def alazy_load(self) -> AsyncIterator[Document]:
        """Async ``lazy_load``: the same steps, awaited."""
        with translated_errors():
            from kimi_core.client import AsyncKimiClient

            client = self._async_client or AsyncKimiClient(**self._options)
            try:
                for path in self.file_paths:
                    extracted = await client.files.extract(path, delete_after=self.delete_after)
                    yield self._document(path, extracted)
            finally:
                if self._async_client is None:
                    await client.aclose()
