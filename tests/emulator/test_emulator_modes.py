"""Replies: partial mode, thinking, $web_search, scripts, stop/max_tokens, n, recording."""

from __future__ import annotations

import hashlib
import json
from enum import Enum
from typing import Any, Literal

import httpx
import openai
import pytest
from pydantic import BaseModel, Field

from kimi_emulator import KimiEmulator, ScriptedReply
from kimi_emulator.replies import find_json_schema, value_from_schema
from kimi_emulator.tokens import count_prompt, count_text, truncate_to_tokens

HELLO = [{"role": "user", "content": "Hello"}]
OFF = {"type": "disabled"}
WEB_SEARCH = {"type": "builtin_function", "function": {"name": "$web_search"}}


def chat(http: httpx.Client, **body: Any) -> dict[str, Any]:
    body.setdefault("model", "kimi-k2.6")
    body.setdefault("messages", HELLO)
    response = http.post("chat/completions", json=body)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def stream_chunks(http: httpx.Client, **body: Any) -> list[dict[str, Any]]:
    body.setdefault("model", "kimi-k2.6")
    body.setdefault("messages", HELLO)
    body["stream"] = True
    text = http.post("chat/completions", json=body).text
    events = [e for e in text.split("\n\n") if e]
    assert events[-1] == "data: [DONE]"
    return [json.loads(e[len("data: ") :]) for e in events[:-1]]


def message_of(body: dict[str, Any]) -> dict[str, Any]:
    message: dict[str, Any] = body["choices"][0]["message"]
    return message


def test_partial_mode(emu: KimiEmulator, http: httpx.Client) -> None:
    prefix = {"role": "assistant", "content": "You said", "partial": True}
    body = chat(http, messages=[*HELLO, prefix], thinking=OFF)
    assert message_of(body)["content"] == ": Hello"  # the prefix is not repeated
    other = {"role": "assistant", "content": "Well, ", "partial": True}
    assert message_of(chat(http, messages=[*HELLO, other]))["content"] == "You said: Hello"
    chunks = stream_chunks(http, messages=[*HELLO, prefix], thinking=OFF)
    streamed = "".join(
        c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"]
    )
    assert streamed == ": Hello"


def test_thinking_on_and_off(emu: KimiEmulator, http: httpx.Client) -> None:
    on = message_of(chat(http))
    assert on["reasoning_content"] == "Let me think about this."
    off = message_of(chat(http, thinking=OFF))
    never = message_of(chat(http, model="moonshot-v1-8k", thinking={"type": "enabled"}))
    always = message_of(chat(http, model="kimi-k2.7-code"))
    effort = message_of(chat(http, model="kimi-k3", reasoning_effort="low"))
    assert always["reasoning_content"] == "Let me think about this."
    assert effort["reasoning_content"] == "Let me think about this."
    for message in (off, never):
        assert message["content"] == "You said: Hello"
        if emu.dialect == "moonshot":
            assert "reasoning_content" not in message
        else:
            assert message["reasoning_content"] is None
    # Streaming: reasoning chunks come before the first content chunk.
    kinds = []
    for chunk in stream_chunks(http):
        if chunk["choices"]:
            delta = chunk["choices"][0]["delta"]
            kinds += [k for k in ("reasoning_content", "content") if delta.get(k)]
    assert kinds == ["reasoning_content"] * 5 + ["content"] * 3
    no_reasoning = stream_chunks(http, thinking=OFF)
    assert not any(
        c["choices"] and "reasoning_content" in c["choices"][0]["delta"] for c in no_reasoning
    )


