"""Nothing is billed twice without the caller asking: which failures are retried (README
"Retries and errors"), over real loopback HTTP, on all eight paths.

A chat request that reached the server and then lost its answer (reset mid-body, a close
without a response, a read timeout) may have been generated and billed: it is not retried
unless ``retry_ambiguous=True``, whatever the connection's history: a keep-alive connection
reused from the pool and closed by the server before it answered a byte is one of those (the
server may have read the request and acted on it). A request that was never fully written, or
never connected, is retried. Idle connections leave the pool after ``KEEPALIVE_EXPIRY``
seconds, well before servers close theirs, which keeps that race rare.
"""

from __future__ import annotations

from typing import Any

import pytest
from hostile import (
    HostileServer,
    close_without_response,
    reset_mid_body,
    stale_after_first,
)
from reliability_paths import ANSWER, PATHS, Path

from kimi_core import APIConnectionError, KimiClient, StreamInterruptedError
from kimi_core.errors import KimiError


def ids(path: Path) -> str:
    return path.name


@pytest.mark.parametrize("path", PATHS, ids=ids)
@pytest.mark.parametrize(
    "behaviour", [close_without_response, reset_mid_body], ids=["close-no-answer", "reset-body"]
)
def test_an_answer_lost_after_the_request_is_not_sent_again(
    path: Path, behaviour: Any, sleeps: list[float]
) -> None:
    with HostileServer(behaviour) as server, pytest.raises(KimiError) as caught:
        path.run(server.url, max_retries=2)
    error = caught.value
    # Mid-body on a stream path, the answer had started: an interrupted stream.
    assert isinstance(error, APIConnectionError | StreamInterruptedError)
    if isinstance(error, APIConnectionError):
        assert (error.attempts, error.request_sent) == (1, True)
    assert server.requests == 1
    assert sleeps == []


@pytest.mark.parametrize("path", PATHS, ids=ids)
def test_retry_ambiguous_opts_in_to_sending_again(path: Path, sleeps: list[float]) -> None:
    with (
        HostileServer(close_without_response) as server,
        pytest.raises(APIConnectionError) as caught,
    ):
        path.run(server.url, max_retries=2, retry_ambiguous=True)
    assert caught.value.attempts == 3
    assert server.requests == 3


def test_a_reused_connection_closed_unanswered_is_not_sent_again(sleeps: list[float]) -> None:
    """The second call gets the pooled connection, which the server drops unanswered after
    reading the request: it may have acted on it, so it is not sent again (it used to be,
    at once, as a "stale" connection)."""
    with (
        HostileServer(stale_after_first) as server,
        KimiClient(api_key="sk-stale", base_url=server.url, max_retries=2) as client,
    ):
        request = {"model": "kimi-k2.6", "messages": [{"role": "user", "content": "ping"}]}
        assert client.chat(request).message.text == ANSWER
        with pytest.raises(APIConnectionError) as caught:
            client.chat(request)
    assert (caught.value.request_sent, caught.value.attempts) == (True, 1)
    assert (server.requests, server.connections) == (2, 1)
    assert sleeps == []


def test_a_reused_connection_closed_unanswered_is_not_sent_again_async(
    sleeps: list[float],
) -> None:
    import asyncio

    from kimi_core import AsyncKimiClient

    async def run(url: str) -> BaseException | None:
        async with AsyncKimiClient(api_key="sk-stale", base_url=url, max_retries=2) as client:
            request = {"model": "kimi-k2.6", "messages": [{"role": "user", "content": "ping"}]}
            assert (await client.chat(request)).message.text == ANSWER
            try:
                await client.chat(request)
            except APIConnectionError as exc:
                return exc
        return None

    with HostileServer(stale_after_first) as server:
        error = asyncio.run(run(server.url))
    assert isinstance(error, APIConnectionError)
    assert (error.request_sent, error.attempts) == (True, 1)
    assert (server.requests, server.connections) == (2, 1)
    assert sleeps == []


def test_a_reused_connection_closed_unanswered_is_resent_with_retry_ambiguous(
    sleeps: list[float],
) -> None:
    with (
        HostileServer(stale_after_first) as server,
        KimiClient(
            api_key="sk-stale", base_url=server.url, max_retries=2, retry_ambiguous=True
        ) as client,
    ):
        request = {"model": "kimi-k2.6", "messages": [{"role": "user", "content": "ping"}]}
        assert [client.chat(request).message.text for _ in range(2)] == [ANSWER, ANSWER]
    assert (server.requests, server.connections) == (3, 2)
    assert len(sleeps) == 1  # an ordinary backoff, no special case
    assert sleeps[0] > 0


def test_idle_connections_leave_the_pool_before_servers_close_them() -> None:
    """The pool's idle expiry is well under the shortest common server idle timeout (5 s:
    uvicorn, vLLM, SGLang, Node), so a reused connection is rarely one being closed."""
    from kimi_core.transport.base import DEFAULT_LIMITS, KEEPALIVE_EXPIRY

    assert DEFAULT_LIMITS.keepalive_expiry == KEEPALIVE_EXPIRY
    assert KEEPALIVE_EXPIRY <= 5.0 / 2
    with KimiClient(api_key="sk-stale", base_url="http://127.0.0.1:9/v1") as client:
        pool = client._http._transport._pool  # type: ignore[attr-defined]
        assert pool._keepalive_expiry == KEEPALIVE_EXPIRY


def test_a_fresh_connection_closed_unanswered_is_not_stale(sleeps: list[float]) -> None:
    """Only a connection reused from the pool can be stale: on a fresh one the server read
    the request, and may be acting on it."""
    with (
        HostileServer(close_without_response) as server,
        KimiClient(api_key="sk-stale", base_url=server.url, max_retries=2) as client,
    ):
        request = {"model": "kimi-k2.6", "messages": [{"role": "user", "content": "ping"}]}
        with pytest.raises(APIConnectionError) as caught:
            client.chat(request)
    assert caught.value.request_sent is True
    assert "Server disconnected without sending a response" in str(caught.value)
    assert server.requests == 1
