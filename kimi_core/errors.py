"""One typed error hierarchy for everything that can go wrong talking to Kimi.

Callers catch ``KimiError`` for anything from this package, ``APIStatusError`` for an HTTP
answer, or a precise subclass. Messages never contain the API key or request headers.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "BatchError",
    "BatchFailedError",
    "BatchLineError",
    "BatchLinesFailedError",
    "BatchSubmitError",
    "BatchTimeoutError",
    "ClientClosedRequestError",
    "ConfigurationError",
    "ContentFilterError",
    "ContextLengthExceededError",
    "FiberFailedError",
    "FileTooLargeError",
    "FormulaNotFoundError",
    "InternalServerError",
    "InvalidParameterError",
    "KimiError",
    "MalformedResponseError",
    "NotFoundError",
    "PermissionDeniedError",
    "QuotaExceededError",
    "RateLimitError",
    "ServiceUnavailableError",
    "StreamInterruptedError",
    "StreamTimeoutError",
    "ToolLoopError",
    "error_from_body",
    "error_from_response",
    "request_id",
    "scrub",
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


def request_id(headers: Mapping[str, str]) -> str | None:
    """The request id of an answer, from whichever header carries it (``httpx.Headers`` or a
    plain dict with lower-case names)."""
    for name in REQUEST_ID_HEADERS:
        value = headers.get(name)
        if value:
            return value
    return None


class KimiError(Exception):
    """Base class of every error raised by ``kimi_core`` and the adapters."""


class InvalidParameterError(KimiError, ValueError):
    """A request that Kimi would reject, caught before it is sent.

    ``param`` names the offending field so callers and users see exactly what to change.
    """

    def __init__(self, message: str, *, param: str | None = None) -> None:
        super().__init__(message)
        self.param = param


class ConfigurationError(InvalidParameterError):
    """A client, model or loader was configured wrongly (no key, a bad base URL, negative
    retries...); raised once, at construction, by ``kimi_core.options``. ``param`` names the
    option."""


class FileTooLargeError(InvalidParameterError):
    """A file over the Files API limit (100 MB); raised before upload."""


class APIError(KimiError):
    """Something went wrong talking to the API (an HTTP error, a broken connection...).

    ``text`` / ``reasoning``: what a stream had delivered before it failed (an error event
    after partial text, a cut, a deadline), so nothing received is lost; empty otherwise.
    """

    text: str = ""
    reasoning: str = ""

    def __init__(self, message: str, *, request_id: str | None = None, attempts: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.request_id = request_id
        self.attempts = attempts

    def __str__(self) -> str:
        text = self.message
        if self.request_id:
            text += f" (request id: {self.request_id})"
        if self.attempts > 1:
            text += f" [after {self.attempts} attempts]"
        return text


class APIConnectionError(APIError):
    """The server could not be reached, or the connection broke before an answer.

    ``request_sent``: whether the request may have reached the server (the connection broke
    after it was written: a read timeout, a reset, a close without an answer). Such a chat
    request may have been answered, and billed, so it is retried only on request
    (``retry_ambiguous``, ``kimi_core.retry``).
    """

    def __init__(
        self,
        message: str,
        *,
        request_id: str | None = None,
        attempts: int = 1,
        request_sent: bool = True,
    ) -> None:
        super().__init__(message, request_id=request_id, attempts=attempts)
        self.request_sent = request_sent


class APITimeoutError(APIConnectionError):
    """The request timed out (connect, read, write or pool)."""


class MalformedResponseError(APIError):
    """The server answered 2xx with a body that is not the Kimi wire format."""

    def __init__(self, message: str, *, body: str = "", request_id: str | None = None) -> None:
        super().__init__(message, request_id=request_id)
        self.body = body


class StreamInterruptedError(APIError):
    """A stream ended before ``[DONE]`` and before any ``finish_reason``.

    ``text`` and ``reasoning`` carry what had arrived, so nothing is silently lost.
    """

    def __init__(
        self,
        message: str,
        *,
        text: str = "",
        reasoning: str = "",
        events: int = 0,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message, request_id=request_id)
        self.text = text
        self.reasoning = reasoning
        self.events = events


class FiberFailedError(APIError):
    """A formula ran and reported a failure (a fiber whose ``status`` is not
    ``succeeded``, docs/kimi-api/official-tools.md §4): the request was served, and may be
    billed, so it is never retried. ``fiber_id``, ``status``, ``uri`` (the formula),
    ``name`` (the tool) and ``error`` (the server's text) describe it; ``body`` is the fiber
    as sent."""

    def __init__(
        self,
        message: str,
        *,
        fiber_id: str | None,
        status: str,
        uri: str,
        name: str,
        error: str,
        body: Any = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message, request_id=request_id)
        self.fiber_id = fiber_id
        self.status = status
        self.uri = uri
        self.name = name
        self.error = error
        self.body = body


class ToolLoopError(APIError):
    """The model kept calling a builtin tool (``$web_search``) past the round limit the
    client allows (``max_builtin_tool_rounds``); nothing more is sent."""


class StreamTimeoutError(StreamInterruptedError):
    """The call's ``total_timeout`` passed while the answer was still streaming; ``text`` and
    ``reasoning`` carry what had arrived."""


class APIStatusError(APIError):
    """The API answered with a non-2xx status.

    ``type`` is Moonshot's ``error.type``; ``code`` is a gateway's ``error.code`` (AceData);
    ``trace_id`` is the ``Msh-Request-Id`` header or the body's ``trace_id``.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int,
        type: str | None = None,
        code: str | None = None,
        trace_id: str | None = None,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        attempts: int = 1,
    ) -> None:
        super().__init__(message, request_id=trace_id, attempts=attempts)
        self.status = status
        self.type = type
        self.code = code
        self.trace_id = trace_id
        self.body = body
        self.headers: dict[str, str] = dict(headers or {})

    @property
    def status_code(self) -> int:
        """Alias used by openai-style callers."""
        return self.status

    def __str__(self) -> str:
        kind = self.type or self.code
        text = f"{self.status}"
        if kind:
            text += f" {kind}"
        text += f": {self.message}"
        if self.trace_id:
            text += f" (trace id: {self.trace_id})"
        if self.attempts > 1:
            text += f" [after {self.attempts} attempts]"
        return text


