"""The emulator speaking each host's dialect (issue 24), over real HTTP.

Per host: the base URL its client profile would build, the auth header, the host's spelling
of a Kimi id, where reasoning comes out, what thinking on/off the server read from its own
fields (and that Moonshot's ``thinking`` object stays ignored), stream usage with and without
``stream_options``, an error body, a mid-stream error, the reasoning a replayed assistant turn
carried as the server read it. The expected values are written out here from
``docs/kimi-api/hosts.md``, not read from the emulator's tables.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import httpx
import openai
import pytest

from kimi_core.catalog.hosts import HOSTS
from kimi_core.catalog.token_estimate import count_text
from kimi_emulator import KimiEmulator
from kimi_emulator.host_dialects import HOST_DIALECTS

KEY = "sk-host-test"
HOST_NAMES = sorted(name for name, profile in HOSTS.items() if not profile.platform)
USER = {"role": "user", "content": "Hello"}
THOUGHT = "Let me think about this."
REASONING_TOKENS = count_text(THOUGHT)
COMPLETION_TOKENS = count_text("You said: Hello") + REASONING_TOKENS

BASE_PATHS = {
    "openrouter": "/api/v1",
    "together": "/v1",
    "fireworks": "/inference/v1",
    "deepinfra": "/v1/openai",
    "siliconflow": "/v1",
    "baseten": "/v1",
    "nvidia": "/v1",
    "cloudflare": "/client/v4/accounts/emulator-account/ai/v1",
    "dashscope": "/compatible-mode/v1",
    "volcengine": "/api/v3",
    "vertex": "/v1/projects/emulator-project/locations/global/endpoints/openapi",
    "azure": "/openai/v1",
    "bedrock": "/v1",
    "vllm": "/v1",
    "sglang": "/v1",
    "ollama": "/v1",
}
# Each host's own spelling of a Kimi model (hosts.md, "Kimi ids").
MODELS = {
    "openrouter": "moonshotai/kimi-k2.6",
    "together": "moonshotai/Kimi-K2.6",
    "fireworks": "accounts/fireworks/models/kimi-k2p6",
    "deepinfra": "moonshotai/Kimi-K2.6",
    "siliconflow": "Pro/moonshotai/Kimi-K2.6",
    "baseten": "moonshotai/Kimi-K2.6",
    "nvidia": "moonshotai/kimi-k2.6",
    "cloudflare": "@cf/moonshotai/kimi-k2.6",
    "dashscope": "kimi-k2.6",
    "volcengine": "kimi-k2-5-260127",
    "vertex": "moonshotai/kimi-k2-thinking-maas",
    "azure": "Kimi-K2.6",
    "bedrock": "moonshotai.kimi-k2.5",
    "vllm": "moonshotai/Kimi-K2.6",
    "sglang": "moonshotai/Kimi-K2.6",
    "ollama": "kimi-k2.6:cloud",
}
REASONING_OUT = {
    "openrouter": {"reasoning", "reasoning_details"},
    "together": {"reasoning"},
    "bedrock": {"reasoning"},
    "vllm": {"reasoning"},
    "ollama": {"reasoning"},
}
# Each host's own way to turn thinking off and on (none for Vertex and Azure: no switch).
OFF: dict[str, dict[str, Any]] = {
    "openrouter": {"reasoning": {"enabled": False}},
    "together": {"reasoning": {"enabled": False}},
    "fireworks": {"reasoning_effort": "none"},
    "deepinfra": {"reasoning_effort": "none"},
    "siliconflow": {"enable_thinking": False},
    "baseten": {"chat_template_args": {"enable_thinking": False}},
    "nvidia": {"chat_template_kwargs": {"thinking": False}},
    "cloudflare": {"chat_template_kwargs": {"thinking": False}},
    "dashscope": {"enable_thinking": False},
    "volcengine": {"thinking": {"type": "disabled"}},
    "bedrock": {"reasoning_effort": "none"},
    "vllm": {"chat_template_kwargs": {"thinking": False}},
    "sglang": {"chat_template_kwargs": {"thinking": False}},
    "ollama": {"reasoning_effort": "none"},
}
ON: dict[str, dict[str, Any]] = {
    "openrouter": {"reasoning": {"effort": "high"}},
    "together": {"reasoning": {"enabled": True}},
    "fireworks": {"reasoning_effort": "high"},
    "deepinfra": {"reasoning": {"enabled": True}},
    "siliconflow": {"enable_thinking": True},
    "baseten": {"chat_template_args": {"enable_thinking": True}},
    "nvidia": {"chat_template_kwargs": {"thinking": True}},
    "cloudflare": {"chat_template_kwargs": {"thinking": True}},
    "dashscope": {"enable_thinking": True},
    "volcengine": {"thinking": {"type": "enabled"}},
    "bedrock": {"reasoning_effort": "high"},
    "vllm": {"chat_template_kwargs": {"thinking": True}},
    "sglang": {"chat_template_kwargs": {"thinking": True}},
    "ollama": {"reasoning_effort": "high"},
}
OFF_BY_DEFAULT = {"baseten", "bedrock"}
STREAM_USAGE_ALWAYS = {"openrouter"}
READS_BACK = {  # the one key a replayed assistant turn's reasoning is read from
    "vllm": "reasoning",
    "ollama": "reasoning",
    "sglang": "reasoning_content",
    "fireworks": "reasoning_content",
}


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[str, KimiEmulator]]:
    emulators = {name: KimiEmulator(name, api_key=KEY).start() for name in HOST_NAMES}
    try:
        yield emulators
    finally:
        for emulator in emulators.values():
            emulator.stop()


def auth(name: str) -> dict[str, str]:
    return {"api-key": KEY} if name == "azure" else {"authorization": f"Bearer {KEY}"}


@pytest.fixture(params=HOST_NAMES)
def host(request: pytest.FixtureRequest, servers: dict[str, KimiEmulator]) -> KimiEmulator:
    emulator = servers[request.param]
    emulator.reset()
    return emulator


@pytest.fixture
def http(host: KimiEmulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=host.base_url + "/", headers=auth(host.dialect)) as client:
        yield client


def post(emu: KimiEmulator, http: httpx.Client, **body: Any) -> httpx.Response:
    body.setdefault("model", MODELS[emu.dialect])
    body.setdefault("messages", [USER])
    return http.post("chat/completions", json=body)


def answer(emu: KimiEmulator, http: httpx.Client, **body: Any) -> dict[str, Any]:
    response = post(emu, http, **body)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def events(response: httpx.Response) -> list[Any]:
    """The SSE events of a stream: parsed JSON, ``"[DONE]"``, or a comment line as is."""
    out: list[Any] = []
    for block in response.text.split("\n\n"):
        if not block:
            continue
        if block.startswith(":"):
            out.append(block)
        else:
            payload = block.removeprefix("data: ")
            out.append(payload if payload == "[DONE]" else json.loads(payload))
    return out


def reasoning_keys(name: str) -> set[str]:
    return REASONING_OUT.get(name, {"reasoning_content"})


# --------------------------------------------------------------------------- where it is


def test_every_client_host_profile_has_a_server_dialect() -> None:
    assert sorted(HOST_DIALECTS) == HOST_NAMES
    assert set(BASE_PATHS) == set(HOST_NAMES)


def test_base_url_is_the_one_the_client_profile_builds(host: KimiEmulator) -> None:
    assert host.base_url == f"http://127.0.0.1:{host.port}{BASE_PATHS[host.dialect]}"
    profile_url = HOSTS[host.dialect].base_url or "http://localhost:8000/v1"
    profile_path = re.sub(r"\{[a-z_]+\}", "X", profile_url.split("://", 1)[1].split("/", 1)[1])
    expected_path = re.sub(r"emulator-(account|project)", "X", BASE_PATHS[host.dialect])
    assert "/" + profile_path == expected_path


def test_auth_header_per_host(host: KimiEmulator) -> None:
    with httpx.Client(base_url=host.base_url + "/") as raw:
        wrong = raw.post(
            "chat/completions",
            json={"model": MODELS[host.dialect], "messages": [USER]},
            headers={"authorization": f"Bearer {KEY}"} if host.dialect == "azure" else {},
        )
    assert wrong.status_code == 401
    recorded = host.requests[-1].headers
    if host.dialect == "azure":
        assert "api-key" not in recorded
    else:
        assert "authorization" not in recorded


def test_azure_takes_the_api_key_header(servers: dict[str, KimiEmulator]) -> None:
    emu = servers["azure"]
    emu.reset()
    with openai.OpenAI(
        api_key="unused", base_url=emu.base_url, default_headers={"api-key": KEY}, max_retries=0
    ) as sdk:
        reply = sdk.chat.completions.create(model="Kimi-K2.6", messages=[USER])  # type: ignore[list-item]
    assert reply.choices[0].message.content == "You said: Hello"
    assert emu.requests[-1].headers["api-key"] == "***"


# --------------------------------------------------------------------------- answers


def test_model_as_asked_and_reasoning_field(host: KimiEmulator, http: httpx.Client) -> None:
    body = answer(host, http, **ON[host.dialect]) if host.dialect in ON else answer(host, http)
    assert body["model"] == MODELS[host.dialect]
    message = body["choices"][0]["message"]
    keys = reasoning_keys(host.dialect)
    present = {k for k in ("reasoning", "reasoning_content", "reasoning_details") if k in message}
    assert present == keys
    for key in keys - {"reasoning_details"}:
        assert message[key] == THOUGHT
    if host.dialect == "openrouter":
        assert message["reasoning_details"] == [
            {
                "type": "reasoning.text",
                "text": THOUGHT,
                "format": "unknown",
                "index": 0,
            }
        ]
        assert body["provider"] == "Moonshot AI"
        assert body["id"].startswith("gen-")
        assert body["choices"][0]["native_finish_reason"] == "stop"
    assert message["content"] == "You said: Hello"


def test_stream_reasoning_deltas(host: KimiEmulator, http: httpx.Client) -> None:
    extra = ON.get(host.dialect, {})
    response = post(host, http, stream=True, **extra)
    chunks = [e for e in events(response) if isinstance(e, dict)]
    deltas = [c["choices"][0]["delta"] for c in chunks if c["choices"]]
    keys = reasoning_keys(host.dialect)
    thought = [d for d in deltas if keys & set(d)]
    assert thought, deltas
    assert all(set(d) == keys for d in thought)
    key = "reasoning" if "reasoning" in keys else "reasoning_content"
    assert "".join(d[key] for d in thought) == THOUGHT
    assert "".join(d.get("content") or "" for d in deltas) == "You said: Hello"
    assert all(c["model"] == MODELS[host.dialect] for c in chunks)


def test_thinking_on_off_read_from_the_hosts_own_fields(
    host: KimiEmulator, http: httpx.Client
) -> None:
    name = host.dialect
    default = answer(host, http)["choices"][0]["message"]
    thinks_by_default = name not in OFF_BY_DEFAULT
    assert (reasoning_keys(name) <= set(default)) is thinks_by_default
    assert host.requests[-1].seen_thinking is None
    if name in OFF:
        off = answer(host, http, **OFF[name])["choices"][0]["message"]
        assert not reasoning_keys(name) & set(off)
        assert host.requests[-1].seen_thinking is False
    if name in ON:
        on = answer(host, http, **ON[name])["choices"][0]["message"]
        assert reasoning_keys(name) <= set(on)
        assert host.requests[-1].seen_thinking is True


def test_moonshot_thinking_object_is_ignored_off_moonshot(
    host: KimiEmulator, http: httpx.Client
) -> None:
    name = host.dialect
    flip = {"type": "enabled"} if name in OFF_BY_DEFAULT else {"type": "disabled"}
    message = answer(host, http, thinking=flip)["choices"][0]["message"]
    thinks = bool(reasoning_keys(name) & set(message))
    if name == "volcengine":  # Ark reads Moonshot's own field
        assert thinks is False
        assert host.requests[-1].seen_thinking is False
    else:
        assert thinks is (name not in OFF_BY_DEFAULT)
        assert host.requests[-1].seen_thinking is None


def test_no_moonshot_platform_rules(host: KimiEmulator, http: httpx.Client) -> None:
    tool = {
        "type": "function",
        "function": {"name": "ls", "parameters": {"properties": {"p": {}}}},
    }
    schema = {"type": "json_schema", "json_schema": {"name": "a", "schema": {"type": "array"}}}
    body = answer(host, http, temperature=0.3, top_p=0.5, n=1, tools=[tool], tool_choice="required")
    calls = body["choices"][0]["message"].get("tool_calls")
    assert calls is not None  # nothing forced needed: the tool is called unforced too
    assert calls[0]["function"]["name"] == "ls"
    assert post(host, http, response_format=schema).status_code == 200
    # A named tool_choice is taken as is (Ollama does not read tool_choice: §16).
    tools = [tool, {"type": "function", "function": {"name": "b_tool"}}]
    named = {"type": "function", "function": {"name": "b_tool"}}
    forced = answer(host, http, tools=tools, tool_choice=named)["choices"][0]["message"]
    called = forced["tool_calls"][0]["function"]["name"]
    assert called == ("ls" if host.dialect == "ollama" else "b_tool")
    # A model Moonshot retired is still served by a host (open weights).
    retired = "moonshotai/Kimi-K2.5" if host.dialect != "ollama" else "kimi-k2.5:cloud"
    assert answer(host, http, model=retired)["model"] == retired


def test_unknown_model(host: KimiEmulator, http: httpx.Client) -> None:
    response = post(host, http, model="acme/llama-9")
    assert response.status_code == (400 if host.dialect == "openrouter" else 404)


# --------------------------------------------------------------------------- streams


@pytest.mark.parametrize("include_usage", [False, True])
def test_stream_usage_only_when_asked(
    host: KimiEmulator, http: httpx.Client, include_usage: bool
) -> None:
    extra = {"stream_options": {"include_usage": True}} if include_usage else {}
    all_events = events(post(host, http, stream=True, **extra))
    assert all_events[-1] == "[DONE]"
    usages = [e["usage"] for e in all_events if isinstance(e, dict) and e.get("usage")]
    if include_usage or host.dialect in STREAM_USAGE_ALWAYS:
        assert len(usages) == 1
        usage = usages[0]
        assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
        assert usage["prompt_tokens"] == 8
    else:
        assert usages == []
    if host.dialect == "openrouter":
        assert all_events[0] == ": OPENROUTER PROCESSING"
        last = all_events[-2]
        assert last["choices"][0]["finish_reason"] == "stop"
        assert "cost" in last["usage"]


def test_usage_shapes(host: KimiEmulator, http: httpx.Client) -> None:
    usage = answer(host, http, **ON.get(host.dialect, {}))["usage"]
    base = {
        "prompt_tokens": 8,
        "completion_tokens": COMPLETION_TOKENS,
        "total_tokens": 8 + COMPLETION_TOKENS,
    }
    assert {k: usage[k] for k in base} == base
    name = host.dialect
    if name == "openrouter":
        # $1 per million prompt tokens, $4 per million completion tokens (documented).
        assert usage["cost"] == pytest.approx(8 * 1e-6 + COMPLETION_TOKENS * 4e-6)
        assert usage["cost_details"]["upstream_inference_cost"] == usage["cost"]
        assert usage["completion_tokens_details"]["reasoning_tokens"] == REASONING_TOKENS
        assert usage["prompt_tokens_details"]["cache_write_tokens"] == 0
        assert usage["is_byok"] is False
    elif name == "sglang":
        assert usage["reasoning_tokens"] == REASONING_TOKENS
    elif name == "baseten":
        assert usage["completion_tokens_details"] == {"reasoning_tokens": REASONING_TOKENS}
    else:
        assert "cost" not in usage


# --------------------------------------------------------------------------- errors


def _error_message(name: str, body: Any) -> str:
    """The message of a host's error body, after checking its shape."""
    if name == "openrouter":
        assert set(body) == {"error", "user_id"}
        return str(body["error"]["message"])
    if name == "cloudflare":
        assert body["success"] is False
        assert body["result"] is None
        return str(body["errors"][0]["message"])
    if name == "sglang":
        assert body["object"] == "error"
        assert set(body) == {"object", "message", "type", "param", "code"}
        return str(body["message"])
    if name == "siliconflow":
        assert set(body) == {"code", "message", "data"}
        return str(body["message"])
    if name == "dashscope":
        assert set(body) == {"error", "id", "request_id"}
    assert set(body["error"]) == {"message", "type", "param", "code"}
    return str(body["error"]["message"])


