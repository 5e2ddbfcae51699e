"""Core errors become classes that are both the core error and LangChain's standard one."""

from __future__ import annotations

import httpx
import pytest
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
from lc_support import API_KEY, json_response, mock_llm

from kimi_core import errors as core
from langchain_kimi import _errors

STATUS_ERROR_CASES = [
    (core.BadRequestError, ModelInvalidRequestError),
    (core.ContentFilterError, ModelInvalidRequestError),
    (core.ContextLengthExceededError, ContextOverflowError),
    (core.AuthenticationError, ModelAuthenticationError),
    (core.PermissionDeniedError, ModelPermissionDeniedError),
    (core.NotFoundError, ModelNotFoundError),
    (core.RateLimitError, ModelRateLimitError),
    (core.QuotaExceededError, ModelRateLimitError),
    (core.InternalServerError, ModelAPIError),
    (core.APIStatusError, ModelAPIError),
]


@pytest.mark.parametrize(("core_class", "lc_class"), STATUS_ERROR_CASES)
def test_status_errors_keep_every_attribute(
    core_class: type[core.APIStatusError], lc_class: type[ModelError]
) -> None:
    original = core_class(
        "boom",
        status=418,
        type="some_type",
        code="some_code",
        trace_id="trace-1",
        body={"error": {"message": "boom"}},
        headers={"retry-after": "3"},
        attempts=2,
    )
    twin = _errors.translate_error(original)
    assert type(twin) is not core_class
    assert isinstance(twin, core_class)
    assert isinstance(twin, lc_class)
    assert isinstance(twin, core.APIStatusError)
    assert (twin.status, twin.type, twin.code, twin.trace_id, twin.attempts) == (
        418,
        "some_type",
        "some_code",
        "trace-1",
        2,
    )
    assert twin.body == {"error": {"message": "boom"}}
    assert twin.headers == {"retry-after": "3"}
    assert str(twin) == str(original)
    assert twin.args == original.args


def test_specific_classes_and_retryability() -> None:
    quota = _errors.translate_error(core.QuotaExceededError("no balance", status=429))
    assert isinstance(quota, _errors.KimiQuotaExceededError)
    assert quota.is_retryable is False  # retrying cannot refill the balance
    limit = _errors.translate_error(core.RateLimitError("slow down", status=429))
    assert type(limit) is _errors.KimiRateLimitError
    assert limit.is_retryable is True


def test_non_status_errors() -> None:
    param = _errors.translate_error(core.InvalidParameterError("bad t", param="temperature"))
    assert isinstance(param, core.InvalidParameterError)
    assert isinstance(param, ValueError)
    assert isinstance(param, ModelInvalidRequestError)
    assert param.param == "temperature"
    big = _errors.translate_error(core.FileTooLargeError("too big", param="file"))
    assert isinstance(big, core.FileTooLargeError)
    assert isinstance(big, ModelInvalidRequestError)
    timeout = _errors.translate_error(core.APITimeoutError("slow", attempts=3))
    assert isinstance(timeout, core.APITimeoutError)
    assert isinstance(timeout, ModelTimeoutError)
    assert timeout.attempts == 3
    conn = _errors.translate_error(core.APIConnectionError("down"))
    assert isinstance(conn, core.APIConnectionError)
    assert isinstance(conn, ModelConnectionError)
    cut = _errors.translate_error(core.StreamInterruptedError("cut", text="par", reasoning="r"))
    assert isinstance(cut, core.StreamInterruptedError)
    assert isinstance(cut, ModelConnectionError)
    assert (cut.text, cut.reasoning) == ("par", "r")
    bad = _errors.translate_error(core.MalformedResponseError("junk", body="<html>"))
    assert isinstance(bad, core.MalformedResponseError)
    assert isinstance(bad, ModelAPIError)
    assert bad.body == "<html>"


def test_untranslatable_errors_pass_through() -> None:
    config = core.ConfigurationError("no key")
    assert _errors.translate_error(config) is config
    already = _errors.KimiRateLimitError("x", status=429)
    assert _errors.translate_error(already) is already


def test_translated_errors_raises_from_the_original() -> None:
    original = core.NotFoundError("no model", status=404)
    with pytest.raises(_errors.KimiNotFoundError) as info, _errors.translated_errors():
        raise original
    assert info.value.__cause__ is original
    with pytest.raises(core.ConfigurationError), _errors.translated_errors():
        raise core.ConfigurationError("kept as is")


@pytest.mark.parametrize(
    ("status", "body", "core_class", "lc_class"),
    [
        (
            401,
            {
                "error": {
                    "message": "Invalid Authentication",
                    "type": "invalid_authentication_error",
                }
            },
            core.AuthenticationError,
            ModelAuthenticationError,
        ),
        (
            403,
            {"error": {"message": "denied", "type": "permission_denied_error"}},
            core.PermissionDeniedError,
            ModelPermissionDeniedError,
        ),
        (
            404,
            {"error": {"message": "Not found the model", "type": "resource_not_found_error"}},
            core.NotFoundError,
            ModelNotFoundError,
        ),
        (
            400,
            {
                "error": {
                    "message": "Invalid request: Input token length too long",
                    "type": "invalid_request_error",
                }
            },
            core.ContextLengthExceededError,
            ContextOverflowError,
        ),
        (
            400,
            {"error": {"message": "risky", "type": "content_filter"}},
            core.ContentFilterError,
            ModelInvalidRequestError,
        ),
        (
            429,
            {"error": {"message": "balance", "type": "exceeded_current_quota_error"}},
            core.QuotaExceededError,
            ModelRateLimitError,
        ),
        (
            503,
            {"error": {"message": "busy", "type": "server_unavailable"}},
            core.InternalServerError,
            ModelAPIError,
        ),
    ],
)
async def test_http_errors_sync_async_and_streaming(
    status: int, body: dict[str, object], core_class: type[Exception], lc_class: type[Exception]
) -> None:
    llm, sent = mock_llm(
        json_response(body, status=status, headers={"msh-request-id": "req-7"}), model="kimi-k2.6"
    )
    with pytest.raises(core_class) as info:
        llm.invoke("hi")
    assert isinstance(info.value, lc_class)
    assert info.value.status == status  # type: ignore[attr-defined]
    assert info.value.trace_id == "req-7"  # type: ignore[attr-defined]
    assert API_KEY not in str(info.value)
    with pytest.raises(core_class) as async_info:
        await llm.ainvoke("hi")
    assert isinstance(async_info.value, lc_class)
    with pytest.raises(lc_class):
        list(llm.stream("hi"))
    with pytest.raises(lc_class):
        [c async for c in llm.astream("hi")]
    assert len(sent.requests) == 4  # max_retries=0: no retry


def test_transport_failures_are_connection_errors() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    llm, _ = mock_llm(refuse)
    with pytest.raises(core.APIConnectionError) as info:
        llm.invoke("hi")
    assert isinstance(info.value, ModelConnectionError)
    assert isinstance(info.value.__cause__, core.APIConnectionError)
    assert isinstance(info.value.__cause__.__cause__, httpx.ConnectError)
    llm, _ = mock_llm(slow)
    with pytest.raises(core.APITimeoutError) as timeout:
        llm.invoke("hi")
    assert isinstance(timeout.value, ModelTimeoutError)


def test_tool_loop_error_is_a_model_error() -> None:
    error = _errors.ToolLoopError("too many rounds")
    assert isinstance(error, core.APIError)
    assert isinstance(error, ModelAPIError)
    assert error.is_retryable is False
