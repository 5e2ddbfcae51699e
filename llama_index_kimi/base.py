"""``Kimi``: Moonshot's Kimi models as a LlamaIndex ``FunctionCallingLLM``.

The class only translates: LlamaIndex messages go through ``utils`` into a plain request dict,
the shared ``kimi_core`` clients send it (checks, retries, rate limits, SSE), and the answer
comes back through ``utils`` as ``ChatResponse``s. Sync and async methods share the request
builder and the parsers; only the I/O call differs.

The class lives here because ``llama_index_kimi.base.Kimi`` is the path pickles name. What it
delegates sits beside it: streamed turns (``_stream``), structured output (``_structured``),
batch jobs (``_batch``), metadata (``_metadata``), pickles and dicts (``_pickling``).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable, Generator, Sequence
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
from llama_index.core.types import Model, PydanticProgramMode
from pydantic import BaseModel, SecretStr

from kimi_core.integration import (
    DEFAULT_MAX_ROUNDS,
    DEFAULT_MODEL,
    ChatTurn,
    KimiClients,
    RateLimiter,
    RateLimits,
    TokenCount,
    build_chat_request,
    chat_defaults,
    check_effort_setting,
    check_sampling,
    has_documents,
    keep_documents,
    keeps_reasoning,
    private_value,
    sampling_values,
    warn_retirement,
    warn_web_search_retired,
)

from . import _fastpath, _structured
from ._arguments import check_arguments
from ._batch import BatchJobMethods
from ._metadata import UNKNOWN_CONTEXT_WINDOW as UNKNOWN_CONTEXT_WINDOW
from ._metadata import UNKNOWN_NUM_OUTPUT as UNKNOWN_NUM_OUTPUT
from ._metadata import llm_metadata, metadata_dump
from ._options import RequestOptions
from ._pickling import clients_for, key_on_first_use, resolve_options, settings_state
from ._stream import aresponses, responses
from ._structured import StructuredOutputMode
from ._tool_calling import ToolCallingMethods
from .tokenizer import KimiTokenizer
from .utils import chat_response, to_kimi_messages

if TYPE_CHECKING:
    # httpx and the modules built on it are imported on first use: importing them here
    # would slow down ``import llama_index_kimi`` (httpx loads its CLI, and with it
    # click/rich/pygments when they are installed).
    import httpx
    from llama_index.core.program.utils import FlexibleModel
    from llama_index.core.prompts import PromptTemplate

    from kimi_core.integration import AsyncKimiClient, KimiClient

__all__ = ["DEFAULT_MODEL", "Kimi"]
# UNKNOWN_CONTEXT_WINDOW and UNKNOWN_NUM_OUTPUT, imported above as themselves, were defined
# here before ``_metadata`` existed: still importable from here.

dispatcher = get_dispatcher(__name__)

# LlamaIndex-side keyword arguments that are never request fields.
_LOCAL_KWARGS = frozenset(
    {"allow_parallel_tool_calls", "tool_required", "strict", "verbose", "formatted"}
)


class Kimi(BatchJobMethods, RequestOptions, ToolCallingMethods, FunctionCallingLLM):
    """Kimi (Moonshot AI) chat models for LlamaIndex, on the shared ``kimi_core`` clients.

    >>> from llama_index.core import Settings
    >>> Settings.llm = Kimi()  # kimi-k2.6; key from MOONSHOT_API_KEY (or KIMI_API_KEY)

    - **Configuration** is read once at construction for the connection (key, URL, gateway,
      timeout, retries, HTTP clients, rate limits: one client lifecycle per instance, built
      on first use); model, sampling values and the thinking options are read on every call
      and can be overridden per call (``llm.chat(messages, thinking=False, max_tokens=512)``).
      Sampling values left ``None`` are not sent; a value the model fixes is not sent either
      (one ``FixedSamplingWarning`` per model and field when it differs from the model's),
      and raises ``InvalidParameterError`` before any request with ``strict_sampling=True``.
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
      Kimi's builtin ``$web_search`` (``chat(messages, tools=[WEB_SEARCH_TOOL])``) was
      retired on 2026-10-20: a ``DeprecationWarning``, still sent where a gateway serves it;
      search with ``KimiWebToolSpec`` (the tools API) instead.
    - **Structured output** (``structured_predict``, ``as_structured_llm``...): by default
      ``response_format: json_schema`` on models that take it (kimi-k2.6, kimi-k2.7-code,
      kimi-k3), else JSON mode with the schema in a system message, and the answer is
      validated (``structured_output_mode`` picks ``"json_schema"``, ``"json_mode"`` or
      ``"function_calling"``, which uses LlamaIndex's ``FunctionCallingProgram``, as does any
      ``pydantic_program_mode`` other than ``DEFAULT``).
    - **Documents**: a ``DocumentBlock`` (data, path or url) in a user message is read
      through Kimi's Files API (purpose ``file-extract``) and its text sent in a system
      message before it, as Moonshot documents; the upload is deleted once read unless
      ``keep_uploaded_files=True``.
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
        default=None,
        description=(
            "Where Kimi is served: moonshot-global (default), moonshot-cn, openrouter, "
            "together, fireworks, vllm... (kimi_core.catalog.hosts.HOSTS); None: picked from "
            "base_url's host name."
        ),
    )
    endpoint_path: str | None = Field(default=None, description="Cloudsway endpoint path.")
    thinking: bool | None = Field(
        default=None, description="Turn thinking on/off; None keeps the model's default."
    )
    reasoning_effort: str | None = Field(
        default=None,
        description=(
            "How hard the model reasons: on Moonshot low/high/max (kimi-k3, kimi-k3.1-pro; "
            "default max); elsewhere the host's own values (Fireworks: low/medium/high/none)."
        ),
    )
    preserve_thinking: bool = Field(
        default=False, description="Keep earlier reasoning in context (kimi-k2.6 keep: all)."
    )
    prompt_cache_key: str | None = Field(
        default=None,
        description=(
            "Kimi's prompt-cache key (a session or task id): requests with it share prefixes. "
            "Nothing is set automatically: LlamaIndex hands an LLM no session id."
        ),
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
    price: Any = Field(
        default=None,
        exclude=True,
        description=(
            "Your host's price per million tokens ({'input': '1.20', 'output': '4.50', "
            "'currency': 'USD'} or a kimi_core.Price) for cost off Moonshot's platform; "
            "not serialized: pass it again."
        ),
    )

    keep_uploaded_files: bool = Field(
        default=False,
        description="Keep the files uploaded to read DocumentBlocks (deleted once read).",
    )

    _clients: KimiClients = PrivateAttr()

    def __init__(
        self,
        model: str | None = DEFAULT_MODEL,
        api_key: str | SecretStr | Callable[[], str] | None = None,
        base_url: str | None = None,
        gateway: str | None = None,
        endpoint_path: str | None = None,
        thinking: bool | None = None,
        reasoning_effort: str | None = None,
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
        strict_sampling: bool = False,
        price: Any = None,
        prompt_cache_ttl: Literal["5m", "1h"] | None = None,
        logprobs: bool | None = None,
        top_logprobs: int | None = None,
        prediction: dict[str, Any] | None = None,
        safety_identifier: str | None = None,
        api_base: str | None = None,
        reuse_client: bool = True,
        **kwargs: Any,
    ) -> None:
        # long: over 60 lines for its signature: every setting is an explicit parameter, in the
        # order positional callers rely on. The connection is set up by ``_connect``.
        #
        # Nothing is ignored: api_base is base_url, unknown arguments are refused.
        base_url = check_arguments(type(self), base_url, api_base, reuse_client, kwargs)
        # A kimi_core limiter goes to the clients (it needs token counts and releases); the
        # LlamaIndex field keeps only LlamaIndex rate limiters, applied by the decorators.
        core_limiter = rate_limiter if isinstance(rate_limiter, RateLimiter) else None
        # Fields that are also connection settings: read once here for the clients.
        shared: dict[str, Any] = {
            "model": model,
            "gateway": gateway,
            "endpoint_path": endpoint_path,
            "thinking": thinking,
            "timeout": timeout,
            "max_retries": max_retries,
            "retry_ambiguous": retry_ambiguous,
            "total_timeout": total_timeout,
            "default_headers": default_headers,
            "rate_limits": rate_limits,
            "allow_insecure": allow_insecure,
            "price": price,
        }
        super().__init__(
            **shared,
            base_url=base_url,
            reasoning_effort=reasoning_effort,
            preserve_thinking=preserve_thinking,
            prompt_cache_key=prompt_cache_key,
            strict_sampling=strict_sampling,
            prompt_cache_ttl=prompt_cache_ttl,
            logprobs=logprobs,
            top_logprobs=top_logprobs,
            prediction=prediction,
            safety_identifier=safety_identifier,
            temperature=temperature,
            max_tokens=max_tokens,
            top_p=top_p,
            frequency_penalty=frequency_penalty,
            presence_penalty=presence_penalty,
            stop=stop,
            additional_kwargs=additional_kwargs or {},
            rate_limiter=None if core_limiter is not None else rate_limiter,
            context_window=context_window,
            structured_output_mode=structured_output_mode,
            max_builtin_tool_rounds=max_builtin_tool_rounds,
            callback_manager=callback_manager,
            **kwargs,
        )
        self._connect(api_key, base_url, shared, core_limiter, http_client, async_http_client)
        if self._clients.resolved and self._clients.options.host.platform:
            warn_retirement(model)  # retired, or retiring within 30 days: once per model

    def _connect(
        self,
        api_key: str | SecretStr | Callable[[], str] | None,
        base_url: str | None,
        shared: dict[str, Any],
        rate_limiter: RateLimiter | None,
        http_client: httpx.Client | None,
        async_http_client: httpx.AsyncClient | None,
    ) -> None:
        """Resolve the connection once (every bad value a ``ConfigurationError`` here), check
        the sampling values against the model, and set up the client lifecycle."""
        settings = {
            **shared,
            "rate_limiter": rate_limiter,
            "http_client": http_client,
            "async_http_client": async_http_client,
        }
        options = resolve_options(api_key, base_url, settings)
        # strict_sampling: fail fast on a sampling value the model fixes, before any request
        # (else the core drops it, with a warning, when a request is built); an effort the
        # host does not take fails here too.
        if self.strict_sampling:
            check_sampling(shared["model"], sampling_values(self), shared["thinking"])
        if options is not None:
            check_effort_setting(self.reasoning_effort, shared["model"], options.host)
        self._clients = clients_for(options, base_url, settings)
        if options is not None:
            self.base_url = options.base_url

    # -- copies, pickles, dicts (docs/guides/reliability.md, "Copies, pickles...") -----------
    @classmethod
    def from_dict(cls, data: dict[str, Any], **kwargs: Any) -> Kimi:
        """``to_dict``'s inverse. The dict holds no key: it comes from ``kwargs``
        (``api_key=...``) or the environment, looked up on the first call if not set yet."""
        fields = {**data, **kwargs}
        fields.pop("class_name", None)
        with key_on_first_use():
            return cls(**fields)

    def __getstate__(self) -> dict[str, Any]:
        """Pickle the settings only: the clients hold the key and live connections, so they
        never travel, nor do ``default_headers`` (they may hold credentials)."""
        return settings_state(self)

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Revived with the settings; the key comes from the environment (on the first call
        if this process has none yet)."""
        with key_on_first_use():
            self.__init__(**state["__dict__"])  # type: ignore[misc]

    @classmethod
    def class_name(cls) -> str:
        return "kimi_llm"

    @property
    def metadata(self) -> LLMMetadata:
        """Context window and output size from ``kimi_core.catalog``; for a model it does
        not know, the context window ``GET /models`` lists (asked once per client)."""
        return llm_metadata(self.model, self.context_window, self.max_tokens, self._served)

    def _served(self, model: str) -> Any:
        return self._clients.sync.models.served(model)

    def to_payload(self) -> dict[str, Any]:
        """``BaseLLM.to_payload`` (class name and metadata, no secrets), which LlamaIndex's
        callback decorators put in the events of every call; the metadata dump is cached per
        settings (``_fastpath.cached_metadata_dump``)."""
        if metadata_dump is None or type(self).metadata is not Kimi.metadata:
            base = getattr(super(), "to_payload", None)  # not on llama-index-core < 0.14.24
            if base is not None:
                return base()  # type: ignore[no-any-return]
            return {"class_name": self.class_name(), **self.metadata.model_dump()}
        return {
            "class_name": self.class_name(),
            **metadata_dump(self.model, self.context_window, self.max_tokens),
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

    def _core(self) -> KimiClients:
        """The core clients, read past pydantic's private-attribute lookup (``_fastpath``)."""
        clients: KimiClients = private_value(self, "_clients")
        return clients

    def _turn(
        self, messages: Sequence[ChatMessage], kwargs: dict[str, Any], batch: bool = False
    ) -> ChatTurn:
        """The request (``kimi_core.chat.request.build_chat_request``: instance values, then the
        call's, ``None`` meaning "not given" as everywhere in LlamaIndex) in the core's
        ``ChatTurn``, which every call goes through; the core checks it before sending."""
        defaults = chat_defaults(self, self.model)
        if not defaults.get("strict_sampling", True):
            del defaults["strict_sampling"]  # the default: nothing to tell the core
        defaults.update(self.additional_kwargs)
        rounds = kwargs.pop("max_builtin_tool_rounds", None)
        overrides = {
            key: value
            for key, value in kwargs.items()
            if value is not None and key not in _LOCAL_KWARGS
        }
        options = self._core().options
        tools = overrides.get("tools") or defaults.get("tools")
        if tools:
            warn_web_search_retired(tools, stacklevel=5)  # the builtin $web_search: still sent
        wire, prefix = to_kimi_messages(
            messages, keep_reasoning=keeps_reasoning({**defaults, **overrides}, options.host)
        )
        if self.keep_uploaded_files:
            keep_documents(wire)
        return ChatTurn(
            build_chat_request(wire, defaults, overrides),
            prefix=prefix,
            max_rounds=self.max_builtin_tool_rounds if rounds is None else rounds,
            batch=batch,
            host=options.host,
            price=options.price,
        )

    def _chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        turn = self._turn(messages, kwargs)
        client = self._core().sync
        while turn.add(client.chat(turn.payload)):
            pass
        return chat_response(turn)

    async def _achat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        turn = self._turn(messages, kwargs)
        client = self._core().async_client
        while turn.add(await client.chat(turn.payload)):
            pass
        return chat_response(turn)

    def _stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        # Checked now (bad input raises here, typed), sent on the first ``next``: a generator
        # dropped unused never sends, never holds a connection or a rate-limit slot.
        turn = self._turn(messages, kwargs)
        client = self._core().sync
        if has_documents(
            turn.payload.get("messages")
        ):  # read now: a prepared request holds no document
            turn.payload = dict(client.read_documents(turn.payload))  # type: ignore[arg-type]
        return responses(client, turn, client.prepare(turn.payload, stream=True))

    async def _astream_chat(
        self, messages: Sequence[ChatMessage], **kwargs: Any
    ) -> ChatResponseAsyncGen:
        turn = self._turn(messages, kwargs)
        client = self._core().async_client
        if has_documents(turn.payload.get("messages")):
            read = await client.read_documents(turn.payload)
            turn.payload = dict(read)  # type: ignore[arg-type]
        return aresponses(client, turn, client.prepare(turn.payload, stream=True))

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

    # Batch jobs (docs/guides/batch-jobs.md): ``batch_job``, ``abatch_job``,
    # ``resume_batch_job`` and ``aresume_batch_job`` come from ``_batch.BatchJobMethods``.

    # Function calling (``chat_with_tools`` and the rest): ``_tool_calling.ToolCallingMethods``.

    # -- structured output ----------------------------------------------------------------

    def _structured_mode(self) -> StructuredOutputMode:
        """``structured_output_mode``, or (None) json_schema where the model takes it."""
        if self.structured_output_mode is not None:
            return self.structured_output_mode
        return _structured.default_mode(self.model)

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
        kwargs = _structured.json_mode_kwargs(output_cls, llm_kwargs, self._structured_mode())
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
        result = _structured.validate(self.chat(messages, **kwargs), output_cls)
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
        result = _structured.validate(await self.achat(messages, **kwargs), output_cls)
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
        return _structured.partial_objects(self.stream_chat(messages, **kwargs), output_cls)

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
        return _structured.apartial_objects(await self.astream_chat(messages, **kwargs), output_cls)


_fastpath.cache_span_signatures(Kimi)
