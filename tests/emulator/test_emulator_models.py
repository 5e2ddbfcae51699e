"""The late-2026 model rules over real HTTP: registry, thinking kinds, preserved thinking,
tool_choice, fixed sampling, output limits, media, wire hygiene, headers and usage."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from emulator_support import error_of
from pydantic import BaseModel
from served_models import LEGACY_MODELS, SERVED

from kimi_core.catalog.model_info import CATALOG
from kimi_emulator import KimiEmulator

USER = {"role": "user", "content": "Hello"}
OFF = {"type": "disabled"}
ON = {"type": "enabled"}
KEEP = {"type": "enabled", "keep": "all"}
CALL = {
    "id": "get_weather:0",
    "type": "function",
    "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
}
OBJECT = {"type": "object", "properties": {"city": {"type": "string"}}}
WEATHER = {"type": "function", "function": {"name": "get_weather", "parameters": OBJECT}}
TIME = {"type": "function", "function": {"name": "get_time", "parameters": {"type": "object"}}}
NAMED = {"type": "function", "function": {"name": "get_time"}}
K3_MODELS = ("kimi-k3", "kimi-k3.1-pro", "kimi-k3.1-pro-highspeed")
ALWAYS_MODELS = ("kimi-k2.7-code", "kimi-k2.7-code-highspeed")
RETIRED = sorted(m.id for m in CATALOG.values() if m.retired)
SCHEMA_ERROR = (
    "Invalid request: tools.function.parameters is not a valid moonshot flavored json schema, "
    "details: <At path '{}': {}>"
)
MSG_ONLY_ENABLED = "invalid thinking: only type=enabled is allowed for this model"
MSG_EFFORT_TYPE = "the reasoning_effort field (expected type string) is illegal"
MSG_EFFORT_UNSUPPORTED = "invalid reasoning_effort: this model does not support reasoning_effort"
MSG_REQUIRED = "tool_choice 'required' is incompatible with thinking enabled"
MSG_SPECIFIED = "tool_choice 'specified' is incompatible with thinking enabled"
MSG_REQUIRED_PLAIN = (
    'Invalid request: tool_choice "required" is not supported, use "auto" or "none"'
)


def post(http: httpx.Client, **body: Any) -> httpx.Response:
    body.setdefault("model", "kimi-k2.6")
    body.setdefault("messages", [USER])
    return http.post("chat/completions", json=body)


def ok(http: httpx.Client, **body: Any) -> dict[str, Any]:
    response = post(http, **body)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def message_of(body: dict[str, Any]) -> dict[str, Any]:
    message: dict[str, Any] = body["choices"][0]["message"]
    return message


def rejected(emu: KimiEmulator, response: httpx.Response, status: int = 400) -> tuple[str, str]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    return error_of(emu, response.json())


def bad(emu: KimiEmulator, response: httpx.Response) -> str:
    """The message of a 400 ``invalid_request_error``."""
    kind, message = rejected(emu, response)
    assert kind == "invalid_request_error"
    return message


def own(factory: Callable[..., KimiEmulator], dialect: str = "moonshot", **kwargs: Any) -> Any:
    emu = factory(dialect, **kwargs)
    return emu, httpx.Client(base_url=emu.base_url + "/", timeout=10)


# --------------------------------------------------------------------------- 1. registry


@pytest.mark.parametrize("model", sorted(set(RETIRED) - set(LEGACY_MODELS)))
def test_retired_models_answer_404(emu: KimiEmulator, http: httpx.Client, model: str) -> None:
    not_found = ("resource_not_found_error", f"Not found the model {model} or Permission denied")
    assert rejected(emu, http.get(f"models/{model}"), 404) == not_found
    response = post(http, model=model, thinking=ON)
    if emu.dialect == "cloudsway":
        # The endpoint path picks the deployment: the body's model falls back to it.
        assert response.status_code == 200
        assert response.json()["model"] == "kimi-k2.6"
        return
    assert rejected(emu, response, 404) == not_found
    estimate = http.post(
        "tokenizers/estimate-token-count", json={"model": model, "messages": [USER]}
    )
    assert rejected(emu, estimate, 404) == not_found


def test_models_list_only_what_is_served(emu: KimiEmulator, http: httpx.Client) -> None:
    data = http.get("models").json()["data"]
    assert [m["id"] for m in data] == SERVED
    assert not (set(RETIRED) - set(LEGACY_MODELS)) & {m["id"] for m in data}
    by_id = {m["id"]: m for m in data}
    for entry in data:
        assert set(entry) == {
            "id",
            "object",
            "created",
            "owned_by",
            "root",
            "parent",
            "context_length",
            "supports_image_in",
            "supports_video_in",
            "supports_reasoning",
        }
        assert entry["object"] == "model"
        assert isinstance(entry["created"], int)
    assert by_id["kimi-k3"] == {
        "id": "kimi-k3",
        "object": "model",
        "created": by_id["kimi-k3"]["created"],
        "owned_by": "moonshot",
        "root": "kimi-k3",
        "parent": None,
        "context_length": 1_048_576,
        "supports_image_in": True,
        "supports_video_in": True,
        "supports_reasoning": True,
    }
    k26 = by_id["kimi-k2.6"]
    assert (k26["context_length"], k26["supports_video_in"], k26["supports_reasoning"]) == (
        262_144,
        True,
        True,
    )
    assert by_id["kimi-k2.7-code"]["supports_reasoning"] is True
    vision = by_id["moonshot-v1-8k-vision-preview"]
    assert (vision["supports_image_in"], vision["supports_video_in"]) == (True, False)
    plain = by_id["moonshot-v1-8k"]
    assert (plain["supports_image_in"], plain["supports_reasoning"]) == (False, False)
    assert http.get("models/kimi-k3").json() == by_id["kimi-k3"]


def test_explicit_retired_and_unknown_models_are_served(
    kimi_emulator_factory: Callable[..., KimiEmulator],
) -> None:
    emu, http = own(kimi_emulator_factory, models=["kimi-k2-thinking", "kimi-k9-preview"])
    with http:
        assert [m["id"] for m in http.get("models").json()["data"]] == [
            "kimi-k2-thinking",
            "kimi-k9-preview",
        ]
        assert http.get("models/kimi-k2-thinking").json()["supports_reasoning"] is True
        # Served as if current, with its catalog rules: it always thinks.
        assert message_of(ok(http, model="kimi-k2-thinking"))["reasoning_content"] == (
            "Let me think about this."
        )
        response = post(http, model="kimi-k2-thinking", thinking=OFF)
        assert bad(emu, response) == MSG_ONLY_ENABLED
        assert bad(emu, post(http, model="kimi-k2-thinking", thinking=KEEP)) == (
            "invalid thinking: keep is not supported for this model"
        )
        # An unknown id: permissive and non-thinking.
        entry = http.get("models/kimi-k9-preview").json()
        assert (entry["context_length"], entry["supports_reasoning"]) == (131_072, False)
        assert (entry["supports_image_in"], entry["supports_video_in"]) == (True, True)
        body = ok(http, model="kimi-k9-preview", tools=[WEATHER], tool_choice="required")
        assert message_of(body)["tool_calls"][0]["function"]["name"] == "get_weather"
        assert "reasoning_content" not in message_of(body)
        video = {"type": "video_url", "video_url": {"url": "ms://video-1"}}
        assert ok(http, model="kimi-k9-preview", messages=[{"role": "user", "content": [video]}])
        assert rejected(emu, post(http, model="kimi-k2.6"), 404)[1] == (
            "Not found the model kimi-k2.6 or Permission denied"
        )


def test_cloudsway_defaults_to_kimi_k26(kimi_emulator_factory: Callable[..., KimiEmulator]) -> None:
    emu, http = own(kimi_emulator_factory, "cloudsway")
    with http:
        assert emu.base_url.endswith("/v1/ai/kimi-k2.6")
        no_model = http.post("chat/completions", json={"messages": [USER]}).json()
        assert no_model["model"] == "kimi-k2.6"
        assert ok(http, model="kimi-nope")["model"] == "kimi-k2.6"
        assert ok(http, model="kimi-k3")["model"] == "kimi-k3"  # a served body model wins


def test_cloudsway_endpoint_may_name_a_retired_model(
    kimi_emulator_factory: Callable[..., KimiEmulator],
) -> None:
    emu, http = own(kimi_emulator_factory, "cloudsway", endpoint_path="kimi-k2.5")
    with http:
        body = http.post("chat/completions", json={"messages": [USER]}).json()
        assert body["model"] == "kimi-k2.5"
        assert message_of(body)["reasoning_content"] == "Let me think about this."
        assert bad(emu, post(http, model=None, thinking=KEEP)) == (
            "invalid thinking: keep is not supported for this model"
        )


# --------------------------------------------------------------------------- 2. thinking


@pytest.mark.parametrize(
    ("model", "extra", "message"),
    [
        # toggle with optional preserved thinking (kimi-k2.6)
        ("kimi-k2.6", {"thinking": {"type": "enabled", "keep": "none"}}, 'keep must be "all"'),
        ("kimi-k2.6", {"thinking": {"type": "enabled", "keep": True}}, 'keep must be "all"'),
        (
            "kimi-k2.6",
            {"thinking": {"type": "disabled", "keep": "all"}},
            "keep is only allowed with type=enabled",
        ),
        # always
        ("kimi-k2.7-code", {"thinking": OFF}, "only type=enabled is allowed for this model"),
        (
            "kimi-k2.7-code-highspeed",
            {"thinking": OFF},
            "only type=enabled is allowed for this model",
        ),
        ("kimi-k2.7-code", {"thinking": {"type": "enabled", "keep": 1}}, 'keep must be "all"'),
        # effort
        (
            "kimi-k3",
            {"thinking": OFF},
            "this model always reasons; remove thinking and use reasoning_effort",
        ),
        (
            "kimi-k3.1-pro",
            {"thinking": OFF},
            "this model always reasons; remove thinking and use reasoning_effort",
        ),
    ],
)
def test_thinking_rules(
    emu: KimiEmulator, http: httpx.Client, model: str, extra: dict[str, Any], message: str
) -> None:
    assert bad(emu, post(http, model=model, **extra)) == f"invalid thinking: {message}"


@pytest.mark.parametrize("model", K3_MODELS)
def test_reasoning_effort_on_k3(emu: KimiEmulator, http: httpx.Client, model: str) -> None:
    for effort in ("low", "high", "max", "medium", "xhigh", ""):
        # Known levels, and unknown strings silently ignored like the real server.
        message = message_of(ok(http, model=model, reasoning_effort=effort))
        assert message["reasoning_content"] == "Let me think about this."
    illegal: tuple[Any, ...] = ({"level": "max"}, 3, True, ["max"])
    for value in illegal:
        assert bad(emu, post(http, model=model, reasoning_effort=value)) == MSG_EFFORT_TYPE
    assert bad(emu, post(http, model=model, thinking=ON, reasoning_effort="high")) == (
        "thinking and reasoning_effort cannot be set together; this model is steered by "
        "reasoning_effort"
    )
    assert bad(emu, post(http, model=model, thinking=OFF, reasoning_effort="high")) == (
        "thinking and reasoning_effort cannot be set together; this model is steered by "
        "reasoning_effort"
    )
    # thinking enabled alone (with or without keep: K3 always preserves): accepted.
    for thinking in (ON, KEEP):
        message = message_of(ok(http, model=model, thinking=thinking))
        assert message["reasoning_content"] == "Let me think about this."
    assert message_of(ok(http, model=model))["reasoning_content"] == "Let me think about this."


@pytest.mark.parametrize("model", ["kimi-k2.6", "kimi-k2.7-code", "moonshot-v1-8k"])
def test_reasoning_effort_needs_effort_levels(
    emu: KimiEmulator, http: httpx.Client, model: str
) -> None:
    assert bad(emu, post(http, model=model, reasoning_effort="high")) == MSG_EFFORT_UNSUPPORTED
    assert bad(emu, post(http, model=model, reasoning_effort={"x": 1})) == MSG_EFFORT_TYPE
    assert ok(http, model=model, reasoning_effort=None)


def test_who_thinks(emu: KimiEmulator, http: httpx.Client) -> None:
    def reasoning(**body: Any) -> Any:
        return message_of(ok(http, **body)).get("reasoning_content")

    thought = "Let me think about this."
    assert reasoning() == thought
    assert reasoning(thinking=ON) == thought
    assert reasoning(thinking=KEEP) == thought
    assert reasoning(thinking=OFF) is None
    for model in (*ALWAYS_MODELS, *K3_MODELS):
        assert reasoning(model=model) == thought
        assert reasoning(model=model, thinking=ON) == thought
    assert reasoning(model="kimi-k2.7-code", thinking=KEEP) == thought
    # none: thinking (keep too) accepted and ignored.
    assert reasoning(model="moonshot-v1-8k", thinking=KEEP) is None
    assert reasoning(model="moonshot-v1-8k", thinking=OFF) is None


def test_keep_on_a_model_without_preserved_thinking(
    kimi_emulator_factory: Callable[..., KimiEmulator],
) -> None:
    emu, http = own(kimi_emulator_factory, "acedata", models=["kimi-k2.5"])
    with http:
        assert bad(emu, post(http, model="kimi-k2.5", thinking=KEEP)) == (
            "invalid thinking: keep is not supported for this model"
        )
        assert ok(http, model="kimi-k2.5", thinking=ON)
        assert ok(http, model="kimi-k2.5", thinking=OFF)


def test_cloudsway_thinking_false_on_an_always_model(emu: KimiEmulator, http: httpx.Client) -> None:
    response = post(http, model="kimi-k2.7-code", thinking={"type": "false"})
    if emu.dialect == "cloudsway":  # the gateway's own "true"/"false" spelling
        assert bad(emu, response) == MSG_ONLY_ENABLED
    else:
        assert bad(emu, response) == (
            'Invalid request: thinking.type must be "enabled" or "disabled"'
        )


# --------------------------------------------------------------------------- 3. preserved


def _history(assistant: dict[str, Any]) -> list[dict[str, Any]]:
    return [USER, assistant, {"role": "user", "content": "And?"}]


def test_preserved_thinking_needs_reasoning_on_every_assistant_message(
    emu: KimiEmulator, http: httpx.Client
) -> None:
    missing = "thinking is enabled but reasoning_content is missing in assistant message at index 1"
    plain = {"role": "assistant", "content": "Hi!"}
    cases: list[dict[str, Any]] = [
        {"model": "kimi-k2.6", "thinking": KEEP},
        {"model": "kimi-k2.7-code"},
        {"model": "kimi-k2.7-code-highspeed", "thinking": KEEP},
        *({"model": model} for model in K3_MODELS),
    ]
    for case in cases:
        assert bad(emu, post(http, messages=_history(plain), **case)) == missing
        null = {**plain, "reasoning_content": None}
        assert bad(emu, post(http, messages=_history(null), **case)) == missing
        for reasoning in ("", "I greeted them."):
            echoed = {**plain, "reasoning_content": reasoning}
            assert ok(http, messages=_history(echoed), **case)
        # Tool-call messages too, with the same wording.
        messages: list[dict[str, Any]] = [
            USER,
            {"role": "assistant", "tool_calls": [CALL]},
            {"role": "tool", "tool_call_id": "get_weather:0", "content": "sunny"},
        ]
        assert bad(emu, post(http, messages=messages, **case)) == missing
        messages[1]["reasoning_content"] = ""
        assert ok(http, messages=messages, **case)
        # The partial prefix being written is exempt.
        prefix = {"role": "assistant", "content": "You", "partial": True}
        assert message_of(ok(http, messages=[USER, prefix], **case))["content"] == " said: Hello"


def test_without_preservation_only_tool_calls_need_reasoning(
    emu: KimiEmulator, http: httpx.Client
) -> None:
    plain = {"role": "assistant", "content": "Hi!"}
    assert ok(http, messages=_history(plain))  # kimi-k2.6, thinking on, no keep
    assert ok(http, messages=_history(plain), thinking=OFF)
    messages = [
        USER,
        {"role": "assistant", "tool_calls": [CALL]},
        {"role": "tool", "tool_call_id": "get_weather:0", "content": "sunny"},
    ]
    assert bad(emu, post(http, messages=messages)) == (
        "thinking is enabled but reasoning_content is missing in assistant tool call message "
        "at index 1"
    )
    assert ok(http, messages=messages, thinking=OFF)
    assert ok(http, messages=messages, model="moonshot-v1-8k")


# --------------------------------------------------------------------------- 4. tool_choice


@pytest.mark.parametrize(
    ("model", "thinking", "required", "named"),
    [
        ("kimi-k2.6", None, MSG_REQUIRED, MSG_SPECIFIED),
        ("kimi-k2.6", ON, MSG_REQUIRED, MSG_SPECIFIED),
        ("kimi-k2.6", OFF, None, None),
        ("kimi-k2.7-code", None, MSG_REQUIRED, MSG_SPECIFIED),
        ("kimi-k2.7-code-highspeed", None, MSG_REQUIRED, MSG_SPECIFIED),
        ("kimi-k3", None, None, MSG_SPECIFIED),
        ("kimi-k3.1-pro", None, None, MSG_SPECIFIED),
        ("kimi-k3.1-pro-highspeed", None, None, MSG_SPECIFIED),
        ("moonshot-v1-8k", None, MSG_REQUIRED_PLAIN, None),
        ("kimi-k2", None, MSG_REQUIRED_PLAIN, None),
    ],
)
def test_tool_choice_per_model_and_thinking(
    emu: KimiEmulator,
    http: httpx.Client,
    model: str,
    thinking: dict[str, str] | None,
    required: str | None,
    named: str | None,
) -> None:
    base: dict[str, Any] = {"model": model, "tools": [WEATHER, TIME]}
    if thinking is not None:
        base["thinking"] = thinking
    for choice, expected, tool in (
        ("required", required, "get_weather"),
        (NAMED, named, "get_time"),
    ):
        response = post(http, tool_choice=choice, **base)
        if expected is not None:
            assert bad(emu, response) == expected
            continue
        assert response.status_code == 200, response.text
        message = message_of(response.json())
        assert [c["function"]["name"] for c in message["tool_calls"]] == [tool]
        assert response.json()["choices"][0]["finish_reason"] == "tool_calls"
        if CATALOG[model].thinks(None if thinking is None else thinking["type"] == "enabled"):
            assert message["reasoning_content"] == f"I should call {tool}."
    for choice in ("auto", "none"):
        assert ok(http, tool_choice=choice, **base)


def test_named_tool_choice_must_name_a_tool(emu: KimiEmulator, http: httpx.Client) -> None:
    missing = {"type": "function", "function": {"name": "get_stock"}}
    for model, thinking in (("kimi-k2.6", OFF), ("moonshot-v1-8k", None)):
        extra = {} if thinking is None else {"thinking": thinking}
        response = post(http, model=model, tools=[WEATHER], tool_choice=missing, **extra)
        assert bad(emu, response) == (
            "Invalid request: tool_choice function 'get_stock' is not found in tools"
        )
        response = post(http, model=model, tool_choice=missing, **extra)
        assert bad(emu, response) == (
            "Invalid request: tool_choice function 'get_stock' is not found in tools"
        )
    assert bad(emu, post(http, tools=[WEATHER], tool_choice="sometimes", thinking=OFF)) == (
        "Invalid request: tool_choice 'sometimes' is not supported"
    )


def test_forced_tool_choice_calls_even_after_tool_results(http: httpx.Client) -> None:
    messages: list[dict[str, Any]] = [
        USER,
        {"role": "assistant", "tool_calls": [CALL]},
        {"role": "tool", "tool_call_id": "get_weather:0", "content": "sunny"},
    ]
    base: dict[str, Any] = {"messages": messages, "tools": [WEATHER, TIME], "thinking": OFF}
    auto = message_of(ok(http, **base))
    assert auto["content"] == "The tool get_weather returned: sunny"
    named = message_of(ok(http, tool_choice=NAMED, **base))
    assert [c["id"] for c in named["tool_calls"]] == ["get_time:0"]
    # "required" after results: a tool not called since the user spoke, then (all called) the
    # first one again - forced means forced.
    required = message_of(ok(http, tool_choice="required", **base))
    assert [c["id"] for c in required["tool_calls"]] == ["get_time:0"]
    both = [
        *messages,
        {
            "role": "assistant",
            "tool_calls": [
                {**CALL, "id": "get_time:0", "function": {"name": "get_time", "arguments": "{}"}}
            ],
        },
        {"role": "tool", "tool_call_id": "get_time:0", "content": "noon"},
    ]
    again = message_of(ok(http, tool_choice="required", **{**base, "messages": both}))
    assert [c["id"] for c in again["tool_calls"]] == ["get_weather:0"]
    # kimi-k3 preserves thinking: the echoed call carries its (empty) reasoning_content.
    preserved = [messages[0], {**messages[1], "reasoning_content": ""}, messages[2]]
    k3 = message_of(
        ok(http, model="kimi-k3", messages=preserved, tools=[TIME], tool_choice="required")
    )
    assert k3["tool_calls"][0]["function"]["name"] == "get_time"
    assert k3["reasoning_content"] == "I should call get_time."


# --------------------------------------------------------------------------- 5. sampling


@pytest.mark.parametrize("model", K3_MODELS)
@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"temperature": 0.6}, "invalid temperature: only 1 is allowed for this model"),
        ({"temperature": 0.0}, "invalid temperature: only 1 is allowed for this model"),
        ({"top_p": 0.9}, "invalid top_p: only 0.95 is allowed for this model"),
        ({"n": 2}, "invalid n: only 1 is allowed for this model"),
        ({"presence_penalty": 0.1}, "invalid presence_penalty: only 0 is allowed for this model"),
        (
            {"frequency_penalty": -0.5},
            "invalid frequency_penalty: only 0 is allowed for this model",
        ),
    ],
)
def test_fixed_sampling_of_k3(
    emu: KimiEmulator, http: httpx.Client, model: str, params: dict[str, Any], message: str
) -> None:
    assert bad(emu, post(http, model=model, **params)) == message
    assert bad(emu, post(http, model=model, reasoning_effort="low", **params)) == message


def test_fixed_values_pass(http: httpx.Client) -> None:
    fixed = {"temperature": 1, "top_p": 0.95, "n": 1, "presence_penalty": 0, "frequency_penalty": 0}
    for model in K3_MODELS:
        assert ok(http, model=model, **fixed)
    assert ok(http, model="kimi-k2.6", thinking=KEEP, **fixed)
    assert ok(http, model="kimi-k2.6", thinking=OFF, temperature=0.6, top_p=0.95)


def test_kimi_k27_code_sampling_is_fixed(emu: KimiEmulator, http: httpx.Client) -> None:
    # Documented since the models page lists kimi-k2.7-code "cannot be modified" (docs §2).
    for model in ALWAYS_MODELS:
        assert ok(http, model=model, temperature=1, top_p=0.95, n=1)
        assert bad(emu, post(http, model=model, temperature=0.3)) == (
            "invalid temperature: only 1 is allowed for this model"
        )


# --------------------------------------------------------------------------- 6. output limits


def test_max_completion_tokens(emu: KimiEmulator, http: httpx.Client) -> None:
    small = "moonshot-v1-8k"  # 8,192 tokens; "Hello" costs 8
    assert ok(http, model=small, max_completion_tokens=8184)
    assert bad(emu, post(http, model=small, max_completion_tokens=8185)) == (
        "Invalid request: Input token length too long: 8 input tokens + max_completion_tokens "
        "8185 exceed the context window of moonshot-v1-8k (8192 tokens)"
    )
    # Both sent: max_completion_tokens wins.
    assert ok(http, model=small, max_tokens=9000, max_completion_tokens=8184)
    response = post(http, model=small, max_tokens=10, max_completion_tokens=8185)
    assert "max_completion_tokens 8185" in bad(emu, response)
    for value in (0, -1, "10", 2.5, True):
        assert bad(emu, post(http, max_completion_tokens=value)) == (
            "Invalid request: max_completion_tokens must be a positive integer"
        )
        assert bad(emu, post(http, max_tokens=value)) == (
            "Invalid request: max_tokens must be a positive integer"
        )
    capped = ok(http, max_completion_tokens=3, thinking=OFF)
    assert message_of(capped)["content"] == "You said: He"
    assert capped["choices"][0]["finish_reason"] == "length"
    both = ok(http, max_tokens=100, max_completion_tokens=3, thinking=OFF)
    assert message_of(both)["content"] == "You said: He"


def test_k3_context_window(emu: KimiEmulator, http: httpx.Client) -> None:
    assert ok(http, model="kimi-k3", max_completion_tokens=1_048_576 - 8)
    assert bad(emu, post(http, model="kimi-k3", max_completion_tokens=1_048_576 - 7)) == (
        "Invalid request: Input token length too long: 8 input tokens + max_completion_tokens "
        "1048569 exceed the context window of kimi-k3 (1048576 tokens)"
    )
    response = post(http, model="kimi-k2.6", max_tokens=262_144 - 7)
    assert "(262144 tokens)" in bad(emu, response)


# --------------------------------------------------------------------------- 7. media


def _media(kind: str, url: str) -> list[dict[str, Any]]:
    part = {"type": kind, kind: {"url": url}}
    return [{"role": "user", "content": [{"type": "text", "text": "What is this?"}, part]}]


def test_video_input(emu: KimiEmulator, http: httpx.Client) -> None:
    video = _media("video_url", "ms://video-1")
    for model in ("kimi-k2.6", "kimi-k3", "kimi-k2.7-code"):
        body = ok(http, model=model, messages=video)
        assert message_of(body)["content"] == "You said: What is this?"
    vision = "moonshot-v1-8k-vision-preview"
    assert bad(emu, post(http, model=vision, messages=video)) == (
        f"Invalid request: model {vision} does not support video input"
    )
    assert ok(http, model=vision, messages=_media("image_url", "data:image/png;base64,AA=="))
    assert bad(emu, post(http, model="moonshot-v1-8k", messages=video)) == (
        "Invalid request: model moonshot-v1-8k does not support video input"
    )
    assert bad(emu, post(http, messages=_media("video_url", "https://x.test/a.mp4"))) == (
        "Invalid request: unsupported video_url in the message at position 0: only base64 "
        "data URLs and ms://<file_id> URLs are supported"
    )
    data = ok(http, messages=_media("video_url", "data:video/mp4;base64,AAAA"), thinking=OFF)
    assert data["usage"]["prompt_tokens"] == 3 + 3 + 4 + 256


# --------------------------------------------------------------------------- 8. wire hygiene


@pytest.mark.parametrize(
    "content", ["", [], [{"type": "text", "text": ""}], [{"type": "text", "text": ""}] * 2]
)
def test_empty_content_next_to_tool_calls(
    emu: KimiEmulator, http: httpx.Client, content: Any
) -> None:
    messages: list[dict[str, Any]] = [
        USER,
        {"role": "assistant", "content": content, "tool_calls": [CALL]},
        {"role": "tool", "tool_call_id": "get_weather:0", "content": "sunny"},
    ]
    assert rejected(emu, post(http, messages=messages, thinking=OFF)) == (
        "invalid_request_error",
        "text content is empty",
    )
    for fine in ("Let me check.", [{"type": "text", "text": "Checking."}], None):
        messages[1]["content"] = fine
        assert ok(http, messages=messages, thinking=OFF)
    del messages[1]["content"]
    assert ok(http, messages=messages, thinking=OFF)


def test_stop_sequence_bytes(emu: KimiEmulator, http: httpx.Client) -> None:
    assert ok(http, stop=["a" * 32, "你好"], thinking=OFF)
    assert ok(http, stop="你" * 10 + "ab", thinking=OFF)  # 32 bytes
    assert bad(emu, post(http, stop=["ok", "a" * 33])) == (
        "Invalid request: stop sequence at index 1 is too long: 33 bytes > 32"
    )
    assert bad(emu, post(http, stop="你" * 11)) == (
        "Invalid request: stop sequence at index 0 is too long: 33 bytes > 32"
    )


def test_stop_count_per_dialect(emu: KimiEmulator, http: httpx.Client) -> None:
    five = ["a", "b", "c", "d", "e"]
    if emu.dialect == "cloudsway":
        assert bad(emu, post(http, stop=five)) == (
            "Invalid request: stop must have at most 4 sequences, got 5"
        )
        assert ok(http, stop=five[:4])
        return
    assert ok(http, stop=five)
    assert bad(emu, post(http, stop=[*five, "f"])) == (
        "Invalid request: stop must have at most 5 sequences, got 6"
    )


def _tool(parameters: Any) -> dict[str, Any]:
    return {"type": "function", "function": {"name": "get_weather", "parameters": parameters}}


@pytest.mark.parametrize(
    ("parameters", "path", "detail"),
    [
        (
            {"type": "object", "properties": {"city": {"description": "where"}}},
            "properties.city",
            "type is not defined",
        ),
        (
            {"type": "object", "properties": {"city": {}}},
            "properties.city",
            "type is not defined",
        ),
        (
            {
                "type": "object",
                "properties": {
                    "place": {
                        "type": "object",
                        "properties": {"city": {"type": "string"}, "zip": {"title": "Zip"}},
                    }
                },
            },
            "properties.place.properties.zip",
            "type is not defined",
        ),
        (
            {"type": "object", "properties": {"tags": {"type": "array", "items": {}}}},
            "properties.tags.items",
            "type is not defined",
        ),
        (
            {
                "type": "object",
                "properties": {"place": {"$ref": "#/components/schemas/Place"}},
                "$defs": {"Place": {"type": "object"}},
            },
            "properties.place",
            "$defs not found for reference",
        ),
        (
            {
                "type": "object",
                "properties": {"place": {"$ref": "#/$defs/Missing"}},
                "$defs": {"Place": {"type": "object"}},
            },
            "properties.place",
            "$defs not found for reference",
        ),
        (
            {"type": "object", "properties": {"place": {"$ref": 3}}},
            "properties.place",
            "$ref must be a string",
        ),
        (
            {
                "type": "object",
                "properties": {"places": {"type": "array", "items": {"$ref": "#/$defs/P"}}},
            },
            "properties.places.items",
            "$defs not found for reference",
        ),
    ],
)
def test_moonshot_flavored_json_schema(
    emu: KimiEmulator, http: httpx.Client, parameters: Any, path: str, detail: str
) -> None:
    response = post(http, tools=[_tool(parameters)], thinking=OFF)
    assert bad(emu, response) == SCHEMA_ERROR.format(path, detail)


@pytest.mark.parametrize(
    "parameters", [{}, {"properties": {"city": {"type": "string"}}}, {"type": "string"}, []]
)
def test_moonshot_flavored_json_schema_root(
    emu: KimiEmulator, http: httpx.Client, parameters: Any
) -> None:
    # The live message for a root without type: no "details" wrapper (issue 25).
    response = post(http, tools=[_tool(parameters)], thinking=OFF)
    assert bad(emu, response) == (
        'Invalid request: tools.function.parameters.type is required and must be "object"'
    )


class Place(BaseModel):
    city: str
    zip_code: int | None = None


class Trip(BaseModel):
    origin: Place
    stops: list[Place]
    mode: str = "train"
    note: str | None = None


@pytest.mark.parametrize(
    "parameters",
    [
        Trip.model_json_schema(),
        {"type": "object"},
        {
            "type": "object",
            "properties": {
                "unit": {"enum": ["km", "mi"]},
                "kind": {"const": "x"},
                "value": {"anyOf": [{"type": "integer"}, {"type": "null"}]},
                "either": {"oneOf": [{"type": "string"}, {"type": "number"}]},
                "both": {"allOf": [{"type": "string"}]},
                "place": {"$ref": "#/definitions/Place"},
            },
            "definitions": {"Place": {"type": "object"}},
        },
    ],
)
def test_valid_schemas_pass(http: httpx.Client, parameters: dict[str, Any]) -> None:
    body = ok(http, tools=[_tool(parameters)], thinking=OFF)
    call = message_of(body)["tool_calls"][0]
    assert isinstance(json.loads(call["function"]["arguments"]), dict)


def test_tool_without_parameters_passes(http: httpx.Client) -> None:
    tool = {"type": "function", "function": {"name": "get_time"}}
    assert message_of(ok(http, tools=[tool], thinking=OFF))["tool_calls"][0]["id"] == "get_time:0"


# --------------------------------------------------------------------------- 9. headers


def test_trace_id_header(emu: KimiEmulator, http: httpx.Client) -> None:
    responses = [
        post(http),
        post(http, model="kimi-nope"),
        post(http, n=9),
        http.get("models"),
        http.get("nowhere"),
        http.get("users/me/balance"),
    ]
    for response in responses:
        if emu.dialect == "moonshot":
            assert response.headers["x-trace-id"] == response.headers["msh-request-id"]
            assert len(response.headers["x-trace-id"]) == 32
        else:
            assert "x-trace-id" not in response.headers
    if emu.dialect == "moonshot":
        assert len({r.headers["x-trace-id"] for r in responses}) == len(responses)


def test_rate_limit_headers(emu: KimiEmulator, http: httpx.Client) -> None:
    assert not [h for h in post(http).headers if h.startswith("x-ratelimit")]
    emu.set_limits(rpm=3)
    first = post(http)
    assert first.headers["x-ratelimit-limit"] == "3"
    assert first.headers["x-ratelimit-remaining"] == "2"
    assert first.headers["x-ratelimit-reset"] == "60"
    assert "retry-after" not in first.headers
    second = post(http, n=9)  # a 400 is a chat answer too
    assert second.status_code == 400
    assert second.headers["x-ratelimit-remaining"] == "1"
    third = post(http, stream=True)
    assert third.headers["content-type"].startswith("text/event-stream")
    assert third.headers["x-ratelimit-remaining"] == "0"
    assert 1 <= int(third.headers["x-ratelimit-reset"]) <= 60
    refused = post(http)
    kind, message = rejected(emu, refused, 429)
    assert kind == ("too_many_requests" if emu.dialect == "acedata" else "rate_limit_reached_error")
    wait = refused.headers["retry-after"]
    assert refused.headers["x-ratelimit-reset"] == wait
    assert 1 <= int(wait) <= 60
    assert refused.headers["x-ratelimit-limit"] == "3"
    assert refused.headers["x-ratelimit-remaining"] == "0"
    assert message.endswith(f"organization max RPM: 3, please try again after {wait} seconds")
    # Only chat completions are limited and labelled.
    assert not [h for h in http.get("models").headers if h.startswith("x-ratelimit")]


def test_rate_limit_reset_follows_the_window(emu: KimiEmulator, http: httpx.Client) -> None:
    emu.set_limits(rpm=1, window=2.5)
    assert post(http).headers["x-ratelimit-reset"] == str(math.ceil(2.5))
    refused = post(http)
    assert refused.status_code == 429
    assert refused.headers["retry-after"] in ("1", "2", "3")


def test_concurrency_429_has_retry_after(
    kimi_emulator_factory: Callable[..., KimiEmulator],
) -> None:
    emu, http = own(kimi_emulator_factory, concurrency_limit=0)
    with http:
        refused = post(http)
        kind, message = rejected(emu, refused, 429)
        assert kind == "rate_limit_reached_error"
        assert "max organization concurrency: 0" in message
        assert refused.headers["retry-after"] == "1"
        assert not [h for h in refused.headers if h.startswith("x-ratelimit")]


def test_constructor_rpm_limit_headers(kimi_emulator_factory: Callable[..., KimiEmulator]) -> None:
    emu, http = own(kimi_emulator_factory, "cloudsway", rpm_limit=2)
    with http:
        assert post(http).headers["x-ratelimit-remaining"] == "1"
        assert post(http).headers["x-ratelimit-remaining"] == "0"
        refused = post(http)
        assert rejected(emu, refused, 429)[0] == "rate_limit_reached_error"
        assert int(refused.headers["retry-after"]) >= 1
        emu.reset()
        assert post(http).headers["x-ratelimit-remaining"] == "1"


# --------------------------------------------------------------------------- 10. usage


def test_scripted_cached_tokens_on_k3(emu: KimiEmulator, http: httpx.Client) -> None:
    emu.script("Cached!", usage={"cached_tokens": 6})
    usage = ok(http, model="kimi-k3", reasoning_effort="high")["usage"]
    assert usage["prompt_tokens"] == 8
    if emu.dialect == "moonshot":
        assert usage["cached_tokens"] == 6
    else:
        assert usage["prompt_tokens_details"]["cached_tokens"] == 6
