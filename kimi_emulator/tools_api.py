"""Moonshot's REST tools (moonshot dialect): ``POST /tools/search``, ``/tools/search_pro`` and
``/tools/fetch``, with deterministic results in the official shapes.

Shapes and errors [official: platform.kimi.com/docs/api/tools-search, tools-search-pro,
tools-fetch; Moonshot's OpenAPI ``ToolsSearchResponse`` / ``ToolsSearchProResult`` /
``ToolsFetchResponse`` as mirrored by ``tryAGI/Moonshot``]:

- search: ``{"search_results": [{authority, date, icon, mime, site_name, snippet, text,
  title, url}]}``, all nine strings; ``text`` is ``""`` unless ``include_content`` is true.
- search_pro: the same items without ``text``, each with ``chunks: [{"text", "score"}]``.
- fetch: ``{"url", "markdown", "title"}``; images as ``![imageN](url)`` placeholders.
- errors: ``{"error": {"message", "type", "code"}}`` with the tools' own types (``code``
  repeats the type: assumed); a 401 (wrong key) has no body. Every answer, errors included,
  carries ``X-Msh-Track-Id`` (the request's, else a new one) and ``X-Msh-Chat-Id:
  toolgw-<track id>``.

Checked in this order, 400 ``invalid_request`` with the official messages: a body that is not
a JSON object "invalid request body"; ``text_query`` missing or blank "text_query is
required"; ``limit`` (default 5) not an integer in 1-20 "limit must be between 1 and 20";
``timeout_seconds`` over 60 "timeout_seconds must be less than or equal to 60" (below 1:
"timeout_seconds must be greater than or equal to 1", assumed); search_pro: more than 5
``sites`` "sites must contain at most 5 entries", a site with whitespace or parentheses "site
must not contain whitespace or parentheses", a ``time_window`` bound not ``YYYY`` /
``YYYY-MM`` / ``YYYY-MM-DD`` "time_window.start is invalid, expect YYYY / YYYY-MM /
YYYY-MM-DD" (``end`` likewise), start after end (each bound taken as the first day of its
period) "time_window.start must not be after time_window.end". Fetch: a URL that is missing,
not a string or not http(s): 400 ``invalid_url`` "The provided URL is invalid: only http and
https are supported"; no host: "The provided URL is invalid: missing host".

Designated inputs (the emulator's choices, so a client's rules can be tested):

- the query ``no results`` (any case, spaces trimmed) finds nothing: 200 with
  ``{"search_results": []}`` (the call is not billed) - :data:`EMPTY_QUERY`;
- fetching a URL whose host is ``unsafe.example`` (or a subdomain), ``localhost``, or a
  private, loopback or link-local address (``10.0.0.1``, ``127.0.0.1``,
  ``169.254.169.254``...): 403 ``security_risk`` "We consider the current URL poses a
  security risk and are unable to provide fetch service at this time.";
- fetching a URL whose host is ``empty.example`` (or a subdomain): 404 ``markdown_not_found``
  "No text/markdown content found for the current URL.".

Results otherwise: ``limit`` items numbered ``i`` = 1..limit, ``D`` = the first 8 hex of
sha256(query): url ``https://<site>/<D>/<i>`` (``site``: the ``sites`` in turn, else
``example.com``), title ``Result <i> for <query>``, snippet ``Snippet <i> about <query>.``,
site_name ``<site>``, authority ``S``, date the ``time_window`` start (as its first day) else
``2026-06-01``, icon ``https://<site>/favicon.ico``, mime ``text/html``; text (search with
``include_content``) ``Full text <i> about <query>.``; chunks (search_pro) one ``{"text":
"Chunk of result <i> about <query>.", "score": round(1.0 / i, 4)}``. Fetch: title ``<path>
- <host>`` (path ``/`` when empty), markdown ``# <host><path>\\n\\nEmulated content of
<url>.\\n\\n![image1](https://<host>/image1.png)``.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
from collections.abc import Mapping
from datetime import date
from typing import Any
from urllib.parse import urlsplit

__all__ = ["EMPTY_QUERY", "ToolError", "fetch", "search", "search_pro", "tool_error_body"]

EMPTY_QUERY = "no results"
UNSAFE_HOST = "unsafe.example"
EMPTY_HOST = "empty.example"
DEFAULT_DATE = "2026-06-01"
MAX_LIMIT = 20
MAX_TIMEOUT = 60
MAX_SITES = 5
_WINDOW = re.compile(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?$")
_BAD_SITE = re.compile(r"[\s()]")
MSG_SECURITY = (
    "We consider the current URL poses a security risk and are unable to provide fetch "
    "service at this time."
)
MSG_NO_MARKDOWN = "No text/markdown content found for the current URL."
DEFAULT_TOOL_ERRORS: dict[int, tuple[str, str]] = {
    400: ("invalid_request", "invalid request body"),
    408: ("client_canceled", "client canceled the request"),
    429: ("rate_limited", "project qps limit exceeded"),
    500: ("internal_error", "internal error"),
    502: ("upstream_failed", "upstream service failed"),
    504: ("timeout", "request timeout"),
}
"""The body of a bare ``fail_next(status)`` on a tools path [official error tables]."""


class ToolError(Exception):
    """A tools-API refusal: status, the tools' own type, message."""

    def __init__(self, status: int, type_: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.type = type_
        self.message = message


def tool_error_body(type_: str, message: str) -> dict[str, Any]:
    return {"error": {"message": message, "type": type_, "code": type_}}


def _invalid(message: str) -> ToolError:
    return ToolError(400, "invalid_request", message)


def _query(body: Any) -> tuple[str, int]:
    """The checked ``text_query`` and ``limit`` (and ``timeout_seconds``) of a search body."""
    if not isinstance(body, Mapping):
        raise _invalid("invalid request body")
    query = body.get("text_query")
    if not isinstance(query, str) or not query.strip():
        raise _invalid("text_query is required")
    limit = body.get("limit", 5)
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise _invalid(f"limit must be between 1 and {MAX_LIMIT}")
    timeout = body.get("timeout_seconds")
    if timeout is not None:
        if isinstance(timeout, bool) or not isinstance(timeout, int | float):
            raise _invalid("invalid request body")
        if timeout > MAX_TIMEOUT:
            raise _invalid(f"timeout_seconds must be less than or equal to {MAX_TIMEOUT}")
        if timeout < 1:
            raise _invalid("timeout_seconds must be greater than or equal to 1")
    return query, limit


def _window_day(value: Any, name: str) -> date:
    match = _WINDOW.match(value) if isinstance(value, str) else None
    try:
        if match is None:
            raise ValueError(value)
        year, month, day = match.groups()
        return date(int(year), int(month or 1), int(day or 1))
    except ValueError:
        raise _invalid(
            f"time_window.{name} is invalid, expect YYYY / YYYY-MM / YYYY-MM-DD"
        ) from None


def _pro_options(body: Mapping[str, Any]) -> tuple[list[str], date | None]:
    sites = body.get("sites") or []
    if not isinstance(sites, list) or not all(isinstance(s, str) for s in sites):
        raise _invalid("invalid request body")
    if len(sites) > MAX_SITES:
        raise _invalid(f"sites must contain at most {MAX_SITES} entries")
    if any(_BAD_SITE.search(site) for site in sites):
        raise _invalid("site must not contain whitespace or parentheses")
    window = body.get("time_window")
    if window is None:
        return sites, None
    if not isinstance(window, Mapping):
        raise _invalid("invalid request body")
    start = _window_day(window.get("start"), "start") if "start" in window else None
    end = _window_day(window.get("end"), "end") if "end" in window else None
    if start is not None and end is not None and start > end:
        raise _invalid("time_window.start must not be after time_window.end")
    return sites, start


def _results(query: str, limit: int, sites: list[str], when: date | None) -> list[dict[str, Any]]:
    if query.strip().lower() == EMPTY_QUERY:
        return []
    digest = hashlib.sha256(query.encode("utf-8")).hexdigest()[:8]
    results = []
    for i in range(1, limit + 1):
        site = sites[(i - 1) % len(sites)] if sites else "example.com"
        results.append(
            {
                "authority": "S",
                "date": when.isoformat() if when is not None else DEFAULT_DATE,
                "icon": f"https://{site}/favicon.ico",
                "mime": "text/html",
                "site_name": site,
                "snippet": f"Snippet {i} about {query}.",
                "title": f"Result {i} for {query}",
                "url": f"https://{site}/{digest}/{i}",
            }
        )
    return results


def search(body: Any) -> dict[str, Any]:
    """``POST /tools/search`` (module docstring)."""
    query, limit = _query(body)
    content = body.get("include_content") is True
    results = _results(query, limit, [], None)
    for i, item in enumerate(results, start=1):
        item["text"] = f"Full text {i} about {query}." if content else ""
    return {"search_results": [dict(sorted(item.items())) for item in results]}


def search_pro(body: Any) -> dict[str, Any]:
    """``POST /tools/search_pro`` (module docstring)."""
    query, limit = _query(body)
    sites, start = _pro_options(body)
    results = _results(query, limit, sites, start)
    for i, item in enumerate(results, start=1):
        item["chunks"] = [
            {"text": f"Chunk of result {i} about {query}.", "score": round(1.0 / i, 4)}
        ]
    return {"search_results": results}


def _risky(host: str) -> bool:
    if host == UNSAFE_HOST or host.endswith("." + UNSAFE_HOST) or host == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_private or address.is_loopback or address.is_link_local


def fetch(body: Any) -> dict[str, Any]:
    """``POST /tools/fetch`` (module docstring)."""
    if not isinstance(body, Mapping):
        raise _invalid("invalid request body")
    url = body.get("url")
    parts = urlsplit(url) if isinstance(url, str) else None
    if parts is None or parts.scheme not in ("http", "https"):
        raise ToolError(
            400, "invalid_url", "The provided URL is invalid: only http and https are supported"
        )
    host = (parts.hostname or "").lower()
    if not host:
        raise ToolError(400, "invalid_url", "The provided URL is invalid: missing host")
    if _risky(host):
        raise ToolError(403, "security_risk", MSG_SECURITY)
    if host == EMPTY_HOST or host.endswith("." + EMPTY_HOST):
        raise ToolError(404, "markdown_not_found", MSG_NO_MARKDOWN)
    path = parts.path or "/"
    return {
        "url": url,
        "markdown": (
            f"# {host}{path}\n\nEmulated content of {url}.\n\n![image1](https://{host}/image1.png)"
        ),
        "title": f"{path} - {host}",
    }
