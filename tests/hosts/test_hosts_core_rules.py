"""The core rules the host matrix needed (issue 24), one by one: ``price=`` as a mapping,
the construction-time ``reasoning_effort`` check, hosts' error bodies as stream events,
OpenRouter's streamed ``reasoning_details`` folded per block, and a token callable asked once
per request (never again to scrub an error)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import httpx
import pytest

from kimi_core import KimiClient
from kimi_core.catalog.hosts import HOSTS
from kimi_core.catalog.model_info import Price
from kimi_core.chat.accumulator import StreamAccumulator
from kimi_core.chat.host_thinking import check_effort_setting
from kimi_core.errors import AuthenticationError, ConfigurationError, StreamInterruptedError
from kimi_core.options import as_price

# --------------------------------------------------------------------------- price=


def test_a_price_mapping_becomes_a_price() -> None:
    price = as_price({"input": "1.20", "output": 4.5, "currency": "USD", "cached_input": "0.3"})
    assert price == Price(
        input=Decimal("1.20"),
        output=Decimal("4.5"),
        currency="USD",
        cached_input=Decimal("0.3"),
    )
    given = Price(Decimal(1), Decimal(2), "CNY")
    assert as_price(given) is given
    assert as_price(None) is None


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ({"input": "1", "output": "2"}, "needs input, output and currency"),
        ({"input": "1", "output": "2", "currency": "USD", "extra": 1}, "needs input"),
        ({"input": "x", "output": "2", "currency": "USD"}, "amounts must be numbers"),
        ({"input": "1", "output": "2", "currency": "EUR"}, "'USD' or 'CNY'"),
        ("1.20", "must be a kimi_core.Price or a mapping"),
    ],
)
def test_a_bad_price_is_a_configuration_error(value: Any, says: str) -> None:
    with pytest.raises(ConfigurationError, match=says) as caught:
        as_price(value)
    assert caught.value.param == "price"


# --------------------------------------------------------------------------- reasoning_effort


def test_an_effort_is_checked_against_the_host_at_construction() -> None:
    check_effort_setting(None, "kimi-k2.6", HOSTS["siliconflow"])
    check_effort_setting("none", "moonshotai/kimi-k2.6", HOSTS["fireworks"])
    check_effort_setting("medium", "moonshotai/Kimi-K2.6", HOSTS["vllm"])  # the model decides
    check_effort_setting("low", "kimi-k2.6", HOSTS["moonshot-global"])  # a call may pick kimi-k3
    with pytest.raises(ConfigurationError, match=r"kimi-k3 accepts reasoning_effort 'low'"):
        check_effort_setting("medium", "kimi-k3", HOSTS["moonshot-global"])
    with pytest.raises(ConfigurationError, match="gateway 'baseten' takes no reasoning_effort"):
        check_effort_setting("low", "moonshotai/Kimi-K2.6", HOSTS["baseten"])
    with pytest.raises(ConfigurationError, match="must be a string") as caught:
        check_effort_setting(3, "kimi-k3", HOSTS["moonshot-global"])
    assert caught.value.param == "reasoning_effort"


# --------------------------------------------------------------------------- stream events


def _chunk(text: str) -> str:
    return json.dumps(
        {
            "id": "c",
            "object": "chat.completion.chunk",
            "choices": [{"index": 0, "delta": {"content": text}}],
        }
    )


@pytest.mark.parametrize(
    "event",
    [
        {
            "object": "error",
            "message": "boom",
            "type": "InternalServerError",
            "param": None,
            "code": 500,
        },
        {"errors": [{"message": "AiError: boom", "code": 3040}], "success": False, "result": None},
        {"code": 50505, "message": "boom", "data": None},
    ],
    ids=["sglang", "cloudflare", "siliconflow"],
)
def test_a_hosts_error_body_as_an_event_interrupts_the_stream(event: dict[str, Any]) -> None:
    state = StreamAccumulator(typed_error_events=False)
    state.add_data(_chunk("Hel"))
    state.add_data(_chunk("lo"))
    with pytest.raises(StreamInterruptedError, match="boom") as caught:
        state.add_data(json.dumps(event))
    assert (caught.value.text, caught.value.events) == ("Hello", 2)


def test_chunks_without_choices_are_not_mistaken_for_errors() -> None:
    state = StreamAccumulator(typed_error_events=False)
    state.add_data(_chunk("Hi"))
    usage = {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}
    state.add_data(json.dumps({"id": "c", "choices": [], "usage": usage}))
    state.add_data(json.dumps({"id": "c", "usage": usage}))
    assert state.text == "Hi"
    assert state.usage_dict == usage


# --------------------------------------------------------------------------- reasoning_details


def _details(*items: dict[str, Any]) -> str:
    delta = {
        "reasoning": "".join(i.get("text", "") for i in items),
        "reasoning_details": list(items),
    }
    return json.dumps({"id": "g", "choices": [{"index": 0, "delta": delta}]})


def test_streamed_reasoning_details_are_folded_per_block() -> None:
    state = StreamAccumulator()
    text = {"type": "reasoning.text", "format": "unknown", "index": 0}
    state.add_data(_details({**text, "text": "Let "}))
    state.add_data(_details({**text, "text": "me", "signature": None}))
    state.add_data(_details({**text, "text": " see.", "signature": "sig"}))
    state.add_data(_details({"type": "reasoning.encrypted", "data": "ab", "index": 1}))
    state.add_data(_details({"type": "reasoning.encrypted", "data": "cd", "index": 1}))
    assert state.reasoning_details == [
        {**text, "text": "Let me see.", "signature": "sig"},
        {"type": "reasoning.encrypted", "data": "abcd", "index": 1},
    ]
    assert state.reasoning == "Let me see."


# --------------------------------------------------------------------------- token callables


def _answer() -> dict[str, Any]:
    message = {"role": "assistant", "content": "ok"}
    return {
        "id": "c",
        "object": "chat.completion",
        "created": 1,
        "model": "m",
        "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


def test_a_token_callable_is_asked_once_per_request_and_scrubbed_from_errors() -> None:
    tokens = iter(["tok-aaaaaaaaaaaa", "tok-bbbbbbbbbbbb"])
    asked: list[str] = []

    def token() -> str:
        asked.append(next(tokens))
        return asked[-1]

    def answer(request: httpx.Request) -> httpx.Response:
        sent = request.headers["authorization"].removeprefix("Bearer ")
        if sent == "tok-aaaaaaaaaaaa":
            return httpx.Response(200, json=_answer())
        body = {"error": {"message": f"bad token {sent}", "type": "invalid_authentication_error"}}
        return httpx.Response(401, json=body)

    client = KimiClient(
        token,
        gateway="vertex",
        base_url="https://aiplatform.googleapis.com/v1/projects/p/locations/global/endpoints/openapi",
        http_client=httpx.Client(transport=httpx.MockTransport(answer)),
        max_retries=0,
    )
    request = {
        "model": "moonshotai/kimi-k2-thinking-maas",
        "messages": [{"role": "user", "content": "hi"}],
    }
    client.chat(dict(request))
    with pytest.raises(AuthenticationError) as caught:
        client.chat(dict(request))
    assert asked == ["tok-aaaaaaaaaaaa", "tok-bbbbbbbbbbbb"]  # once each: not again to scrub
    assert "tok-bbbbbbbbbbbb" not in str(caught.value)
