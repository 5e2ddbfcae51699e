"""ChatKimi.batch_job against the emulator (real HTTP; its batch clock moved by the polls)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import pytest
from langchain_core.exceptions import ModelInvalidRequestError
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.tools import tool
from pydantic import BaseModel

import kimi_core.batch.job as batch_job
from kimi_core import (
    BatchLineError,
    BatchLinesFailedError,
    BatchTimeoutError,
    InvalidParameterError,
    KimiBatchJob,
    PollPolicy,
)
from kimi_core.catalog.model_info import FixedSamplingWarning
from kimi_emulator import KimiEmulator
from langchain_kimi import ChatKimi

MakeLLM = Callable[..., ChatKimi]
DAY = 86_400


@tool
def get_weather(city: str) -> str:
    """Current weather in a city."""
    return f"Sunny in {city}"


class Verdict(BaseModel):
    label: str


@pytest.fixture(autouse=True)
def clock(emu: KimiEmulator, monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The emulator's batch clock stops; each wait between polls moves it instead."""
    emu.batch_timing(realtime=False)
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        emu.advance_batches(seconds)

    async def asleep(seconds: float) -> None:
        sleep(seconds)

    monkeypatch.setattr(batch_job, "_sleep", sleep)
    monkeypatch.setattr(batch_job, "_asleep", asleep)
    return waits


