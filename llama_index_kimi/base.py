"""``Kimi``: Moonshot's Kimi models as a LlamaIndex ``FunctionCallingLLM``.

The class only translates: LlamaIndex messages go through ``utils`` into a plain request dict,
the shared ``kimi_core`` clients send it (checks, retries, rate limits, SSE), and the answer
comes back through ``utils`` as ``ChatResponse``s. Sync and async methods share the request
builder and the parsers; only the I/O call differs.
"""

from __future__ import annotations

import logging
import pickle
from collections.abc import AsyncGenerator, Callable, Generator, Sequence
from contextvars import ContextVar
from functools import partial
from typing import TYPE_CHECKING, Any, Literal

from llama_index.core.base.llms.generic_utils import (
    achat_to_completion_decorator,
    astream_chat_to_completion_decorator,
    chat_to_completion_decorator,
    stream_chat_to_completion_decorator,
)
from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    ChatResponseAsyncGen,
    ChatResponseGen,
    CompletionResponse,
    CompletionResponseAsyncGen,
    CompletionResponseGen,
    LLMMetadata,
    MessageRole,
)
from llama_index.core.bridge.pydantic import Field, PrivateAttr
from llama_index.core.callbacks import CallbackManager
from llama_index.core.instrumentation import get_dispatcher  # type: ignore[attr-defined]
from llama_index.core.instrumentation.events.llm import (
    LLMStructuredPredictEndEvent,
    LLMStructuredPredictStartEvent,
)
from llama_index.core.llms.callbacks import llm_chat_callback, llm_completion_callback
from llama_index.core.llms.function_calling import FunctionCallingLLM
from llama_index.core.llms.llm import ToolSelection
from llama_index.core.types import Model, PydanticProgramMode
from pydantic import BaseModel, SecretStr

from kimi_core.integration import (
    DEFAULT_MAX_ROUNDS,
    DEFAULT_MODEL,
    BatchLineError,
    ChatTurn,
    ConfigurationError,
    KimiClients,
    KimiOptions,
    RateLimiter,
    RateLimits,
    TokenCount,
    build_chat_request,
    chat_defaults,
    check_sampling,
    get_model_info,
    json_mode_format,
    json_schema_format,
    keeps_reasoning,
    parse_json_object,
    sampling_values,
)

from . import _batch, _fastpath
from .tokenizer import KimiTokenizer
from .utils import StreamFolder, chat_response, to_kimi_messages, tool_selections

if TYPE_CHECKING:
    # httpx and the modules built on it are imported on first use: importing them here
    # would slow down ``import llama_index_kimi`` (httpx loads its CLI, and with it
    # click/rich/pygments when they are installed).
    import httpx
    from llama_index.core.program.utils import FlexibleModel
    from llama_index.core.prompts import PromptTemplate
    from llama_index.core.tools.types import BaseTool

    from kimi_core.integration import (
        AsyncKimiBatchJob,
        AsyncKimiClient,
        KimiBatchJob,
        KimiClient,
        PollPolicy,
        PreparedChat,
    )

__all__ = ["DEFAULT_MODEL", "Kimi"]

dispatcher = get_dispatcher(__name__)
logger = logging.getLogger(__name__)
# Set while from_dict / unpickling revives a model: a missing key is then looked up on the
# first call instead of failing the construction.
_KEY_ON_FIRST_USE: ContextVar[bool] = ContextVar("kimi_key_on_first_use", default=False)

# Models the catalog does not know yet (new releases, gateway aliases such as Cloudsway's
# MaaS_Kimi_K2.5_...). Every current Kimi model has at least 128K of context and 8K of output
# (kimi_core.catalog), so these are safe lower bounds; set ``context_window`` to override.
UNKNOWN_CONTEXT_WINDOW = 131_072
UNKNOWN_NUM_OUTPUT = 8_192

# LlamaIndex-side keyword arguments that are never request fields.
_LOCAL_KWARGS = frozenset(
    {"allow_parallel_tool_calls", "tool_required", "strict", "verbose", "formatted"}
)
StructuredOutputMode = Literal["json_schema", "json_mode", "function_calling"]