def test_error_bodies(host: KimiEmulator, http: httpx.Client) -> None:
    name = host.dialect
    host.fail_next(500, message="boom")
    response = post(host, http)
    assert response.status_code == 500
    body = response.json()
    message = _error_message(name, body)
    if name == "openrouter":
        assert body["error"]["code"] == 500
        assert message == "Provider returned error"
        metadata = body["error"]["metadata"]
        assert metadata["provider_name"] == "Moonshot AI"
        assert json.loads(metadata["raw"]) == {"error": {"message": "boom", "type": "server_error"}}
    elif name == "cloudflare":
        assert body["errors"] == [{"message": "AiError: boom", "code": 500}]
    else:
        assert message == "boom"
    if name == "vllm":
        assert body["error"] == {
            "message": "boom",
            "type": "InternalServerError",
            "param": None,
            "code": 500,
        }
    if name == "sglang":
        assert body["type"] == "InternalServerError"
        assert body["code"] == 500
    if name == "ollama":
        assert body["error"]["type"] == "api_error"


def test_openrouter_402_out_of_credits(servers: dict[str, KimiEmulator]) -> None:
    emu = servers["openrouter"]
    emu.reset()
    emu.fail_next(402)
    with httpx.Client(base_url=emu.base_url + "/", headers=auth("openrouter")) as http:
        response = post(emu, http)
    assert response.status_code == 402
    assert response.json() == {
        "error": {
            "code": 402,
            "message": "Insufficient credits. Add more using https://openrouter.ai/settings/credits",
        },
        "user_id": "user_emulator",
    }


