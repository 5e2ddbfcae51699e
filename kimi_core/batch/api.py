"""``client.batches``: the Batch API plus the jobs built on it (``submit``, ``resume``).

``JobBatches`` / ``AsyncJobBatches`` are the plain Batch API of ``kimi_core.resources.batches``
(create, retrieve, cancel, list) with the two methods that need the batch layer:
``submit`` runs chat requests as a ``KimiBatchJob``, ``resume`` finds a job again by its id,
from any process.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ..errors import BatchSubmitError
from ..resources.batches import DEFAULT_COMPLETION_WINDOW, ASend, AsyncBatches, Batches, Send
from .job import AsyncKimiBatchJob, KimiBatchJob
from .state import AsyncBatchClient, BatchClient, PollPolicy

__all__ = ["AsyncJobBatches", "JobBatches"]


def _callback_failed(job_id: str, exc: Exception) -> BatchSubmitError:
    """``on_submit`` raised: the job exists and runs; its id must not be lost with the
    callback's error (the cause, chained)."""
    return BatchSubmitError(
        f"batch job {job_id} was submitted and runs, but on_submit raised "
        f"{type(exc).__name__}: {exc}; resume it by its id (job_id)",
        job_id=job_id,
    )


class JobBatches(Batches):
    """Sync Batch API with jobs, reached as ``KimiClient.batches``."""

    def __init__(self, send: Send, client: BatchClient) -> None:
        super().__init__(send)
        self._client = client

    def submit(
        self,
        requests: Iterable[Any],
        *,
        custom_ids: Iterable[str] | None = None,
        completion_window: str = DEFAULT_COMPLETION_WINDOW,
        metadata: Mapping[str, str] | None = None,
        max_file_bytes: int | None = None,
        max_lines: int | None = None,
        poll: PollPolicy | None = None,
        on_submit: Callable[[KimiBatchJob], object] | None = None,
    ) -> KimiBatchJob:
        """Run chat ``requests`` as a batch job (``KimiBatchJob.submit``); ``on_submit(job)``
        is called once it exists (to keep its id for a ``resume``). A callback that raises
        does not lose the job: ``BatchSubmitError`` with its ``job_id`` (the callback's error
        chained) is raised, and the job runs on."""
        job = KimiBatchJob.submit(
            self._client,
            requests,
            custom_ids=custom_ids,
            completion_window=completion_window,
            metadata=metadata,
            max_file_bytes=max_file_bytes,
            max_lines=max_lines,
            poll=poll,
        )
        if on_submit is not None:
            try:
                on_submit(job)
            except Exception as exc:
                raise _callback_failed(job.id, exc) from exc
        return job

    def resume(
        self,
        job_id: str | Iterable[str],
        *,
        custom_ids: Iterable[str] | None = None,
        poll: PollPolicy | None = None,
    ) -> KimiBatchJob:
        """The job ``job_id`` names, from any process (``KimiBatchJob.resume``)."""
        return KimiBatchJob.resume(self._client, job_id, custom_ids=custom_ids, poll=poll)


class AsyncJobBatches(AsyncBatches):
    """Async Batch API with jobs, reached as ``AsyncKimiClient.batches``."""

    def __init__(self, send: ASend, client: AsyncBatchClient) -> None:
        super().__init__(send)
        self._client = client

    async def submit(
        self,
        requests: Iterable[Any],
        *,
        custom_ids: Iterable[str] | None = None,
        completion_window: str = DEFAULT_COMPLETION_WINDOW,
        metadata: Mapping[str, str] | None = None,
        max_file_bytes: int | None = None,
        max_lines: int | None = None,
        poll: PollPolicy | None = None,
        on_submit: Callable[[AsyncKimiBatchJob], object] | None = None,
    ) -> AsyncKimiBatchJob:
        """``Batches.submit``, awaited; ``on_submit`` may be a coroutine function."""
        job = await AsyncKimiBatchJob.submit(
            self._client,
            requests,
            custom_ids=custom_ids,
            completion_window=completion_window,
            metadata=metadata,
            max_file_bytes=max_file_bytes,
            max_lines=max_lines,
            poll=poll,
        )
        if on_submit is not None:
            try:
                submitted = on_submit(job)
                if inspect.isawaitable(submitted):
                    await submitted
            except Exception as exc:
                raise _callback_failed(job.id, exc) from exc
        return job

    async def resume(
        self,
        job_id: str | Iterable[str],
        *,
        custom_ids: Iterable[str] | None = None,
        poll: PollPolicy | None = None,
    ) -> AsyncKimiBatchJob:
        return await AsyncKimiBatchJob.resume(
            self._client, job_id, custom_ids=custom_ids, poll=poll
        )
