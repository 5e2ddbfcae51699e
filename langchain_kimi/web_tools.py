"""Moonshot's REST tools API as LangChain tools: web search, web search pro and URL fetch.

``KimiWebSearchTool`` (``kimi_web_search``, or ``kimi_web_search_pro`` with ``pro=True``) and
``KimiWebFetchTool`` (``kimi_web_fetch``) call ``client.tools.search`` / ``search_pro`` /
``fetch`` of ``kimi_core`` (sync and async), so they work with any chat model, in
``create_agent`` and LangGraph's ``ToolNode``: the replacements of the builtin ``$web_search``
Moonshot retired on 2026-10-20. ``KimiWebToolkit`` builds them on one connection (the options
are ``KimiToolkit``'s, or ``from_chat_model``'s ``ChatKimi``'s).

The content a model reads is ``kimi_core``'s text of the answer; the artifact keeps the
typed results and what the call cost (billed only on a 200 with a non-empty result). What a
model can act on is an error tool message (``handle_tool_error``, on by default): a URL the
service refuses (403 ``security_risk``), a page without text (404 ``markdown_not_found``), an
argument the server rejects (400). Other failures (the key, rate limits, the network) raise,
typed as everywhere in the package.
"""

from __future__ import annotations

from typing import Any, Literal

from langchain_core.tools import BaseTool, ToolException
from pydantic import BaseModel, Field, PrivateAttr

from kimi_core.integration import FetchPage, KimiClients, SearchPage, fetch_text, search_text
from kimi_core.integration import errors as core

from ._errors import translated_errors
from .toolkits import KimiToolkit

__all__ = ["KimiWebFetchTool", "KimiWebSearchTool", "KimiWebToolkit"]

WebToolName = Literal["search", "search_pro", "fetch"]
_DEFAULT_TOOLS: tuple[WebToolName, ...] = ("search", "fetch")

# What the model may fix by itself: said in the tool message instead of raised.
_TOOL_ERRORS = (core.FetchRefusedError, core.NoContentFoundError, core.BadRequestError)


class _SearchInput(BaseModel):
    query: str = Field(description="What to search the web for.")
    limit: int | None = Field(default=None, description="How many results (1-20; default 5).")


class _FetchInput(BaseModel):
    url: str = Field(description="The http(s) URL of the page to read.")


def _search_artifact(page: SearchPage) -> dict[str, Any]:
    return {
        "results": [result.model_dump(exclude_none=True) for result in page.results],
        "cost": page.cost.as_dict(),
        "request_id": page.request_id,
    }


def _fetch_artifact(page: FetchPage) -> dict[str, Any]:
    return {
        "title": page.title,
        "url": page.url,
        "cost": page.cost.as_dict(),
        "request_id": page.request_id,
    }


class _ToolErrors:
    """Core errors the model can act on as ``ToolException``s; the rest translated."""

    __slots__ = ()

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: Any, error: BaseException | None, traceback: Any) -> None:
        if isinstance(error, _TOOL_ERRORS):
            raise ToolException(str(error)) from error
        with translated_errors():
            if error is not None:
                raise error


class _KimiWebTool(BaseTool):
    response_format: Literal["content", "content_and_artifact"] = "content_and_artifact"
    handle_tool_error: bool = True
    _clients: KimiClients = PrivateAttr()

    def _bind(self, clients: KimiClients) -> _KimiWebTool:
        self._clients = clients
        return self


