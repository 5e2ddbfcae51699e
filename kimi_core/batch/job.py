"""Batch jobs: many chat requests run as Moonshot batches, waited on, read back in order.

``KimiBatchJob.submit(client, requests)`` (or ``client.batches.submit``) checks and writes the
input files (``kimi_core.batch.jsonl``: the chat request builder, one model, no streams, unique
custom ids, split at the file-size limit), uploads each (purpose ``batch``) and creates one
batch per file. The job then

- ``wait()``s: polls with a growing interval (``PollPolicy``: 10 s, then 1.5 times longer each
  time, at most 60 s, as Moonshot's guides poll every 10 to 60 s), a tqdm progress bar on
  stderr when it is a terminal (``progress=True`` / ``False`` forces it), ``timeout`` giving
  up with ``BatchTimeoutError`` while the job runs on; a batch that failed validation is a
  ``BatchFailedError``;
- ``results()`` downloads the output and error files line by line and returns one entry per
  input, in input order: the ``ChatCompletion`` (validated as a chat answer is) or a
  ``BatchLineError`` (the line's own error; ``batch_expired`` / ``batch_cancelled`` /
  ``batch_failed`` for lines that never ran; ``missing`` for a line the server did not
  report). With ``return_exceptions=False`` any failed line raises ``BatchLinesFailedError``,
  which carries every result; ``iter_results()`` yields ``(index, result)`` as lines arrive;
- reports ``usage`` and ``cost`` (the catalog's batch price, ``ModelInfo.batch_price``) once
  the results were read; ``cancel()`` cancels what still runs; ``delete_files()`` removes its
  files (an organization keeps at most 1,000 batch files), as ``outcome(delete_files=True)``
  does once the results were read.

``job.id`` (the batch ids, comma-separated) is all another process needs:
``KimiBatchJob.resume(client, job_id)`` rebuilds the job, and every line's place comes back
from the custom ids (``request-<i>``) and the range each batch records in its metadata
(``batch_jsonl.JOB_KEY``); with your own custom ids, pass them again. Resuming, never
submitting again, is how a job is not run (and billed) twice. A job is not picklable: it
would hold the client and its key; keep the id.

``KimiBatchJob`` and ``AsyncKimiBatchJob`` share ``BatchJobBase`` (``kimi_core.batch.state``:
state, ordering, accounting, progress, timeouts) and the submission rules
(``kimi_core.batch.submit``); only the I/O differs. The waits between polls go through ``_sleep`` /
``_asleep``, which tests replace.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping, Sequence
from typing import Any

from ..errors import (
    BadRequestError,
    NotFoundError,
)
from ..resources.batches import (
    DEFAULT_COMPLETION_WINDOW,
)
from ..types import Batch
from .jsonl import (
    aiter_result_lines,
    iter_result_lines,
)
from .state import (
    AsyncBatchClient,
    BatchClient,
    BatchJobBase,
    BatchResult,
    PollPolicy,
    ResultFolder,
    Waiting,
    split_job_id,
)
from .submit import asubmit_parts, job_args, listed, plan_job, submit_parts

__all__ = ["AsyncKimiBatchJob", "BatchResult", "KimiBatchJob", "PollPolicy"]

_log = logging.getLogger("kimi_core.batch")


def _sleep(seconds: float) -> None:
    """The wait between two polls (a seam: tests advance the emulator's clock instead)."""
    time.sleep(seconds)


async def _asleep(seconds: float) -> None:
    await asyncio.sleep(seconds)


class KimiBatchJob(BatchJobBase):
    """A batch job on a ``KimiClient`` (module docstring)."""

    def __init__(self, client: BatchClient, batches: Sequence[Batch], **kwargs: Any) -> None:
        super().__init__(batches, **kwargs)
        self._client = client

    @classmethod
    def submit(
        cls,
        client: BatchClient,
        requests: Iterable[Any],
        *,
        custom_ids: Iterable[str] | None = None,
        completion_window: str = DEFAULT_COMPLETION_WINDOW,
        metadata: Mapping[str, str] | None = None,
        max_file_bytes: int | None = None,
        max_lines: int | None = None,
        poll: PollPolicy | None = None,
    ) -> KimiBatchJob:
        """Check and upload ``requests`` (chat request dicts, ``ChatRequest``s or
        ``client.prepare`` results) and create the job's batches. Every check runs before
        the first upload. ``custom_ids``: your own line ids (default ``request-<i>``);
        ``max_file_bytes`` / ``max_lines``: where a file is split (default 100 MB, no line
        limit); ``metadata``: sent with every batch."""
        plan = plan_job(
            client, requests, custom_ids, completion_window, metadata, max_file_bytes, max_lines
        )
        try:
            created = submit_parts(client, plan, completion_window, metadata)
        finally:
            plan.close()
        job = cls(client, created, poll=poll, **job_args(plan, created))
        _log.info("batch job %s submitted: %d requests to %s", job.id, plan.total, plan.model)
        return job

    @classmethod
    def resume(
        cls,
        client: BatchClient,
        job_id: str | Iterable[str],
        *,
        custom_ids: Iterable[str] | None = None,
        poll: PollPolicy | None = None,
    ) -> KimiBatchJob:
        """The job ``job_id`` names (``job.id`` of the submitting process), its batches read
        now. ``custom_ids``: the ids you submitted, if they were your own."""
        ids = split_job_id(job_id)
        batches = [client.batches.retrieve(batch_id) for batch_id in ids]
        return cls(client, batches, custom_ids=listed(custom_ids), poll=poll)

    def refresh(self) -> KimiBatchJob:
        """Read the batches that have not ended yet again."""
        for batch in self._running():
            self._update(self._client.batches.retrieve(batch.id))
        return self

    def wait(
        self,
        *,
        timeout: float | None = None,
        poll: PollPolicy | None = None,
        progress: bool | None = None,
    ) -> KimiBatchJob:
        """Poll until every batch has ended (module docstring); ``BatchFailedError`` if one
        failed validation, ``BatchTimeoutError`` after ``timeout`` seconds."""
        waiting = Waiting(self, timeout, poll, progress)
        try:
            while True:
                self.refresh()
                if waiting.finished():
                    break
                _sleep(waiting.delay)
        finally:
            waiting.close()
        self._check_failed()
        return self

    def cancel(self) -> KimiBatchJob:
        """Cancel the batches still running (each goes ``cancelling``, then ``cancelled``;
        lines answered before stay in the results)."""
        batches = self._client.batches
        for batch in self._running():
            try:
                self._update(batches.cancel(batch.id))
            except BadRequestError:  # it ended in the meantime
                self._update(batches.retrieve(batch.id))
        return self

    def iter_results(self) -> Iterator[tuple[int, BatchResult]]:
        """``(index, result)`` for every input, in the order the files give them, then the
        lines no file reported (waits first if the job has not ended)."""
        if not self.done:
            self.wait()
        folder = ResultFolder(self, self._client.secret())
        for file_id in self._result_files():
            for line in iter_result_lines(self._client.files.content_lines(file_id)):
                placed = folder.add(line)
                if placed is not None:
                    yield placed
        yield from folder.missing()

    def outcome(
        self,
        *,
        timeout: float | None = None,
        progress: bool | None = None,
        delete_files: bool = False,
    ) -> list[BatchResult]:
        """``wait``, then every line's answer or ``BatchLineError`` in input order
        (``results(return_exceptions=True)``): what the adapters turn into their answers.
        ``delete_files=True``: the job's input, output and error files are deleted once the
        results were read (not when reading failed: they are still needed then)."""
        self.wait(timeout=timeout, progress=progress)
        results = self.results(return_exceptions=True)
        if delete_files:
            self.delete_files()
        return results

    def results(self, *, return_exceptions: bool = False) -> list[BatchResult]:
        """One result per input, in input order (module docstring); waits first if the job
        has not ended, raising as ``wait`` does (call again after a ``BatchFailedError`` for
        the lines of the other batches)."""
        slots = self._slots()
        for index, result in self.iter_results():
            self._place(slots, index, result)
        return self._finish(slots, return_exceptions)

    def delete_files(self) -> None:
        """Delete the input, output and error files of the batches that ended."""
        for file_id in self._files():
            with contextlib.suppress(NotFoundError):
                self._client.files.delete(file_id)


class AsyncKimiBatchJob(BatchJobBase):
    """A batch job on an ``AsyncKimiClient``: ``KimiBatchJob``'s methods, awaited."""

    def __init__(self, client: AsyncBatchClient, batches: Sequence[Batch], **kwargs: Any) -> None:
        super().__init__(batches, **kwargs)
        self._client = client

    @classmethod
    async def submit(
        cls,
        client: AsyncBatchClient,
        requests: Iterable[Any],
        *,
        custom_ids: Iterable[str] | None = None,
        completion_window: str = DEFAULT_COMPLETION_WINDOW,
        metadata: Mapping[str, str] | None = None,
        max_file_bytes: int | None = None,
        max_lines: int | None = None,
        poll: PollPolicy | None = None,
    ) -> AsyncKimiBatchJob:
        """``KimiBatchJob.submit``; the files are written off the event loop."""
        plan = await asyncio.to_thread(
            plan_job,
            client,
            requests,
            custom_ids,
            completion_window,
            metadata,
            max_file_bytes,
            max_lines,
        )
        try:
            created = await asubmit_parts(client, plan, completion_window, metadata)
        finally:
            plan.close()
        job = cls(client, created, poll=poll, **job_args(plan, created))
        _log.info("batch job %s submitted: %d requests to %s", job.id, plan.total, plan.model)
        return job

    @classmethod
    async def resume(
        cls,
        client: AsyncBatchClient,
        job_id: str | Iterable[str],
        *,
        custom_ids: Iterable[str] | None = None,
        poll: PollPolicy | None = None,
    ) -> AsyncKimiBatchJob:
        ids = split_job_id(job_id)
        batches = await asyncio.gather(*(client.batches.retrieve(i) for i in ids))
        return cls(client, batches, custom_ids=listed(custom_ids), poll=poll)

    async def refresh(self) -> AsyncKimiBatchJob:
        running = self._running()
        for batch in await asyncio.gather(*(self._client.batches.retrieve(b.id) for b in running)):
            self._update(batch)
        return self

    async def wait(
        self,
        *,
        timeout: float | None = None,
        poll: PollPolicy | None = None,
        progress: bool | None = None,
    ) -> AsyncKimiBatchJob:
        waiting = Waiting(self, timeout, poll, progress)
        try:
            while True:
                await self.refresh()
                if waiting.finished():
                    break
                await _asleep(waiting.delay)
        finally:
            waiting.close()
        self._check_failed()
        return self

    async def cancel(self) -> AsyncKimiBatchJob:
        batches = self._client.batches
        for batch in self._running():
            try:
                self._update(await batches.cancel(batch.id))
            except BadRequestError:
                self._update(await batches.retrieve(batch.id))
        return self

    async def iter_results(self) -> AsyncIterator[tuple[int, BatchResult]]:
        if not self.done:
            await self.wait()
        folder = ResultFolder(self, self._client.secret())
        for file_id in self._result_files():
            async for line in aiter_result_lines(self._client.files.content_lines(file_id)):
                placed = folder.add(line)
                if placed is not None:
                    yield placed
        for missing in folder.missing():
            yield missing

    async def outcome(
        self,
        *,
        timeout: float | None = None,
        progress: bool | None = None,
        delete_files: bool = False,
    ) -> list[BatchResult]:
        """``KimiBatchJob.outcome``, awaited."""
        await self.wait(timeout=timeout, progress=progress)
        results = await self.results(return_exceptions=True)
        if delete_files:
            await self.delete_files()
        return results

    async def results(self, *, return_exceptions: bool = False) -> list[BatchResult]:
        slots = self._slots()
        async for index, result in self.iter_results():
            self._place(slots, index, result)
        return self._finish(slots, return_exceptions)

    async def delete_files(self) -> None:
        for file_id in self._files():
            with contextlib.suppress(NotFoundError):
                await self._client.files.delete(file_id)
