"""Error answers as plain data: any server's error body to the typed error, keys scrubbed.

One reader for every error a server can send: a non-2xx answer (``error_from_response``), an
error body that came with a 2xx status or inside a stream (``error_from_body``), the request
id from whichever header carries it (``request_id``), and ``scrub`` / ``scrub_error``, which
take the API key out of anything a server or proxy echoed back: ``scrub_error`` is the one
place every error built from what a server sent is scrubbed (an HTTP error, an error event
mid-stream, a failed fiber, a malformed answer, a batch line), whatever its class. Bodies
read (``parse_error_body``): Moonshot's ``{"error": {"message", "type"}}``, AceData's
``{"success": false, "error": {"code", "message"}, "trace_id"}``, a bare ``{"message"}`` /
``{"detail"}``, and anything else (an HTML page from a proxy), kept as text.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from ..errors import (
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    ClientClosedRequestError,
    ContentFilterError,
    ContextLengthExceededError,
    FetchRefusedError,
    InternalServerError,
    NoContentFoundError,
    NotFoundError,
    PermissionDeniedError,
    QuotaExceededError,
    RateLimitError,
    ServiceUnavailableError,
)
from .json import loads as json_loads

__all__ = [
    "REQUEST_ID_HEADERS",
    "error_from_body",
    "error_from_response",
    "parse_error_body",
    "request_id",
    "scrub",
    "scrub_error",
]

# Where Moonshot names a request: ``Msh-Request-Id``, or ``x-trace-id`` (Moonshot's own client
# reads it, docs/kimi-api/models.md §10); proxies use ``x-request-id``.
REQUEST_ID_HEADERS = ("msh-request-id", "x-trace-id", "x-request-id")


def scrub(value: Any, secret: str) -> Any:
    """``value`` (a string, or a JSON body) with every occurrence of ``secret`` replaced by
    ``***``: a server or proxy that echoes the key in its error must not put it in ours."""
    if not secret:
        return value
    if isinstance(value, str):
        return value.replace(secret, "***")
    if isinstance(value, dict):
        return {key: scrub(item, secret) for key, item in value.items()}
    if isinstance(value, list):
        return [scrub(item, secret) for item in value]
    return value


_E = TypeVar("_E", bound=BaseException)


def scrub_error(error: _E, secret: str) -> _E:
    """``error`` itself, with ``secret`` replaced by ``***`` in its arguments (its message)
    and in every text or JSON attribute it carries (``message``, ``body``, ``error``,
    ``text``, ``headers``...): what ``str``, ``repr``, a pickle or a tool message built from
    it would show. The one place errors from a server's words are scrubbed."""
    if not secret:
        return error
    error.args = tuple(scrub(arg, secret) for arg in error.args)
    attributes = getattr(error, "__dict__", {})
    for name, value in list(attributes.items()):
        if isinstance(value, str | dict | list):
            attributes[name] = scrub(value, secret)
    return error


def request_id(headers: Mapping[str, str]) -> str | None:
    """The request id of an answer, from whichever header carries it (``httpx.Headers`` or a
    plain dict with lower-case names)."""
    for name in REQUEST_ID_HEADERS:
        value = headers.get(name)
        if value:
            return value
    return None


_CONTEXT_MARKERS = ("token length too long", "context length", "exceeded model token limit")


def _status_class(status: int, kind: str, message: str) -> type[APIStatusError]:
    if status == 402 or kind == "4006":
        # Out of credits (OpenRouter and other hosts' 402); Cloudflare's daily free
        # allocation used up (code 4006): never retried (docs/kimi-api/hosts.md).
        return QuotaExceededError
    if kind == "exceeded_current_quota_error" and status in (403, 429):
        # Balance exhausted: 429 in Moonshot's errors table, 403 in a 2025 capture
        # (docs/kimi-api/errors-and-limits.md); never retried either way.
        return QuotaExceededError
    if status == 400:
        if kind == "content_filter":
            return ContentFilterError
        lowered = message.lower()
        if any(marker in lowered for marker in _CONTEXT_MARKERS):
            return ContextLengthExceededError
        return BadRequestError
    if status == 401:
        return AuthenticationError
    if status == 403:
        return FetchRefusedError if kind == "security_risk" else PermissionDeniedError
    if status == 404:
        return NoContentFoundError if kind == "markdown_not_found" else NotFoundError
    if status == 429:
        return RateLimitError
    if status == 499:
        return ClientClosedRequestError
    if status == 503:
        return ServiceUnavailableError
    if status >= 500:
        return InternalServerError
    return APIStatusError


def parse_error_body(
    raw: bytes | str,
) -> tuple[str | None, str | None, str | None, str | None, Any]:
    """Read ``(message, type, code, trace_id, body)`` from any error body.

    Accepts Moonshot's and OpenAI's ``{"error": {"message", "type", "code"}}``; AceData's
    ``{"success": false, "error": {"code", "message"}, "trace_id"}``; OpenRouter's, whose
    ``error.metadata.raw`` holds the upstream provider's own body (a string) and
    ``metadata.provider_name`` its name (both go into the message); Cloudflare's
    ``{"errors": [{"message", "code"}]}``; FastAPI's ``{"detail": "..." | [{"loc", "msg"}]}``;
    a flat ``{"message", "type", "code"}`` (SGLang, SiliconFlow); Google's list
    ``[{"error": {...}}]``; and anything else (an HTML page from a proxy), whose text is kept
    as the body (``docs/kimi-api/hosts.md``, "Errors").
    """
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    try:
        body: Any = json_loads(text) if text.strip() else None
    except ValueError:
        body = None
    if isinstance(body, list) and body and isinstance(body[0], dict):
        body = body[0]  # Google's list of one error object
    if not isinstance(body, dict):
        snippet = " ".join(text.split())[:300]
        return (snippet or None), None, None, None, (text or None)
    message, kind, code = _read_error(body)
    trace_id = body.get("trace_id") or body.get("request_id")
    return (
        _str_or_none(message),
        _str_or_none(kind),
        _str_or_none(code),
        _str_or_none(trace_id),
        body,
    )


