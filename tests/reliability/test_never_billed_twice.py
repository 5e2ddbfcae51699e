"""Issue 23, items 1 and 2: nothing billed is sent twice, whatever the connection did.

Item 1: a POST written on a *reused* keep-alive connection that the server read, acted on and
then closed without a word is indistinguishable, from the client, from one the server served
and crashed: it must not be sent again (chat, stream, fiber, batch create) unless
``retry_ambiguous=True``. Item 2: a ``POST /batches`` (or the upload before it) answered 502
after the backend did the work must not create a second batch (file): the job-key lookup runs
before any new create. Over real loopback HTTP; the batch tests put a proxy in front of the
emulator, so the emulator really creates what each forwarded request asks for.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable
from typing import Any

import pytest
from hostile import OK_BODY, response_bytes
from llama_index.core.llms import ChatMessage
from r3_support import EmulatorProxy, Request, RoutedServer, send_json

from kimi_core import (
    APIConnectionError,
    AsyncKimiClient,
    BatchSubmitError,
    KimiClient,
    KimiEmulator,
)
from langchain_kimi import ChatKimi
from llama_index_kimi import Kimi

KEY = "sk-never-twice"
ANSWER = "You said: ping"
REQUEST: dict[str, Any] = {
    "model": "kimi-k2.6",
    "messages": [{"role": "user", "content": "ping"}],
    "thinking": False,
}
WEB = "moonshot/web-search:latest"
FIBER_OK = {
    "id": "fiber-1",
    "status": "succeeded",
    "formula": WEB,
    "context": {"output": "search results"},
}
SSE = (
    b'data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"kimi-k2.6",'
    b'"choices":[{"index":0,"delta":{"role":"assistant","content":"You said: ping"}}]}\n\n'
    b'data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"kimi-k2.6",'
    b'"choices":[{"index":0,"delta":{},"finish_reason":"stop"}],'
    b'"usage":{"prompt_tokens":5,"completion_tokens":4,"total_tokens":9}}\n\n'
    b"data: [DONE]\n\n"
)


def serve(conn: socket.socket, request: Request) -> None:
    """A correct answer for each path the tests use."""
    if "/fibers" in request.path:
        send_json(conn, FIBER_OK)
    elif (request.json() or {}).get("stream"):
        conn.sendall(response_bytes(SSE, content_type="text/event-stream"))
    else:
        send_json(conn, OK_BODY)


def drops_the_second(conn: socket.socket, request: Request, number: int) -> bool:
    """Answer the first request and keep the connection; read the second on that reused
    connection, act on it, and close without answering; answer everything after."""
    if number == 2:
        return False
    serve(conn, request)
    return True


# -- item 1: a reused connection closed after the request was read -----------------------------


def _core_sync_chat(url: str, **options: Any) -> str:
    with KimiClient(api_key=KEY, base_url=url, **options) as client:
        first = client.chat(REQUEST).message.text
        assert first == ANSWER
        return client.chat(REQUEST).message.text


def _core_async_chat(url: str, **options: Any) -> str:
    async def run() -> str:
        async with AsyncKimiClient(api_key=KEY, base_url=url, **options) as client:
            assert (await client.chat(REQUEST)).message.text == ANSWER
            return (await client.chat(REQUEST)).message.text

    return asyncio.run(run())


def _core_sync_stream(url: str, **options: Any) -> str:
    with KimiClient(api_key=KEY, base_url=url, **options) as client:
        texts = []
        for _ in range(2):
            with client.chat_stream(REQUEST) as stream:
                for _chunk in stream:
                    pass
            texts.append(stream.text)
        return texts[-1]


def _chatkimi_invoke(url: str, **options: Any) -> str:
    llm = ChatKimi(model="kimi-k2.6", api_key=KEY, base_url=url, thinking=False, **options)
    try:
        assert llm.invoke("ping").content == ANSWER
        return str(llm.invoke("ping").content)
    finally:
        llm.close()


def _kimi_chat(url: str, **options: Any) -> str:
    llm = Kimi(model="kimi-k2.6", api_key=KEY, base_url=url, thinking=False, **options)
    messages = [ChatMessage(role="user", content="ping")]
    try:
        assert llm.chat(messages).message.content == ANSWER
        return str(llm.chat(messages).message.content)
    finally:
        llm.close()


def _fiber_sync(url: str, **options: Any) -> str:
    with KimiClient(api_key=KEY, base_url=url, **options) as client:
        assert client.formulas.run(WEB, "web_search", {"query": "a"}).content == "search results"
        return client.formulas.run(WEB, "web_search", {"query": "b"}).content


def _fiber_async(url: str, **options: Any) -> str:
    async def run() -> str:
        async with AsyncKimiClient(api_key=KEY, base_url=url, **options) as client:
            first = await client.formulas.run(WEB, "web_search", {"query": "a"})
            assert first.content == "search results"
            return (await client.formulas.run(WEB, "web_search", {"query": "b"})).content

    return asyncio.run(run())


BILLED_CALLS: list[tuple[str, Callable[..., str]]] = [
    ("core-sync-chat", _core_sync_chat),
    ("core-async-chat", _core_async_chat),
    ("core-sync-stream", _core_sync_stream),
    ("chatkimi-invoke", _chatkimi_invoke),
    ("kimi-chat", _kimi_chat),
    ("fiber-sync", _fiber_sync),
    ("fiber-async", _fiber_async),
]


@pytest.mark.parametrize(("name", "call"), BILLED_CALLS, ids=[n for n, _ in BILLED_CALLS])
def test_a_billed_post_dropped_on_a_reused_connection_is_not_sent_again(
    name: str, call: Callable[..., str], sleeps: list[float]
) -> None:
    outcome: Any
    with RoutedServer(drops_the_second) as server:
        try:
            outcome = call(server.url, max_retries=2)
        except APIConnectionError as exc:
            outcome = exc
    assert server.requests == 2, (
        f"{name}: the server read the request on a reused connection and may have acted on "
        f"it, yet it was sent again ({server.requests} requests; the caller got {outcome!r})"
    )
    assert isinstance(outcome, APIConnectionError)
    assert (outcome.request_sent, outcome.attempts) == (True, 1)
    assert sleeps == []


@pytest.mark.parametrize(("name", "call"), BILLED_CALLS[:2], ids=[n for n, _ in BILLED_CALLS[:2]])
def test_retry_ambiguous_still_resends_after_a_reused_connection_closed(
    name: str, call: Callable[..., str], sleeps: list[float]
) -> None:
    """Guard: the opt-in keeps working (passes today)."""
    with RoutedServer(drops_the_second) as server:
        assert call(server.url, max_retries=2, retry_ambiguous=True) == ANSWER
    assert server.requests == 3


def test_a_refused_connection_is_still_retried(sleeps: list[float]) -> None:
    """Guard: a request that provably never left (connect refused) is still retried (passes
    today)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with (
        KimiClient(api_key=KEY, base_url=f"http://127.0.0.1:{port}/v1", max_retries=2) as client,
        pytest.raises(APIConnectionError) as caught,
    ):
        client.chat(REQUEST)
    assert (caught.value.attempts, caught.value.request_sent) == (3, False)
    assert len(sleeps) == 2


