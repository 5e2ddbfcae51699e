"""Hostile loopback HTTP servers: raw sockets that misbehave in one exact way.

``HostileServer(behaviour)`` accepts connections on 127.0.0.1 and hands each request on
each connection to ``behaviour(conn, number)``; ``number`` counts every request the server
read (so a test can say "the server saw exactly one request": nothing was billed twice).
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any

Behaviour = Callable[[socket.socket, int], bool]
"""Answer one request; return True to keep the connection for another request."""

OK_BODY = {
    "id": "chatcmpl-hostile",
    "object": "chat.completion",
    "created": 1,
    "model": "kimi-k2.6",
    "choices": [
        {
            "index": 0,
            "message": {"role": "assistant", "content": "You said: ping"},
            "finish_reason": "stop",
        }
    ],
    "usage": {"prompt_tokens": 5, "completion_tokens": 4, "total_tokens": 9},
}


def read_request(conn: socket.socket) -> bytes | None:
    """One whole HTTP/1.1 request (headers and a Content-Length body), or None at EOF."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        body += chunk
    return head + b"\r\n\r\n" + body


def response_bytes(
    body: bytes, *, status: str = "200 OK", content_type: str = "application/json", **extra: str
) -> bytes:
    headers = [f"HTTP/1.1 {status}", f"content-type: {content_type}"]
    headers += [f"content-length: {len(body)}"]
    headers += [f"{name.replace('_', '-')}: {value}" for name, value in extra.items()]
    return ("\r\n".join(headers) + "\r\n\r\n").encode() + body


def ok_answer(conn: socket.socket) -> None:
    conn.sendall(response_bytes(json.dumps(OK_BODY).encode()))


def reset(conn: socket.socket) -> None:
    """Close with a TCP RST instead of a FIN (SO_LINGER 0)."""
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    conn.close()


class HostileServer:
    def __init__(self, behaviour: Behaviour) -> None:
        self.behaviour = behaviour
        self.requests = 0
        self.connections = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._listener = socket.socket()
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(64)
        self._listener.settimeout(0.1)
        self._threads: list[threading.Thread] = []
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}/v1"

    def __enter__(self) -> HostileServer:
        thread = threading.Thread(target=self._accept, daemon=True)
        thread.start()
        self._threads.append(thread)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=5)
        self._listener.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except OSError:
                continue
            with self._lock:
                self.connections += 1
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            thread.start()

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(10)
        with contextlib.suppress(OSError):
            while not self._stop.is_set():
                if read_request(conn) is None:
                    break
                with self._lock:
                    self.requests += 1
                    number = self.requests
                if not self.behaviour(conn, number):
                    break
        with contextlib.suppress(OSError):
            conn.close()


# -- behaviours ------------------------------------------------------------------------------


def close_without_response(conn: socket.socket, number: int) -> bool:
    return False


def reset_mid_body(conn: socket.socket, number: int) -> bool:
    body = json.dumps(OK_BODY).encode()
    head = response_bytes(body)[: -len(body)]
    conn.sendall(head + body[:20])
    time.sleep(0.05)
    reset(conn)
    return False


def stale_after_first(conn: socket.socket, number: int) -> bool:
    """Answer the first request and keep the connection; then read the next request on it
    and close without a word, as a server that had timed the idle connection out does.
    Every later connection is answered normally."""
    if number == 2:
        return False
    ok_answer(conn)
    return True


def trickle(interval: float, *, stream: bool) -> Behaviour:
    """Answer 200, then one byte (or one SSE keep-alive comment) every ``interval`` s."""

    def behaviour(conn: socket.socket, number: int) -> bool:
        if stream:
            conn.sendall(
                b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
                b"transfer-encoding: chunked\r\n\r\n"
            )
            first = b'data: {"id":"c","choices":[{"index":0,"delta":{"content":"Hi"}}]}\n\n'
            conn.sendall(b"%x\r\n%s\r\n" % (len(first), first))
            for _ in range(200):
                time.sleep(interval)
                piece = b": keep-alive\n\n"
                conn.sendall(b"%x\r\n%s\r\n" % (len(piece), piece))
        else:
            body = json.dumps(OK_BODY).encode()
            conn.sendall(response_bytes(body)[: -len(body)])
            for byte in body:
                time.sleep(interval)
                conn.sendall(bytes([byte]))
        return False

    return behaviour


def corrupt_gzip(*, stream: bool) -> Behaviour:
    def behaviour(conn: socket.socket, number: int) -> bool:
        conn.sendall(
            response_bytes(
                b"\x1f\x8b\x08\x00this is not gzip at all" * 4,
                content_type="text/event-stream" if stream else "application/json",
                content_encoding="gzip",
            )
        )
        return True

    return behaviour


def answer_with(payload: Any, *, content_type: str = "application/json") -> Behaviour:
    raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()

    def behaviour(conn: socket.socket, number: int) -> bool:
        conn.sendall(response_bytes(raw, content_type=content_type))
        return True

    return behaviour
