"""LlamaIndex chat types <-> Kimi, as field mappings onto ``kimi_core``'s messages and answers.

Outbound: each ``ChatMessage``'s blocks are read for text, images, reasoning and tool calls and
handed to ``kimi_core.chat.messages``' constructors (which know Kimi's rules). Inbound: the core's
``ChatTurn`` and answer reader have read the answer; this module builds ``ChatResponse``s
from it, and ``StreamFolder`` folds streamed rounds into cumulative responses.

Nothing here does I/O: ``base.Kimi`` calls these helpers around the core's clients.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from llama_index.core.base.llms.types import (
    CachePoint,
    ChatMessage,
    ChatResponse,
    ContentBlock,
    DocumentBlock,
    ImageBlock,
    LogProb,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
    VideoBlock,
)
from llama_index.core.llms.llm import ToolSelection
from llama_index.core.llms.utils import parse_partial_json

from kimi_core.integration import (
    InvalidParameterError,
    UsageCounts,
    add_usage,
    completion_usage,
    decode_arguments,
    image_part,
    image_url_from_base64,
    media_url_from_base64,
    normalize_usage,
    video_part,
)
from kimi_core.integration import messages as kimi_messages

from ._documents import document_block_part
from ._fastpath import response as _response

if TYPE_CHECKING:
    from kimi_core.integration import ChatTurn, Cost, RoundReader, StreamAccumulator

__all__ = [
    "StreamFolder",
    "chat_response",
    "parse_tool_arguments",
    "to_kimi_messages",
    "token_logprobs",
    "tool_selections",
    "usage_kwargs",
]

# LlamaIndex roles to the four Kimi accepts.
_ROLES: dict[str, str] = {
    "system": "system",
    "developer": "system",
    "user": "user",
    "assistant": "assistant",
    "chatbot": "assistant",
    "model": "assistant",
    "tool": "tool",
    "function": "tool",
}


# --------------------------------------------------------------------------- outbound


def _image_url(block: ImageBlock) -> str:
    """A Kimi image URL for ``block``: its ``url`` (checked by ``image_part``) or a data URL."""
    if block.url is not None:
        return str(block.url)
    if block.image is None and block.path is None:
        raise InvalidParameterError("ImageBlock has no image, path or url", param="messages")
    data = block.resolve_image(as_base64=True).read().decode()
    return image_url_from_base64(data, block.image_mimetype or "image/png")


def _block_tool_call(block: ToolCallBlock, index: int) -> dict[str, Any]:
    if not block.tool_call_id:
        raise InvalidParameterError(
            f"message {index}: tool call {block.tool_name!r} has no tool_call_id; Kimi needs "
            "the id it sent to match the tool result",
            param="messages",
        )
    return kimi_messages.tool_call(block.tool_call_id, block.tool_name, block.tool_kwargs)


def _legacy_tool_call(call: Any) -> dict[str, Any]:
    """An ``additional_kwargs["tool_calls"]`` entry (dict or OpenAI-SDK object) as a wire dict."""
    if not isinstance(call, Mapping):
        call = call.model_dump() if hasattr(call, "model_dump") else dict(call)
    function = call.get("function") or {}
    return kimi_messages.tool_call(
        call.get("id"),
        function.get("name") or "",
        function.get("arguments"),
        call.get("type") or "function",
    )


def _video_url(block: VideoBlock) -> str:
    """A Kimi video URL for ``block``: its ``url`` (an ``ms://`` file id or a data URL,
    checked by ``video_part``) or its bytes as a data URL."""
    if block.url is not None:
        return str(block.url)
    if block.video is None and block.path is None:
        raise InvalidParameterError("VideoBlock has no video, path or url", param="messages")
    data = block.resolve_video(as_base64=True).read().decode()
    return media_url_from_base64(data, block.video_mimetype or "video/mp4")


def _assistant(
    content: str | list[dict[str, Any]],
    reasoning: list[str],
    calls: list[dict[str, Any]],
    extra: dict[str, Any],
    name: str | None,
    keep_reasoning: bool,
) -> dict[str, Any]:
    """An assistant message: its reasoning from thinking blocks (else ``reasoning_content``),
    its tool calls (else the legacy ``tool_calls``), OpenRouter's ``reasoning_details``."""
    if not calls and extra.get("tool_calls"):
        calls = [_legacy_tool_call(call) for call in extra["tool_calls"]]
    thought = "".join(reasoning) or extra.get("reasoning_content") or None
    details = extra.get("reasoning_details")
    return kimi_messages.assistant_message(
        content,
        reasoning=thought,
        tool_calls=calls,
        name=name,
        keep_reasoning=keep_reasoning,
        reasoning_details=details if isinstance(details, list) else None,
    )