class BadRequestError(APIStatusError):
    """400: the request was invalid."""


class ContentFilterError(BadRequestError):
    """400 ``content_filter``: input or output was blocked by the content filter."""


class ContextLengthExceededError(BadRequestError):
    """400: input plus ``max_tokens`` exceeds the model's context window."""


class AuthenticationError(APIStatusError):
    """401: missing, invalid or wrong-platform API key."""


class PermissionDeniedError(APIStatusError):
    """403: the key may not use this resource."""


class NotFoundError(APIStatusError):
    """404: unknown model, file or path."""


class FormulaNotFoundError(NotFoundError):
    """404 from the Formula API: no formula with this URI for this key (a typo, a renamed
    formula, one not served on this platform, or an endpoint that serves no formulas at all,
    such as a gateway). ``uri`` is the formula asked for."""

    uri: str = ""


class RateLimitError(APIStatusError):
    """429: too many requests or tokens; retried with backoff."""

    @property
    def retry_after(self) -> str | None:
        return self.headers.get("retry-after")


class QuotaExceededError(RateLimitError):
    """``exceeded_current_quota_error`` (429, or 403 as once captured): the account balance is
    exhausted; never retried."""


class InternalServerError(APIStatusError):
    """5xx: the server failed; retried with backoff."""


class ServiceUnavailableError(InternalServerError):
    """503 ``server_unavailable``: the service is temporarily unavailable; retried."""


class ClientClosedRequestError(APIStatusError):
    """499 ``client_closed_request``: the server saw the request as given up; not retried."""


class BatchError(APIError):
    """A batch job did not run as asked, as a whole (``kimi_core.batch_job``). ``job_id``
    names the job's batches (``KimiBatchJob.resume`` takes it), ``""`` when none exists."""

    def __init__(self, message: str, *, job_id: str = "", request_id: str | None = None) -> None:
        super().__init__(message, request_id=request_id)
        self.job_id = job_id


