"""``KimiWebToolSpec``: Moonshot's REST tools API (web search, web search pro, URL fetch) as
LlamaIndex ``FunctionTool``s, for any LLM and agent.

The tools call ``client.tools.search`` / ``search_pro`` / ``fetch`` of ``kimi_core`` (sync and
async): the replacements of the builtin ``$web_search`` Moonshot retired on 2026-10-20. Each
returns the text a model reads (``kimi_core``'s text of the answer); the typed results and
the call's cost are in the ``ToolOutput``'s ``raw_output`` (a ``WebToolResult``). A refusal (403
``security_risk``, 404 ``markdown_not_found``, a 400) raises the core's typed error, which
LlamaIndex's agents (``FunctionAgent``, ``ReActAgent``) hand to the model as the tool's error
output, as they do for ``KimiToolSpec``'s failed fibers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

from llama_index.core.tools.function_tool import FunctionTool
from llama_index.core.tools.tool_spec.base import SPEC_FUNCTION_TYPE
from llama_index.core.tools.types import ToolMetadata
from pydantic import BaseModel, Field, SecretStr
from typing_extensions import Unpack

from kimi_core.integration import ConnectionSettings, fetch_text, search_text

from .tools import KimiToolSpec

if TYPE_CHECKING:
    from kimi_core.integration import FetchPage, SearchPage

    from .base import Kimi

__all__ = ["KimiWebToolSpec", "WebToolResult"]

WebToolName = Literal["search", "search_pro", "fetch"]
_NAMES: dict[str, str] = {
    "search": "kimi_web_search",
    "search_pro": "kimi_web_search_pro",
    "fetch": "kimi_web_fetch",
}
_DESCRIPTIONS = {
    "search": (
        "Search the web. Returns titles, URLs, dates and snippets of the best results. Use "
        "it for current events and facts you do not know."
    ),
    "search_pro": (
        "Search the web. Returns titles, URLs, dates and the most relevant passages of the "
        "best results."
    ),
    "fetch": "Read a web page: its text as Markdown, given its http(s) URL.",
}


class _SearchInput(BaseModel):
    query: str = Field(description="What to search the web for.")
    limit: int | None = Field(default=None, description="How many results (1-20; default 5).")


class _FetchInput(BaseModel):
    url: str = Field(description="The http(s) URL of the page to read.")


class WebToolResult(dict):  # type: ignore[type-arg]
    """What a web tool returns: a dict of the typed results (``results`` or ``title`` /
    ``url``), the call's ``cost`` and ``request_id``, whose ``str()`` is the text the model
    reads (``FunctionTool`` makes that the ``ToolOutput``'s content and keeps this dict as
    its ``raw_output``)."""

    def __init__(self, text: str, **data: Any) -> None:
        super().__init__(data)
        self.text = text

    def __str__(self) -> str:
        return self.text


def _search_result(page: SearchPage) -> WebToolResult:
    return WebToolResult(
        search_text(page),
        results=[result.model_dump(exclude_none=True) for result in page.results],
        cost=page.cost.as_dict(),
        request_id=page.request_id,
    )


def _fetch_result(page: FetchPage) -> WebToolResult:
    return WebToolResult(
        fetch_text(page),
        title=page.title,
        url=page.url,
        cost=page.cost.as_dict(),
        request_id=page.request_id,
    )


class KimiWebToolSpec(KimiToolSpec):
    """The tools API's tools as a LlamaIndex tool spec:

    >>> spec = KimiWebToolSpec()  # kimi_web_search, kimi_web_fetch; key from MOONSHOT_API_KEY
    >>> agent = FunctionAgent(tools=spec.to_tool_list(), llm=Kimi())  # doctest: +SKIP

    ``tools``: which of ``"search"``, ``"search_pro"`` and ``"fetch"`` (default: search and
    fetch); ``formulas``: official formulas to offer as well (``KimiToolSpec``'s). The
    connection settings are ``Kimi``'s; ``from_llm`` shares a ``Kimi``'s key and pool.
    Nothing is asked of the server until a tool runs; a call lost after it was sent is not
    sent again unless ``retry_ambiguous=True`` (it may have been billed).
    """

    tools: tuple[WebToolName, ...] = ("search", "fetch")

    def __init__(
        self,
        api_key: str | SecretStr | None = None,
        base_url: str | None = None,
        *,
        tools: Sequence[WebToolName] = ("search", "fetch"),
        formulas: Sequence[str] = (),
        **settings: Unpack[ConnectionSettings],
    ) -> None:
        super().__init__(formulas, api_key, base_url, **settings)
        self.tools = tuple(tools)

    @classmethod
    def from_llm(
        cls,
        llm: Kimi,
        formulas: Sequence[str] = (),
        *,
        tools: Sequence[WebToolName] = ("search", "fetch"),
    ) -> KimiWebToolSpec:
        """The spec for ``llm``'s account, sharing its key, settings and connection pool."""
        spec = super().from_llm(llm, formulas)
        assert isinstance(spec, KimiWebToolSpec)
        spec.tools = tuple(tools)
        return spec

    def __repr__(self) -> str:
        base_url = self._clients.options.base_url
        return f"KimiWebToolSpec(tools={list(self.tools)!r}, base_url={base_url!r})"

    @property
    def spec_functions(self) -> list[SPEC_FUNCTION_TYPE]:  # type: ignore[override]
        """The web tools' names, then the formulas' (fetched on first use)."""
        formulas = super().spec_functions if self.formulas else []
        return [*(_NAMES[kind] for kind in self.tools), *formulas]

    def _web(self, wanted: list[SPEC_FUNCTION_TYPE] | None) -> list[FunctionTool]:
        names = None if wanted is None else {w if isinstance(w, str) else w[0] for w in wanted}
        return [
            self._web_tool(kind) for kind in self.tools if names is None or _NAMES[kind] in names
        ]

    def _web_tool(self, kind: WebToolName) -> FunctionTool:
        name = _NAMES[kind]
        schema = _FetchInput if kind == "fetch" else _SearchInput
        metadata = ToolMetadata(description=_DESCRIPTIONS[kind], name=name, fn_schema=schema)
        if kind == "fetch":
            return FunctionTool(fn=self._fetch, async_fn=self._afetch, metadata=metadata)
        if kind == "search_pro":
            return FunctionTool(fn=self._search_pro, async_fn=self._asearch_pro, metadata=metadata)
        return FunctionTool(fn=self._search, async_fn=self._asearch, metadata=metadata)

    def to_tool_list(
        self,
        spec_functions: list[SPEC_FUNCTION_TYPE] | None = None,
        func_to_metadata_mapping: dict[str, ToolMetadata] | None = None,
    ) -> list[FunctionTool]:
        """The web tools (those named in ``spec_functions`` when given), then the formulas'."""
        formulas = (
            super().to_tool_list(spec_functions, func_to_metadata_mapping) if self.formulas else []
        )
        return [*self._web(spec_functions), *formulas]

    async def to_tool_list_async(
        self,
        spec_functions: list[SPEC_FUNCTION_TYPE] | None = None,
        func_to_metadata_mapping: dict[str, ToolMetadata] | None = None,
    ) -> list[FunctionTool]:
        """``to_tool_list`` with the async client."""
        formulas = (
            await super().to_tool_list_async(spec_functions, func_to_metadata_mapping)
            if self.formulas
            else []
        )
        return [*self._web(spec_functions), *formulas]

    # -- the calls ---------------------------------------------------------------------------
    def _search(self, query: str, limit: int | None = None) -> WebToolResult:
        return _search_result(self._clients.sync.tools.search(query, limit=limit))

    async def _asearch(self, query: str, limit: int | None = None) -> WebToolResult:
        return _search_result(await self._clients.async_client.tools.search(query, limit=limit))

    def _search_pro(self, query: str, limit: int | None = None) -> WebToolResult:
        return _search_result(self._clients.sync.tools.search_pro(query, limit=limit))

    async def _asearch_pro(self, query: str, limit: int | None = None) -> WebToolResult:
        tools = self._clients.async_client.tools
        return _search_result(await tools.search_pro(query, limit=limit))

    def _fetch(self, url: str) -> WebToolResult:
        return _fetch_result(self._clients.sync.tools.fetch(url))

    async def _afetch(self, url: str) -> WebToolResult:
        return _fetch_result(await self._clients.async_client.tools.fetch(url))

    # -- pickles -----------------------------------------------------------------------------
    def __getstate__(self) -> dict[str, Any]:
        return {**super().__getstate__(), "tools": self.tools}

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        self.tools = tuple(state.get("tools", ("search", "fetch")))
