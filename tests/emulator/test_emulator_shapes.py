"""The emulator's bodies have the same fields as the real captures in tests/fixtures/captures."""

from __future__ import annotations

import json
from typing import Any

import httpx

from kimi_emulator import KimiEmulator

HELLO = [{"role": "user", "content": "Hello"}]
TOOL = {
    "type": "function",
    "function": {
        "name": "get_distance",
        "parameters": {
            "type": "object",
            "properties": {"location1": {"type": "string"}, "location2": {"type": "string"}},
            "required": ["location1", "location2"],
        },
    },
}


def shape(value: Any) -> Any:
    """Keys all the way down; lists by their first item; scalars by JSON type."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    if value is None:
        return None
    return type(value).__name__


def sse_events(raw: bytes) -> list[dict[str, Any]]:
    events = [e for e in raw.decode().split("\n\n") if e.strip()]
    assert events[-1] == "data: [DONE]"
    return [json.loads(e[len("data: ") :]) for e in events[:-1]]


def post(emu: KimiEmulator, **body: Any) -> httpx.Response:
    body.setdefault("model", "kimi-k2.6")
    body.setdefault("messages", HELLO)
    return httpx.post(emu.base_url + "/chat/completions", json=body)


def test_acedata_non_stream_matches_capture(kimi_emulator_factory: Any, captures: Any) -> None:
    emu = kimi_emulator_factory("acedata")
    ours = post(emu).json()
    for name in ("acedata_hello", "acedata_multi_turn"):
        assert shape(ours) == shape(captures.json(name))
    assert len(ours["id"]) == len(captures.json("acedata_hello")["id"])


def test_acedata_stream_matches_capture(kimi_emulator_factory: Any, captures: Any) -> None:
    emu = kimi_emulator_factory("acedata")
    raw = post(emu, stream=True).content
    ours, real = sse_events(raw), sse_events(captures.sse("acedata_stream"))
    assert shape(ours[0]) == shape(real[0])  # role chunk
    assert shape(ours[1]) == shape(real[1])  # reasoning chunk (reasoning_content + reasoning)
    assert shape(ours[-2]) == shape(real[-2])  # last delta carries finish_reason
    assert ours[-2]["choices"][0]["finish_reason"] == real[-2]["choices"][0]["finish_reason"]
    assert shape(ours[-1]) == shape(real[-1])  # {"choices": [], "usage": {...}}
    # Printed like the capture: ", " and ": " separators.
    assert raw.startswith(b'data: {"id": "chatcmpl-')


def test_acedata_error_matches_capture(kimi_emulator_factory: Any, captures: Any) -> None:
    emu = kimi_emulator_factory("acedata")
    emu.fail_next(500, message="fetch failed")
    response = post(emu)
    real = captures.json("acedata_error")
    assert shape(response.json()) == shape(real)
    assert response.json()["error"] == real["error"]


def test_cloudsway_matches_captures(kimi_emulator_factory: Any, captures: Any) -> None:
    emu = kimi_emulator_factory("cloudsway", endpoint_path="kimi-k2-0711-preview")
    tool_call = post(emu, tools=[TOOL], model=None).json()
    real = captures.json("cloudsway_tool_call")
    assert set(tool_call) == set(real)
    assert set(tool_call["choices"][0]) == set(real["choices"][0])
    assert set(tool_call["choices"][0]["message"]) == set(real["choices"][0]["message"])
    assert shape(tool_call["choices"][0]["message"]["tool_calls"]) == shape(
        real["choices"][0]["message"]["tool_calls"]
    )
    assert tool_call["choices"][0]["message"]["tool_calls"][0]["id"] == "get_distance:0"
    assert tool_call["model"] == real["model"] == "kimi-k2-0711-preview"
    assert set(tool_call["usage"]) == set(real["usage"])
    json_mode = post(emu, response_format={"type": "json_object"}).json()
    real_json = captures.json("cloudsway_json_mode")
    assert set(json_mode["choices"][0]["message"]) == set(real_json["choices"][0]["message"])
    # The newer capture's usage details, which the emulator copies.
    answer = captures.json("cloudsway_tool_result_answer")
    assert shape(json_mode["usage"]["prompt_tokens_details"]) == shape(
        answer["usage"]["prompt_tokens_details"]
    )