def without(metadata: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {key: value for key, value in metadata.items() if key not in keys}


def lines_sent(emu: KimiEmulator) -> list[dict[str, Any]]:
    [batch] = emu.batches
    raw = emu.file_bytes(batch["input_file_id"])
    return [json.loads(text) for text in raw.splitlines()]


def test_batch_job_answers_as_invoke_does(emu: KimiEmulator, make_llm: MakeLLM) -> None:
    llm = make_llm(thinking=False)
    prompt = ChatPromptTemplate.from_messages([("system", "Be brief."), ("human", "{q}")])
    inputs: list[Any] = [
        "hello",
        [SystemMessage("You label text."), HumanMessage("label this")],
        prompt.invoke({"q": "from a prompt"}),
    ]
    messages = llm.batch_job(inputs, max_tokens=64)
    assert [m.content for m in messages] == [
        "You said: hello",
        "You said: label this",
        "You said: from a prompt",
    ]
    [batch] = emu.batches
    sent = lines_sent(emu)
    assert [line["custom_id"] for line in sent] == ["request-0", "request-1", "request-2"]
    for index, (item, message) in enumerate(zip(inputs, messages, strict=True)):
        assert isinstance(message, AIMessage)
        alone = llm.invoke(item, max_tokens=64)
        # The same request builder: the line's body is what invoke sends.
        assert sent[index]["body"] == emu.requests[-1].json
        assert sent[index]["body"]["max_completion_tokens"] == 64
        assert sent[index]["body"]["thinking"] == {"type": "disabled"}
        assert message.content == alone.content
        assert message.usage_metadata == alone.usage_metadata
        assert message.response_metadata["batch"] == {
            "id": batch["id"],
            "custom_id": f"request-{index}",
        }
        batch_cost = message.response_metadata["cost"]
        chat_cost = alone.response_metadata["cost"]
        assert batch_cost["currency"] == chat_cost["currency"] == "USD"
        assert batch_cost["amount"] == pytest.approx(chat_cost["amount"] * 0.6)
        assert without(message.response_metadata, "batch", "cost", "id") == without(
            alone.response_metadata, "cost", "id"
        )


def test_tools_reasoning_structured_output_and_partial_mode(
    emu: KimiEmulator, make_llm: MakeLLM
) -> None:
    llm = make_llm()
    [called] = llm.batch_job(["weather in Paris?"], tools=[get_weather])
    assert isinstance(called, AIMessage)
    [call] = called.tool_calls
    assert call == {
        "name": "get_weather",
        "args": {"city": "Paris"},
        "id": "get_weather:0",
        "type": "tool_call",
    }
    assert called.additional_kwargs["reasoning_content"] == "I should call get_weather."
    [parsed] = llm.batch_job(["verdict?"], response_format=Verdict)
    assert isinstance(parsed, AIMessage)
    assert parsed.additional_kwargs["parsed"] == Verdict(label="<label>")
    [continued] = make_llm(thinking=False).batch_job(
        [[HumanMessage("Say hi"), AIMessage("You said")]]
    )
    assert continued.content == "You said: Say hi"  # the prefix and the continuation


def test_failed_lines_are_typed_and_in_place(emu: KimiEmulator, make_llm: MakeLLM) -> None:
    llm = make_llm()
    emu.fail_batch_lines("request-2", status=400, error_type="content_filter", message="no")
    with pytest.raises(BatchLinesFailedError) as caught:
        llm.batch_job(["a", "b", "c", "d"])
    assert caught.value.failed_indices == [2]
    failed = caught.value.errors[2]
    assert (failed.index, failed.custom_id, failed.code, failed.status) == (
        2,
        "request-2",
        "content_filter",
        400,
    )
    assert [getattr(m, "content", None) for m in caught.value.results] == [
        "You said: a",
        "You said: b",
        None,
        "You said: d",
    ]
    results = llm.batch_job(["a", "b", "c"], return_exceptions=True)
    assert isinstance(results[2], BatchLineError)
    assert [m.content for m in results[:2]] == ["You said: a", "You said: b"]  # type: ignore[union-attr]


def test_expiry_and_cancel(emu: KimiEmulator, make_llm: MakeLLM, clock: list[float]) -> None:
    llm = make_llm()
    emu.batch_timing(in_progress=2 * DAY, realtime=False)
    hourly = PollPolicy(initial=3600, factor=2, maximum=6 * 3600)  # a day in a few polls
    expired = llm.batch_job(
        ["a", "b", "c", "d"], completion_window="1d", poll=hourly, return_exceptions=True
    )
    assert [getattr(m, "content", None) or m.code for m in expired] == [  # type: ignore[union-attr]
        "You said: a",
        "You said: b",
        "batch_expired",
        "batch_expired",
    ]

    emu.batch_timing(in_progress=100, realtime=False)

    def cancel_half_way(job: KimiBatchJob) -> None:
        emu.advance_batches(50)
        job.cancel()

    cancelled = llm.batch_job(
        ["a", "b", "c", "d"], on_submit=cancel_half_way, return_exceptions=True
    )
    assert [getattr(m, "content", None) or m.code for m in cancelled] == [  # type: ignore[union-attr]
        "You said: a",
        "You said: b",
        "batch_cancelled",
        "batch_cancelled",
    ]


def test_resume_by_id_in_a_fresh_model(emu: KimiEmulator, make_llm: MakeLLM) -> None:
    emu.batch_timing(in_progress=100, realtime=False)
    kept: list[str] = []
    with pytest.raises(BatchTimeoutError) as caught:
        make_llm().batch_job(["a", "b"], on_submit=lambda job: kept.append(job.id), timeout=0)
    assert caught.value.job_id == kept[0]
    fresh = make_llm()
    messages = fresh.resume_batch_job(kept[0])
    assert [m.content for m in messages] == ["You said: a", "You said: b"]  # type: ignore[union-attr]
    assert messages[0].additional_kwargs["reasoning_content"] == "Let me think about this."  # type: ignore[union-attr]
    assert messages[1].response_metadata["batch"]["custom_id"] == "request-1"  # type: ignore[union-attr]
    assert messages[1].response_metadata["cost"]["currency"] == "USD"  # type: ignore[union-attr]


async def test_async_thousand_inputs_in_order(emu: KimiEmulator, make_llm: MakeLLM) -> None:
    llm = make_llm()
    ids: list[str] = []

    async def remember(job: Any) -> None:
        ids.append(job.id)

    messages = await llm.abatch_job([f"n{i}" for i in range(1000)], on_submit=remember)
    assert [m.content for m in messages] == [f"You said: n{i}" for i in range(1000)]  # type: ignore[union-attr]
    resumed = await make_llm().aresume_batch_job(ids[0])
    assert [m.content for m in resumed[:3]] == ["You said: n0", "You said: n1", "You said: n2"]  # type: ignore[union-attr]
    await llm.aclose()


def test_refused_before_any_request(emu: KimiEmulator, make_llm: MakeLLM) -> None:
    llm = make_llm()
    with pytest.raises(InvalidParameterError) as caught:
        llm.batch_job(["a"], stream=True)
    assert caught.value.param == "stream"
    with pytest.raises(ModelInvalidRequestError) as refused:  # the LangChain twin
        make_llm(model="kimi-k3").batch_job(["a"])
    assert isinstance(refused.value, InvalidParameterError)
    assert refused.value.param == "model"
    with pytest.raises(InvalidParameterError) as fixed:
        make_llm(temperature=0.2, strict_sampling=True).batch_job(["a"])
    assert fixed.value.param == "temperature"
    assert emu.requests == []


def test_a_fixed_sampling_value_is_left_out_of_the_lines(
    emu: KimiEmulator, make_llm: MakeLLM, fresh_sampling_warnings: None
) -> None:
    # Issue 25: dropped with a warning (the model's own value applies), not refused.
    with pytest.warns(FixedSamplingWarning, match="temperature=0.2 given was not sent"):
        [message] = make_llm(temperature=0.2).batch_job(["a"])
    assert message.content == "You said: a"
    [line] = lines_sent(emu)
    assert line["body"] == {"model": "kimi-k2.6", "messages": [{"role": "user", "content": "a"}]}


def test_sync_and_async_in_one_process(emu: KimiEmulator, make_llm: MakeLLM) -> None:
    llm = make_llm()
    assert [m.content for m in llm.batch_job(["x"])] == ["You said: x"]  # type: ignore[union-attr]
    again = asyncio.run(llm.abatch_job(["y"]))
    assert [m.content for m in again] == ["You said: y"]  # type: ignore[union-attr]
