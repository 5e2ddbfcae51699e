"""ChatKimi's side of one answer: ``kimi_core``'s chat turn, read out as LangChain.

``kimi_core.chat.turn.ChatTurn`` does the work (what to send next after a
``$web_search`` round, usage summed over rounds, the round limit, which calls the user sees);
``Exchange`` (invoke) and ``StreamExchange`` (stream) drive it and build the ``ChatResult``,
the stream chunks and the last chunk with the summed usage and response metadata.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from uuid import UUID

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.messages import AIMessageChunk
from langchain_core.messages.tool import ToolCallChunk
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.runnables.config import ensure_config
from pydantic import BaseModel, ValidationError

from kimi_core.integration import ChatTurn, MalformedResponseError, RoundReader, parse_json_object

from ._fastpath import text_generation_chunk
from ._messages import PROVIDER, answer_to_message, usage_metadata

if TYPE_CHECKING:
    from kimi_core.integration import HostProfile, Price, StreamAccumulator

__all__ = ["ChunkConverter", "Exchange", "RunManager", "StreamExchange", "thread_cache_key"]

RunManager = CallbackManagerForLLMRun | AsyncCallbackManagerForLLMRun


def thread_cache_key(run: RunManager | None) -> str | None:
    """The run's LangGraph ``thread_id`` as a prompt-cache key, or None: from the run's
    metadata (LangGraph puts it there for every node, and a caller may pass
    ``metadata={"thread_id": ...}``), else from the run config LangChain keeps for the code a
    runnable calls (``ensure_config()``: ``configurable["thread_id"]``; the only source on the
    stream path, which langchain-core runs without handing over the run manager)."""
    thread = run.metadata.get("thread_id") if run is not None and run.metadata else None
    if thread is None:
        configurable = ensure_config().get("configurable") or {}
        thread = configurable.get("thread_id")
    if thread is None or isinstance(thread, bool) or not isinstance(thread, str | int | UUID):
        return None
    return str(thread) or None


def _metadata(turn: ChatTurn) -> dict[str, Any]:
    """Response metadata every path adds: provider, summed token usage and cost, and the
    account's rate limits where the server reported them."""
    metadata: dict[str, Any] = {"model_provider": PROVIDER}
    if turn.usage is not None:
        metadata["token_usage"] = dict(turn.usage)
        cost = turn.cost()
        if cost is not None:
            metadata["cost"] = cost.as_dict()
    if turn.rate_limit is not None:
        metadata["rate_limit"] = turn.rate_limit
    return metadata


def _with_logprobs(
    metadata: dict[str, Any] | None, choices: Any, index: int
) -> dict[str, Any] | None:
    """``metadata`` plus choice ``index``'s ``logprobs`` (``{"content": [...]}``, as
    ChatOpenAI puts them in ``response_metadata``) when the answer has them."""
    choice = choices[index] if index < len(choices) else None
    logprobs = choice.get("logprobs") if isinstance(choice, Mapping) else None
    if not logprobs:
        return metadata
    return {**(metadata or {}), "logprobs": logprobs}


def _chunk_logprobs(chunk: Mapping[str, Any]) -> Any:
    """A stream chunk's first choice's ``logprobs``, or None."""
    choices = chunk.get("choices")
    if not choices:
        return None
    choice = choices[0]
    return choice.get("logprobs") if isinstance(choice, Mapping) else None


def _parsed(schema: type[BaseModel], text: str) -> BaseModel:
    """The answer validated into ``schema``; a typed error naming what did not fit."""
    try:
        return schema.model_validate(parse_json_object(text))
    except ValidationError as exc:
        raise MalformedResponseError(
            f"the answer does not match {schema.__name__}: {exc.errors()[0]['msg']}",
            body=text[:500],
        ) from None


class Exchange(ChatTurn):
    """The invoke path: the core's chat turn (send ``payload`` while ``add`` says so), read out
    by ``result()``.

    ``parse_as``: the pydantic class given as ``response_format`` (as ChatOpenAI takes it);
    the answer's JSON is validated into it and put in ``additional_kwargs["parsed"]``.
    ``batch``: the answer comes from a batch job (its cost is at the batch price).
    """

    def __init__(
        self,
        payload: dict[str, Any],
        *,
        prefix: str | None,
        max_rounds: int,
        parse_as: type[BaseModel] | None = None,
        batch: bool = False,
        host: HostProfile | None = None,
        price: Price | None = None,
    ) -> None:
        super().__init__(
            payload, prefix=prefix, max_rounds=max_rounds, batch=batch, host=host, price=price
        )
        self.parse_as = parse_as

    def result(self) -> ChatResult:
        turn = self
        wire = turn.wire or {}
        model = wire.get("model")
        completion_id = wire.get("id")
        fingerprint = wire.get("system_fingerprint")
        metadata = _metadata(turn)
        usage = usage_metadata(turn.usage) if turn.usage is not None else None
        first, *others = turn.answers()
        choices = wire.get("choices") or ()
        message = answer_to_message(
            first,
            model=model,
            completion_id=completion_id,
            system_fingerprint=fingerprint,
            usage=usage,
            metadata=_with_logprobs(metadata, choices, 0),
        )
        if self.parse_as is not None and first.text and not first.tool_calls:
            message.additional_kwargs["parsed"] = _parsed(self.parse_as, first.text)
        generations = [ChatGeneration(message=message)]
        # Usage covers every choice: it is counted once, on the first.
        for index, answer in enumerate(others, 1):
            other = answer_to_message(
                answer,
                model=model,
                completion_id=completion_id,
                system_fingerprint=fingerprint,
                metadata=_with_logprobs(None, choices, index),
            )
            generations.append(ChatGeneration(message=other))
        llm_output = {"token_usage": metadata.get("token_usage"), "model_name": model}
        return ChatResult(generations=generations, llm_output=llm_output)