class KimiWebSearchTool(_KimiWebTool):
    """Web search through Moonshot's tools API (``POST /tools/search``; ``pro=True``:
    ``/tools/search_pro``, results with their relevant passages). Content: the results as
    text; artifact: ``{"results", "cost", "request_id"}``."""

    name: str = "kimi_web_search"
    description: str = (
        "Search the web. Returns titles, URLs, dates and snippets of the best results. "
        "Use it for current events and facts you do not know."
    )
    args_schema: type[BaseModel] = _SearchInput
    pro: bool = False
    """Use ``search_pro`` (relevant chunks of each page) instead of ``search``."""
    include_content: bool = False
    """``search`` only: each result's page text as well (longer tool messages)."""
    sites: list[str] | None = None
    """``search_pro`` only: up to 5 sites to search in."""

    def _call_sync(self, query: str, limit: int | None) -> SearchPage:
        tools = self._clients.sync.tools
        if self.pro:
            return tools.search_pro(query, limit=limit, sites=self.sites)
        return tools.search(query, limit=limit, include_content=self.include_content or None)

    def _run(self, query: str, limit: int | None = None, **_: Any) -> tuple[str, dict[str, Any]]:
        with _ToolErrors():
            page = self._call_sync(query, limit)
        return search_text(page), _search_artifact(page)

    async def _arun(
        self, query: str, limit: int | None = None, **_: Any
    ) -> tuple[str, dict[str, Any]]:
        with _ToolErrors():
            tools = self._clients.async_client.tools
            if self.pro:
                page = await tools.search_pro(query, limit=limit, sites=self.sites)
            else:
                include = self.include_content or None
                page = await tools.search(query, limit=limit, include_content=include)
        return search_text(page), _search_artifact(page)


class KimiWebFetchTool(_KimiWebTool):
    """A web page as Markdown through Moonshot's tools API (``POST /tools/fetch``). Content:
    the Markdown; artifact: ``{"title", "url", "cost", "request_id"}``."""

    name: str = "kimi_web_fetch"
    description: str = "Read a web page: its text as Markdown, given its http(s) URL."
    args_schema: type[BaseModel] = _FetchInput

    def _run(self, url: str, **_: Any) -> tuple[str, dict[str, Any]]:
        with _ToolErrors():
            page = self._clients.sync.tools.fetch(url)
        return fetch_text(page), _fetch_artifact(page)

    async def _arun(self, url: str, **_: Any) -> tuple[str, dict[str, Any]]:
        with _ToolErrors():
            page = await self._clients.async_client.tools.fetch(url)
        return fetch_text(page), _fetch_artifact(page)


class KimiWebToolkit(KimiToolkit):
    """The tools API's tools for any LangChain chat model or agent:

    >>> tools = KimiWebToolkit().get_tools()  # kimi_web_search, kimi_web_fetch
    >>> agent = create_agent(ChatKimi(), tools=tools)  # doctest: +SKIP

    ``tools``: which of ``"search"``, ``"search_pro"`` and ``"fetch"`` (default: search and
    fetch). The connection options are ``KimiToolkit``'s (``from_chat_model`` shares a
    ``ChatKimi``'s key and pool); nothing is asked of the server until a tool runs. A call
    lost after it was sent is not sent again unless ``retry_ambiguous=True`` (it may have
    been billed).
    """

    formulas: list[str] = Field(default_factory=list)
    """Official formulas to offer as well (``KimiToolkit``'s; none by default)."""
    tools: list[WebToolName] = Field(default_factory=lambda: list(_DEFAULT_TOOLS))
    """Which tools: ``"search"``, ``"search_pro"``, ``"fetch"``."""

    def _web_tools(self) -> list[BaseTool]:
        made: list[BaseTool] = []
        for kind in self.tools:
            tool: _KimiWebTool
            if kind == "fetch":
                tool = KimiWebFetchTool(handle_tool_error=self.handle_tool_error)
            else:
                tool = KimiWebSearchTool(
                    pro=kind == "search_pro",
                    name="kimi_web_search_pro" if kind == "search_pro" else "kimi_web_search",
                    handle_tool_error=self.handle_tool_error,
                )
            made.append(tool._bind(self._clients))
        return made

    def get_tools(self) -> list[BaseTool]:
        """The web tools, then the formulas' tools (if any)."""
        formulas = super().get_tools() if self.formulas else []
        return [*self._web_tools(), *formulas]

    async def aget_tools(self) -> list[BaseTool]:
        formulas = await super().aget_tools() if self.formulas else []
        return [*self._web_tools(), *formulas]
