"""Issue 23, item 11 and two Low items: no error built from what a server sent carries the API
key, and no credentials from ``base_url`` travel with an error.

- a failed fiber whose error text echoes the key (``formulas.parse_fiber`` →
  ``FiberFailedError``) reaches the caller, and through ``KimiToolkit`` / ``KimiToolSpec`` the
  model driving the tools, unscrubbed;
- the raw ``body`` local of ``_send`` still holds an echoed key in the traceback's frames
  after the error itself was scrubbed;
- credentials inside ``base_url`` are visible through httpx's request (the error's cause).

Over real loopback HTTP (the emulator, ``RoutedServer``, a closed port).
"""

from __future__ import annotations

import asyncio
import json
import pickle
import socket
from collections.abc import Iterator
from types import TracebackType
from typing import Any

import pytest
from r3_support import Request, RoutedServer

from kimi_core import (
    APIConnectionError,
    AsyncKimiClient,
    AuthenticationError,
    FiberFailedError,
    KimiClient,
    KimiEmulator,
    KimiError,
)
from langchain_kimi import KimiToolkit
from llama_index_kimi import KimiToolSpec

SECRET = "sk-r3-scrub-0123456789abcdef"
WEB = "moonshot/web-search:latest"
ECHO = f"upstream refused key {SECRET} for this search"
REQUEST: dict[str, Any] = {
    "model": "kimi-k2.6",
    "messages": [{"role": "user", "content": "ping"}],
    "thinking": False,
}
PACKAGES = ("kimi_core", "langchain_kimi", "llama_index_kimi")


def assert_no_secret(error: BaseException) -> None:
    for text in (
        str(error),
        repr(error),
        getattr(error, "message", ""),
        getattr(error, "error", ""),
    ):
        assert SECRET not in str(text), f"the key is in {type(error).__name__}: {text}"
    body = getattr(error, "body", None)
    assert SECRET not in json.dumps(body, default=str), "the key is in the error's body"
    try:
        pickled = pickle.dumps(error)
    except Exception:  # not every error pickles; what does must not carry the key
        return
    assert SECRET.encode() not in pickled


# -- item 11: a failed fiber that echoes the key --------------------------------------------------


def test_a_failed_fiber_echoing_the_key_is_scrubbed(kimi_emulator: KimiEmulator) -> None:
    kimi_emulator.fail_next_fiber(ECHO)
    with (
        KimiClient(api_key=SECRET, base_url=kimi_emulator.base_url) as client,
        pytest.raises(FiberFailedError) as caught,
    ):
        client.formulas.run(WEB, "web_search", {"query": "kimi"})
    assert_no_secret(caught.value)
    assert "upstream refused key ***" in str(caught.value)
    assert caught.value.error == "upstream refused key *** for this search"


def test_a_failed_fiber_echoing_the_key_is_scrubbed_async(kimi_emulator: KimiEmulator) -> None:
    kimi_emulator.fail_next_fiber(ECHO)

    async def run() -> None:
        async with AsyncKimiClient(api_key=SECRET, base_url=kimi_emulator.base_url) as client:
            await client.formulas.run(WEB, "web_search", {"query": "kimi"})

    with pytest.raises(FiberFailedError) as caught:
        asyncio.run(run())
    assert_no_secret(caught.value)


def test_kimi_toolkit_never_hands_the_key_to_the_model(kimi_emulator: KimiEmulator) -> None:
    """With ``handle_tool_error=True`` the failure text becomes the tool message content:
    what the model (Moonshot's, or any other driving the toolkit) reads."""
    toolkit = KimiToolkit(formulas=[WEB], api_key=SECRET, base_url=kimi_emulator.base_url)
    try:
        [tool] = toolkit.get_tools()
        kimi_emulator.fail_next_fiber(ECHO)
        message = tool.invoke(
            {"name": tool.name, "args": {"query": "kimi"}, "id": "call-1", "type": "tool_call"}
        )
    finally:
        toolkit.close()
    assert "upstream refused key" in str(message.content)  # the failure did reach the model
    assert SECRET not in str(message.content)
    assert SECRET not in repr(message)


def test_kimi_tool_spec_never_hands_the_key_to_the_model(kimi_emulator: KimiEmulator) -> None:
    """LlamaIndex agents hand ``str(error)`` of a failing tool to the model."""
    spec = KimiToolSpec([WEB], api_key=SECRET, base_url=kimi_emulator.base_url)
    try:
        [tool] = spec.to_tool_list()
        kimi_emulator.fail_next_fiber(ECHO)
        with pytest.raises(KimiError) as caught:
            tool.call(query="kimi")
        kimi_emulator.fail_next_fiber(ECHO)
        with pytest.raises(KimiError) as caught_async:
            asyncio.run(tool.acall(query="kimi"))
    finally:
        spec.close()
    for error in (caught.value, caught_async.value):
        assert "upstream refused key" in str(error)
        assert_no_secret(error)


