"""One typed error hierarchy for everything that can go wrong talking to Kimi.

Callers catch ``KimiError`` for anything from this package, ``APIStatusError`` for an HTTP
answer, or a precise subclass. Messages never contain the API key or request headers.
"""

from __future__ import annotations

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
    "FetchRefusedError",
    "FiberFailedError",
    "FileTooLargeError",
    "FormulaNotFoundError",
    "InternalServerError",
    "InvalidParameterError",
    "KimiError",
    "MalformedResponseError",
    "NoContentFoundError",
    "NotFoundError",
    "PermissionDeniedError",
    "QuotaExceededError",
    "RateLimitError",
    "RateLimiterUnavailableError",
    "ServiceUnavailableError",
    "StreamInterruptedError",
    "StreamTimeoutError",
    "ToolLoopError",
]


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


class RateLimiterUnavailableError(KimiError):
    """The shared rate limiter could not be asked: its Redis refused the connection or did
    not answer within ``redis_timeout`` (``kimi_core.limits.redis_limiter``). Nothing was
    sent: the limiter fails closed by default; ``RedisRateLimiter(fail_open=True)`` lets
    calls through, unlimited, while Redis is away."""


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
    (``retry_ambiguous``, ``kimi_core.transport.retry``).
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
    """A stream ended before ``[DONE]`` and before any ``finish_reason``, or a host reported
    an error in the middle of it.

    ``text`` and ``reasoning`` carry what had arrived, so nothing is silently lost;
    ``error_type`` / ``error_code``: the host's, for a mid-stream error.
    """

    error_type: str | None = None
    error_code: str | None = None

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


class FetchRefusedError(PermissionDeniedError):
    """``POST /tools/fetch`` would not fetch a URL it considers a security risk (403
    ``security_risk``): final, not retried."""


class NoContentFoundError(NotFoundError):
    """``POST /tools/fetch`` found no text or Markdown at the URL (404
    ``markdown_not_found``): final, not retried; nothing was billed."""


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
    """A batch job did not run as asked, as a whole (``kimi_core.batch.job``). ``job_id``
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