class BatchFailedError(BatchError):
    """A batch ended ``failed``: Moonshot refused its input file while validating it, so none
    of its lines ran. ``errors``: the server's details (``code``, ``message``, ``param``,
    ``line``) where it gave any."""

    def __init__(
        self, message: str, *, job_id: str = "", errors: list[dict[str, Any]] | None = None
    ) -> None:
        super().__init__(message, job_id=job_id)
        self.errors: list[dict[str, Any]] = list(errors or [])


class BatchTimeoutError(BatchError, TimeoutError):
    """``wait(timeout=...)`` ran out before the job ended. The job keeps running on the server:
    resume it later with ``job_id`` instead of submitting it again (which would bill twice)."""


class BatchSubmitError(BatchError):
    """Submitting a job split over several files failed after some of its batches were
    created: ``job_id`` names those (resume or cancel them); the cause is chained."""


class BatchLineError(APIError):
    """One line of a batch job that has no answer, in its place among the results.

    ``index``: its position in the inputs; ``custom_id``: its id in the batch file;
    ``code``: the error type or code (``invalid_request_error``, ``batch_expired``,
    ``batch_cancelled``, ``batch_failed``, ``missing``...); ``status``: the HTTP status of
    the line's answer, when it had one; ``error``: that answer as the typed error a chat call
    would have raised (``BadRequestError``, ``ContentFilterError``...), or None.
    """

    def __init__(
        self,
        message: str,
        *,
        index: int = -1,
        custom_id: str = "",
        code: str | None = None,
        status: int | None = None,
        error: APIStatusError | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message, request_id=request_id)
        self.index = index
        self.custom_id = custom_id
        self.code = code
        self.status = status
        self.error = error

    def __str__(self) -> str:
        return f"line {self.index} ({self.custom_id}): {super().__str__()}"


class BatchLinesFailedError(KimiError):
    """Some lines of a batch job failed (raised unless ``return_exceptions=True``).

    ``results``: every line in input order, each answer or its ``BatchLineError``;
    ``errors``: the failed lines by index; ``failed_indices``: their indices, ascending.
    """

    def __init__(self, errors: Mapping[int, BatchLineError], results: list[Any]) -> None:
        self.errors: dict[int, BatchLineError] = dict(sorted(errors.items()))
        self.results = results
        shown = ", ".join(str(i) for i in list(self.errors)[:10])
        more = ", ..." if len(self.errors) > 10 else ""
        first = next(iter(self.errors.values()), None)
        super().__init__(
            f"{len(self.errors)} of {len(results)} batch lines failed (indices {shown}{more})"
            + (f"; first: {first}" if first is not None else "")
        )

    @property
    def failed_indices(self) -> list[int]:
        return list(self.errors)

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.errors, self.results))


_CONTEXT_MARKERS = ("token length too long", "context length", "exceeded model token limit")


def _status_class(status: int, kind: str, message: str) -> type[APIStatusError]:
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
        return PermissionDeniedError
    if status == 404:
        return NotFoundError
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

    Accepts Moonshot ``{"error": {"message", "type"}}``, AceData ``{"success": false,
    "error": {"code", "message"}, "trace_id"}``, a bare ``{"message"}``/``{"detail"}``, and
    anything else (an HTML page from a proxy), whose text is kept as the body.
    """
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    try:
        body: Any = json.loads(text) if text.strip() else None
    except ValueError:
        body = None
    if not isinstance(body, dict):
        snippet = " ".join(text.split())[:300]
        return (snippet or None), None, None, None, (text or None)
    error = body.get("error")
    message: Any = None
    kind: Any = None
    code: Any = None
    if isinstance(error, dict):
        message, kind, code = error.get("message"), error.get("type"), error.get("code")
    elif isinstance(error, str):
        message = error
    if message is None:
        message = body.get("message") or body.get("detail")
    trace_id = body.get("trace_id") or body.get("request_id")
    return (
        _str_or_none(message),
        _str_or_none(kind),
        _str_or_none(code),
        _str_or_none(trace_id),
        body,
    )


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