def test_mid_stream_error(host: KimiEmulator, http: httpx.Client) -> None:
    host.fail_mid_stream("upstream went away", after=3)
    all_events = events(post(host, http, stream=True))
    name = host.dialect
    if name == "openrouter":
        assert all_events[0] == ": OPENROUTER PROCESSING"
        assert len(all_events) == 4  # the comment, two chunks, the error chunk; no [DONE]
        last = all_events[-1]
        assert last["error"] == {"code": "server_error", "message": "upstream went away"}
        assert last["choices"] == [
            {
                "index": 0,
                "delta": {"content": ""},
                "finish_reason": "error",
                "native_finish_reason": "error",
            }
        ]
        return
    assert len(all_events) == 5  # three chunks, the error, [DONE]
    assert all_events[-1] == "[DONE]"
    assert all(e["choices"][0]["finish_reason"] is None for e in all_events[:3])
    assert _error_message(name, all_events[3]).endswith("upstream went away")
    # The next stream is whole again.
    assert events(post(host, http, stream=True))[-1] == "[DONE]"


# --------------------------------------------------------------------------- replayed reasoning


def _history(**assistant_extra: Any) -> list[dict[str, Any]]:
    call = {
        "id": "functions.get_weather:0",
        "type": "function",
        "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
    }
    return [
        USER,
        {"role": "assistant", "content": None, "tool_calls": [call], **assistant_extra},
        {"role": "tool", "tool_call_id": "functions.get_weather:0", "content": "sunny"},
    ]