class ChunkConverter:
    """Stream chunk dicts to ``ChatGenerationChunk``s for one streamed round.

    The core's ``RoundReader`` reads each chunk (builtin calls hidden, round separators
    added); this builds the LangChain chunk: text and reasoning chunks without
    re-validation where allowed (``_fastpath.text_generation_chunk``). Returns ``None`` for
    chunks that carry nothing the user sees (role-only, usage-only, builtin fragments).
    """

    __slots__ = ("_logprobs", "_read")

    def __init__(
        self,
        reader: RoundReader | None = None,
        *,
        text_gap: bool = False,
        reasoning_gap: bool = False,
        logprobs: bool = False,
    ) -> None:
        if reader is None:
            reader = RoundReader(text_gap=text_gap, reasoning_gap=reasoning_gap)
        self._read = reader.read
        self._logprobs = logprobs

    def generation(self, chunk: Mapping[str, Any]) -> ChatGenerationChunk | None:
        """The chunk as the ``ChatGenerationChunk`` LangChain's ``_stream`` yields."""
        content, reasoning, fragments, _, _ = self._read(chunk)
        if self._logprobs:  # asked for: each content chunk carries its tokens' logprobs
            logprobs = _chunk_logprobs(chunk)
            if logprobs:
                return _logprobs_chunk(content, reasoning, fragments, logprobs)
        if fragments:
            return ChatGenerationChunk(message=_tool_call_chunk(content, reasoning, fragments))
        if reasoning:
            return text_generation_chunk(content, {"reasoning_content": reasoning})
        if content:
            return text_generation_chunk(content, None)
        return None


def _logprobs_chunk(
    content: str, reasoning: str, fragments: list[dict[str, Any]] | None, logprobs: Any
) -> ChatGenerationChunk:
    """A chunk with log probabilities in ``response_metadata["logprobs"]``: LangChain adds
    the chunks' ``{"content": [...]}`` lists up as ChatOpenAI's."""
    message = _tool_call_chunk(content, reasoning, fragments)
    message.response_metadata["logprobs"] = logprobs
    return ChatGenerationChunk(message=message)


def _tool_call_chunk(
    content: str, reasoning: str, fragments: list[dict[str, Any]] | None
) -> AIMessageChunk:
    fields: dict[str, Any] = {"response_metadata": {"model_provider": PROVIDER}}
    if reasoning:
        fields["additional_kwargs"] = {"reasoning_content": reasoning}
    if not fragments:
        return AIMessageChunk(content=content, **fields)
    fields["tool_call_chunks"] = [
        ToolCallChunk(
            type="tool_call_chunk",
            name=(fragment.get("function") or {}).get("name"),
            args=(fragment.get("function") or {}).get("arguments"),
            id=fragment.get("id"),
            index=fragment["index"],
        )
        for fragment in fragments
    ]
    return AIMessageChunk(content=content, **fields)


class StreamExchange:
    """The stream path: convert chunks over every builtin-tool round, end with one chunk that
    carries the summed usage (unless ``stream_usage`` is off) and the response metadata."""

    def __init__(
        self,
        payload: dict[str, Any],
        *,
        prefix: str | None,
        max_rounds: int,
        stream_usage: bool,
        host: HostProfile | None = None,
        price: Price | None = None,
    ) -> None:
        self.turn = ChatTurn(payload, prefix=prefix, max_rounds=max_rounds, host=host, price=price)
        self.stream_usage = stream_usage
        self.logprobs = bool(payload.get("logprobs"))
        self.converter = ChunkConverter(self.turn.round_reader(), logprobs=self.logprobs)

    @property
    def payload(self) -> dict[str, Any]:
        return self.turn.payload

    @property
    def done(self) -> bool:
        return self.turn.done

    def opening(self) -> ChatGenerationChunk | None:
        """Partial mode: the prefix is the first chunk (Kimi does not repeat it)."""
        prefix = self.turn.opening()
        return None if prefix is None else text_generation_chunk(prefix, None)

    def end_round(self, state: StreamAccumulator) -> None:
        """After a stream ended: either prepare the next round or mark the exchange done."""
        if self.turn.add_stream(state):
            self.converter = ChunkConverter(self.turn.round_reader(), logprobs=self.logprobs)

    def final(self) -> ChatGenerationChunk:
        turn = self.turn
        state = turn.stream_state
        if state is None:  # pragma: no cover - end_round() always ran first
            raise RuntimeError("StreamExchange.final() before the stream ended")
        metadata = _metadata(turn)
        metadata.update(
            model_name=state.model,
            finish_reason=state.finish_reason,
            id=state.id,
            system_fingerprint=state.system_fingerprint,
        )
        usage = None
        if self.stream_usage and turn.usage is not None:
            usage = usage_metadata(turn.usage)
        else:
            metadata.pop("token_usage", None)
        extra = {"reasoning_details": state.reasoning_details} if state.reasoning_details else {}
        message = AIMessageChunk(
            content="",
            usage_metadata=usage,
            response_metadata=metadata,
            chunk_position="last",
            additional_kwargs=extra,
        )
        return ChatGenerationChunk(message=message)
