"""ChatKimi's batch jobs: LangChain inputs as one Moonshot batch job, answers as ``AIMessage``s.

Each input becomes a request exactly as ``invoke`` would send it (``ChatKimi._exchange``: the
instance's defaults, the call's keyword arguments, the message mapping) and the core runs the
job (``kimi_core.batch.job``). Each answer is read out by its ``Exchange``, the same reader
``invoke`` uses, so an ``AIMessage`` of a batch has the same content, reasoning, tool calls,
``usage_metadata`` and ``response_metadata`` as one from ``invoke``, with ``cost`` at the
batch price and ``batch`` ``{"id", "custom_id"}`` added.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, cast

from langchain_core.messages import AIMessage

from kimi_core.integration import BatchLineError, InvalidParameterError

from ._exchange import Exchange

if TYPE_CHECKING:
    # The batch job pulls in httpx: imported on first use, so `import langchain_kimi` stays
    # light.
    from kimi_core.integration import BatchJobBase, BatchResult

__all__ = ["answers", "check_kwargs"]


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