def test_reasoning_read_back_per_host(host: KimiEmulator, http: httpx.Client) -> None:
    name = host.dialect
    both = {"reasoning": "R-plain", "reasoning_content": "R-content"}
    if name == "azure":  # strict: a "reasoning" key is refused (the client never sends it)
        assert post(host, http, messages=_history(**both)).status_code == 422
        both.pop("reasoning")
    answer(host, http, messages=_history(**both), **OFF.get(name, {}))
    seen = host.requests[-1].seen_reasoning
    if name in ("vllm", "ollama"):
        assert seen == ["R-plain"]
    elif name in ("together", "bedrock"):
        assert seen == ["R-plain"]  # reasoning first, then reasoning_content
    else:
        assert seen == ["R-content"]
    only_content = _history(reasoning_content="R-content")
    if name == "siliconflow" or name == "openrouter":
        answer(host, http, messages=only_content)
    else:
        answer(host, http, messages=only_content, **OFF.get(name, {}))
    expected = None if name in ("vllm", "ollama") else "R-content"
    assert host.requests[-1].seen_reasoning == [expected]


def test_vllm_drops_reasoning_content(servers: dict[str, KimiEmulator]) -> None:
    emu = servers["vllm"]
    emu.reset()
    with openai.OpenAI(api_key=KEY, base_url=emu.base_url, max_retries=0) as sdk:
        sdk.chat.completions.create(
            model="moonshotai/Kimi-K2.6",
            messages=_history(reasoning_content="lost"),  # type: ignore[arg-type]
        )
        sdk.chat.completions.create(
            model="moonshotai/Kimi-K2.6",
            messages=_history(reasoning="kept"),  # type: ignore[arg-type]
        )
    assert [r.seen_reasoning for r in emu.requests] == [[None], ["kept"]]


