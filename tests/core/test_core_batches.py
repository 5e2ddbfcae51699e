"""Batch jobs in the core, over real HTTP against the emulator (its batch clock driven by the
polls, so nothing sleeps): submit, poll, results in order, failures, expiry, cancel, resume."""

from __future__ import annotations

import asyncio
import io
import json
import pickle
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
from core_helpers import ChunkStream, Recorder, json_response

import kimi_core.batch.job as batch_job
from kimi_core import (
    APIConnectionError,
    AsyncKimiBatchJob,
    AsyncKimiClient,
    BadRequestError,
    BatchFailedError,
    BatchLineError,
    BatchLinesFailedError,
    BatchSubmitError,
    BatchTimeoutError,
    ContentFilterError,
    FileTooLargeError,
    InternalServerError,
    InvalidParameterError,
    KimiBatchJob,
    KimiClient,
    MalformedResponseError,
    PollPolicy,
    cost_of,
)
from kimi_core.batch.jsonl import parse_result_line
from kimi_core.catalog.model_info import get_model_info
from kimi_emulator import KimiEmulator

DAY = 86_400
KEY = "sk-batch-test-key"


def ask(text: str, model: str = "kimi-k2.6", **extra: Any) -> dict[str, Any]:
    return {"model": model, "messages": [{"role": "user", "content": text}], **extra}


def texts(results: list[Any]) -> list[str]:
    return [r.message.text if not isinstance(r, BatchLineError) else f"<{r.code}>" for r in results]


@pytest.fixture
def emu(kimi_emulator: KimiEmulator) -> KimiEmulator:
    """The session's emulator, its batch clock stopped (it moves with the job's polls)."""
    kimi_emulator.batch_timing(realtime=False)
    return kimi_emulator


