"""Kimi wire types (pydantic v2): requests, responses, stream chunks, tool calls, usage.

Every model keeps unknown fields (``extra="allow"``) and accepts ``null`` anywhere: gateways add
fields (``native_finish_reason``, ``reasoning_details``, ``gemini_cache_tokens_details``...) and
the real captures (``tests/fixtures/captures/``) must parse as they are. These types are used
at the edges (validating a request, parsing a final response); streaming chunks stay plain
dicts.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Generator
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from ._fastpath import private_value
from .errors import MalformedResponseError
from .wire.answer import message_reasoning, message_text

__all__ = [
    "BATCH_TERMINAL_STATUSES",
    "AsyncPageRequest",
    "Balance",
    "Batch",
    "BatchList",
    "BatchRequestCounts",
    "ChatCompletion",
    "ChatCompletionChunk",
    "ChatRequest",
    "Choice",
    "ChunkChoice",
    "CompletionTokensDetails",
    "Delta",
    "FileDeleted",
    "FileList",
    "FileObject",
    "FunctionCall",
    "ListPage",
    "Message",
    "ModelCard",
    "PromptTokensDetails",
    "RequestMessage",
    "ThinkingConfig",
    "ToolCall",
    "Usage",
]


class WireModel(BaseModel):
    """Base of all wire types: keeps unknown fields, reads by field name or alias."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)


class FunctionCall(WireModel):
    name: str | None = None
    arguments: str | None = None


class ToolCall(WireModel):
    """A tool call; ids are kept exactly as Kimi sends them (``get_distance:0``)."""

    id: str | None = None
    type: str | None = "function"
    index: int | None = None
    function: FunctionCall | None = None


class PromptTokensDetails(WireModel):
    cached_tokens: int | None = None
    cache_write_tokens: int | None = None
    """Prompt tokens written to the cache (billed at the write price of the request's TTL,
    ``docs/kimi-api/models.md`` §9); cached + written + the rest = ``prompt_tokens``."""


class CompletionTokensDetails(WireModel):
    reasoning_tokens: int | None = None


class Usage(WireModel):
    """Token usage. Cache hits come as Moonshot's top-level ``cached_tokens`` or as
    ``prompt_tokens_details.cached_tokens`` (OpenAI-style gateways); ``cache_read_tokens``
    reads either."""

    prompt_tokens: int | None = 0
    completion_tokens: int | None = 0
    total_tokens: int | None = 0
    cached_tokens: int | None = None
    prompt_tokens_details: PromptTokensDetails | None = None
    completion_tokens_details: CompletionTokensDetails | None = None

    @property
    def input_tokens(self) -> int:
        return self.prompt_tokens or 0

    @property
    def output_tokens(self) -> int:
        return self.completion_tokens or 0

    @property
    def cache_read_tokens(self) -> int:
        if self.cached_tokens:
            return self.cached_tokens
        details = self.prompt_tokens_details
        return (details.cached_tokens or 0) if details is not None else 0

    @property
    def cache_write_tokens(self) -> int:
        details = self.prompt_tokens_details
        return (details.cache_write_tokens or 0) if details is not None else 0

    @property
    def reasoning_tokens(self) -> int | None:
        details = self.completion_tokens_details
        return details.reasoning_tokens if details is not None else None


class Message(WireModel):
    """A chat message as sent or received.

    ``reasoning_content`` is Kimi's thinking; some gateways send the same text as
    ``reasoning`` too (AceData, ``docs/kimi-api/gateways.md``). ``partial`` marks a prefix to
    continue (partial mode).
    """

    role: str | None = "assistant"
    content: str | list[dict[str, Any]] | None = None
    name: str | None = None
    reasoning_content: str | None = None
    reasoning: str | None = None
    reasoning_details: Any = None
    tool_calls: list[ToolCall] | None = None
    tool_call_id: str | None = None
    partial: bool | None = None
    refusal: str | None = None

    @property
    def reasoning_text(self) -> str | None:
        """The reasoning, from whichever field the gateway used."""
        return message_reasoning(self.__dict__)

    @property
    def text(self) -> str:
        """The text content ("" when there is none)."""
        return message_text(self.__dict__)


