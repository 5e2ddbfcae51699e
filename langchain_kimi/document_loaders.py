"""``KimiFileLoader``: documents from Kimi's file extraction (``purpose="file-extract"``).

Kimi extracts the text of PDFs, Office files, HTML, code and more on its side
(``docs/kimi-api/files.md``); the usual way to use it is to put that text into a system
message. The loader uploads each file, reads the extracted text and yields one ``Document``
per file, optionally deleting the upload afterwards (Kimi keeps at most 1,000 files per
account): the steps are ``kimi_core``'s ``Files.extract``; this module only makes
``Document``s.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from langchain_core.document_loaders import BaseLoader
from langchain_core.documents import Document
from pydantic import SecretStr
from typing_extensions import Unpack

from kimi_core.integration import ConnectionSettings, KimiClients, KimiOptions

from ._errors import translated_errors

if TYPE_CHECKING:
    # The clients pull in httpx: imported on first use, as in chat_models.
    from kimi_core.integration import AsyncKimiClient, ExtractedFile, KimiClient

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
    pool (the other kind of client is then built with the same settings); otherwise a client
    is built from the keyword options for each load and closed after (so each
    ``asyncio.run`` gets a pool of its own). The options are checked at construction.
    """

    def __init__(
        self,
        file_path: PathLike | Sequence[PathLike],
        *,
        delete_after: bool = False,
        api_key: str | SecretStr | None = None,
        base_url: str | None = None,
        client: KimiClient | None = None,
        async_client: AsyncKimiClient | None = None,
        **settings: Unpack[ConnectionSettings],
    ) -> None:
        """``settings``: ``gateway``, ``timeout``, ``max_retries`` and the other connection
        settings of ``kimi_core.options.ConnectionSettings``."""
        paths = [file_path] if isinstance(file_path, str | os.PathLike) else list(file_path)
        self.file_paths: list[Path] = [Path(p) for p in paths]
        self.delete_after = delete_after
        given = client or async_client
        options = (
            given.options
            if given is not None
            else KimiOptions.resolve(api_key, base_url, **settings)
        )
        self._clients = KimiClients(options)
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
            client = self._client or self._clients.sync
            try:
                for path in self.file_paths:
                    extracted = client.files.extract(path, delete_after=self.delete_after)
                    yield self._document(path, extracted)
            finally:
                if self._client is None:  # a pool of its own for each load
                    self._clients.close()

    async def alazy_load(self) -> AsyncIterator[Document]:
        """Async ``lazy_load``: the same steps, awaited."""
        with translated_errors():
            client = self._async_client or self._clients.async_client
            try:
                for path in self.file_paths:
                    extracted = await client.files.extract(path, delete_after=self.delete_after)
                    yield self._document(path, extracted)
            finally:
                if self._async_client is None:
                    await self._clients.aclose()
