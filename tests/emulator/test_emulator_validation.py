"""The 400/404/401 rules, with each dialect's status and error body shape."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from emulator_support import error_of

from kimi_emulator import KimiEmulator

USER = {"role": "user", "content": "Hello"}
CALL = {
    "id": "get_weather:0",
    "type": "function",
    "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
}
OFF = {"type": "disabled"}
OBJECT = {"type": "object", "properties": {"city": {"type": "string"}}}


def post(http: httpx.Client, **body: Any) -> httpx.Response:
    body.setdefault("model", "kimi-k2.6")
    body.setdefault("messages", [USER])
    return http.post("chat/completions", json=body)


def rejected(emu: KimiEmulator, response: httpx.Response, status: int = 400) -> tuple[str, str]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    return error_of(emu, response.json())


def test_unknown_tool_call_id(emu: KimiEmulator, http: httpx.Client) -> None:
    messages = [USER, {"role": "tool", "tool_call_id": "get_weather:0", "content": "sunny"}]
    kind, message = rejected(emu, post(http, messages=messages, thinking=OFF))
    assert kind == "invalid_request_error"
    assert message == (
        "Invalid request: tool_call_id is not found: get_weather:0 (tool message at index 1)"
    )
    messages.insert(1, {"role": "assistant", "tool_calls": [CALL]})
    assert post(http, messages=messages, thinking=OFF).status_code == 200


def test_reasoning_content_required_with_thinking(emu: KimiEmulator, http: httpx.Client) -> None:
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": "Be brief."},
        USER,
        {"role": "assistant", "tool_calls": [CALL]},
        {"role": "tool", "tool_call_id": "get_weather:0", "content": "sunny"},
    ]
    kind, message = rejected(emu, post(http, messages=messages))
    assert kind == "invalid_request_error"
    assert message == (
        "thinking is enabled but reasoning_content is missing in assistant tool call message "
        "at index 2"
    )
    # Thinking off, a model that never thinks, or the reasoning echoed back: accepted.
    assert post(http, messages=messages, thinking=OFF).status_code == 200
    assert post(http, messages=messages, model="moonshot-v1-8k").status_code == 200
    messages[2]["reasoning_content"] = "I should call get_weather."
    assert post(http, messages=messages).status_code == 200
    # kimi-k2.7-code always thinks and refuses to be asked not to.
    del messages[2]["reasoning_content"]
    response = post(http, messages=messages, model="kimi-k2.7-code", thinking=OFF)
    assert rejected(emu, response) == (
        "invalid_request_error",
        "invalid thinking: only type=enabled is allowed for this model",
    )


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"temperature": 0.3}, "invalid temperature: only 1 is allowed for this model"),
        (
            {"temperature": 1.0, "thinking": OFF},
            "invalid temperature: only 0.6 is allowed for this model",
        ),
        ({"top_p": 0.5}, "invalid top_p: only 0.95 is allowed for this model"),
        ({"n": 2}, "invalid n: only 1 is allowed for this model"),
        ({"presence_penalty": 0.5}, "invalid presence_penalty: only 0 is allowed for this model"),
    ],
)
def test_fixed_sampling_of_kimi_k26(
    emu: KimiEmulator, http: httpx.Client, params: dict[str, Any], message: str
) -> None:
    assert rejected(emu, post(http, **params)) == ("invalid_request_error", message)


def test_allowed_sampling_values_pass(http: httpx.Client) -> None:
    assert post(http, temperature=1, top_p=0.95, n=1).status_code == 200
    assert post(http, temperature=0.6, thinking=OFF).status_code == 200
    assert post(http, model="moonshot-v1-8k", temperature=0.3, n=3).status_code == 200


def test_other_sampling_rules(emu: KimiEmulator, http: httpx.Client) -> None:
    _, message = rejected(emu, post(http, model="moonshot-v1-8k", temperature=1.5))
    assert message == "Invalid request: temperature must be in [0, 1], got 1.5"
    _, message = rejected(emu, post(http, model="moonshot-v1-8k", temperature=0, n=2))
    assert message == "Invalid request: n must be 1 when temperature is close to 0"


def test_tool_choice_required(emu: KimiEmulator, http: httpx.Client) -> None:
    tool = {"type": "function", "function": {"name": "get_weather", "parameters": OBJECT}}
    # moonshot-v1 never thinks and does not take "required" (the old docs).
    response = post(http, model="moonshot-v1-8k", tools=[tool], tool_choice="required")
    kind, message = rejected(emu, response)
    assert kind == "invalid_request_error"
    assert message == (
        'Invalid request: tool_choice "required" is not supported, use "auto" or "none"'
    )
    for choice in ("auto", "none", {"type": "function", "function": {"name": "get_weather"}}):
        response = post(http, model="moonshot-v1-8k", tools=[tool], tool_choice=choice)
        assert response.status_code == 200
        assert post(http, tools=[tool], tool_choice=choice, thinking=OFF).status_code == 200


def test_tool_names(emu: KimiEmulator, http: httpx.Client) -> None:
    bad = {"type": "function", "function": {"name": "x y", "parameters": {}}}
    assert "must match" in rejected(emu, post(http, tools=[bad]))[1]
    tools = [{"type": "function", "function": {"name": f"tool_{i}"}} for i in range(129)]
    assert rejected(emu, post(http, tools=tools))[1] == (
        "Invalid request: too many tools: 129 > 128"
    )


def test_partial_mode_with_json_object(emu: KimiEmulator, http: httpx.Client) -> None:
    messages = [USER, {"role": "assistant", "content": "{", "partial": True}]
    response = post(http, messages=messages, response_format={"type": "json_object"})
    assert rejected(emu, response) == (
        "invalid_request_error",
        "Invalid request: partial mode is not supported with response_format json_object",
    )


def test_stop_and_n_limits(emu: KimiEmulator, http: httpx.Client) -> None:
    # Moonshot takes 5 stop strings (and AceData passes them on); Cloudsway documents 4.
    cap = 4 if emu.dialect == "cloudsway" else 5
    stops = ["a", "b", "c", "d", "e", "f"][: cap + 1]
    assert rejected(emu, post(http, stop=stops))[1] == (
        f"Invalid request: stop must have at most {cap} sequences, got {cap + 1}"
    )
    assert post(http, stop=stops[:cap]).status_code == 200
    assert rejected(emu, post(http, model="moonshot-v1-8k", n=6))[1] == (
        "Invalid request: n must be at most 5, got 6"
    )


def test_context_window(emu: KimiEmulator, http: httpx.Client) -> None:
    # moonshot-v1-8k: 8,192 tokens for input + output; "Hello" costs 8 prompt tokens.
    assert post(http, model="moonshot-v1-8k", max_tokens=8184).status_code == 200
    kind, message = rejected(emu, post(http, model="moonshot-v1-8k", max_tokens=8185))
    assert kind == "invalid_request_error"
    assert message == (
        "Invalid request: Input token length too long: 8 input tokens + max_tokens 8185 "
        "exceed the context window of moonshot-v1-8k (8192 tokens)"
    )
    huge = {"role": "user", "content": "word " * 7000}  # 8,750 tokens without max_tokens
    assert (
        "Input token length too long"
        in rejected(emu, post(http, messages=[huge], model="moonshot-v1-8k"))[1]
    )


def test_unknown_model(emu: KimiEmulator, http: httpx.Client) -> None:
    response = post(http, model="kimi-nope")
    if emu.dialect == "cloudsway":
        # The endpoint path picks the deployment (seed 000): the body's model is not checked.
        assert response.status_code == 200
        assert response.json()["model"] == "kimi-k2.6"
        no_model = http.post("chat/completions", json={"messages": [USER]})
        assert no_model.status_code == 200
        assert no_model.json()["model"] == "kimi-k2.6"
        return
    assert rejected(emu, response, 404) == (
        "resource_not_found_error",
        "Not found the model kimi-nope or Permission denied",
    )
    missing = http.post("chat/completions", json={"messages": [USER]})
    assert rejected(emu, missing)[1] == "Invalid request: model is required"


def test_cloudsway_endpoint_model(kimi_emulator_factory: Callable[..., KimiEmulator]) -> None:
    emu = kimi_emulator_factory("cloudsway", endpoint_path="moonshot-v1-8k")
    assert emu.base_url.endswith("/v1/ai/moonshot-v1-8k")
    with httpx.Client(base_url=emu.base_url + "/") as http:
        body = http.post("chat/completions", json={"messages": [USER]}).json()
        assert body["model"] == "moonshot-v1-8k"
        assert body["choices"][0]["message"]["reasoning_content"] is None
        # The seed's gateway accepted thinking {"type": "false"}.
        thinking_false = {"messages": [USER], "model": "kimi-k2.6", "thinking": {"type": "false"}}
        body = http.post("chat/completions", json=thinking_false).json()
        assert body["choices"][0]["message"]["reasoning_content"] is None


def test_bad_bodies(emu: KimiEmulator, http: httpx.Client) -> None:
    not_json = http.post(
        "chat/completions", content=b"{nope", headers={"content-type": "application/json"}
    )
    assert rejected(emu, not_json)[1] == "Invalid request: the request body must be a JSON object"
    assert rejected(emu, post(http, messages=[]))[1] == (
        "Invalid request: messages must be a non-empty list"
    )
    assert rejected(emu, post(http, messages=[{"role": "robot", "content": "x"}]))[1] == (
        "Invalid request: the message at position 0 has an invalid role"
    )
    empty_assistant = [USER, {"role": "assistant", "content": ""}, USER]
    assert rejected(emu, post(http, messages=empty_assistant))[1] == (
        "Invalid request: the message at position 1 with role 'assistant' must not be empty"
    )
    assert rejected(emu, post(http, thinking={"type": "maybe"}))[1] == (
        'Invalid request: thinking.type must be "enabled" or "disabled"'
    )


def test_images(emu: KimiEmulator, http: httpx.Client) -> None:
    def image(url: str) -> dict[str, Any]:
        parts = [
            {"type": "text", "text": "What is this?"},
            {"type": "image_url", "image_url": {"url": url}},
        ]
        return {"role": "user", "content": parts}

    ok = post(http, messages=[image("data:image/png;base64,iVBORw0KGgo=")], thinking=OFF)
    assert ok.status_code == 200
    body = ok.json()
    assert body["choices"][0]["message"]["content"] == "You said: What is this?"
    assert body["usage"]["prompt_tokens"] == 3 + 3 + 4 + 256  # text 13 chars + one image
    assert post(http, messages=[image("ms://cq0abc")], thinking=OFF).status_code == 200
    assert (
        "only base64 data URLs and ms://<file_id> URLs"
        in rejected(emu, post(http, messages=[image("https://example.com/cat.png")]))[1]
    )
    no_vision = post(http, messages=[image("data:image/png;base64,AA==")], model="moonshot-v1-8k")
    assert rejected(emu, no_vision)[1] == (
        "Invalid request: model moonshot-v1-8k does not support image input"
    )


@pytest.mark.parametrize("dialect", ["moonshot", "acedata", "cloudsway"])
def test_api_key(kimi_emulator_factory: Callable[..., KimiEmulator], dialect: str) -> None:
    emu = kimi_emulator_factory(dialect, api_key="sk-right")
    url = emu.base_url + "/chat/completions"
    body = {"model": "kimi-k2.6", "messages": [USER]}
    for headers in ({"authorization": "Bearer sk-wrong"}, {}):
        response = httpx.post(url, json=body, headers=headers)
        kind, message = rejected(emu, response, 401)
        if dialect == "acedata":  # the gateway's own code and wording (seed 001)
            assert (kind, message) == (
                "invalid_token",
                "Unauthorized, invalid or missing authorization token.",
            )
        else:
            assert (kind, message) == ("invalid_authentication_error", "Invalid Authentication")
    assert httpx.get(emu.base_url + "/models").status_code == 401
    ok = httpx.post(url, json=body, headers={"authorization": "Bearer sk-right"})
    assert ok.status_code == 200


def test_unknown_path(emu: KimiEmulator, http: httpx.Client) -> None:
    kind, message = rejected(emu, http.get("completions"), 404)
    assert kind == "resource_not_found_error"
    assert message.startswith("Not found: GET ")
