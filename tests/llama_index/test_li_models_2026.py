"""``Kimi`` with the late-2026 models, over real HTTP against the emulator."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from li_helpers import chat_requests
from llama_index.core.base.llms.types import (
    ChatMessage,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
    VideoBlock,
)
from llama_index.core.tools import FunctionTool

from kimi_core.errors import InvalidParameterError, NotFoundError
from kimi_emulator import KimiEmulator
from llama_index_kimi import Kimi

HI = [ChatMessage(role="user", content="Hi")]
MakeLLM = Callable[..., Kimi]


def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


def mul(a: int, b: int) -> int:
    """Multiply two integers."""
    return a * b


TOOLS = [FunctionTool.from_defaults(add), FunctionTool.from_defaults(mul)]


def test_the_default_model_and_its_metadata(llm: Kimi, emu: KimiEmulator) -> None:
    assert llm.model == "kimi-k2.6"
    assert (llm.metadata.context_window, llm.metadata.num_output) == (262_144, 32_768)
    llm.chat(HI)
    assert chat_requests(emu)[0]["model"] == "kimi-k2.6"
    k3 = Kimi(api_key="sk-x", model="kimi-k3").metadata
    assert (k3.context_window, k3.num_output) == (1_048_576, 131_072)


async def test_reasoning_effort_per_instance_and_per_call(
    make_llm: MakeLLM, emu: KimiEmulator
) -> None:
    llm = make_llm(model="kimi-k3", reasoning_effort="high")
    response = llm.chat(HI)
    assert isinstance(response.message.blocks[0], ThinkingBlock)
    [r async for r in await llm.astream_chat(HI, reasoning_effort="low")]
    first, second = chat_requests(emu)
    assert (first["reasoning_effort"], "thinking" in first) == ("high", False)
    assert (second["reasoning_effort"], "thinking" in second) == ("low", False)


@pytest.mark.parametrize(
    ("model", "call", "param"),
    [
        ("kimi-k2.6", {"reasoning_effort": "max"}, "reasoning_effort"),
        ("kimi-k3", {"thinking": False}, "thinking"),
        ("kimi-k2.7-code", {"thinking": False}, "thinking"),
        ("kimi-k3.1-pro", {"reasoning_effort": "medium"}, "reasoning_effort"),
    ],
)
async def test_refused_thinking_options_send_nothing(
    make_llm: MakeLLM, emu: KimiEmulator, model: str, call: dict[str, Any], param: str
) -> None:
    llm = make_llm(model=model)
    with pytest.raises(InvalidParameterError) as caught:
        llm.chat(HI, **call)
    assert (caught.value.param, model in str(caught.value)) == (param, True)
    with pytest.raises(InvalidParameterError):
        await llm.astream_chat(HI, **call)
    assert chat_requests(emu) == []


def test_preserved_thinking_sends_every_turns_reasoning(
    make_llm: MakeLLM, emu: KimiEmulator
) -> None:
    llm = make_llm(preserve_thinking=True)
    history = [
        ChatMessage(role="user", content="Hi"),
        ChatMessage(
            role="assistant",
            blocks=[ThinkingBlock(content="A greeting."), TextBlock(text="Hello!")],
        ),
        ChatMessage(role="user", content="Again?"),
    ]
    assert llm.chat(history).message.content == "You said: Again?"
    sent = chat_requests(emu)[0]
    assert sent["thinking"] == {"type": "enabled", "keep": "all"}
    assert sent["messages"][1] == {
        "role": "assistant",
        "content": "Hello!",
        "reasoning_content": "A greeting.",
    }


def test_video_blocks_from_an_upload(make_llm: MakeLLM, emu: KimiEmulator, tmp_path: Path) -> None:
    llm = make_llm(prompt_cache_key="s-1")
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"\x00\x00\x00\x18ftypmp42")
    uploaded = llm.client.files.upload(clip, purpose="video")
    assert uploaded.purpose == "video"
    message = ChatMessage(
        role="user",
        blocks=[TextBlock(text="What happens?"), VideoBlock(url=f"ms://{uploaded.id}")],
    )
    inline = ChatMessage(
        role="user", blocks=[VideoBlock(video=b"\x00\x01", video_mimetype="video/mp4")]
    )
    llm.chat([message])
    llm.chat([inline])
    first, second = chat_requests(emu)
    assert first["prompt_cache_key"] == "s-1"
    assert first["messages"][0]["content"] == [
        {"type": "text", "text": "What happens?"},
        {"type": "video_url", "video_url": {"url": f"ms://{uploaded.id}"}},
    ]
    assert second["messages"][0]["content"] == [
        {"type": "video_url", "video_url": {"url": "data:video/mp4;base64,AAE="}}
    ]
    old = make_llm(model="moonshot-v1-8k-vision-preview")
    with pytest.raises(InvalidParameterError, match="does not take video"):
        old.chat([message])
    assert len(chat_requests(emu)) == 2


def test_cached_tokens_and_rate_limits_reach_the_response(
    make_llm: MakeLLM, emu: KimiEmulator
) -> None:
    emu.set_limits(rpm=50, concurrency=None)
    emu.script("Hi.", usage={"prompt_tokens": 1000, "completion_tokens": 10, "cached_tokens": 800})
    llm = make_llm()
    response = llm.chat(HI)
    assert response.additional_kwargs["cached_tokens"] == 800
    # 200 fresh x $0.95 + 800 cached x $0.16 + 10 x $4.00, per 1M tokens.
    assert response.additional_kwargs["cost"] == {"amount": 0.000358, "currency": "USD"}
    assert response.additional_kwargs["rate_limit"]["limit"] == 50
    last = list(llm.stream_chat(HI))[-1]
    assert last.additional_kwargs["rate_limit"]["remaining"] == 48


def test_a_retired_model_says_what_replaces_it(make_llm: MakeLLM) -> None:
    llm = make_llm(model="kimi-k2-thinking")
    with pytest.raises(
        NotFoundError, match=r"kimi-k2-thinking was retired on 2026-05-25: use kimi-k2\.6"
    ):
        llm.chat(HI)


async def test_the_models_the_account_can_use(llm: Kimi) -> None:
    sync = [card.id for card in llm.client.models.list()]
    together = [card.id for card in await llm.async_client.models.list()]
    assert sync == together
    assert "kimi-k3" in sync
    assert "kimi-k2.5" not in sync
    k3 = await llm.async_client.models.retrieve("kimi-k3")
    assert (k3.context_length, k3.supports_reasoning, k3.supports_video_in) == (
        1_048_576,
        True,
        True,
    )
    with pytest.raises(NotFoundError):
        llm.client.models.retrieve("kimi-k2.5")


@pytest.mark.parametrize("stream", [False, True])
def test_parallel_calls_follow_allow_parallel_tool_calls(
    make_llm: MakeLLM, emu: KimiEmulator, stream: bool
) -> None:
    calls = [
        {"name": "add", "arguments": {"a": 1, "b": 2}},
        {"name": "mul", "arguments": {"a": 2, "b": 3}},
    ]
    emu.script(tool_calls=calls, times=2)
    llm = make_llm(thinking=False)

    def run(allow: bool) -> list[str]:
        if stream:
            response = list(
                llm.stream_chat_with_tools(TOOLS, "x", allow_parallel_tool_calls=allow)
            )[-1]
        else:
            response = llm.chat_with_tools(TOOLS, "x", allow_parallel_tool_calls=allow)
        blocks = [b.tool_name for b in response.message.blocks if isinstance(b, ToolCallBlock)]
        selections = llm.get_tool_calls_from_response(response)
        assert [s.tool_name for s in selections] == blocks
        return blocks

    assert run(True) == ["add", "mul"]
    assert run(False) == ["add"]
    assert all("parallel_tool_calls" not in r for r in chat_requests(emu))


def test_forced_tool_on_kimi_k3_is_sent_as_required(make_llm: MakeLLM, emu: KimiEmulator) -> None:
    llm = make_llm(model="kimi-k3")
    response = llm.chat_with_tools(TOOLS, "x", tool_required=True)
    assert llm.get_tool_calls_from_response(response)[0].tool_name == "add"
    assert chat_requests(emu)[0]["tool_choice"] == "required"
