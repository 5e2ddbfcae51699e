"""Core errors re-raised as classes that are *both* the core error and LangChain's standard one.

``except kimi_core.RateLimitError`` and ``except langchain_core.exceptions.ModelRateLimitError``
both catch a Kimi 429, like langchain-openai's ``OpenAIRateLimitError`` is both
``openai.RateLimitError`` and ``ModelRateLimitError``. The translated error keeps every
attribute of the original (``status``, ``type``, ``trace_id``, ``param``, ``text``...) and is
raised *from* it, so the cause chain is kept.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from types import TracebackType

from langchain_core.exceptions import (
    ContextOverflowError,
    ModelAPIError,
    ModelAuthenticationError,
    ModelConnectionError,
    ModelError,
    ModelInvalidRequestError,
    ModelNotFoundError,
    ModelPermissionDeniedError,
    ModelRateLimitError,
    ModelTimeoutError,
)
from langchain_core.tools import ToolException

from kimi_core.integration import errors as core

__all__ = [
    "KimiAPIConnectionError",
    "KimiAPIStatusError",
    "KimiAPITimeoutError",
    "KimiAuthenticationError",
    "KimiBadRequestError",
    "KimiClientClosedRequestError",
    "KimiContentFilterError",
    "KimiContextLengthExceededError",
    "KimiFiberFailedError",
    "KimiFileTooLargeError",
    "KimiFormulaNotFoundError",
    "KimiInternalServerError",
    "KimiInvalidParameterError",
    "KimiMalformedResponseError",
    "KimiNotFoundError",
    "KimiPermissionDeniedError",
    "KimiQuotaExceededError",
    "KimiRateLimitError",
    "KimiServiceUnavailableError",
    "KimiStreamInterruptedError",
    "KimiStreamTimeoutError",
    "ToolLoopError",
    "translate_error",
    "translated_errors",
]


class KimiInvalidParameterError(core.InvalidParameterError, ModelInvalidRequestError):
    """A request Kimi would reject, caught before sending (``param`` names the field)."""


class KimiFileTooLargeError(core.FileTooLargeError, ModelInvalidRequestError):
    """A file over the Files API limit, caught before upload."""


class KimiBadRequestError(core.BadRequestError, ModelInvalidRequestError):
    """400 from Kimi."""


class KimiContentFilterError(core.ContentFilterError, ModelInvalidRequestError):
    """400 ``content_filter``."""


class KimiContextLengthExceededError(core.ContextLengthExceededError, ContextOverflowError):
    """400: input plus ``max_tokens`` is over the model's context window."""


class KimiAuthenticationError(core.AuthenticationError, ModelAuthenticationError):
    """401: missing, invalid or wrong-platform key."""


class KimiPermissionDeniedError(core.PermissionDeniedError, ModelPermissionDeniedError):
    """403."""


class KimiNotFoundError(core.NotFoundError, ModelNotFoundError):
    """404: unknown model, file or path."""


class KimiFormulaNotFoundError(core.FormulaNotFoundError, ModelNotFoundError):
    """404 from the Formula API: no formula with that URI (``uri``)."""


class KimiFiberFailedError(core.FiberFailedError, ToolException):
    """A formula ran and failed; also a ``ToolException``, so a tool with
    ``handle_tool_error`` turns it into an error tool message for the model."""


class KimiRateLimitError(core.RateLimitError, ModelRateLimitError):
    """429: too many requests or tokens (retryable)."""


class KimiQuotaExceededError(core.QuotaExceededError, ModelRateLimitError):
    """429 ``exceeded_current_quota_error``: the balance is exhausted; retrying cannot help."""

    is_retryable = False


class KimiInternalServerError(core.InternalServerError, ModelAPIError):
    """5xx."""


class KimiServiceUnavailableError(core.ServiceUnavailableError, ModelAPIError):
    """503 ``server_unavailable`` (retried)."""


class KimiClientClosedRequestError(core.ClientClosedRequestError, ModelAPIError):
    """499 ``client_closed_request``."""

    is_retryable = False


