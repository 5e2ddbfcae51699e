"""A batch job's state and everything about it that is not I/O.

``BatchJobBase`` holds the job's batches and answers what the job is (ids, status, counts,
which batch holds which input), puts result lines in input order and adds up their usage and
cost (``ResultFolder``), and shows progress while ``wait`` polls (``Waiting``, ``PollPolicy``).
``KimiBatchJob`` and ``AsyncKimiBatchJob`` (``kimi_core.batch.job``) add the I/O; the
adapters fold each answer into its chat turn with ``fold_answers``. ``BatchClient`` /
``AsyncBatchClient`` say what a job needs of its client, so this layer never imports the
client module.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from ..catalog.prices import Cost, cost_for
from ..chat.request import PreparedChat
from ..errors import (
    BatchFailedError,
    BatchLineError,
    BatchLinesFailedError,
    BatchTimeoutError,
    InvalidParameterError,
    MalformedResponseError,
)
from ..resources.batches import (
    AsyncBatches,
    Batches,
)
from ..resources.files import AsyncFiles, Files
from ..types import Batch, BatchRequestCounts, ChatCompletion
from ..wire.answer import completion_usage
from ..wire.error_body import scrub
from ..wire.usage import UsageCounts, add_usage, normalize_usage
from .jsonl import (
    LineRange,
    custom_id_index,
    default_custom_id,
    parse_job_key,
    parse_result_line,
)

if TYPE_CHECKING:
    from ..chat.turn import ChatTurn

__all__ = [
    "AsyncBatchClient",
    "BatchClient",
    "BatchJobBase",
    "BatchResult",
    "PollPolicy",
    "ResultFolder",
    "Waiting",
    "fold_answers",
    "split_job_id",
]

_log = logging.getLogger("kimi_core.batch")

BatchResult = ChatCompletion | BatchLineError
Slots = list[BatchResult | None] | dict[int, BatchResult]
_T = TypeVar("_T")
_L = TypeVar("_L", bound="ChatTurn")
# Which code a line that never ran gets, by the status of its batch.
_UNRUN = {
    "expired": ("batch_expired", "the batch expired before this line ran"),
    "cancelled": ("batch_cancelled", "the batch was cancelled before this line ran"),
    "failed": ("batch_failed", "the batch failed validation, so no line ran"),
}
_ORDER = ("validating", "cancelling", "in_progress", "finalizing")
_BAD_LINE_CHARS = 300


@dataclass(frozen=True)
class PollPolicy:
    """How ``wait`` polls: ``initial`` seconds first, each wait ``factor`` times longer, at
    most ``maximum`` (Moonshot's poller waits 10 s; its guides poll every 10-60 s,
    ``docs/kimi-api/batch.md`` §5)."""

    initial: float = 10.0
    factor: float = 1.5
    maximum: float = 60.0

    def __post_init__(self) -> None:
        if not (0 < self.initial <= self.maximum and self.factor >= 1):
            raise InvalidParameterError(
                "PollPolicy needs 0 < initial <= maximum and factor >= 1, got "
                f"initial={self.initial}, factor={self.factor}, maximum={self.maximum}",
                param="poll",
            )

    def delays(self) -> Iterator[float]:
        delay = self.initial
        while True:
            yield min(delay, self.maximum)
            delay *= self.factor


def split_job_id(job_id: str | Iterable[str]) -> tuple[str, ...]:
    """The batch ids of a job id (``"batch_a,batch_b"``) or of a list of them."""
    ids = job_id.split(",") if isinstance(job_id, str) else list(job_id)
    parts = tuple(part.strip() for part in ids if isinstance(part, str) and part.strip())
    if not parts or len(parts) != len(ids):
        raise InvalidParameterError(
            f"job_id must name one or more batches ('batch_a,batch_b'), got {job_id!r}",
            param="job_id",
        )
    return parts


def _is_terminal(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


class _Progress:
    """A tqdm bar on stderr: answered lines of all the job's lines (``progress`` None: only
    when stderr is a terminal). tqdm is imported only when a bar is shown."""

    def __init__(self, enabled: bool | None) -> None:
        self.enabled = _is_terminal(sys.stderr) if enabled is None else enabled
        self._bar: Any = None

    def show(self, job: BatchJobBase) -> None:
        if not self.enabled:
            return
        if self._bar is None:
            from tqdm import tqdm

            self._bar = tqdm(total=job.total or None, unit="req", dynamic_ncols=True)
        counts = job.counts
        bar = self._bar
        bar.total = job.total or None
        bar.n = (counts.completed or 0) + (counts.failed or 0)
        bar.set_description(f"batch {job.status}", refresh=False)
        bar.refresh()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


class Waiting:
    """One ``wait``: progress after each poll, the next interval, the timeout."""

    def __init__(
        self,
        job: BatchJobBase,
        timeout: float | None,
        poll: PollPolicy | None,
        progress: bool | None,
    ) -> None:
        self.job = job
        self.delays = (poll or job.poll).delays()
        self.deadline = None if timeout is None else time.monotonic() + timeout
        self.timeout = timeout
        self.progress = _Progress(progress)
        self.delay = 0.0

    def finished(self) -> bool:
        """After a poll: True when the job has ended; else ``delay`` is the next wait."""
        job = self.job
        self.progress.show(job)
        if job.done:
            return True
        delay = next(self.delays)
        if self.deadline is not None:
            left = self.deadline - time.monotonic()
            if left <= 0:
                raise BatchTimeoutError(
                    f"batch job {job.id} is still {job.status} after {self.timeout} s; it "
                    "keeps running: resume it by its id later",
                    job_id=job.id,
                )
            delay = min(delay, left)
        self.delay = delay
        return False

    def close(self) -> None:
        self.progress.close()


class ResultFolder:
    """Puts result lines in input order and adds up their usage and cost; an error line
    that echoes the API key (a proxy's page, say) has it replaced by ``***``."""

    def __init__(self, job: BatchJobBase, secret: str) -> None:
        self.job = job
        self.secret = secret
        self.total = job.total
        self.seen: set[int] = set()
        self.usage: UsageCounts | None = None
        self.cost: Cost | None = None
        self.cost_known = True

    def add(self, line: str) -> tuple[int, BatchResult] | None:
        """The line's ``(index, result)``; None for a second report of a line, or for a line
        that is none of the job's answers (not JSON, no custom id, an id outside the job):
        that one is reported (``BatchJobBase.bad_lines``, a warning in the log) and skipped,
        so one foreign line never hides the paid answers."""
        try:
            custom_id, result = parse_result_line(line)
            index = self.job._index_of(custom_id, self.total)
        except MalformedResponseError as exc:
            self.job._bad_line(line, exc.message, self.secret)
            return None
        if index in self.seen:
            return None
        self.seen.add(index)
        if isinstance(result, BatchLineError):
            result.index = index
            if self.secret:
                _scrub_line(result, self.secret)
            return index, result
        usage = completion_usage(result.wire_dict())
        counts = normalize_usage(usage) if usage is not None else None
        self.usage = add_usage(self.usage, counts)
        cost = cost_for(counts, result.model, self.job.model, batch=True)
        if cost is None:
            self.cost_known = False
        elif self.cost_known:
            self.cost = cost if self.cost is None else self.cost + cost
        return index, result

    def missing(self) -> Iterator[tuple[int, BatchLineError]]:
        """The lines no file reported, each as its ``BatchLineError``; then the totals."""
        job = self.job
        for batch, lines in job._ranges():
            if lines is None:
                continue
            for index in range(lines.start, lines.stop):
                if index not in self.seen:
                    yield index, job._unrun(index, batch)
        job.usage = self.usage
        job.cost = self.cost if self.cost_known else None


def _scrub_line(line: BatchLineError, secret: str) -> None:
    line.message = scrub(line.message, secret)
    line.args = (line.message,)
    typed = line.error
    if typed is not None:
        typed.message = scrub(typed.message, secret)
        typed.args = (typed.message,)
        typed.body = scrub(typed.body, secret)


def fold_answers(
    job: BatchJobBase,
    results: Sequence[BatchResult],
    loops: Sequence[_L] | None,
    new_loop: Callable[[], _L],
    convert: Callable[[_L, int], _T],
    *,
    return_exceptions: bool,
) -> list[_T | BatchLineError]:
    """The adapters' last step: each answer folded into its request's loop (``loops``, one
    per input; None for a resumed job, whose requests are unknown: ``new_loop()`` each) and
    read out by ``convert(loop, index)`` as the framework's message, failed lines kept in
    place. An answer that only calls builtin tools (which a batch cannot answer) is a
    ``BatchLineError`` ``builtin_tool_call``. Raises ``BatchLinesFailedError`` when lines
    failed, unless ``return_exceptions``."""
    out: list[_T | BatchLineError] = []
    errors: dict[int, BatchLineError] = {}
    for index, result in enumerate(results):
        item: _T | BatchLineError
        if isinstance(result, BatchLineError):
            item = result
        else:
            loop = new_loop() if loops is None else loops[index]
            if loop.add(result):
                item = BatchLineError(
                    "the answer only calls builtin tools, which a batch line cannot answer",
                    index=index,
                    custom_id=job.custom_id_of(index),
                    code="builtin_tool_call",
                )
            else:
                item = convert(loop, index)
        if isinstance(item, BatchLineError):
            errors[index] = item
        out.append(item)
    if errors and not return_exceptions:
        raise BatchLinesFailedError(errors, out)
    return out


class BatchJobBase:
    """The state of a job and everything about it that is not I/O (module docstring)."""

    def __init__(
        self,
        batches: Sequence[Batch],
        *,
        custom_ids: Sequence[str] | None = None,
        model: str | None = None,
        ranges: Mapping[str, LineRange] | None = None,
        poll: PollPolicy | None = None,
    ) -> None:
        if not batches:
            raise InvalidParameterError("a batch job has at least one batch", param="job_id")
        self.batches: list[Batch] = list(batches)
        self.custom_ids: list[str] | None = None if custom_ids is None else list(custom_ids)
        self._ids_index = (
            None if self.custom_ids is None else {cid: i for i, cid in enumerate(self.custom_ids)}
        )
        self.model = model
        """The model the requests named (None for a resumed job: each answer names its own)."""
        self._given_ranges = dict(ranges or {})
        self._ranges_seen: list[tuple[Batch, LineRange | None]] | None = None
        self.poll = poll or PollPolicy()
        self.usage: UsageCounts | None = None
        """The summed token usage of the answered lines, once ``results`` were read."""
        self.cost: Cost | None = None
        """Their cost at the batch price, once ``results`` were read (None when a model's
        price is unknown)."""
        self.bad_lines: list[str] = []
        """Result lines that were none of the job's answers (not JSON, no custom id, an id
        outside the job), each with why (key scrubbed, cut at 300 characters), as the last
        read of the results found them; each is also logged as a warning."""
        for batch in self.batches:
            found = parse_job_key(batch.metadata)
            if found is not None and found[1].custom and self.custom_ids is None:
                raise InvalidParameterError(
                    f"batch {batch.id} was submitted with your own custom ids: pass them "
                    "again (custom_ids=...) so the results can be put in input order",
                    param="custom_ids",
                )

    # -- what the job is -------------------------------------------------------------------

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(batch.id for batch in self.batches)

    @property
    def id(self) -> str:
        """The job id: its batch ids, comma-separated (``resume`` takes it)."""
        return ",".join(self.ids)

    @property
    def done(self) -> bool:
        return all(batch.done for batch in self.batches)

    @property
    def status(self) -> str:
        """The batch status when there is one batch; else the least advanced running one,
        or, once all ended, ``completed`` only if all completed (else the worst)."""
        statuses = [batch.status or "unknown" for batch in self.batches]
        running = [s for s in statuses if s not in ("completed", "failed", "expired", "cancelled")]
        if running:
            return min(running, key=lambda s: _ORDER.index(s) if s in _ORDER else -1)
        for worst in ("failed", "expired", "cancelled"):
            if worst in statuses:
                return worst
        return "completed"

    @property
    def counts(self) -> BatchRequestCounts:
        """``request_counts`` summed over the job's batches."""
        total = completed = failed = 0
        for batch in self.batches:
            counts = batch.counts
            total += counts.total or 0
            completed += counts.completed or 0
            failed += counts.failed or 0
        return BatchRequestCounts(total=total, completed=completed, failed=failed)

    @property
    def total(self) -> int:
        """How many lines the job has (0 while unknown: a resumed job still validating)."""
        ranges = [lines for _, lines in self._ranges()]
        if all(lines is not None for lines in ranges):
            return sum(lines.count for lines in ranges if lines is not None)
        return self.counts.total or 0

    def _ranges(self) -> list[tuple[Batch, LineRange | None]]:
        """Each batch's inputs: as submitted here, else from its metadata (``JOB_KEY``),
        else counted on from the previous batch by ``request_counts.total`` (kept until a
        batch changes)."""
        if self._ranges_seen is not None:
            return self._ranges_seen
        out: list[tuple[Batch, LineRange | None]] = []
        start: int | None = 0
        for batch in self.batches:
            lines = self._given_ranges.get(batch.id)
            if lines is None:
                found = parse_job_key(batch.metadata)
                lines = found[1] if found is not None else None
            if lines is None and start is not None and batch.counts.total:
                lines = LineRange(start, start + (batch.counts.total or 0))
            out.append((batch, lines))
            start = lines.stop if lines is not None else None
        self._ranges_seen = out
        return out

    def custom_id_of(self, index: int) -> str:
        return self.custom_ids[index] if self.custom_ids is not None else default_custom_id(index)

    def line_info(self, index: int) -> dict[str, str | None]:
        """``{"id": <batch id>, "custom_id"}`` of input ``index``: what the adapters add to
        each answer's metadata as ``batch``."""
        return {"id": self.batch_of(index), "custom_id": self.custom_id_of(index)}

    def batch_of(self, index: int) -> str | None:
        """The id of the batch that holds input ``index``."""
        for batch, lines in self._ranges():
            if lines is not None and lines.start <= index < lines.stop:
                return batch.id
        return None

    def _index_of(self, custom_id: str, total: int) -> int:
        """The input index of a result line's custom id (``total``: the job's size, 0 if
        unknown)."""
        index = (
            custom_id_index(custom_id)
            if self._ids_index is None
            else self._ids_index.get(custom_id)
        )
        if index is None or (total and not 0 <= index < total):
            raise MalformedResponseError(
                f"a result line names custom id {custom_id!r}, which is not one of this job's "
                "inputs (resumed with other custom_ids?)",
                body=custom_id,
            )
        return index

    def _bad_line(self, line: str, why: str, secret: str) -> None:
        text = line if len(line) <= _BAD_LINE_CHARS else line[:_BAD_LINE_CHARS] + "..."
        if secret:
            text = scrub(text, secret)
        report = f"{why}: {text!r}"
        self.bad_lines.append(report)
        _log.warning("batch job %s: a result line was skipped: %s", self.id, report)

    def _unrun(self, index: int, batch: Batch) -> BatchLineError:
        code, message = _UNRUN.get(
            batch.status or "", ("missing", "the batch reported no result for this line")
        )
        if batch.status == "failed" and batch.error_details:
            message += f": {batch.error_details[0].get('message')}"
        return BatchLineError(message, index=index, custom_id=self.custom_id_of(index), code=code)

    # -- state changes ---------------------------------------------------------------------

    def _update(self, batch: Batch) -> None:
        for position, known in enumerate(self.batches):
            if known.id == batch.id:
                self.batches[position] = batch
                self._ranges_seen = None
                return

    def _running(self) -> list[Batch]:
        return [batch for batch in self.batches if not batch.done]

    def _check_failed(self) -> None:
        failed = [batch for batch in self.batches if batch.status == "failed"]
        if not failed:
            return
        details = [detail for batch in failed for detail in batch.error_details]
        reason = "; ".join(
            f"{d.get('code') or 'error'}: {d.get('message')}"
            + (f" (line {d['line']})" if d.get("line") is not None else "")
            for d in details[:3]
        )
        raise BatchFailedError(
            f"batch {', '.join(b.id for b in failed)} failed validation"
            + (f": {reason}" if reason else " (the server gave no details)"),
            job_id=self.id,
            errors=details,
        )

    def _result_files(self) -> list[str]:
        """The output then error files to read, batch after batch."""
        return [
            file_id
            for batch in self.batches
            for file_id in (batch.output_file_id, batch.error_file_id)
            if file_id
        ]

    def _files(self) -> list[str]:
        return [
            file_id
            for batch in self.batches
            if batch.done
            for file_id in (batch.input_file_id, batch.output_file_id, batch.error_file_id)
            if file_id
        ]

    def _slots(self) -> Slots:
        """Where ``results`` puts each answer: a list of the job's size; a dict when the size
        is unknown (a resumed job with neither metadata nor counts), so that memory follows
        the lines read, never the indices they name."""
        self.bad_lines = []
        total = self.total
        return [None] * total if total else {}

    @staticmethod
    def _place(results: Slots, index: int, result: BatchResult) -> None:
        results[index] = result  # a known size already bounds ``index`` (``_index_of``)

    def _bounded(self, slots: dict[int, BatchResult]) -> list[BatchResult | None]:
        """An unknown size's results: as many places as lines were read (each input is
        reported once), an answer naming an index past that reported as a bad line."""
        size = min(max(slots, default=-1) + 1, len(slots))
        for index in sorted(i for i in slots if i >= size):
            self._bad_line(
                self.custom_id_of(index),
                f"an answer names input {index}, past the {size} lines the job's files hold",
                "",
            )
        return [slots.get(index) for index in range(size)]

    def _finish(self, slots: Slots, return_exceptions: bool) -> list[BatchResult]:
        placed = self._bounded(slots) if isinstance(slots, dict) else slots
        results: list[BatchResult] = [
            BatchLineError(
                "the batch reported no result for this line",
                index=index,
                custom_id=self.custom_id_of(index),
                code="missing",
            )
            if result is None
            else result
            for index, result in enumerate(placed)
        ]
        errors = {i: r for i, r in enumerate(results) if isinstance(r, BatchLineError)}
        if errors and not return_exceptions:
            raise BatchLinesFailedError(errors, results)
        return results

    def __repr__(self) -> str:
        counts = self.counts
        done = (counts.completed or 0) + (counts.failed or 0)
        return (
            f"{type(self).__name__}(id={self.id!r}, status={self.status!r}, "
            f"answered={done}/{self.total})"
        )

    def __getstate__(self) -> None:
        raise TypeError(
            f"a {type(self).__name__} holds its client and the API key: it is not picklable; "
            "keep job.id and resume it (KimiBatchJob.resume(client, job_id))"
        )


class BatchClient(Protocol):
    """What a ``KimiBatchJob`` needs of its client (a ``KimiClient``): the request builder,
    the Files and Batch APIs, and the key in use (to scrub it from error lines)."""

    def secret(self) -> str: ...

    @property
    def files(self) -> Files: ...

    @property
    def batches(self) -> Batches: ...

    def prepare(self, request: Any, *, stream: bool = False) -> PreparedChat: ...


class AsyncBatchClient(Protocol):
    """What an ``AsyncKimiBatchJob`` needs of its client (an ``AsyncKimiClient``)."""

    def secret(self) -> str: ...

    @property
    def files(self) -> AsyncFiles: ...

    @property
    def batches(self) -> AsyncBatches: ...

    def prepare(self, request: Any, *, stream: bool = False) -> PreparedChat: ...