class Kimi(FunctionCallingLLM):
    """Kimi (Moonshot AI) chat models for LlamaIndex, on the shared ``kimi_core`` clients.

    >>> from llama_index.core import Settings
    >>> Settings.llm = Kimi()  # kimi-k2.6; key from MOONSHOT_API_KEY (or KIMI_API_KEY)

    - **Configuration** is read once at construction for the connection (key, URL, gateway,
      timeout, retries, HTTP clients, rate limits: one client lifecycle per instance, built
      on first use); model, sampling values and the thinking options are read on every call
      and can be overridden per call (``llm.chat(messages, thinking=False, max_tokens=512)``).
      Sampling values left ``None`` are not sent; a value the model fixes raises
      ``InvalidParameterError`` before any request.
    - **Thinking**: ``thinking`` (kimi-k2.6 toggles it), ``reasoning_effort`` (``"low"`` /
      ``"high"`` / ``"max"`` on kimi-k3 and kimi-k3.1-pro), ``preserve_thinking`` (kimi-k2.6
      keeps earlier reasoning); what a model does not take raises ``InvalidParameterError``.
      The reasoning is a leading ``ThinkingBlock``; streamed, each chunk's new reasoning is in
      ``additional_kwargs["thinking_delta"]``. It is sent back where Kimi requires it.
    - **Tools**: ``ToolCallBlock``s (and ``message.additional_kwargs["tool_calls"]``) keep
      Kimi's ids exactly (``get_distance:0``). ``tool_required=True`` and a tool name as
      ``tool_choice`` are sent natively where the model accepts a forced choice and
      rewritten where it does not (``kimi_core.chat.tool_choice``). ``allow_parallel_tool_calls``
      (False by default in ``chat_with_tools``, as in LlamaIndex) keeps the first call.
      Kimi's builtin ``$web_search``: ``chat(messages, tools=[WEB_SEARCH_TOOL])``.
    - **Structured output** (``structured_predict``, ``as_structured_llm``...): by default
      ``response_format: json_schema`` on models that take it (kimi-k2.6, kimi-k2.7-code,
      kimi-k3), else JSON mode with the schema in a system message, and the answer is
      validated (``structured_output_mode`` picks ``"json_schema"``, ``"json_mode"`` or
      ``"function_calling"``, which uses LlamaIndex's ``FunctionCallingProgram``, as does any
      ``pydantic_program_mode`` other than ``DEFAULT``).
    - **Partial mode**: a trailing assistant message is sent with ``partial: true``; the
      answer is the prefix plus Kimi's continuation (streamed, the prefix is the first delta).
    - **Usage**: ``raw["usage"]`` on the final response and on the last stream chunk (what
      ``TokenCountingHandler`` reads), token counts, ``cost`` (``{"amount", "currency"}``)
      and ``rate_limit`` (the ``X-RateLimit-*`` headers, where sent) in ``additional_kwargs``.
    - ``rate_limiter``: a LlamaIndex rate limiter is applied by the callback decorators; a
      ``kimi_core.RateLimiter`` (or ``rate_limits="tier1"``) is given to the core clients,
      which also count tokens and concurrency.
    """

    model: str | None = Field(
        default=DEFAULT_MODEL,
        description="Kimi model id; None only on gateways whose URL names the model.",
    )
    base_url: str | None = Field(
        default=None, description="API base URL (resolved from gateway / environment)."
    )
    gateway: str | None = Field(
        default=None, description="Named gateway: moonshot, moonshot-global, cloudsway, acedata."
    )
    endpoint_path: str | None = Field(default=None, description="Cloudsway endpoint path.")
    thinking: bool | None = Field(
        default=None, description="Turn thinking on/off; None keeps the model's default."
    )
    reasoning_effort: Literal["low", "high", "max"] | None = Field(
        default=None, description="How hard kimi-k3 / kimi-k3.1-pro reason (default: max)."
    )
    preserve_thinking: bool = Field(
        default=False, description="Keep earlier reasoning in context (kimi-k2.6 keep: all)."
    )
    prompt_cache_key: str | None = Field(
        default=None, description="Kimi's prompt-cache key: requests with it share prefixes."
    )
    temperature: float | None = Field(default=None, description="Sampling temperature.")
    max_tokens: int | None = Field(default=None, gt=0, description="Maximum output tokens.")
    top_p: float | None = Field(default=None, description="Nucleus sampling threshold.")
    frequency_penalty: float | None = Field(default=None, description="Frequency penalty.")
    presence_penalty: float | None = Field(default=None, description="Presence penalty.")
    stop: str | list[str] | None = Field(default=None, description="Up to 4 stop strings.")
    max_retries: int = Field(default=2, description="Retries of failed requests.")
    retry_ambiguous: bool = Field(
        default=False,
        description="Also retry a request sent and then left unanswered (it may be billed).",
    )
    timeout: float | None = Field(
        default=None, description="Request timeout in seconds; None: 600 s (10 s to connect)."
    )
    total_timeout: float | None = Field(
        default=None, description="Seconds a whole call may take, retries and streaming included."
    )
    default_headers: dict[str, str] | None = Field(
        default=None,
        description="Extra HTTP headers sent with every request (never serialized).",
        exclude=True,
        repr=False,
    )
    additional_kwargs: dict[str, Any] = Field(
        default_factory=dict, description="Extra request fields sent with every call."
    )
    rate_limits: RateLimits | str | dict[str, int | None] | None = Field(
        default=None, description="Client-side limits: a preset ('tier1') or rpm/tpm/concurrency."
    )
    allow_insecure: bool = Field(
        default=False, description="Allow plain http:// to a non-loopback host."
    )
    context_window: int | None = Field(
        default=None, gt=0, description="Override the catalog's context window."
    )
    structured_output_mode: StructuredOutputMode | None = Field(
        default=None,
        description=(
            "How structured_predict asks for objects: json_schema, json_mode or "
            "function_calling; None: json_schema where the model takes it, else json_mode."
        ),
    )
    max_builtin_tool_rounds: int = Field(
        default=DEFAULT_MAX_ROUNDS,
        ge=0,
        description="How many $web_search rounds Kimi answers before raising ToolLoopError.",
    )

    _clients: KimiClients = PrivateAttr()

    def __init__(
        self,
        model: str | None = DEFAULT_MODEL,
        api_key: str | SecretStr | None = None,
        base_url: str | None = None,
        gateway: str | None = None,
        endpoint_path: str | None = None,
        thinking: bool | None = None,
        reasoning_effort: Literal["low", "high", "max"] | None = None,
        preserve_thinking: bool = False,
        prompt_cache_key: str | None = None,
        temperature: float | None = None,
        max_tokens: int | None = None,
        top_p: float | None = None,
        frequency_penalty: float | None = None,
        presence_penalty: float | None = None,
        stop: str | list[str] | None = None,
        max_retries: int = 2,
        retry_ambiguous: bool = False,
        timeout: float | None = None,
        total_timeout: float | None = None,
        http_client: httpx.Client | None = None,
        async_http_client: httpx.AsyncClient | None = None,
        additional_kwargs: dict[str, Any] | None = None,
        rate_limits: RateLimits | str | dict[str, int | None] | None = None,
        rate_limiter: Any = None,
        allow_insecure: bool = False,
        default_headers: dict[str, str] | None = None,
        context_window: int | None = None,
        structured_output_mode: StructuredOutputMode | None = None,
        max_builtin_tool_rounds: int = DEFAULT_MAX_ROUNDS,
        callback_manager: CallbackManager | None = None,
        **kwargs: Any,
    ) -> None:
        # A kimi_core limiter goes to the clients (it needs token counts and releases); the
        # LlamaIndex field keeps only LlamaIndex rate limiters, applied by the decorators.
        core_limiter = rate_limiter if isinstance(rate_limiter, RateLimiter) else None
        super().__init__(
            model=model,
            base_url=base_url,
            gateway=gateway,
            endpoint_path=endpoint_path,
            thinking=thinking,
            reasoning_effort=reasoning_effort,
            preserve_thinking=preserve_thinking,
            prompt_cache_key=prompt_cache_key,
            temperature=temperature,
            max_tokens=max_tokens,
            top_p=top_p,
            frequency_penalty=frequency_penalty,
            presence_penalty=presence_penalty,
            stop=stop,
            max_retries=max_retries,
            retry_ambiguous=retry_ambiguous,
            timeout=timeout,
            total_timeout=total_timeout,
            additional_kwargs=additional_kwargs or {},
            rate_limits=rate_limits,
            rate_limiter=None if core_limiter is not None else rate_limiter,
            allow_insecure=allow_insecure,
            default_headers=default_headers,
            context_window=context_window,
            structured_output_mode=structured_output_mode,
            max_builtin_tool_rounds=max_builtin_tool_rounds,
            callback_manager=callback_manager,
            **kwargs,
        )
        settings: dict[str, Any] = {
            "gateway": gateway,
            "endpoint_path": endpoint_path,
            "timeout": timeout,
            "max_retries": max_retries,
            "retry_ambiguous": retry_ambiguous,
            "total_timeout": total_timeout,
            "default_headers": default_headers,
            "rate_limits": rate_limits,
            "rate_limiter": core_limiter,
            "allow_insecure": allow_insecure,
            "http_client": http_client,
            "async_http_client": async_http_client,
            "model": model,
            "thinking": thinking,
        }
        try:
            options: KimiOptions | None = KimiOptions.resolve(api_key, base_url, **settings)
        except ConfigurationError as exc:
            if exc.param != "api_key" or not _KEY_ON_FIRST_USE.get():
                raise
            options = None  # revived (from_dict, a pickle) with no key set: looked up later
        # Fail fast on a sampling value the model fixes, before any request.
        check_sampling(model, sampling_values(self), thinking)
        if options is None:
            self._clients = KimiClients.later(
                partial(KimiOptions.resolve, None, base_url, **settings)
            )
        else:
            self._clients = KimiClients(options)
            self.base_url = options.base_url

    # -- copies, pickles, dicts (README "Copies, pickles and serialized chains") -------------
    @classmethod
    def from_dict(cls, data: dict[str, Any], **kwargs: Any) -> Kimi:
        """``to_dict``'s inverse. The dict holds no key: it comes from ``kwargs``
        (``api_key=...``) or the environment, looked up on the first call if not set yet."""
        fields = {**data, **kwargs}
        fields.pop("class_name", None)
        token = _KEY_ON_FIRST_USE.set(True)
        try:
            return cls(**fields)
        finally:
            _KEY_ON_FIRST_USE.reset(token)

    def __getstate__(self) -> dict[str, Any]:
        """Pickle the settings only: the clients hold the key and live connections, so they
        never travel, nor do ``default_headers`` (they may hold credentials)."""
        state = BaseModel.__getstate__(self)
        fields = {}
        for key, value in state["__dict__"].items():
            if key == "default_headers":
                continue
            try:
                pickle.dumps(value)
            except Exception:  # e.g. a rate limiter holding a lock, as BaseComponent drops
                logger.warning("Kimi: not pickling the unpicklable field %s", key)
                continue
            fields[key] = value
        return {**state, "__dict__": fields, "__pydantic_private__": None}

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Revived with the settings; the key comes from the environment (on the first call
        if this process has none yet)."""
        token = _KEY_ON_FIRST_USE.set(True)
        try:
            self.__init__(**state["__dict__"])  # type: ignore[misc]
        finally:
            _KEY_ON_FIRST_USE.reset(token)

    @classmethod
    def class_name(cls) -> str:
        return "kimi_llm"

    @property
    def metadata(self) -> LLMMetadata:
        """Context window and output size from ``kimi_core.catalog``."""
        return _metadata(self.model, self.context_window, self.max_tokens)

    def to_payload(self) -> dict[str, Any]:
        """``BaseLLM.to_payload`` (class name and metadata, no secrets), which LlamaIndex's
        callback decorators put in the events of every call; the metadata dump is cached per
        settings (``_fastpath.cached_metadata_dump``)."""
        if _metadata_dump is None or type(self).metadata is not Kimi.metadata:
            base = getattr(super(), "to_payload", None)  # not on llama-index-core < 0.14.24
            if base is not None:
                return base()  # type: ignore[no-any-return]
            return {"class_name": self.class_name(), **self.metadata.model_dump()}
        return {
            "class_name": self.class_name(),
            **_metadata_dump(self.model, self.context_window, self.max_tokens),
        }

    @property
    def client(self) -> KimiClient:
        """The pooled sync client (also for files, balance, token estimates)."""
        return self._clients.sync

    @property
    def async_client(self) -> AsyncKimiClient:
        """The async client of the running event loop (outside a loop: the one the next loop
        will use); a new pool is opened when the loop changes, unless ``async_http_client``
        was given."""
        return self._clients.async_client

    def tokenizer(self, *, offline: bool = False) -> KimiTokenizer:
        """A LlamaIndex tokenizer counting with Kimi (``Settings.tokenizer = llm.tokenizer()``,
        ``TokenCountingHandler(tokenizer=llm.tokenizer())``); ``offline=True`` for text
        splitters (``llama_index_kimi.tokenizer``)."""
        return KimiTokenizer(self.client, self.model or DEFAULT_MODEL, offline=offline)

    def count_tokens(self, messages: Sequence[ChatMessage], *, offline: bool = False) -> TokenCount:
        """Kimi's count of ``messages`` (cached per message; the offline estimate, marked
        ``estimated``, when the endpoint cannot be reached)."""
        wire, _ = to_kimi_messages(messages)
        for message in wire:
            message.pop("partial", None)
        return self.client.count_tokens(self.model or DEFAULT_MODEL, wire, offline=offline)

    def close(self) -> None:
        """Close the sync connection pool (HTTP clients passed in are left open)."""
        self._clients.close()

    async def aclose(self) -> None:
        """Close the async connection pool of the running loop (HTTP clients passed in are
        left open)."""
        await self._clients.aclose()

    # -- request / response (shared by every method) --------------------------------------

    def _loop(
        self, messages: Sequence[ChatMessage], kwargs: dict[str, Any], batch: bool = False
    ) -> ChatTurn:
        """The request (``kimi_core.chat.request.build_chat_request``: instance values, then the
        call's, ``None`` meaning "not given" as everywhere in LlamaIndex) in the core's
        builtin-tool loop; the core checks it before sending."""
        defaults = chat_defaults(self, self.model)
        defaults.update(self.additional_kwargs)
        rounds = kwargs.pop("max_builtin_tool_rounds", None)
        overrides = {
            key: value
            for key, value in kwargs.items()
            if value is not None and key not in _LOCAL_KWARGS
        }
        wire, prefix = to_kimi_messages(
            messages, keep_reasoning=keeps_reasoning({**defaults, **overrides})
        )
        return ChatTurn(
            build_chat_request(wire, defaults, overrides),
            prefix=prefix,
            max_rounds=self.max_builtin_tool_rounds if rounds is None else rounds,
            batch=batch,
        )

    def _chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        loop = self._loop(messages, kwargs)
        client = self._clients.sync
        while loop.add(client.chat(loop.payload)):
            pass
        return chat_response(loop)

    async def _achat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        loop = self._loop(messages, kwargs)
        client = self._clients.async_client
        while loop.add(await client.chat(loop.payload)):
            pass
        return chat_response(loop)

    def _stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        # Checked now (bad input raises here, typed), sent on the first ``next``: a generator
        # dropped unused never sends, never holds a connection or a rate-limit slot.
        loop = self._loop(messages, kwargs)
        client = self._clients.sync
        return _responses(client, loop, client.prepare(loop.payload, stream=True))

    async def _astream_chat(
        self, messages: Sequence[ChatMessage], **kwargs: Any
    ) -> ChatResponseAsyncGen:
        loop = self._loop(messages, kwargs)
        client = self._clients.async_client
        return _aresponses(client, loop, client.prepare(loop.payload, stream=True))

    # -- the eight LlamaIndex entry points ---------------------------------------------

    @llm_chat_callback()
    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        return self._chat(messages, **kwargs)

    @llm_chat_callback()
    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        return self._stream_chat(messages, **kwargs)

    @llm_chat_callback()
    async def achat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        return await self._achat(messages, **kwargs)

    @llm_chat_callback()
    async def astream_chat(
        self, messages: Sequence[ChatMessage], **kwargs: Any
    ) -> ChatResponseAsyncGen:
        return await self._astream_chat(messages, **kwargs)

    # Moonshot has no /completions for current models (docs/kimi-api/chat.md): build on chat.
    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        return chat_to_completion_decorator(self._chat)(prompt, **kwargs)

    @llm_completion_callback()
    def stream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseGen:
        return stream_chat_to_completion_decorator(self._stream_chat)(prompt, **kwargs)

    @llm_completion_callback()
    async def acomplete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponse:
        return await achat_to_completion_decorator(self._achat)(prompt, **kwargs)

    @llm_completion_callback()
    async def astream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseAsyncGen:
        return await astream_chat_to_completion_decorator(self._astream_chat)(prompt, **kwargs)

    # -- batch jobs (README "Batch jobs") ---------------------------------------------------

    def _batch_loops(
        self, conversations: Sequence[Sequence[ChatMessage]], kwargs: dict[str, Any]
    ) -> list[ChatTurn]:
        _batch.check_kwargs(kwargs)
        return [self._loop(messages, dict(kwargs), batch=True) for messages in conversations]

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
        **kwargs: Any,
    ) -> list[ChatResponse | BatchLineError]:
        """Answer each list of ``ChatMessage``s through one Moonshot batch job (40% cheaper,
        within ``completion_window``): a ``ChatResponse`` per conversation, in input order, as
        ``chat`` would return it (``raw``; token counts and ``cost`` at the batch price in
        ``additional_kwargs``, plus ``batch``: ``{"id", "custom_id"}``).

        ``kwargs`` apply to every conversation as in ``chat``; every request is checked
        before the upload. Failed lines: ``BatchLinesFailedError`` (``.results``, ``.errors``
        by index), or with ``return_exceptions=True`` the ``BatchLineError`` in the line's
        place. ``on_submit(job)`` runs once the job exists: keep ``job.id`` to
        ``resume_batch_job`` it from anywhere (submitting again would run, and bill, it
        twice). ``timeout`` raises ``BatchTimeoutError`` (with ``job_id``) while the job runs
        on; ``poll`` and ``progress`` as ``KimiBatchJob.wait``. Batch jobs run outside
        LlamaIndex's callbacks and instrumentation events.
        """
        loops = self._batch_loops(conversations, kwargs)
        job = self._clients.sync.batches.submit(
            [loop.payload for loop in loops],
            custom_ids=custom_ids,
            completion_window=completion_window,
            metadata=metadata,
            poll=poll,
            on_submit=on_submit,
        )
        results = job.outcome(timeout=timeout, progress=progress)
        return _batch.answers(job, results, loops, return_exceptions)

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
        **kwargs: Any,
    ) -> list[ChatResponse | BatchLineError]:
        """Async ``batch_job`` (``on_submit`` may be a coroutine function)."""
        loops = self._batch_loops(conversations, kwargs)
        job = await self._clients.async_client.batches.submit(
            [loop.payload for loop in loops],
            custom_ids=custom_ids,
            completion_window=completion_window,
            metadata=metadata,
            poll=poll,
            on_submit=on_submit,
        )
        results = await job.outcome(timeout=timeout, progress=progress)
        return _batch.answers(job, results, loops, return_exceptions)

    def resume_batch_job(
        self,
        job_id: str,
        *,
        custom_ids: Sequence[str] | None = None,
        return_exceptions: bool = False,
        timeout: float | None = None,
        poll: PollPolicy | None = None,
        progress: bool | None = None,
    ) -> list[ChatResponse | BatchLineError]:
        """The answers of the batch job ``job_id`` (from ``batch_job``'s ``on_submit``, in any
        process), waiting for it as ``batch_job`` does. The requests are not known here: a
        partial-mode prefix is not prepended."""
        job = self._clients.sync.batches.resume(job_id, custom_ids=custom_ids, poll=poll)
        results = job.outcome(timeout=timeout, progress=progress)
        return _batch.answers(job, results, None, return_exceptions)

    async def aresume_batch_job(
        self,
        job_id: str,
        *,
        custom_ids: Sequence[str] | None = None,
        return_exceptions: bool = False,
        timeout: float | None = None,
        poll: PollPolicy | None = None,
        progress: bool | None = None,
    ) -> list[ChatResponse | BatchLineError]:
        """Async ``resume_batch_job``."""
        client = self._clients.async_client
        job = await client.batches.resume(job_id, custom_ids=custom_ids, poll=poll)
        results = await job.outcome(timeout=timeout, progress=progress)
        return _batch.answers(job, results, None, return_exceptions)

    # -- function calling -----------------------------------------------------------------

    def _prepare_chat_with_tools(
        self,
        tools: Sequence[BaseTool],
        user_msg: str | ChatMessage | None = None,
        chat_history: list[ChatMessage] | None = None,
        verbose: bool = False,
        allow_parallel_tool_calls: bool = False,
        tool_required: bool = False,
        tool_choice: str | dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """The ``chat`` arguments for a tool-calling turn.

        A forced choice (``tool_required`` or a tool name) is passed on as ``tool_choice``;
        the core turns it into something Kimi accepts (see the class docstring).
        """
        kwargs.pop("strict", None)  # Kimi has no strict mode for tools
        specs = [tool.metadata.to_openai_tool(skip_length_check=True) for tool in tools]
        messages = list(chat_history or [])
        if isinstance(user_msg, str):
            user_msg = ChatMessage(role=MessageRole.USER, content=user_msg)
        if user_msg is not None:
            messages.append(user_msg)
        if specs and tool_choice is None:
            tool_choice = "required" if tool_required else "auto"
        return {
            "messages": messages,
            "tools": specs or None,
            "tool_choice": tool_choice if specs else None,
            # The core keeps only the first call when False (streamed or not).
            "parallel_tool_calls": allow_parallel_tool_calls if specs else None,
            **kwargs,
        }

    def _validate_chat_with_tools_response(
        self,
        response: ChatResponse,
        tools: Sequence[BaseTool],
        allow_parallel_tool_calls: bool = False,
        **kwargs: Any,
    ) -> ChatResponse:
        """Nothing left to do: ``allow_parallel_tool_calls=False`` went to the request as
        ``parallel_tool_calls``, and the core kept the first call."""
        return response

    def get_tool_calls_from_response(
        self, response: ChatResponse, error_on_no_tool_call: bool = True, **kwargs: Any
    ) -> list[ToolSelection]:
        """Tool calls with Kimi's ids; arguments that are not valid JSON become ``{}``."""
        selections = tool_selections(response.message)
        if not selections and error_on_no_tool_call:
            raise ValueError("Expected at least one tool call, but got 0 tool calls.")
        return selections

    # -- structured output ----------------------------------------------------------------

    def _structured_mode(self) -> StructuredOutputMode:
        """``structured_output_mode``, or (None) json_schema where the model takes it."""
        if self.structured_output_mode is not None:
            return self.structured_output_mode
        info = get_model_info(self.model)
        return "json_schema" if info is None or info.json_schema else "json_mode"

    def _uses_json_mode(self) -> bool:
        """Whether structured output goes through ``response_format`` (not a program)."""
        return (
            self._structured_mode() != "function_calling"
            and self.pydantic_program_mode == PydanticProgramMode.DEFAULT
        )

    def _json_mode_request(
        self,
        output_cls: type[BaseModel],
        prompt: PromptTemplate,
        llm_kwargs: dict[str, Any] | None,
        prompt_args: dict[str, Any],
    ) -> tuple[list[ChatMessage], dict[str, Any]]:
        """The prompt's messages, and the kwargs asking for an ``output_cls`` object:
        ``json_schema`` (sent as JSON mode with the schema in a system message to models
        without it) or JSON mode with the schema, per ``_structured_mode``."""
        messages = self._extend_messages(prompt.format_messages(llm=self, **prompt_args))
        kwargs = {
            key: value
            for key, value in (llm_kwargs or {}).items()
            if key not in ("tools", "tool_choice", "tool_required", "allow_parallel_tool_calls")
        }
        schema = output_cls.model_json_schema()
        kwargs["response_format"] = (
            json_schema_format(schema, output_cls.__name__)
            if self._structured_mode() == "json_schema"
            else json_mode_format(schema, output_cls.__name__)
        )
        return messages, kwargs

    @dispatcher.span
    def structured_predict(
        self,
        output_cls: type[Model],
        prompt: PromptTemplate,
        llm_kwargs: dict[str, Any] | None = None,
        **prompt_args: Any,
    ) -> Model:
        """A ``output_cls`` instance: JSON mode by default, else function calling."""
        if not self._uses_json_mode():
            called: Model = super().structured_predict(
                output_cls, prompt, llm_kwargs, **prompt_args
            )
            return called
        dispatcher.event(
            LLMStructuredPredictStartEvent(
                output_cls=output_cls, template=prompt, template_args=prompt_args
            )
        )
        messages, kwargs = self._json_mode_request(output_cls, prompt, llm_kwargs, prompt_args)
        result = _validate(self.chat(messages, **kwargs), output_cls)
        dispatcher.event(LLMStructuredPredictEndEvent(output=result))
        return result

    @dispatcher.span
    async def astructured_predict(
        self,
        output_cls: type[Model],
        prompt: PromptTemplate,
        llm_kwargs: dict[str, Any] | None = None,
        **prompt_args: Any,
    ) -> Model:
        """Async ``structured_predict``."""
        if not self._uses_json_mode():
            called: Model = await super().astructured_predict(
                output_cls, prompt, llm_kwargs, **prompt_args
            )
            return called
        dispatcher.event(
            LLMStructuredPredictStartEvent(
                output_cls=output_cls, template=prompt, template_args=prompt_args
            )
        )
        messages, kwargs = self._json_mode_request(output_cls, prompt, llm_kwargs, prompt_args)
        result = _validate(await self.achat(messages, **kwargs), output_cls)
        dispatcher.event(LLMStructuredPredictEndEvent(output=result))
        return result

    def _structured_stream_call(
        self,
        output_cls: type[Model],
        prompt: PromptTemplate,
        llm_kwargs: dict[str, Any] | None = None,
        **prompt_args: Any,
    ) -> Generator[Model | list[Model] | FlexibleModel | list[FlexibleModel], None, None]:
        if not self._uses_json_mode():
            return super()._structured_stream_call(output_cls, prompt, llm_kwargs, **prompt_args)
        messages, kwargs = self._json_mode_request(output_cls, prompt, llm_kwargs, prompt_args)
        return _partial_objects(self.stream_chat(messages, **kwargs), output_cls)

    async def _structured_astream_call(
        self,
        output_cls: type[Model],
        prompt: PromptTemplate,
        llm_kwargs: dict[str, Any] | None = None,
        **prompt_args: Any,
    ) -> AsyncGenerator[Model | list[Model] | FlexibleModel | list[FlexibleModel], None]:
        if not self._uses_json_mode():
            return await super()._structured_astream_call(
                output_cls, prompt, llm_kwargs, **prompt_args
            )
        messages, kwargs = self._json_mode_request(output_cls, prompt, llm_kwargs, prompt_args)
        return _apartial_objects(await self.astream_chat(messages, **kwargs), output_cls)


# -- module helpers (generators must not close over the pydantic instance) ---------------


def _metadata(model: str | None, context_window: int | None, max_tokens: int | None) -> LLMMetadata:
    """``Kimi.metadata`` for these settings."""
    info = get_model_info(model)
    if info is None:
        context = context_window or UNKNOWN_CONTEXT_WINDOW
        output = max_tokens or UNKNOWN_NUM_OUTPUT
        tools = True
    else:
        context = context_window or info.context_window
        # What the server gives when not asked (kimi-k2.6: 32,768; kimi-k3: 131,072); else,
        # as the window counts input + output (moonshot-v1-8k), at most half of it.
        output = (
            max_tokens or info.default_output_tokens or min(info.max_output_tokens, context // 2)
        )
        tools = info.tools
    return LLMMetadata(
        context_window=context,
        num_output=output,
        is_chat_model=True,
        is_function_calling_model=tools,
        model_name=model or "kimi",
        system_role=MessageRole.SYSTEM,
    )


_metadata_dump = _fastpath.cached_metadata_dump(_metadata)
_fastpath.cache_span_signatures(Kimi)


def _responses(client: KimiClient, loop: ChatTurn, first: PreparedChat) -> ChatResponseGen:
    """Cumulative responses over every streamed round (``first``: the first round's request,
    already checked); the next round is sent when a round ended in builtin calls only."""
    folder = StreamFolder(loop.prefix, loop.requested_model)
    request: PreparedChat | dict[str, Any] = first
    while True:
        with client.chat_stream(request) as stream:
            folder.start_round(stream.state, loop.round_reader(), loop.usage)
            fold = folder.fold
            for chunk in stream:
                yield fold(chunk)
        if not loop.add_stream(stream.state):
            break
        request = loop.payload
    if not folder.count:  # [DONE] without a chunk: still answer (with the partial prefix)
        yield folder.fold({})


async def _aresponses(
    client: AsyncKimiClient, loop: ChatTurn, first: PreparedChat
) -> ChatResponseAsyncGen:
    folder = StreamFolder(loop.prefix, loop.requested_model)
    request: PreparedChat | dict[str, Any] = first
    while True:
        async with await client.chat_stream(request) as stream:
            folder.start_round(stream.state, loop.round_reader(), loop.usage)
            fold = folder.fold
            async for chunk in stream:
                yield fold(chunk)
        if not loop.add_stream(stream.state):
            break
        request = loop.payload
    if not folder.count:
        yield folder.fold({})


def _validate(response: ChatResponse, output_cls: type[Model]) -> Model:
    """The JSON-mode answer validated into ``output_cls`` (typed errors when it is not)."""
    return output_cls.model_validate(parse_json_object(response.message.content or ""))


def _partial_objects(
    responses: ChatResponseGen, output_cls: type[Model]
) -> Generator[Model | FlexibleModel, None, None]:
    from llama_index.core.program.streaming_utils import process_streaming_content_incremental

    current: Model | FlexibleModel | None = None
    last: ChatResponse | None = None
    for last in responses:
        current = process_streaming_content_incremental(last, output_cls, current)
        yield current
    if last is not None:
        final = _validate(last, output_cls)
        if final != current:
            yield final


async def _apartial_objects(
    responses: ChatResponseAsyncGen, output_cls: type[Model]
) -> AsyncGenerator[Model | FlexibleModel, None]:
    from llama_index.core.program.streaming_utils import process_streaming_content_incremental

    current: Model | FlexibleModel | None = None
    last: ChatResponse | None = None
    async for last in responses:
        current = process_streaming_content_incremental(last, output_cls, current)
        yield current
    if last is not None:
        final = _validate(last, output_cls)
        if final != current:
            yield final
