"""Issue 23, the Low items not covered by the other round-three files: deeply nested JSON,
one formula declaring a tool name twice, requests that take no rate-limiter lease, pickles
keeping credentials from ``default_headers``, ``files.upload`` of a string that is not a path,
and a usage whose counts are not numbers.

(Elsewhere: the upload failure message, ``on_submit`` raising and ``results()`` memory in
``test_batch_results_hostile.py``; the Redis RPM stamp in ``test_redis_limiter_faults.py``; the
``_send`` body local and ``base_url`` credentials in ``test_scrubbing.py``.)

Over real loopback HTTP (``RoutedServer`` and the emulator) unless the check happens before
anything is sent.
"""

from __future__ import annotations

import asyncio
import json
import pickle
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path as FilePath
from typing import Any

import pytest
from hostile import OK_BODY, response_bytes
from r3_support import Request, RoutedServer, json_routes, send_json
from reliability_paths import PATHS, STREAM_PATHS, Path

from kimi_core import (
    InvalidParameterError,
    KimiClient,
    KimiEmulator,
    KimiError,
    MalformedResponseError,
    RateLimiter,
    RateLimits,
)
from langchain_kimi import ChatKimi, KimiToolkit
from llama_index_kimi import Kimi, KimiToolSpec

KEY = "sk-low-items"
SECRET = "sk-low-items-header-secret-42"
REQUEST: dict[str, Any] = {
    "model": "kimi-k2.6",
    "messages": [{"role": "user", "content": "ping"}],
    "thinking": False,
}
DEEP = b"[" * 100_000 + b"]" * 100_000  # json.loads: RecursionError


def ids(path: Path) -> str:
    return path.name


def outcome_of(call: Callable[[], Any]) -> Any:
    """What ``call()`` returned, or the exception it raised."""
    try:
        return call()
    except Exception as exc:
        return exc


# -- deeply nested JSON -------------------------------------------------------------------------


def _deep_answers(conn: socket.socket, request: Request, number: int) -> bool:
    if (request.json() or {}).get("stream"):
        events = (
            b'data: {"id":"c","choices":[{"index":0,"delta":{"content":"Hi"}}]}\n\n'
            b"data: " + DEEP + b"\n\ndata: [DONE]\n\n"
        )
        conn.sendall(response_bytes(events, content_type="text/event-stream"))
    else:
        conn.sendall(response_bytes(DEEP))
    return True


@pytest.mark.parametrize("path", PATHS, ids=ids)
def test_deeply_nested_json_is_a_malformed_response(path: Path) -> None:
    """Today: a raw ``RecursionError`` from ``json.loads`` on every path."""
    with RoutedServer(_deep_answers) as server:
        try:
            answer = path.run(server.url, max_retries=0)
        except MalformedResponseError:
            return
        except RecursionError as exc:
            pytest.fail(f"{path.name}: a raw RecursionError ({exc})")
    pytest.fail(f"{path.name}: a nested JSON array was read as an answer ({answer!r})")


def test_a_deeply_nested_error_body_is_a_typed_error() -> None:
    def deep_500(conn: socket.socket, request: Request, number: int) -> bool:
        conn.sendall(response_bytes(b'{"error":' + DEEP + b"}", status="500 Internal Server Error"))
        return True

    with (
        RoutedServer(deep_500) as server,
        KimiClient(api_key=KEY, base_url=server.url, max_retries=0) as client,
    ):
        outcome = outcome_of(lambda: client.chat(REQUEST))
    assert not isinstance(outcome, RecursionError), f"a raw RecursionError ({outcome})"
    assert isinstance(outcome, KimiError), f"a 500 answer gave {outcome!r}"
    assert getattr(outcome, "status", 500) == 500


def test_a_deeply_nested_fiber_answer_is_a_malformed_response() -> None:
    routes = json_routes({("POST", "/v1/formulas/*"): DEEP})
    with (
        RoutedServer(routes) as server,
        KimiClient(api_key=KEY, base_url=server.url, max_retries=0) as client,
    ):
        try:
            fiber = client.formulas.run("moonshot/date:latest", "date", "{}")
        except MalformedResponseError:
            return
        except RecursionError as exc:
            pytest.fail(f"a raw RecursionError ({exc})")
    pytest.fail(f"a nested JSON array was read as a fiber ({fiber!r})")


def test_a_deeply_nested_batch_result_line_is_typed(kimi_emulator: KimiEmulator) -> None:
    with KimiClient(api_key=KEY, base_url=kimi_emulator.base_url, max_retries=0) as client:
        job = client.batches.submit([REQUEST | {"messages": [{"role": "user", "content": "a"}]}])
        job.wait()
        good = kimi_emulator.file_bytes(job.batches[0].output_file_id or "").splitlines()
        kimi_emulator.raw_next(b"\n".join([*good, b'{"custom_id":' + DEEP + b"}"]) + b"\n")
        try:
            job.results(return_exceptions=True)
        except MalformedResponseError:
            pass  # typed (item 7 asks more: report the line, return the rest)
        except RecursionError as exc:
            pytest.fail(f"a raw RecursionError ({exc})")


