"""Kimi's batch jobs: lists of ``ChatMessage``s as one Moonshot batch job, answers as
``ChatResponse``s.

``BatchJobMethods`` holds ``Kimi``'s four public batch methods (``batch_job``,
``abatch_job``, ``resume_batch_job``, ``aresume_batch_job``); ``Kimi`` inherits them. Each
conversation becomes a request exactly as ``chat`` would send it (``Kimi._turn``) and the
core runs the job (``kimi_core.batch.job``). Each answer is read out by
``utils.chat_response``, the reader ``chat`` uses, so a ``ChatResponse`` of a batch has the
same blocks, ``raw`` and ``additional_kwargs`` (token counts, ``cost`` at the batch price) as
one from ``chat``, with ``batch`` ``{"id", "custom_id"}`` added.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from llama_index.core.base.llms.types import ChatMessage, ChatResponse
from pydantic import BaseModel

from kimi_core.integration import BatchLineError, ChatTurn, InvalidParameterError

from . import _structured
from .utils import chat_response

if TYPE_CHECKING:
    # The batch job pulls in httpx: imported on first use (``import llama_index_kimi``
    # stays light).
    from kimi_core.integration import (
        AsyncKimiBatchJob,
        BatchJobBase,
        BatchResult,
        KimiBatchJob,
        KimiClients,
        PollPolicy,
    )

__all__ = ["BatchJobMethods", "answers", "check_kwargs"]


def check_kwargs(kwargs: dict[str, Any]) -> None:
    """What a batch job cannot do, refused before anything is built."""
    if kwargs.get("stream"):
        raise InvalidParameterError("a batch job cannot stream", param="stream")


def answers(
    job: BatchJobBase,
    results: Sequence[BatchResult],
    turns: Sequence[ChatTurn] | None,
    return_exceptions: bool,
    schema: type[BaseModel] | None = None,
) -> list[ChatResponse | BatchLineError]:
    """Every line of ``job`` as a ``ChatResponse`` (``turns`` None: a resumed job), the
    ``schema`` object of each in ``additional_kwargs["parsed"]``."""
    from kimi_core.integration import fold_answers

    def response(turn: ChatTurn, index: int) -> ChatResponse:
        answer = chat_response(turn)
        answer.additional_kwargs["batch"] = job.line_info(index)
        if schema is not None and not answer.message.additional_kwargs.get("tool_calls"):
            answer.additional_kwargs["parsed"] = _structured.validate(answer, schema)
        return answer

    return fold_answers(
        job,
        results,
        turns,
        lambda: ChatTurn({}, max_rounds=0, batch=True),
        response,
        return_exceptions=return_exceptions,
    )


class BatchJobMethods:
    """``Kimi``'s batch-job methods (docs/guides/batch-jobs.md), on top of what ``Kimi`` provides:
    its client lifecycle and ``_turn`` (the request ``chat`` would send)."""

    if TYPE_CHECKING:
        _clients: KimiClients

        def _turn(
            self, messages: Sequence[ChatMessage], kwargs: dict[str, Any], batch: bool = False
        ) -> ChatTurn: ...

        def _structured_mode(self) -> _structured.StructuredOutputMode: ...

    def _batch_turns(
        self, conversations: Sequence[Sequence[ChatMessage]], kwargs: dict[str, Any]
    ) -> tuple[list[ChatTurn], type[BaseModel] | None]:
        """The requests, and the pydantic class given as ``response_format`` (if one was):
        as ``ChatKimi.batch_job``, it asks for its JSON and the answers are parsed into it."""
        check_kwargs(kwargs)
        schema: Any = kwargs.get("response_format")
        if not _structured.is_pydantic_class(schema):
            schema = None
        else:
            kwargs.update(_structured.json_mode_kwargs(schema, kwargs, self._structured_mode()))
        turns = [self._turn(messages, dict(kwargs), batch=True) for messages in conversations]
        return turns, schema

    def batch_job(
        self,
        conversations: Sequence[Sequence[ChatMessage]],
        *,
        return_exceptions: bool = False,
        custom_ids: Sequence[str] | None = None,
        completion_window: str = "24h",
        metadata: dict[str, str] | None = None,
        on_submit: Callable[[KimiBatchJob], object] | None = None,
        timeout: float | None = None,
        poll: PollPolicy | None = None,
        progress: bool | None = None,
        delete_files: bool = False,
        **kwargs: Any,
    ) -> list[ChatResponse | BatchLineError]:
        """Answer each list of ``ChatMessage``s through one Moonshot batch job (40% cheaper,
        within ``completion_window``): a ``ChatResponse`` per conversation, in input order, as
        ``chat`` would return it (``raw``; token counts and ``cost`` at the batch price in
        ``additional_kwargs``, plus ``batch``: ``{"id", "custom_id"}``).

        ``kwargs`` apply to every conversation as in ``chat``; every request is checked
        before the upload. A pydantic class as ``response_format`` (as ``ChatKimi.batch_job``
        takes it) asks for its JSON (``structured_output_mode``) and each answer's object is
        in ``additional_kwargs["parsed"]``. ``delete_files=True`` deletes the job's input,
        output and error files once the results are read (an account keeps at most 1,000
        files). Failed lines: ``BatchLinesFailedError`` (``.results``, ``.errors``
        by index), or with ``return_exceptions=True`` the ``BatchLineError`` in the line's
        place. ``on_submit(job)`` runs once the job exists: keep ``job.id`` to
        ``resume_batch_job`` it from anywhere (submitting again would run, and bill, it
        twice). ``timeout`` raises ``BatchTimeoutError`` (with ``job_id``) while the job runs
        on; ``poll`` and ``progress`` as ``KimiBatchJob.wait``. Batch jobs run outside
        LlamaIndex's callbacks and instrumentation events.
        """
        turns, schema = self._batch_turns(conversations, kwargs)
        job = self._clients.sync.batches.submit(
            [turn.payload for turn in turns],
            custom_ids=custom_ids,
            completion_window=completion_window,
            metadata=metadata,
            poll=poll,
            on_submit=on_submit,
        )
        results = job.outcome(timeout=timeout, progress=progress, delete_files=delete_files)
        return answers(job, results, turns, return_exceptions, schema)

    async def abatch_job(
        self,
        conversations: Sequence[Sequence[ChatMessage]],
        *,
        return_exceptions: bool = False,
        custom_ids: Sequence[str] | None = None,
        completion_window: str = "24h",
        metadata: dict[str, str] | None = None,
        on_submit: Callable[[AsyncKimiBatchJob], object] | None = None,
        timeout: float | None = None,
        poll: PollPolicy | None = None,
        progress: bool | None = None,
        delete_files: bool = False,
        **kwargs: Any,
    ) -> list[ChatResponse | BatchLineError]:
        """Async ``batch_job`` (``on_submit`` may be a coroutine function)."""
        turns, schema = self._batch_turns(conversations, kwargs)
        job = await self._clients.async_client.batches.submit(
            [turn.payload for turn in turns],
            custom_ids=custom_ids,
            completion_window=completion_window,
            metadata=metadata,
            poll=poll,
            on_submit=on_submit,
        )
        results = await job.outcome(timeout=timeout, progress=progress, delete_files=delete_files)
        return answers(job, results, turns, return_exceptions, schema)

    def resume_batch_job(
        self,
        job_id: str,
        *,
        custom_ids: Sequence[str] | None = None,
        return_exceptions: bool = False,
        timeout: float | None = None,
        poll: PollPolicy | None = None,
        progress: bool | None = None,
        delete_files: bool = False,
    ) -> list[ChatResponse | BatchLineError]:
        """The answers of the batch job ``job_id`` (from ``batch_job``'s ``on_submit``, in any
        process), waiting for it as ``batch_job`` does. The requests are not known here: a
        partial-mode prefix is not prepended."""
        job = self._clients.sync.batches.resume(job_id, custom_ids=custom_ids, poll=poll)
        results = job.outcome(timeout=timeout, progress=progress, delete_files=delete_files)
        return answers(job, results, None, return_exceptions)

    async def aresume_batch_job(
        self,
        job_id: str,
        *,
        custom_ids: Sequence[str] | None = None,
        return_exceptions: bool = False,
        timeout: float | None = None,
        poll: PollPolicy | None = None,
        progress: bool | None = None,
        delete_files: bool = False,
    ) -> list[ChatResponse | BatchLineError]:
        """Async ``resume_batch_job``."""
        client = self._clients.async_client
        job = await client.batches.resume(job_id, custom_ids=custom_ids, poll=poll)
        results = await job.outcome(timeout=timeout, progress=progress, delete_files=delete_files)
        return answers(job, results, None, return_exceptions)
