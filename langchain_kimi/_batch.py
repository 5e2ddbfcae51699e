"""ChatKimi's batch jobs: LangChain inputs as one Moonshot batch job, answers as ``AIMessage``s.

``BatchJobMethods`` holds ``ChatKimi``'s four public batch methods (``batch_job``,
``abatch_job``, ``resume_batch_job``, ``aresume_batch_job``); ``ChatKimi`` inherits them.
Each input becomes a request exactly as ``invoke`` would send it (``ChatKimi._exchange``: the
instance's defaults, the call's keyword arguments, the message mapping) and the core runs the
job (``kimi_core.batch.job``). Each answer is read out by its ``Exchange``, the same reader
``invoke`` uses, so an ``AIMessage`` of a batch has the same content, reasoning, tool calls,
``usage_metadata`` and ``response_metadata`` as one from ``invoke``, with ``cost`` at the
batch price and ``batch`` ``{"id", "custom_id"}`` added.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast

from langchain_core.messages import AIMessage

from kimi_core.integration import BatchLineError, InvalidParameterError

from ._errors import translated_errors
from ._exchange import Exchange

if TYPE_CHECKING:
    # The batch job pulls in httpx: imported on first use, so `import langchain_kimi` stays
    # light.
    from langchain_core.language_models import LanguageModelInput
    from langchain_core.messages import BaseMessage
    from langchain_core.prompt_values import PromptValue

    from kimi_core.integration import (
        AsyncKimiBatchJob,
        AsyncKimiClient,
        BatchJobBase,
        BatchResult,
        KimiBatchJob,
        KimiClient,
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
    exchanges: Sequence[Exchange] | None,
    return_exceptions: bool,
) -> list[AIMessage | BatchLineError]:
    """Every line of ``job`` as an ``AIMessage`` (``exchanges`` None: a resumed job)."""
    from kimi_core.integration import fold_answers

    def message(exchange: Exchange, index: int) -> AIMessage:
        answer = cast(AIMessage, exchange.result().generations[0].message)
        answer.response_metadata["batch"] = job.line_info(index)
        return answer

    return fold_answers(
        job,
        results,
        exchanges,
        lambda: Exchange({}, prefix=None, max_rounds=0, batch=True),
        message,
        return_exceptions=return_exceptions,
    )


class BatchJobMethods:
    """``ChatKimi``'s batch-job methods (docs/guides/batch-jobs.md), on top of what ``ChatKimi``
    provides: its clients and ``_exchange`` (the request ``invoke`` would send)."""

    if TYPE_CHECKING:

        @property
        def client(self) -> KimiClient: ...

        @property
        def async_client(self) -> AsyncKimiClient: ...

        def _convert_input(self, model_input: LanguageModelInput) -> PromptValue: ...

        def _exchange(
            self,
            messages: list[BaseMessage],
            stop: list[str] | None,
            kwargs: dict[str, Any],
            batch: bool = False,
        ) -> Exchange: ...

    def _batch_exchanges(
        self, inputs: Sequence[LanguageModelInput], stop: list[str] | None, kwargs: dict[str, Any]
    ) -> list[Exchange]:
        check_kwargs(kwargs)
        return [
            self._exchange(self._convert_input(item).to_messages(), stop, kwargs, batch=True)
            for item in inputs
        ]

    def batch_job(
        self,
        inputs: Sequence[LanguageModelInput],
        *,
        stop: list[str] | None = None,
        return_exceptions: bool = False,
        custom_ids: Sequence[str] | None = None,
        completion_window: str = "24h",
        metadata: Mapping[str, str] | None = None,
        on_submit: Callable[[KimiBatchJob], object] | None = None,
        timeout: float | None = None,
        poll: PollPolicy | None = None,
        progress: bool | None = None,
        delete_files: bool = False,
        **kwargs: Any,
    ) -> list[AIMessage | BatchLineError]:
        """Answer ``inputs`` through one Moonshot batch job (40% cheaper, within
        ``completion_window``): an ``AIMessage`` per input, in input order, as ``invoke`` would
        return it (``usage_metadata``; ``response_metadata`` with ``cost`` at the batch price
        and ``batch``: ``{"id", "custom_id"}``).

        ``kwargs`` apply to every input as in ``invoke`` (``model=``, ``tools=``,
        ``response_format=``...); every request is checked before the upload. Settings bound
        with ``bind`` / ``bind_tools`` / ``with_structured_output`` apply too (``_binding``).
        ``delete_files=True`` deletes the job's input, output and error files once the results
        are read (an account keeps at most 1,000 files). Failed lines:
        ``BatchLinesFailedError`` (``.results`` holds every answer, ``.errors`` the
        ``BatchLineError`` per failed index), or, with ``return_exceptions=True``, the
        ``BatchLineError`` in the line's place. ``on_submit(job)`` runs once the job exists:
        keep ``job.id`` to ``resume_batch_job`` it from anywhere if this process stops
        (submitting again would run, and bill, it twice). ``timeout`` (seconds) raises
        ``BatchTimeoutError`` (with ``job_id``) while the job runs on; ``poll`` and
        ``progress`` as ``KimiBatchJob.wait``. Batch jobs run outside LangChain's callbacks:
        no run per input, and ``get_kimi_callback`` does not see them.
        """
        with translated_errors():
            exchanges = self._batch_exchanges(inputs, stop, kwargs)
            job = self.client.batches.submit(
                [exchange.payload for exchange in exchanges],
                custom_ids=custom_ids,
                completion_window=completion_window,
                metadata=metadata,
                poll=poll,
                on_submit=on_submit,
            )
            results = job.outcome(timeout=timeout, progress=progress, delete_files=delete_files)
            return answers(job, results, exchanges, return_exceptions)

    async def abatch_job(
        self,
        inputs: Sequence[LanguageModelInput],
        *,
        stop: list[str] | None = None,
        return_exceptions: bool = False,
        custom_ids: Sequence[str] | None = None,
        completion_window: str = "24h",
        metadata: Mapping[str, str] | None = None,
        on_submit: Callable[[AsyncKimiBatchJob], object] | None = None,
        timeout: float | None = None,
        poll: PollPolicy | None = None,
        progress: bool | None = None,
        delete_files: bool = False,
        **kwargs: Any,
    ) -> list[AIMessage | BatchLineError]:
        """Async ``batch_job`` (``on_submit`` may be a coroutine function)."""
        with translated_errors():
            exchanges = self._batch_exchanges(inputs, stop, kwargs)
            job = await self.async_client.batches.submit(
                [exchange.payload for exchange in exchanges],
                custom_ids=custom_ids,
                completion_window=completion_window,
                metadata=metadata,
                poll=poll,
                on_submit=on_submit,
            )
            results = await job.outcome(
                timeout=timeout, progress=progress, delete_files=delete_files
            )
            return answers(job, results, exchanges, return_exceptions)

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
    ) -> list[AIMessage | BatchLineError]:
        """The answers of the batch job ``job_id`` (from ``batch_job``'s ``on_submit``, in
        any process), waiting for it as ``batch_job`` does. The requests are not known here:
        a partial-mode prefix is not prepended, a ``response_format`` class not parsed."""
        with translated_errors():
            job = self.client.batches.resume(job_id, custom_ids=custom_ids, poll=poll)
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
    ) -> list[AIMessage | BatchLineError]:
        """Async ``resume_batch_job``."""
        with translated_errors():
            job = await self.async_client.batches.resume(job_id, custom_ids=custom_ids, poll=poll)
            results = await job.outcome(
                timeout=timeout, progress=progress, delete_files=delete_files
            )
            return answers(job, results, None, return_exceptions)
