"""Issue 26: bound settings reach batch jobs (``bind_tools`` / ``bind`` /
``with_structured_output`` then ``.batch_job``), over the emulator (real HTTP)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from langchain_core.messages import AIMessage
from langchain_core.tools import tool
from pydantic import BaseModel

from kimi_emulator import KimiEmulator
from langchain_kimi import ChatKimi

MakeLLM = Callable[..., ChatKimi]


@tool
def get_weather(city: str) -> str:
    """Current weather in a city."""
    return f"Sunny in {city}"


class Verdict(BaseModel):
    label: str


def lines_sent(emu: KimiEmulator) -> list[dict[str, Any]]:
    [batch] = emu.batches
    raw = emu.file_bytes(batch["input_file_id"])
    return [json.loads(text)["body"] for text in raw.splitlines()]


def test_bind_tools_then_batch_job_sends_the_tools(emu: KimiEmulator, make_llm: MakeLLM) -> None:
    bound = make_llm().bind_tools([get_weather], tool_choice="auto")
    [called] = bound.batch_job(["weather in Paris?"])
    [body] = lines_sent(emu)
    assert [t["function"]["name"] for t in body["tools"]] == ["get_weather"]
    assert body["tool_choice"] == "auto"
    assert isinstance(called, AIMessage)
    assert [call["name"] for call in called.tool_calls] == ["get_weather"]


async def test_bind_tools_then_abatch_job_sends_the_tools(
    emu: KimiEmulator, make_llm: MakeLLM
) -> None:
    bound = make_llm().bind_tools([get_weather])
    [called] = await bound.abatch_job(["weather in Paris?"])
    [body] = lines_sent(emu)
    assert [t["function"]["name"] for t in body["tools"]] == ["get_weather"]
    assert [call["name"] for call in called.tool_calls] == ["get_weather"]


def test_bound_sampling_and_stop_apply_and_the_call_wins(
    emu: KimiEmulator, make_llm: MakeLLM
) -> None:
    bound = make_llm(thinking=False).bind(stop=["END"], max_tokens=32, user="u-1")
    bound.with_config(tags=["t"]).batch_job(["hi", "there"], max_tokens=48)
    bodies = lines_sent(emu)
    assert [(b["stop"], b["max_completion_tokens"], b["user"]) for b in bodies] == [
        (["END"], 48, "u-1"),
        (["END"], 48, "u-1"),
    ]


def test_with_structured_output_then_batch_job_returns_parsed_objects(
    emu: KimiEmulator, make_llm: MakeLLM
) -> None:
    structured = make_llm().with_structured_output(Verdict)
    assert structured.batch_job(["verdict?"]) == [Verdict(label="<label>")]
    [body] = lines_sent(emu)
    assert body["response_format"]["type"] == "json_schema"
    assert body["response_format"]["json_schema"]["name"] == "Verdict"


async def test_with_structured_output_include_raw_then_abatch_job(
    emu: KimiEmulator, make_llm: MakeLLM
) -> None:
    structured = make_llm().with_structured_output(
        Verdict, method="function_calling", include_raw=True
    )
    [answer] = await structured.abatch_job(["verdict?"])
    assert answer["parsed"] == Verdict(label="<label>")
    assert answer["parsing_error"] is None
    assert isinstance(answer["raw"], AIMessage)
    [body] = lines_sent(emu)
    assert body["tool_choice"] == {"type": "function", "function": {"name": "Verdict"}} or (
        [t["function"]["name"] for t in body["tools"]] == ["Verdict"]
    )
