"""Every real capture (shared/seeds -> tests/fixtures/captures) as LangChain objects.

Each capture is served byte for byte through ``httpx.MockTransport``; the requests are the
LangChain equivalents of the seeds' own requests, and those are checked too.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from langchain_core.exceptions import ModelAPIError
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage
from lc_support import fold, json_response, mock_llm, sse_events, sse_response

from kimi_core.errors import InternalServerError

DISTANCE_TOOL = {
    "type": "function",
    "function": {
        "name": "get_distance",
        "description": "计算两个地点之间的直线距离",
        "parameters": {
            "type": "object",
            "properties": {
                "location1": {"type": "string", "description": "起始城市"},
                "location2": {"type": "string", "description": "目标城市"},
            },
            "required": ["location1", "location2"],
        },
    },
}


def test_cloudsway_tool_call(captures: Any) -> None:
    llm, sent = mock_llm(
        json_response(captures.raw("cloudsway_tool_call.json")), model="kimi-k2-0711-preview"
    )
    message = llm.bind_tools([DISTANCE_TOOL], tool_choice="auto").invoke("计算北京和上海的直线距离")
    # The seed's request, as ChatKimi sends it.
    assert sent.bodies == [
        {
            "model": "kimi-k2-0711-preview",
            "tools": [DISTANCE_TOOL],
            "tool_choice": "auto",
            "messages": [{"role": "user", "content": "计算北京和上海的直线距离"}],
        }
    ]
    assert message.content == "我来帮您计算北京和上海之间的直线距离。"
    assert message.additional_kwargs == {}
    assert message.tool_calls == [
        {
            "name": "get_distance",
            "args": {"location1": "北京", "location2": "上海"},
            "id": "get_distance:0",
            "type": "tool_call",
        }
    ]
    assert message.invalid_tool_calls == []
    assert message.usage_metadata == {"input_tokens": 83, "output_tokens": 33, "total_tokens": 116}
    assert message.id == "chatcmpl-68770593a58dcb3e99966225"
    # 83 x $0.60 + 33 x $2.50 per 1M tokens (kimi-k2-0711-preview).
    assert message.response_metadata == {
        "token_usage": {"prompt_tokens": 83, "completion_tokens": 33, "total_tokens": 116},
        "model_name": "kimi-k2-0711-preview",
        "model_provider": "kimi",
        "finish_reason": "tool_calls",
        "id": "chatcmpl-68770593a58dcb3e99966225",
        "system_fingerprint": None,
        "cost": {"amount": 0.0001323, "currency": "USD"},
    }


def test_cloudsway_tool_result_answer(captures: Any) -> None:
    body = captures.raw("cloudsway_tool_result_answer.json")
    llm, sent = mock_llm(json_response(body), model="kimi-k2.5")
    history = [
        HumanMessage("计算北京和上海的直线距离"),
        AIMessage(
            "",
            tool_calls=[
                {
                    "name": "get_distance",
                    "args": {"location1": "北京", "location2": "上海"},
                    "id": "functions.get_distance:0",
                }
            ],
        ),
        ToolMessage("1000", tool_call_id="functions.get_distance:0"),
    ]
    message = llm.bind_tools([DISTANCE_TOOL]).invoke(history, max_tokens=4096)
    # The captured page's second request: ids echoed exactly, the tool message named; an
    # empty content next to the calls is left out and, thinking being on, an empty reasoning
    # is sent for a turn that had none (Kimi answers 400 to either otherwise).
    assert sent.bodies[0]["messages"] == [
        {"role": "user", "content": "计算北京和上海的直线距离"},
        {
            "role": "assistant",
            "reasoning_content": "",
            "tool_calls": [
                {
                    "id": "functions.get_distance:0",
                    "type": "function",
                    "function": {
                        "name": "get_distance",
                        "arguments": '{"location1": "北京", "location2": "上海"}',
                    },
                }
            ],
        },
        {
            "role": "tool",
            "tool_call_id": "functions.get_distance:0",
            "name": "get_distance",
            "content": "1000",
        },
    ]
    assert sent.bodies[0]["max_completion_tokens"] == 4096
    expected = json.loads(body)["choices"][0]["message"]
    assert message.content == expected["content"]
    assert message.additional_kwargs == {"reasoning_content": expected["reasoning_content"]}
    assert message.tool_calls == []
    assert message.usage_metadata == {
        "input_tokens": 59,
        "output_tokens": 258,
        "total_tokens": 317,
        "input_token_details": {"cache_read": 0},
    }
    # The gateway's model name is not in the catalog: priced as the requested kimi-k2.5
    # (59 x $0.60 + 258 x $3.00 per 1M tokens).
    assert message.response_metadata["model_name"] == "MaaS_Kimi_K2.5_20260127"
    assert message.response_metadata["cost"] == {"amount": 0.0008094, "currency": "USD"}
    assert message.response_metadata["finish_reason"] == "stop"
    assert message.content_blocks == [
        {"type": "reasoning", "reasoning": expected["reasoning_content"]},
        {"type": "text", "text": expected["content"]},
    ]


def test_cloudsway_json_mode(captures: Any) -> None:
    llm, sent = mock_llm(
        json_response(captures.raw("cloudsway_json_mode.json")), model="moonshot-v1-8k"
    )
    schema = {
        "title": "Reply",
        "type": "object",
        "properties": {
            "text": {"type": "string"},
            "image": {"type": "string"},
            "url": {"type": "string"},
        },
        "required": ["text", "image", "url"],
    }
    result = llm.with_structured_output(schema).invoke(
        [SystemMessage("你是月之暗面(Kimi)的智能客服"), HumanMessage("你好,我叫李雷,1+1等于多少?")],
        temperature=0.3,
    )
    assert result == {"text": "你好,李雷!1 + 1 = 2。", "image": "", "url": ""}
    body = sent.bodies[0]
    assert body["response_format"] == {"type": "json_object"}
    assert body["temperature"] == 0.3
    assert [m["role"] for m in body["messages"]] == ["system", "system", "user"]
    assert json.dumps(schema, ensure_ascii=False) in body["messages"][1]["content"]


def test_cloudsway_partial_mode(captures: Any) -> None:
    body = captures.raw("cloudsway_partial_mode.json")
    llm, sent = mock_llm(json_response(body), model="kimi-k2.5")
    prefix = "尊敬的用户您好,介绍一下kimi"
    message = llm.invoke([HumanMessage("你好?"), AIMessage(prefix)])
    assert sent.bodies[0]["messages"][-1] == {
        "role": "assistant",
        "content": prefix,
        "partial": True,
    }
    expected = json.loads(body)["choices"][0]["message"]
    # Kimi does not repeat the prefix (seed 000): the client prepends it.
    assert message.content == prefix + expected["content"]
    assert message.additional_kwargs == {"reasoning_content": expected["reasoning_content"]}
    assert message.usage_metadata == {
        "input_tokens": 87,
        "output_tokens": 257,
        "total_tokens": 344,
        "input_token_details": {"cache_read": 0},
    }
    assert message.response_metadata["id"] == "4052eed298b04f6abba93680034825c2"


@pytest.mark.parametrize(
    ("name", "prompt", "usage"),
    [
        ("acedata_hello", [HumanMessage("Hello")], (9, 184, 193)),
        (
            "acedata_multi_turn",
            [AIMessage("Hello! How can I help you today?"), HumanMessage("What model are you?")],
            (28, 235, 263),
        ),
    ],
)
async def test_acedata_answers(
    captures: Any, name: str, prompt: list[Any], usage: tuple[int, int, int]
) -> None:
    body = captures.raw(f"{name}.json")
    llm, sent = mock_llm(json_response(body), model="kimi-k2.5")
    message = await llm.ainvoke(prompt)
    expected = json.loads(body)["choices"][0]["message"]
    assert message.content == expected["content"]
    assert message.additional_kwargs == {"reasoning_content": expected["reasoning_content"]}
    assert message.tool_calls == []
    assert message.usage_metadata == dict(
        zip(("input_tokens", "output_tokens", "total_tokens"), usage, strict=True)
    )
    assert message.response_metadata["model_name"] == "kimi-k2.5"
    assert message.response_metadata["finish_reason"] == "stop"
    assert message.response_metadata["id"] == json.loads(body)["id"]
    prompt_cost = usage[0] * 0.6 + usage[1] * 3.0
    assert message.response_metadata["cost"] == {
        "amount": pytest.approx(prompt_cost / 1e6, abs=1e-12),
        "currency": "USD",
    }
    assert sent.bodies[0]["messages"][-1]["role"] == "user"


def test_acedata_stream(captures: Any) -> None:
    raw = captures.sse()
    llm, _ = mock_llm(sse_response(raw), model="kimi-k2.5")
    chunks = list(llm.stream("Hello"))
    events = sse_events(raw)
    deltas = [e["choices"][0]["delta"] for e in events if e["choices"]]
    reasoning_parts = [d["reasoning_content"] for d in deltas if d.get("reasoning_content")]
    text_parts = [d["content"] for d in deltas if d.get("content")]
    # One chunk per piece the user sees (no empty role chunk), then the final metadata chunk.
    assert [c.additional_kwargs.get("reasoning_content") for c in chunks[:13]] == (
        reasoning_parts[:13]
    )
    full = fold(chunks)
    assert full.content == "".join(text_parts) == " 你好!我能幫助 你今天嗎?"
    assert full.additional_kwargs == {"reasoning_content": "".join(reasoning_parts)}
    assert full.usage_metadata == {"input_tokens": 9, "output_tokens": 135, "total_tokens": 144}
    assert [c.usage_metadata is not None for c in chunks].count(True) == 1
    assert chunks[-1].chunk_position == "last"
    assert full.response_metadata["model_name"] == "kimi-k2.5"
    assert full.response_metadata["finish_reason"] == "stop"
    assert full.response_metadata["id"] == "chatcmpl-952dd5e75583c4d1"
    assert full.response_metadata["model_provider"] == "kimi"


def test_acedata_error_body(captures: Any) -> None:
    raw = captures.raw("acedata_error.json")
    for status in (500, 200):  # AceData also answers 200 with this body
        llm, _ = mock_llm(json_response(raw, status=status), model="kimi-k2.5")
        with pytest.raises(InternalServerError) as info:
            llm.invoke("Hello")
        error = info.value
        assert isinstance(error, ModelAPIError)
        assert error.code == "api_error"
        assert error.message == "fetch failed"
        assert error.trace_id == "2cf86e86-22a4-46e1-ac2f-032c0f2a4e89"
        assert error.status == 500
        assert isinstance(error.__cause__, InternalServerError)