class RequestMessage(Message):
    """A message in a request: the role is required and limited to what Kimi accepts."""

    role: Literal["system", "user", "assistant", "tool"]


class Choice(WireModel):
    index: int | None = 0
    message: Message = Field(default_factory=Message)
    finish_reason: str | None = None
    logprobs: Any = None
    usage: Usage | None = None


class ChatCompletion(WireModel):
    """A non-streaming ``/chat/completions`` answer."""

    id: str | None = None
    object: str | None = "chat.completion"
    created: int | None = None
    model: str | None = None
    choices: list[Choice] = Field(default_factory=list)
    usage: Usage | None = None
    system_fingerprint: str | None = None
    # (the decoded answer, its X-RateLimit-* values): set by ``from_wire``; one private
    # attribute, as each one costs every instance an initialisation.
    _source: tuple[dict[str, Any], dict[str, int | str] | None] | None = PrivateAttr(default=None)

    @classmethod
    def from_wire(
        cls, data: dict[str, Any], rate_limit: dict[str, int | str] | None = None
    ) -> ChatCompletion:
        """Validate a decoded answer and keep the decoded dict itself, which ``wire_dict``
        then returns (the adapters read it instead of dumping the model again), with the
        ``X-RateLimit-*`` values the answer came with."""
        completion = cls.model_validate(data)
        completion._source = (data, rate_limit)
        return completion

    def wire_dict(self) -> dict[str, Any]:
        """The answer as a JSON dict: the decoded body itself when built by ``from_wire``
        (no copy, so do not mutate it), else a dump of the model."""
        return self.wire_source()[0]

    def wire_source(self) -> tuple[dict[str, Any], dict[str, int | str] | None]:
        """``(wire_dict(), rate_limit)`` in one read (the hot path asks for both)."""
        source = private_value(self, "_source")
        if source is not None:
            return source  # type: ignore[no-any-return]
        return self.model_dump(mode="json"), None

    @property
    def rate_limit(self) -> dict[str, int | str] | None:
        """``{"limit", "remaining", "reset"}`` from the answer's ``X-RateLimit-*`` headers."""
        source = private_value(self, "_source")
        return source[1] if source is not None else None

    def __eq__(self, other: Any) -> bool:
        # Equal when the answers are: the cached wire dict is not part of the value.
        if not isinstance(other, ChatCompletion):
            return NotImplemented
        return bool(
            self.__dict__ == other.__dict__ and self.__pydantic_extra__ == other.__pydantic_extra__
        )

    __hash__ = None  # type: ignore[assignment]  # mutable model, as BaseModel

    @property
    def message(self) -> Message:
        """The first choice's message; an answer without a choice (``choices: []``) is a
        ``MalformedResponseError``."""
        if not self.choices:
            raise MalformedResponseError("the answer has no choice (choices is empty)")
        return self.choices[0].message

    @property
    def usage_any(self) -> Usage | None:
        """Usage from the top level or, failing that, from the first choice."""
        if self.usage is not None:
            return self.usage
        return self.choices[0].usage if self.choices else None


class Delta(WireModel):
    role: str | None = None
    content: str | None = None
    reasoning_content: str | None = None
    reasoning: str | None = None
    tool_calls: list[ToolCall] | None = None


class ChunkChoice(WireModel):
    index: int | None = 0
    delta: Delta = Field(default_factory=Delta)
    finish_reason: str | None = None
    usage: Usage | None = None


class ChatCompletionChunk(WireModel):
    """One streamed chunk, for callers that want typed chunks (``ChatStream`` yields dicts)."""

    id: str | None = None
    object: str | None = "chat.completion.chunk"
    created: int | None = None
    model: str | None = None
    choices: list[ChunkChoice] = Field(default_factory=list)
    usage: Usage | None = None
    system_fingerprint: str | None = None


class ThinkingConfig(WireModel):
    type: Literal["enabled", "disabled"]


