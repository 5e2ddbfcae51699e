"""A call ends by its ``total_timeout`` however slowly the server trickles, and retries are
paced by the account's RPM like first tries (issue 17, items 7 and 8). Over real HTTP.
"""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import httpx
import pytest
from hostile import HostileServer, trickle
from langchain_core.exceptions import ModelTimeoutError
from llama_index.core.llms import ChatMessage

from kimi_core import (
    APITimeoutError,
    AsyncKimiClient,
    KimiClient,
    RateLimiter,
    RateLimits,
    StreamTimeoutError,
)
from langchain_kimi import ChatKimi
from llama_index_kimi import Kimi

KEY = "sk-deadlines"
REQUEST = {
    "model": "kimi-k2.6",
    "messages": [{"role": "user", "content": "ping"}],
    "thinking": False,
}


# -- item 8: total_timeout ---------------------------------------------------------------------


def test_a_body_trickled_byte_by_byte_ends_at_the_total_timeout() -> None:
    # One byte every 0.1 s: each read is quick, the whole answer would take ~30 s.
    with (
        HostileServer(trickle(0.1, stream=False)) as server,
        KimiClient(api_key=KEY, base_url=server.url, total_timeout=0.8) as client,
    ):
        started = time.monotonic()
        with pytest.raises(APITimeoutError, match=r"total_timeout=0\.8") as caught:
            client.chat(REQUEST)
        took = time.monotonic() - started
    assert 0.8 <= took < 2.0
    assert caught.value.request_sent is True
    assert server.requests == 1  # not sent again: the answer may have been generated


def test_an_async_body_trickled_byte_by_byte_ends_at_the_total_timeout() -> None:
    async def run(url: str) -> float:
        async with AsyncKimiClient(api_key=KEY, base_url=url, total_timeout=0.8) as client:
            started = time.monotonic()
            with pytest.raises(APITimeoutError):
                await client.chat(REQUEST)
            return time.monotonic() - started

    with HostileServer(trickle(0.1, stream=False)) as server:
        assert 0.8 <= asyncio.run(run(server.url)) < 2.0


def test_a_stream_kept_alive_by_comments_ends_at_the_total_timeout_with_its_text() -> None:
    with (
        HostileServer(trickle(0.1, stream=True)) as server,
        KimiClient(api_key=KEY, base_url=server.url, total_timeout=0.8) as client,
    ):
        started = time.monotonic()
        with pytest.raises(StreamTimeoutError) as caught, client.chat_stream(REQUEST) as stream:
            for _ in stream:
                pass
        took = time.monotonic() - started
    assert 0.8 <= took < 2.0
    assert caught.value.text == "Hi"


@pytest.mark.parametrize("framework", ["langchain", "llama_index"])
def test_the_adapters_take_total_timeout(framework: str) -> None:
    with HostileServer(trickle(0.1, stream=True)) as server:
        started = time.monotonic()
        if framework == "langchain":
            llm: Any = ChatKimi(
                model="kimi-k2.6", api_key=KEY, base_url=server.url, total_timeout=0.8
            )
            with pytest.raises(StreamTimeoutError) as caught:
                list(llm.stream("ping"))
            assert isinstance(caught.value, ModelTimeoutError)  # LangChain's standard class
        else:
            llm = Kimi(model="kimi-k2.6", api_key=KEY, base_url=server.url, total_timeout=0.8)
            with pytest.raises(StreamTimeoutError):
                list(llm.stream_chat([ChatMessage(role="user", content="ping")]))
        assert time.monotonic() - started < 2.0
        llm.close()


def test_total_timeout_must_be_a_positive_number() -> None:
    from kimi_core import ConfigurationError

    with pytest.raises(ConfigurationError) as caught:
        KimiClient(api_key=KEY, base_url="http://127.0.0.1:9/v1", total_timeout=0)
    assert caught.value.param == "total_timeout"


# -- item 7: retries count against the RPM --------------------------------------------------


def _busiest_window(times: list[float], window: float) -> int:
    times = sorted(times)
    return max(
        sum(1 for other in times[i:] if other - start < window) for i, start in enumerate(times)
    )


def test_retries_are_paced_by_the_rpm_like_first_tries(
    kimi_emulator: Any, sleeps: list[float]
) -> None:
    window, rpm = 1.0, 4
    limiter = RateLimiter(RateLimits(rpm=rpm), window=window)
    kimi_emulator.fail_next(500, times=6)  # six of the ten tries fail and are retried
    sent: list[float] = []
    lock = threading.Lock()

    def note(request: httpx.Request) -> None:
        with lock:
            sent.append(time.monotonic())

    http = httpx.Client(event_hooks={"request": [note]})
    client = KimiClient(
        api_key=KEY,
        base_url=kimi_emulator.base_url,
        http_client=http,
        rate_limiter=limiter,
        max_retries=4,
    )
    answers: list[str] = []
    threads = [
        threading.Thread(target=lambda: answers.append(client.chat(REQUEST).message.text))
        for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert answers == ["You said: ping"] * 4
    assert len(sent) == 10
    # Every 1 s window holds at most 4 sends (a little slack for the hook running after the
    # limiter's clock read).
    assert _busiest_window(sent, window - 0.05) <= rpm
    http.close()
