"""Wire types: every real capture parses as it is, keeps unknown fields and round-trips."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from kimi_core.types import (
    ChatCompletion,
    ChatCompletionChunk,
    ChatRequest,
    FunctionCall,
    ToolCall,
    Usage,
)

CAPTURES = [
    "acedata_hello",
    "acedata_multi_turn",
    "cloudsway_json_mode",
    "cloudsway_partial_mode",
    "cloudsway_tool_call",
    "cloudsway_tool_result_answer",
]


def _message(raw: dict[str, Any]) -> dict[str, Any]:
    message: dict[str, Any] = raw["choices"][0]["message"]
    return message


def test_all_six_captures_are_known(captures: Any) -> None:
    assert sorted(n for n in captures.names if n != "acedata_error") == sorted(CAPTURES)


def test_acedata_hello(captures: Any) -> None:
    raw = captures.json("acedata_hello")
    completion = ChatCompletion.model_validate(raw)
    message = completion.message
    assert completion.id == "chatcmpl-b5d9e1b799c137e3"
    assert completion.model == "kimi-k2.5"
    assert completion.created == 1770991864
    assert completion.choices[0].finish_reason == "stop"
    assert message.content == " Hello! How can I help you today?"
    assert message.text == " Hello! How can I help you today?"
    assert message.refusal is None
    # The AceData twin: the same text as reasoning_content and as reasoning.
    assert message.reasoning_content == _message(raw)["reasoning_content"]
    assert message.reasoning == message.reasoning_content
    assert message.reasoning_text is not None
    assert message.reasoning_text.startswith(' The user has simply said "Hello".')
    assert message.tool_calls == []
    usage = completion.usage_any
    assert usage is not None
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (9, 184, 193)
    assert usage.cache_read_tokens == 0
    assert usage.reasoning_tokens is None
    assert usage.prompt_tokens_details is not None
    assert usage.prompt_tokens_details.cached_tokens is None
    assert usage.prompt_tokens_details.model_extra == {"cached_tokens_details": {}}


def test_acedata_multi_turn(captures: Any) -> None:
    completion = ChatCompletion.model_validate(captures.json("acedata_multi_turn"))
    assert completion.message.content == (
        " I'm Kimi, an AI assistant made by Moonshot AI. I'm from the **K2.5** series."
    )
    assert completion.message.reasoning_text is not None
    assert completion.message.reasoning_text.endswith(" Simple, direct, accurate. ")
    assert completion.usage_any == Usage(
        prompt_tokens=28,
        completion_tokens=235,
        total_tokens=263,
        prompt_tokens_details={"cached_tokens_details": {}},
        completion_tokens_details={},
    )


def test_cloudsway_tool_call(captures: Any) -> None:
    completion = ChatCompletion.model_validate(captures.json("cloudsway_tool_call"))
    message = completion.message
    assert completion.choices[0].finish_reason == "tool_calls"
    assert message.content == "我来帮您计算北京和上海之间的直线距离。"
    assert message.reasoning_content is None
    assert message.reasoning_text is None
    assert message.reasoning_details is None
    assert message.tool_calls == [
        ToolCall(
            id="get_distance:0",
            type="function",
            function=FunctionCall(
                name="get_distance", arguments='{"location1": "北京", "location2": "上海"}'
            ),
        )
    ]
    # Extra fields are kept, never rejected.
    assert completion.choices[0].model_extra == {"native_finish_reason": None}
    assert message.model_extra == {"function_call": None}
    usage = completion.usage_any
    assert usage is not None
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (83, 33, 116)
    assert usage.prompt_tokens_details is None
    assert usage.completion_tokens_details is None
    assert usage.cache_read_tokens == 0


def test_cloudsway_tool_result_answer(captures: Any) -> None:
    raw = captures.json("cloudsway_tool_result_answer")
    completion = ChatCompletion.model_validate(raw)
    message = completion.message
    assert completion.id == "90b265eb9fec4fdfb42275bf020deb47"
    assert completion.model == "MaaS_Kimi_K2.5_20260127"
    assert message.content == _message(raw)["content"]
    assert message.text.startswith("根据计算,**北京到上海的直线距离约为 1,000 公里**")
    assert message.reasoning_text == _message(raw)["reasoning_content"]
    assert message.tool_calls is None
    assert message.model_extra == {"annotations": None, "images": None, "function_call": None}
    assert completion.model_extra == {"logprobs": None, "service_tier": None}
    usage = completion.usage_any
    assert usage is not None
    assert usage.total_tokens == 317
    assert usage.prompt_tokens_details is not None
    assert usage.prompt_tokens_details.cached_tokens == 0
    assert usage.prompt_tokens_details.model_extra == {"audio_tokens": 0}
    assert usage.model_extra == {
        "cache_creation_input_tokens": None,
        "cache_creation": None,
        "gemini_cache_tokens_details": None,
    }


def test_cloudsway_json_mode(captures: Any) -> None:
    completion = ChatCompletion.model_validate(captures.json("cloudsway_json_mode"))
    assert completion.message.content == (
        '{\n    "text": "你好,李雷!1 + 1 = 2。",\n    "image": "",\n    "url": ""\n}'
    )
    assert completion.message.tool_calls is None
    assert completion.system_fingerprint is None
    assert completion.model == "kimi-k2-0711-preview"


def test_cloudsway_partial_mode(captures: Any) -> None:
    completion = ChatCompletion.model_validate(captures.json("cloudsway_partial_mode"))
    assert completion.message.text.startswith("你好!我是 **Kimi**")
    assert completion.message.reasoning_text is not None
    assert completion.message.reasoning_text.startswith("用户用中文问候")
    usage = completion.usage_any
    assert usage is not None
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (87, 257, 344)


@pytest.mark.parametrize("name", CAPTURES)
def test_capture_round_trips_through_model_dump(captures: Any, name: str) -> None:
    raw = captures.json(name)
    completion = ChatCompletion.model_validate(raw)
    assert completion.model_dump(mode="json", exclude_unset=True) == raw
    assert ChatCompletion.model_validate(completion.model_dump()) == completion


def test_moonshot_top_level_cached_tokens() -> None:
    usage = Usage.model_validate(
        {"prompt_tokens": 100, "completion_tokens": 5, "total_tokens": 105, "cached_tokens": 60}
    )
    assert usage.cache_read_tokens == 60
    assert usage.model_dump(exclude_unset=True)["cached_tokens"] == 60


def test_openai_style_cached_tokens() -> None:
    usage = Usage.model_validate(
        {
            "prompt_tokens": 100,
            "prompt_tokens_details": {"cached_tokens": 40},
            "completion_tokens_details": {"reasoning_tokens": 12},
        }
    )
    assert usage.cache_read_tokens == 40
    assert usage.reasoning_tokens == 12
    assert usage.input_tokens == 100
    assert usage.output_tokens == 0


def test_nulls_everywhere_are_accepted() -> None:
    completion = ChatCompletion.model_validate(
        {
            "id": None,
            "choices": [
                {
                    "index": None,
                    "message": {"role": None, "content": None, "tool_calls": None},
                    "finish_reason": None,
                }
            ],
            "usage": {"prompt_tokens": None, "completion_tokens": None, "total_tokens": None},
        }
    )
    assert completion.message.text == ""
    usage = completion.usage_any
    assert usage is not None
    assert (usage.input_tokens, usage.output_tokens, usage.cache_read_tokens) == (0, 0, 0)


def test_usage_inside_the_choice_is_found() -> None:
    completion = ChatCompletion.model_validate(
        {"choices": [{"message": {"content": "x"}, "usage": {"total_tokens": 7}}]}
    )
    assert completion.usage is None
    assert completion.usage_any == Usage(total_tokens=7)


def test_content_parts_text() -> None:
    completion = ChatCompletion.model_validate(
        {
            "choices": [
                {
                    "message": {
                        "content": [
                            {"type": "text", "text": "a"},
                            {"type": "image_url", "image_url": {"url": "ms://f"}},
                            {"type": "text", "text": "b"},
                        ]
                    }
                }
            ]
        }
    )
    assert completion.message.text == "ab"


def test_chunk_parses_seed_usage_chunk() -> None:
    chunk = ChatCompletionChunk.model_validate(
        {"id": "c", "choices": [], "usage": {"prompt_tokens": 9, "total_tokens": 144}}
    )
    assert chunk.choices == []
    assert chunk.usage == Usage(prompt_tokens=9, total_tokens=144)


def test_chat_request_payload_drops_unset_and_keeps_extra() -> None:
    request = ChatRequest.model_validate(
        {
            "model": "kimi-k2.5",
            "messages": [{"role": "user", "content": "Hi"}],
            "thinking": {"type": "disabled"},
            "custom_field": 1,
        }
    )
    assert request.to_payload() == {
        "model": "kimi-k2.5",
        "messages": [{"role": "user", "content": "Hi"}],
        "thinking": {"type": "disabled"},
        "custom_field": 1,
    }


def test_chat_request_rejects_bad_role_and_empty_messages() -> None:
    with pytest.raises(ValidationError):
        ChatRequest.model_validate({"model": "m", "messages": [{"role": "robot"}]})
    with pytest.raises(ValidationError):
        ChatRequest.model_validate({"model": "m", "messages": []})