# -- items 1 and 2: batch creation through a proxy in front of the emulator --------------------


def _submit_sync(url: str) -> str:
    with KimiClient(api_key=KEY, base_url=url, max_retries=2) as client:
        return client.batches.submit([REQUEST, REQUEST]).id


def _submit_async(url: str) -> str:
    async def run() -> str:
        async with AsyncKimiClient(api_key=KEY, base_url=url, max_retries=2) as client:
            return (await client.batches.submit([REQUEST, REQUEST])).id

    return asyncio.run(run())


SUBMITS = [("sync", _submit_sync), ("async", _submit_async)]


def _job_or_error(submit: Callable[[str], str], url: str) -> str | BatchSubmitError:
    try:
        return submit(url)
    except BatchSubmitError as exc:  # allowed: it names what exists, it created nothing more
        return exc


def _check_one_batch(emu: KimiEmulator, outcome: str | BatchSubmitError) -> None:
    created = [batch["id"] for batch in emu.batches]
    assert len(created) == 1, f"one submit created {len(created)} batches: {created}"
    if isinstance(outcome, BatchSubmitError):
        assert outcome.job_id == created[0]
    else:
        assert outcome == created[0]  # found by its job key, not created again


@pytest.mark.parametrize(("mode", "submit"), SUBMITS, ids=[m for m, _ in SUBMITS])
def test_batch_create_dropped_on_a_reused_connection_makes_one_batch(
    kimi_emulator: KimiEmulator, mode: str, submit: Callable[[str], str], sleeps: list[float]
) -> None:
    """The upload is answered (its connection kept), the create is read on that same
    connection, forwarded (the batch exists) and the connection closed unanswered."""

    def decide(request: Request, number: int) -> str:
        return "drop" if (request.method, request.path) == ("POST", "/v1/batches") else "pass"

    with EmulatorProxy(kimi_emulator, decide) as proxy:
        outcome = _job_or_error(submit, proxy.url)
    _check_one_batch(kimi_emulator, outcome)
    assert proxy.paths("POST").count("/v1/batches") == 1