def _read_error(body: dict[str, Any]) -> tuple[Any, Any, Any]:
    """``(message, type, code)`` of an error object, whichever host's shape it has."""
    error = body.get("error")
    message: Any = None
    kind: Any = None
    code: Any = None
    if isinstance(error, dict):
        message, kind, code = error.get("message"), error.get("type"), error.get("code")
        metadata = error.get("metadata")
        if isinstance(metadata, dict):
            message = _with_upstream(message, metadata)
    elif isinstance(error, str):
        message = error
    errors = body.get("errors")
    if message is None and isinstance(errors, list) and errors and isinstance(errors[0], dict):
        message, code = errors[0].get("message"), errors[0].get("code")  # Cloudflare
    if message is None:
        message = body.get("message") or _detail(body.get("detail"))
        kind = kind or body.get("type")
        code = code if code is not None else body.get("code")
    return message, kind, code


def _with_upstream(message: Any, metadata: dict[str, Any]) -> Any:
    """OpenRouter's error with what the upstream provider said: ``metadata.raw`` (its body,
    as a string: JSON or text) and ``metadata.provider_name``; moderation ``reasons``."""
    raw = metadata.get("raw")
    provider = metadata.get("provider_name")
    upstream: Any = None
    if isinstance(raw, str) and raw.strip():
        try:
            inner = json_loads(raw)
        except ValueError:
            upstream = raw.strip()[:500]
        else:
            if isinstance(inner, dict):
                upstream = _read_error(inner)[0]
            upstream = upstream or raw.strip()[:500]
    elif isinstance(raw, dict):
        upstream = _read_error(raw)[0]
    reasons = metadata.get("reasons")
    if upstream:
        message = f"{message}: {upstream}" if message else upstream
    if isinstance(reasons, list) and reasons:
        message = f"{message} ({', '.join(str(r) for r in reasons)})"
    if provider:
        message = f"{message} (provider: {provider})"
    return message


def _detail(detail: Any) -> Any:
    """FastAPI's ``detail``: a string, or a list of ``{"loc", "msg"}`` validation errors."""
    if isinstance(detail, list):
        parts = []
        for item in detail:
            if isinstance(item, dict):
                loc = ".".join(str(p) for p in item.get("loc") or ())
                parts.append(f"{loc}: {item.get('msg')}" if loc else str(item.get("msg")))
            else:
                parts.append(str(item))
        return "; ".join(parts) or None
    return detail


def _str_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


def error_from_response(
    status: int, headers: Mapping[str, str], raw: bytes | str, *, attempts: int = 1
) -> APIStatusError:
    """Build the typed error for a non-2xx answer from its status, headers and body."""
    message, kind, code, body_trace, body = parse_error_body(raw)
    # Header names are case-insensitive; a plain dict (not httpx.Headers) may use any case.
    lowered = {k.lower(): v for k, v in headers.items()}
    trace_id = request_id(lowered) or body_trace
    marker = kind or code or ""
    text = message or f"HTTP {status} with an empty body"
    cls = _status_class(status, marker, text)
    kept_headers = {
        k: v
        for k, v in lowered.items()
        if k in ("retry-after", "content-type", *REQUEST_ID_HEADERS) or k.startswith("x-ratelimit")
    }
    return cls(
        text,
        status=status,
        type=kind,
        code=code,
        trace_id=trace_id,
        body=body,
        headers=kept_headers,
        attempts=attempts,
    )


# The HTTP status each documented error kind comes with, for error bodies that arrive with a
# 2xx status or inside a stream: AceData's codes (docs/kimi-api/gateways.md: 400 token_mismatched,
# 400 api_not_implemented, 401 invalid_token, 429 too_many_requests, 500 api_error) and
# Moonshot's types (docs/kimi-api/errors-and-limits.md).
_STATUS_BY_KIND = {
    "token_mismatched": 400,
    "api_not_implemented": 400,
    "invalid_token": 401,
    "too_many_requests": 429,
    "api_error": 500,
    "invalid_request_error": 400,
    "content_filter": 400,
    "invalid_authentication_error": 401,
    "incorrect_api_key_error": 401,
    "permission_denied_error": 403,
    "resource_not_found_error": 404,
    "rate_limit_reached_error": 429,
    "engine_overloaded_error": 429,
    "exceeded_current_quota_error": 429,
    "server_error": 500,
    "unexpected_output": 500,
    "server_unavailable": 503,
    "client_closed_request": 499,
}


def _as_status(value: Any) -> int | None:
    try:
        status = int(value)
    except (TypeError, ValueError):
        return None
    return status if 400 <= status <= 599 else None


def error_from_body(
    headers: Mapping[str, str], raw: bytes | str, *, attempts: int = 1
) -> APIStatusError:
    """The typed error for an error body that came with a 2xx status or as a stream event.

    AceData answers 200 with ``{"success": false, ...}``; the same body must give the same
    error class on the plain and the streaming path. The status is the body's own
    ``error.status``/``error.http_code``, else the one its kind is documented with, else 500.
    """
    _, kind, code, _, body = parse_error_body(raw)
    error = body.get("error") if isinstance(body, dict) else None
    status = (
        _as_status(error.get("status") or error.get("http_code"))
        if isinstance(error, dict)
        else None
    )
    if status is None:
        status = _STATUS_BY_KIND.get(kind or code or "", 500)
    return error_from_response(status, headers, raw, attempts=attempts)
