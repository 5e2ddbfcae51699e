"""Host profiles (issue 24): detection, model families, each host's request dialect, and
reading what each host answers (real captures replayed, docs/kimi-api/hosts.md)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from core_helpers import Recorder, json_response

from kimi_core import KimiClient
from kimi_core.catalog.hosts import HOSTS, detect_host, get_host, model_family_id
from kimi_core.catalog.model_info import model_traits
from kimi_core.chat.accumulator import StreamAccumulator
from kimi_core.chat.request import prepare_chat, prepare_chat_payload
from kimi_core.chat.turn import ChatTurn, ThinkSplitter
from kimi_core.errors import (
    ConfigurationError,
    InvalidParameterError,
    QuotaExceededError,
    RateLimitError,
    StreamInterruptedError,
)
from kimi_core.limits.limiter import rate_limit_headers
from kimi_core.options import KimiOptions
from kimi_core.transport.responses import parse_completion
from kimi_core.wire.error_body import error_from_response, parse_error_body

CAPTURES = Path(__file__).resolve().parents[1] / "fixtures" / "captures" / "hosts"
USER = [{"role": "user", "content": "hi"}]


def _prepared(host: str, **fields: Any) -> dict[str, Any]:
    payload = {"model": fields.pop("model", "kimi-k2.6"), "messages": USER, **fields}
    return prepare_chat_payload(payload, host=get_host(host))


# -- detection and names ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("https://openrouter.ai/api/v1", "openrouter"),
        ("https://api.together.xyz/v1", "together"),
        ("https://api.together.ai/v1", "together"),
        ("https://api.fireworks.ai/inference/v1", "fireworks"),
        ("https://api.deepinfra.com/v1/openai", "deepinfra"),
        ("https://api.siliconflow.com/v1", "siliconflow"),
        ("https://api.siliconflow.cn/v1", "siliconflow"),
        ("https://inference.baseten.co/v1", "baseten"),
        ("https://integrate.api.nvidia.com/v1", "nvidia"),
        ("https://api.cloudflare.com/client/v4/accounts/abc/ai/v1", "cloudflare"),
        ("https://dashscope.aliyuncs.com/compatible-mode/v1", "dashscope"),
        ("https://dashscope-intl.aliyuncs.com/compatible-mode/v1", "dashscope"),
        ("https://ark.cn-beijing.volces.com/api/v3", "volcengine"),
        ("https://ark.ap-southeast.bytepluses.com/api/v3", "volcengine"),
        (
            "https://aiplatform.googleapis.com/v1/projects/p/locations/global/endpoints/openapi",
            "vertex",
        ),
        (
            "https://us-east5-aiplatform.googleapis.com/v1/projects/p/locations/x/endpoints/openapi",
            "vertex",
        ),
        ("https://my-res.openai.azure.com/openai/v1", "azure"),
        ("https://my-res.services.ai.azure.com/models?api-version=2024-05-01-preview", "azure"),
        ("https://bedrock-mantle.eu-west-2.api.aws/v1", "bedrock"),
        ("https://ollama.com/v1", "ollama"),
        ("https://api.moonshot.ai/v1", "moonshot-global"),
        ("https://api.moonshot.cn/v1", "moonshot-cn"),
        ("https://genaiapi.cloudsway.net/v1/ai/abc", "cloudsway"),
        ("https://api.acedata.cloud/kimi", "acedata"),
    ],
)
def test_the_base_url_picks_the_host(url: str, name: str) -> None:
    profile = detect_host(url)
    assert profile is not None
    assert profile.name == name
    options = KimiOptions.resolve("sk-x", url)
    assert options.host.name == name
    assert options.gateway is None  # detected, not named


def test_an_unknown_base_url_keeps_moonshots_dialect() -> None:
    options = KimiOptions.resolve("sk-x", "http://127.0.0.1:9999/v1")
    assert options.host.platform
    assert options.host.catalog_prices
    assert options.host.dialect == "moonshot"
    # Cloudflare needs its /ai/ path: another api.cloudflare.com URL is not Workers AI.
    assert detect_host("https://api.cloudflare.com/client/v4/zones") is None


def test_profiles_that_need_the_users_own_url_say_so() -> None:
    with pytest.raises(ConfigurationError) as caught:
        KimiOptions.resolve("sk-x", gateway="vllm")
    assert caught.value.param == "base_url"
    assert "self-hosted" in str(caught.value)
    with pytest.raises(ConfigurationError) as caught:
        KimiOptions.resolve("sk-x", gateway="azure")
    assert "{resource}" in str(caught.value)
    with pytest.raises(ConfigurationError) as caught:
        KimiOptions.resolve("sk-x", gateway="bedrock-converse")
    assert "Converse" in str(caught.value)
    assert "gateway='bedrock'" in str(caught.value)
    with pytest.raises(ConfigurationError):
        KimiOptions.resolve(
            "sk-x", "https://bedrock-runtime.us-east-1.amazonaws.com/model/x/converse"
        )
    named = KimiOptions.resolve("sk-x", "http://localhost:8000/v1", gateway="vllm")
    assert named.host.name == "vllm"
    assert named.base_url == "http://localhost:8000/v1"
    assert (
        KimiOptions.resolve("sk-x", gateway="openrouter").base_url == "https://openrouter.ai/api/v1"
    )
    assert KimiOptions.resolve("sk-x", gateway="ollama").base_url == "http://localhost:11434/v1"


def test_a_hosts_own_key_variable_is_read_first(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOONSHOT_API_KEY", "sk-moonshot")
    monkeypatch.setenv("OPENROUTER_API_KEY", "sk-or")
    assert KimiOptions.resolve(gateway="openrouter").api_key.get_secret_value() == "sk-or"
    assert KimiOptions.resolve().api_key.get_secret_value() == "sk-moonshot"


@pytest.mark.parametrize(
    ("model", "family"),
    [
        ("moonshotai/kimi-k2.6", "kimi-k2.6"),
        ("accounts/fireworks/models/kimi-k2p6", "kimi-k2.6"),
        ("accounts/fireworks/routers/kimi-k2p6-turbo", "kimi-k2.6"),
        ("@cf/moonshotai/kimi-k2.6", "kimi-k2.6"),
        ("kimi-k2.6:cloud", "kimi-k2.6"),
        ("moonshotai/Kimi-K2.6", "kimi-k2.6"),
        ("Pro/moonshotai/Kimi-K2.6", "kimi-k2.6"),
        ("kimi/kimi-k2.6", "kimi-k2.6"),
        ("moonshotai/kimi-k2.6-20260420", "kimi-k2.6"),
        ("Kimi-K2.6", "kimi-k2.6"),
        ("kimi-k2-5-260127", "kimi-k2.5"),
        ("moonshotai.kimi-k2.5", "kimi-k2.5"),
        ("moonshotai/kimi-k2.5-0127", "kimi-k2.5"),
        ("moonshotai/kimi-k2-thinking-maas", "kimi-k2-thinking"),
        ("FW-Kimi-K3", "kimi-k3"),
        ("moonshotai/Kimi-K2.7-Code", "kimi-k2.7-code"),
        ("moonshotai/Kimi-K2-Instruct-0905:groq", "kimi-k2"),
    ],
)
def test_model_ids_map_to_their_family(model: str, family: str) -> None:
    assert model_family_id(model) == family


def test_off_the_platform_a_model_has_its_familys_traits_and_no_moonshot_rules() -> None:
    info = model_traits("accounts/fireworks/models/kimi-k2p6", get_host("fireworks"))
    assert info is not None
    assert info.id == "kimi-k2.6"
    assert info.thinking == "toggle"
    assert info.price is None
    assert info.fixed_sampling == {}
    assert not info.retired
    # A bare kimi-k2.6 on DashScope: the family, not Moonshot's platform entry.
    dash = model_traits("kimi-k2.6", get_host("dashscope"))
    assert dash is not None
    assert dash.price is None
    assert dash.fixed_sampling == {}
    # On Moonshot itself: the exact catalog entry, its rules included.
    own = model_traits("kimi-k2.6", get_host("moonshot-global"))
    assert own is not None
    assert own.price is not None
    assert own.fixed_sampling
    assert model_traits("moonshotai/kimi-k2.6", get_host("moonshot-global")) is None


# -- the request dialect ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "thinking", "expected"),
    [
        ("moonshot-cn", False, {"thinking": {"type": "disabled"}}),
        ("openrouter", False, {"reasoning": {"enabled": False}}),
        ("openrouter", True, {"reasoning": {"enabled": True}}),
        ("together", False, {"reasoning": {"enabled": False}}),
        ("fireworks", False, {"reasoning_effort": "none"}),
        ("deepinfra", False, {"reasoning_effort": "none"}),
        ("deepinfra", True, {"reasoning": {"enabled": True}}),
        ("siliconflow", False, {"enable_thinking": False}),
        ("dashscope", False, {"enable_thinking": False}),
        ("dashscope", None, {"enable_thinking": True}),
        ("baseten", True, {"chat_template_args": {"enable_thinking": True}}),
        ("baseten", False, {"chat_template_args": {"enable_thinking": False}}),
        ("vllm", False, {"chat_template_kwargs": {"thinking": False}}),
        ("sglang", False, {"chat_template_kwargs": {"thinking": False}}),
        ("nvidia", False, {"chat_template_kwargs": {"thinking": False}}),
        ("cloudflare", False, {"chat_template_kwargs": {"thinking": False}}),
        ("ollama", False, {"reasoning_effort": "none"}),
        ("bedrock", True, {"reasoning_effort": "high"}),
        ("bedrock", False, {}),
        ("volcengine", False, {"thinking": {"type": "disabled"}}),
    ],
)
def test_thinking_goes_out_in_the_hosts_own_fields(
    host: str, thinking: bool | None, expected: dict[str, Any]
) -> None:
    payload = _prepared(host, thinking=thinking)
    sent = {
        k: payload[k]
        for k in (
            "thinking",
            "reasoning",
            "reasoning_effort",
            "enable_thinking",
            "chat_template_args",
            "chat_template_kwargs",
        )
        if k in payload
    }
    assert sent == expected


@pytest.mark.parametrize(
    ("host", "effort", "expected"),
    [
        ("openrouter", "medium", {"reasoning": {"effort": "medium"}}),
        ("together", "high", {"reasoning_effort": "high"}),
        ("fireworks", "low", {"reasoning_effort": "low"}),
        ("sglang", "xhigh", {"reasoning_effort": "xhigh"}),
        ("ollama", "medium", {"reasoning_effort": "medium"}),
    ],
)
def test_an_effort_the_host_lists_is_sent(host: str, effort: str, expected: dict[str, Any]) -> None:
    payload = _prepared(host, reasoning_effort=effort)
    assert {k: payload[k] for k in expected} == expected


def test_an_effort_the_host_does_not_list_is_refused_naming_its_values() -> None:
    with pytest.raises(InvalidParameterError) as caught:
        _prepared("fireworks", reasoning_effort="max")
    assert str(caught.value) == (
        "gateway 'fireworks' accepts reasoning_effort 'low', 'medium', 'high', 'none', got 'max'"
    )
    assert caught.value.param == "reasoning_effort"
    with pytest.raises(
        InvalidParameterError, match="gateway 'dashscope' takes no reasoning_effort"
    ):
        _prepared("dashscope", reasoning_effort="high")


def test_what_the_family_cannot_do_is_refused_on_any_host() -> None:
    with pytest.raises(InvalidParameterError, match="always thinks"):
        _prepared("openrouter", model="moonshotai/kimi-k2.7-code", thinking=False)
    with pytest.raises(InvalidParameterError, match="no switch to turn thinking off"):
        _prepared("azure", model="Kimi-K2.6", thinking=False)


def test_moonshot_platform_rules_apply_only_on_the_platform() -> None:
    # Fixed sampling: a Moonshot API rule, not a model rule.
    with pytest.raises(InvalidParameterError):
        _prepared("moonshot-cn", temperature=0.5, strict_sampling=True)
    assert "temperature" not in _prepared("moonshot-cn", temperature=1.0)
    assert _prepared("dashscope", temperature=0.5)["temperature"] == 0.5
    assert _prepared("vllm", temperature=0.5)["temperature"] == 0.5


def test_token_field_stop_cap_and_stream_usage_per_host() -> None:
    assert "max_completion_tokens" in _prepared("moonshot-cn", max_tokens=10)
    assert _prepared("ollama", max_completion_tokens=10) == {
        **_prepared("ollama"),
        "max_tokens": 10,
    }
    assert "max_completion_tokens" in _prepared("vllm", max_tokens=10)
    with pytest.raises(InvalidParameterError):
        _prepared("fireworks", stop=["a", "b", "c", "d", "e"])
    assert len(_prepared("vllm", stop=list("abcdefg"))["stop"]) == 7
    streamed = prepare_chat(
        {"model": "moonshotai/Kimi-K2.6", "messages": USER}, stream=True, host=get_host("vllm")
    )
    assert streamed.payload["stream_options"] == {"include_usage": True}
    moonshot = prepare_chat({"model": "kimi-k2.6", "messages": USER}, stream=True)
    assert "stream_options" not in moonshot.payload


def test_forced_tool_choice_and_json_schema_are_native_where_the_host_takes_them() -> None:
    tools = [{"type": "function", "function": {"name": "get_weather", "parameters": {}}}]
    schema = {
        "type": "json_schema",
        "json_schema": {"name": "R", "schema": {"type": "object", "properties": {}}},
    }
    vllm = _prepared("vllm", model="moonshotai/Kimi-K2.6", tools=tools, tool_choice="any")
    assert vllm["tool_choice"] == "required"
    assert vllm["messages"] == USER
    ollama = _prepared("ollama", model="kimi-k2.6:cloud", tools=tools, tool_choice="any")
    assert ollama["tool_choice"] == "auto"
    assert ollama["messages"][-1]["role"] == "user"  # the forced-tool prompt line
    assert _prepared("openrouter", response_format=schema)["response_format"] == schema
    dash = _prepared("dashscope", response_format=schema)
    assert dash["response_format"] == {"type": "json_object"}


def test_reasoning_goes_back_under_the_keys_the_host_reads() -> None:
    history = [
        {"role": "user", "content": "hi"},
        {
            "role": "assistant",
            "content": "",
            "reasoning_content": "I should call it",
            "reasoning_details": [{"type": "reasoning.text", "text": "I should call it"}],
            "tool_calls": [
                {
                    "id": "functions.f:0",
                    "type": "function",
                    "function": {"name": "f", "arguments": "{}"},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "functions.f:0", "content": "ok"},
    ]

    def replayed(host: str) -> dict[str, Any]:
        payload = prepare_chat_payload(
            {"model": "kimi-k2.6", "messages": history}, host=get_host(host)
        )
        message: dict[str, Any] = payload["messages"][1]
        return message

    vllm = replayed("vllm")
    assert vllm["reasoning"] == vllm["reasoning_content"] == "I should call it"
    assert "reasoning_details" not in vllm
    openrouter = replayed("openrouter")
    assert openrouter["reasoning_details"] == history[1]["reasoning_details"]
    assert openrouter["reasoning_content"] == "I should call it"
    assert "reasoning" not in openrouter
    ollama = replayed("ollama")
    assert ollama["reasoning"] == "I should call it"
    assert "reasoning_content" not in ollama
    azure = replayed("azure")
    assert set(azure) == {"role", "tool_calls", "reasoning_content"}


def test_azure_gets_only_standard_fields_and_its_api_key_header() -> None:
    recorder = Recorder(json_response(_answer("ok")))
    client = KimiClient(
        "sk-azure",
        "https://res.services.ai.azure.com/models?api-version=2024-05-01-preview",
        http_client=httpx.Client(transport=httpx.MockTransport(recorder)),
    )
    client.chat({"model": "Kimi-K2.6", "messages": USER, "prompt_cache_key": "s1"})
    sent = recorder.requests[0]
    assert sent.url.path == "/models/chat/completions"
    assert sent.url.params["api-version"] == "2024-05-01-preview"
    assert sent.headers["api-key"] == "sk-azure"
    assert "authorization" not in sent.headers
    assert "prompt_cache_key" not in json.loads(sent.content)
    assert client.headers["api-key"] == "***"


def test_a_token_callable_is_asked_for_every_request() -> None:
    tokens = iter(["tok-1", "tok-2"])
    recorder = Recorder(json_response(_answer("a")), json_response(_answer("b")))
    client = KimiClient(
        lambda: next(tokens),
        gateway="vertex",
        base_url="https://aiplatform.googleapis.com/v1/projects/p/locations/global/endpoints/openapi",
        http_client=httpx.Client(transport=httpx.MockTransport(recorder)),
    )
    for _ in range(2):
        client.chat({"model": "moonshotai/kimi-k2-thinking-maas", "messages": USER})
    assert [r.headers["authorization"] for r in recorder.requests] == [
        "Bearer tok-1",
        "Bearer tok-2",
    ]
    assert "tok" not in repr(client)


# -- reading what each host answers -------------------------------------------------------


def _answer(text: str, **message: Any) -> dict[str, Any]:
    return {
        "id": "c",
        "object": "chat.completion",
        "created": 1,
        "model": "m",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text, **message},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5},
    }


def _completion(body: bytes) -> Any:
    request = httpx.Request("POST", "https://openrouter.ai/api/v1/chat/completions")
    return parse_completion(httpx.Response(200, content=body, request=request))


def test_an_openrouter_answer_gives_reasoning_details_and_the_reported_cost() -> None:
    raw = (CAPTURES / "TestOpenRouterCommon__kimi__simple.0.response.200.json").read_bytes()
    completion = _completion(raw)
    turn = ChatTurn({"model": "moonshotai/kimi-k2.5"}, host=get_host("openrouter"))
    assert turn.add(completion) is False
    (answer,) = turn.answers()
    wire = json.loads(raw)
    message = wire["choices"][0]["message"]
    assert answer.reasoning == message["reasoning"]
    assert answer.reasoning_details == message["reasoning_details"]
    assert answer.text == message["content"]
    cost = turn.cost()
    assert cost is not None
    assert cost.currency == "USD"
    assert cost.amount == Decimal(str(wire["usage"]["cost"]))


def test_off_moonshot_no_catalog_price_is_presented_as_the_bill() -> None:
    turn = ChatTurn({"model": "kimi-k2.6"}, host=get_host("dashscope"))
    turn.add(_completion(json.dumps(_answer("ok")).encode()))
    assert turn.cost() is None
    moonshot = ChatTurn({"model": "kimi-k2.6"}, host=get_host("moonshot-cn"))
    moonshot.add(_completion(json.dumps(_answer("ok")).encode()))
    assert moonshot.cost() is not None


def _replay(name: str, **options: Any) -> StreamAccumulator:
    state = StreamAccumulator(**options)
    for line in (CAPTURES / name).read_text().splitlines():
        if line.startswith("data:"):
            state.add_data(line[5:].strip())
    return state


def test_an_openrouter_stream_gives_reasoning_usage_and_cost() -> None:
    state = _replay("TestOpenRouterCommon__kimi__simple_streaming.0.response.200.sse")
    assert state.reasoning
    assert state.text
    assert state.finish_reason == "stop"
    assert state.reasoning_details
    assert state.usage_dict is not None
    assert state.usage_dict["cost"] > 0


def test_a_groq_stream_puts_usage_in_x_groq() -> None:
    state = _replay("TestGroqCommon__groq-kimi-k2-0905__simple_streaming.0.response.200.sse")
    assert state.usage_dict is not None
    assert state.usage_dict["total_tokens"] > 0


def test_an_openrouter_upstream_error_names_the_upstream_and_its_message() -> None:
    raw = (CAPTURES / "TestOpenRouterCommon__simple_kimi-k2_groq.0.response.429.json").read_bytes()
    error = error_from_response(429, {}, raw)
    assert isinstance(error, RateLimitError)
    assert error.message == (
        "Provider returned error: moonshotai/kimi-k2-0905 is temporarily rate-limited upstream. "
        "Please retry shortly, or add your own key to accumulate your rate limits: "
        "https://openrouter.ai/settings/integrations (provider: Groq)"
    )
    moonshot = (CAPTURES / "openrouter-style-400-moonshot-upstream.json").read_bytes()
    message = parse_error_body(moonshot)[0]
    assert message is not None
    assert "reasoning_content is missing" in message
    assert message.endswith("(provider: Moonshot AI)")


def test_other_hosts_error_bodies_are_read() -> None:
    cloudflare = (
        b'{"errors":[{"message":"AiError: daily free allocation","code":4006}],"success":false}'
    )
    error = error_from_response(429, {}, cloudflare)
    assert isinstance(error, QuotaExceededError)
    assert error.message == "AiError: daily free allocation"
    fastapi = b'{"detail":[{"loc":["body","messages",0],"msg":"field required","type":"missing"}]}'
    assert error_from_response(422, {}, fastapi).message == "body.messages.0: field required"
    flat = b'{"object":"error","message":"bad model","type":"BadRequestError","code":400}'
    flat_error = error_from_response(400, {}, flat)
    assert flat_error.message == "bad model"
    assert flat_error.type == "BadRequestError"
    credits = error_from_response(
        402, {}, b'{"error":{"message":"Insufficient credits","code":402}}'
    )
    assert isinstance(credits, QuotaExceededError)
    google = b'[{"error":{"code":400,"message":"bad request","status":"INVALID_ARGUMENT"}}]'
    assert error_from_response(400, {}, google).message == "bad request"


@pytest.mark.parametrize(
    "event",
    [
        {
            "error": {"code": 502, "message": "upstream died"},
            "choices": [{"index": 0, "delta": {"content": ""}, "finish_reason": "error"}],
        },
        {
            "choices": [
                {
                    "index": 0,
                    "delta": {},
                    "finish_reason": "error",
                    "error": {"message": "upstream died"},
                }
            ]
        },
        {"choices": [{"index": 0, "delta": {}, "finish_reason": "error"}]},
    ],
)
def test_a_mid_stream_error_cuts_the_stream_with_the_text_so_far(event: dict[str, Any]) -> None:
    state = StreamAccumulator()
    state.add_data(json.dumps({"choices": [{"index": 0, "delta": {"content": "Hel"}}]}))
    with pytest.raises(StreamInterruptedError) as caught:
        state.add_data(json.dumps(event))
    assert caught.value.text == "Hel"
    if "upstream" in json.dumps(event):
        assert "upstream died" in str(caught.value)


def test_an_error_event_without_choices_off_the_platform_is_an_interruption() -> None:
    event = json.dumps({"error": {"message": "engine crashed", "type": "InternalServerError"}})
    state = StreamAccumulator(typed_error_events=False)
    state.add_data(json.dumps({"choices": [{"index": 0, "delta": {"content": "a"}}]}))
    with pytest.raises(StreamInterruptedError, match="engine crashed"):
        state.add_data(event)
    # On Moonshot's platform the same event stays the typed error of its kind (unchanged).
    moonshot = StreamAccumulator()
    with pytest.raises(Exception) as caught:
        moonshot.add_data(
            json.dumps({"error": {"message": "slow", "type": "rate_limit_reached_error"}})
        )
    assert isinstance(caught.value, RateLimitError)


def test_suffixed_rate_limit_headers_are_read() -> None:
    headers = httpx.Headers(
        {
            "x-ratelimit-limit-requests": "60",
            "x-ratelimit-remaining-requests": "59",
            "x-ratelimit-limit-tokens": "100000",
            "x-tokenlimit-remaining": "99000",
        }
    )
    assert rate_limit_headers(headers) == {
        "limit": 60,
        "remaining": 59,
        "limit_tokens": 100000,
        "remaining_tokens": 99000,
    }


def test_inline_think_is_split_out_invoke_and_stream() -> None:
    body = _answer("<think>Let me see</think>\n\nParis.")
    turn = ChatTurn({"model": "moonshotai/Kimi-K2.6"}, host=get_host("vllm"))
    turn.add(_completion(json.dumps(body).encode()))
    (answer,) = turn.answers()
    assert (answer.reasoning, answer.text) == ("Let me see", "Paris.")
    moonshot = ChatTurn({"model": "kimi-k2.6"}, host=get_host("moonshot-cn"))
    moonshot.add(_completion(json.dumps(body).encode()))
    assert moonshot.answers()[0].text == "<think>Let me see</think>\n\nParis."
    splitter = ThinkSplitter()
    pieces = [splitter.feed(p) for p in ["<thi", "nk>Let me", " see</th", "ink>\n\nParis."]]
    assert "".join(r for r, _ in pieces) == "Let me see"
    assert "".join(t for _, t in pieces) == "Paris."


def test_every_host_profile_is_documented() -> None:
    docs = (Path(__file__).resolve().parents[2] / "docs" / "kimi-api" / "hosts.md").read_text()
    for name in HOSTS:
        assert f'`gateway="{name}"`' in docs or name.startswith("moonshot"), name
