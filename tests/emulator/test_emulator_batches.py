"""The Batch API of the emulator over raw HTTP: lifecycle on the batch clock, files, errors."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import openai
import pytest
from emulator_support import error_of

from kimi_emulator import KimiEmulator

BATCH_KEYS = {
    "id",
    "object",
    "endpoint",
    "input_file_id",
    "completion_window",
    "status",
    "output_file_id",
    "error_file_id",
    "created_at",
    "in_progress_at",
    "expires_at",
    "finalizing_at",
    "completed_at",
    "failed_at",
    "cancelling_at",
    "cancelled_at",
    "request_counts",
    "metadata",
}
DAY = 86_400


@pytest.fixture
def raw(moonshot: KimiEmulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=moonshot.base_url + "/", timeout=10) as client:
        yield client


def line(custom_id: str, text: str, **body: Any) -> dict[str, Any]:
    return {
        "custom_id": custom_id,
        "method": "POST",
        "url": "/v1/chat/completions",
        "body": {"model": "kimi-k2.6", "messages": [{"role": "user", "content": text}], **body},
    }


def upload(raw: httpx.Client, lines: list[Any], name: str = "in.jsonl") -> str:
    data = b"".join(
        (item if isinstance(item, bytes) else json.dumps(item).encode()) + b"\n" for item in lines
    )
    answer = raw.post("files", files={"file": (name, data)}, data={"purpose": "batch"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["purpose"] == "batch"
    file_id: str = answer.json()["id"]
    return file_id


def create(raw: httpx.Client, file_id: str, **extra: Any) -> dict[str, Any]:
    body = {"input_file_id": file_id, "endpoint": "/v1/chat/completions"}
    body["completion_window"] = "24h"
    body.update(extra)
    answer = raw.post("batches", json=body)
    assert answer.status_code == 200, answer.text
    batch: dict[str, Any] = answer.json()
    return batch


def get(raw: httpx.Client, batch_id: str) -> dict[str, Any]:
    answer = raw.get(f"batches/{batch_id}")
    assert answer.status_code == 200, answer.text
    batch: dict[str, Any] = answer.json()
    return batch


def lines_of(raw: httpx.Client, file_id: str) -> list[dict[str, Any]]:
    answer = raw.get(f"files/{file_id}/content")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/octet-stream"
    return [json.loads(text) for text in answer.text.splitlines()]


def manual_clock(emu: KimiEmulator, **phases: float) -> None:
    emu.batch_timing(realtime=False, **phases)


def test_lifecycle_on_the_batch_clock(moonshot: KimiEmulator, raw: httpx.Client) -> None:
    manual_clock(moonshot, validating=10, in_progress=100, finalizing=10)
    inputs = [line(f"q-{i}", f"text {i}") for i in range(20)]
    created = create(raw, upload(raw, inputs), metadata={"job": "demo"})
    assert set(created) == BATCH_KEYS  # Moonshot's fields: no errors, no expired_at
    t0 = created["created_at"]
    assert created["status"] == "validating"
    assert created["id"].startswith("batch_")
    assert created["expires_at"] == t0 + DAY
    assert created["request_counts"] == {"total": 0, "completed": 0, "failed": 0}
    assert created["metadata"] == {"job": "demo"}
    assert (created["output_file_id"], created["in_progress_at"]) == (None, None)

    seen = []
    for seconds in (5, 6, 50, 50, 10):
        moonshot.advance_batches(seconds)
        batch = get(raw, created["id"])
        seen.append((batch["status"], batch["request_counts"]["completed"]))
    assert seen == [
        ("validating", 0),
        ("in_progress", 0),
        ("in_progress", 10),
        ("finalizing", 20),
        ("completed", 20),
    ]
    assert batch["in_progress_at"] == t0 + 10
    assert batch["finalizing_at"] == t0 + 110
    assert batch["completed_at"] == t0 + 120
    assert batch["request_counts"] == {"total": 20, "completed": 20, "failed": 0}
    assert batch["error_file_id"] is None
    results = lines_of(raw, batch["output_file_id"])
    order = [result["custom_id"] for result in results]
    assert sorted(order, key=lambda cid: int(cid[2:])) == [f"q-{i}" for i in range(20)]
    assert order != [f"q-{i}" for i in range(20)]  # the order is not guaranteed
    first = next(result for result in results if result["custom_id"] == "q-3")
    assert set(first) == {"id", "custom_id", "response", "error"}
    assert (first["id"], first["error"]) == ("q-3", None)
    assert (first["response"]["status_code"], first["response"]["request_id"]) == (200, "")
    body = first["response"]["body"]
    assert body["object"] == "chat.completion"
    assert body["model"] == "kimi-k2.6"
    assert body["choices"][0]["message"] == {
        "role": "assistant",
        "content": "You said: text 3",
        "reasoning_content": "Let me think about this.",
    }
    output = moonshot.files[-1]
    assert (output["purpose"], output["filename"]) == (
        "batch_output",
        f"batch_{created['id']}_output.jsonl",
    )


def test_zero_timing_ends_by_the_first_poll(moonshot: KimiEmulator, raw: httpx.Client) -> None:
    created = create(raw, upload(raw, [line("a", "hi")]))
    assert created["status"] == "validating"
    batch = get(raw, created["id"])
    assert batch["status"] == "completed"
    assert batch["request_counts"] == {"total": 1, "completed": 1, "failed": 0}
    assert moonshot.batches == [batch]


def test_failed_lines_go_to_the_error_file(moonshot: KimiEmulator, raw: httpx.Client) -> None:
    moonshot.fail_batch_lines("boom", status=500)
    moonshot.script("scripted answer")
    inputs = [
        line("bad-temperature", "x", temperature=0.3),
        line("fine", "hello"),
        line("boom", "y"),
        line("streams", "z", stream=True),
    ]
    batch = get(raw, create(raw, upload(raw, inputs))["id"])
    assert batch["status"] == "completed"
    assert batch["request_counts"] == {"total": 4, "completed": 1, "failed": 3}
    [answer] = lines_of(raw, batch["output_file_id"])
    # The script is used by the first line that passes validation, as on chat completions.
    assert answer["response"]["body"]["choices"][0]["message"]["content"] == "scripted answer"
    errors = {item["custom_id"]: item for item in lines_of(raw, batch["error_file_id"])}
    assert set(errors) == {"bad-temperature", "boom", "streams"}
    for item in errors.values():
        assert item["id"].startswith("batch_req_")
        assert item["error"] is None
    assert {cid: item["response"]["status_code"] for cid, item in errors.items()} == {
        "bad-temperature": 400,
        "boom": 500,
        "streams": 400,
    }
    assert error_of(moonshot, errors["bad-temperature"]["response"]["body"]) == (
        "invalid_request_error",
        "invalid temperature: only 1 is allowed for this model",
    )
    assert error_of(moonshot, errors["boom"]["response"]["body"]) == (
        "server_error",
        "Internal server error",
    )
    assert error_of(moonshot, errors["streams"]["response"]["body"]) == (
        "invalid_request_error",
        "Invalid request: a batch line cannot stream",
    )


NO_BODY = {"custom_id": "a", "method": "POST", "url": "/v1/chat/completions"}
K27 = {"model": "kimi-k2.7-code", "messages": []}


@pytest.mark.parametrize(
    ("lines", "code", "line_number"),
    [
        ([line("a", "x"), line("a", "y")], "duplicate_custom_id", 2),
        ([line("a", "x"), {**line("b", "y"), "body": K27}], "mixed_models", 2),
        ([{**line("a", "x"), "url": "/v1/embeddings"}], "invalid_url", 1),
        ([{**line("a", "x"), "method": "GET"}], "invalid_method", 1),
        ([b"not json"], "invalid_json_line", 1),
        ([NO_BODY], "missing_required_parameter", 1),
        ([{**line("a", "x"), "body": {"model": "kimi-k3"}}], "model_not_supported", None),
        ([{**line("a", "x"), "body": {"model": "kimi-nope"}}], "model_not_found", None),
    ],
)
def test_invalid_files_fail_validation(
    moonshot: KimiEmulator,
    raw: httpx.Client,
    lines: list[Any],
    code: str,
    line_number: int | None,
) -> None:
    manual_clock(moonshot, validating=30)
    created = create(raw, upload(raw, lines))
    moonshot.advance_batches(29)
    assert get(raw, created["id"])["status"] == "validating"
    moonshot.advance_batches(1)
    batch = get(raw, created["id"])
    assert batch["status"] == "failed"
    assert batch["failed_at"] == created["created_at"] + 30
    assert batch["in_progress_at"] is None
    assert batch["request_counts"] == {"total": 0, "completed": 0, "failed": 0}
    assert (batch["output_file_id"], batch["error_file_id"]) == (None, None)
    [error] = batch["errors"]["data"]
    assert batch["errors"]["object"] == "list"
    assert (error["code"], error["line"], error["param"]) == (code, line_number, None)
    assert isinstance(error["message"], str)


def test_expiry_keeps_what_ran(moonshot: KimiEmulator, raw: httpx.Client) -> None:
    manual_clock(moonshot, in_progress=2 * DAY)
    created = create(raw, upload(raw, [line(f"q-{i}", str(i)) for i in range(10)]))
    moonshot.advance_batches(DAY / 2)
    assert get(raw, created["id"])["request_counts"]["completed"] == 2
    moonshot.advance_batches(DAY / 2)
    batch = get(raw, created["id"])
    assert batch["status"] == "expired"
    assert "expired_at" not in batch  # not in Moonshot's schema
    assert batch["request_counts"] == {"total": 10, "completed": 5, "failed": 0}
    done = sorted(item["custom_id"] for item in lines_of(raw, batch["output_file_id"]))
    assert done == [f"q-{i}" for i in range(5)]
    expired = lines_of(raw, batch["error_file_id"])
    assert sorted(item["custom_id"] for item in expired) == [f"q-{i}" for i in range(5, 10)]
    assert {(item["response"], item["error"]["code"]) for item in expired} == {
        (None, "batch_expired")
    }
    assert expired[0]["error"]["message"] == "The batch expired before this ran."


def test_cancel(moonshot: KimiEmulator, raw: httpx.Client) -> None:
    manual_clock(moonshot, in_progress=100, cancelling=5)
    created = create(raw, upload(raw, [line(f"q-{i}", str(i)) for i in range(4)]))
    moonshot.advance_batches(50)
    cancelling = raw.post(f"batches/{created['id']}/cancel")
    assert cancelling.status_code == 200
    body = cancelling.json()
    assert body["status"] == "cancelling"
    assert body["cancelling_at"] == created["created_at"] + 50
    moonshot.advance_batches(4)
    assert get(raw, created["id"])["status"] == "cancelling"
    moonshot.advance_batches(1)
    batch = get(raw, created["id"])
    assert batch["status"] == "cancelled"
    assert batch["cancelled_at"] == created["created_at"] + 55
    assert batch["request_counts"] == {"total": 4, "completed": 2, "failed": 0}
    assert sorted(i["custom_id"] for i in lines_of(raw, batch["output_file_id"])) == ["q-0", "q-1"]
    cancelled = lines_of(raw, batch["error_file_id"])
    assert sorted((i["custom_id"], i["error"]["code"]) for i in cancelled) == [
        ("q-2", "batch_cancelled"),
        ("q-3", "batch_cancelled"),
    ]
    again = raw.post(f"batches/{created['id']}/cancel")
    assert again.status_code == 400
    assert error_of(moonshot, again.json()) == (
        "invalid_request_error",
        f"Invalid request: batch {created['id']} cannot be cancelled: it is cancelled",
    )
    unknown = raw.post("batches/batch_nope/cancel")
    assert unknown.status_code == 404
    assert error_of(moonshot, unknown.json()) == (
        "resource_not_found_error",
        "Not found the batch batch_nope",
    )


def test_create_errors(moonshot: KimiEmulator, raw: httpx.Client) -> None:
    file_id = upload(raw, [line("a", "x")])
    extract = raw.post(
        "files", files={"file": ("a.txt", b"text")}, data={"purpose": "file-extract"}
    ).json()["id"]
    cases = [
        ({"completion_window": "24h"}, "Invalid request: input_file_id is required"),
        (
            {"input_file_id": "cnope", "completion_window": "24h"},
            "Invalid request: input file cnope is not an uploaded batch file",
        ),
        (
            {"input_file_id": extract, "completion_window": "24h"},
            f"Invalid request: input file {extract} is not an uploaded batch file",
        ),
        (
            {"input_file_id": file_id, "completion_window": "6h"},
            "Invalid request: completion_window must be between 12h and 7d, got '6h'",
        ),
        (
            {"input_file_id": file_id, "completion_window": "1w"},
            "Invalid request: completion_window must be between 12h and 7d, got '1w'",
        ),
        (
            {"input_file_id": file_id, "completion_window": "8d"},
            "Invalid request: completion_window must be between 12h and 7d, got '8d'",
        ),
        (
            {"input_file_id": file_id, "completion_window": "1d", "endpoint": "/v1/embeddings"},
            "Invalid request: endpoint must be /v1/chat/completions, got '/v1/embeddings'",
        ),
        (
            {
                "input_file_id": file_id,
                "completion_window": "1d",
                "metadata": {str(i): "v" for i in range(17)},
            },
            "Invalid request: metadata must be an object of at most 16 pairs",
        ),
    ]
    for body, message in cases:
        answer = raw.post("batches", json=body)
        assert answer.status_code == 400, body
        assert error_of(moonshot, answer.json()) == ("invalid_request_error", message)
    # One of Moonshot's samples sends no endpoint: accepted.
    plain = raw.post("batches", json={"input_file_id": file_id, "completion_window": "12h"})
    assert plain.status_code == 200
    assert plain.json()["expires_at"] == plain.json()["created_at"] + 12 * 3600
    assert raw.get("batches/batch_nope").status_code == 404


def test_batch_uploads(moonshot: KimiEmulator, raw: httpx.Client) -> None:
    named = raw.post("files", files={"file": ("in.txt", b"{}\n")}, data={"purpose": "batch"})
    assert error_of(moonshot, named.json()) == (
        "invalid_request_error",
        "Invalid request: a batch file must be .jsonl",
    )
    empty = raw.post("files", files={"file": ("in.jsonl", b"")}, data={"purpose": "batch"})
    assert error_of(moonshot, empty.json())[1] == "Invalid request: a batch file must not be empty"
    file_id = upload(raw, [line("a", "x")])
    sent = json.dumps(line("a", "x")).encode() + b"\n"
    assert raw.get(f"files/{file_id}/content").content == sent
    assert moonshot.file_bytes(file_id) == sent


def test_list_pages_newest_first(moonshot: KimiEmulator, raw: httpx.Client) -> None:
    file_id = upload(raw, [line("a", "x")])
    ids = [create(raw, file_id)["id"] for _ in range(3)]
    first = raw.get("batches", params={"limit": 2}).json()
    assert set(first) == {"object", "data", "has_more"}
    assert [b["id"] for b in first["data"]] == [ids[2], ids[1]]
    assert first["has_more"] is True
    rest = raw.get("batches", params={"limit": 2, "after": ids[1]}).json()
    assert ([b["id"] for b in rest["data"]], rest["has_more"]) == ([ids[0]], False)
    assert len(raw.get("batches").json()["data"]) == 3  # default limit 20
    for limit in ("0", "101", "x"):
        answer = raw.get("batches", params={"limit": limit})
        assert answer.status_code == 400
        assert error_of(moonshot, answer.json()) == (
            "invalid_request_error",
            "Invalid request: limit must be an integer from 1 to 100",
        )
    moonshot.reset()
    assert raw.get("batches").json()["data"] == []


def test_the_openai_sdk_runs_a_batch(moonshot: KimiEmulator) -> None:
    sdk = openai.OpenAI(api_key="sk-test", base_url=moonshot.base_url, max_retries=0)
    data = b"".join(json.dumps(line(f"r-{i}", f"n{i}")).encode() + b"\n" for i in range(3))
    uploaded = sdk.files.create(file=("in.jsonl", data), purpose="batch")
    batch = sdk.batches.create(
        input_file_id=uploaded.id, endpoint="/v1/chat/completions", completion_window="24h"
    )
    assert batch.status == "validating"
    done = sdk.batches.retrieve(batch.id)
    assert done.status == "completed"
    assert done.request_counts is not None
    assert (done.request_counts.total, done.request_counts.completed) == (3, 3)
    assert done.output_file_id is not None
    text = sdk.files.content(done.output_file_id).text
    answers = {
        item["custom_id"]: item["response"]["body"]["choices"][0]["message"]["content"]
        for item in map(json.loads, text.splitlines())
    }
    assert answers == {"r-0": "You said: n0", "r-1": "You said: n1", "r-2": "You said: n2"}
    assert [b.id for b in sdk.batches.list()] == [batch.id]
    sdk.close()


def test_gateways_have_no_batch_api(kimi_emulator_factory: Any) -> None:
    emu = kimi_emulator_factory("acedata")
    with httpx.Client(base_url=emu.base_url + "/") as http:
        answer = http.get("batches")
    assert answer.status_code == 404
    assert error_of(emu, answer.json()) == (
        "resource_not_found_error",
        "Not found: GET /kimi/batches",
    )
