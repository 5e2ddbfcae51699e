"""Helpers of the issue-23 regression tests ("reliability, round three").

- ``RoutedServer``: a ``hostile.HostileServer`` whose behaviour sees each parsed request
  (method, path, body, arrival time), with a log of them and a count of the connections still
  open on the server side;
- ``json_routes``: a behaviour answering fixed JSON (or bytes) by method and path;
- ``EmulatorProxy``: a loopback proxy in front of a ``KimiEmulator`` that forwards each
  request (so the emulator really acts on it: creates the batch, stores the file) and then
  answers, drops or replaces the answer as the test says;
- ``OwnRedis``: a ``redis-server`` of the test's own, to pause (SIGSTOP), kill or stop;
- ``live_leases`` / ``redis_limiter`` / ``new_api``: what the Redis and new-API tests share;
- ``open_fds``: the process's open file descriptors (``/proc/self/fd``).

Everything here goes through public names (``kimi_core.__all__``, the documented
``kimi_core.ratelimit_redis.RedisRateLimiter``) or the wire; where a test needs an API the
fix adds, ``new_api`` / ``redis_limiter`` look it up by name so the test fails clearly (not
at import) until it exists.
"""

from __future__ import annotations

import contextlib
import http.client
import importlib
import inspect
import json
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest
from hostile import HostileServer, response_bytes

import kimi_core

__all__ = [
    "EmulatorProxy",
    "OwnRedis",
    "Request",
    "RoutedServer",
    "json_routes",
    "live_leases",
    "new_api",
    "open_fds",
    "read_http_request",
    "redis_limiter",
    "redis_limiter_class",
]


def new_api(name: str) -> Any:
    """``kimi_core.<name>`` if the package exports it yet, else None (an API the fix adds)."""
    return getattr(kimi_core, name, None)


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


# -- a server that sees the requests ---------------------------------------------------------


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    at: float = field(default_factory=time.time)

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


def _recv_until(conn: socket.socket, data: bytes, marker: bytes) -> bytes | None:
    while marker not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        data += chunk
    return data


def read_http_request(conn: socket.socket) -> Request | None:
    """One HTTP/1.1 request (a Content-Length or a chunked body); None at EOF."""
    data = _recv_until(conn, b"", b"\r\n\r\n")
    if data is None:
        return None
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, path, _ = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = b""
        while True:
            got = _recv_until(conn, rest, b"\r\n")
            if got is None:
                return None
            size_line, _, rest = got.partition(b"\r\n")
            size = int(size_line.split(b";")[0], 16)
            while len(rest) < size + 2:
                chunk = conn.recv(65536)
                if not chunk:
                    return None
                rest += chunk
            body += rest[:size]
            rest = rest[size + 2 :]
            if size == 0:
                break
    else:
        length = int(headers.get("content-length") or 0)
        body = rest
        while len(body) < length:
            chunk = conn.recv(65536)
            if not chunk:
                return None
            body += chunk
    return Request(method, path, headers, body)


RoutedBehaviour = Callable[[socket.socket, Request, int], bool]


class RoutedServer(HostileServer):
    """``HostileServer`` whose behaviour is ``behaviour(conn, request, number)``.

    ``log``: every request read, in order; ``open_connections``: connections the client has
    not closed yet (the server keeps each open until the client closes it)."""

    def __init__(self, behaviour: RoutedBehaviour) -> None:
        super().__init__(lambda conn, number: False)
        self.routed = behaviour
        self.log: list[Request] = []
        self.open_connections = 0

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(30)
        with self._lock:
            self.open_connections += 1
        try:
            with contextlib.suppress(OSError, ValueError):
                while not self._stop.is_set():
                    request = read_http_request(conn)
                    if request is None:
                        break
                    with self._lock:
                        self.requests += 1
                        number = self.requests
                        self.log.append(request)
                    if not self.routed(conn, request, number):
                        break
        finally:
            with self._lock:
                self.open_connections -= 1
            with contextlib.suppress(OSError):
                conn.close()

    def paths(self, method: str | None = None) -> list[str]:
        with self._lock:
            return [r.path for r in self.log if method is None or r.method == method]

    def wait_open_connections(self, at_most: int, within: float) -> int:
        """The open connections once at most ``at_most`` remain, or after ``within`` s."""
        deadline = time.monotonic() + within
        while self.open_connections > at_most and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.open_connections


def send_json(conn: socket.socket, payload: Any, status: str = "200 OK") -> None:
    raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    conn.sendall(response_bytes(raw, status=status))


def json_routes(routes: Mapping[tuple[str, str], Any]) -> RoutedBehaviour:
    """Answer ``routes[(method, path)]`` (a JSON value, or raw bytes; a callable gets the
    request); the path may end with ``*`` to match a prefix. Anything else: a 404 body."""

    def behaviour(conn: socket.socket, request: Request, number: int) -> bool:
        for (method, path), answer in routes.items():
            hit = request.path.startswith(path[:-1]) if path.endswith("*") else request.path == path
            if method == request.method and hit:
                value = answer(request) if callable(answer) else answer
                send_json(conn, value)
                return True
        send_json(
            conn,
            {"error": {"type": "resource_not_found_error", "message": "not found"}},
            status="404 Not Found",
        )
        return True

    return behaviour


# -- a proxy in front of the emulator ----------------------------------------------------------