def test_web_search_loop(emu: KimiEmulator) -> None:
    question = "What happened in AI news today?"
    messages: list[dict[str, Any]] = [{"role": "user", "content": question}]
    with openai.OpenAI(api_key="sk-x", base_url=emu.base_url, max_retries=0) as sdk:
        first = sdk.chat.completions.create(
            model="kimi-k2.6",
            messages=messages,  # type: ignore[arg-type]
            tools=[WEB_SEARCH],  # type: ignore[list-item]
        )
        choice = first.choices[0]
        assert choice.finish_reason == "tool_calls"
        assert choice.message.tool_calls is not None
        call = choice.message.tool_calls[0]
        assert (call.id, call.type, call.function.name) == (
            "$web_search:0",
            "builtin_function",
            "$web_search",
        )
        digest = hashlib.sha256(question.encode()).hexdigest()[:12]
        assert json.loads(call.function.arguments) == {
            "search_result": {"search_id": f"search-{digest}"},
            "usage": {"total_tokens": 128},
        }
        assistant = choice.message.model_dump(exclude_none=True, warnings=False)
        if not assistant.get("content"):
            assistant.pop("content", None)  # else 400 "text content is empty"
        messages.append(assistant)
        tool_message = {
            "role": "tool",
            "tool_call_id": call.id,
            "name": "$web_search",
            "content": call.function.arguments,  # unchanged, as Moonshot's docs say
        }
        messages.append(tool_message)
        second = sdk.chat.completions.create(
            model="kimi-k2.6",
            messages=messages,  # type: ignore[arg-type]
            tools=[WEB_SEARCH],  # type: ignore[list-item]
        )
    assert second.choices[0].message.content == (
        f"The tool $web_search returned: {call.function.arguments}"
    )
    # Search results count as input: the tool message costs its usage.total_tokens too.
    assert second.usage is not None
    assert second.usage.prompt_tokens == count_prompt(messages, [WEB_SEARCH])
    tool_cost = 3 + count_text(call.function.arguments) + count_text("$web_search") + 128
    assert count_prompt(messages, [WEB_SEARCH]) - count_prompt(messages[:-1], [WEB_SEARCH]) == (
        tool_cost
    )


def test_scripted_reply_and_usage(emu: KimiEmulator, http: httpx.Client) -> None:
    emu.script("Scripted!", reasoning="Because.", usage={"prompt_tokens": 100, "cached_tokens": 40})
    body = chat(http)
    assert message_of(body)["content"] == "Scripted!"
    assert message_of(body)["reasoning_content"] == "Because."
    usage = body["usage"]
    assert (usage["prompt_tokens"], usage["completion_tokens"], usage["total_tokens"]) == (
        100,
        count_text("Scripted!") + count_text("Because."),
        105,
    )
    if emu.dialect == "moonshot":
        assert usage["cached_tokens"] == 40
    else:
        assert usage["prompt_tokens_details"]["cached_tokens"] == 40
    # Back to the default reply once the script is used.
    assert message_of(chat(http))["content"] == "You said: Hello"


def test_scripted_tool_calls(emu: KimiEmulator, http: httpx.Client) -> None:
    calls = [
        {"name": "lookup", "arguments": {"q": "kimi"}},
        {"name": "lookup", "arguments": "{not json", "id": "custom-id"},
    ]
    emu.script(tool_calls=calls, times=2)
    body = chat(http, thinking=OFF)
    message = message_of(body)
    assert body["choices"][0]["finish_reason"] == "tool_calls"
    assert [c["id"] for c in message["tool_calls"]] == ["lookup:0", "custom-id"]
    assert [c["function"]["arguments"] for c in message["tool_calls"]] == [
        '{"q": "kimi"}',
        "{not json",
    ]
    fragments = [
        c["choices"][0]["delta"]["tool_calls"][0]
        for c in stream_chunks(http, thinking=OFF)
        if c["choices"] and c["choices"][0]["delta"].get("tool_calls")
    ]
    assert [f["index"] for f in fragments if "id" in f] == [0, 1]
    by_index: dict[int, str] = {}
    for fragment in fragments:
        by_index[fragment["index"]] = (
            by_index.get(fragment["index"], "") + fragment["function"]["arguments"]
        )
    assert by_index == {0: '{"q": "kimi"}', 1: "{not json"}


def test_script_queue(emu: KimiEmulator, http: httpx.Client) -> None:
    emu.script(ScriptedReply(content="one", finish_reason="length"))
    emu.script("two", times=2)
    emu.script(reasoning="")  # no reasoning even though kimi-k2.6 thinks
    replies = [message_of(body)["content"] for body in (chat(http) for _ in range(4))]
    assert replies == ["one", "two", "two", ""]
    assert message_of(chat(http))["content"] == "You said: Hello"
    emu.script("hidden")
    emu.reset()
    assert message_of(chat(http))["content"] == "You said: Hello"