class ChatRequest(WireModel):
    """A ``/chat/completions`` request, for callers that want it validated before sending.

    Fields left ``None`` are not sent. ``model`` may be omitted on gateways whose URL names
    the model (Cloudsway).
    """

    messages: list[RequestMessage] = Field(min_length=1)
    model: str | None = None
    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = Field(default=None, ge=1)
    n: int | None = Field(default=None, ge=1)
    presence_penalty: float | None = None
    frequency_penalty: float | None = None
    stop: str | list[str] | None = None
    user: str | None = None
    tools: list[dict[str, Any]] | None = None
    tool_choice: str | dict[str, Any] | None = None
    response_format: dict[str, Any] | None = None
    thinking: ThinkingConfig | None = None
    stream: bool | None = None

    def to_payload(self) -> dict[str, Any]:
        """The JSON body to send: unset fields dropped, extra fields kept."""
        return self.model_dump(mode="json", exclude_none=True)


class ModelCard(WireModel):
    """An entry of ``GET /models`` (``docs/kimi-api/models.md`` §7); the capability flags are
    given by newer deployments."""

    id: str
    object: str | None = "model"
    created: int | None = None
    owned_by: str | None = None
    context_length: int | None = None
    supports_reasoning: bool | None = None
    supports_image_in: bool | None = None
    supports_video_in: bool | None = None


class SearchChunk(WireModel):
    text: str | None = ""
    score: float | None = None


class SearchResult(WireModel):
    """One result of ``POST /tools/search`` (every field a string, ``""`` when there is no
    data; ``text`` only with ``include_content=True``) or ``/tools/search_pro`` (``chunks``
    of the page's text with their relevance ``score`` instead of ``text``;
    ``docs/kimi-api/official-tools.md``, "Tools API")."""

    title: str | None = ""
    url: str | None = ""
    snippet: str | None = ""
    site_name: str | None = ""
    date: str | None = ""
    authority: str | None = ""
    icon: str | None = ""
    mime: str | None = ""
    text: str | None = ""
    chunks: list[SearchChunk] | None = None


class FetchResult(WireModel):
    """``POST /tools/fetch``: the page as Markdown (images as ``![imageN](url)``)."""

    url: str | None = ""
    title: str | None = ""
    markdown: str | None = ""


class Balance(WireModel):
    """``GET /users/me/balance`` ``data``: amounts in the account's currency."""

    available_balance: float | None = None
    voucher_balance: float | None = None
    cash_balance: float | None = None


class FileObject(WireModel):
    id: str
    object: str | None = "file"
    bytes: int | None = None
    created_at: int | None = None
    filename: str | None = None
    purpose: str | None = None
    status: str | None = None
    status_details: str | None = None


class FileDeleted(WireModel):
    id: str
    object: str | None = "file"
    deleted: bool = False


BATCH_TERMINAL_STATUSES = frozenset({"completed", "failed", "expired", "cancelled"})
"""Statuses a batch never leaves (``docs/kimi-api/batch.md`` §5)."""


class BatchRequestCounts(WireModel):
    """How many lines of a batch there are, and how many answered or failed so far."""

    total: int | None = 0
    completed: int | None = 0
    failed: int | None = 0


class Batch(WireModel):
    """A batch object (``docs/kimi-api/batch.md`` §4). Moonshot's schema has neither
    ``errors`` nor ``expired_at`` (OpenAI's do): both are read when present, never needed.
    Timestamps are Unix seconds."""

    id: str
    object: str | None = "batch"
    endpoint: str | None = None
    input_file_id: str | None = None
    completion_window: str | None = None
    status: str | None = None
    output_file_id: str | None = None
    error_file_id: str | None = None
    created_at: int | float | None = None
    in_progress_at: int | float | None = None
    expires_at: int | float | None = None
    finalizing_at: int | float | None = None
    completed_at: int | float | None = None
    failed_at: int | float | None = None
    expired_at: int | float | None = None
    cancelling_at: int | float | None = None
    cancelled_at: int | float | None = None
    request_counts: BatchRequestCounts | None = None
    metadata: dict[str, Any] | None = None
    errors: Any = None

    @property
    def done(self) -> bool:
        """The batch reached a status it never leaves."""
        return self.status in BATCH_TERMINAL_STATUSES

    @property
    def counts(self) -> BatchRequestCounts:
        """``request_counts``, zeros when the server sent none."""
        return self.request_counts or BatchRequestCounts()

    @property
    def error_details(self) -> list[dict[str, Any]]:
        """The validation errors of a ``failed`` batch: OpenAI's ``errors.data`` (or a bare
        list), each a dict (``code``, ``message``, ``param``, ``line``); ``[]`` if none."""
        errors = self.errors
        if isinstance(errors, dict):
            errors = errors.get("data")
        if not isinstance(errors, list):
            return []
        return [item if isinstance(item, dict) else {"message": str(item)} for item in errors]


