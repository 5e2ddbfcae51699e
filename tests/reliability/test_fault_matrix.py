"""The fault matrix: every fault, through every path, over real loopback HTTP.

Each cell ends in the right answer or the right typed error: never a hang, a silent
truncation, or a ``KeyError``/``JSONDecodeError`` leaking out. Backoff waits are recorded (and
skipped) so the matrix is fast; ``test_retry_after_is_really_waited`` checks one real wait.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from email.utils import formatdate
from typing import Any

import pytest
from reliability_paths import ANSWER, CHAT_PATHS, PATHS, STREAM_PATHS, Path, core_sync_chat

from kimi_core import (
    APIConnectionError,
    APITimeoutError,
    BadRequestError,
    ContentFilterError,
    ContextLengthExceededError,
    InternalServerError,
    KimiError,
    MalformedResponseError,
    QuotaExceededError,
    StreamInterruptedError,
)

ids = [p.name for p in PATHS]
stream_ids = [p.name for p in STREAM_PATHS]
chat_ids = [p.name for p in CHAT_PATHS]


def _chat_requests(emu: Any) -> int:
    return sum(1 for r in emu.requests if r.path.endswith("/chat/completions"))


# -- 429 -----------------------------------------------------------------------------------
@pytest.mark.parametrize("path", PATHS, ids=ids)
def test_429_retry_after_seconds_then_success(
    path: Path, kimi_emulator: Any, sleeps: list[float]
) -> None:
    kimi_emulator.fail_next(429, retry_after=3)
    assert path.run(kimi_emulator.base_url) == ANSWER
    assert sleeps == [3.0]
    assert _chat_requests(kimi_emulator) == 2


@pytest.mark.parametrize("path", PATHS, ids=ids)
def test_429_retry_after_http_date_then_success(
    path: Path, kimi_emulator: Any, sleeps: list[float]
) -> None:
    kimi_emulator.fail_next(429, retry_after=formatdate(time.time() + 5, usegmt=True))
    assert path.run(kimi_emulator.base_url) == ANSWER
    assert len(sleeps) == 1
    assert 3.0 < sleeps[0] <= 5.0  # an HTTP date has whole seconds
    assert _chat_requests(kimi_emulator) == 2


@pytest.mark.parametrize("path", PATHS, ids=ids)
def test_quota_exceeded_is_not_retried(path: Path, kimi_emulator: Any, sleeps: list[float]) -> None:
    kimi_emulator.fail_next(
        429, error_type="exceeded_current_quota_error", message="Your account is suspended"
    )
    with pytest.raises(QuotaExceededError) as caught:
        path.run(kimi_emulator.base_url)
    assert caught.value.status == 429
    assert "suspended" in caught.value.message
    assert sleeps == []
    assert _chat_requests(kimi_emulator) == 1


def test_retry_after_is_really_waited(kimi_emulator: Any) -> None:
    kimi_emulator.fail_next(429, retry_after=1)
    started = time.monotonic()
    assert core_sync_chat(kimi_emulator.base_url) == ANSWER
    assert time.monotonic() - started >= 0.95


# -- 5xx -----------------------------------------------------------------------------------
@pytest.mark.parametrize("status", [500, 502, 503])
@pytest.mark.parametrize("path", PATHS, ids=ids)
def test_5xx_burst_shorter_than_max_retries_succeeds(
    path: Path, status: int, kimi_emulator: Any, sleeps: list[float]
) -> None:
    kimi_emulator.fail_next(status, times=2)
    assert path.run(kimi_emulator.base_url, max_retries=2) == ANSWER
    assert len(sleeps) == 2
    assert _chat_requests(kimi_emulator) == 3


@pytest.mark.parametrize("path", PATHS, ids=ids)
def test_a_504_is_never_resent(path: Path, kimi_emulator: Any, sleeps: list[float]) -> None:
    kimi_emulator.fail_next(504, times=1)
    with pytest.raises(InternalServerError) as caught:
        path.run(kimi_emulator.base_url, max_retries=2)
    assert caught.value.status == 504
    assert sleeps == []
    assert _chat_requests(kimi_emulator) == 1


@pytest.mark.parametrize("status", [500, 503])
@pytest.mark.parametrize("path", PATHS, ids=ids)
def test_5xx_burst_longer_than_max_retries_names_the_attempts(
    path: Path, status: int, kimi_emulator: Any, sleeps: list[float]
) -> None:
    kimi_emulator.fail_next(status, times=3)
    with pytest.raises(InternalServerError) as caught:
        path.run(kimi_emulator.base_url, max_retries=2)
    assert caught.value.status == status
    assert caught.value.attempts == 3
    assert "after 3 attempts" in str(caught.value)
    assert _chat_requests(kimi_emulator) == 3


@pytest.mark.parametrize("path", PATHS, ids=ids)
def test_html_error_page_from_a_proxy(path: Path, kimi_emulator: Any, sleeps: list[float]) -> None:
    page = "<html><body><h1>502 Bad Gateway</h1><p>nginx</p></body></html>"
    kimi_emulator.fail_next(502, body=page, times=3)
    with pytest.raises(InternalServerError) as caught:
        path.run(kimi_emulator.base_url, max_retries=2)
    assert "502 Bad Gateway" in caught.value.message
    assert caught.value.attempts == 3


# -- connection faults ----------------------------------------------------------------------
def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.mark.parametrize("path", PATHS, ids=ids)
def test_connection_refused_is_retried_then_typed(path: Path, sleeps: list[float]) -> None:
    with pytest.raises(APIConnectionError) as caught:
        path.run(f"http://127.0.0.1:{_closed_port()}/v1", max_retries=2)
    assert caught.value.attempts == 3
    assert len(sleeps) == 2


@pytest.fixture
def resetting_server() -> Iterator[tuple[str, list[int]]]:
    """A server that reads each request and resets the connection before any header."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.settimeout(0.2)
    accepted: list[int] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            accepted.append(1)
            conn.settimeout(2)
            with contextlib.suppress(OSError):
                conn.recv(65536)
            # SO_LINGER 0: close with a TCP RST instead of a clean FIN.
            conn.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
            )
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/v1", accepted
    finally:
        stop.set()
        thread.join(timeout=5)
        listener.close()


