"""Retry policy and the clients' retry loop (backoff sleeps recorded, never slept)."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timezone
from email.utils import format_datetime
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from core_helpers import (
    USER_HI,
    Recorder,
    async_client,
    json_response,
    sse_bytes,
    sse_response,
    sync_client,
)

import kimi_core.transport.retry
from kimi_core import (
    APIConnectionError,
    APITimeoutError,
    BadRequestError,
    ChatCompletion,
    InternalServerError,
    MalformedResponseError,
    QuotaExceededError,
    RateLimitError,
    RetryPolicy,
    StreamInterruptedError,
)
from kimi_core.errors import APIStatusError
from kimi_core.transport.retry import parse_retry_after
from kimi_core.wire.error_body import error_from_response

MODES = ["sync", "async"]
REQUEST = {"model": "kimi-k2-0905-preview", "messages": USER_HI}
OK = {
    "id": "ok-1",
    "model": "kimi-k2-0905-preview",
    "choices": [
        {"index": 0, "message": {"role": "assistant", "content": "fine"}, "finish_reason": "stop"}
    ],
}


def moonshot_error(status: int, kind: str, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(
        status, json={"error": {"message": f"{kind} happened", "type": kind}}, headers=headers
    )


def chat(mode: str, recorder: Recorder, **options: Any) -> ChatCompletion:
    if mode == "sync":
        return sync_client(recorder, **options).chat(REQUEST)

    async def go() -> ChatCompletion:
        return await async_client(recorder, **options).chat(REQUEST)

    return asyncio.run(go())


def stream_text(mode: str, recorder: Recorder, **options: Any) -> str:
    if mode == "sync":
        with sync_client(recorder, **options).chat_stream(REQUEST) as stream:
            for _ in stream:
                pass
        return stream.text

    async def go() -> str:
        async with await async_client(recorder, **options).chat_stream(REQUEST) as astream:
            async for _ in astream:
                pass
        return astream.text

    return asyncio.run(go())


# -- parse_retry_after ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("2", 2.0),
        (" 2.5 ", 2.5),
        ("0", 0.0),
        ("-4", 0.0),
        ("garbage", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_retry_after_values(value: str | None, seconds: float | None) -> None:
    assert parse_retry_after(value) == seconds


def test_parse_retry_after_http_date() -> None:
    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    header = format_datetime(when, usegmt=True)
    assert header == "Fri, 02 Jan 2026 03:04:05 GMT"
    assert parse_retry_after(header, now=when.timestamp() - 30) == 30.0
    assert parse_retry_after(header, now=when.timestamp() + 30) == 0.0  # in the past


def test_retry_after_is_capped() -> None:
    policy = RetryPolicy(max_retry_after=60.0)
    error = error_from_response(429, {"retry-after": "3600"}, b"")
    assert policy.delay(error, 0) == 60.0


# -- RetryPolicy ---------------------------------------------------------------------------


def _status(status: int, kind: str = "x") -> APIStatusError:
    return error_from_response(status, {}, json.dumps({"error": {"type": kind, "message": "m"}}))


@pytest.mark.parametrize(
    ("error", "retry"),
    [
        (_status(429, "rate_limit_reached_error"), True),
        (_status(429, "engine_overloaded_error"), True),
        (_status(429, "exceeded_current_quota_error"), False),
        (_status(500), True),
        (_status(502), True),
        (_status(503), True),
        (_status(504), True),
        (_status(501), False),
        (_status(400), False),
        (_status(401), False),
        (_status(403), False),
        (_status(404), False),
        (_status(409), False),
        (APIConnectionError("down"), True),
        (APITimeoutError("slow"), True),
        (MalformedResponseError("bad"), False),
        (ValueError("not ours"), False),
    ],
)
def test_should_retry(error: BaseException, retry: bool) -> None:
    policy = RetryPolicy(max_retries=2)
    assert policy.should_retry(error, 0) is retry
    assert policy.should_retry(error, 1) is retry
    assert policy.should_retry(error, 2) is False  # budget spent


def test_zero_retries_never_retries() -> None:
    assert RetryPolicy(max_retries=0).should_retry(_status(503), 0) is False


def test_backoff_is_exponential_with_jitter(monkeypatch: pytest.MonkeyPatch) -> None:
    policy = RetryPolicy(base_delay=0.5, max_delay=8.0)
    error = _status(503)
    monkeypatch.setattr(kimi_core.transport.retry, "random", SimpleNamespace(random=lambda: 0.0))
    assert [policy.delay(error, a) for a in range(6)] == [0.25, 0.5, 1.0, 2.0, 4.0, 4.0]
    monkeypatch.setattr(kimi_core.transport.retry, "random", SimpleNamespace(random=lambda: 1.0))
    assert [policy.delay(error, a) for a in range(6)] == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0]


def test_retry_after_wins_over_backoff() -> None:
    assert RetryPolicy().delay(error_from_response(503, {"Retry-After": "7"}, b""), 0) == 7.0


# -- the clients' retry loop -------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_429_retry_after_then_success(mode: str, sleeps: list[float]) -> None:
    recorder = Recorder(
        moonshot_error(429, "rate_limit_reached_error", {"Retry-After": "2"}), json_response(OK)
    )
    completion = chat(mode, recorder)
    assert completion.message.content == "fine"
    assert sleeps == [2.0]
    assert len(recorder.requests) == 2
    assert recorder.json_bodies()[0] == recorder.json_bodies()[1]


@pytest.mark.parametrize("mode", MODES)
def test_quota_exceeded_is_not_retried(mode: str, sleeps: list[float]) -> None:
    recorder = Recorder(moonshot_error(429, "exceeded_current_quota_error", {"Retry-After": "1"}))
    with pytest.raises(QuotaExceededError) as caught:
        chat(mode, recorder)
    assert caught.value.attempts == 1
    assert sleeps == []
    assert len(recorder.requests) == 1


@pytest.mark.parametrize("mode", MODES)
def test_5xx_burst_shorter_than_budget_succeeds(mode: str, sleeps: list[float]) -> None:
    recorder = Recorder(
        moonshot_error(500, "server_error"),
        moonshot_error(502, "bad_gateway"),
        moonshot_error(503, "server_unavailable"),
        json_response(OK),
    )
    assert chat(mode, recorder, max_retries=4).message.content == "fine"
    assert len(recorder.requests) == 4
    assert len(sleeps) == 3
    assert all(0.0 < s <= 8.0 for s in sleeps)


@pytest.mark.parametrize("mode", MODES)
def test_a_504_on_a_chat_post_is_not_resent_unless_asked(mode: str, sleeps: list[float]) -> None:
    # Moonshot's gateway answers 504 after 900 s without an answer while the backend may still
    # generate (and bill) it: ambiguous, like a lost answer (issue 25).
    recorder = Recorder(moonshot_error(504, "gateway_timeout"))
    with pytest.raises(InternalServerError) as caught:
        chat(mode, recorder, max_retries=4)
    assert caught.value.status == 504
    assert len(recorder.requests) == 1
    assert sleeps == []
    again = Recorder(moonshot_error(504, "gateway_timeout"), json_response(OK))
    assert chat(mode, again, max_retries=4, retry_ambiguous=True).message.content == "fine"
    assert len(again.requests) == 2


@pytest.mark.parametrize("mode", MODES)
def test_5xx_burst_longer_than_budget_fails(mode: str, sleeps: list[float]) -> None:
    recorder = Recorder(*[moonshot_error(503, "server_unavailable") for _ in range(3)])
    with pytest.raises(InternalServerError) as caught:
        chat(mode, recorder, max_retries=2)
    assert caught.value.attempts == 3
    assert caught.value.status == 503
    assert "[after 3 attempts]" in str(caught.value)
    assert len(recorder.requests) == 3
    assert len(sleeps) == 2


@pytest.mark.parametrize("mode", MODES)
def test_400_is_never_retried(mode: str, sleeps: list[float]) -> None:
    recorder = Recorder(moonshot_error(400, "invalid_request_error"))
    with pytest.raises(BadRequestError) as caught:
        chat(mode, recorder, max_retries=5)
    assert caught.value.attempts == 1
    assert "attempts" not in str(caught.value)
    assert sleeps == []
    assert len(recorder.requests) == 1


def _raise(exc_type: type[httpx.TransportError]) -> Any:
    def answer(request: httpx.Request) -> httpx.Response:
        raise exc_type("simulated", request=request)

    return answer


@pytest.mark.parametrize("mode", MODES)
def test_connect_error_retried_then_success(mode: str, sleeps: list[float]) -> None:
    recorder = Recorder(_raise(httpx.ConnectError), json_response(OK))
    assert chat(mode, recorder).message.content == "fine"
    assert len(sleeps) == 1


@pytest.mark.parametrize("mode", MODES)
def test_connect_error_exhausted(mode: str, sleeps: list[float]) -> None:
    recorder = Recorder(*[_raise(httpx.ConnectError) for _ in range(3)])
    with pytest.raises(APIConnectionError) as caught:
        chat(mode, recorder)
    assert type(caught.value) is APIConnectionError
    assert caught.value.attempts == 3
    assert isinstance(caught.value.__cause__, httpx.ConnectError)
    assert str(caught.value) == (
        "could not talk to https://api.moonshot.ai/v1: ConnectError: simulated [after 3 attempts]"
    )
    assert len(recorder.requests) == 3
    assert len(sleeps) == 2


@pytest.mark.parametrize("mode", MODES)
def test_read_timeout_of_a_chat_is_not_retried(mode: str, sleeps: list[float]) -> None:
    # The request was written: the server may be generating (and billing) the answer.
    recorder = Recorder(_raise(httpx.ReadTimeout))
    with pytest.raises(APITimeoutError) as caught:
        chat(mode, recorder, max_retries=2)
    assert (caught.value.attempts, caught.value.request_sent) == (1, True)
    assert "timed out (ReadTimeout)" in str(caught.value)
    assert sleeps == []


@pytest.mark.parametrize("mode", MODES)
def test_read_timeout_exhausted_with_retry_ambiguous(mode: str, sleeps: list[float]) -> None:
    recorder = Recorder(*[_raise(httpx.ReadTimeout) for _ in range(2)])
    with pytest.raises(APITimeoutError) as caught:
        chat(mode, recorder, max_retries=1, retry_ambiguous=True)
    assert caught.value.attempts == 2
    assert len(recorder.requests) == 2
    assert len(sleeps) == 1


@pytest.mark.parametrize("mode", MODES)
def test_write_failure_is_retried_it_was_never_sent(mode: str, sleeps: list[float]) -> None:
    recorder = Recorder(_raise(httpx.WriteError), json_response(OK))
    assert chat(mode, recorder).message.text == "fine"
    assert len(sleeps) == 1


@pytest.mark.parametrize("mode", MODES)
def test_get_is_retried_after_any_failure(mode: str, sleeps: list[float]) -> None:
    recorder = Recorder(
        _raise(httpx.ReadTimeout), json_response({"data": {"available_balance": 1.0}})
    )
    client = sync_client(recorder) if mode == "sync" else async_client(recorder)
    balance = client.balance() if mode == "sync" else asyncio.run(client.balance())  # type: ignore[arg-type]
    assert balance.available_balance == 1.0
    assert len(sleeps) == 1


def test_policy_ambiguous_failures() -> None:
    sent = APIConnectionError("reset", request_sent=True)
    unsent = APIConnectionError("refused", request_sent=False)
    policy = RetryPolicy(max_retries=2)
    assert policy.should_retry(unsent, 0, idempotent=False)
    assert not policy.should_retry(sent, 0, idempotent=False)
    assert policy.should_retry(sent, 0, idempotent=True)
    assert RetryPolicy(max_retries=2, retry_ambiguous=True).should_retry(sent, 0, idempotent=False)


@pytest.mark.parametrize("mode", MODES)
def test_stream_error_status_before_body_is_retried(mode: str, sleeps: list[float]) -> None:
    body = sse_bytes(
        {"choices": [{"index": 0, "delta": {"content": "ok"}, "finish_reason": "stop"}]}
    )
    recorder = Recorder(
        moonshot_error(429, "engine_overloaded_error", {"Retry-After": "1"}), sse_response(body)
    )
    assert stream_text(mode, recorder) == "ok"
    assert sleeps == [1.0]
    assert [json.loads(r.content)["stream"] for r in recorder.requests] == [True, True]


@pytest.mark.parametrize("mode", MODES)
def test_stream_never_retried_after_the_200(mode: str, sleeps: list[float]) -> None:
    body = sse_bytes({"choices": [{"index": 0, "delta": {"content": "half"}}]}, done=False)
    recorder = Recorder(
        sse_response(body, error=httpx.ReadError("reset")), sse_response(sse_bytes())
    )
    with pytest.raises(StreamInterruptedError) as caught:
        stream_text(mode, recorder)
    assert caught.value.text == "half"
    assert len(recorder.requests) == 1
    assert sleeps == []


@pytest.mark.parametrize("mode", MODES)
def test_rate_limit_error_after_budget(mode: str, sleeps: list[float]) -> None:
    recorder = Recorder(
        moonshot_error(429, "rate_limit_reached_error"),
        moonshot_error(429, "rate_limit_reached_error"),
    )
    with pytest.raises(RateLimitError) as caught:
        chat(mode, recorder, max_retries=1)
    assert caught.value.attempts == 2
    assert len(sleeps) == 1
