"""The keep-alive trade-off: how often a pooled connection is reused, and how often a request
meets a connection the server is closing, by the pool's idle expiry and the pause between
calls.

Against the emulator (uvicorn: an idle connection is closed 5 s after its last answer, as
vLLM, SGLang and Node servers do). Each "client" is a ``KimiClient`` whose httpx pool expires
idle connections after ``expiry`` seconds; it makes one call, pauses, makes another, for every
pause in ``PAUSES``, in its own thread (all clients run at once, so the run takes about the sum
of the pauses, once). For each call after a pause it records whether it opened a new
connection (httpcore's ``connect_tcp`` trace event) and whether it failed because the server
closed the connection under it (``APIConnectionError``: since issue 23 such a request is
never sent again, so this is what a caller would see).

    python benchmarks/keepalive.py [--repeats 8] [--expiries 5 4 2] [--latency-ms 50]

``--latency-ms L`` puts a proxy in between that delays every byte, both ways, by L ms (a
network path with a round trip of 2L). A request races the server's idle close when it leaves
the client between ``5 - 2L`` and ``5`` seconds after the client read the last answer (the
request reaches the server after it closed, and the server's close has not reached the
client yet): with L = 50 ms, pauses of 4.90-5.00 s, which only an expiry above them lets
reuse the connection. On bare loopback (L = 0) the window is a fraction of a millisecond
wide. The proxy accepts at once, so it does not delay the TCP handshake: over a real path a
new connection costs one round trip for TCP and one or two more for TLS, which these
figures do not include.
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
from collections import defaultdict
from typing import Any

import httpx

from kimi_core import APIConnectionError, KimiClient
from kimi_emulator import KimiEmulator

PAUSES = (1.0, 1.9, 2.1, 3.0, 3.9, 4.1, 4.86, 4.89, 4.91, 4.93, 4.97, 4.99, 5.5)
REQUEST: dict[str, Any] = {
    "model": "kimi-k2.6",
    "messages": [{"role": "user", "content": "ping"}],
    "thinking": False,
}


class _Counter:
    def __init__(self) -> None:
        self.connects = 0

    def hook(self, request: httpx.Request) -> None:
        def trace(event: str, info: dict[str, Any]) -> None:
            if event == "connection.connect_tcp.started":
                self.connects += 1

        request.extensions["trace"] = trace


def _client(url: str, expiry: float) -> tuple[KimiClient, _Counter]:
    counter = _Counter()
    http = httpx.Client(
        limits=httpx.Limits(max_connections=10, keepalive_expiry=expiry),
        event_hooks={"request": [counter.hook]},
        timeout=30,
    )
    return KimiClient(
        api_key="sk-keepalive", base_url=url, http_client=http, max_retries=0
    ), counter


def _one_client(url: str, expiry: float, out: dict[tuple[float, float], list[Any]]) -> None:
    client, counter = _client(url, expiry)
    client.chat(REQUEST)
    for pause in PAUSES:
        time.sleep(pause)
        before = counter.connects
        started = time.perf_counter()
        try:
            client.chat(REQUEST)
            failed = False
        except APIConnectionError:
            failed = True
        took = time.perf_counter() - started
        out[(expiry, pause)].append((counter.connects > before, failed, took))
        if failed:
            client.chat(REQUEST)  # start the next pause from an answered call
    client.close()


class _LaggyProxy:
    """A TCP proxy delaying every chunk (and the close) by ``latency`` seconds each way."""

    def __init__(self, target_port: int, latency: float) -> None:
        import asyncio

        self.latency = latency
        self.target_port = target_port
        self.loop = asyncio.new_event_loop()
        ready = threading.Event()
        self.port = 0

        async def start() -> None:
            server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
            self.port = server.sockets[0].getsockname()[1]
            ready.set()

        threading.Thread(
            target=lambda: (self.loop.run_until_complete(start()), self.loop.run_forever()),
            daemon=True,
        ).start()
        ready.wait(5)

    async def _handle(self, reader: Any, writer: Any) -> None:
        import asyncio

        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))

    async def _pipe(self, reader: Any, writer: Any) -> None:
        loop = self.loop
        while True:
            data = await reader.read(65536)
            if not data:
                loop.call_later(self.latency, writer.close)
                return
            loop.call_later(self.latency, writer.write, data)

    def url(self, base_url: str) -> str:
        path = base_url.split("/", 3)[3]
        return f"http://127.0.0.1:{self.port}/{path}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=8)
    parser.add_argument("--expiries", type=float, nargs="+", default=[5.0, 4.0, 2.0])
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args()
    out: dict[tuple[float, float], list[Any]] = defaultdict(list)
    with KimiEmulator() as emu:
        url = emu.base_url
        if args.latency_ms:
            url = _LaggyProxy(emu.port, args.latency_ms / 1000).url(url)
        threads = [
            threading.Thread(target=_one_client, args=(url, expiry, out))
            for expiry in args.expiries
            for _ in range(args.repeats)
        ]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.monotonic() - started
    new_ms = [t * 1000 for rows in out.values() for new, bad, t in rows if new and not bad]
    reused_ms = [t * 1000 for rows in out.values() for new, bad, t in rows if not new and not bad]
    sep = " | " if args.markdown else "  "
    print(sep.join(["pause s"] + [f"expiry {e:g} s: new conn / races" for e in args.expiries]))
    for pause in PAUSES:
        cells = []
        for expiry in args.expiries:
            rows = out[(expiry, pause)]
            new = sum(1 for n, _, _ in rows if n)
            bad = sum(1 for _, b, _ in rows if b)
            cells.append(f"{new}/{len(rows)} new, {bad} races")
        print(sep.join([f"{pause:g}", *cells]))
    print(
        f"call on a new loopback connection: median {statistics.median(new_ms):.2f} ms; "
        f"on a reused one: {statistics.median(reused_ms):.2f} ms; wall {wall:.0f} s"
    )


if __name__ == "__main__":
    main()