@pytest.mark.parametrize("path", PATHS, ids=ids)
def test_reset_after_the_request_is_not_retried(
    path: Path, resetting_server: tuple[str, list[int]], sleeps: list[float]
) -> None:
    # The server read the whole request: it may be generating, and billing, the answer.
    url, accepted = resetting_server
    with pytest.raises(APIConnectionError) as caught:
        path.run(url, max_retries=2)
    assert not isinstance(caught.value, APITimeoutError)
    assert (caught.value.attempts, caught.value.request_sent) == (1, True)
    assert len(accepted) == 1
    assert sleeps == []


@pytest.mark.parametrize("path", PATHS, ids=ids)
def test_reset_after_the_request_is_retried_with_retry_ambiguous(
    path: Path, resetting_server: tuple[str, list[int]], sleeps: list[float]
) -> None:
    url, accepted = resetting_server
    with pytest.raises(APIConnectionError) as caught:
        path.run(url, max_retries=2, retry_ambiguous=True)
    assert caught.value.attempts == 3
    assert len(accepted) == 3


@pytest.mark.parametrize("path", PATHS, ids=ids)
def test_read_timeout_is_not_retried_unless_asked(
    path: Path, kimi_emulator: Any, sleeps: list[float]
) -> None:
    kimi_emulator.delay_next(1.0, times=3)
    with pytest.raises(APITimeoutError) as caught:
        path.run(kimi_emulator.base_url, max_retries=1, timeout=0.2)
    assert (caught.value.attempts, caught.value.request_sent) == (1, True)
    assert sleeps == []
    assert _chat_requests(kimi_emulator) == 1
    with pytest.raises(APITimeoutError) as caught:
        path.run(kimi_emulator.base_url, max_retries=1, timeout=0.2, retry_ambiguous=True)
    assert caught.value.attempts == 2
    assert len(sleeps) == 1
    assert _chat_requests(kimi_emulator) == 3


# -- streams cut, garbage on the wire ----------------------------------------------------------
@pytest.mark.parametrize("abort", [False, True], ids=["clean-end", "tcp-abort"])
@pytest.mark.parametrize("path", STREAM_PATHS, ids=stream_ids)
def test_stream_cut_raises_with_the_text_so_far_and_is_not_retried(
    path: Path, abort: bool, kimi_emulator: Any, sleeps: list[float]
) -> None:
    kimi_emulator.cut_next_stream(after_events=3, abort=abort)
    with pytest.raises(StreamInterruptedError) as caught:
        path.run(kimi_emulator.base_url)
    assert caught.value.text
    assert ANSWER.startswith(caught.value.text)
    assert caught.value.text != ANSWER
    assert caught.value.events == 3
    assert sleeps == []
    assert _chat_requests(kimi_emulator) == 1


