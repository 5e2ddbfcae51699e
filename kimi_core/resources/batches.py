"""The Batch API, ``/batches``: create, retrieve, cancel and list batches; submit and resume jobs.

Reached as ``client.batches`` (``docs/kimi-api/batch.md`` §3-§6). ``Batches`` and
``AsyncBatches`` share the request bodies and the parsing; only the I/O differs. The jobs
built on top (``client.batches.submit`` / ``resume``) are the batch layer's
(``kimi_core.batch.api``).

Creating a batch is billed work, so ``POST /batches`` is sent again only when it surely did
not reach the server (a 429, a refused connection: ``kimi_core.transport.retry``). After a
failure that may have reached it (a 5xx, which a proxy gives whatever its backend did; an
answer lost after the request was written), a batch whose metadata carries the job key
(``JOB_KEY``: every batch ``submit`` creates) is looked up by that key among the newest ones
before anything is sent again, and the batch found is returned; only when it is not there is
the create sent again (at most ``max_retries`` times). A create without the job key is never
sent again after such a failure: the error is raised (``batches.list()`` shows whether it was
created). To be sure never to run a job twice, keep ``job.id`` and ``resume`` it rather than
submitting again.

Checked before sending (``InvalidParameterError``): ``completion_window`` (``<n>h`` or
``<n>d``, 12 hours to 7 days), ``metadata`` (at most 16 pairs, keys up to 64 characters, string
values up to 512; ``kimi_job`` is the package's own) and batch ids (one URL path segment,
``kimi_core.wire.paths``).
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from typing import Any

import httpx

from ..errors import InvalidParameterError, MalformedResponseError
from ..types import AsyncPageRequest, Batch, BatchList
from ..wire.json import loads as json_loads
from ..wire.paths import page_params, path_segment

__all__ = [
    "BATCH_URL",
    "DEFAULT_COMPLETION_WINDOW",
    "JOB_KEY",
    "AsyncBatches",
    "Batches",
    "batch_path",
    "check_metadata",
    "create_body",
    "parse_batch",
    "parse_batch_list",
    "window_seconds",
    "with_job_key",
]

BATCH_URL = "/v1/chat/completions"
JOB_KEY = "kimi_job"
"""The metadata key each batch of a job carries: ``<token>/<start>:<stop>`` (``/custom``
when the caller gave the custom ids): which inputs the batch holds, so a job resumed by id
in another process knows every line's place (``docs/kimi-api/batch.md``
§9)."""
DEFAULT_COMPLETION_WINDOW = "24h"
_WINDOW = re.compile(r"(\d+)([hd])\Z")
_MIN_WINDOW, _MAX_WINDOW = 12 * 3600, 7 * 86400
MAX_METADATA_PAIRS = 16
MAX_METADATA_KEY = 64
MAX_METADATA_VALUE = 512
MAX_LIST_LIMIT = 100

Send = Callable[..., Any]
ASend = Callable[..., Awaitable[Any]]


def window_seconds(window: str) -> int:
    """``completion_window`` in seconds; ``InvalidParameterError`` outside 12 h to 7 d."""
    match = _WINDOW.match(window) if isinstance(window, str) else None
    if match is None:
        raise InvalidParameterError(
            f"completion_window must look like '24h' or '3d', got {window!r}",
            param="completion_window",
        )
    seconds = int(match.group(1)) * (3600 if match.group(2) == "h" else 86400)
    if not _MIN_WINDOW <= seconds <= _MAX_WINDOW:
        raise InvalidParameterError(
            f"completion_window must be between 12h and 7d, got {window!r}",
            param="completion_window",
        )
    return seconds


def check_metadata(metadata: Mapping[str, Any] | None, *, reserved: bool = True) -> None:
    """Moonshot's metadata limits (module docstring); ``reserved``: refuse the job key."""
    if metadata is None:
        return
    if not isinstance(metadata, Mapping):
        raise InvalidParameterError("metadata must be a dict of strings", param="metadata")
    if len(metadata) > MAX_METADATA_PAIRS - (1 if reserved else 0):
        raise InvalidParameterError(
            f"metadata takes at most {MAX_METADATA_PAIRS} pairs"
            + (" (one is the package's job key)" if reserved else ""),
            param="metadata",
        )
    for key, value in metadata.items():
        if reserved and key == JOB_KEY:
            raise InvalidParameterError(
                f"metadata key {JOB_KEY!r} is the package's own", param="metadata"
            )
        if not isinstance(key, str) or not key or len(key) > MAX_METADATA_KEY:
            raise InvalidParameterError(
                f"metadata keys are strings of 1 to {MAX_METADATA_KEY} characters, got {key!r}",
                param="metadata",
            )
        if not isinstance(value, str) or len(value) > MAX_METADATA_VALUE:
            raise InvalidParameterError(
                f"metadata values are strings of at most {MAX_METADATA_VALUE} characters ({key!r})",
                param="metadata",
            )


def create_body(
    input_file_id: str, completion_window: str, metadata: Mapping[str, str] | None
) -> bytes:
    """The ``POST /batches`` body (``endpoint`` sent though one sample omits it, §3)."""
    if not isinstance(input_file_id, str) or not input_file_id:
        raise InvalidParameterError("input_file_id must be a file id", param="input_file_id")
    window_seconds(completion_window)
    check_metadata(metadata, reserved=False)
    body: dict[str, Any] = {
        "input_file_id": input_file_id,
        "endpoint": BATCH_URL,
        "completion_window": completion_window,
    }
    if metadata:
        body["metadata"] = dict(metadata)
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def batch_path(batch_id: str) -> str:
    return "/batches/" + path_segment(batch_id, param="batch_id", what="batch id")


