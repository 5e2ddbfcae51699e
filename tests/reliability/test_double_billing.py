"""Nothing is billed twice without the caller asking: which failures are retried (README
"Retries and errors"), over real loopback HTTP, on all eight paths.

A chat request that reached the server and then lost its answer (reset mid-body, a close
without a response, a read timeout) may have been generated and billed: it is not retried
unless ``retry_ambiguous=True``. A stale keep-alive connection (reused from the pool, closed
by the server before it answered a byte) and a request that was never fully written are
retried, at once for the stale connection.
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


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    import kimi_core.client

    delays: list[float] = []

    async def fake_async_sleep(seconds: float) -> None:
        delays.append(seconds)

    monkeypatch.setattr(kimi_core.client, "_backoff", delays.append)
    monkeypatch.setattr(kimi_core.client, "_abackoff", fake_async_sleep)
    return delays


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


def test_a_stale_keep_alive_connection_is_retried_at_once(sleeps: list[float]) -> None:
    with (
        HostileServer(stale_after_first) as server,
        KimiClient(api_key="sk-stale", base_url=server.url, max_retries=2) as client,
    ):
        request = {"model": "kimi-k2.6", "messages": [{"role": "user", "content": "ping"}]}
        assert client.chat(request).message.text == ANSWER
        # The second call gets the pooled connection, which the server drops unanswered.
        assert client.chat(request).message.text == ANSWER
    assert (server.requests, server.connections) == (3, 2)
    assert sleeps == [0.0]  # no backoff for a race with the server's idle close


def test_a_stale_connection_is_retried_at_once_async(sleeps: list[float]) -> None:
    import asyncio

    from kimi_core import AsyncKimiClient

    async def run(url: str) -> list[str]:
        async with AsyncKimiClient(api_key="sk-stale", base_url=url, max_retries=2) as client:
            request = {"model": "kimi-k2.6", "messages": [{"role": "user", "content": "ping"}]}
            return [(await client.chat(request)).message.text for _ in range(2)]

    with HostileServer(stale_after_first) as server:
        assert asyncio.run(run(server.url)) == [ANSWER, ANSWER]
    assert (server.requests, server.connections) == (3, 2)
    assert sleeps == [0.0]


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
