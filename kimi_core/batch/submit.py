"""Submitting a batch job: every check before the first upload, and never two batches for one.

``plan`` writes and checks every line (the client's request builder, ``kimi_core.batch.jsonl``)
before anything is uploaded; ``create`` / ``acreate`` create one part's batch and, when the
answer was lost after the request may have reached the server, look for the batch by the job
key in its metadata before giving up (``kimi_core.resources.batches``); ``submit_error`` says
what a failed submission leaves behind.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ..errors import (
    APIConnectionError,
    BatchSubmitError,
    InvalidParameterError,
    KimiError,
)
from ..resources.batches import (
    MAX_LIST_LIMIT,
    check_metadata,
    window_seconds,
)
from ..resources.files import MAX_FILE_BYTES
from ..types import Batch
from .jsonl import (
    BatchFile,
    BatchInput,
    parse_job_key,
    write_batch_files,
)
from .state import AsyncBatchClient, BatchClient

__all__ = ["acreate", "create", "job_args", "listed", "plan_job", "submit_error"]


def _prepare(
    client: BatchClient | AsyncBatchClient,
) -> Callable[[Any], tuple[dict[str, Any], bytes]]:
    """Each line through the client's public request builder (every per-model rule)."""

    def prepare(request: Any) -> tuple[dict[str, Any], bytes]:
        prepared = client.prepare(request)
        return prepared.payload, prepared.body

    return prepare


def plan_job(
    client: BatchClient | AsyncBatchClient,
    requests: Iterable[Any],
    custom_ids: Iterable[str] | None,
    completion_window: str,
    metadata: Mapping[str, str] | None,
    max_file_bytes: int | None,
    max_lines: int | None,
) -> BatchInput:
    """Check the options, then write and check every line (before any upload)."""
    window_seconds(completion_window)
    check_metadata(metadata)
    limit = MAX_FILE_BYTES if max_file_bytes is None else max_file_bytes
    if not 1 <= limit <= MAX_FILE_BYTES:
        raise InvalidParameterError(
            f"max_file_bytes must be between 1 and {MAX_FILE_BYTES:,} (the Files API limit)",
            param="max_file_bytes",
        )
    return write_batch_files(
        requests,
        _prepare(client),
        custom_ids=custom_ids,
        max_file_bytes=limit,
        max_lines=max_lines,
    )


def _found(plan: BatchInput, part: BatchFile, batches: Iterable[Batch]) -> Batch | None:
    """The batch of ``part`` among ``batches``, by its job key."""
    key = plan.metadata(part, None)
    for batch in batches:
        if parse_job_key(batch.metadata) == parse_job_key(key):
            return batch
    return None


def submit_error(exc: KimiError, created: list[Batch], plan: BatchInput) -> KimiError:
    """What a failed submission raises: the error itself when surely nothing was created."""
    job_id = ",".join(batch.id for batch in created)
    ambiguous = isinstance(exc, APIConnectionError) and exc.request_sent
    if not created and not ambiguous:
        return exc
    message = f"submitting the batch job failed: {exc}"
    if created:
        message += f"; batches already created: {job_id} (resume or cancel them)"
    if ambiguous:
        message += (
            f"; the last batch may have been created too: client.batches.list() shows it "
            f"with metadata kimi_job starting {plan.token!r}"
        )
    return BatchSubmitError(message, job_id=job_id)


def job_args(plan: BatchInput, created: list[Batch]) -> dict[str, Any]:
    return {
        "custom_ids": plan.custom_ids,
        "model": plan.model,
        "ranges": {batch.id: part.lines for batch, part in zip(created, plan.files, strict=True)},
    }


def listed(custom_ids: Iterable[str] | None) -> list[str] | None:
    return None if custom_ids is None else list(custom_ids)


def create(
    client: BatchClient,
    plan: BatchInput,
    part: BatchFile,
    file_id: str,
    window: str,
    metadata: Mapping[str, str] | None,
) -> Batch:
    """Create ``part``'s batch; when the answer was lost after the request was sent, look
    for the batch by its job key before giving up (module docstring of ``batches``)."""
    try:
        return client.batches.create(
            file_id, completion_window=window, metadata=plan.metadata(part, metadata)
        )
    except APIConnectionError as exc:
        if not exc.request_sent:
            raise
        found = None
        with contextlib.suppress(KimiError):
            found = _found(plan, part, client.batches.list(limit=MAX_LIST_LIMIT).data)
        if found is None:
            raise
        return found


async def acreate(
    client: AsyncBatchClient,
    plan: BatchInput,
    part: BatchFile,
    file_id: str,
    window: str,
    metadata: Mapping[str, str] | None,
) -> Batch:
    try:
        return await client.batches.create(
            file_id, completion_window=window, metadata=plan.metadata(part, metadata)
        )
    except APIConnectionError as exc:
        if not exc.request_sent:
            raise
        found = None
        with contextlib.suppress(KimiError):
            page = await client.batches.list(limit=MAX_LIST_LIMIT)
            found = _found(plan, part, page.data)
        if found is None:
            raise
        return found
