"""Error bodies and statuses to the typed hierarchy; error text never carries headers."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from core_helpers import SENTINEL_KEY

from kimi_core.errors import (
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    ClientClosedRequestError,
    ContentFilterError,
    ContextLengthExceededError,
    InternalServerError,
    KimiError,
    NotFoundError,
    PermissionDeniedError,
    QuotaExceededError,
    RateLimitError,
    ServiceUnavailableError,
)
from kimi_core.wire.error_body import error_from_body, error_from_response


def moonshot(message: str, kind: str) -> bytes:
    return json.dumps({"error": {"message": message, "type": kind}}).encode()


def test_moonshot_body() -> None:
    error = error_from_response(
        400,
        httpx.Headers({"Msh-Request-Id": "req-123", "Content-Type": "application/json"}),
        moonshot("invalid temperature: only 1 is allowed for this model", "invalid_request_error"),
    )
    assert type(error) is BadRequestError
    assert error.status == 400
    assert error.status_code == 400
    assert error.type == "invalid_request_error"
    assert error.code is None
    assert error.message == "invalid temperature: only 1 is allowed for this model"
    assert error.trace_id == "req-123"
    assert error.request_id == "req-123"
    assert error.body == {
        "error": {
            "message": "invalid temperature: only 1 is allowed for this model",
            "type": "invalid_request_error",
        }
    }
    assert error.headers == {"msh-request-id": "req-123", "content-type": "application/json"}
    assert str(error) == (
        "400 invalid_request_error: invalid temperature: only 1 is allowed for this model "
        "(trace id: req-123)"
    )


def test_acedata_capture(captures: Any) -> None:
    raw = captures.raw("acedata_error.json")
    error = error_from_response(500, {}, raw)
    assert type(error) is InternalServerError
    assert error.code == "api_error"
    assert error.type is None
    assert error.message == "fetch failed"
    assert error.trace_id == "2cf86e86-22a4-46e1-ac2f-032c0f2a4e89"
    assert error.body == captures.json("acedata_error")
    assert (
        str(error) == "500 api_error: fetch failed (trace id: 2cf86e86-22a4-46e1-ac2f-032c0f2a4e89)"
    )


def test_header_request_id_wins_over_body_trace_id(captures: Any) -> None:
    error = error_from_response(
        500, {"Msh-Request-Id": "hdr-1"}, captures.raw("acedata_error.json")
    )
    assert error.trace_id == "hdr-1"
    assert error.headers == {"msh-request-id": "hdr-1"}


def test_html_page_still_gives_a_typed_error() -> None:
    page = b"<html>\n<head><title>502 Bad Gateway</title></head>\n<body>nginx</body>\n</html>"
    error = error_from_response(502, {"content-type": "text/html"}, page)
    assert type(error) is InternalServerError
    assert error.status == 502
    assert error.message == (
        "<html> <head><title>502 Bad Gateway</title></head> <body>nginx</body> </html>"
    )
    assert error.body == page.decode()
    assert error.type is None
    assert error.code is None


def test_empty_body() -> None:
    error = error_from_response(503, {}, b"")
    assert type(error) is ServiceUnavailableError
    assert isinstance(error, InternalServerError)
    assert error.message == "HTTP 503 with an empty body"
    assert error.body is None
    assert str(error) == "503: HTTP 503 with an empty body"


def test_quota_exceeded() -> None:
    body = moonshot(
        "Your account is suspended, please check your plan", "exceeded_current_quota_error"
    )
    error = error_from_response(429, {}, body)
    assert type(error) is QuotaExceededError
    assert isinstance(error, RateLimitError)


def test_rate_limited_with_retry_after() -> None:
    error = error_from_response(
        429, {"Retry-After": "3"}, moonshot("rate limit reached", "rate_limit_reached_error")
    )
    assert type(error) is RateLimitError
    assert error.retry_after == "3"


def test_content_filter() -> None:
    body = moonshot(
        "The request was rejected because it was considered high risk", "content_filter"
    )
    error = error_from_response(400, {}, body)
    assert type(error) is ContentFilterError
    assert isinstance(error, BadRequestError)


def test_context_length_exceeded() -> None:
    body = moonshot("Invalid request: Input token length too long", "invalid_request_error")
    error = error_from_response(400, {}, body)
    assert type(error) is ContextLengthExceededError
    assert isinstance(error, BadRequestError)


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (500, InternalServerError),
        (502, InternalServerError),
        (503, ServiceUnavailableError),
        (504, InternalServerError),
        (499, ClientClosedRequestError),
        (418, APIStatusError),
    ],
)
def test_status_classes(status: int, cls: type[APIStatusError]) -> None:
    error = error_from_response(status, {}, moonshot("nope", "some_error"))
    assert type(error) is cls
    assert isinstance(error, KimiError)
    assert error.status == status


def test_str_never_contains_headers() -> None:
    headers = {
        "Authorization": f"Bearer {SENTINEL_KEY}",
        "Set-Cookie": "session=secret-cookie",
        "Msh-Request-Id": "req-9",
        "X-RateLimit-Remaining": "0",
    }
    error = error_from_response(401, headers, moonshot("bad key", "invalid_authentication_error"))
    assert str(error) == "401 invalid_authentication_error: bad key (trace id: req-9)"
    for text in (str(error), repr(error)):
        assert SENTINEL_KEY not in text
        assert "secret-cookie" not in text
    # Only the headers a caller needs are kept on the error.
    assert error.headers == {"msh-request-id": "req-9", "x-ratelimit-remaining": "0"}


def test_attempts_in_str() -> None:
    error = error_from_response(503, {}, moonshot("busy", "server_unavailable"), attempts=3)
    assert str(error) == "503 server_unavailable: busy [after 3 attempts]"


def test_bare_message_and_detail_bodies() -> None:
    assert error_from_response(400, {}, b'{"message": "m1"}').message == "m1"
    assert error_from_response(400, {}, b'{"detail": "d1"}').message == "d1"
    assert error_from_response(400, {}, b'{"error": "plain string"}').message == "plain string"


@pytest.mark.parametrize(
    ("body", "cls", "status"),
    [
        (
            {"success": False, "error": {"code": "api_error", "message": "x"}},
            InternalServerError,
            500,
        ),
        (
            {"success": False, "error": {"code": "invalid_token", "message": "x"}},
            AuthenticationError,
            401,
        ),
        (
            {"success": False, "error": {"code": "too_many_requests", "message": "x"}},
            RateLimitError,
            429,
        ),
        (
            {"error": {"type": "exceeded_current_quota_error", "message": "x"}},
            QuotaExceededError,
            429,
        ),
        ({"error": {"type": "content_filter", "message": "x"}}, ContentFilterError, 400),
        ({"error": {"message": "x", "http_code": "404"}}, NotFoundError, 404),
        ({"error": {"message": "x"}}, InternalServerError, 500),
    ],
)
def test_error_body_with_2xx_status(body: dict[str, Any], cls: type, status: int) -> None:
    error = error_from_body({"content-type": "application/json"}, json.dumps(body))
    assert type(error) is cls
    assert error.status == status


def test_trace_id_from_x_trace_id_and_quota_as_403() -> None:
    error = error_from_response(
        400, {"X-Trace-Id": "trace-7"}, moonshot("bad", "invalid_request_error")
    )
    assert (error.trace_id, error.headers["x-trace-id"]) == ("trace-7", "trace-7")
    assert str(error) == "400 invalid_request_error: bad (trace id: trace-7)"
    # Balance exhaustion once came as a 403 (docs/kimi-api/errors-and-limits.md).
    quota = error_from_response(403, {}, moonshot("no money", "exceeded_current_quota_error"))
    assert type(quota) is QuotaExceededError
    assert quota.status == 403
    closed = error_from_response(499, {}, moonshot("gone", "client_closed_request"))
    assert type(closed) is ClientClosedRequestError
