"""``stream_events(version="v3")`` (langchain-core's content-block streaming protocol, beta)
with ChatKimi: text, reasoning, tool calls and usage arrive as typed projections (issue 18,
item 7). Skipped where the installed langchain-core has no v3."""

from __future__ import annotations

import asyncio
import inspect
import warnings
from collections.abc import Callable
from typing import Any

import pytest
from langchain_core.language_models import BaseChatModel
from langchain_core.tools import tool

from langchain_kimi import ChatKimi

HAS_V3 = hasattr(BaseChatModel, "stream_events") and "v3" in str(
    inspect.signature(BaseChatModel.astream_events).parameters["version"].annotation
)
pytestmark = [
    pytest.mark.skipif(not HAS_V3, reason="this langchain-core has no stream_events v3"),
    pytest.mark.filterwarnings("ignore::langchain_core._api.beta_decorator.LangChainBetaWarning"),
]


@tool
def get_weather(city: str) -> str:
    """The weather in a city."""
    return f"Sunny in {city}"


def test_v3_text_reasoning_and_usage(make_llm: Callable[..., ChatKimi]) -> None:
    stream: Any = make_llm().stream_events("hello", version="v3")
    assert list(stream.text) == ["You ", "said: ", "hello"]  # the deltas, as they came
    assert str(stream.reasoning) == "Let me think about this."
    output = stream.output
    assert [block["type"] for block in output.content] == ["reasoning", "text"]
    assert output.usage_metadata == {"input_tokens": 8, "output_tokens": 10, "total_tokens": 18}
    assert output.response_metadata["model_name"] == "kimi-k2.6"


def test_v3_tool_calls(make_llm: Callable[..., ChatKimi]) -> None:
    stream: Any = make_llm().bind_tools([get_weather]).stream_events("Oslo?", version="v3")
    assert stream.output.tool_calls == [
        {
            "name": "get_weather",
            "args": {"city": "Oslo"},
            "id": "get_weather:0",
            "type": "tool_call",
        }
    ]


def test_v3_async(make_llm: Callable[..., ChatKimi]) -> None:
    llm = make_llm()

    async def run() -> Any:
        stream: Any = await llm.astream_events("hello", version="v3")
        output = stream.output
        return await output if inspect.isawaitable(output) else output

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        output = asyncio.run(run())
    assert [block.get("text") for block in output.content if block["type"] == "text"] == [
        "You said: hello"
    ]
