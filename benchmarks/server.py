"""A fast loopback Kimi server with canned answers, run in its own process.

The benchmark measures clients, so the server must cost as little as possible: a bare
``asyncio.Protocol`` speaking just enough HTTP/1.1 (keep-alive, pipelining, Content-Length
bodies) and writing precomputed bytes. It runs in a separate process, pinned to its own CPU
when the machine has two or more, so its work never lands on the client's core.

Routes (any prefix before them is accepted, so a client's ``base_url`` picks the stream size):

- ``POST .../chat/completions``: the fixed completion; with ``"stream": true`` in the body an
  SSE stream of N chunks (``canned.stream_events``), N from a ``/bench/<N>/`` path segment
  (default 2,000). Streams use chunked transfer encoding, one HTTP chunk per SSE event, as a
  real server flushing every event does.
- ``GET .../models``: a one-model list.

With a ``/close/`` path segment the server answers ``connection: close`` and closes the
connection after the answer (the async figures use it; see ``worker.subject_url``).

``python benchmarks/server.py`` prints ``PORT <n>`` on stdout, then serves until its stdin
closes (the parent exits) or it is terminated.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import resource
import subprocess
import sys
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

import canned

_STREAM_FLAG = re.compile(rb'"stream"\s*:\s*true')
_CHUNKS_SEGMENT = re.compile(rb"/bench/(\d+)/")
_CLOSE_SEGMENT = b"/close/"
_MAX_CHUNKS = 200_000
_REQUEST_ID = b"msh-request-id: bench-0000\r\n"


def _response(status: bytes, content_type: bytes, body: bytes) -> bytes:
    return (
        b"HTTP/1.1 " + status + b"\r\ncontent-type: " + content_type
        + b"\r\ncontent-length: " + str(len(body)).encode() + b"\r\n" + _REQUEST_ID
        + b"\r\n" + body
    )  # fmt: skip


COMPLETION = _response(b"200 OK", b"application/json", canned.completion_body())
MODELS = _response(b"200 OK", b"application/json", canned.models_body())
NOT_FOUND = _response(
    b"404 Not Found",
    b"application/json",
    b'{"error":{"message":"no such route on the benchmark server",'
    b'"type":"resource_not_found_error"}}',
)
BAD_REQUEST = _response(
    b"400 Bad Request",
    b"application/json",
    b'{"error":{"message":"the benchmark server needs a Content-Length body",'
    b'"type":"invalid_request_error"}}',
)


@lru_cache(maxsize=32)
def stream_response(chunks: int) -> bytes:
    """The whole HTTP response of an N-chunk stream, built once per N."""
    parts = [
        b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream; charset=utf-8\r\n"
        b"cache-control: no-cache\r\ntransfer-encoding: chunked\r\n" + _REQUEST_ID + b"\r\n"
    ]
    for event in canned.stream_events(chunks):
        parts.append(b"%x\r\n%s\r\n" % (len(event), event))
    parts.append(b"0\r\n\r\n")
    return b"".join(parts)


def with_close(response: bytes) -> bytes:
    """The same response, announcing that the server closes the connection after it."""
    return response.replace(b"\r\n", b"\r\nconnection: close\r\n", 1)


def answer(request_line: bytes, body: bytes) -> bytes:
    """The response bytes for one request."""
    method, _, rest = request_line.partition(b" ")
    path = rest.partition(b" ")[0].partition(b"?")[0]
    if method == b"POST" and path.endswith(b"/chat/completions"):
        if not _STREAM_FLAG.search(body):
            return COMPLETION
        match = _CHUNKS_SEGMENT.search(path)
        chunks = int(match.group(1)) if match else canned.DEFAULT_CHUNKS
        return stream_response(min(max(chunks, 3), _MAX_CHUNKS))
    if method == b"GET" and path.endswith(b"/models"):
        return MODELS
    return NOT_FOUND


class BenchProtocol(asyncio.Protocol):
    """One connection: split the byte stream into requests, answer each with canned bytes."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        transport = self.transport
        assert transport is not None
        buf = self.buffer + data if self.buffer else data
        while True:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                break
            head = buf[:end].lower()
            length = 0
            at = head.find(b"\r\ncontent-length:")
            if at >= 0:
                stop = head.find(b"\r\n", at + 2)
                length = int(head[at + 17 : stop if stop >= 0 else None])
            elif b"\r\ntransfer-encoding:" in head:
                transport.write(BAD_REQUEST)
                transport.close()
                return
            total = end + 4 + length
            if len(buf) < total:
                break
            request_line = buf[: buf.find(b"\r\n")]
            response = answer(request_line, buf[end + 4 : total])
            buf = buf[total:]
            if _CLOSE_SEGMENT in request_line:
                transport.write(with_close(response))
                transport.close()
                return
            transport.write(response)
            if b"\r\nconnection: close" in head:
                transport.close()
                return
        self.buffer = buf

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None


def raise_fd_limit() -> None:
    """A thousand concurrent streams need more descriptors than some default soft limits."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def pin_to_cpu(cpu: int | None) -> None:
    """Keep this process on one CPU (Linux only; a no-op elsewhere or with one CPU)."""
    if cpu is None or not hasattr(os, "sched_setaffinity"):
        return
    if cpu in os.sched_getaffinity(0):
        os.sched_setaffinity(0, {cpu})


async def serve(host: str, port: int) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(BenchProtocol, host, port, backlog=4096)
    bound = server.sockets[0].getsockname()[1]
    print(f"PORT {bound}", flush=True)
    stop = loop.create_future()

    def stdin_ready() -> None:
        if not os.read(sys.stdin.fileno(), 4096) and not stop.done():
            stop.set_result(None)

    with contextlib.suppress(OSError, ValueError, NotImplementedError):
        loop.add_reader(sys.stdin.fileno(), stdin_ready)
    async with server:
        await stop


def server_cpu() -> int | None:
    """The last CPU this process may use, when there are at least two."""
    if not hasattr(os, "sched_getaffinity"):
        return None
    cpus = sorted(os.sched_getaffinity(0))
    return cpus[-1] if len(cpus) > 1 else None


@contextlib.contextmanager
def running_server(cpu: int | None = None) -> Iterator[str]:
    """Start the server in a child process; yield its root URL (``http://127.0.0.1:PORT``)."""
    command = [sys.executable, str(Path(__file__).resolve()), "--port", "0"]
    if cpu is not None:
        command += ["--cpu", str(cpu)]
    process = subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line.startswith("PORT "):
            raise RuntimeError(f"benchmark server did not start (said {line!r})")
        yield f"http://127.0.0.1:{int(line.split()[1])}"
    finally:
        if process.stdin is not None:
            process.stdin.close()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.terminate()
            process.wait(timeout=5)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--cpu", type=int, default=None, help="pin the server to this CPU")
    args = parser.parse_args(argv)
    raise_fd_limit()
    pin_to_cpu(args.cpu)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.host, args.port))


if __name__ == "__main__":
    main()