def test_openrouter_moonshot_upstream_needs_reasoning_content(
    servers: dict[str, KimiEmulator],
) -> None:
    emu = servers["openrouter"]
    emu.reset()
    details = [{"type": "reasoning.text", "text": "Think", "format": "unknown", "index": 0}]
    with httpx.Client(base_url=emu.base_url + "/", headers=auth("openrouter")) as http:
        refused = post(emu, http, messages=_history(reasoning_details=details))
        assert refused.status_code == 400
        error = refused.json()["error"]
        assert error["message"] == "Provider returned error"
        assert error["metadata"]["provider_name"] == "Moonshot AI"
        assert json.loads(error["metadata"]["raw"]) == {
            "error": {
                "message": "thinking is enabled but reasoning_content is missing in assistant "
                "tool call message at index 1",
                "type": "invalid_request_error",
            }
        }
        assert emu.requests[-1].seen_reasoning == ["Think"]
        both = _history(reasoning_details=details, reasoning_content="Think")
        assert post(emu, http, messages=both).status_code == 200
        emu.set_upstream("Chutes")
        accepted = answer(emu, http, messages=_history(reasoning_details=details))
        assert accepted["provider"] == "Chutes"
        # Thinking off: nothing to replay.
        emu.reset()
        off = _history(reasoning_details=details)
        assert post(emu, http, messages=off, reasoning={"enabled": False}).status_code == 200