Decision = str | int
"""``"pass"``: forward and answer; ``"drop"``: forward, then close without answering (the
server acted, the answer is lost); an int: forward, then answer that HTTP status (a 502 from
a proxy whose backend did the work)."""

_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}


class EmulatorProxy(RoutedServer):
    """Forwards every request to ``emulator`` (a started ``KimiEmulator``); ``decide(request,
    number)`` says what the client gets back. ``url`` is the proxy's base URL (``/v1``)."""

    def __init__(self, emulator: Any, decide: Callable[[Request, int], Decision]) -> None:
        super().__init__(self._forward)
        self.emulator = emulator
        self.decide = decide

    def _forward(self, conn: socket.socket, request: Request, number: int) -> bool:
        upstream = http.client.HTTPConnection(self.emulator.host, self.emulator.port, timeout=30)
        try:
            headers = {k: v for k, v in request.headers.items() if k not in _HOP}
            headers["content-length"] = str(len(request.body))
            upstream.request(request.method, request.path, body=request.body, headers=headers)
            answer = upstream.getresponse()
            body = answer.read()
            status = f"{answer.status} {answer.reason}"
            content_type = answer.getheader("content-type") or "application/json"
        finally:
            upstream.close()
        decision = self.decide(request, number)
        if decision == "drop":
            return False
        if isinstance(decision, int) and not isinstance(decision, bool):
            page = b"<html><body><h1>502 Bad Gateway</h1></body></html>"
            conn.sendall(
                response_bytes(page, status=f"{decision} Bad Gateway", content_type="text/html")
            )
            return True
        conn.sendall(response_bytes(body, status=status, content_type=content_type))
        return True


# -- Redis -------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def closed_port_url() -> str:
    """A Redis URL where nothing listens (a connection is refused at once)."""
    return f"redis://127.0.0.1:{_free_port()}/0"


class OwnRedis:
    """A ``redis-server`` of one test's own: it may be paused (SIGSTOP) or killed without
    touching the session's server. ``stop()`` always resumes it first."""

    def __init__(self, workdir: str) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            if os.environ.get("CI"):
                pytest.fail("redis-server is missing in CI: .ci/run should have installed it")
            pytest.skip("redis-server is not installed")
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", workdir],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    break
            except OSError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    self.process.kill()
                    raise RuntimeError("redis-server did not start") from None
                time.sleep(0.02)

    def pause(self) -> None:
        os.kill(self.process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGCONT)

    def kill(self) -> None:
        self.resume()
        self.process.kill()
        self.process.wait(timeout=5)

    def stop(self) -> None:
        self.resume()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()


def live_leases(url: str, name: str) -> int:
    """Unexpired concurrency leases a ``RedisRateLimiter`` named ``name`` holds in Redis:
    the members, scored by expiry in the server's time, of every sorted set whose key
    names the limiter and its leases."""
    import redis

    client = redis.Redis.from_url(url, socket_timeout=5)
    try:
        seconds, micros = client.time()
        now = seconds + micros / 1e6
        total = 0
        for key in client.scan_iter(match=f"*{name}*"):
            if b"lease" in key and client.type(key) == b"zset":
                total += client.zcount(key, f"({now}", "+inf")
        return total
    finally:
        client.close()


REDIS_LIMITER_MODULES = ("kimi_core.limits.redis_limiter", "kimi_core.ratelimit_redis")
"""Where ``RedisRateLimiter`` is documented: the new home first (the issue-22 restructuring),
then today's path (deprecated there, still working). The one place to re-point."""


def redis_limiter_class() -> Any:
    for name in REDIS_LIMITER_MODULES:
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        return module.RedisRateLimiter
    raise ImportError(f"RedisRateLimiter is in none of {REDIS_LIMITER_MODULES}")


def redis_limiter(
    limits: Any,
    url: str,
    *,
    name: str,
    redis_timeout: float | None = None,
    fail_open: bool | None = None,
    **kwargs: Any,
) -> Any:
    """A ``RedisRateLimiter``. ``redis_timeout``: the bound on one Redis round trip / on
    how long ``acquire`` may wait for a dead Redis (API the fix adds: ``redis_timeout=``;
    left out while the class has no such parameter, so the test then shows today's
    unbounded wait). ``fail_open``: API the fix adds (``fail_open=``); a test that asks
    for it fails clearly while it does not exist."""
    RedisRateLimiter = redis_limiter_class()
    parameters = inspect.signature(RedisRateLimiter).parameters
    if redis_timeout is not None and "redis_timeout" in parameters:
        kwargs["redis_timeout"] = redis_timeout
    if fail_open is not None:
        if "fail_open" not in parameters:
            pytest.fail(
                "RedisRateLimiter has no fail_open= option yet (API the fix adds: fail closed "
                "by default, fail open when asked)"
            )
        kwargs["fail_open"] = fail_open
    return RedisRateLimiter(limits, url, name=name, **kwargs)


def run_in_thread(call: Callable[[], Any], within: float) -> tuple[bool, Any, BaseException | None]:
    """Run ``call`` on a daemon thread for at most ``within`` s: ``(finished, result,
    error)``. A call still blocked is left behind (the test then frees what blocks it)."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["result"] = call()
        except BaseException as exc:  # reported to the test, not raised in the thread
            box["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(within)
    return (not thread.is_alive(), box.get("result"), box.get("error"))