def _json(response: httpx.Response) -> Any:
    try:
        return json_loads(response.content)
    except ValueError:
        raise MalformedResponseError(
            "Batch API answer is not JSON", body=response.text[:500]
        ) from None


def parse_batch(response: httpx.Response) -> Batch:
    body = _json(response)
    if not isinstance(body, dict) or not isinstance(body.get("id"), str):
        raise MalformedResponseError("batch answer has no id", body=str(body)[:500])
    try:
        return Batch.model_validate(body)
    except ValueError as exc:
        raise MalformedResponseError(
            f"batch answer does not match the batch object: {exc}", body=str(body)[:500]
        ) from None


def with_job_key(batches: BatchList, metadata: Mapping[str, str] | None) -> Batch | None:
    """The batch among ``batches`` whose job key is the one in ``metadata``."""
    key = (metadata or {}).get(JOB_KEY)
    if key is None:
        return None
    for batch in batches.data:
        if (batch.metadata or {}).get(JOB_KEY) == key:
            return batch
    return None


def parse_batch_list(response: httpx.Response) -> BatchList:
    body = _json(response)
    if not isinstance(body, dict) or not isinstance(body.get("data"), list):
        raise MalformedResponseError("batch list has no data array", body=str(body)[:500])
    try:
        return BatchList.model_validate(body)
    except ValueError as exc:
        raise MalformedResponseError(
            f"batch list does not match the list object: {exc}", body=str(body)[:500]
        ) from None


def _list_params(after: str | None, limit: int | None) -> dict[str, Any]:
    return page_params(after, limit, what="batch id")


class Batches:
    """Sync Batch API, reached as ``KimiClient.batches``."""

    def __init__(self, send: Send) -> None:
        self._send = send

    def create(
        self,
        input_file_id: str,
        *,
        completion_window: str = DEFAULT_COMPLETION_WINDOW,
        metadata: Mapping[str, str] | None = None,
    ) -> Batch:
        """``POST /batches`` for an uploaded ``batch`` file (``files.upload(f, "batch")``);
        never sent twice (module docstring)."""
        body = create_body(input_file_id, completion_window, metadata)

        def find() -> Batch | None:
            return with_job_key(self.list(limit=MAX_LIST_LIMIT), metadata)

        keyed = metadata is not None and JOB_KEY in metadata
        batch: Batch = self._send(
            "POST", "/batches", content=body, parse=parse_batch, once=True,
            find=find if keyed else None,
        )  # fmt: skip
        return batch

    def retrieve(self, batch_id: str) -> Batch:
        return parse_batch(self._send("GET", batch_path(batch_id)))

    def cancel(self, batch_id: str) -> Batch:
        """``POST /batches/{id}/cancel``: the batch goes ``cancelling``, then ``cancelled``
        (400 once it has ended)."""
        return parse_batch(self._send("POST", batch_path(batch_id) + "/cancel"))

    def list(self, *, after: str | None = None, limit: int | None = None) -> BatchList:
        """A page of batches (20 by default, newest first) that iterates over every batch,
        across pages (``types.ListPage``); ``page.data`` is this page's,
        ``page.next_after`` the ``after`` of the next."""
        page = parse_batch_list(self._send("GET", "/batches", params=_list_params(after, limit)))
        page._fetch = lambda next_after: self.list(after=next_after, limit=limit)
        return page

    def iter_all(self, *, limit: int = MAX_LIST_LIMIT) -> Iterator[Batch]:
        """Every batch, page after page (``limit`` per request)."""
        after: str | None = None
        while True:
            page = self.list(after=after, limit=limit)
            yield from page.data
            after = page.next_after
            if after is None:
                return


class AsyncBatches:
    """Async Batch API, reached as ``AsyncKimiClient.batches``."""

    def __init__(self, send: ASend) -> None:
        self._send = send

    async def create(
        self,
        input_file_id: str,
        *,
        completion_window: str = DEFAULT_COMPLETION_WINDOW,
        metadata: Mapping[str, str] | None = None,
    ) -> Batch:
        body = create_body(input_file_id, completion_window, metadata)

        async def find() -> Batch | None:
            return with_job_key(await self.list(limit=MAX_LIST_LIMIT), metadata)

        keyed = metadata is not None and JOB_KEY in metadata
        batch: Batch = await self._send(
            "POST", "/batches", content=body, parse=parse_batch, once=True,
            find=find if keyed else None,
        )  # fmt: skip
        return batch

    async def retrieve(self, batch_id: str) -> Batch:
        return parse_batch(await self._send("GET", batch_path(batch_id)))

    async def cancel(self, batch_id: str) -> Batch:
        return parse_batch(await self._send("POST", batch_path(batch_id) + "/cancel"))

    def list(
        self, *, after: str | None = None, limit: int | None = None
    ) -> AsyncPageRequest[BatchList]:
        """Awaited: the first page (``Batches.list``); ``async for``: every batch, across
        pages."""
        params = _list_params(after, limit)
        return AsyncPageRequest(lambda: self._page(params, limit))

    async def _page(self, params: dict[str, Any], limit: int | None) -> BatchList:
        page = parse_batch_list(await self._send("GET", "/batches", params=params))
        page._afetch = lambda after: self._page(_list_params(after, limit), limit)
        return page

    async def iter_all(self, *, limit: int = MAX_LIST_LIMIT) -> AsyncIterator[Batch]:
        after: str | None = None
        while True:
            page = await self.list(after=after, limit=limit)
            for batch in page.data:
                yield batch
            after = page.next_after
            if after is None:
                return