def test_siliconflow_needs_reasoning_content_while_thinking(
    servers: dict[str, KimiEmulator],
) -> None:
    emu = servers["siliconflow"]
    emu.reset()
    with httpx.Client(base_url=emu.base_url + "/", headers=auth("siliconflow")) as http:
        response = post(emu, http, model="Pro/moonshotai/Kimi-K2.5", messages=_history())
        assert response.status_code == 400
        assert response.json() == {
            "code": 20015,
            "message": "thinking is enabled but reasoning_content is missing in assistant "
            "tool call message at index 1",
            "data": None,
        }
        assert post(emu, http, messages=_history(), enable_thinking=False).status_code == 200


# --------------------------------------------------------------------------- host quirks


def _client(emu: KimiEmulator) -> httpx.Client:
    return httpx.Client(base_url=emu.base_url + "/", headers=auth(emu.dialect))


def test_ollama_reads_its_effort_values_and_ignores_tool_choice(
    servers: dict[str, KimiEmulator],
) -> None:
    emu = servers["ollama"]
    emu.reset()
    with _client(emu) as http:
        bad = post(emu, http, reasoning_effort="xhigh")
        assert bad.status_code == 400
        assert bad.json()["error"] == {
            "message": 'invalid reasoning value: \'xhigh\' (must be "high", "medium", '
            '"low", or "none")',
            "type": "invalid_request_error",
            "param": None,
            "code": None,
        }
        off = answer(emu, http, reasoning={"effort": "none"})["choices"][0]["message"]
        assert "reasoning" not in off
        tools = [
            {"type": "function", "function": {"name": "a_tool"}},
            {"type": "function", "function": {"name": "b_tool"}},
        ]
        named = {"type": "function", "function": {"name": "b_tool"}}
        call = answer(emu, http, tools=tools, tool_choice=named)["choices"][0]["message"]
        assert call["tool_calls"][0]["function"]["name"] == "a_tool"  # the choice is not read
        long = answer(emu, http, max_completion_tokens=2, **OFF["ollama"])
        assert long["choices"][0]["finish_reason"] == "stop"  # max_completion_tokens unread
        short = answer(emu, http, max_tokens=2, **OFF["ollama"])
        assert short["choices"][0]["finish_reason"] == "length"
        image = {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}}
        picture = {"role": "user", "content": [image]}
        assert post(emu, http, messages=[picture]).json()["error"]["message"] == (
            "invalid image input"
        )