def _media_part(block: Any, role: str) -> dict[str, Any] | None:
    """The part of an image, a video or (in a user message) a document read through the
    Files API (``_documents``); None for other blocks."""
    if isinstance(block, ImageBlock):
        return image_part(_image_url(block))
    if isinstance(block, VideoBlock):
        return video_part(_video_url(block))
    if isinstance(block, DocumentBlock) and role == "user":
        return document_block_part(block)
    return None


def _to_kimi_message(message: ChatMessage, index: int, keep_reasoning: bool) -> dict[str, Any]:
    role = _ROLES.get(message.role.value)
    if role is None:
        raise InvalidParameterError(
            f"message {index}: role {message.role.value!r} has no Kimi equivalent "
            "(use system, user, assistant or tool)",
            param="messages",
        )
    texts: list[str] = []
    parts: list[dict[str, Any]] = []
    media = False
    reasoning: list[str] = []
    calls: list[dict[str, Any]] = []
    for block in message.blocks:
        if isinstance(block, TextBlock):
            texts.append(block.text)
            parts.append({"type": "text", "text": block.text})
        elif (media_part := _media_part(block, role)) is not None:
            parts.append(media_part)
            media = True
        elif isinstance(block, ThinkingBlock):
            if block.content:
                reasoning.append(block.content)
        elif isinstance(block, ToolCallBlock):
            calls.append(_block_tool_call(block, index))
        elif isinstance(block, CachePoint):
            continue  # Kimi caches context by itself; there is no cache marker to send.
        else:
            raise InvalidParameterError(
                f"message {index}: {type(block).__name__} is not supported by Kimi (send text, "
                "ImageBlock, VideoBlock, ThinkingBlock or ToolCallBlock, and DocumentBlock in "
                "a user message)",
                param="messages",
            )
    content: str | list[dict[str, Any]] = parts if media else "".join(texts)
    extra = message.additional_kwargs
    name = extra.get("name")
    name = name if isinstance(name, str) and name else None
    if role == "assistant":
        return _assistant(content, reasoning, calls, extra, name, keep_reasoning)
    if role == "tool":
        call_id = extra.get("tool_call_id")
        if not call_id:
            raise InvalidParameterError(
                f"message {index}: a tool message needs additional_kwargs['tool_call_id'] "
                "(the id of the call it answers)",
                param="messages",
            )
        return kimi_messages.tool_message(call_id, content, name)
    if role == "system":
        return kimi_messages.system_message(content, name)  # type: ignore[arg-type]
    return kimi_messages.user_message(content, name)


def to_kimi_messages(
    messages: Sequence[ChatMessage], *, keep_reasoning: bool = False
) -> tuple[list[dict[str, Any]], str | None]:
    """Wire messages plus the partial-mode prefix (``None`` when not in partial mode): a
    trailing assistant message without tool calls is a prefix Kimi continues.
    ``keep_reasoning``: the request keeps earlier reasoning (preserved thinking)."""
    wire = [_to_kimi_message(message, i, keep_reasoning) for i, message in enumerate(messages)]
    return wire, kimi_messages.finish_partial(wire)


# --------------------------------------------------------------------------- inbound


def usage_kwargs(counts: UsageCounts | None, cost: Cost | None) -> dict[str, Any]:
    """Token counts (the keys llama-index-llms-openai reports) and ``cost`` for a response."""
    if not counts:
        return {}
    result: dict[str, Any] = dict(counts)
    if not result.get("cached_tokens"):
        result.pop("cached_tokens", None)
    if cost is not None:
        result["cost"] = cost.as_dict()
    return result


def token_logprobs(logprobs: Any) -> list[list[LogProb]]:
    """A choice's ``logprobs`` (``{"content": [...]}``) as LlamaIndex's ``ChatResponse.logprobs``:
    per token, its ``top_logprobs`` as ``LogProb``s, as llama-index-llms-openai's
    ``from_openai_token_logprobs`` gives them; a token asked without alternatives
    (``top_logprobs`` unset or 0) is its own one-element list (the OpenAI integration drops
    it)."""
    content = logprobs.get("content") if isinstance(logprobs, Mapping) else None
    result: list[list[LogProb]] = []
    for entry in content or ():
        if not isinstance(entry, Mapping):
            continue
        top = entry.get("top_logprobs") or [entry]
        result.append(
            [
                LogProb(
                    token=item.get("token") or "",
                    logprob=item.get("logprob") or 0.0,
                    bytes=item.get("bytes") or [],
                )
                for item in top
                if isinstance(item, Mapping)
            ]
        )
    return result


