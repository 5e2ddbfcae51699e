"""Every real capture (tests/fixtures/captures) through ``Kimi``: the exact ``ChatResponse``.

Served byte for byte by ``httpx.MockTransport`` and by the emulator's raw answers.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from li_helpers import Sent, json_response, sse_response
from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
)
from llama_index.core.llms.llm import ToolSelection
from llama_index.core.prompts import PromptTemplate
from pydantic import BaseModel

from kimi_core.errors import APIStatusError, InternalServerError
from kimi_emulator import KimiEmulator
from llama_index_kimi import Kimi

USER = [ChatMessage(role="user", content="Hello")]


def _cost(prompt: int, completion: int, inp: str, out: str) -> float:
    """Catalog prices per 1M tokens (no capture reports cached tokens)."""
    return float((prompt * Decimal(inp) + completion * Decimal(out)) / Decimal(1_000_000))


# name -> (requested model, text, tool calls [(id, name, arguments)], usage, cost)
EXPECTED: dict[str, tuple[str, str, list[tuple[str, str, str]], tuple[int, int, int], Any]] = {
    "acedata_hello": (
        "kimi-k2.5",
        " Hello! How can I help you today?",
        [],
        (9, 184, 193),
        {"amount": _cost(9, 184, "0.60", "3.00"), "currency": "USD"},
    ),
    "acedata_multi_turn": (
        "kimi-k2.5",
        " I'm Kimi, an AI assistant made by Moonshot AI. I'm from the **K2.5** series.",
        [],
        (28, 235, 263),
        {"amount": _cost(28, 235, "0.60", "3.00"), "currency": "USD"},
    ),
    "cloudsway_tool_call": (
        "kimi-k2-0711-preview",
        "我来帮您计算北京和上海之间的直线距离。",
        [("get_distance:0", "get_distance", '{"location1": "北京", "location2": "上海"}')],
        (83, 33, 116),
        {"amount": _cost(83, 33, "0.60", "2.50"), "currency": "USD"},
    ),
    "cloudsway_tool_result_answer": (
        # Served as MaaS_Kimi_K2.5_20260127, which the catalog does not know: priced as asked.
        "kimi-k2.5",
        None,
        [],
        (59, 258, 317),
        {"amount": _cost(59, 258, "0.60", "3.00"), "currency": "USD"},
    ),
    "cloudsway_json_mode": (
        "kimi-k2-0711-preview",
        '{\n    "text": "你好,李雷!1 + 1 = 2。",\n    "image": "",\n    "url": ""\n}',
        [],
        (212, 32, 244),
        {"amount": _cost(212, 32, "0.60", "2.50"), "currency": "USD"},
    ),
    "cloudsway_partial_mode": (
        "kimi-k2.5",
        None,
        [],
        (87, 257, 344),
        {"amount": _cost(87, 257, "0.60", "3.00"), "currency": "USD"},
    ),
}


def _check(response: ChatResponse, name: str, capture: dict[str, Any], prefix: str = "") -> None:
    _, text, calls, (prompt, completion, total), cost = EXPECTED[name]
    wire = capture["choices"][0]["message"]
    expected_text = prefix + (text if text is not None else wire["content"])
    assert response.message.content == expected_text
    reasoning = wire.get("reasoning_content")
    thinking = [b for b in response.message.blocks if isinstance(b, ThinkingBlock)]
    if reasoning:
        assert response.message.blocks[0] == ThinkingBlock(content=reasoning)
        assert len(thinking) == 1
    else:
        assert thinking == []
    blocks = [b for b in response.message.blocks if isinstance(b, ToolCallBlock)]
    assert [(b.tool_call_id, b.tool_name, b.tool_kwargs) for b in blocks] == calls
    assert response.message.additional_kwargs.get("tool_calls", []) == [
        {"id": i, "type": "function", "function": {"name": n, "arguments": a}} for i, n, a in calls
    ]
    assert response.raw["usage"] == capture["usage"]
    assert response.raw["id"] == capture["id"]
    assert response.additional_kwargs["prompt_tokens"] == prompt
    assert response.additional_kwargs["completion_tokens"] == completion
    assert response.additional_kwargs["total_tokens"] == total
    assert response.additional_kwargs["cost"] == cost
    assert response.additional_kwargs["finish_reason"] == capture["choices"][0]["finish_reason"]


def _messages(name: str) -> list[ChatMessage]:
    if name == "cloudsway_partial_mode":
        # The request of seed 000's partial-mode example: the reply continues the prefix.
        return [
            ChatMessage(role="user", content="你好?"),
            ChatMessage(role="assistant", content="尊敬的用户您好,介绍一下kimi"),
        ]
    return USER


NAMES = sorted(EXPECTED)


@pytest.mark.parametrize("name", NAMES)
def test_capture_via_mock_transport_gives_exact_chat_response(
    name: str, captures: Any, mock_llm: Callable[..., tuple[Kimi, Sent]]
) -> None:
    llm, sent = mock_llm(json_response(captures.raw(f"{name}.json")), model=EXPECTED[name][0])
    prefix = "尊敬的用户您好,介绍一下kimi" if name == "cloudsway_partial_mode" else ""
    _check(llm.chat(_messages(name)), name, captures.json(name), prefix)
    assert len(sent.requests) == 1


@pytest.mark.parametrize("name", NAMES)
async def test_capture_via_emulator_raw_answer_gives_exact_chat_response(
    name: str, captures: Any, emu: KimiEmulator, make_llm: Callable[..., Kimi]
) -> None:
    llm = make_llm(model=EXPECTED[name][0])
    emu.raw_next(captures.raw(f"{name}.json"))
    prefix = "尊敬的用户您好,介绍一下kimi" if name == "cloudsway_partial_mode" else ""
    _check(await llm.achat(_messages(name)), name, captures.json(name), prefix)


def test_partial_mode_capture_sends_prefix_with_partial_true(
    captures: Any, mock_llm: Callable[..., tuple[Kimi, Sent]]
) -> None:
    llm, sent = mock_llm(json_response(captures.raw("cloudsway_partial_mode.json")))
    response = llm.chat(_messages("cloudsway_partial_mode"))
    assert sent.bodies[0]["messages"][-1] == {
        "role": "assistant",
        "content": "尊敬的用户您好,介绍一下kimi",
        "partial": True,
    }
    content = captures.json("cloudsway_partial_mode")["choices"][0]["message"]["content"]
    assert response.message.content == "尊敬的用户您好,介绍一下kimi" + content


def test_tool_call_capture_gives_tool_selection_with_exact_id(
    captures: Any, mock_llm: Callable[..., tuple[Kimi, Sent]]
) -> None:
    llm, _ = mock_llm(json_response(captures.raw("cloudsway_tool_call.json")))
    response = llm.chat(USER)
    assert llm.get_tool_calls_from_response(response) == [
        ToolSelection(
            tool_id="get_distance:0",
            tool_name="get_distance",
            tool_kwargs={"location1": "北京", "location2": "上海"},
        )
    ]


def test_json_mode_capture_validates_into_pydantic_class(
    captures: Any, mock_llm: Callable[..., tuple[Kimi, Sent]]
) -> None:
    class Reply(BaseModel):
        text: str
        image: str
        url: str

    llm, sent = mock_llm(
        json_response(captures.raw("cloudsway_json_mode.json")), model="kimi-k2-0711-preview"
    )
    result = llm.structured_predict(Reply, PromptTemplate("Greet {name}"), name="李雷")
    assert result == Reply(text="你好,李雷!1 + 1 = 2。", image="", url="")
    assert sent.bodies[0]["response_format"] == {"type": "json_object"}


def _stream_expectations(captures: Any) -> tuple[str, list[str], dict[str, Any]]:
    text = ""
    reasoning: list[str] = []
    usage: dict[str, Any] = {}
    for line in captures.sse().decode().splitlines():
        if not line.startswith("data: ") or line == "data: [DONE]":
            continue
        chunk = json.loads(line[6:])
        if chunk["usage"]:
            usage = chunk["usage"]
        for choice in chunk["choices"]:
            text += choice["delta"].get("content") or ""
            if choice["delta"].get("reasoning_content"):
                reasoning.append(choice["delta"]["reasoning_content"])
    return text, reasoning, usage


def _check_stream(responses: list[ChatResponse], captures: Any) -> None:
    text, reasoning, usage = _stream_expectations(captures)
    assert text == " 你好!我能幫助 你今天嗎?"
    final = responses[-1]
    assert final.message.content == text
    assert final.message.blocks == [
        ThinkingBlock(content="".join(reasoning)),
        TextBlock(text=text),
    ]
    assert "".join(r.delta or "" for r in responses) == text
    deltas = [
        r.additional_kwargs["thinking_delta"]
        for r in responses
        if "thinking_delta" in r.additional_kwargs
    ]
    assert deltas == reasoning
    # AceData sends usage on a last chunk with ``choices: []``: that response carries it.
    assert final.raw["choices"] == []
    assert final.raw["usage"] == usage
    assert final.additional_kwargs["prompt_tokens"] == 9
    assert final.additional_kwargs["completion_tokens"] == 135
    assert final.additional_kwargs["cost"] == {
        "amount": _cost(9, 135, "0.60", "3.00"),
        "currency": "USD",
    }
    assert all(not r.raw.get("usage") for r in responses[:-1])
    finishes = [r.additional_kwargs.get("finish_reason") for r in responses]
    assert finishes.count("stop") == 1


def test_stream_capture_via_mock_transport(
    captures: Any, mock_llm: Callable[..., tuple[Kimi, Sent]]
) -> None:
    llm, sent = mock_llm(sse_response(captures.sse()))
    _check_stream(list(llm.stream_chat(USER)), captures)
    assert sent.bodies[0]["stream"] is True


async def test_stream_capture_via_emulator_raw_stream(
    captures: Any, emu: KimiEmulator, llm: Kimi
) -> None:
    events = [e + b"\n\n" for e in captures.sse().split(b"\n\n") if e.strip()]
    emu.raw_stream_next(events)
    responses = [r async for r in await llm.astream_chat(USER)]
    _check_stream(responses, captures)


def test_acedata_error_capture_raises_typed_error(
    captures: Any, mock_llm: Callable[..., tuple[Kimi, Sent]]
) -> None:
    body = captures.raw("acedata_error.json")
    llm, _ = mock_llm(json_response(body, status=500))
    with pytest.raises(InternalServerError) as info:
        llm.chat(USER)
    assert info.value.status == 500
    assert info.value.trace_id == "2cf86e86-22a4-46e1-ac2f-032c0f2a4e89"
    assert "fetch failed" in str(info.value)
    # Some gateways answer 200 with this body: still a typed error, never an empty answer.
    llm, _ = mock_llm(json_response(body, status=200))
    with pytest.raises(APIStatusError) as info:
        llm.chat(USER)
    assert "fetch failed" in str(info.value)