@pytest.mark.parametrize("bad_gateways", [1, 2])
@pytest.mark.parametrize(("mode", "submit"), SUBMITS, ids=[m for m, _ in SUBMITS])
def test_batch_create_answered_502_after_it_was_created_makes_one_batch(
    kimi_emulator: KimiEmulator,
    mode: str,
    submit: Callable[[str], str],
    bad_gateways: int,
    sleeps: list[float],
) -> None:
    """Today one 502 made 2 batches and two 502s made 3, ``job.id`` naming the last."""
    creates = 0

    def decide(request: Request, number: int) -> str | int:
        nonlocal creates
        if (request.method, request.path) == ("POST", "/v1/batches"):
            creates += 1
            if creates <= bad_gateways:
                return 502
        return "pass"

    with EmulatorProxy(kimi_emulator, decide) as proxy:
        outcome = _job_or_error(submit, proxy.url)
    _check_one_batch(kimi_emulator, outcome)
    assert proxy.paths("POST").count("/v1/batches") == 1, "a new create was sent before the lookup"


@pytest.mark.parametrize(("mode", "submit"), SUBMITS, ids=[m for m, _ in SUBMITS])
def test_an_upload_answered_502_after_it_was_stored_leaves_one_file(
    kimi_emulator: KimiEmulator, mode: str, submit: Callable[[str], str], sleeps: list[float]
) -> None:
    """The upload was stored, then a proxy answered 502: no orphan duplicate file stays
    (look up before re-uploading, or delete the orphan)."""
    uploads = 0

    def decide(request: Request, number: int) -> str | int:
        nonlocal uploads
        if (request.method, request.path) == ("POST", "/v1/files"):
            uploads += 1
            if uploads == 1:
                return 502
        return "pass"

    with EmulatorProxy(kimi_emulator, decide) as proxy:
        job_id = submit(proxy.url)
    [batch] = kimi_emulator.batches
    assert job_id == batch["id"]
    files = [f["id"] for f in kimi_emulator.files if f["purpose"] == "batch"]
    assert files == [batch["input_file_id"]], f"orphan upload left behind: {files}"


def test_the_proxy_forwards_faithfully(kimi_emulator: KimiEmulator) -> None:
    """Guard for the helper: through the proxy, a submit makes exactly one batch."""
    with EmulatorProxy(kimi_emulator, lambda request, number: "pass") as proxy:
        job_id = _submit_sync(proxy.url)
    assert [b["id"] for b in kimi_emulator.batches] == [job_id]
    assert proxy.paths("POST") == ["/v1/files", "/v1/batches"]
