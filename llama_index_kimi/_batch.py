"""Kimi's batch jobs: lists of ``ChatMessage``s as one Moonshot batch job, answers as
``ChatResponse``s.

Each conversation becomes a request exactly as ``chat`` would send it (``Kimi._loop``) and
the core runs the job (``kimi_core.batch.job``). Each answer is read out by ``utils.chat_response``,
the reader ``chat`` uses, so a ``ChatResponse`` of a batch has the same blocks, ``raw`` and
``additional_kwargs`` (token counts, ``cost`` at the batch price) as one from ``chat``, with
``batch`` ``{"id", "custom_id"}`` added.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from llama_index.core.base.llms.types import ChatResponse

from kimi_core.integration import BatchLineError, ChatTurn, InvalidParameterError

from .utils import chat_response

if TYPE_CHECKING:
    # The batch job pulls in httpx: imported on first use (``import llama_index_kimi``
    # stays light).
    from kimi_core.integration import BatchJobBase, BatchResult

__all__ = ["answers", "check_kwargs"]


def check_kwargs(kwargs: dict[str, Any]) -> None:
    """What a batch job cannot do, refused before anything is built."""
    if kwargs.get("stream"):
        raise InvalidParameterError("a batch job cannot stream", param="stream")


def answers(
    job: BatchJobBase,
    results: Sequence[BatchResult],
    loops: Sequence[ChatTurn] | None,
    return_exceptions: bool,
) -> list[ChatResponse | BatchLineError]:
    """Every line of ``job`` as a ``ChatResponse`` (``loops`` None: a resumed job)."""
    from kimi_core.integration import fold_answers

    def response(loop: ChatTurn, index: int) -> ChatResponse:
        answer = chat_response(loop)
        answer.additional_kwargs["batch"] = job.line_info(index)
        return answer

    return fold_answers(
        job,
        results,
        loops,
        lambda: ChatTurn({}, max_rounds=0, batch=True),
        response,
        return_exceptions=return_exceptions,
    )