def test_stop_and_max_tokens(emu: KimiEmulator, http: httpx.Client) -> None:
    stopped = chat(http, stop=["said"], thinking=OFF)
    assert message_of(stopped)["content"] == "You "
    assert stopped["choices"][0]["finish_reason"] == "stop"
    capped = chat(http, max_tokens=3, thinking=OFF)
    assert message_of(capped)["content"] == "You said: He"
    assert capped["choices"][0]["finish_reason"] == "length"
    assert capped["usage"]["completion_tokens"] == 3
    thinking = chat(http, max_tokens=5)
    assert message_of(thinking)["reasoning_content"] == "Let me think about t"
    assert message_of(thinking)["content"] == ""
    assert thinking["choices"][0]["finish_reason"] == "length"


def test_n_choices(emu: KimiEmulator, http: httpx.Client) -> None:
    body = chat(http, model="moonshot-v1-8k", n=2)
    assert [c["index"] for c in body["choices"]] == [0, 1]
    assert {message_of({"choices": [c]})["content"] for c in body["choices"]} == {"You said: Hello"}
    assert body["usage"]["completion_tokens"] == 2 * count_text("You said: Hello")
    texts: dict[int, str] = {}
    for chunk in stream_chunks(http, model="moonshot-v1-8k", n=2):
        for choice in chunk["choices"]:
            texts[choice["index"]] = texts.get(choice["index"], "") + (
                choice["delta"].get("content") or ""
            )
    assert texts == {0: "You said: Hello", 1: "You said: Hello"}


def test_tool_choice(emu: KimiEmulator, http: httpx.Client) -> None:
    tools = [
        {"type": "function", "function": {"name": "first_tool", "parameters": {"type": "object"}}},
        {
            "type": "function",
            "function": {
                "name": "second_tool",
                "parameters": {
                    "type": "object",
                    "properties": {"n": {"type": "number", "minimum": 5}},
                },
            },
        },
    ]
    none = message_of(chat(http, tools=tools, tool_choice="none", thinking=OFF))
    assert none["content"] == "You said: Hello"
    named = {"type": "function", "function": {"name": "second_tool"}}
    call = message_of(chat(http, tools=tools, tool_choice=named, thinking=OFF))["tool_calls"][0]
    assert (call["id"], call["function"]["arguments"]) == ("second_tool:0", '{"n": 5}')


def test_moonshot_stream_usage_placement(moonshot: KimiEmulator) -> None:
    with httpx.Client(base_url=moonshot.base_url + "/") as http:
        chunks = stream_chunks(http)
        final = chunks[-1]["choices"][0]
        assert final["delta"] == {}
        assert final["finish_reason"] == "stop"
        assert final["usage"] == {"prompt_tokens": 8, "completion_tokens": 10, "total_tokens": 18}
        assert all(c["choices"] for c in chunks)  # no choices: [] chunk by default
        with_usage = stream_chunks(http, stream_options={"include_usage": True})
        assert with_usage[-1]["choices"] == []
        assert with_usage[-1]["usage"] == final["usage"]
        assert with_usage[-2]["choices"][0]["usage"] == final["usage"]


def test_requests_are_recorded_and_redacted(emu: KimiEmulator) -> None:
    secret = "sk-very-secret-key-1234"
    with openai.OpenAI(api_key=secret, base_url=emu.base_url, max_retries=0) as sdk:
        sdk.chat.completions.create(model="kimi-k2.6", messages=HELLO, temperature=1)  # type: ignore[arg-type]
        sdk.models.list()
    chat_request, models_request = emu.requests
    assert chat_request.method == "POST"
    assert chat_request.path == emu.base_url.split(str(emu.port), 1)[1] + "/chat/completions"
    assert chat_request.json == {"messages": HELLO, "model": "kimi-k2.6", "temperature": 1}
    assert chat_request.headers["authorization"] == "Bearer ***"
    assert chat_request.headers["content-type"] == "application/json"
    assert (models_request.method, models_request.json) == ("GET", None)
    assert secret not in repr(emu.requests)
    assert secret not in repr(emu)


