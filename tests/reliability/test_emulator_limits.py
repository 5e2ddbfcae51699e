"""Issue 23, item 12: the emulator checks the key before it reads a body, caps the body size,
and keeps a bounded request log.

Today it reads, parses and records every request body before checking ``--api-key``: a 1 GB
unauthenticated body peaked at +2.1 GB, and 10 × 30 MB unauthenticated bodies stayed in
memory for ever (``kimi_core/emulator/app.py``, ``EmulatorApp.prelude``). Over raw loopback
sockets, so a test can send a request's head without (all of) its body.

API the fix adds, named here: ``KimiEmulator(request_log_size=N)``, the size of the request
log's ring buffer.
"""

from __future__ import annotations

import contextlib
import gc
import json
import socket
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import pytest

from kimi_core import KimiEmulator

RIGHT = "sk-emulator-right-key"
WRONG = "sk-emulator-wrong-key"
LIMIT = 100 * 1024 * 1024  # Moonshot's documented request limit (100 MB)


def _head(emu: KimiEmulator, key: str, length: int) -> bytes:
    return (
        f"POST /v1/chat/completions HTTP/1.1\r\nhost: 127.0.0.1:{emu.port}\r\n"
        f"authorization: Bearer {key}\r\ncontent-type: application/json\r\n"
        f"content-length: {length}\r\n\r\n"
    ).encode()


def _answer(sock: socket.socket, within: float) -> tuple[int, Any] | None:
    """The status and JSON body of the answer, or None when none came within ``within`` s."""
    sock.settimeout(within)
    data = b""
    try:
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                return None
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        while len(body) < length:
            chunk = sock.recv(65536)
            if not chunk:
                break
            body += chunk
    except (TimeoutError, OSError):
        return None
    status = int(head.split(b" ", 2)[1])
    try:
        return status, json.loads(body)
    except ValueError:
        return status, body


def _send_head_only(emu: KimiEmulator, key: str, length: int, within: float) -> Any:
    """Send the head and 1 KB of a ``length``-byte body; the answer, if any came."""
    with socket.create_connection(("127.0.0.1", emu.port), timeout=5) as sock:
        sock.sendall(_head(emu, key, length) + b'{"model":"kimi-k2.6","x":"' + b"a" * 1024)
        return _answer(sock, within)


@pytest.fixture
def emu(kimi_emulator_factory: Callable[..., KimiEmulator]) -> KimiEmulator:
    return kimi_emulator_factory(api_key=RIGHT)


def test_an_unauthenticated_request_is_refused_before_its_body_is_read(
    emu: KimiEmulator,
) -> None:
    """A 50 MB body announced with a wrong key: 401 at once, without waiting for the body
    (today the emulator waits to read all of it, then checks the key)."""
    started = time.monotonic()
    answer = _send_head_only(emu, WRONG, 50_000_000, within=3.0)
    assert answer is not None, "no answer: the emulator waits for the whole unauthenticated body"
    status, body = answer
    assert status == 401
    assert body["error"]["type"] == "invalid_authentication_error"
    assert time.monotonic() - started < 3.0


def test_unauthenticated_bodies_are_not_kept_in_memory(emu: KimiEmulator) -> None:
    """Five 10 MB bodies with a wrong key: each answered 401, and none kept (today each is
    parsed and stays in the request log for ever)."""
    payload = b'{"model":"kimi-k2.6","messages":[],"blob":"' + b"a" * 10_000_000 + b'"}'
    gc.collect()
    tracemalloc.start()
    try:
        start = tracemalloc.get_traced_memory()[0]
        for _ in range(5):
            with socket.create_connection(("127.0.0.1", emu.port), timeout=10) as sock:
                with contextlib.suppress(OSError):  # a server that answered early may close
                    sock.sendall(_head(emu, WRONG, len(payload)) + payload)
                answer = _answer(sock, within=10.0)
            assert answer is not None
            assert answer[0] == 401
        time.sleep(0.1)
        gc.collect()
        kept = tracemalloc.get_traced_memory()[0] - start
    finally:
        tracemalloc.stop()
    assert kept < 5_000_000, f"the emulator keeps {kept / 1e6:.0f} MB of unauthenticated bodies"
    assert all(r.json is None or "blob" not in r.json for r in emu.requests)


def test_a_body_over_the_request_limit_is_refused_from_its_length(emu: KimiEmulator) -> None:
    """A body announced over 100 MB is answered with Moonshot's 400-class error at once
    (cap before reading), not read into memory."""
    answer = _send_head_only(emu, RIGHT, LIMIT + 1, within=3.0)
    assert answer is not None, "no answer: the emulator waits to read a body over 100 MB"
    status, body = answer
    assert status in (400, 413)
    assert isinstance(body, dict)
    assert body["error"]["type"] == "invalid_request_error"
    assert body["error"]["message"]


def test_the_request_log_is_a_ring_buffer_of_configurable_size(
    kimi_emulator_factory: Callable[..., KimiEmulator],
) -> None:
    try:
        emu = kimi_emulator_factory(request_log_size=5)  # API the fix adds
    except TypeError as exc:
        pytest.fail(f"KimiEmulator has no request_log_size= option yet ({exc})")
    for n in range(12):
        with socket.create_connection(("127.0.0.1", emu.port), timeout=5) as sock:
            sock.sendall(
                f"GET /v1/models?n={n} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n".encode()
            )
            assert _answer(sock, within=5.0) is not None
    assert [r.query.get("n") for r in emu.requests] == ["7", "8", "9", "10", "11"]