# -- one formula declaring the same tool name twice ---------------------------------------------

DUP = "acme/dup:latest"


def _function(name: str, description: str) -> dict[str, Any]:
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": description,
            "parameters": {"type": "object", "properties": {}},
        },
    }


def _formulas_api() -> Any:
    return json_routes(
        {
            ("GET", f"/v1/formulas/{DUP}/tools"): {
                "object": "list",
                "tools": [_function("lookup", "first"), _function("lookup", "second")],
            },
            ("GET", "/v1/formulas/acme/one:latest/tools"): {
                "object": "list",
                "tools": [_function("shared", "one")],
            },
            ("GET", "/v1/formulas/acme/two:latest/tools"): {
                "object": "list",
                "tools": [_function("shared", "two")],
            },
        }
    )


def test_one_formula_declaring_a_tool_name_twice_is_refused_by_kimi_toolkit() -> None:
    with RoutedServer(_formulas_api()) as server:
        toolkit = KimiToolkit(formulas=[DUP], api_key=KEY, base_url=server.url)
        try:
            with pytest.raises(InvalidParameterError, match="lookup"):
                toolkit.get_tools()
            with pytest.raises(InvalidParameterError, match="lookup"):
                asyncio.run(toolkit.aget_tools())
        finally:
            toolkit.close()


def test_one_formula_declaring_a_tool_name_twice_is_refused_by_kimi_tool_spec() -> None:
    with RoutedServer(_formulas_api()) as server:
        spec = KimiToolSpec([DUP], api_key=KEY, base_url=server.url)
        try:
            with pytest.raises(InvalidParameterError, match="lookup"):
                spec.to_tool_list()
            with pytest.raises(InvalidParameterError, match="lookup"):
                asyncio.run(spec.to_tool_list_async())
        finally:
            spec.close()


def test_a_tool_name_two_formulas_share_is_refused() -> None:
    """Guard: the clash across formulas is refused today (the rule to extend)."""
    with RoutedServer(_formulas_api()) as server:
        toolkit = KimiToolkit(
            formulas=["acme/one:latest", "acme/two:latest"], api_key=KEY, base_url=server.url
        )
        try:
            with pytest.raises(InvalidParameterError, match="shared"):
                toolkit.get_tools()
        finally:
            toolkit.close()


# -- token counting, fibers, files and batches take a lease ---------------------------------------


def _count_tokens(client: KimiClient, emu: KimiEmulator) -> Callable[[], Any]:
    return lambda: client.count_tokens("kimi-k2.6", [{"role": "user", "content": "hello"}])


def _fiber(client: KimiClient, emu: KimiEmulator) -> Callable[[], Any]:
    return lambda: client.formulas.run("moonshot/web-search:latest", "web_search", {"query": "q"})


def _upload(client: KimiClient, emu: KimiEmulator) -> Callable[[], Any]:
    return lambda: client.files.upload(b"some text", filename="notes.txt")


def _create_batch(client: KimiClient, emu: KimiEmulator) -> Callable[[], Any]:
    body = {"model": "kimi-k2.6", "messages": [{"role": "user", "content": "a"}]}
    line = {"custom_id": "request-0", "method": "POST", "url": "/v1/chat/completions", "body": body}
    uploaded = client.files.upload(
        (json.dumps(line) + "\n").encode(), "batch", filename="in.jsonl"
    )  # before the slot is taken
    return lambda: client.batches.create(uploaded.id)


LEASED = {
    "count-tokens": (_count_tokens, "/v1/tokenizers/estimate-token-count"),
    "fiber": (_fiber, "/v1/formulas/moonshot/web-search:latest/fibers"),
    "file-upload": (_upload, "/v1/files"),
    "batch-create": (_create_batch, "/v1/batches"),
}


@pytest.mark.parametrize("operation", list(LEASED))
def test_every_billed_or_counted_request_takes_a_limiter_lease(
    kimi_emulator: KimiEmulator, operation: str
) -> None:
    """With ``concurrency=1`` and the only slot held, the request waits for it (today it
    goes out at once: these requests bypass the limiter)."""
    make, path = LEASED[operation]
    limiter = RateLimiter(RateLimits(concurrency=1))
    with KimiClient(
        api_key=KEY, base_url=kimi_emulator.base_url, rate_limiter=limiter, max_retries=0
    ) as client:
        call = make(client, kimi_emulator)

        def sent() -> int:
            return sum(1 for r in kimi_emulator.requests if (r.method, r.path) == ("POST", path))

        before = sent()
        held = limiter.acquire()
        thread = threading.Thread(target=call, daemon=True)
        thread.start()
        time.sleep(0.3)
        went_early = sent() - before
        held.release()
        thread.join(5)
    assert went_early == 0, f"{operation} was sent while the only slot was held"
    assert not thread.is_alive()
    assert sent() - before == 1


# -- pickles and default_headers: one rule -------------------------------------------------------

HEADERS = {"X-Team": "research", "X-Api-Key": SECRET}


