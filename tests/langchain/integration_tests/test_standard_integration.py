"""langchain-tests' standard integration suite for ``ChatKimi``, against the Kimi emulator.

The emulator plays the model over real HTTP on 127.0.0.1. Its deterministic defaults answer
most of the suite's prompts (a call of the first bound tool with schema-built arguments, a
JSON object filling the schema given in the prompt, an echo otherwise); where the suite checks
exact values (``magic_function(3)``, unicode names, reasoning/cache token counts) the
``_script`` fixture queues the replies that test needs.

Model: kimi-k2.6 with ``thinking=False``. The suite's synthetic histories
(``test_tool_message_histories_*``, ``test_structured_few_shot_examples``,
``test_tool_message_error_status``) contain assistant tool-call messages without reasoning,
which Kimi (and the emulator) rejects with 400 while thinking is on; thinking with tool
histories is covered end to end in test_lc_e2e.py. Reasoning output is still checked here:
``invoke_with_reasoning_output`` turns thinking on for its own call.

Left out, with reasons:
- image/PDF/audio inputs and image/PDF tool messages: the suite downloads its media from the
  internet and tests never reach the network; image parts are covered in test_lc_e2e.py
  (base64 and ``ms://``) and test_lc_messages.py (all formats, http URLs rejected);
- Anthropic-format inputs: ChatKimi does not claim them (``supports_anthropic_inputs`` off);
- ``test_stream_time``: skipped by the suite itself without VCR cassettes (nothing to replay:
  the emulator is local);
- cache-creation token details: Kimi does not report them.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from langchain_core.messages import AIMessage
from langchain_tests.integration_tests import ChatModelIntegrationTests
from lc_support import API_KEY, fold

from kimi_emulator import KimiEmulator
from langchain_kimi import ChatKimi

_BASE_URL: dict[str, str] = {}

MAGIC = {"name": "magic_function", "arguments": {"input": 3}}
UNICODE_CN = {
    "name": "unicode_customer",
    "arguments": {"customer_name": "你好啊集团", "description": "一家中国科技公司"},
}
UNICODE_JP = {
    "name": "unicode_customer",
    "arguments": {"customer_name": "こんにちは株式会社", "description": "日本の会社"},
}

# Replies queued per test (by the test function's name), in the order the test asks.
SCRIPTS: dict[str, list[dict[str, Any]]] = {
    "test_tool_calling": [{"tool_calls": [MAGIC], "times": 2}],
    "test_tool_calling_async": [{"tool_calls": [MAGIC], "times": 2}],
    "test_unicode_tool_call_integration": [
        {"tool_calls": [UNICODE_CN]},
        {"tool_calls": [UNICODE_JP]},
    ],
}


def _completion_with_usage(usage: dict[str, Any], *, reasoning: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-usage-details",
        "object": "chat.completion",
        "created": 1770000000,
        "model": "kimi-k2.6",
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": "Hi there.",
                    "reasoning_content": reasoning,
                },
                "finish_reason": "stop",
            }
        ],
        "usage": usage,
    }


def _stream_with_usage(usage: dict[str, Any], *, reasoning: str) -> list[str]:
    base = {"id": "chatcmpl-usage-details", "object": "chat.completion.chunk", "model": "kimi-k2.6"}
    deltas = [
        {"role": "assistant", "content": ""},
        {"reasoning_content": reasoning},
        {"content": "Hi there."},
    ]
    events = [
        json.dumps({**base, "choices": [{"index": 0, "delta": d, "finish_reason": None}]})
        for d in deltas
    ]
    events.append(
        json.dumps(
            {
                **base,
                "choices": [{"index": 0, "delta": {}, "finish_reason": "stop", "usage": usage}],
            }
        )
    )
    return [f"data: {e}\n\n" for e in [*events, "[DONE]"]]


# Kimi reports reasoning tokens as completion_tokens_details.reasoning_tokens where it gives
# them (OpenAI-style gateways); the emulator never does, so these tests send the exact body.
REASONING_USAGE = {
    "prompt_tokens": 12,
    "completion_tokens": 30,
    "total_tokens": 42,
    "completion_tokens_details": {"reasoning_tokens": 24},
}


class TestChatKimiIntegration(ChatModelIntegrationTests):
    @pytest.fixture(autouse=True)
    def _script(self, kimi_emulator: KimiEmulator, request: pytest.FixtureRequest) -> None:
        """Point the models at the emulator and queue the replies this test needs."""
        _BASE_URL["url"] = kimi_emulator.base_url
        self.emulator = kimi_emulator
        name = getattr(request.node, "originalname", request.node.name)
        for script in SCRIPTS.get(name, []):
            kimi_emulator.script(**script)

    @property
    def chat_model_class(self) -> type[ChatKimi]:
        return ChatKimi

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {
            "model": "kimi-k2.6",
            "thinking": False,
            "api_key": API_KEY,
            "base_url": _BASE_URL["url"],
            "max_retries": 0,
        }

    @property
    def has_tool_calling(self) -> bool:
        return True

    @property
    def has_tool_choice(self) -> bool:
        return True

    @property
    def has_structured_output(self) -> bool:
        return True

    @property
    def structured_output_kwargs(self) -> dict[str, Any]:
        return {"method": "json_mode"}

    @property
    def supports_json_mode(self) -> bool:
        return True

    @property
    def returns_usage_metadata(self) -> bool:
        return True

    @property
    def supported_usage_metadata_details(self) -> dict[Any, Any]:
        return {
            "invoke": ["reasoning_output", "cache_read_input"],
            "stream": ["reasoning_output", "cache_read_input"],
        }

    @property
    def supports_model_override(self) -> bool:
        return True

    @property
    def model_override_value(self) -> str:
        return "moonshot-v1-32k"

    def _model(self, **kwargs: Any) -> ChatKimi:
        return ChatKimi(**{**self.chat_model_params, **kwargs})

    def invoke_with_reasoning_output(self, *, stream: bool = False) -> AIMessage:
        llm = self._model(thinking=True)
        if stream:
            self.emulator.raw_stream_next(_stream_with_usage(REASONING_USAGE, reasoning="Hm."))
            message: AIMessage = fold(llm.stream("Why is the sky blue?"))
        else:
            body = _completion_with_usage(REASONING_USAGE, reasoning="Hm.")
            self.emulator.raw_next(json.dumps(body))
            message = llm.invoke("Why is the sky blue?")
        assert message.usage_metadata is not None
        assert message.usage_metadata["output_token_details"] == {"reasoning": 24}
        assert message.additional_kwargs["reasoning_content"] == "Hm."
        return message

    def invoke_with_cache_read_input(self, *, stream: bool = False) -> AIMessage:
        # Moonshot's own API reports cache hits as top-level usage.cached_tokens.
        self.emulator.script("Cached.", usage={"prompt_tokens": 500, "cached_tokens": 384})
        llm = self._model()
        message: AIMessage = fold(llm.stream("Hello")) if stream else llm.invoke("Hello")
        assert message.usage_metadata is not None
        assert message.usage_metadata["input_token_details"] == {"cache_read": 384}
        assert message.usage_metadata["input_tokens"] == 500
        return message