def _choice_logprobs(wire: Mapping[str, Any]) -> Any:
    """The first choice's ``logprobs`` of an answer or a stream chunk, or None."""
    choices = wire.get("choices")
    if not choices or not isinstance(choices[0], Mapping):
        return None
    return choices[0].get("logprobs")


def _tool_call_block(call_id: str | None, name: str, arguments: str) -> ToolCallBlock:
    return ToolCallBlock(tool_call_id=call_id, tool_name=name, tool_kwargs=arguments)


def chat_response(turn: ChatTurn) -> ChatResponse:
    """The final (non-streamed) answer of ``turn`` as a ``ChatResponse``.

    ``raw`` is the decoded answer itself (not a dump of the model), with the usage at
    top-level ``usage`` (where ``TokenCountingHandler`` reads it) whichever place the gateway
    used, summed over builtin-tool rounds: a shallow copy is made only when it differs, so the
    core's dict is never changed.
    """
    answer = turn.answers()[0]
    blocks: list[ContentBlock] = []
    if answer.reasoning:
        blocks.append(ThinkingBlock(content=answer.reasoning))
    calls = answer.tool_calls
    if answer.text or not calls:
        blocks.append(TextBlock(text=answer.text))
    message_kwargs: dict[str, Any] = {}
    if calls:
        for call in calls:
            function = call["function"]
            blocks.append(_tool_call_block(call["id"], function["name"], function["arguments"]))
        message_kwargs["tool_calls"] = calls
    if answer.reasoning_details:  # OpenRouter's: replayed unchanged on the next turn
        message_kwargs["reasoning_details"] = answer.reasoning_details
    raw: Any = turn.wire
    assert raw is not None  # answers() checked it
    if turn.rounds:
        raw = {**raw, "usage": dict(turn.usage or {})}
    else:
        usage = completion_usage(raw)
        if usage is not raw.get("usage"):  # lifted from where the gateway put it
            raw = {**raw, "usage": usage}
    additional = usage_kwargs(turn.usage, turn.cost())
    if answer.finish_reason is not None:
        additional["finish_reason"] = answer.finish_reason
    if turn.rate_limit is not None:
        additional["rate_limit"] = turn.rate_limit
    response = _response(blocks, message_kwargs, raw, additional)
    logprobs = _choice_logprobs(raw)
    if logprobs:
        response.logprobs = token_logprobs(logprobs)
    return response