def test_fastapi_detail_errors(servers: dict[str, KimiEmulator]) -> None:
    deepinfra, azure = servers["deepinfra"], servers["azure"]
    deepinfra.reset()
    azure.reset()
    with _client(deepinfra) as http:
        response = post(deepinfra, http, reasoning_effort="max")
        assert response.status_code == 422
        detail = response.json()["detail"]
        assert detail[0]["loc"] == ["body", "reasoning_effort"]
        assert detail[0]["input"] == "max"
    with _client(azure) as http:
        messages = [USER, {"role": "assistant", "content": "Hi", "thinking_blocks": []}, USER]
        response = post(azure, http, messages=messages)
        assert response.status_code == 422
        assert response.json() == {
            "detail": [
                {
                    "type": "extra_forbidden",
                    "loc": ["body", "messages", 1, "thinking_blocks"],
                    "msg": "Extra inputs are not permitted",
                    "input": [],
                }
            ]
        }


def test_fireworks_and_volcengine_refusals(servers: dict[str, KimiEmulator]) -> None:
    fireworks, volcengine = servers["fireworks"], servers["volcengine"]
    fireworks.reset()
    volcengine.reset()
    with _client(fireworks) as http:
        both = post(fireworks, http, max_tokens=10, max_completion_tokens=10)
        assert both.status_code == 400
        assert both.json()["error"]["message"] == (
            "max_tokens and max_completion_tokens cannot both be set"
        )
        assert post(fireworks, http, stop=list("abcde")).status_code == 400
        assert post(fireworks, http, stop=list("abcd")).status_code == 200
    with _client(volcengine) as http:
        for field in ({"thinking": {"type": "disabled"}}, {"reasoning_effort": "none"}):
            response = post(volcengine, http, model="kimi-k2.7-code", **field)
            assert response.status_code == 400
            assert response.json()["error"] == {
                "code": "InvalidParameter",
                "message": "A parameter specified in the request is not valid",
                "param": "",
                "type": "BadRequest",
            }


