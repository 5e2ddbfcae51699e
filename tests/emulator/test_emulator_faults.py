"""Fault injection: fail_next, raw answers, cut streams, delays and simulated limits."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import httpx
import openai
import pytest
from emulator_support import error_of

from kimi_emulator import KimiEmulator

BODY: dict[str, Any] = {"model": "kimi-k2.6", "messages": [{"role": "user", "content": "Hello"}]}
STREAM = {**BODY, "stream": True}


def sse_lines(response: httpx.Response) -> list[str]:
    return [line for line in response.text.split("\n\n") if line]


@pytest.mark.parametrize(
    ("status", "moonshot_type", "acedata_code"),
    [
        (429, "rate_limit_reached_error", "too_many_requests"),
        (500, "server_error", "api_error"),
        (503, "server_unavailable", "server_unavailable"),
        (400, "invalid_request_error", "invalid_request_error"),
    ],
)
def test_fail_next_default_bodies(
    emu: KimiEmulator, http: httpx.Client, status: int, moonshot_type: str, acedata_code: str
) -> None:
    emu.fail_next(status)
    response = http.post("chat/completions", json=BODY)
    assert response.status_code == status
    kind, _ = error_of(emu, response.json())
    assert kind == (acedata_code if emu.dialect == "acedata" else moonshot_type)
    assert "retry-after" not in response.headers
    assert http.post("chat/completions", json=BODY).status_code == 200  # once only


def test_fail_next_options(emu: KimiEmulator, http: httpx.Client) -> None:
    emu.fail_next(429, retry_after=7, error_type="exceeded_current_quota_error", message="No money")
    response = http.post("chat/completions", json=BODY)
    assert response.headers["retry-after"] == "7"
    assert error_of(emu, response.json()) == ("exceeded_current_quota_error", "No money")

    date = "Wed, 21 Oct 2015 07:28:00 GMT"
    emu.fail_next(503, retry_after=date)
    assert http.post("chat/completions", json=BODY).headers["retry-after"] == date

    emu.fail_next(500, body={"detail": "boom"})
    response = http.post("chat/completions", json=BODY)
    assert (response.status_code, response.json()) == (500, {"detail": "boom"})

    page = "<html><body><h1>502 Bad Gateway</h1></body></html>"
    emu.fail_next(502, body=page)
    response = http.post("chat/completions", json=BODY)
    assert response.status_code == 502
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.text == page


def test_fail_next_times_and_scripts_survive(emu: KimiEmulator, http: httpx.Client) -> None:
    emu.script("after the storm")
    emu.fail_next(500, times=2)
    statuses = [http.post("chat/completions", json=BODY).status_code for _ in range(3)]
    assert statuses == [500, 500, 200]
    assert emu.requests[-1].json == BODY
    # The script was not used by the failed attempts.
    assert len(emu.requests) == 3


def test_fail_next_with_the_openai_sdk_retrying(moonshot: KimiEmulator) -> None:
    emu = moonshot
    emu.script("recovered")
    emu.fail_next(503, retry_after=0)
    with openai.OpenAI(api_key="sk-x", base_url=emu.base_url, max_retries=1) as sdk:
        reply = sdk.chat.completions.create(model="kimi-k2.6", messages=BODY["messages"])
    assert reply.choices[0].message.content == "recovered"
    assert len(emu.requests) == 2


def test_fail_next_applies_to_any_path(emu: KimiEmulator, http: httpx.Client) -> None:
    emu.fail_next(500)
    assert http.get("models").status_code == 500
    assert http.get("models").status_code == 200


def test_cut_next_stream(emu: KimiEmulator, http: httpx.Client) -> None:
    emu.cut_next_stream(after_events=3)
    response = http.post("chat/completions", json=STREAM)
    assert response.status_code == 200
    events = sse_lines(response)
    assert len(events) == 3
    assert all(e.startswith("data: {") for e in events)
    chunks = [json.loads(e[len("data: ") :]) for e in events]
    assert all(c["choices"][0]["finish_reason"] is None for c in chunks)
    assert "[DONE]" not in response.text
    # The next stream is whole again.
    whole = sse_lines(http.post("chat/completions", json=STREAM))
    assert whole[-1] == "data: [DONE]"


def test_cut_never_sends_the_finish(emu: KimiEmulator, http: httpx.Client) -> None:
    emu.cut_next_stream(after_events=1000)
    events = sse_lines(http.post("chat/completions", json=STREAM))
    assert events
    assert 'finish_reason":"stop' not in "".join(events).replace(" ", "")
    assert "[DONE]" not in events[-1]


def test_cut_with_abort_drops_the_connection(emu: KimiEmulator, http: httpx.Client) -> None:
    emu.cut_next_stream(after_events=2, abort=True)
    received: list[str] = []

    def read_all() -> None:
        with http.stream("POST", "chat/completions", json=STREAM) as response:
            received.extend(line for line in response.iter_lines() if line)

    with pytest.raises(httpx.RemoteProtocolError):
        read_all()
    assert len(received) == 2
    assert http.post("chat/completions", json=BODY).status_code == 200


def test_delay_next(emu: KimiEmulator, http: httpx.Client) -> None:
    emu.delay_next(0.3)
    started = time.perf_counter()
    assert http.post("chat/completions", json=BODY).status_code == 200
    assert time.perf_counter() - started >= 0.3
    started = time.perf_counter()
    http.post("chat/completions", json=BODY)
    assert time.perf_counter() - started < 0.3


def test_rpm_limit(emu: KimiEmulator, http: httpx.Client) -> None:
    emu.set_limits(rpm=2)
    assert [http.post("chat/completions", json=BODY).status_code for _ in range(2)] == [200, 200]
    response = http.post("chat/completions", json=BODY)
    assert response.status_code == 429
    kind, message = error_of(emu, response.json())
    assert kind == ("too_many_requests" if emu.dialect == "acedata" else "rate_limit_reached_error")
    assert message.startswith("Your account org-emulator<ak-emulator> request reached ")
    assert "organization max RPM: 2, please try again after " in message
    assert http.get("models").status_code == 200  # limits apply to chat completions
    emu.set_limits()
    assert http.post("chat/completions", json=BODY).status_code == 200


def test_concurrency_limit(emu: KimiEmulator, http: httpx.Client) -> None:
    emu.set_limits(concurrency=1)
    emu.delay_next(0.3)
    slow: list[int] = []
    worker = threading.Thread(
        target=lambda: slow.append(
            httpx.post(emu.base_url + "/chat/completions", json=BODY).status_code
        )
    )
    worker.start()
    deadline = time.monotonic() + 5
    while not emu.requests and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.05)
    response = http.post("chat/completions", json=BODY)
    assert response.status_code == 429
    assert "max organization concurrency: 1" in error_of(emu, response.json())[1]
    worker.join()
    assert slow == [200]
    assert http.post("chat/completions", json=BODY).status_code == 200


def test_constructor_limits_and_reset(kimi_emulator_factory: Any) -> None:
    emu = kimi_emulator_factory("moonshot", rpm_limit=1)
    url = emu.base_url + "/chat/completions"
    assert httpx.post(url, json=BODY).status_code == 200
    assert httpx.post(url, json=BODY).status_code == 429
    emu.reset()  # back to the constructor's limits, with an empty window
    assert httpx.post(url, json=BODY).status_code == 200
    assert httpx.post(url, json=BODY).status_code == 429


def test_raw_next(emu: KimiEmulator, http: httpx.Client) -> None:
    emu.raw_next(b"this is not json")
    response = http.post("chat/completions", json=BODY)
    assert (response.status_code, response.content) == (200, b"this is not json")
    assert response.headers["content-type"] == "application/json"

    emu.raw_next(b"", status=502, content_type="text/plain")
    response = http.post("chat/completions", json=BODY)
    assert (response.status_code, response.content) == (502, b"")


def test_raw_stream_next(emu: KimiEmulator, http: httpx.Client) -> None:
    events = [b'data: {"choices": [{"delta": {"content": "Hi"}}]}\n\n', b"data: {broken\n\n"]
    emu.raw_stream_next(events)
    response = http.post("chat/completions", json=STREAM)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.content == b"".join(events)


def test_request_id_header(emu: KimiEmulator, http: httpx.Client) -> None:
    ok = http.post("chat/completions", json=BODY)
    bad = http.post("chat/completions", json={**BODY, "model": "kimi-nope", "n": 9})
    if emu.dialect == "moonshot":
        assert len(ok.headers["msh-request-id"]) == 32
        assert ok.headers["msh-request-id"] != bad.headers["msh-request-id"]
    else:
        assert "msh-request-id" not in ok.headers
        assert "msh-request-id" not in bad.headers


def test_chunk_delay(kimi_emulator_factory: Any) -> None:
    emu = kimi_emulator_factory("moonshot", chunk_delay=0.02)
    started = time.perf_counter()
    response = httpx.post(emu.base_url + "/chat/completions", json=STREAM)
    events = sse_lines(response)
    assert time.perf_counter() - started >= 0.02 * (len(events) - 1)