class StreamFolder:
    """Folds streamed chunk dicts into cumulative ``ChatResponse``s, over every round.

    Every response carries the whole message so far (thinking, text, every user tool call
    accumulated by ``index`` with its arguments so far) and ``delta`` only the new text; the
    chunk's new reasoning goes to ``additional_kwargs["thinking_delta"]``, which
    ``FunctionAgent`` forwards as ``AgentStream.thinking_delta``. Each round is read by the
    core's ``RoundReader`` (builtin calls hidden, a blank line between rounds) and its tool
    calls come from the core's ``StreamAccumulator``, which has already folded the chunk when
    it is handed over. In partial mode the prefix is the first delta.

    Per chunk only what the chunk changed is rebuilt (hot path: plain dict access): a block
    whose content did not change is the same object in consecutive responses (the thinking
    block while text streams, the tool-call blocks until a fragment of a call arrives), so a
    response is never changed afterwards by later chunks; each response gets its own block
    list and dicts.
    """

    __slots__ = (
        "_calls",
        "_logprobs",
        "_pending",
        "_read",
        "_reader",
        "_reasoning",
        "_state",
        "_text",
        "_text_block",
        "_thinking_block",
        "_turn",
        "_usage_before",
        "_wire_calls",
        "count",
    )

    def __init__(self, turn: ChatTurn) -> None:
        self._turn = turn
        prefix = turn.prefix
        asked = bool(turn.payload.get("logprobs"))
        self._logprobs: list[list[LogProb]] | None = [] if asked else None
        """The log probabilities so far, when the request asked for them."""
        self._pending = prefix or ""
        self._text = ""
        self._reasoning = ""
        self._text_block = TextBlock(text="")
        self._thinking_block: ThinkingBlock | None = None
        self._calls: list[ToolCallBlock] = []
        self._wire_calls: list[dict[str, Any]] = []
        self._usage_before: UsageCounts | None = None
        self.count = 0

    def start_round(
        self, state: StreamAccumulator, reader: RoundReader, usage_before: UsageCounts | None
    ) -> None:
        """Fold the next round's chunks: its accumulator, its reader, and the usage of the
        rounds before it (added to this round's)."""
        self._state = state
        self._reader = reader
        self._read = reader.read
        self._usage_before = usage_before

    def fold(self, chunk: Mapping[str, Any]) -> ChatResponse:
        """The cumulative response after ``chunk``."""
        self.count += 1
        content, reasoning, fragments, finish, usage = self._read(chunk)
        if self._pending:
            content = self._pending + content
            self._pending = ""
        if content:
            self._text += content
            self._text_block = TextBlock(text=self._text)
        if reasoning:
            self._reasoning += reasoning
            self._thinking_block = ThinkingBlock(content=self._reasoning)
        if fragments:
            self._rebuild_calls()
        thinking = self._thinking_block
        blocks: list[ContentBlock] = (
            [self._text_block] if thinking is None else [thinking, self._text_block]
        )
        message_kwargs: dict[str, Any] = {}
        if self._calls:
            blocks.extend(self._calls)
            message_kwargs["tool_calls"] = list(self._wire_calls)
        details = self._state.reasoning_details
        if details:  # copies: the last item grows with the next fragments
            message_kwargs["reasoning_details"] = [dict(d) for d in details]
        additional: dict[str, Any] = {}
        if reasoning:
            additional["thinking_delta"] = reasoning
        raw: Any = chunk
        if usage and not self._reader.only_builtin_calls(self._state):
            # (A round that only called builtin tools is followed by another one: its usage
            # is reported, summed, with the last round's.)
            counts = add_usage(self._usage_before, normalize_usage(usage))
            if self._usage_before is not None:
                raw = {**chunk, "usage": dict(counts or {})}
            cost = self._turn.stream_cost(counts, chunk.get("model"), usage)
            additional.update(usage_kwargs(counts, cost))
            if self._state.rate_limit is not None:
                additional["rate_limit"] = self._state.rate_limit
        if finish:
            additional["finish_reason"] = finish
        response = _response(blocks, message_kwargs, raw, additional, content)
        if self._logprobs is not None:
            logprobs = _choice_logprobs(chunk)
            if logprobs:
                self._logprobs = [*self._logprobs, *token_logprobs(logprobs)]
            response.logprobs = self._logprobs  # never changed afterwards: a new list per add
        return response

    def _rebuild_calls(self) -> None:
        """New blocks and wire dicts for the calls so far (a fragment of one just arrived);
        the earlier responses keep the previous ones."""
        blocks = []
        wire_calls = []
        for call in self._reader.visible_calls(self._state):
            function = call["function"]
            name = function["name"]
            arguments = function["arguments"]
            blocks.append(_tool_call_block(call["id"], name, arguments))
            wire_calls.append({"id": call["id"], "type": call["type"], "function": dict(function)})
        self._calls = blocks
        self._wire_calls = wire_calls


# --------------------------------------------------------------------------- tool calls


def parse_tool_arguments(arguments: Any) -> dict[str, Any]:
    """Tool-call arguments as a dict; partial JSON (mid-stream) is completed, and anything
    that is not a JSON object becomes ``{}`` rather than an exception, as in
    llama-index-llms-openai."""
    if isinstance(arguments, dict):
        return arguments
    if not isinstance(arguments, str) or not arguments.strip():
        return {}
    value = decode_arguments(arguments)
    if isinstance(value, dict):
        return value
    try:
        partial = parse_partial_json(arguments)
    except (ValueError, TypeError):
        return {}
    return partial if isinstance(partial, dict) else {}


def tool_selections(message: ChatMessage) -> list[ToolSelection]:
    """The tool calls of ``message``: its ``ToolCallBlock``s, else the older
    ``additional_kwargs["tool_calls"]``; ids exactly as Kimi sent them."""
    selections = [
        ToolSelection(
            tool_id=block.tool_call_id or "",
            tool_name=block.tool_name,
            tool_kwargs=parse_tool_arguments(block.tool_kwargs),
        )
        for block in message.blocks
        if isinstance(block, ToolCallBlock)
    ]
    if selections:
        return selections
    for call in message.additional_kwargs.get("tool_calls") or ():
        wire = _legacy_tool_call(call)
        selections.append(
            ToolSelection(
                tool_id=wire["id"] or "",
                tool_name=wire["function"]["name"],
                tool_kwargs=parse_tool_arguments(wire["function"]["arguments"]),
            )
        )
    return selections
