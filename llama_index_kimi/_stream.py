"""``Kimi``'s streamed chat turns: generators that send each round of a ``ChatTurn`` (one
more after a round that ended in builtin ``$web_search`` calls only) and fold its chunks
into cumulative ``ChatResponse``s (``utils.StreamFolder``).

Plain functions rather than methods: a generator must not close over the pydantic instance.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .utils import StreamFolder

if TYPE_CHECKING:
    from llama_index.core.base.llms.types import ChatResponseAsyncGen, ChatResponseGen

    from kimi_core.integration import AsyncKimiClient, ChatTurn, KimiClient, PreparedChat

__all__ = ["aresponses", "responses"]


def responses(client: KimiClient, turn: ChatTurn, first: PreparedChat) -> ChatResponseGen:
    """Cumulative responses over every streamed round (``first``: the first round's request,
    already checked); the next round is sent when a round ended in builtin calls only."""
    folder = StreamFolder(turn.prefix, turn.requested_model, turn)
    request: PreparedChat | dict[str, Any] = first
    while True:
        with client.chat_stream(request) as stream:
            folder.start_round(stream.state, turn.round_reader(), turn.usage)
            fold = folder.fold
            for chunk in stream:
                yield fold(chunk)
        if not turn.add_stream(stream.state):
            break
        request = turn.payload
    if not folder.count:  # [DONE] without a chunk: still answer (with the partial prefix)
        yield folder.fold({})


async def aresponses(
    client: AsyncKimiClient, turn: ChatTurn, first: PreparedChat
) -> ChatResponseAsyncGen:
    """Async ``responses``."""
    folder = StreamFolder(turn.prefix, turn.requested_model, turn)
    request: PreparedChat | dict[str, Any] = first
    while True:
        async with await client.chat_stream(request) as stream:
            folder.start_round(stream.state, turn.round_reader(), turn.usage)
            fold = folder.fold
            async for chunk in stream:
                yield fold(chunk)
        if not turn.add_stream(stream.state):
            break
        request = turn.payload
    if not folder.count:
        yield folder.fold({})
