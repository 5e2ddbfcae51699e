"""December's Kimi API in the emulator (issue 25), over real HTTP: the tool-name pattern,
retired models, ``prompt_cache_options`` and the simulated prompt cache, MFJS refusals with
Moonshot's live messages, the scripted 504 after a long non-streaming call, the REST tools
(search, search pro, fetch), and the mid-stream error of Moonshot's dialects."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from emulator_support import error_of

from kimi_core.catalog.token_estimate import count_message
from kimi_emulator import KimiEmulator

USER = {"role": "user", "content": "Hello"}
OFF = {"type": "disabled"}
WRAPPER = (
    "Invalid request: {} is not a valid moonshot flavored json schema, details: <At path '{}': {}>"
)
TOOLS = "tools.function.parameters"
RESPONSE = "response_format.json_schema"


def post(http: httpx.Client, **body: Any) -> httpx.Response:
    body.setdefault("model", "kimi-k2.6")
    body.setdefault("messages", [USER])
    return http.post("chat/completions", json=body)


def refused(emu: KimiEmulator, response: httpx.Response, status: int = 400) -> str:
    assert response.status_code == status, response.text
    kind, message = error_of(emu, response.json())
    assert kind in ("invalid_request_error", "resource_not_found_error")
    return message


def tool(name: str, parameters: Any = None) -> dict[str, Any]:
    function: dict[str, Any] = {"name": name}
    if parameters is not None:
        function["parameters"] = parameters
    return {"type": "function", "function": function}


# --------------------------------------------------------------------------- tool names


@pytest.mark.parametrize("name", ["ls", "a", "_", "get-weather_2", "m" * 128])
def test_tool_names_by_the_current_pattern(http: httpx.Client, name: str) -> None:
    response = post(http, tools=[tool(name)], thinking=OFF)
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("name", ["m" * 129, "1ls", "$ls", "get weather", ""])
def test_tool_names_outside_the_pattern(emu: KimiEmulator, http: httpx.Client, name: str) -> None:
    response = post(http, tools=[tool(name)], thinking=OFF)
    assert refused(emu, response) == (
        f"Invalid request: tools[0].function.name {name!r} must match "
        "^[a-zA-Z_][a-zA-Z0-9-_]{0,127}$"
    )


# --------------------------------------------------------------------------- retired models


@pytest.mark.parametrize(
    "model", ["moonshot-v1-auto", "kimi-thinking-preview", "moonshot-v1-8k", "kimi-k2.5"]
)
def test_retired_models_answer_404(
    kimi_emulator_factory: Callable[..., KimiEmulator], model: str
) -> None:
    emu = kimi_emulator_factory("moonshot")
    with httpx.Client(base_url=emu.base_url + "/") as http:
        response = post(http, model=model)
        assert refused(emu, response, 404) == (f"Not found the model {model} or Permission denied")
        listed = [m["id"] for m in http.get("models").json()["data"]]
        assert model not in listed
        assert "kimi-k2.6" in listed


# --------------------------------------------------------------------------- prompt cache


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            {"mode": "explicit"},
            "Invalid request: prompt_cache_options.mode must be \"implicit\", got 'explicit'",
        ),
        (
            {"ttl": "30m"},
            'Invalid request: prompt_cache_options.ttl must be "5m" or "1h", got \'30m\'',
        ),
        ({"ttl": 300}, 'Invalid request: prompt_cache_options.ttl must be "5m" or "1h", got 300'),
        ("5m", "Invalid request: prompt_cache_options must be an object"),
    ],
)
def test_prompt_cache_options_checked(moonshot: KimiEmulator, options: Any, message: str) -> None:
    with httpx.Client(base_url=moonshot.base_url + "/") as http:
        response = post(http, prompt_cache_options=options)
        assert refused(moonshot, response) == message
        for good in ({}, {"mode": "implicit"}, {"ttl": "1h"}, {"mode": "implicit", "ttl": "5m"}):
            assert post(http, prompt_cache_options=good).status_code == 200


SYSTEM = {"role": "system", "content": "word " * 300}  # 378 tokens: over the 256 threshold
SYSTEM_TOKENS = count_message(SYSTEM)


Served = tuple[KimiEmulator, httpx.Client]


@pytest.fixture
def cache_emu(kimi_emulator_factory: Callable[..., KimiEmulator]) -> Iterator[Served]:
    """A fresh moonshot emulator (an empty cache) on a frozen clock, and a client."""
    emu = kimi_emulator_factory("moonshot")
    emu.set_clock(1_800_000_000)
    with httpx.Client(base_url=emu.base_url + "/") as http:
        yield emu, http


def usage_of(served: Served, user: str, **body: Any) -> dict[str, Any]:
    http = served[1]
    messages = [SYSTEM, {"role": "user", "content": user}]
    response = post(http, messages=messages, thinking=OFF, **body)
    assert response.status_code == 200, response.text
    usage: dict[str, Any] = response.json()["usage"]
    return usage


def test_prompt_cache_writes_then_reads(cache_emu: Served) -> None:
    first = usage_of(cache_emu, "Alpha")
    written = SYSTEM_TOKENS + count_message({"role": "user", "content": "Alpha"})
    assert first["prompt_tokens"] == written + 3
    assert first["prompt_tokens_details"] == {"cached_tokens": 0, "cache_write_tokens": written}
    assert first["cached_tokens"] == 0
    # Another question after the same system prompt: the system prompt is read from the cache.
    second = usage_of(cache_emu, "Bravo")
    new = count_message({"role": "user", "content": "Bravo"})
    assert second["prompt_tokens_details"] == {
        "cached_tokens": SYSTEM_TOKENS,
        "cache_write_tokens": new,
    }
    assert second["cached_tokens"] == SYSTEM_TOKENS
    # The same prompt again: all read, nothing written.
    third = usage_of(cache_emu, "Alpha")
    assert third["prompt_tokens_details"] == {"cached_tokens": written, "cache_write_tokens": 0}
    for usage in (first, second, third):
        details = usage["prompt_tokens_details"]
        assert details["cached_tokens"] + details["cache_write_tokens"] <= usage["prompt_tokens"]


def test_prompt_cache_expires_on_the_emulator_clock_per_tier(cache_emu: Served) -> None:
    emu = cache_emu[0]
    usage_of(cache_emu, "Alpha")
    hour = {"prompt_cache_options": {"ttl": "1h"}}
    # The 1h tier is independent of the 5m one: a first 1h request writes.
    assert usage_of(cache_emu, "Alpha", **hour)["prompt_tokens_details"]["cached_tokens"] == 0
    emu.set_clock(1_800_000_000 + 301)
    five = usage_of(cache_emu, "Alpha")["prompt_tokens_details"]
    assert five["cached_tokens"] == 0  # the 5m entry expired
    assert five["cache_write_tokens"] > 0
    one = usage_of(cache_emu, "Alpha", **hour)["prompt_tokens_details"]
    assert one["cached_tokens"] > 0  # the 1h entry lives on
    assert one["cache_write_tokens"] == 0
    emu.reset()  # the cache goes with it
    emu.set_clock(1_800_000_000)
    assert usage_of(cache_emu, "Alpha")["prompt_tokens_details"]["cached_tokens"] == 0


def test_prompt_cache_in_the_stream_usage(cache_emu: Served) -> None:
    usage_of(cache_emu, "Alpha")
    messages = [SYSTEM, {"role": "user", "content": "Alpha"}]
    response = post(cache_emu[1], messages=messages, thinking=OFF, stream=True)
    chunks = [
        json.loads(block.removeprefix("data: "))
        for block in response.text.split("\n\n")
        if block.startswith("data: {")
    ]
    usage = chunks[-1]["choices"][0]["usage"]
    written = SYSTEM_TOKENS + count_message({"role": "user", "content": "Alpha"})
    assert usage["prompt_tokens_details"] == {"cached_tokens": written, "cache_write_tokens": 0}
    assert usage["cached_tokens"] == written


def test_small_prompts_and_scripts_leave_usage_as_before(cache_emu: Served) -> None:
    emu, http = cache_emu
    small = post(http, thinking=OFF).json()["usage"]
    assert set(small) == {"prompt_tokens", "completion_tokens", "total_tokens"}
    emu.script("hi", usage={"cached_tokens": 7})
    scripted = usage_of(cache_emu, "Alpha")
    assert scripted["cached_tokens"] == 7
    assert "prompt_tokens_details" not in scripted


def test_prompt_cache_only_on_moonshot(emu: KimiEmulator, http: httpx.Client) -> None:
    messages = [SYSTEM, USER]
    for _ in range(2):
        usage = post(http, messages=messages, thinking=OFF).json()["usage"]
    if emu.dialect == "moonshot":
        whole = count_message(SYSTEM) + count_message(USER)
        assert usage["prompt_tokens_details"] == {"cached_tokens": whole, "cache_write_tokens": 0}
    else:
        assert usage.get("prompt_tokens_details", {}).get("cache_write_tokens") is None


# --------------------------------------------------------------------------- MFJS


TUPLE = {
    "type": "object",
    "properties": {"pair": {"type": "array", "items": [{"type": "string"}, {"type": "number"}]}},
}
ANY_OF_PARENT = {
    "type": "object",
    "properties": {"skill": {"type": "string", "anyOf": [{"type": "string"}, {"type": "null"}]}},
}
ROOT_ANY_OF = {"type": "object", "anyOf": [{"type": "object"}, {"type": "object"}]}
NULL_ENUM = {
    "type": "object",
    "properties": {"db_type": {"type": "string", "enum": ["postgres", "mysql", None]}},
}
UNTYPED = {"type": "object", "properties": {"X": {"description": "anything"}}}
IN_BRANCH = {
    "type": "object",
    "properties": {"x": {"anyOf": [{"type": "null"}, {"type": "array", "items": [{}]}]}},
}
MIXED_ENUM = {"type": "object", "properties": {"n": {"type": "number", "enum": [1.0, 2.5, "a"]}}}


@pytest.mark.parametrize(
    ("schema", "path", "detail"),
    [
        (TUPLE, "properties.pair.items", "items must be an object"),
        (
            ANY_OF_PARENT,
            "properties.skill",
            "when using anyOf, type should be defined in anyOf items instead of the parent schema",
        ),
        (
            ROOT_ANY_OF,
            "root",
            "when using anyOf, type should be defined in anyOf items instead of the parent schema",
        ),
        (
            NULL_ENUM,
            "properties.db_type.enum",
            "enum value (<nil>) does not match any type in [string]",
        ),
        (UNTYPED, "properties.X", "type is not defined"),
        (IN_BRANCH, "properties.x.anyOf.items", "items must be an object"),
        (MIXED_ENUM, "properties.n.enum", "enum value (a) does not match any type in [number]"),
    ],
)
@pytest.mark.parametrize("field", [TOOLS, RESPONSE])
def test_mfjs_refusals_with_moonshots_messages(
    emu: KimiEmulator, http: httpx.Client, schema: Any, path: str, detail: str, field: str
) -> None:
    if field == TOOLS:
        response = post(http, tools=[tool("lookup", schema)], thinking=OFF)
    else:
        rf = {"type": "json_schema", "json_schema": {"name": "out", "schema": schema}}
        response = post(http, response_format=rf, thinking=OFF)
    assert refused(emu, response) == WRAPPER.format(field, path, detail)


@pytest.mark.parametrize("field", [TOOLS, RESPONSE])
def test_mfjs_root_without_object_type(emu: KimiEmulator, http: httpx.Client, field: str) -> None:
    root = {"anyOf": [{"type": "object"}, {"type": "object"}]}
    if field == TOOLS:
        response = post(http, tools=[tool("lookup", root)], thinking=OFF)
    else:
        rf = {"type": "json_schema", "json_schema": {"name": "out", "schema": root}}
        response = post(http, response_format=rf, thinking=OFF)
    assert refused(emu, response) == (
        f'Invalid request: {field}.type is required and must be "object"'
    )


def test_mfjs_valid_response_schema_passes(http: httpx.Client) -> None:
    schema = {
        "type": "object",
        "properties": {
            "kind": {"type": ["string", "null"], "enum": ["a", None]},
            "pair": {"type": "array", "items": {"type": "string"}, "minItems": 2},
            "n": {"anyOf": [{"type": "integer", "enum": [1, 2.0]}, {"type": "null"}]},
        },
        "required": ["kind"],
    }
    rf = {"type": "json_schema", "json_schema": {"name": "out", "schema": schema}}
    response = post(http, response_format=rf, thinking=OFF)
    assert response.status_code == 200, response.text
    assert set(json.loads(response.json()["choices"][0]["message"]["content"])) >= {"kind"}


# --------------------------------------------------------------------------- 504 after 900 s


def test_gateway_timeout_on_a_long_non_streaming_call(
    emu: KimiEmulator, http: httpx.Client
) -> None:
    emu.gateway_timeout_next(0.01)
    assert post(http, messages=[]).status_code == 400  # refused at once: the fault waits
    streamed = post(http, stream=True)  # streams are not cut by the gateway
    assert streamed.status_code == 200
    assert streamed.text.endswith("data: [DONE]\n\n")
    response = post(http)
    assert response.status_code == 504
    assert response.headers["content-type"].startswith("text/html")
    assert "<title>504 Gateway Time-out</title>" in response.text
    assert post(http).status_code == 200  # once only


# --------------------------------------------------------------------------- mid-stream error


def test_mid_stream_error_in_moonshots_dialects(emu: KimiEmulator, http: httpx.Client) -> None:
    emu.fail_mid_stream("the model crashed", after=2)
    blocks = [b for b in post(http, stream=True).text.split("\n\n") if b]
    assert len(blocks) == 4
    assert blocks[-1] == "data: [DONE]"
    error = json.loads(blocks[2].removeprefix("data: "))
    assert error_of(emu, error) == (
        "api_error" if emu.dialect == "acedata" else "server_error",
        "the model crashed",
    )


# --------------------------------------------------------------------------- REST tools


@pytest.fixture
def tools(moonshot: KimiEmulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=moonshot.base_url + "/") as http:
        yield http


FIELDS = {"authority", "date", "icon", "mime", "site_name", "snippet", "text", "title", "url"}


def test_search(tools: httpx.Client) -> None:
    response = tools.post("tools/search", json={"text_query": "Kimi K2 release"})
    assert response.status_code == 200
    results = response.json()["search_results"]
    assert len(results) == 5
    digest = hashlib.sha256(b"Kimi K2 release").hexdigest()[:8]
    for i, item in enumerate(results, start=1):
        assert set(item) == FIELDS
        assert all(isinstance(value, str) for value in item.values())
        assert item["text"] == ""
        assert item["url"] == f"https://example.com/{digest}/{i}"
        assert item["title"] == f"Result {i} for Kimi K2 release"
    full = tools.post(
        "tools/search", json={"text_query": "Kimi", "limit": 2, "include_content": True}
    ).json()["search_results"]
    assert [item["text"] for item in full] == ["Full text 1 about Kimi.", "Full text 2 about Kimi."]


def test_search_pro(tools: httpx.Client) -> None:
    body = {
        "text_query": "Kimi K2",
        "limit": 3,
        "sites": ["moonshot.cn", "kimi.com"],
        "time_window": {"start": "2026-01", "end": "2026-09"},
    }
    results = tools.post("tools/search_pro", json=body).json()["search_results"]
    assert len(results) == 3
    assert [r["site_name"] for r in results] == ["moonshot.cn", "kimi.com", "moonshot.cn"]
    for i, item in enumerate(results, start=1):
        assert set(item) == (FIELDS - {"text"}) | {"chunks"}
        assert item["date"] == "2026-01-01"
        assert item["chunks"] == [
            {"text": f"Chunk of result {i} about Kimi K2.", "score": round(1 / i, 4)}
        ]


def test_fetch(tools: httpx.Client) -> None:
    url = "https://platform.kimi.com/docs/api/overview"
    page = tools.post("tools/fetch", json={"url": url}).json()
    assert page == {
        "url": url,
        "markdown": "# platform.kimi.com/docs/api/overview\n\nEmulated content of "
        f"{url}.\n\n![image1](https://platform.kimi.com/image1.png)",
        "title": "/docs/api/overview - platform.kimi.com",
    }


def test_empty_search_result_is_a_200(tools: httpx.Client) -> None:
    for path in ("tools/search", "tools/search_pro"):
        response = tools.post(path, json={"text_query": "  No Results "})
        assert (response.status_code, response.json()) == (200, {"search_results": []})


@pytest.mark.parametrize(
    ("path", "body", "message"),
    [
        ("tools/search", {}, "text_query is required"),
        ("tools/search", {"text_query": "   "}, "text_query is required"),
        ("tools/search", {"text_query": "k", "limit": 21}, "limit must be between 1 and 20"),
        ("tools/search", {"text_query": "k", "limit": 0}, "limit must be between 1 and 20"),
        (
            "tools/search",
            {"text_query": "k", "timeout_seconds": 61},
            "timeout_seconds must be less than or equal to 60",
        ),
        ("tools/search", [1], "invalid request body"),
        (
            "tools/search_pro",
            {"text_query": "k", "sites": ["a", "b", "c", "d", "e", "f"]},
            "sites must contain at most 5 entries",
        ),
        (
            "tools/search_pro",
            {"text_query": "k", "sites": ["a b"]},
            "site must not contain whitespace or parentheses",
        ),
        (
            "tools/search_pro",
            {"text_query": "k", "time_window": {"start": "2026/01"}},
            "time_window.start is invalid, expect YYYY / YYYY-MM / YYYY-MM-DD",
        ),
        (
            "tools/search_pro",
            {"text_query": "k", "time_window": {"end": "2026-13"}},
            "time_window.end is invalid, expect YYYY / YYYY-MM / YYYY-MM-DD",
        ),
        (
            "tools/search_pro",
            {"text_query": "k", "time_window": {"start": "2026-09", "end": "2026-01-31"}},
            "time_window.start must not be after time_window.end",
        ),
    ],
)
def test_search_errors(tools: httpx.Client, path: str, body: Any, message: str) -> None:
    response = tools.post(path, json=body)
    assert response.status_code == 400
    assert response.json() == {
        "error": {"message": message, "type": "invalid_request", "code": "invalid_request"}
    }


def test_invalid_json_body(tools: httpx.Client) -> None:
    response = tools.post(
        "tools/search", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "invalid request body"


@pytest.mark.parametrize(
    ("url", "status", "kind", "message"),
    [
        (
            "ftp://example.com/a",
            400,
            "invalid_url",
            "The provided URL is invalid: only http and https are supported",
        ),
        (
            None,
            400,
            "invalid_url",
            "The provided URL is invalid: only http and https are supported",
        ),
        ("https:///path", 400, "invalid_url", "The provided URL is invalid: missing host"),
        (
            "http://169.254.169.254/latest/meta-data",
            403,
            "security_risk",
            "We consider the current URL poses a security risk and are unable to provide "
            "fetch service at this time.",
        ),
        (
            "https://www.unsafe.example/",
            403,
            "security_risk",
            "We consider the current URL poses a security risk and are unable to provide "
            "fetch service at this time.",
        ),
        (
            "https://empty.example/page",
            404,
            "markdown_not_found",
            "No text/markdown content found for the current URL.",
        ),
    ],
)
def test_fetch_errors(
    tools: httpx.Client, url: str | None, status: int, kind: str, message: str
) -> None:
    response = tools.post("tools/fetch", json={} if url is None else {"url": url})
    assert response.status_code == status
    assert response.json() == {"error": {"message": message, "type": kind, "code": kind}}


def test_track_and_chat_id_headers(tools: httpx.Client) -> None:
    mine = tools.post(
        "tools/fetch",
        json={"url": "https://empty.example/"},
        headers={"X-Msh-Track-Id": "track-123"},
    )
    assert mine.headers["x-msh-track-id"] == "track-123"
    assert mine.headers["x-msh-chat-id"] == "toolgw-track-123"
    fresh = tools.post("tools/search", json={"text_query": "k"})
    track = fresh.headers["x-msh-track-id"]
    assert len(track) == 32
    assert fresh.headers["x-msh-chat-id"] == f"toolgw-{track}"
    chat = post(tools)
    assert "x-msh-track-id" not in chat.headers


def test_tools_faults_and_auth(
    moonshot: KimiEmulator,
    tools: httpx.Client,
    kimi_emulator_factory: Callable[..., KimiEmulator],
) -> None:
    moonshot.fail_next(429)
    limited = tools.post("tools/search", json={"text_query": "k"})
    assert limited.status_code == 429
    assert limited.json() == {
        "error": {
            "message": "project qps limit exceeded",
            "type": "rate_limited",
            "code": "rate_limited",
        }
    }
    assert "x-msh-chat-id" in limited.headers
    moonshot.fail_next(504)
    assert tools.post("tools/fetch", json={"url": "https://a.b/"}).json()["error"]["type"] == (
        "timeout"
    )
    locked = kimi_emulator_factory("moonshot", api_key="sk-right")
    with httpx.Client(base_url=locked.base_url + "/") as http:
        response = http.post("tools/search", json={"text_query": "k"})
        assert (response.status_code, response.content) == (401, b"")
        ok = http.post(
            "tools/search",
            json={"text_query": "k"},
            headers={"authorization": "Bearer sk-right"},
        )
        assert ok.status_code == 200


def test_tools_only_on_moonshot(emu: KimiEmulator, http: httpx.Client) -> None:
    response = http.post("tools/search", json={"text_query": "k"})
    assert response.status_code == (200 if emu.dialect == "moonshot" else 404)