# -- Low: the raw body local of _send --------------------------------------------------------------


def _package_frames(trace: TracebackType | None) -> Iterator[tuple[str, str, dict[str, Any]]]:
    while trace is not None:
        frame = trace.tb_frame
        filename = frame.f_code.co_filename
        if any(f"/{package}/" in filename for package in PACKAGES):
            yield filename, frame.f_code.co_name, dict(frame.f_locals)
        trace = trace.tb_next


def _holding_the_key(error: BaseException) -> list[str]:
    found = []
    for filename, function, local_vars in _package_frames(error.__traceback__):
        for name, value in local_vars.items():
            where = "/".join(filename.rsplit("/", 2)[-2:])
            raw = value.encode() if isinstance(value, str) else value
            if isinstance(raw, bytes | bytearray) and SECRET.encode() in raw:
                found.append(f"{where}:{function}: local {name!r}")
    return found


def _echoes_the_key(conn: socket.socket, request: Request, number: int) -> bool:
    from hostile import response_bytes

    body = json.dumps(
        {"error": {"type": "invalid_authentication_error", "message": f"bad key {SECRET}"}}
    ).encode()
    conn.sendall(response_bytes(body, status="401 Unauthorized"))
    return True


def test_no_frame_of_the_error_holds_the_echoed_key() -> None:
    with (
        RoutedServer(_echoes_the_key) as server,
        KimiClient(api_key=SECRET, base_url=server.url, max_retries=0) as client,
        pytest.raises(AuthenticationError) as caught,
    ):
        client.chat(REQUEST)
    assert_no_secret(caught.value)
    assert _holding_the_key(caught.value) == []


def test_no_frame_of_the_error_holds_the_echoed_key_async() -> None:
    async def run(url: str) -> None:
        async with AsyncKimiClient(api_key=SECRET, base_url=url, max_retries=0) as client:
            await client.chat(REQUEST)

    with RoutedServer(_echoes_the_key) as server, pytest.raises(AuthenticationError) as caught:
        asyncio.run(run(server.url))
    assert_no_secret(caught.value)
    assert _holding_the_key(caught.value) == []


# -- Low: credentials inside base_url through httpx's request on errors ----------------------------


def _chain(error: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def _closes(conn: socket.socket, request: Request, number: int) -> bool:
    return False


@pytest.mark.parametrize("where", ["refused", "closed-unanswered"])
def test_credentials_in_base_url_are_in_no_error_of_the_chain(where: str) -> None:
    server: RoutedServer | None = None
    if where == "refused":
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            address = f"127.0.0.1:{sock.getsockname()[1]}"
    else:
        server = RoutedServer(_closes).__enter__()
        address = server.url.split("//")[1].split("/")[0]
    try:
        url = f"http://alice:hunter2@{address}/v1"
        with (
            KimiClient(api_key=SECRET, base_url=url, max_retries=0) as client,
            pytest.raises(APIConnectionError) as caught,
        ):
            client.chat(REQUEST)
    finally:
        if server is not None:
            server.__exit__(None, None, None)
    for error in _chain(caught.value):
        request = getattr(error, "_request", None) or getattr(error, "request", None)
        for text in (str(error), repr(error), repr(request)):
            assert "hunter2" not in text, f"{type(error).__name__} shows the password: {text}"


# -- item 11: an error event mid-stream that echoes the key ------------------------------------


def _error_event(conn: socket.socket, request: Request, number: int) -> bool:
    from hostile import response_bytes

    events = (
        b'data: {"id":"c","choices":[{"index":0,"delta":{"content":"Hi"}}]}\n\n'
        b'data: {"error":{"type":"invalid_request_error","message":"bad key '
        + SECRET.encode()
        + b'"}}\n\n'
    )
    conn.sendall(response_bytes(events, content_type="text/event-stream"))
    return True


def _read_stream(client: KimiClient) -> None:
    with client.chat_stream(REQUEST) as stream:
        for _ in stream:
            pass


def test_an_error_event_echoing_the_key_is_scrubbed() -> None:
    with (
        RoutedServer(_error_event) as server,
        KimiClient(api_key=SECRET, base_url=server.url, max_retries=0) as client,
        pytest.raises(KimiError) as caught,
    ):
        _read_stream(client)
    assert "bad key ***" in str(caught.value)
    assert_no_secret(caught.value)


def test_an_error_event_echoing_the_key_is_scrubbed_async() -> None:
    async def run(url: str) -> None:
        async with AsyncKimiClient(api_key=SECRET, base_url=url, max_retries=0) as client:
            stream = await client.chat_stream(REQUEST)
            async for _ in stream:
                pass

    with RoutedServer(_error_event) as server, pytest.raises(KimiError) as caught:
        asyncio.run(run(server.url))
    assert "bad key ***" in str(caught.value)
    assert_no_secret(caught.value)
