"""``kimi_core.pool``: bursts on a warm pool reuse each idle connection once, without the stall.

Against a real loopback HTTP/1.1 server (keep-alive), a burst of concurrent calls meets a pool
of idle connections left by an earlier burst. Stock httpcore 1.0.9 hands them all the same
idle connection and reassigns the losers again and again (O(n²) passes); the fixed pool makes
about two passes per request (one when it arrives, one when its response is closed) and
never opens a new connection while an idle one is free. Counting passes and new connections
makes the difference exact instead of timed.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpcore
import httpx
import pytest

from kimi_core import AsyncKimiClient, KimiClient
from kimi_core._fastpath import fix_connection_pool, pool_fix_applies
from kimi_emulator import KimiEmulator

ANSWER = {
    "id": "cmpl-1",
    "object": "chat.completion",
    "created": 1,
    "model": "kimi-k2.6",
    "choices": [
        {"index": 0, "message": {"role": "assistant", "content": "ok"}, "finish_reason": "stop"}
    ],
    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
}
BODY = json.dumps(ANSWER).encode()
REQUEST = {"model": "kimi-k2.6", "messages": [{"role": "user", "content": "hi"}]}
BURST = 60


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive unless the server closes

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["content-length"]))
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)
        self.wfile.flush()
        if self.server.close_after_answer:  # type: ignore[attr-defined]
            # Closed without a "connection: close" header: the client keeps it as idle.
            self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # a whole burst connects at once
    close_after_answer = False

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.closed = threading.Semaphore(0)  # released each time a connection is closed

    def shutdown_request(self, request: Any) -> None:
        super().shutdown_request(request)
        self.closed.release()


SERVERS: list[_Server] = []


def _serve(close_after_answer: bool) -> Iterator[str]:
    server = _Server()
    server.close_after_answer = close_after_answer
    SERVERS.append(server)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        SERVERS.remove(server)
        server.shutdown()
        server.server_close()


@pytest.fixture
def base_url() -> Iterator[str]:
    yield from _serve(close_after_answer=False)


@pytest.fixture
def closing_base_url() -> Iterator[str]:
    yield from _serve(close_after_answer=True)


class _Counts:
    """Assignment passes and new connections of one pool, counted by wrapping its methods."""

    def __init__(self, pool: Any) -> None:
        self.passes = 0
        self.created = 0
        assign = pool._assign_requests_to_connections
        create = pool.create_connection

        def counted_assign() -> Any:
            self.passes += 1
            return assign()

        def counted_create(origin: Any) -> Any:
            self.created += 1
            return create(origin)

        pool._assign_requests_to_connections = counted_assign
        pool.create_connection = counted_create


def _pool(client: KimiClient | AsyncKimiClient) -> Any:
    return client._http._transport._pool  # type: ignore[union-attr]


async def _async_burst(client: AsyncKimiClient) -> list[str]:
    answers = await asyncio.gather(*(client.chat(REQUEST) for _ in range(BURST)))
    return [answer.choices[0].message.text for answer in answers]


def _async_warm_burst(base_url: str, *, fixed: bool) -> _Counts:
    async def run() -> _Counts:
        if fixed:
            client = AsyncKimiClient("sk-test", base_url, max_retries=0)
        else:
            stock = httpx.AsyncClient(
                limits=httpx.Limits(max_connections=1000, max_keepalive_connections=200)
            )
            client = AsyncKimiClient("sk-test", base_url, max_retries=0, http_client=stock)
        async with client:
            assert await _async_burst(client) == ["ok"] * BURST  # opens the connections
            counts = _Counts(_pool(client))
            assert await _async_burst(client) == ["ok"] * BURST  # meets them idle
            if not fixed:
                await stock.aclose()
            return counts

    return asyncio.run(run())


def test_default_clients_get_the_fixed_pool_and_given_clients_are_left_alone() -> None:
    assert pool_fix_applies(httpcore.AsyncConnectionPool(http2=False))
    with KimiClient("sk-test") as client:
        assert type(_pool(client)).__name__ == "_ConnectionPool"
        assert isinstance(_pool(client), httpcore.ConnectionPool)
    own = httpx.Client()
    with KimiClient("sk-test", http_client=own) as client:
        assert type(_pool(client)) is httpcore.ConnectionPool
    own.close()


def test_only_stock_http1_pools_are_swapped() -> None:
    class Custom(httpcore.ConnectionPool):
        pass

    assert not pool_fix_applies(httpcore.ConnectionPool(http2=True))
    assert not pool_fix_applies(Custom())
    assert not pool_fix_applies(object())
    with httpx.Client(transport=httpx.MockTransport(lambda request: httpx.Response(200))) as mock:
        assert fix_connection_pool(mock) is False


def test_an_async_burst_on_a_warm_pool_reuses_each_idle_connection_once(base_url: str) -> None:
    counts = _async_warm_burst(base_url, fixed=True)
    assert counts.created == 0  # every request of the second burst got an idle connection
    assert counts.passes <= 3 * BURST  # about one on arrival and one on release per request


def test_a_warm_burst_against_the_emulator_reuses_each_idle_connection_once(
    kimi_emulator: KimiEmulator,
) -> None:
    """The same over the Kimi emulator: real chat answers, the emulator's own HTTP server."""

    async def run() -> _Counts:
        async with AsyncKimiClient("sk-test", kimi_emulator.base_url, max_retries=0) as client:
            first = await asyncio.gather(*(client.chat(REQUEST) for _ in range(BURST)))
            counts = _Counts(_pool(client))
            second = await asyncio.gather(*(client.chat(REQUEST) for _ in range(BURST)))
        assert [a.choices[0].message.text for a in first + second] == ["You said: hi"] * (2 * BURST)
        return counts

    counts = asyncio.run(run())
    assert counts.created == 0
    assert counts.passes <= 3 * BURST


