"""``ChatKimi``: Moonshot's Kimi models as a LangChain chat model, on the shared ``kimi_core``.

The class lives here (its fields, LangChain's plumbing, the request and the four call paths)
because ``langchain_kimi.chat_models.ChatKimi`` is the path pickles and serialized chains
name. What it delegates sits beside it: message mapping (``_messages``), answers and stream
chunks (``_exchange``), tools (``_tools``), structured output (``_structured``), batch jobs
(``_batch``), the model profile (``_profile``), copies and pickles (``_pickling``), errors
(``_errors``).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LangSmithParams, LanguageModelInput
from langchain_core.language_models.model_profile import ModelProfile
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.utils import secret_from_env
from pydantic import ConfigDict, Field, PrivateAttr, SecretStr, model_validator

from kimi_core.integration import (
    DEFAULT_MAX_ROUNDS,
    DEFAULT_MODEL,
    KimiClients,
    KimiOptions,
    RateLimits,
    build_chat_request,
    chat_defaults,
    check_effort_setting,
    check_tool_choice,
    keep_documents,
    keeps_reasoning,
    private_value,
    tool_name,
    warn_retirement,
    warn_web_search_retired,
)

from . import _arguments, _blocks, _fastpath, _structured
from ._batch import BatchJobMethods
from ._binding import KimiBinding, structured_output
from ._errors import translated_errors
from ._exchange import Exchange, RunManager, StreamExchange, thread_cache_key
from ._messages import messages_to_wire, request_messages
from ._pickling import fill_new_fields, keyless_state, revive_clients, share_in_memo
from ._profile import LazyProfile, model_profile, served_profile
from ._tools import ToolLike, format_tool, tools_as_system_message

if TYPE_CHECKING:
    # The clients pull in httpx: imported on first use, so `import langchain_kimi` stays light.
    from kimi_core.integration import AsyncKimiClient, KimiClient

__all__ = ["ChatKimi"]

_blocks.register()

_log = logging.getLogger(__name__)


class ChatKimi(BatchJobMethods, BaseChatModel):
    """Moonshot's Kimi chat models (kimi-k2.6, kimi-k2.7-code, kimi-k3, kimi-k3.1-pro...) for
    LangChain.

    Built on ``kimi_core``: one pooled ``KimiClient`` per instance and one ``AsyncKimiClient``
    per event loop (created on first use), retries and timeouts in the core (``max_retries``,
    ``timeout``), typed errors that are also LangChain's standard ones
    (``ModelRateLimitError``, ``ContextOverflowError``...).

    Setup: ``export MOONSHOT_API_KEY=...`` (or ``KIMI_API_KEY``), then::

        from langchain_kimi import ChatKimi

        llm = ChatKimi(model="kimi-k2.6")
        llm.invoke("Hello")
        llm.invoke("Hello", model="kimi-k3", reasoning_effort="low")

    Kimi specifics (every rule is ``kimi_core``'s, per model from its catalog):

    - **Thinking**: ``thinking`` (True/False/None: on/off/the model's default) on models that
      toggle it (kimi-k2.6); ``reasoning_effort`` (``"low"``/``"high"``/``"max"``) on kimi-k3
      and kimi-k3.1-pro, which always reason; ``preserve_thinking=True`` keeps earlier
      reasoning on kimi-k2.6 (always on for kimi-k2.7-code and kimi-k3). What a model does
      not take raises ``InvalidParameterError`` before any request. Reasoning is in
      ``additional_kwargs["reasoning_content"]`` and a ``reasoning`` content block (streamed
      chunk by chunk) and is sent back where Kimi requires it.
    - **Sampling**: values left unset are not sent; a value a model fixes (temperature,
      top_p, n, penalties on kimi-k2.6, kimi-k2.7-code and kimi-k3) is not sent either, with
      one ``FixedSamplingWarning`` per model and field when it differs from the model's;
      ``strict_sampling=True`` makes that an ``InvalidParameterError`` before any request.
    - **Tools**: ``bind_tools`` takes functions, pydantic classes, ``BaseTool``s, dicts and
      Kimi's builtin ``$web_search`` (retired by Moonshot on 2026-10-20: a
      ``DeprecationWarning``; answered by the client where a gateway still serves it, up to
      ``max_builtin_tool_rounds`` rounds; search with ``KimiWebToolkit`` instead). A forced
      ``tool_choice`` ("any", "required", ``True`` or a tool name) is sent natively where the
      model accepts it and rewritten where it does not (``kimi_core.chat.tool_choice``);
      ``parallel_tool_calls=False`` keeps the first call. Tool-call ids are kept exactly
      (``get_distance:0``).
    - **Structured output**: ``with_structured_output`` defaults to ``method="json_schema"``
      on models that take ``response_format: json_schema`` (kimi-k2.6, kimi-k2.7-code, kimi-k3),
      else JSON mode with the schema in a system message; ``"function_calling"`` forces a tool
      call. ``invoke(..., response_format=Model)`` works as with ChatOpenAI (the parsed object
      in ``additional_kwargs["parsed"]``).
    - **Partial mode**: end the messages with an ``AIMessage`` to have Kimi continue it; the
      answer is prefix + continuation (streamed, the prefix is the first chunk).
    - **Images and video**: image / video blocks and ``image_url`` / ``video_url`` parts with
      base64 data or ``ms://`` file ids (upload video with ``purpose="video"``).
    - **Documents**: ``file`` blocks in a user message (base64, a ``data:`` URL, a path or a
      Kimi file id) are read through Kimi's Files API (purpose ``file-extract``) and their
      text sent in a system message before it, as Moonshot documents; the upload is deleted
      once read unless ``keep_uploaded_files=True``.
    - **Usage**: ``usage_metadata`` with ``cache_read``/``reasoning`` details where Kimi gives
      them (streamed: on the last chunk only, unless ``stream_usage=False``);
      ``response_metadata`` has ``model_name``, ``finish_reason``, ``id``,
      ``system_fingerprint``, ``model_provider="kimi"``, ``cost`` from the model catalog and
      ``rate_limit`` (the ``X-RateLimit-*`` headers) where the server sent them.
    """

    model_config = ConfigDict(populate_by_name=True)

    model_name: str = Field(default=DEFAULT_MODEL, alias="model")
    """Model id, e.g. ``kimi-k2.6``, ``kimi-k2.7-code``, ``kimi-k3``, ``kimi-k3.1-pro``."""
    api_key: SecretStr | Callable[[], str] | None = Field(
        default_factory=secret_from_env(["MOONSHOT_API_KEY", "KIMI_API_KEY"], default=None)
    )
    """API key; read from ``MOONSHOT_API_KEY`` or ``KIMI_API_KEY`` (or the host's own
    variable, e.g. ``OPENROUTER_API_KEY``) when not given. A zero-argument callable returning
    the current token (Vertex AI's OAuth token) is called for every request."""
    base_url: str | None = None
    """Base URL; else the gateway's, else ``MOONSHOT_BASE_URL``/``KIMI_BASE_URL``/
    ``MOONSHOT_API_BASE``, else Moonshot's global endpoint (``https://api.moonshot.ai/v1``)."""
    gateway: str | None = None
    """Where Kimi is served (docs/guides/hosts.md): ``moonshot-global`` (default),
    ``moonshot-cn``, ``openrouter``, ``together``, ``fireworks``, ``vllm``... (every name of
    ``kimi_core.catalog.hosts.HOSTS``); None: picked from ``base_url``'s host name."""
    endpoint_path: str | None = None
    """Cloudsway's endpoint path segment."""
    thinking: bool | None = None
    """``None``: the model default; ``True``/``False``: thinking on/off (kimi-k2.6)."""
    reasoning_effort: str | None = None
    """How hard the model reasons: on Moonshot ``"low"`` / ``"high"`` / ``"max"`` (kimi-k3,
    kimi-k3.1-pro; their default ``"max"``); elsewhere the host's own values (Fireworks:
    ``"low"``, ``"medium"``, ``"high"``, ``"none"``...), checked at construction."""
    preserve_thinking: bool = False
    """Keep earlier reasoning in context (kimi-k2.6's ``keep: "all"``); the reasoning of
    every assistant turn is then sent back."""
    prompt_cache_key: str | None = None
    """Kimi's prompt-cache key: requests with the same key share cached prefixes (Moonshot
    asks for "a session id or task id" that stays the same). Unset: LangGraph's
    ``thread_id`` of the run, unless ``prompt_cache_key_from_thread=False``."""
    prompt_cache_key_from_thread: bool = True
    """With no ``prompt_cache_key`` set, send the run's LangGraph ``thread_id`` (a graph node,
    ``create_agent``, or ``metadata={"thread_id": ...}`` in the run config) as the key, on
    Moonshot's platform."""
    prompt_cache_ttl: Literal["5m", "1h"] | None = None
    """The prompt cache's tier: ``"5m"`` (Moonshot's default) or ``"1h"``, sent as
    ``prompt_cache_options: {"ttl": ...}``; cache writes are priced at its rate. Per call
    too (``invoke(..., prompt_cache_ttl="1h")``)."""
    logprobs: bool | None = None
    """Ask for the answer's token log probabilities: ``response_metadata["logprobs"]``
    (``{"content": [{"token", "logprob", "bytes", "top_logprobs"}]}``, as ChatOpenAI), on
    each streamed chunk too (LangChain adds them up)."""
    top_logprobs: int | None = None
    """How many most likely alternatives per token (0-20; with ``logprobs=True``)."""
    prediction: dict[str, Any] | None = None
    """Predicted output (``{"type": "content", "content": "..."}``): the text the answer
    will mostly repeat, sent as Moonshot's ``prediction``."""
    safety_identifier: str | None = None
    """A stable id of your end user (hashed), sent as ``safety_identifier`` for Moonshot's
    abuse detection."""
    strict_sampling: bool = False
    """A sampling value the model fixes (temperature, top_p, n, penalties on kimi-k2.6,
    kimi-k2.7-code, kimi-k3) is dropped with one ``FixedSamplingWarning`` per model and field
    (the model's own value applies); ``True``: it raises ``InvalidParameterError`` instead,
    before any request. Per call too (``invoke(..., strict_sampling=True)``)."""
    temperature: float | None = None
    max_tokens: int | None = Field(default=None, alias="max_completion_tokens")
    """Output limit; sent as ``max_completion_tokens`` on Moonshot's own endpoints."""
    top_p: float | None = None
    frequency_penalty: float | None = None
    presence_penalty: float | None = None
    n: int | None = None
    stop: list[str] | str | None = Field(default=None, alias="stop_sequences")
    user: str | None = None
    streaming: bool = False
    """Stream by default in ``invoke`` (the answer is the same)."""
    stream_usage: bool = True
    """Attach usage to the last streamed chunk."""
    max_retries: int = 2
    """Retries of failed requests, done by ``kimi_core`` (never after a stream started; what is
    retried: docs/guides/retries-and-errors.md)."""
    retry_ambiguous: bool = False
    """Also retry a request that was sent and then lost its answer (a read timeout, a reset):
    the server may have generated and billed it, so this is off by default."""
    timeout: float | Any | None = None
    """Seconds (or an ``httpx.Timeout``) per connect / read / write; ``None``: 600 s, 10 s to
    connect."""
    total_timeout: float | None = None
    """Seconds a whole call may take, retries and a streamed answer included."""
    model_kwargs: dict[str, Any] = Field(default_factory=dict)
    """Extra request fields sent with every call."""
    default_headers: dict[str, str] | None = None
    http_client: Any | None = Field(default=None, exclude=True)
    """Your own ``httpx.Client`` for sync calls."""
    http_async_client: Any | None = Field(default=None, exclude=True)
    """Your own ``httpx.AsyncClient`` for async calls."""
    rate_limits: Any | None = None
    """Client-side limits enforced by ``kimi_core`` (``"tier1"``, a dict or ``RateLimits``)."""
    allow_insecure: bool = False
    """Allow a plain ``http://`` base URL that is not loopback."""
    price: Any | None = Field(default=None, exclude=True)
    """Your host's price per million tokens (``{"input": "1.20", "output": "4.50",
    "currency": "USD"}`` or a ``kimi_core.Price``) for ``cost`` off Moonshot's platform,
    where the host reports none (Moonshot's own endpoints use the catalog's prices). Not
    serialized with a chain: pass it again when loading one."""
    max_builtin_tool_rounds: int = Field(default=DEFAULT_MAX_ROUNDS, ge=0)
    """How many ``$web_search`` rounds ChatKimi answers before raising ``ToolLoopError``."""
    keep_uploaded_files: bool = False
    """Keep the files uploaded to read ``file`` content blocks (deleted once read by
    default; ``langchain_kimi._documents``)."""

    # The core's client lifecycle (a sync client and one async client per event loop, built
    # on first use) for the options resolved once in __init__.
    _clients: KimiClients = PrivateAttr()

    @model_validator(mode="before")
    @classmethod
    def _build_extra(cls, values: Any) -> Any:
        """Unknown arguments go to ``model_kwargs`` with a warning, as ``ChatOpenAI``'s do."""
        return _arguments.build_model_kwargs(cls, values)

    def __init__(self, **kwargs: Any) -> None:
        # A misspelled field name is a ConfigurationError, never a request field.
        kwargs = _arguments.renamed(kwargs)
        _arguments.check_typos(type(self), kwargs)
        super().__init__(**kwargs)
        # Checked here (not in a validator) so the core's typed ConfigurationError is what
        # callers see, before any request.
        options = KimiOptions.resolve(self.api_key, self.base_url, **self._settings())
        check_effort_setting(self.reasoning_effort, self.model_name, options.host)
        if options.token is None:
            self.api_key = options.api_key
        self._clients = KimiClients(options)
        if options.host.platform:
            warn_retirement(self.model_name)  # retired, or retiring within 30 days: once
        if self.profile is None:
            # A model the catalog does not know: its traits from GET /models, when read.
            self.profile = LazyProfile(self._served_profile)  # type: ignore[assignment]

    def _served_profile(self) -> ModelProfile:
        clients: KimiClients = private_value(self, "_clients")
        return served_profile(clients.sync.models.served(self.model_name))

    def _settings(self) -> dict[str, Any]:
        """This model's connection settings, for ``KimiOptions.resolve``."""
        return {
            "gateway": self.gateway,
            "endpoint_path": self.endpoint_path,
            "timeout": self.timeout,
            "max_retries": self.max_retries,
            "retry_ambiguous": self.retry_ambiguous,
            "total_timeout": self.total_timeout,
            "default_headers": self.default_headers,
            "rate_limits": self.rate_limits,
            "allow_insecure": self.allow_insecure,
            "http_client": self.http_client,
            "async_http_client": self.http_async_client,
            "model": self.model_name,
            "thinking": self.thinking,
            "price": self.price,
        }

    # -- copies and pickles (docs/guides/reliability.md, "Copies, pickles...") ----------------
    def __getstate__(self) -> dict[Any, Any]:
        """The settings only: never the key, nor ``default_headers`` (they may hold
        credentials: the rule of every pickle of the package), nor the clients and your own
        HTTP clients or limiter objects (they hold sockets and locks: dropped, with a
        warning)."""
        return keyless_state(
            self,
            super().__getstate__(),
            ("http_client", "http_async_client", "rate_limits"),
            cleared=("default_headers",),
        )

    def __setstate__(self, state: dict[Any, Any]) -> None:
        """Revived without a key: it comes from ``MOONSHOT_API_KEY`` on the first call."""
        fill_new_fields(type(self), state)
        super().__setstate__(state)
        revive_clients(self)
        if not self.profile and model_profile(self.model_name) is None:
            self.profile = LazyProfile(self._served_profile)  # type: ignore[assignment]

    def __deepcopy__(self, memo: dict[int, Any] | None = None) -> ChatKimi:
        """A copy keeps the key; it shares your own HTTP clients and limiter (a copy of a
        socket or a lock is not a thing) and gets its own lifecycle (``KimiClients``)."""
        limits = self.rate_limits
        shared: list[Any] = [self.http_client, self.http_async_client]
        if not isinstance(limits, str | dict | RateLimits):
            shared.append(limits)
        return super().__deepcopy__(share_in_memo(memo, shared))

    # -- LangChain plumbing ------------------------------------------------------------------
    @property
    def _llm_type(self) -> str:
        return "kimi-chat"

    @property
    def lc_secrets(self) -> dict[str, str]:
        return {"api_key": "MOONSHOT_API_KEY"}

    @classmethod
    def is_lc_serializable(cls) -> bool:
        return True

    @classmethod
    def get_lc_namespace(cls) -> list[str]:
        return ["langchain_kimi", "chat_models"]

    @property
    def _default_params(self) -> dict[str, Any]:
        params = chat_defaults(self, self.model_name)
        params.pop("stop", None)  # per call: the ``stop`` argument, else ``self.stop``
        if not params.get("strict_sampling", True):
            del params["strict_sampling"]  # the default: nothing to tell the core
        params.update(self.model_kwargs)
        return params

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_name": self.model_name, **self._default_params}

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        params = LangSmithParams(
            ls_provider="kimi",
            ls_model_name=str(kwargs.get("model") or self.model_name),
            ls_model_type="chat",
        )
        temperature = kwargs.get("temperature", self.temperature)
        if temperature is not None:
            params["ls_temperature"] = temperature
        max_tokens = kwargs.get("max_tokens", self.max_tokens)
        if max_tokens is not None:
            params["ls_max_tokens"] = max_tokens
        stops = stop or kwargs.get("stop") or self.stop
        if stops:
            params["ls_stop"] = [stops] if isinstance(stops, str) else list(stops)
        return params

    def _resolve_model_profile(self) -> ModelProfile | None:
        """The profile of a catalog model (``kimi_core.catalog``); None for other names."""
        return model_profile(self.model_name)

    def _combine_llm_outputs(self, llm_outputs: list[dict[str, Any] | None]) -> dict[str, Any]:
        total: dict[str, int] = {}
        model_name = None
        for output in llm_outputs:
            if not output:
                continue
            model_name = model_name or output.get("model_name")
            for key, value in (output.get("token_usage") or {}).items():
                total[key] = total.get(key, 0) + value
        return {"token_usage": total, "model_name": model_name or self.model_name}

    # -- clients -----------------------------------------------------------------------------
    @property
    def client(self) -> KimiClient:
        """The instance's sync ``KimiClient`` (created once, on first use)."""
        clients: KimiClients = private_value(self, "_clients")
        return clients.sync

    @property
    def async_client(self) -> AsyncKimiClient:
        """The ``AsyncKimiClient`` of the running event loop (outside a loop: the one the next
        loop will use). An httpx pool belongs to the loop that opened it, so each new loop (a
        second ``asyncio.run``) gets its own client, unless you passed ``http_async_client``,
        which is always reused."""
        clients: KimiClients = private_value(self, "_clients")
        return clients.async_client

    def close(self) -> None:
        """Close the sync client's connection pool (your own ``http_client`` stays open); a
        later call opens a new one."""
        self._clients.close()

    async def aclose(self) -> None:
        """Close the running loop's async connection pool (your own ``http_async_client``
        stays open); a later async call opens a new one."""
        await self._clients.aclose()

    # -- requests ----------------------------------------------------------------------------
    def _payload(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None,
        kwargs: dict[str, Any],
        run: RunManager | None = None,
    ) -> tuple[dict[str, Any], str | None]:
        """The request body (``kimi_core.chat.request.build_chat_request``: instance values, then
        per-call overrides; the core checks it when it is sent) and the partial-mode
        prefix."""
        defaults = self._default_params
        stops = stop if stop is not None else self.stop
        if stops:
            defaults["stop"] = stops
        tools = kwargs.get("tools")
        if tools:
            kwargs["tools"] = [t if isinstance(t, dict) else format_tool(t) for t in tools]
        response_format = kwargs.get("response_format")
        if response_format is not None:
            kwargs["response_format"] = _structured.response_format(response_format)
        host = private_value(self, "_clients").options.host
        wire, prefix = request_messages(
            messages, keep_reasoning=keeps_reasoning({**defaults, **kwargs}, host)
        )
        if getattr(self, "keep_uploaded_files", False):  # absent from older pickles
            keep_documents(wire)
        if (
            self.prompt_cache_key_from_thread
            and host.platform  # Moonshot's own field: looked up only where it is sent
            and "prompt_cache_key" not in defaults
            and "prompt_cache_key" not in kwargs
        ):
            key = thread_cache_key(run)
            if key is not None:
                defaults["prompt_cache_key"] = key
        return build_chat_request(wire, defaults, kwargs), prefix

    @staticmethod
    def _options(kwargs: dict[str, Any]) -> dict[str, Any]:
        options = dict(kwargs)
        options.pop("ls_structured_output_format", None)
        options.pop("stream", None)
        return options

    def _exchange(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None,
        kwargs: dict[str, Any],
        batch: bool = False,
        run: RunManager | None = None,
    ) -> Exchange:
        options = self._options(kwargs)
        options.pop("stream_usage", None)
        rounds = options.pop("max_builtin_tool_rounds", self.max_builtin_tool_rounds)
        schema = options.get("response_format")
        payload, prefix = self._payload(messages, stop, options, run)
        return Exchange(
            payload,
            prefix=prefix,
            max_rounds=rounds,
            parse_as=schema if _structured.is_pydantic_class(schema) else None,
            batch=batch,
            **self._reading(),
        )

    def _reading(self) -> dict[str, Any]:
        """How answers are read: the host (its reported cost, inline ``<think>``) and the
        user's ``price``."""
        clients: KimiClients = private_value(self, "_clients")
        options = clients.options
        return {"host": options.host, "price": options.price}

    def _stream_exchange(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None,
        kwargs: dict[str, Any],
        run: RunManager | None = None,
    ) -> StreamExchange:
        options = self._options(kwargs)
        stream_usage = options.pop("stream_usage", self.stream_usage)
        rounds = options.pop("max_builtin_tool_rounds", self.max_builtin_tool_rounds)
        payload, prefix = self._payload(messages, stop, options, run)
        return StreamExchange(
            payload, prefix=prefix, max_rounds=rounds, stream_usage=stream_usage, **self._reading()
        )

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        with translated_errors():
            exchange = self._exchange(messages, stop, kwargs, run=run_manager)
            client = self.client
            while exchange.add(client.chat(exchange.payload)):
                pass
            return exchange.result()

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        with translated_errors():
            exchange = self._exchange(messages, stop, kwargs, run=run_manager)
            client = self.async_client
            while exchange.add(await client.chat(exchange.payload)):
                pass
            return exchange.result()

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        # langchain-core calls on_llm_new_token itself unless it hands us the run manager.
        with translated_errors():
            exchange = self._stream_exchange(messages, stop, kwargs, run_manager)
            client = self.client
            while not exchange.done:
                with client.chat_stream(exchange.payload) as stream:
                    generation = exchange.opening()
                    if generation is not None:
                        if run_manager:
                            run_manager.on_llm_new_token(generation.text, chunk=generation)
                        yield generation
                    # Per token: one bound method, no attribute lookups.
                    convert = exchange.converter.generation
                    for chunk in stream:
                        generation = convert(chunk)
                        if generation is not None:
                            if run_manager:
                                run_manager.on_llm_new_token(generation.text, chunk=generation)
                            yield generation
                    exchange.end_round(stream.state)
            generation = exchange.final()
            if run_manager:
                run_manager.on_llm_new_token("", chunk=generation)
            yield generation

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        with translated_errors():
            exchange = self._stream_exchange(messages, stop, kwargs, run_manager)
            client = self.async_client
            while not exchange.done:
                async with await client.chat_stream(exchange.payload) as stream:
                    generation = exchange.opening()
                    if generation is not None:
                        if run_manager:
                            await run_manager.on_llm_new_token(generation.text, chunk=generation)
                        yield generation
                    convert = exchange.converter.generation
                    async for chunk in stream:
                        generation = convert(chunk)
                        if generation is not None:
                            if run_manager:
                                await run_manager.on_llm_new_token(
                                    generation.text, chunk=generation
                                )
                            yield generation
                    exchange.end_round(stream.state)
            generation = exchange.final()
            if run_manager:
                await run_manager.on_llm_new_token("", chunk=generation)
            yield generation

    # Batch jobs (docs/guides/batch-jobs.md): ``batch_job``, ``abatch_job``,
    # ``resume_batch_job`` and ``aresume_batch_job`` come from ``_batch.BatchJobMethods``.

    # -- tokens ------------------------------------------------------------------------------
    def _token_messages(
        self, messages: list[BaseMessage], tools: Sequence[Any] | None
    ) -> list[Mapping[str, Any]]:
        wire = messages_to_wire(messages)
        for message in wire:
            message.pop("partial", None)
        if tools:
            wire.insert(0, tools_as_system_message(tools))
        return list(wire)

    def get_num_tokens_from_messages(
        self,
        messages: list[BaseMessage],
        tools: Sequence[Any] | None = None,
        *,
        offline: bool = False,
    ) -> int:
        """Kimi's own count (``POST /tokenizers/estimate-token-count``), one request per
        message not counted before; the offline estimate (a ``kimi_core.TokenCount`` with
        ``estimated=True``, and a ``TokenCountEstimateWarning``) when the endpoint cannot be
        reached, or always with ``offline=True`` (docs/guides/framework-notes.md, "Token
        counting")."""
        with translated_errors():
            wire = self._token_messages(messages, tools)
            return self.client.count_tokens(self.model_name, wire, offline=offline)

    def get_num_tokens(self, text: str) -> int:
        """Kimi's count for ``text`` sent as one user message (message overhead included)."""
        with translated_errors():
            wire: list[Mapping[str, Any]] = [{"role": "user", "content": text}]
            return self.client.count_tokens(self.model_name, wire)

    # -- tools and structured output ---------------------------------------------------------
    def bind(self, **kwargs: Any) -> KimiBinding:
        """``Runnable.bind``, as a ``KimiBinding``: ``batch_job`` / ``abatch_job`` on it keep
        the bound settings (``_binding``)."""
        return KimiBinding(bound=self, kwargs=kwargs, config={})

    def bind_tools(
        self,
        tools: Sequence[ToolLike],
        *,
        tool_choice: str | bool | Mapping[str, Any] | None = None,
        strict: bool | None = None,
        parallel_tool_calls: bool | None = None,
        response_format: Mapping[str, Any] | type | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Bind tools (functions, pydantic classes, ``BaseTool``s, dicts, ``$web_search``).

        ``tool_choice``: "auto", "none", "any"/"required"/``True`` (call some tool) or a tool
        name; see the class docstring for how forced choices reach Kimi.
        ``parallel_tool_calls=False`` keeps only the first call of an answer (Kimi has no such
        field; the client does it). ``strict`` is accepted for compatibility and not sent.
        ``response_format`` (a ``response_format`` dict, a pydantic class or a JSON schema)
        makes the final answer JSON, as in ``with_structured_output(method="json_schema")``.
        """
        formatted = [format_tool(tool) for tool in tools]
        warn_web_search_retired(formatted)  # the builtin $web_search: still sent as asked
        choice = check_tool_choice(tool_choice, [str(tool_name(t)) for t in formatted])
        if choice is not None:
            kwargs["tool_choice"] = choice
        if parallel_tool_calls is not None:
            kwargs["parallel_tool_calls"] = parallel_tool_calls
        if response_format is not None:
            kwargs["response_format"] = response_format
        return self.bind(tools=formatted, **kwargs)

    def with_structured_output(
        self,
        schema: Mapping[str, Any] | type | None = None,
        *,
        method: Literal["json_schema", "json_mode", "function_calling"] | None = None,
        include_raw: bool = False,
        strict: bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, dict[str, Any] | Any]:
        """A runnable answering with ``schema`` (pydantic class, TypedDict or JSON schema).

        ``method`` (default: ``"json_schema"`` where the model takes it, per the catalog, else
        ``"json_mode"``): ``"json_schema"`` sends ``response_format: json_schema`` (``strict``
        as given; a model without it gets JSON mode instead); ``"json_mode"``: Kimi's JSON
        mode with the schema in a system message; ``"function_calling"``: a forced call of a
        tool built from the schema. Pydantic answers are validated. ``include_raw=True``
        returns ``{"raw", "parsed", "parsing_error"}``.
        """
        if method is None:
            method = _structured.default_method(self.model_name, schema)
        llm, parser = _structured.model_and_parser(self, schema, method, strict, kwargs)
        chain = llm | parser if not include_raw else _structured.with_raw(llm, parser)
        # batch_job on it runs the bound model's job and parses each answer (``_binding``).
        return structured_output(chain, llm, parser, include_raw)


_fastpath.cache_signatures(ChatKimi)
_invocation_params = _fastpath.bound_invocation_params()
if _invocation_params is not None:
    ChatKimi._get_invocation_params = _invocation_params  # type: ignore[method-assign]
del _invocation_params