class KimiAPIStatusError(core.APIStatusError, ModelAPIError):
    """Any other non-2xx answer."""


class KimiAPITimeoutError(core.APITimeoutError, ModelTimeoutError):
    """The request timed out."""


class KimiAPIConnectionError(core.APIConnectionError, ModelConnectionError):
    """The server could not be reached."""


class KimiStreamInterruptedError(core.StreamInterruptedError, ModelConnectionError):
    """A stream broke before ``[DONE]``; ``text``/``reasoning`` hold what had arrived."""


class KimiStreamTimeoutError(core.StreamTimeoutError, ModelTimeoutError):
    """The call's ``total_timeout`` passed mid-stream; ``text``/``reasoning`` hold what had
    arrived."""


class KimiMalformedResponseError(core.MalformedResponseError, ModelAPIError):
    """A 2xx answer that is not the Kimi wire format."""

    is_retryable = False


class ToolLoopError(core.ToolLoopError, ModelAPIError):
    """The model kept calling a builtin tool (``$web_search``) past ChatKimi's round limit."""

    is_retryable = False


# Most specific first: the first ``isinstance`` match wins.
_MAPPING: tuple[tuple[type[core.KimiError], type[core.KimiError]], ...] = (
    (core.ToolLoopError, ToolLoopError),
    (core.FiberFailedError, KimiFiberFailedError),
    (core.FormulaNotFoundError, KimiFormulaNotFoundError),
    (core.FileTooLargeError, KimiFileTooLargeError),
    (core.InvalidParameterError, KimiInvalidParameterError),
    (core.ContentFilterError, KimiContentFilterError),
    (core.ContextLengthExceededError, KimiContextLengthExceededError),
    (core.BadRequestError, KimiBadRequestError),
    (core.AuthenticationError, KimiAuthenticationError),
    (core.PermissionDeniedError, KimiPermissionDeniedError),
    (core.NotFoundError, KimiNotFoundError),
    (core.QuotaExceededError, KimiQuotaExceededError),
    (core.RateLimitError, KimiRateLimitError),
    (core.ServiceUnavailableError, KimiServiceUnavailableError),
    (core.InternalServerError, KimiInternalServerError),
    (core.ClientClosedRequestError, KimiClientClosedRequestError),
    (core.APIStatusError, KimiAPIStatusError),
    (core.StreamTimeoutError, KimiStreamTimeoutError),
    (core.StreamInterruptedError, KimiStreamInterruptedError),
    (core.APITimeoutError, KimiAPITimeoutError),
    (core.APIConnectionError, KimiAPIConnectionError),
    (core.MalformedResponseError, KimiMalformedResponseError),
)


def translate_error(error: core.KimiError) -> BaseException:
    """The LangChain-aware twin of ``error`` (the error itself if it already is one, or if
    nothing maps, e.g. ``ConfigurationError``)."""
    if isinstance(error, ModelError | core.ConfigurationError):
        return error
    for source, target in _MAPPING:
        if isinstance(error, source):
            twin = target.__new__(target)
            twin.__dict__.update(error.__dict__)
            twin.args = error.args
            return twin
    return error


class _TranslatedErrors:
    """The context manager behind ``translated_errors``: a stateless class-based one (entered
    on every call, so cheaper than a ``@contextmanager`` generator; benchmarks/README.md)."""

    __slots__ = ()

    def __enter__(self) -> None:
        return None

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        # Returning None lets ``error`` (or nothing) propagate unchanged.
        if isinstance(error, core.KimiError):
            twin = translate_error(error)
            if twin is not error:
                raise twin from error


_TRANSLATED_ERRORS = _TranslatedErrors()


def translated_errors() -> AbstractContextManager[None]:
    """Re-raise core errors as their LangChain-aware twins, from the original.

    A plain ``with`` works in async code too: only the exception handling is shared.
    """
    return _TRANSLATED_ERRORS
