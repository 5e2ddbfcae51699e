"""Moonshot's REST tools: web search, web search pro and URL fetch, as ``client.tools``.

``POST /tools/search`` (``text_query``, ``limit`` 1-20, ``timeout_seconds`` 1-60,
``include_content``), ``POST /tools/search_pro`` (the same without ``include_content``, plus
``sites`` and ``time_window``) and ``POST /tools/fetch`` (``url``) answer typed results; the
replacements Moonshot offers for the builtin ``$web_search`` it retired
(``docs/kimi-api/official-tools.md``, "Tools API"). A call is billed once when it answers 200
with a non-empty result (search: at least one result; fetch: non-blank Markdown), so each
result carries its ``cost``. Errors are the typed ones of every call (a 403 ``security_risk``
is a ``FetchRefusedError``, a 404 ``markdown_not_found`` a ``NoContentFoundError``); like
chat, a call whose answer was lost after it was sent is not sent again unless
``retry_ambiguous=True`` (it may have been billed). Argument ranges are the server's to judge.
``Tools`` and ``AsyncTools`` share building and reading; only the I/O differs.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from ..catalog.prices import Cost, tool_cost
from ..errors import InvalidParameterError, MalformedResponseError
from ..transport.responses import decode_json
from ..types import FetchResult, SearchResult
from ..wire.json import encode_json

__all__ = ["AsyncTools", "FetchPage", "SearchPage", "Tools", "fetch_text", "search_text"]

Send = Callable[..., httpx.Response]
ASend = Callable[..., Awaitable[httpx.Response]]


@dataclass
class SearchPage:
    """What a search answered: its results (possibly none) and what the call cost."""

    results: list[SearchResult]
    cost: Cost
    request_id: str | None = None

    def __iter__(self) -> Any:
        return iter(self.results)

    def __len__(self) -> int:
        return len(self.results)


@dataclass
class FetchPage:
    """A fetched page: its Markdown, title and URL, and what the call cost."""

    page: FetchResult
    cost: Cost
    request_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def markdown(self) -> str:
        return self.page.markdown or ""

    @property
    def title(self) -> str:
        return self.page.title or ""

    @property
    def url(self) -> str:
        return self.page.url or ""


def search_text(page: SearchPage) -> str:
    """Search results as the text a model reads in a tool message (the framework tools'
    content): per result its title, URL, date and site, snippet, and the page text or the
    relevant chunks where the call returned them; a line saying nothing was found when the
    list is empty."""
    if not page.results:
        return "No results found."
    blocks = []
    for number, result in enumerate(page.results, 1):
        lines = [f"{number}. {result.title or result.url or 'Untitled'}"]
        if result.url:
            lines.append(f"URL: {result.url}")
        about = ", ".join(v for v in (result.site_name, result.date) if v)
        if about:
            lines.append(about)
        if result.snippet:
            lines.append(result.snippet)
        if result.text:
            lines.append(result.text)
        for chunk in result.chunks or ():
            if chunk.text:
                lines.append(f"- {chunk.text}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def fetch_text(page: FetchPage) -> str:
    """A fetched page as the text a model reads: its Markdown (which carries the title)."""
    return page.markdown


def _text_query(text_query: str) -> str:
    if not isinstance(text_query, str) or not text_query.strip():
        raise InvalidParameterError("text_query must be a non-empty string", param="text_query")
    return text_query


def search_body(
    text_query: str,
    *,
    limit: int | None = None,
    timeout_seconds: int | None = None,
    include_content: bool | None = None,
    sites: Sequence[str] | None = None,
    time_window: dict[str, str] | None = None,
) -> bytes:
    body: dict[str, Any] = {"text_query": _text_query(text_query)}
    for name, value in (
        ("limit", limit),
        ("timeout_seconds", timeout_seconds),
        ("include_content", include_content),
        ("time_window", time_window),
    ):
        if value is not None:
            body[name] = value
    if sites is not None:
        body["sites"] = list(sites)
    return encode_json(body)


def fetch_body(url: str) -> bytes:
    if not isinstance(url, str) or not url.strip():
        raise InvalidParameterError("url must be a non-empty string", param="url")
    return encode_json({"url": url})


class _Reader:
    """Reading the tools' answers and pricing them in the platform's currency."""

    def __init__(self, currency: str) -> None:
        self.currency = currency

    def search(self, tool: str, response: httpx.Response) -> SearchPage:
        body = decode_json(response)
        items = body.get("search_results") if isinstance(body, dict) else None
        if not isinstance(items, list):
            raise MalformedResponseError(
                f"{tool} answer has no search_results array", body=str(body)[:500]
            )
        results = [SearchResult.model_validate(item) for item in items]
        return SearchPage(
            results,
            tool_cost(tool, self.currency, billed=bool(results)),
            response.headers.get("x-msh-track-id"),
        )

    def fetch(self, response: httpx.Response) -> FetchPage:
        body = decode_json(response)
        if not isinstance(body, dict):
            raise MalformedResponseError("fetch answer is not an object", body=str(body)[:500])
        page = FetchResult.model_validate(body)
        billed = bool((page.markdown or "").strip())
        return FetchPage(
            page, tool_cost("fetch", self.currency, billed), response.headers.get("x-msh-track-id")
        )


class Tools:
    """Sync REST tools, reached as ``KimiClient.tools`` (module docstring)."""

    def __init__(self, send: Send, currency: str = "USD") -> None:
        self._send = send
        self._read = _Reader(currency)

    def search(
        self,
        text_query: str,
        *,
        limit: int | None = None,
        timeout_seconds: int | None = None,
        include_content: bool | None = None,
    ) -> SearchPage:
        """``POST /tools/search``: up to ``limit`` web results (default 5); the page text
        too with ``include_content=True``."""
        body = search_body(
            text_query,
            limit=limit,
            timeout_seconds=timeout_seconds,
            include_content=include_content,
        )
        return self._read.search("search", self._send("POST", "/tools/search", content=body))

    def search_pro(
        self,
        text_query: str,
        *,
        limit: int | None = None,
        timeout_seconds: int | None = None,
        sites: Sequence[str] | None = None,
        time_window: dict[str, str] | None = None,
    ) -> SearchPage:
        """``POST /tools/search_pro``: results with their relevant ``chunks``, from up to 5
        ``sites`` and within a ``time_window`` (``{"start", "end"}``: ``YYYY[-MM[-DD]]``)."""
        body = search_body(
            text_query,
            limit=limit,
            timeout_seconds=timeout_seconds,
            sites=sites,
            time_window=time_window,
        )
        return self._read.search(
            "search_pro", self._send("POST", "/tools/search_pro", content=body)
        )

    def fetch(self, url: str) -> FetchPage:
        """``POST /tools/fetch``: the page at ``url`` (http or https) as Markdown."""
        return self._read.fetch(self._send("POST", "/tools/fetch", content=fetch_body(url)))


class AsyncTools:
    """Async REST tools, reached as ``AsyncKimiClient.tools``: ``Tools``' methods, awaited."""

    def __init__(self, send: ASend, currency: str = "USD") -> None:
        self._send = send
        self._read = _Reader(currency)

    async def search(
        self,
        text_query: str,
        *,
        limit: int | None = None,
        timeout_seconds: int | None = None,
        include_content: bool | None = None,
    ) -> SearchPage:
        body = search_body(
            text_query,
            limit=limit,
            timeout_seconds=timeout_seconds,
            include_content=include_content,
        )
        response = await self._send("POST", "/tools/search", content=body)
        return self._read.search("search", response)

    async def search_pro(
        self,
        text_query: str,
        *,
        limit: int | None = None,
        timeout_seconds: int | None = None,
        sites: Sequence[str] | None = None,
        time_window: dict[str, str] | None = None,
    ) -> SearchPage:
        body = search_body(
            text_query,
            limit=limit,
            timeout_seconds=timeout_seconds,
            sites=sites,
            time_window=time_window,
        )
        response = await self._send("POST", "/tools/search_pro", content=body)
        return self._read.search("search_pro", response)

    async def fetch(self, url: str) -> FetchPage:
        response = await self._send("POST", "/tools/fetch", content=fetch_body(url))
        return self._read.fetch(response)