def test_estimate_token_count(emu: KimiEmulator, http: httpx.Client) -> None:
    messages = [{"role": "system", "content": "你好"}, {"role": "user", "content": "Hello there"}]
    response = http.post(
        "tokenizers/estimate-token-count", json={"model": "kimi-k2.6", "messages": messages}
    )
    assert response.json() == {
        "code": 0,
        "data": {"total_tokens": 3 + (3 + 2) + (3 + 3)},
        "scode": "0x0",
        "status": True,
    }
    usage = chat(http, messages=messages)["usage"]
    assert usage["prompt_tokens"] == response.json()["data"]["total_tokens"]
    if emu.dialect != "cloudsway":
        unknown = http.post(
            "tokenizers/estimate-token-count", json={"model": "nope", "messages": messages}
        )
        assert unknown.status_code == 404


def test_balance(emu: KimiEmulator, http: httpx.Client) -> None:
    assert http.get("users/me/balance").json() == {
        "code": 0,
        "data": {
            "available_balance": 49.58894,
            "voucher_balance": 46.58893,
            "cash_balance": 3.00001,
        },
        "scode": "0x0",
        "status": True,
    }
    emu.set_balance(available_balance=0.0, cash_balance=-1.5)
    data = http.get("users/me/balance").json()["data"]
    assert (data["available_balance"], data["cash_balance"]) == (0.0, -1.5)


def test_custom_models(kimi_emulator_factory: Any) -> None:
    # A retired catalog id given explicitly is served as if current.
    emu = kimi_emulator_factory("moonshot", models=["kimi-k2.5", "kimi-k9-preview"])
    assert emu.models == ["kimi-k2.5", "kimi-k9-preview"]
    with httpx.Client(base_url=emu.base_url + "/") as http:
        ids = [m["id"] for m in http.get("models").json()["data"]]
        assert ids == ["kimi-k2.5", "kimi-k9-preview"]
        assert chat(http, model="kimi-k2.5")["model"] == "kimi-k2.5"
        assert chat(http, model="kimi-k9-preview")["model"] == "kimi-k9-preview"
        assert (
            http.post(
                "chat/completions", json={"model": "moonshot-v1-8k", "messages": HELLO}
            ).status_code
            == 404
        )


# --------------------------------------------------------------------------- pure helpers


class Color(Enum):
    RED = "red"
    BLUE = "blue"


class Address(BaseModel):
    city: str
    zip_code: int | None = None


class Person(BaseModel):
    name: str
    age: int = Field(ge=18)
    score: float
    active: bool
    kind: Literal["a", "b"]
    color: Color
    tags: list[str]
    address: Address
    nickname: str | None = None


def test_value_from_pydantic_schema() -> None:
    value = value_from_schema(Person.model_json_schema())
    assert value == {
        "name": "<name>",
        "age": 18,
        "score": 1,
        "active": True,
        "kind": "a",
        "color": "red",
        "tags": ["<tags>"],
        "address": {"city": "<city>", "zip_code": None},
        "nickname": None,
    }
    Person.model_validate(value)


def test_find_json_schema() -> None:
    schema = Person.model_json_schema()
    text = f'Example: {{"a": 1}} and {{broken. Schema: {json.dumps(schema)} Thanks {{"x": 2}}'
    assert find_json_schema(["no schema here", text]) == schema
    wrapped = json.dumps({"name": "Person", "parameters": {"properties": {"x": {}}}})
    assert find_json_schema([wrapped]) == {"properties": {"x": {}}}
    assert find_json_schema(['{"properties" is mentioned but no object']) is None


def test_token_formula() -> None:
    assert count_text("") == 0
    assert count_text("abcd") == 1
    assert count_text("abcde") == 2
    assert count_text("你好") == 2
    assert count_text("ab你") == 2
    assert truncate_to_tokens("You said: Hello", 3) == "You said: He"
    assert truncate_to_tokens("你好世界", 2) == "你好"
    assert count_prompt(HELLO) == 8


def test_langchain_format_instructions_pick_the_real_schema() -> None:
    output_parsers = pytest.importorskip("langchain_core.output_parsers")
    parser = output_parsers.PydanticOutputParser(pydantic_object=Person)
    instructions = parser.get_format_instructions()
    assert '{"properties": {"foo"' in instructions  # LangChain's example schema comes first
    schema = find_json_schema([instructions])
    assert schema is not None
    parser.parse(json.dumps(value_from_schema(schema)))
