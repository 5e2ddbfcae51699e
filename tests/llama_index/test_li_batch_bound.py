"""Issue 26: ``Kimi.batch_job`` takes a pydantic ``response_format`` (as ``ChatKimi.batch_job``
does) and cleans up its files on request; ``ChatKimi`` and the core too (over the emulator)."""

from __future__ import annotations

import json
from collections.abc import Callable

from li_helpers import API_KEY
from llama_index.core.base.llms.types import ChatMessage
from pydantic import BaseModel

from kimi_core import KimiClient
from kimi_emulator import KimiEmulator
from langchain_kimi import ChatKimi
from llama_index_kimi import Kimi


class Verdict(BaseModel):
    label: str


def _deleted(emu: KimiEmulator) -> list[str]:
    return sorted(
        r.path.rsplit("/", 1)[1]
        for r in emu.requests
        if r.method == "DELETE" and r.path.startswith("/v1/files/")
    )


def _job_files(emu: KimiEmulator) -> list[str]:
    [batch] = emu.batches
    names = ("input_file_id", "output_file_id", "error_file_id")
    return sorted(batch[name] for name in names if batch.get(name))


def test_a_pydantic_response_format_is_asked_for_and_parsed(
    make_llm: Callable[..., Kimi], emu: KimiEmulator
) -> None:
    llm = make_llm()
    [answer] = llm.batch_job(
        [[ChatMessage(role="user", content="verdict?")]], response_format=Verdict
    )
    assert answer.additional_kwargs["parsed"] == Verdict(label="<label>")
    [batch] = emu.batches
    [line] = emu.file_bytes(batch["input_file_id"]).splitlines()
    body = json.loads(line)["body"]
    assert body["response_format"]["type"] == "json_schema"
    assert body["response_format"]["json_schema"]["name"] == "Verdict"


def test_files_are_kept_by_default(make_llm: Callable[..., Kimi], emu: KimiEmulator) -> None:
    make_llm().batch_job([[ChatMessage(role="user", content="hi")]])
    assert _deleted(emu) == []
    assert len(emu.files) >= 1


def test_delete_files_removes_the_jobs_files(
    make_llm: Callable[..., Kimi], emu: KimiEmulator
) -> None:
    [answer] = make_llm().batch_job([[ChatMessage(role="user", content="hi")]], delete_files=True)
    assert answer.message.content == "You said: hi"
    files = _job_files(emu)
    assert len(files) >= 2  # the input and the output
    assert _deleted(emu) == files
    assert [f["id"] for f in emu.files if f["id"] in files] == []


async def test_adelete_files_removes_the_jobs_files(
    make_llm: Callable[..., Kimi], emu: KimiEmulator
) -> None:
    await make_llm().abatch_job([[ChatMessage(role="user", content="hi")]], delete_files=True)
    assert _deleted(emu) == _job_files(emu)


def test_chat_kimi_delete_files(emu: KimiEmulator) -> None:
    llm = ChatKimi(api_key=API_KEY, base_url=emu.base_url, max_retries=0)
    try:
        llm.batch_job(["hi"], delete_files=True)
    finally:
        llm.close()
    assert _deleted(emu) == _job_files(emu)


def test_core_outcome_delete_files(emu: KimiEmulator) -> None:
    with KimiClient(API_KEY, base_url=emu.base_url) as client:
        job = client.batches.submit(
            [{"model": "kimi-k2.6", "messages": [{"role": "user", "content": "hi"}]}]
        )
        [result] = job.outcome(delete_files=True)
    assert result.choices[0].message.content is not None
    assert _deleted(emu) == _job_files(emu)