def _pickles(base_url: str) -> dict[str, bytes]:
    made: dict[str, Any] = {
        "ChatKimi": ChatKimi(api_key=KEY, base_url=base_url, default_headers=HEADERS),
        "Kimi": Kimi(api_key=KEY, base_url=base_url, default_headers=HEADERS),
        "KimiToolkit": KimiToolkit(
            formulas=["moonshot/date:latest"], api_key=KEY, base_url=base_url,
            default_headers=HEADERS,
        ),
        "KimiToolSpec": KimiToolSpec(
            ["moonshot/date:latest"], api_key=KEY, base_url=base_url, default_headers=HEADERS
        ),
    }  # fmt: skip
    try:
        return {name: pickle.dumps(obj) for name, obj in made.items()}
    finally:
        for obj in made.values():
            obj.close()


def test_no_pickle_keeps_credentials_from_default_headers(kimi_emulator: KimiEmulator) -> None:
    """Today ``ChatKimi``'s pickle keeps ``default_headers`` (a credential header included)
    while ``Kimi``, ``KimiToolkit`` and ``KimiToolSpec`` drop them."""
    pickles = _pickles(kimi_emulator.base_url)
    keeping = sorted(name for name, data in pickles.items() if SECRET.encode() in data)
    assert keeping == [], f"{keeping} pickle a credential from default_headers"


def test_the_four_pickles_follow_one_rule_for_default_headers(
    kimi_emulator: KimiEmulator,
) -> None:
    pickles = _pickles(kimi_emulator.base_url)
    kept = {name: b"research" in data for name, data in pickles.items()}
    assert len(set(kept.values())) == 1, f"different rules for default_headers: {kept}"


# -- files.upload("<str>") ----------------------------------------------------------------------

NOT_PATHS = {
    "text": "Label: the kettle broke after two days",
    "lines": "line one\nline two\n",
    "nul": "a\x00b",
    "long": "x" * 5000,
}


@pytest.mark.parametrize("kind", list(NOT_PATHS))
def test_a_str_that_is_not_an_existing_path_is_refused_clearly(kind: str) -> None:
    """Refused before sending, as an ``InvalidParameterError`` on ``file`` that says a str is
    a path and content goes as bytes, and does not echo kilobytes of the text (today: the
    whole text in the message, and a raw ``ValueError`` for a NUL character)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens: a request sent would be refused
    with (
        KimiClient(api_key=KEY, base_url=f"http://127.0.0.1:{port}/v1", max_retries=0) as client,
        pytest.raises(InvalidParameterError) as caught,
    ):
        client.files.upload(NOT_PATHS[kind])
    message = str(caught.value)
    assert caught.value.param == "file"
    assert len(message) < 300, f"the error echoes {len(message)} characters"
    assert "path" in message
    assert "bytes" in message


def test_a_str_naming_an_existing_file_is_uploaded(
    kimi_emulator: KimiEmulator, tmp_path: FilePath
) -> None:
    """Guard: a str that is an existing path still uploads that file (passes today)."""
    source = tmp_path / "notes.txt"
    source.write_text("hello", encoding="utf-8")
    with KimiClient(api_key=KEY, base_url=kimi_emulator.base_url) as client:
        uploaded = client.files.upload(str(source))
    assert uploaded.filename == "notes.txt"


# -- usage: {"total_tokens": "many"} -------------------------------------------------------------


def _many_usage(conn: socket.socket, request: Request, number: int) -> bool:
    usage = {"prompt_tokens": 5, "completion_tokens": 4, "total_tokens": "many"}
    if (request.json() or {}).get("stream"):
        events = (
            b'data: {"id":"c","choices":[{"index":0,"delta":{"content":"Hi"}}]}\n\n'
            b'data: {"id":"c","choices":[{"index":0,"delta":{},"finish_reason":"stop"}],'
            b'"usage":' + json.dumps(usage).encode() + b"}\n\n"
            b"data: [DONE]\n\n"
        )
        conn.sendall(response_bytes(events, content_type="text/event-stream"))
    else:
        send_json(conn, {**OK_BODY, "usage": usage})
    return True


@pytest.mark.parametrize("path", STREAM_PATHS, ids=ids)
def test_a_usage_count_that_is_not_a_number_is_a_malformed_response(path: Path) -> None:
    """Today a stream accepts it silently (the core streams) or raises a raw pydantic
    ``ValidationError`` (``ChatKimi.stream``); the plain paths already say
    ``MalformedResponseError`` (the guard below)."""
    with RoutedServer(_many_usage) as server:
        outcome = outcome_of(lambda: path.run(server.url, max_retries=0))
    assert isinstance(outcome, BaseException), (
        f"{path.name}: a usage with total_tokens='many' was accepted ({outcome!r})"
    )
    assert isinstance(outcome, MalformedResponseError), (
        f"{path.name}: {type(outcome).__module__}.{type(outcome).__name__}: {outcome}"
    )
    assert "total_tokens" in str(outcome)


@pytest.mark.parametrize("path", [p for p in PATHS if not p.streams], ids=ids)
def test_a_usage_count_that_is_not_a_number_is_refused_on_the_plain_paths(path: Path) -> None:
    """Guard (passes today)."""
    with RoutedServer(_many_usage) as server, pytest.raises(MalformedResponseError):
        path.run(server.url, max_retries=0)
