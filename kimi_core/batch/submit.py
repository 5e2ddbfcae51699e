"""Submitting a batch job: every check before the first upload, and never two batches for one.

``plan`` writes and checks every line (the client's request builder, ``kimi_core.batch.jsonl``)
before anything is uploaded; ``submit_parts`` / ``asubmit_parts`` upload each part under a name
unique to the job and create its batch with the job key in its metadata, so that after any
failure that may have reached the server (a 5xx, a lost answer) the file and the batch are
looked up by name and key before anything is sent again (``kimi_core.resources.files``,
``kimi_core.resources.batches``); ``submit_error`` says what a failed submission leaves
behind.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ..errors import (
    BatchSubmitError,
    InvalidParameterError,
    KimiError,
)
from ..resources.batches import (
    check_metadata,
    window_seconds,
)
from ..resources.files import MAX_FILE_BYTES
from ..transport.retry import maybe_acted_on
from ..types import Batch
from .jsonl import (
    BatchInput,
    write_batch_files,
)
from .state import AsyncBatchClient, BatchClient

__all__ = ["asubmit_parts", "job_args", "listed", "plan_job", "submit_error", "submit_parts"]


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


def submit_error(
    exc: KimiError, created: list[Batch], plan: BatchInput, *, creating: bool
) -> KimiError:
    """What a failed submission raises: the error itself when surely nothing was created.
    ``creating``: the failure was the create's (an upload's failure creates no batch; a
    file it may have stored is found by its unique name on the next submit's lookup, or
    deleted with ``files.delete``)."""
    job_id = ",".join(batch.id for batch in created)
    ambiguous = creating and maybe_acted_on(exc)
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


def submit_parts(
    client: BatchClient,
    plan: BatchInput,
    window: str,
    metadata: Mapping[str, str] | None,
) -> list[Batch]:
    """Upload each part and create its batch (module docstring); ``submit_error`` on a
    failure."""
    created: list[Batch] = []
    creating = False
    try:
        for part in plan.files:
            creating = False
            uploaded = client.files.upload(
                part.file, "batch", filename=plan.filename(part), unique_filename=True
            )
            creating = True
            created.append(
                client.batches.create(
                    uploaded.id, completion_window=window, metadata=plan.metadata(part, metadata)
                )
            )
    except KimiError as exc:
        error = submit_error(exc, created, plan, creating=creating)
        if error is exc:
            raise
        raise error from exc
    return created


async def asubmit_parts(
    client: AsyncBatchClient,
    plan: BatchInput,
    window: str,
    metadata: Mapping[str, str] | None,
) -> list[Batch]:
    """``submit_parts``, awaited."""
    created: list[Batch] = []
    creating = False
    try:
        for part in plan.files:
            creating = False
            uploaded = await client.files.upload(
                part.file, "batch", filename=plan.filename(part), unique_filename=True
            )
            creating = True
            created.append(
                await client.batches.create(
                    uploaded.id, completion_window=window, metadata=plan.metadata(part, metadata)
                )
            )
    except KimiError as exc:
        error = submit_error(exc, created, plan, creating=creating)
        if error is exc:
            raise
        raise error from exc
    return created