def test_the_stock_pool_shows_the_stall_this_avoids(base_url: str) -> None:
    """The measure above can fail: httpcore 1.0.9's own pool needs far more passes."""
    counts = _async_warm_burst(base_url, fixed=False)
    if counts.passes <= 3 * BURST:
        pytest.skip(
            f"httpcore {httpcore.__version__} no longer stalls: "
            "the pool fix in kimi_core/_fastpath.py can go"
        )
    assert counts.passes > 3 * BURST


def test_a_threaded_burst_on_a_warm_pool_reuses_idle_connections(base_url: str) -> None:
    with KimiClient("sk-test", base_url, max_retries=0) as client:

        def burst() -> list[str]:
            with ThreadPoolExecutor(max_workers=BURST) as threads:
                calls = [threads.submit(client.chat, REQUEST) for _ in range(BURST)]
                return [call.result().choices[0].message.text for call in calls]

        assert burst() == ["ok"] * BURST
        counts = _Counts(_pool(client))
        assert burst() == ["ok"] * BURST
        # Threads may finish a call before others start, so some connections can be opened
        # afresh; none is ever handed to two requests at once.
        assert counts.passes <= 3 * BURST


def _server_closed() -> None:
    """Wait until the test server has closed its side of the last connection."""
    assert SERVERS[-1].closed.acquire(timeout=10), "the server did not close the connection"


def test_an_idle_connection_the_server_closed_is_not_reused(closing_base_url: str) -> None:
    """The expiry check still runs on the connection about to be reused."""
    with KimiClient("sk-test", closing_base_url, max_retries=0) as client:
        assert client.chat(REQUEST).choices[0].message.text == "ok"
        counts = _Counts(_pool(client))
        for _ in range(3):  # each time the previous connection is closed on the server side
            _server_closed()
            assert client.chat(REQUEST).choices[0].message.text == "ok"
        assert counts.created == 3


def test_an_idle_connection_the_server_closed_is_not_reused_async(closing_base_url: str) -> None:
    async def run() -> int:
        async with AsyncKimiClient("sk-test", closing_base_url, max_retries=0) as client:
            assert (await client.chat(REQUEST)).choices[0].message.text == "ok"
            counts = _Counts(_pool(client))
            for _ in range(3):
                _server_closed()
                assert (await client.chat(REQUEST)).choices[0].message.text == "ok"
            return counts.created

    assert asyncio.run(run()) == 3
