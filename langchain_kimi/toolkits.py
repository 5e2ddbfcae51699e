"""``KimiToolkit``: Moonshot's official tools ("formulas") as LangChain tools.

Each formula's tools (``kimi_core.resources.formulas``: fetched once per client and URI) become
``KimiFormulaTool``s: a ``BaseTool`` with the formula's name, description and argument schema
(the JSON schema itself, as ``args_schema``), whose run is one fiber. The fiber's output — or
its opaque encrypted output, byte for byte — is the tool message content, so the tools work
with any chat model, in ``create_agent`` and LangGraph's ``ToolNode``. ``ChatKimi`` sends each
one's declaration exactly as the formula gave it. This module only translates: requests,
parsing, retries and errors are the core's.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

from langchain_core.tools import BaseTool, BaseToolkit
from langchain_core.utils import secret_from_env
from pydantic import ConfigDict, Field, PrivateAttr, SecretStr

from kimi_core.integration import (
    Fiber,
    FormulaTool,
    KimiClients,
    KimiOptions,
    formula_uri,
    index_tools,
)

from ._errors import translated_errors
from ._pickling import keyless_state, revive_clients, share_in_memo

if TYPE_CHECKING:
    from .chat_models import ChatKimi

__all__ = ["KimiFormulaTool", "KimiToolkit"]

_log = logging.getLogger(__name__)
_SHARED = ("http_client", "http_async_client")


def _artifact(fiber: Fiber) -> dict[str, Any]:
    """What the ``ToolMessage.artifact`` keeps of a fiber (the content is the output)."""
    return {
        "fiber_id": fiber.id,
        "status": fiber.status,
        "formula": fiber.uri,
        "encrypted": fiber.encrypted,
    }


class KimiFormulaTool(BaseTool):
    """One tool of one of Moonshot's official formulas; running it runs one fiber.

    The answer is ``(content, artifact)`` (``response_format="content_and_artifact"``): the
    content is the fiber's output, or its encrypted output unchanged; the artifact is
    ``{"fiber_id", "status", "formula", "encrypted"}``. A failed fiber is a
    ``KimiFiberFailedError`` (a ``ToolException``): with ``handle_tool_error=True`` (the
    toolkit's default) the model gets its message as an error tool message.
    """

    formula: str
    """The formula's URI, e.g. ``moonshot/web-search:latest``."""
    function: str
    """The name a fiber runs (``excel.read_file`` for a plugin's ``excel_read_file``)."""
    kimi_tool_definition: dict[str, Any] = Field(default_factory=dict, repr=False)
    """The declaration as the formula gave it; ``ChatKimi`` sends it as it is."""
    response_format: Literal["content", "content_and_artifact"] = "content_and_artifact"

    _toolkit: KimiToolkit = PrivateAttr()

    def _run(self, **arguments: Any) -> tuple[str, dict[str, Any]]:
        with translated_errors():
            clients: KimiClients = self._toolkit._clients
            fiber = clients.sync.formulas.run(self.formula, self.function, arguments)
        return fiber.content, _artifact(fiber)

    async def _arun(self, **arguments: Any) -> tuple[str, dict[str, Any]]:
        with translated_errors():
            clients: KimiClients = self._toolkit._clients
            fiber = await clients.async_client.formulas.run(self.formula, self.function, arguments)
        return fiber.content, _artifact(fiber)


class KimiToolkit(BaseToolkit):
    """Moonshot's official tools for any LangChain chat model or agent.

    >>> toolkit = KimiToolkit(formulas=["moonshot/web-search:latest", "moonshot/date:latest"])
    >>> agent = create_agent(ChatKimi(), tools=toolkit.get_tools())  # doctest: +SKIP

    ``formulas``: formula URIs (``namespace/name:tag``; ``"date"`` means
    ``"moonshot/date:latest"``). ``get_tools()`` / ``aget_tools()`` fetch their tools (once
    per client and URI) and refuse a tool name two formulas share (Kimi would answer 400).
    The connection options are ``ChatKimi``'s (key from ``MOONSHOT_API_KEY`` or
    ``KIMI_API_KEY``, ``base_url``, ``gateway``, retries, timeout, headers, your own httpx
    clients); ``from_chat_model`` takes them, and the connection pool, from a ``ChatKimi``.
    Running a tool runs a fiber, which is what Moonshot bills (web search; the others are
    free for now): a fiber is retried only when it surely did not run (a refused connection,
    a 429 or 5xx answer), never after a failure or a lost answer.
    """

    model_config = ConfigDict(populate_by_name=True)

    formulas: list[str]
    """Formula URIs, e.g. ``["moonshot/web-search:latest", "moonshot/fetch:latest"]``."""
    api_key: SecretStr | None = Field(
        default_factory=secret_from_env(["MOONSHOT_API_KEY", "KIMI_API_KEY"], default=None)
    )
    """API key; read from ``MOONSHOT_API_KEY`` or ``KIMI_API_KEY`` when not given."""
    base_url: str | None = None
    """Base URL; else the gateway's, else ``MOONSHOT_BASE_URL``/``KIMI_BASE_URL``, else
    Moonshot China. Formulas are served by Moonshot's own endpoints only."""
    gateway: str | None = None
    endpoint_path: str | None = None
    max_retries: int = 2
    """Retries of failed requests (a fiber only when it surely did not run)."""
    retry_ambiguous: bool = False
    """Also retry a fiber sent and then left unanswered: it may have run, and been billed."""
    timeout: float | Any | None = None
    """Seconds (or an ``httpx.Timeout``); ``None``: 600 s, 10 s to connect."""
    default_headers: dict[str, str] | None = None
    http_client: Any | None = Field(default=None, exclude=True)
    http_async_client: Any | None = Field(default=None, exclude=True)
    allow_insecure: bool = False
    handle_tool_error: bool = True
    """Give a failed fiber to the model as an error tool message instead of raising."""

    _clients: KimiClients = PrivateAttr()

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        with translated_errors():
            self.formulas = [formula_uri(uri) for uri in self.formulas]
        options = KimiOptions.resolve(self.api_key, self.base_url, **self._settings())
        self.api_key = options.api_key
        self._clients = KimiClients(options)

    def _settings(self) -> dict[str, Any]:
        return {
            "gateway": self.gateway,
            "endpoint_path": self.endpoint_path,
            "timeout": self.timeout,
            "max_retries": self.max_retries,
            "retry_ambiguous": self.retry_ambiguous,
            "default_headers": self.default_headers,
            "allow_insecure": self.allow_insecure,
            "http_client": self.http_client,
            "async_http_client": self.http_async_client,
        }

    @classmethod
    def from_chat_model(
        cls, llm: ChatKimi, formulas: Sequence[str], *, handle_tool_error: bool = True
    ) -> KimiToolkit:
        """The toolkit for ``llm``'s account: its key, URL and connection options, and its
        connection pool (chat calls and fibers share one)."""
        toolkit = cls(
            formulas=list(formulas),
            api_key=llm.api_key,
            base_url=llm.base_url,
            gateway=llm.gateway,
            endpoint_path=llm.endpoint_path,
            max_retries=llm.max_retries,
            retry_ambiguous=llm.retry_ambiguous,
            timeout=llm.timeout,
            default_headers=llm.default_headers,
            http_client=llm.http_client,
            http_async_client=llm.http_async_client,
            allow_insecure=llm.allow_insecure,
            handle_tool_error=handle_tool_error,
        )
        toolkit._clients = llm._clients
        return toolkit

    # -- tools -------------------------------------------------------------------------------
    def get_tools(self) -> list[BaseTool]:
        """One ``KimiFormulaTool`` per tool of each formula, in order."""
        with translated_errors():
            formulas = self._clients.sync.formulas
            return self._tools([tool for uri in self.formulas for tool in formulas.tools(uri)])

    async def aget_tools(self) -> list[BaseTool]:
        """``get_tools`` with the async client (no blocking call inside an event loop)."""
        with translated_errors():
            formulas = self._clients.async_client.formulas
            found = [tool for uri in self.formulas for tool in await formulas.tools(uri)]
            return self._tools(found)

    def _tools(self, found: list[FormulaTool]) -> list[BaseTool]:
        index_tools(found)
        tools: list[BaseTool] = []
        for spec in found:
            tool = KimiFormulaTool(
                name=spec.name,
                description=spec.description,
                args_schema=spec.schema(),
                formula=spec.uri,
                function=spec.function,
                kimi_tool_definition=spec.definition,
                handle_tool_error=self.handle_tool_error,
            )
            tool._toolkit = self
            tools.append(tool)
        return tools

    def close(self) -> None:
        """Close the sync connection pool (a shared ``ChatKimi`` pool included)."""
        self._clients.close()

    async def aclose(self) -> None:
        await self._clients.aclose()

    # -- copies and pickles: as ChatKimi's (never the key, nor live connections) -----------
    def __getstate__(self) -> dict[Any, Any]:
        """The settings only: no key, no clients, no headers (they may carry credentials),
        no unpicklable HTTP clients (dropped with a warning)."""
        return keyless_state(self, super().__getstate__(), _SHARED, cleared=("default_headers",))

    def __setstate__(self, state: dict[Any, Any]) -> None:
        """Revived without a key: it comes from ``MOONSHOT_API_KEY`` on the first call."""
        super().__setstate__(state)
        revive_clients(self)

    def __deepcopy__(self, memo: dict[int, Any] | None = None) -> KimiToolkit:
        """A copy keeps the key and your own HTTP clients, with a lifecycle of its own."""
        return super().__deepcopy__(share_in_memo(memo, (getattr(self, n) for n in _SHARED)))