def test_openrouter_reasoning_exclude(servers: dict[str, KimiEmulator]) -> None:
    emu = servers["openrouter"]
    emu.reset()
    with _client(emu) as http:
        body = answer(emu, http, reasoning={"enabled": True, "exclude": True})
    message = body["choices"][0]["message"]
    assert "reasoning" not in message
    assert body["usage"]["completion_tokens_details"]["reasoning_tokens"] == REASONING_TOKENS


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "together",
            {
                "x-ratelimit-limit": "5",
                "x-ratelimit-remaining": "4",
                "x-tokenlimit-limit": "1000",
                "x-tokenlimit-remaining": "992",
            },
        ),
        (
            "fireworks",
            {
                "x-ratelimit-limit-requests": "5",
                "x-ratelimit-remaining-requests": "4",
                "x-ratelimit-limit-tokens": "1000",
                "x-ratelimit-remaining-tokens": "992",
            },
        ),
        ("openrouter", {}),
        ("vllm", {}),
    ],
)
def test_rate_limit_headers_per_host(
    servers: dict[str, KimiEmulator], name: str, expected: dict[str, str]
) -> None:
    emu = servers[name]
    emu.reset()
    emu.set_limits(rpm=5, tpm=1000)
    try:
        with _client(emu) as http:
            response = post(emu, http, **OFF.get(name, {}))
    finally:
        emu.set_limits()
    limits = {k: v for k, v in response.headers.items() if "limit" in k}
    resets = {k for k in limits if "reset" in k}
    assert {k: v for k, v in limits.items() if k not in resets} == expected
    if name == "together":
        assert resets == {"x-ratelimit-reset"}
    elif name == "fireworks":
        assert resets == {"x-ratelimit-reset-requests", "x-ratelimit-reset-tokens"}
        assert limits["x-ratelimit-reset-requests"].endswith("s")


def test_the_openai_sdk_streams_from_a_host(servers: dict[str, KimiEmulator]) -> None:
    emu = servers["fireworks"]
    emu.reset()
    with openai.OpenAI(api_key=KEY, base_url=emu.base_url, max_retries=0) as sdk:
        stream = sdk.chat.completions.create(
            model="accounts/fireworks/models/kimi-k2p6",
            messages=[USER],
            stream=True,
            stream_options={"include_usage": True},
        )
        chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "You said: Hello"
    assert chunks[-1].usage is not None
    assert chunks[-1].usage.total_tokens == 8 + COMPLETION_TOKENS


def test_moonshot_endpoint_names_are_the_moonshot_dialect() -> None:
    for name in ("moonshot-cn", "moonshot-global"):
        emu = KimiEmulator(name)
        try:
            assert emu.dialect == "moonshot"
            assert emu.base_url.endswith("/v1")
        finally:
            emu.stop()
    with pytest.raises(ValueError, match="unknown dialect 'groq'"):
        KimiEmulator("groq")


def test_cli_speaks_a_host() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "kimi_emulator", "--port", "0", "--dialect", "openrouter"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        match = re.fullmatch(
            r"Kimi emulator \(openrouter\) listening on (http://127\.0\.0\.1:\d+/api/v1)\n", line
        )
        assert match, line
        reply = httpx.post(
            match.group(1) + "/chat/completions",
            json={"model": "moonshotai/kimi-k2.6", "messages": [USER]},
            headers={"authorization": "Bearer x"},
        ).json()
        assert reply["provider"] == "Moonshot AI"
        assert reply["choices"][0]["message"]["reasoning"] == THOUGHT
    finally:
        process.terminate()
        process.communicate(timeout=10)
    assert process.returncode == 0