class ListPage(WireModel):
    """One page of a list endpoint (``data``, ``has_more``) that iterates over its items
    across pages, as openai-python's ``SyncPage`` / ``AsyncPage`` do: ``for b in
    client.batches.list()`` yields every batch, the next page fetched (``after`` the last id)
    only when the loop gets there; ``async for`` on an async client's ``list()``. ``data`` is
    this page's items, ``iter_pages()`` / ``get_next_page()`` walk the pages. A page read by
    an async client iterates (``for``) over its own items only."""

    object: str | None = "list"
    has_more: bool | None = False
    first_id: str | None = None
    last_id: str | None = None
    _fetch: Any = PrivateAttr(default=None)
    """``after`` -> the next page (set by the sync resource that read this one)."""
    _afetch: Any = PrivateAttr(default=None)
    """``after`` -> awaitable next page (set by the async resource)."""

    @property
    def items(self) -> list[Any]:
        items: list[Any] = getattr(self, "data", [])
        return items

    @property
    def next_after(self) -> str | None:
        """The ``after`` of the next page, or None when this is the last one."""
        if not self.has_more or not self.items:
            return None
        return self.last_id or self.items[-1].id

    def has_next_page(self) -> bool:
        return self.next_after is not None and self._fetch is not None

    def get_next_page(self) -> Any:
        """The next page (``StopIteration``-free: raises ``ValueError`` on the last one)."""
        after = self.next_after
        if after is None or self._fetch is None:
            raise ValueError("no next page")
        return self._fetch(after)

    def iter_pages(self) -> Any:
        """This page and the next ones, each fetched when reached."""
        page = self
        while True:
            yield page
            if not page.has_next_page():
                return
            page = page.get_next_page()

    def __iter__(self) -> Any:
        for page in self.iter_pages():
            yield from page.items

    async def __aiter__(self) -> Any:
        page = self
        while True:
            for item in page.items:
                yield item
            after = page.next_after
            if after is None or page._afetch is None:
                return
            page = await page._afetch(after)

    def __len__(self) -> int:
        """The items of this page (``data``), not of the following ones."""
        return len(self.items)

    def __getitem__(self, index: Any) -> Any:
        """An item (or slice) of this page's ``data``: ``files.list()[0]`` as when
        ``files.list()`` returned a list."""
        return self.items[index]


class BatchList(ListPage):
    """One page of ``GET /batches``: ``data`` and ``has_more``; the next page starts after
    the last batch's id (Moonshot sends no ``last_id``; OpenAI does). Iterates over its
    batches across pages (``ListPage``)."""

    data: list[Batch] = Field(default_factory=list)


class FileList(ListPage):
    """One page of ``GET /files``, iterating over its ``FileObject``s across pages."""

    data: list[FileObject] = Field(default_factory=list)


_Page = TypeVar("_Page", bound=ListPage)


class AsyncPageRequest(Generic[_Page]):
    """What an async client's ``list()`` returns: awaited, the first page; iterated with
    ``async for``, every item across pages (openai-python's ``AsyncPaginator``)."""

    __slots__ = ("_get",)

    def __init__(self, get: Callable[[], Awaitable[_Page]]) -> None:
        self._get = get

    def __await__(self) -> Generator[Any, None, _Page]:
        return self._get().__await__()

    async def __aiter__(self) -> Any:
        page = await self._get()
        async for item in page:
            yield item
