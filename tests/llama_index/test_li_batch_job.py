"""Kimi.batch_job (LlamaIndex) against the emulator (real HTTP; its batch clock moved by the
polls)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from llama_index.core.base.llms.types import ChatMessage, ChatResponse, TextBlock, ThinkingBlock

import kimi_core.batch.job as batch_job
from kimi_core import (
    BatchLineError,
    BatchLinesFailedError,
    BatchTimeoutError,
    InvalidParameterError,
    KimiBatchJob,
    PollPolicy,
)
from kimi_emulator import KimiEmulator
from llama_index_kimi import Kimi

MakeLLM = Callable[..., Kimi]
DAY = 86_400


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


def user(text: str) -> list[ChatMessage]:
    return [ChatMessage(role="user", content=text)]


def text_of(item: ChatResponse | BatchLineError) -> str:
    return item.message.content or "" if isinstance(item, ChatResponse) else f"<{item.code}>"


def test_batch_job_answers_as_chat_does(emu: KimiEmulator, make_llm: MakeLLM) -> None:
    llm = make_llm()
    conversations = [
        user("one"),
        [ChatMessage(role="system", content="Label it."), ChatMessage(role="user", content="two")],
    ]
    responses = llm.batch_job(conversations, max_tokens=80)
    assert [text_of(r) for r in responses] == ["You said: one", "You said: two"]
    [batch] = emu.batches
    sent = [json.loads(line) for line in emu.file_bytes(batch["input_file_id"]).splitlines()]
    for index, (messages, response) in enumerate(zip(conversations, responses, strict=True)):
        assert isinstance(response, ChatResponse)
        alone = llm.chat(messages, max_tokens=80)
        assert sent[index]["body"] == emu.requests[-1].json  # the request chat sends
        assert response.message.blocks == [
            ThinkingBlock(content="Let me think about this."),
            TextBlock(text=f"You said: {['one', 'two'][index]}"),
        ]
        assert response.raw["usage"] == alone.raw["usage"]
        extra = dict(response.additional_kwargs)
        assert extra.pop("batch") == {"id": batch["id"], "custom_id": f"request-{index}"}
        cost = extra.pop("cost")
        chat_cost = alone.additional_kwargs["cost"]
        assert cost["amount"] == pytest.approx(chat_cost["amount"] * 0.6)
        assert extra == {k: v for k, v in alone.additional_kwargs.items() if k != "cost"}


def test_failures_expiry_and_cancel(emu: KimiEmulator, make_llm: MakeLLM) -> None:
    llm = make_llm()
    emu.fail_batch_lines("request-0", status=500)
    with pytest.raises(BatchLinesFailedError) as caught:
        llm.batch_job([user("a"), user("b")])
    assert caught.value.failed_indices == [0]
    assert caught.value.errors[0].status == 500
    assert text_of(caught.value.results[1]) == "You said: b"
    emu.reset()

    emu.batch_timing(in_progress=2 * DAY, realtime=False)
    expired = llm.batch_job(
        [user(str(i)) for i in range(4)],
        completion_window="1d",
        poll=PollPolicy(initial=3600, factor=2, maximum=6 * 3600),  # a day in a few polls
        return_exceptions=True,
    )
    assert [text_of(r) for r in expired] == [
        "You said: 0",
        "You said: 1",
        "<batch_expired>",
        "<batch_expired>",
    ]

    emu.batch_timing(in_progress=100, realtime=False)

    def cancel_at_three_quarters(job: KimiBatchJob) -> None:
        emu.advance_batches(75)
        job.cancel()

    cancelled = llm.batch_job(
        [user(str(i)) for i in range(4)], on_submit=cancel_at_three_quarters, return_exceptions=True
    )
    assert [text_of(r) for r in cancelled] == [
        "You said: 0",
        "You said: 1",
        "You said: 2",
        "<batch_cancelled>",
    ]


def test_resume_by_id_in_a_fresh_model(emu: KimiEmulator, make_llm: MakeLLM) -> None:
    emu.batch_timing(validating=5, in_progress=100, realtime=False)
    kept: list[str] = []
    with pytest.raises(BatchTimeoutError):
        make_llm().batch_job(
            [user("a"), user("b")], on_submit=lambda j: kept.append(j.id), timeout=0
        )
    responses = make_llm().resume_batch_job(kept[0])
    assert [text_of(r) for r in responses] == ["You said: a", "You said: b"]
    assert responses[1].additional_kwargs["batch"]["custom_id"] == "request-1"  # type: ignore[union-attr]


async def test_async_thousand_conversations_in_order(emu: KimiEmulator, make_llm: MakeLLM) -> None:
    llm = make_llm(thinking=False)
    ids: list[str] = []
    responses = await llm.abatch_job(
        [user(f"n{i}") for i in range(1000)], on_submit=lambda job: ids.append(job.id)
    )
    assert [text_of(r) for r in responses] == [f"You said: n{i}" for i in range(1000)]
    resumed = await make_llm().aresume_batch_job(ids[0])
    assert [text_of(r) for r in resumed[-2:]] == ["You said: n998", "You said: n999"]


def test_refused_before_any_request(emu: KimiEmulator, make_llm: MakeLLM) -> None:
    with pytest.raises(InvalidParameterError) as caught:
        make_llm(model="kimi-k3").batch_job([user("a")])
    assert caught.value.param == "model"
    with pytest.raises(InvalidParameterError) as streamed:
        make_llm().batch_job([user("a")], stream=True)
    assert streamed.value.param == "stream"
    with pytest.raises(InvalidParameterError) as ids:
        make_llm().batch_job([user("a"), user("b")], custom_ids=["same", "same"])
    assert ids.value.param == "custom_id"
    assert emu.requests == []


def test_own_custom_ids(emu: KimiEmulator, make_llm: MakeLLM, clock: list[float]) -> None:
    llm = make_llm()
    responses = llm.batch_job([user("x"), user("y")], custom_ids=["doc-9", "doc-1"])
    assert [text_of(r) for r in responses] == ["You said: x", "You said: y"]
    assert [r.additional_kwargs["batch"]["custom_id"] for r in responses] == ["doc-9", "doc-1"]  # type: ignore[union-attr]
    job_id: Any = emu.batches[0]["id"]
    again = llm.resume_batch_job(job_id, custom_ids=["doc-9", "doc-1"])
    assert [text_of(r) for r in again] == ["You said: x", "You said: y"]