@pytest.mark.parametrize("path", CHAT_PATHS, ids=chat_ids)
@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"", "application/json"),
        (b'{"id": "x", "choices": [{"message": {"content": "trunc', "application/json"),
        (b"<html><body>Welcome to nginx!</body></html>", "text/html"),
        (b'["not", "an", "object"]', "application/json"),
        (b'{"choices": "nope"}', "application/json"),
    ],
    ids=["empty-200", "truncated-json", "html-200", "json-array", "wrong-shape"],
)
def test_bad_200_bodies_are_typed_errors(
    path: Path, body: bytes, content_type: str, kimi_emulator: Any, sleeps: list[float]
) -> None:
    kimi_emulator.raw_next(body, status=200, content_type=content_type)
    with pytest.raises(MalformedResponseError):
        path.run(kimi_emulator.base_url)


_GOOD = b'data: {"id":"c1","choices":[{"index":0,"delta":{"role":"assistant","content":"Hi"}}]}\n\n'


@pytest.mark.parametrize("path", STREAM_PATHS, ids=stream_ids)
@pytest.mark.parametrize(
    ("events", "error"),
    [
        ([_GOOD, b"data: {not json}\n\n"], MalformedResponseError),
        ([_GOOD, b'data: ["a list"]\n\n'], MalformedResponseError),
        ([_GOOD, b"dta: garbage line\n\nnonsense\n\n"], StreamInterruptedError),
        ([b": only a comment\n\n"], StreamInterruptedError),
        ([], StreamInterruptedError),
    ],
    ids=["chunk-not-json", "chunk-not-object", "malformed-lines", "comment-only", "empty-200"],
)
def test_bad_streams_are_typed_errors(
    path: Path,
    events: list[bytes],
    error: type[KimiError],
    kimi_emulator: Any,
    sleeps: list[float],
) -> None:
    kimi_emulator.raw_stream_next(events)
    with pytest.raises(error) as caught:
        path.run(kimi_emulator.base_url)
    if isinstance(caught.value, StreamInterruptedError) and events and events[0] is _GOOD:
        assert caught.value.text == "Hi"


@pytest.mark.parametrize("path", STREAM_PATHS, ids=stream_ids)
def test_html_page_instead_of_a_stream(path: Path, kimi_emulator: Any, sleeps: list[float]) -> None:
    kimi_emulator.raw_next(b"<html>Access denied</html>", status=200, content_type="text/html")
    with pytest.raises(MalformedResponseError):
        path.run(kimi_emulator.base_url)


# -- 400s from the API -------------------------------------------------------------------------
@pytest.mark.parametrize("path", PATHS, ids=ids)
def test_context_overflow_is_typed_with_message_and_trace_id(
    path: Path, kimi_emulator: Any
) -> None:
    with pytest.raises(ContextLengthExceededError) as caught:
        path.run(kimi_emulator.base_url, max_tokens=10_000_000)
    assert caught.value.status == 400
    assert caught.value.type == "invalid_request_error"
    assert caught.value.trace_id
    assert caught.value.message


@pytest.mark.parametrize("path", PATHS, ids=ids)
def test_content_filter_is_typed_with_message_and_trace_id(path: Path, kimi_emulator: Any) -> None:
    kimi_emulator.fail_next(
        400, error_type="content_filter", message="The request was rejected as high risk"
    )
    with pytest.raises(ContentFilterError) as caught:
        path.run(kimi_emulator.base_url)
    assert caught.value.message == "The request was rejected as high risk"
    assert caught.value.trace_id
    assert _chat_requests(kimi_emulator) == 1


@pytest.mark.parametrize("path", PATHS, ids=ids)
def test_bad_parameter_is_typed_and_not_retried(path: Path, kimi_emulator: Any) -> None:
    kimi_emulator.fail_next(400, message="Invalid request: the response_format is not supported")
    with pytest.raises(BadRequestError) as caught:
        path.run(kimi_emulator.base_url)
    assert "response_format is not supported" in caught.value.message
    assert caught.value.trace_id
    assert _chat_requests(kimi_emulator) == 1