@pytest.fixture
def waits(emu: KimiEmulator, monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Every wait between two polls, which advances the emulator's batch clock instead."""
    seen: list[float] = []

    def sleep(seconds: float) -> None:
        seen.append(seconds)
        emu.advance_batches(seconds)

    async def asleep(seconds: float) -> None:
        sleep(seconds)

    monkeypatch.setattr(batch_job, "_sleep", sleep)
    monkeypatch.setattr(batch_job, "_asleep", asleep)
    return seen


@pytest.fixture
def client(emu: KimiEmulator) -> Iterator[KimiClient]:
    with KimiClient(api_key=KEY, base_url=emu.base_url, max_retries=0) as made:
        yield made


def test_submit_sends_the_chat_requests_as_lines(
    emu: KimiEmulator, client: KimiClient, waits: list[float]
) -> None:
    job = client.batches.submit(
        [
            # Every chat rule applies: max_completion_tokens, thinking mapped, fixed
            # sampling values dropped (batch lines must not carry them).
            ask("one", max_tokens=50, thinking=False, temperature=0.6),
            ask("two"),
        ],
        metadata={"run": "nightly"},
    )
    [batch] = job.batches
    assert job.id == batch.id
    assert (job.status, job.total, job.model) == ("validating", 2, "kimi-k2.6")
    assert emu.file_bytes(batch.input_file_id or "") == (
        b'{"custom_id":"request-0","method":"POST","url":"/v1/chat/completions","body":'
        b'{"model":"kimi-k2.6","messages":[{"role":"user","content":"one"}],'
        b'"thinking":{"type":"disabled"},"max_completion_tokens":50}}\n'
        b'{"custom_id":"request-1","method":"POST","url":"/v1/chat/completions","body":'
        b'{"model":"kimi-k2.6","messages":[{"role":"user","content":"two"}]}}\n'
    )
    upload, create = emu.requests
    assert (upload.method, upload.path) == ("POST", "/v1/files")
    assert "multipart/form-data" in upload.headers["content-type"]
    assert (create.method, create.path) == ("POST", "/v1/batches")
    token = create.json["metadata"]["kimi_job"].split("/")[0]
    assert create.json == {
        "input_file_id": batch.input_file_id,
        "endpoint": "/v1/chat/completions",
        "completion_window": "24h",
        "metadata": {"run": "nightly", "kimi_job": f"{token}/0:2"},
    }
    assert emu.files[0]["purpose"] == "batch"
    assert emu.files[0]["filename"] == f"kimi-batch-{token}-0-1.jsonl"  # unique to the job
    assert texts(job.results()) == ["You said: one", "You said: two"]


def test_wait_polls_with_a_growing_interval(
    emu: KimiEmulator, client: KimiClient, waits: list[float]
) -> None:
    emu.batch_timing(validating=30, in_progress=200, finalizing=20, realtime=False)
    job = client.batches.submit([ask("a"), ask("b")])
    assert job.wait() is job
    assert waits == [10.0, 15.0, 22.5, 33.75, 50.625, 60.0, 60.0]  # 251.875 s: done at 250
    assert (job.status, job.done) == ("completed", True)
    assert job.counts.model_dump() == {"total": 2, "completed": 2, "failed": 0}
    gets = [r for r in emu.requests if r.method == "GET"]
    assert [r.path for r in gets] == [f"/v1/batches/{job.id}"] * 8
    waits.clear()
    job.wait(poll=PollPolicy(initial=1, factor=2, maximum=3))  # ended: no request, no wait
    assert waits == []
    assert len([r for r in emu.requests if r.method == "GET"]) == 8


def test_a_thousand_lines_keep_their_order(
    emu: KimiEmulator, client: KimiClient, waits: list[float]
) -> None:
    job = client.batches.submit(ask(f"text {i}") for i in range(1000))
    results = job.results()
    assert texts(results) == [f"You said: text {i}" for i in range(1000)]
    output = emu.file_bytes(job.batches[0].output_file_id or "").splitlines()
    ids = [json.loads(raw)["custom_id"] for raw in output]
    assert ids != [f"request-{i}" for i in range(1000)]  # the file itself is shuffled
    assert job.usage == {"prompt_tokens": 8000, "completion_tokens": 10990, "total_tokens": 18990}
    price = get_model_info("kimi-k2.6").batch_price  # type: ignore[union-attr]
    assert price is not None
    expected = sum(
        (cost_of(r.usage, "kimi-k2.6", batch=True).amount for r in results),  # type: ignore[union-attr]
        Decimal(0),
    )
    assert job.cost is not None
    assert (job.cost.amount, job.cost.currency) == (expected, "USD")
    assert job.cost.amount == (Decimal(8000) * price.input + Decimal(10990) * price.output) / 10**6
    assert (price.input, price.output) == (Decimal("0.570"), Decimal("2.400"))


async def test_a_thousand_lines_keep_their_order_async(
    emu: KimiEmulator, waits: list[float]
) -> None:
    async with AsyncKimiClient(api_key=KEY, base_url=emu.base_url, max_retries=0) as client:
        job = await client.batches.submit([ask(f"text {i}") for i in range(1000)])
        assert isinstance(job, AsyncKimiBatchJob)
        results = await job.results()
    assert texts(results) == [f"You said: text {i}" for i in range(1000)]


def test_on_submit_sees_the_job_and_outcome_waits_for_every_line(
    emu: KimiEmulator, client: KimiClient, waits: list[float]
) -> None:
    emu.fail_batch_lines("request-1")
    seen: list[Any] = []
    job = client.batches.submit([ask("a"), ask("b")], on_submit=seen.append)
    assert seen == [job]
    first, second = job.outcome()
    assert first.message.text == "You said: a"  # type: ignore[union-attr]
    assert isinstance(second, BatchLineError)


async def test_async_on_submit_may_be_a_coroutine_function(
    emu: KimiEmulator, waits: list[float]
) -> None:
    seen: list[Any] = []

    async def keep(job: Any) -> None:
        seen.append(job.id)

    async with AsyncKimiClient(api_key=KEY, base_url=emu.base_url, max_retries=0) as client:
        job = await client.batches.submit([ask("a")], on_submit=keep)
        assert seen == [job.id]
        assert texts(await job.outcome()) == ["You said: a"]


def test_partial_failure_is_typed_per_line(
    emu: KimiEmulator, client: KimiClient, waits: list[float]
) -> None:
    emu.fail_batch_lines("request-1", status=400, error_type="content_filter", message="blocked")
    emu.fail_batch_lines("request-3", status=500)
    job = client.batches.submit([ask(str(i)) for i in range(5)])
    results = job.results(return_exceptions=True)
    assert texts(results) == [
        "You said: 0",
        "<content_filter>",
        "You said: 2",
        "<server_error>",
        "You said: 4",
    ]
    blocked, crashed = results[1], results[3]
    assert isinstance(blocked, BatchLineError)
    assert isinstance(crashed, BatchLineError)
    assert (blocked.index, blocked.custom_id, blocked.status) == (1, "request-1", 400)
    assert isinstance(blocked.error, ContentFilterError)
    assert blocked.error.message == "blocked"
    assert isinstance(crashed.error, InternalServerError)
    assert str(blocked).startswith("line 1 (request-1): 400 content_filter: blocked (request id: ")
    with pytest.raises(BatchLinesFailedError) as caught:
        job.results()
    assert caught.value.failed_indices == [1, 3]
    assert texts(caught.value.results) == texts(results)
    assert str(caught.value).startswith(
        "2 of 5 batch lines failed (indices 1, 3); first: line 1 (request-1): 400 content_filter"
    )
    assert job.usage is not None
    assert job.usage["total_tokens"] > 0  # the three answers


def test_expiry_keeps_the_answered_lines(
    emu: KimiEmulator, client: KimiClient, waits: list[float]
) -> None:
    emu.batch_timing(in_progress=2 * DAY, realtime=False)
    job = client.batches.submit([ask(str(i)) for i in range(6)], completion_window="1d")
    job.wait(poll=PollPolicy(initial=3600, factor=2, maximum=6 * 3600))
    assert job.status == "expired"
    results = job.results(return_exceptions=True)
    assert texts(results) == ["You said: 0", "You said: 1", "You said: 2"] + ["<batch_expired>"] * 3
    assert results[4].custom_id == "request-4"  # type: ignore[union-attr]


def test_cancel_and_timeout(emu: KimiEmulator, client: KimiClient, waits: list[float]) -> None:
    emu.batch_timing(in_progress=100, cancelling=30, realtime=False)
    job = client.batches.submit([ask(str(i)) for i in range(4)])
    with pytest.raises(BatchTimeoutError) as caught:
        job.wait(timeout=0)
    assert caught.value.job_id == job.id
    assert f"batch job {job.id} is still in_progress after 0 s" in str(caught.value)
    emu.advance_batches(50)
    assert job.cancel() is job
    assert job.status == "cancelling"
    job.wait()
    assert waits == [10.0, 15.0, 22.5]  # cancelling lasts 30 s
    assert job.status == "cancelled"
    assert texts(job.results(return_exceptions=True)) == [
        "You said: 0",
        "You said: 1",
        "<batch_cancelled>",
        "<batch_cancelled>",
    ]
    cancels = [r for r in emu.requests if r.path.endswith("/cancel")]
    job.cancel()  # nothing runs any more: nothing sent
    assert len([r for r in emu.requests if r.path.endswith("/cancel")]) == len(cancels) == 1


def test_resume_by_id_in_a_fresh_client(
    emu: KimiEmulator, client: KimiClient, waits: list[float]
) -> None:
    emu.batch_timing(in_progress=100, realtime=False)
    job_id = client.batches.submit([ask(f"q{i}") for i in range(30)]).id
    client.close()
    with KimiClient(api_key=KEY, base_url=emu.base_url) as fresh:
        resumed = KimiBatchJob.resume(fresh, job_id)
        assert (resumed.id, resumed.total, resumed.model) == (job_id, 30, None)
        assert texts(resumed.results()) == [f"You said: q{i}" for i in range(30)]
        again = fresh.batches.resume(job_id)
        assert texts(again.results()) == [f"You said: q{i}" for i in range(30)]


def test_resume_from_another_process(emu: KimiEmulator, client: KimiClient) -> None:
    job = client.batches.submit([ask(f"q{i}") for i in range(5)], custom_ids=list("vwxyz"))
    script = textwrap.dedent(
        f"""
        from kimi_core import KimiBatchJob, KimiClient, PollPolicy
        client = KimiClient(api_key="{KEY}", base_url="{emu.base_url}")
        job = KimiBatchJob.resume(client, "{job.id}", custom_ids="vwxyz", poll=PollPolicy(0.01))
        print([r.message.text for r in job.results()])
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str([f"You said: q{i}" for i in range(5)])


def test_own_custom_ids(emu: KimiEmulator, client: KimiClient, waits: list[float]) -> None:
    ids = ["doc-b", "doc-a", "doc-c"]
    job = client.batches.submit([ask("b"), ask("a"), ask("c")], custom_ids=ids)
    assert b'"custom_id":"doc-b"' in emu.file_bytes(job.batches[0].input_file_id or "")
    assert texts(job.results()) == ["You said: b", "You said: a", "You said: c"]
    with pytest.raises(InvalidParameterError) as caught:
        client.batches.resume(job.id)
    assert caught.value.param == "custom_ids"
    resumed = client.batches.resume(job.id, custom_ids=ids)
    assert texts(resumed.results()) == ["You said: b", "You said: a", "You said: c"]
    assert resumed.custom_id_of(1) == "doc-a"


def test_a_big_job_is_split_into_several_batches(
    emu: KimiEmulator, client: KimiClient, waits: list[float]
) -> None:
    size = len(client.prepare(ask("t00")).body) + 79  # the line around the body
    job = client.batches.submit([ask(f"t{i:02d}") for i in range(10)], max_file_bytes=3 * size)
    assert len(job.ids) == 4  # 3 lines per file
    assert len(emu.file_bytes(job.batches[0].input_file_id or "")) == 3 * size
    assert job.id == ",".join(job.ids)
    keys = [batch.metadata["kimi_job"].split("/")[1] for batch in job.batches]  # type: ignore[index]
    assert keys == ["0:3", "3:6", "6:9", "9:10"]
    assert texts(job.results()) == [f"You said: t{i:02d}" for i in range(10)]
    assert job.batch_of(7) == job.ids[2]
    assert texts(client.batches.resume(job.id).results()) == texts(job.results())
    assert texts(client.batches.resume(list(job.ids)).results()) == texts(job.results())
    job = client.batches.submit([ask(str(i)) for i in range(5)], max_lines=2)
    assert len(job.ids) == 3


@pytest.mark.parametrize(
    ("requests", "options", "param", "message"),
    [
        ([ask("a"), ask("b", "kimi-k2.7-code")], {}, "model", "requests[1] asks for kimi-k2.7"),
        ([ask("a", stream=True)], {}, "stream", "requests[0] asks for stream=True"),
        ([ask("a", "kimi-k3")], {}, "model", "kimi-k3 is not available in Moonshot's batch API"),
        (
            [ask("a", temperature=0.2, strict_sampling=True)],
            {},
            "temperature",
            "requests[0]: kimi-k2.6 only accepts",
        ),
        ([{"messages": [{"role": "user", "content": "x"}]}], {}, "model", "requests[0]: model is"),
        ([], {}, "requests", "a batch job needs at least one request"),
        ([ask("a"), ask("b")], {"custom_ids": ["x", "x"]}, "custom_id", "custom id 'x' is used"),
        ([ask("a"), ask("b")], {"custom_ids": ["x"]}, "custom_id", "custom_ids has fewer ids"),
        ([ask("a")], {"custom_ids": ["x", "y"]}, "custom_id", "custom_ids has more ids"),
        ([ask("a")], {"custom_ids": [""]}, "custom_id", "custom_ids[0] must be a non-empty"),
        ([ask("a")], {"completion_window": "2h"}, "completion_window", "between 12h and 7d"),
        ([ask("a")], {"metadata": {"kimi_job": "x"}}, "metadata", "'kimi_job' is the package's"),
        ([ask("a")], {"max_file_bytes": 0}, "max_file_bytes", "max_file_bytes must be between"),
        ([ask("a")], {"max_lines": 0}, "max_lines", "max_lines must be at least 1"),
        (
            [ask("a", tools=[{"type": "builtin_function", "function": {"name": "$web_search"}}])],
            {},
            "tools",
            "requests[0] declares the builtin tool $web_search",
        ),
    ],
)  # fmt: skip
def test_bad_input_is_refused_before_any_request(
    emu: KimiEmulator,
    client: KimiClient,
    requests: list[dict[str, Any]],
    options: dict[str, Any],
    param: str,
    message: str,
) -> None:
    with pytest.raises(InvalidParameterError) as caught:
        client.batches.submit(requests, **options)
    assert caught.value.param == param
    assert message in str(caught.value)
    assert emu.requests == []


def test_a_line_over_the_file_limit_is_refused(emu: KimiEmulator, client: KimiClient) -> None:
    with pytest.raises(FileTooLargeError) as caught:
        client.batches.submit([ask("x" * 500)], max_file_bytes=200)
    assert caught.value.param == "requests"
    assert str(caught.value) == (
        "requests[0] is 642 bytes as a batch line: over the 200-byte file limit"
    )
    assert emu.requests == []


def test_a_batch_the_server_refuses(
    emu: KimiEmulator, client: KimiClient, waits: list[float]
) -> None:
    # The batch guides do not name the highspeed model: the client lets the server decide.
    job = client.batches.submit(
        [ask("a", "kimi-k2.7-code-highspeed"), ask("b", "kimi-k2.7-code-highspeed")]
    )
    with pytest.raises(BatchFailedError) as caught:
        job.wait()
    assert caught.value.job_id == job.id
    assert [e["code"] for e in caught.value.errors] == ["model_not_supported"]
    assert str(caught.value) == (
        f"batch {job.id} failed validation: model_not_supported: the batch API does not "
        "support kimi-k2.7-code-highspeed"
    )
    results = job.results(return_exceptions=True)
    assert texts(results) == ["<batch_failed>", "<batch_failed>"]
    assert str(results[0]) == (
        "line 0 (request-0): the batch failed validation, so no line ran: the batch API "
        "does not support kimi-k2.7-code-highspeed"
    )


def test_the_batches_namespace(emu: KimiEmulator, client: KimiClient) -> None:
    client.files.upload(b'{"x": 1}\n', "batch", filename="in.jsonl")
    file_id = emu.files[0]["id"]
    made = [client.batches.create(file_id, completion_window="12h") for _ in range(3)]
    assert made[0].status == "validating"
    assert made[0].expires_at == made[0].created_at + 12 * 3600  # type: ignore[operator]
    assert client.batches.retrieve(made[0].id).status == "failed"  # not a request line
    page = client.batches.list(limit=2)
    assert [b.id for b in page.data] == [made[2].id, made[1].id]
    assert page.next_after == made[1].id
    assert [b.id for b in client.batches.iter_all(limit=2)] == [b.id for b in reversed(made)]
    assert emu.requests[-2].query == {"limit": "2"}
    assert emu.requests[-1].query == {"limit": "2", "after": made[1].id}
    with pytest.raises(BadRequestError):
        client.batches.cancel(made[0].id)  # it failed: nothing to cancel
    sent = len(emu.requests)
    for bad in ("../v1", "a/b", ""):
        with pytest.raises(InvalidParameterError) as caught:
            client.batches.retrieve(bad)
        assert caught.value.param == "batch_id"
    with pytest.raises(InvalidParameterError) as refused:
        client.files.upload(b"{}\n", "batch", filename="in.txt")
    assert refused.value.param == "filename"
    with pytest.raises(InvalidParameterError):
        client.files.upload(b"", "batch", filename="in.jsonl")
    assert len(emu.requests) == sent


def test_creating_is_retried_only_when_surely_not_processed(
    emu: KimiEmulator, waits: list[float], sleeps: list[float]
) -> None:
    with KimiClient(api_key=KEY, base_url=emu.base_url, max_retries=2) as client:
        emu.fail_next(503)  # the upload: refused, so retried
        job = client.batches.submit([ask("a")])
        assert texts(job.results()) == ["You said: a"]
    assert len(emu.batches) == 1
    assert len(sleeps) == 1


def test_an_ambiguous_create_finds_its_batch() -> None:
    """The answer to POST /batches is lost after it was sent: the job key finds the batch."""
    created: dict[str, Any] = {}

    def lost(request: httpx.Request) -> httpx.Response:
        created.update(json.loads(request.content))
        raise httpx.ReadTimeout("lost", request=request)

    def listing(request: httpx.Request) -> httpx.Response:
        batch = {
            "id": "batch_found",
            "object": "batch",
            "status": "validating",
            "input_file_id": created["input_file_id"],
            "metadata": created["metadata"],
        }
        other = {**batch, "id": "batch_other", "metadata": {"kimi_job": "abc/0:1"}}
        return json_response({"object": "list", "data": [other, batch], "has_more": False})

    recorder = Recorder(json_response({"id": "file-1", "object": "file"}), lost, listing)
    http = httpx.Client(transport=httpx.MockTransport(recorder))
    with KimiClient(api_key=KEY, base_url="https://api.moonshot.cn/v1", http_client=http) as c:
        job = c.batches.submit([ask("a")])
    assert job.id == "batch_found"
    assert [r.method + " " + r.url.path for r in recorder.requests] == [
        "POST /v1/files",
        "POST /v1/batches",
        "GET /v1/batches",
    ]


def test_an_ambiguous_create_that_finds_nothing_says_how_to_look() -> None:
    def lost(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("lost", request=request)

    empty = json_response({"object": "list", "data": [], "has_more": False})
    recorder = Recorder(json_response({"id": "file-1", "object": "file"}), lost, empty)
    http = httpx.Client(transport=httpx.MockTransport(recorder))
    client = KimiClient(
        api_key=KEY, base_url="https://api.moonshot.cn/v1", http_client=http, max_retries=0
    )  # no retry left: the lookup that finds nothing ends the submit
    with client, pytest.raises(BatchSubmitError) as caught:
        client.batches.submit([ask("a")])
    assert [(r.method, r.url.path) for r in recorder.requests] == [
        ("POST", "/v1/files"),
        ("POST", "/v1/batches"),
        ("GET", "/v1/batches"),
    ]
    assert caught.value.job_id == ""
    assert "the last batch may have been created too: client.batches.list() shows it" in str(
        caught.value
    )
    cause = caught.value.__cause__
    assert isinstance(cause, APIConnectionError)
    assert cause.request_sent is True


def test_a_create_answered_5xx_is_looked_up_then_sent_again_when_not_there(
    sleeps: list[float],
) -> None:
    """A 502 says nothing of the backend: the job key is looked for first (after the
    backoff); only when no batch carries it is the create sent again."""
    made = {"id": "batch_made", "object": "batch", "status": "validating"}
    empty = json_response({"object": "list", "data": [], "has_more": False})
    recorder = Recorder(
        json_response({"id": "file-1", "object": "file"}),
        json_response({"error": {"message": "bad gateway"}}, status=502),
        empty,
        json_response(made),
    )
    http = httpx.Client(transport=httpx.MockTransport(recorder))
    with KimiClient(api_key=KEY, base_url="https://api.moonshot.cn/v1", http_client=http) as c:
        job = c.batches.submit([ask("a")])
    assert job.id == "batch_made"
    assert [r.method + " " + r.url.path for r in recorder.requests] == [
        "POST /v1/files",
        "POST /v1/batches",
        "GET /v1/batches",
        "POST /v1/batches",
    ]
    assert len(sleeps) == 1


def test_a_create_without_the_job_key_is_never_sent_again_after_a_5xx(
    sleeps: list[float],
) -> None:
    """``client.batches.create`` with no job key cannot be looked up: a 502 is raised."""
    recorder = Recorder(json_response({"error": {"message": "bad gateway"}}, status=502))
    http = httpx.Client(transport=httpx.MockTransport(recorder))
    with (
        KimiClient(api_key=KEY, base_url="https://api.moonshot.cn/v1", http_client=http) as c,
        pytest.raises(InternalServerError),
    ):
        c.batches.create("file-1")
    assert len(recorder.requests) == 1
    assert sleeps == []


def test_a_failure_after_some_batches_names_them(emu: KimiEmulator, client: KimiClient) -> None:
    requests = [ask(f"t{i:02d}") for i in range(4)]
    calls = {"n": 0}
    real = client.files.upload

    def flaky(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 2:
            raise InternalServerError("down", status=500)
        return real(*args, **kwargs)

    client.files.upload = flaky  # type: ignore[method-assign]
    with pytest.raises(BatchSubmitError) as caught:
        client.batches.submit(requests, max_lines=2)
    [made] = emu.batches
    assert caught.value.job_id == made["id"]
    assert f"batches already created: {made['id']} (resume or cancel them)" in str(caught.value)
    assert isinstance(caught.value.__cause__, InternalServerError)


def test_results_are_read_leniently() -> None:
    body = {"id": "c", "object": "chat.completion", "choices": [{"message": {"content": "hi"}}]}
    as_string = {"custom_id": "a", "response": {"status_code": 200, "body": json.dumps(body)}}
    custom_id, result = parse_result_line(json.dumps(as_string))
    assert (custom_id, result.message.text) == ("a", "hi")  # type: ignore[union-attr]
    only_id = {"id": "b", "response": {"body": body}}
    assert parse_result_line(json.dumps(only_id))[0] == "b"
    only_error = {"custom_id": "c", "error": {"code": "request_timeout", "message": "slow"}}
    _, failed = parse_result_line(json.dumps(only_error))
    assert isinstance(failed, BatchLineError)
    assert (failed.code, failed.message, failed.status, failed.error) == (
        "request_timeout",
        "slow",
        None,
        None,
    )
    bad_body = {"custom_id": "d", "response": {"status_code": 200, "body": {"choices": 3}}}
    _, malformed = parse_result_line(json.dumps(bad_body))
    assert isinstance(malformed, BatchLineError)
    assert malformed.code == "malformed_response"
    with pytest.raises(MalformedResponseError):
        parse_result_line("not json")
    with pytest.raises(MalformedResponseError):
        parse_result_line('{"response": {}}')


def test_a_file_sent_as_a_json_envelope_is_unwrapped() -> None:
    line = {
        "custom_id": "request-0",
        "response": {"status_code": 200, "body": {"choices": [{"message": {"content": "ok"}}]}},
    }
    batch = {
        "id": "batch_1",
        "status": "completed",
        "output_file_id": "file-out",
        "request_counts": {"total": 1, "completed": 1, "failed": 0},
    }
    envelope = {"content": json.dumps(line) + "\n", "file_type": "application/jsonl"}
    recorder = Recorder(json_response(batch), json_response(envelope))
    http = httpx.Client(transport=httpx.MockTransport(recorder))
    with KimiClient(api_key=KEY, base_url="https://api.moonshot.cn/v1", http_client=http) as c:
        job = c.batches.resume("batch_1")
        assert texts(job.results()) == ["ok"]
    assert recorder.requests[-1].url.path == "/v1/files/file-out/content"


def test_progress_bar(
    emu: KimiEmulator, client: KimiClient, waits: list[float], capsys: pytest.CaptureFixture[str]
) -> None:
    emu.batch_timing(validating=5, in_progress=20, realtime=False)
    job = client.batches.submit([ask("a"), ask("b"), ask("c")])
    job.wait(progress=False)
    assert capsys.readouterr().err == ""
    job = client.batches.submit([ask("a"), ask("b"), ask("c")])
    job.wait(progress=True)
    err = capsys.readouterr().err
    assert "batch validating" in err
    assert "batch completed" in err
    assert "3/3" in err
    job.wait()  # stderr is not a terminal here: no bar by default
    assert capsys.readouterr().err == ""


def test_the_job_keeps_no_key(emu: KimiEmulator, client: KimiClient) -> None:
    job = client.batches.submit([ask("a")])
    assert KEY not in repr(job)
    assert repr(job) == f"KimiBatchJob(id='{job.id}', status='validating', answered=0/1)"
    with pytest.raises(TypeError, match=r"keep job\.id and resume it"):
        pickle.dumps(job)


async def test_async_cancel_resume_and_wait(emu: KimiEmulator, waits: list[float]) -> None:
    emu.batch_timing(in_progress=100, realtime=False)
    async with AsyncKimiClient(api_key=KEY, base_url=emu.base_url) as client:
        job = await client.batches.submit([ask(str(i)) for i in range(4)])
        with pytest.raises(BatchTimeoutError):
            await job.wait(timeout=0)
        emu.advance_batches(75)
        resumed = await AsyncKimiBatchJob.resume(client, job.id)
        await resumed.cancel()
        await resumed.wait()
        assert waits == []  # cancelling takes no time here
        assert texts(await resumed.results(return_exceptions=True)) == [
            "You said: 0",
            "You said: 1",
            "You said: 2",
            "<batch_cancelled>",
        ]
        pages = [b.id async for b in client.batches.iter_all()]
        assert pages == [job.id]
        await resumed.delete_files()
    assert emu.files == []


def test_delete_files(emu: KimiEmulator, client: KimiClient, waits: list[float]) -> None:
    emu.fail_batch_lines("request-1")
    job = client.batches.submit([ask("a"), ask("b")])
    job.results(return_exceptions=True)
    assert len(emu.files) == 3  # input, output, errors
    job.delete_files()
    assert emu.files == []


def test_split_job_ids_are_checked() -> None:
    with pytest.raises(InvalidParameterError) as caught:
        batch_job.split_job_id("a,,b")
    assert caught.value.param == "job_id"
    assert batch_job.split_job_id(" a , b ") == ("a", "b")
    assert batch_job.split_job_id(["a"]) == ("a",)


def test_poll_policy() -> None:
    delays = PollPolicy(initial=2, factor=3, maximum=20).delays()
    assert [next(delays) for _ in range(4)] == [2, 6, 18, 20]


def test_asyncio_is_not_blocked_while_files_are_written(emu: KimiEmulator) -> None:
    async def main() -> list[str]:
        async with AsyncKimiClient(api_key=KEY, base_url=emu.base_url) as client:
            ticks: list[int] = []

            async def tick() -> None:
                for i in range(3):
                    ticks.append(i)
                    await asyncio.sleep(0)

            job, _ = await asyncio.gather(
                client.batches.submit([ask(str(i)) for i in range(300)]), tick()
            )
            assert ticks == [0, 1, 2]
            return texts(await job.results())[:2]

    emu.batch_timing()
    assert asyncio.run(main()) == ["You said: 0", "You said: 1"]


def test_an_error_line_echoing_the_key_is_scrubbed(
    emu: KimiEmulator, client: KimiClient, waits: list[float]
) -> None:
    emu.fail_batch_lines("request-0", status=401, message=f"bad key {KEY}")
    with pytest.raises(BatchLinesFailedError) as caught:
        client.batches.submit([ask("a")]).results()
    line = caught.value.errors[0]
    texts_seen = [str(caught.value), str(line), repr(line), str(line.error), repr(line.error.body)]  # type: ignore[union-attr]
    assert all(KEY not in text for text in texts_seen)
    assert line.message == "401 invalid_authentication_error: bad key ***"
    revived = pickle.loads(pickle.dumps(BatchLinesFailedError({}, [])))
    assert (revived.errors, revived.results) == ({}, [])


def test_catalog_batch_flags_and_prices() -> None:
    flags = {
        model: get_model_info(model).batch  # type: ignore[union-attr]
        for model in (
            "kimi-k2.6",
            "kimi-k2.7-code",
            "kimi-k2.5",
            "kimi-k3",
            "kimi-k3.1-pro",
            "kimi-k2.7-code-highspeed",
            "moonshot-v1-8k",
        )
    }
    assert flags == {
        "kimi-k2.6": True,
        "kimi-k2.7-code": True,
        "kimi-k2.5": True,
        "kimi-k3": False,
        "kimi-k3.1-pro": None,
        "kimi-k2.7-code-highspeed": None,
        "moonshot-v1-8k": None,
    }
    k26 = get_model_info("kimi-k2.6")
    assert k26 is not None
    assert k26.price is not None
    batch = k26.batch_price
    assert batch is not None
    assert (batch.input, batch.output, batch.cached_input, batch.currency) == (
        k26.price.input * Decimal("0.6"),
        k26.price.output * Decimal("0.6"),
        Decimal("0.096"),
        "USD",
    )
    assert batch.source.endswith("batch: x0.6 (docs/kimi-api/batch.md §8)")
    assert get_model_info("kimi-k3").batch_price is None  # type: ignore[union-attr]
    usage = {"prompt_tokens": 1_000_000, "completion_tokens": 1_000_000, "cached_tokens": 500_000}
    # 500k fresh x 0.57 + 500k cached x 0.096 + 1M out x 2.40, per million
    assert cost_of(usage, "kimi-k2.6", batch=True).amount == Decimal("2.733")  # type: ignore[union-attr]
    assert cost_of(usage, "kimi-k3", batch=True) is None
    assert cost_of(usage, "not-a-model", batch=True) is None


@pytest.mark.parametrize("bad", [{"initial": 0}, {"factor": 0.5}, {"initial": 30, "maximum": 10}])
def test_poll_policy_is_checked(bad: dict[str, float]) -> None:
    with pytest.raises(InvalidParameterError) as caught:
        PollPolicy(**bad)
    assert caught.value.param == "poll"


def test_uploads_from_file_objects(emu: KimiEmulator, client: KimiClient, tmp_path: Any) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes(b"streamed text")
    with path.open("rb") as handle:
        uploaded = client.files.upload(handle)  # the name comes from the file
    assert (uploaded.filename, uploaded.bytes) == ("notes.txt", 13)
    assert client.files.content(uploaded.id) == "streamed text"
    with pytest.raises(InvalidParameterError) as text_mode:
        client.files.upload(io.StringIO("x"), filename="a.txt")  # type: ignore[arg-type]
    assert text_mode.value.param == "file"
    with pytest.raises(InvalidParameterError) as nameless:
        client.files.upload(io.BytesIO(b"x"))
    assert nameless.value.param == "filename"
    assert len(emu.requests) == 2


def test_a_download_that_breaks_is_a_typed_error() -> None:
    def broken(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, stream=ChunkStream([b'{"custom_id": "request-0"'], httpx.ReadError("reset"))
        )

    http = httpx.Client(transport=httpx.MockTransport(Recorder(broken)))
    client = KimiClient(api_key=KEY, base_url="https://api.moonshot.cn/v1", http_client=http)
    with client, pytest.raises(APIConnectionError) as caught:
        list(client.files.content_lines("file-out"))
    assert str(caught.value).startswith("the download of file file-out broke off: ReadError")
