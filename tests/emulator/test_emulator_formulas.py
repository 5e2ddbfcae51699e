"""The emulator's Formula API on the wire: declarations, fibers with deterministic outputs for
every official formula, the encrypted web-search result, the faults, and the chat model that
calls official tools and reads their results as a model would."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import httpx
import pytest

from kimi_emulator import KimiEmulator
from kimi_emulator.formulas import (
    CODE_RUNNER_OUTPUT,
    FORMULAS,
    QUICKJS_OUTPUT,
    RETHINK_OUTPUT,
    decrypt,
    encrypt,
    sample_arguments,
    search_results,
)

WEB = "moonshot/web-search:latest"
NOON = datetime(2026, 8, 13, 12, 30, 5, tzinfo=timezone.utc)


def fiber(http: httpx.Client, uri: str, name: str, arguments: Any) -> dict[str, Any]:
    raw = arguments if isinstance(arguments, str) else json.dumps(arguments)
    response = http.post(f"formulas/{uri}/fibers", json={"name": name, "arguments": raw})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def output(http: httpx.Client, uri: str, name: str, arguments: Any) -> str:
    body = fiber(http, uri, name, arguments)
    assert body["status"] == "succeeded", body
    text: str = body["context"]["output"]
    return text


def failure(http: httpx.Client, uri: str, name: str, arguments: Any) -> str:
    body = fiber(http, uri, name, arguments)
    assert body["status"] == "failed", body
    assert "output" not in body["context"]
    text: str = body["context"]["error"]
    return text


@pytest.fixture
def wire(moonshot: KimiEmulator) -> httpx.Client:
    return httpx.Client(base_url=moonshot.base_url + "/", timeout=10)


# -- declarations and fibers -----------------------------------------------------------------


def test_the_tools_answer(wire: httpx.Client, moonshot: KimiEmulator) -> None:
    response = wire.get(f"formulas/{WEB}/tools")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.headers["msh-request-id"] == response.headers["x-trace-id"]
    assert response.json() == {
        "object": "list",
        "tools": [
            {
                "type": "function",
                "function": {
                    "name": "web_search",
                    "description": "Search the web for information",
                    "parameters": {
                        "type": "object",
                        "properties": {
                            "query": {"type": "string", "description": "What to search for"},
                            "classes": {
                                "type": "array",
                                "description": "Search domains to focus on ('all' when not given)",
                                "items": {
                                    "type": "string",
                                    "enum": [
                                        "all",
                                        "academic",
                                        "social",
                                        "library",
                                        "finance",
                                        "code",
                                        "ecommerce",
                                        "medical",
                                    ],
                                },
                            },
                        },
                        "required": ["query"],
                    },
                },
            }
        ],
    }
    excel = wire.get("formulas/moonshot/excel:latest/tools").json()["tools"]
    assert [entry["type"] for entry in excel] == ["_plugin"]
    assert [f["name"] for f in excel[0]["_plugin"]["functions"]] == [
        "read_file",
        "list_sheets",
        "head",
    ]
    (recorded,) = [r for r in moonshot.requests if r.path.endswith("web-search:latest/tools")]
    assert recorded.method == "GET"


def test_a_fiber_on_the_wire(wire: httpx.Client, moonshot: KimiEmulator) -> None:
    moonshot.set_clock(NOON)
    body = fiber(wire, "moonshot/base64:latest", "base64_encode", '{"data": "Hello, Kimi!"}')
    assert set(body) == {
        "id",
        "object",
        "created_at",
        "lambda_id",
        "status",
        "context",
        "formula",
        "organization_id",
        "project_id",
    }
    assert body["id"].startswith("fiber-")
    assert len(body["id"]) == 26
    assert body["lambda_id"].startswith("lambda-")
    assert len(body["lambda_id"]) == 27
    assert (body["object"], body["status"], body["formula"]) == (
        "fiber",
        "succeeded",
        "moonshot/base64:latest",
    )
    assert body["created_at"] == int(NOON.timestamp())
    assert (body["organization_id"], body["project_id"]) == ("org-emulator", "proj-emulator")
    assert body["context"] == {
        "input": '{"name":"base64_encode","arguments":"{\\"data\\": \\"Hello, Kimi!\\"}"}',
        "output": "SGVsbG8sIEtpbWkh",
    }
    assert moonshot.requests[-1].json == {
        "name": "base64_encode",
        "arguments": '{"data": "Hello, Kimi!"}',
    }


def test_web_search_answers_fixed_results_encrypted(wire: httpx.Client) -> None:
    body = fiber(wire, WEB, "web_search", {"query": "Kimi K3", "classes": ["all"]})
    context = body["context"]
    assert set(context) == {"input", "encrypted_output"}
    blob = context["encrypted_output"]
    assert blob == encrypt(json.dumps(search_results("Kimi K3"), ensure_ascii=False))
    assert json.loads(decrypt(blob) or "") == {
        "query": "Kimi K3",
        "results": [
            {
                "title": "Kimi emulator search result 1 for Kimi K3",
                "url": "https://example.com/search/1?q=Kimi%20K3",
                "snippet": "A fixed result: the emulator never searches the web.",
            },
            {
                "title": "Kimi emulator search result 2 for Kimi K3",
                "url": "https://example.com/search/2?q=Kimi%20K3",
                "snippet": "Same query, same results, every time.",
            },
        ],
    }
    assert (
        fiber(wire, WEB, "web_search", {"query": "Kimi K3"})["context"]["encrypted_output"] == blob
    )
    assert decrypt(blob.replace("----MOONSHOT ENCRYPTED END----", "x")) is None
    assert decrypt(blob[:40] + ("A" if blob[40] != "A" else "B") + blob[41:]) is None


def test_the_date_formula_runs_on_the_emulators_clock(
    wire: httpx.Client, moonshot: KimiEmulator
) -> None:
    uri = "moonshot/date:latest"
    moonshot.set_clock(NOON)
    assert output(wire, uri, "date", {"operation": "time"}) == "2026-08-13 12:30:05"
    assert output(wire, uri, "date", {"operation": "time", "zone": "Asia/Shanghai"}) == (
        "2026-08-13 20:30:05"
    )
    assert output(wire, uri, "date", {"operation": "time", "format": "%Y-%m-%d"}) == "2026-08-13"
    moonshot.set_clock(0)
    assert output(wire, uri, "date", {"operation": "time"}) == "1970-01-01 00:00:00"
    moonshot.set_clock(datetime(2026, 1, 1, 8))  # naive: UTC
    assert output(wire, uri, "date", {"operation": "time", "format": "%H:%M"}) == "08:00"
    between = {"operation": "between", "date1": "2026-01-01", "date2": "2026-08-13"}
    assert output(wire, uri, "date", between) == "224 days"  # the live example
    add = {"operation": "add", "date": "2026-02-27", "days": 2, "format": "%Y-%m-%d"}
    assert output(wire, uri, "date", add) == "2026-03-01"
    subtract = {"operation": "subtract", "date": "2026-03-01 10:00:00", "days": 1}
    assert output(wire, uri, "date", subtract) == "2026-02-28 10:00:00"
    convert = {
        "operation": "convert",
        "date": "2026-08-13 12:00:00",
        "from_zone": "UTC",
        "to_zone": "Asia/Tokyo",
    }
    assert output(wire, uri, "date", convert) == "2026-08-13 21:00:00"
    assert failure(wire, uri, "date", {"operation": "time", "zone": "Mars/Olympus"}) == (
        "unknown time zone 'Mars/Olympus'"
    )
    assert failure(wire, uri, "date", {"operation": "between", "date1": "13/08/2026"}) == (
        "missing required argument: date2"
    )
    assert failure(wire, uri, "date", {"operation": "tomorrow"}) == (
        "unknown operation 'tomorrow': use time, convert, between, add or subtract"
    )
    moonshot.set_clock(None)
    year = datetime.now(timezone.utc).year
    assert output(wire, uri, "date", {"operation": "time", "format": "%Y"}) in (
        str(year),
        str(year + 1),
    )


@pytest.mark.parametrize(
    ("arguments", "answer"),
    [
        ({"value": 72, "from_unit": "°F", "to_unit": "°C"}, "72.0 °F = 22.22 °C"),
        ({"value": 1, "from_unit": "mi", "to_unit": "km"}, "1.0 mi = 1.61 km"),
        ({"value": 2.5, "from_unit": "kg", "to_unit": "lb"}, "2.5 kg = 5.51 lb"),
        ({"value": 0, "from_unit": "K", "to_unit": "celsius"}, "0.0 K = -273.15 celsius"),
        ({"value": 90, "from_unit": "minute", "to_unit": "hour"}, "90.0 minute = 1.5 hour"),
    ],
)
def test_convert(wire: httpx.Client, arguments: dict[str, Any], answer: str) -> None:
    assert output(wire, "moonshot/convert:latest", "convert", arguments) == answer


def test_the_other_formulas(wire: httpx.Client, moonshot: KimiEmulator) -> None:
    b64 = "moonshot/base64:latest"
    assert output(wire, b64, "base64_decode", {"data": "SGVsbG8sIEtpbWkh"}) == "Hello, Kimi!"
    assert output(wire, b64, "base64_encode", {"data": "é", "encoding": "latin-1"}) == "6Q=="
    assert output(wire, b64, "base64_encode", {"data": "é"}) == "w6k="
    assert failure(wire, b64, "base64_decode", {"data": "not base64!"}).startswith(
        "cannot decode 'not base64!'"
    )
    assert failure(wire, b64, "base64_encode", {"data": "x", "encoding": "klingon"}) == (
        "unknown encoding 'klingon'"
    )
    fetched = output(wire, "moonshot/fetch:latest", "fetch", {"url": "https://kimi.ai/x"})
    assert fetched == (
        "URL: https://kimi.ai/x\nTitle: Kimi emulator page\n\nThis page was served by the Kimi "
        "emulator: fetch answers this fixed text for every URL and never reaches the network."
    )
    sliced = {"url": "https://kimi.ai/x", "start_index": 5, "max_length": 16}
    assert output(wire, "moonshot/fetch:latest", "fetch", sliced) == fetched[5:21]
    assert failure(wire, "moonshot/fetch:latest", "fetch", {"url": "file:///etc/passwd"}) == (
        "invalid URL 'file:///etc/passwd': only http and https URLs can be fetched"
    )
    code = {"code": "print(6 * 7)"}
    assert output(wire, "moonshot/code-runner:latest", "code_runner", code) == CODE_RUNNER_OUTPUT
    assert output(wire, "moonshot/quickjs:latest", "quickjs", code) == QUICKJS_OUTPUT
    assert output(wire, "moonshot/rethink:latest", "rethink", {"thought": "plan"}) == (
        RETHINK_OUTPUT
    )
    choose = "moonshot/random-choice:latest"
    fruit = {"candidates": ["apple", "banana", "cherry", "durian"], "count": 2, "seed": 42}
    assert output(wire, choose, "random_choice", fruit) == "apple, durian"  # the live example
    assert output(wire, choose, "random_choice", {**fruit, "format": "json"}) == (
        '["apple", "durian"]'
    )
    assert output(wire, choose, "random_choice", {**fruit, "format": "detailed"}) == (
        "1. apple\n2. durian"
    )
    weighted = {"candidates": ["a", "b"], "weights": [0, 1], "count": 3}
    assert output(wire, choose, "random_choice", weighted) == "b, b, b"
    assert failure(wire, choose, "random_choice", {"candidates": ["a"], "count": 2}) == (
        "cannot choose 2 of 1 candidates"
    )
    mew = output(wire, "moonshot/mew:latest", "mew_generator", {"mood": "sleepy"})
    assert json.loads(mew) == {
        "sound": "Mew... zzz",
        "blessing": "May your day be as calm as a cat's.",
        "mood": "sleepy",
    }


def test_memory_keeps_what_it_stores_until_reset(
    wire: httpx.Client, moonshot: KimiEmulator
) -> None:
    uri = "moonshot/memory:latest"
    store = {"action": "store", "key": "user:lang", "data": {"lang": "fr"}, "ttl": 60}
    assert output(wire, uri, "memory", store) == '{"stored": "user:lang"}'
    output(wire, uri, "memory", {"action": "store", "key": "city", "data": {"c": "Paris"}})
    assert output(wire, uri, "memory", {"action": "retrieve", "key": "user:lang"}) == (
        '{"lang": "fr"}'
    )
    assert output(wire, uri, "memory", {"action": "list"}) == '["city", "user:lang"]'
    assert output(wire, uri, "memory", {"action": "list", "prefix": "user"}) == '["user:lang"]'
    assert moonshot.memory == {"user:lang": {"lang": "fr"}, "city": {"c": "Paris"}}
    assert output(wire, uri, "memory", {"action": "delete", "key": "city"}) == (
        '{"deleted": "city"}'
    )
    assert failure(wire, uri, "memory", {"action": "retrieve", "key": "city"}) == (
        "no memory stored under 'city'"
    )
    assert failure(wire, uri, "memory", {"action": "store", "key": "k"}) == (
        "missing required argument: data"
    )
    moonshot.reset()
    assert moonshot.memory == {}


def test_excel_reads_csv_files_uploaded_to_the_emulator(
    wire: httpx.Client, moonshot: KimiEmulator
) -> None:
    upload = wire.post(
        "files",
        files={"file": ("sales.csv", b"city,sales\nParis,3\nLyon,4\nNice,5\n")},
        data={"purpose": "file-extract"},
    )
    file_id = upload.json()["id"]
    uri = "moonshot/excel:latest"
    head = output(wire, uri, "excel.head", {"file_id": file_id, "n": 2})
    assert json.loads(head) == [{"city": "Paris", "sales": "3"}, {"city": "Lyon", "sales": "4"}]
    assert json.loads(output(wire, uri, "excel.list_sheets", {"file_id": file_id})) == {
        "sheets": [{"name": "Sheet1", "rows": 3}]
    }
    # The live excel reports its own failures inside a succeeded fiber.
    assert output(wire, uri, "excel.read_file", {"file_id": "cnotthere0000000000"}) == (
        "ERROR: File cnotthere0000000000 is empty or not found"
    )


# -- faults ----------------------------------------------------------------------------------


def test_unknown_formulas_and_bad_requests_answer_the_real_errors(wire: httpx.Client) -> None:
    def error(response: httpx.Response) -> tuple[int, Any]:
        return response.status_code, response.json()

    not_found = {"error": {"message": "formula not found", "type": "resource_not_found_error"}}
    assert error(wire.get("formulas/moonshot/code_runner:latest/tools")) == (404, not_found)
    assert error(wire.post("formulas/moonshot/nope:latest/fibers", json={"name": "x"})) == (
        404,
        not_found,
    )

    def bad(message: str) -> tuple[int, Any]:
        return 400, {"error": {"message": message, "type": "invalid_request_error"}}

    fibers = f"formulas/{WEB}/fibers"
    assert error(wire.post(fibers, content=b"[1]")) == bad(
        "Invalid request: the request body must be a JSON object"
    )
    assert error(wire.post(fibers, json={"arguments": "{}"})) == bad(
        "Invalid request: name is required"
    )
    assert error(wire.post(fibers, json={"name": "web_search", "arguments": {"q": 1}})) == bad(
        "Invalid request: arguments must be a JSON string"
    )
    assert error(wire.post(fibers, json={"name": "search", "arguments": "{}"})) == bad(
        "no matching lambda found"
    )
    assert failure(wire, WEB, "web_search", "[1, 2]") == "arguments must be a JSON object"


def test_queued_fiber_failures_and_http_faults(wire: httpx.Client, moonshot: KimiEmulator) -> None:
    moonshot.fail_next_fiber("quota of the sandbox exceeded", times=2)
    for _ in range(2):
        assert failure(wire, WEB, "web_search", {"query": "q"}) == "quota of the sandbox exceeded"
    assert fiber(wire, WEB, "web_search", {"query": "q"})["status"] == "succeeded"
    moonshot.fail_next_fiber("later")
    assert wire.get("formulas/moonshot/nope:latest/tools").status_code == 404  # not consumed
    assert wire.post("formulas/moonshot/nope:latest/fibers", json={"name": "x"}).status_code == 404
    refused = wire.post(f"formulas/{WEB}/fibers", json={"name": "search", "arguments": "{}"})
    assert refused.status_code == 400
    assert failure(wire, WEB, "web_search", {"query": "q"}) == "later"
    moonshot.fail_next(429, retry_after=3)
    refused = wire.post(f"formulas/{WEB}/fibers", json={"name": "web_search", "arguments": "{}"})
    assert (refused.status_code, refused.headers["retry-after"]) == (429, "3")
    assert refused.json() == {
        "error": {
            "message": "Organization Rate limit exceeded, please try again after 1 seconds",
            "type": "rate_limit_reached_error",
        }
    }
    moonshot.fail_next_fiber("dropped by reset")
    moonshot.reset()
    assert fiber(wire, WEB, "web_search", {"query": "q"})["status"] == "succeeded"


def test_the_uri_may_arrive_percent_encoded(wire: httpx.Client) -> None:
    response = wire.get("formulas/moonshot%2Fweb-search%3Alatest/tools")
    assert response.status_code == 200
    assert response.json()["tools"][0]["function"]["name"] == "web_search"


def test_formulas_need_the_key(kimi_emulator_factory: Any) -> None:
    emu = kimi_emulator_factory("moonshot", api_key="sk-right")
    with httpx.Client(base_url=emu.base_url + "/") as raw:
        refused = raw.get(f"formulas/{WEB}/tools", headers={"authorization": "Bearer sk-wrong"})
        allowed = raw.get(f"formulas/{WEB}/tools", headers={"authorization": "Bearer sk-right"})
    assert refused.status_code == 401
    assert refused.json() == {
        "error": {"message": "Invalid Authentication", "type": "invalid_authentication_error"}
    }
    assert allowed.status_code == 200
    assert emu.requests[0].headers["authorization"] == "Bearer ***"


@pytest.mark.parametrize("dialect", ["acedata", "cloudsway"])
def test_gateways_serve_no_formulas(kimi_emulator_factory: Any, dialect: str) -> None:
    emu = kimi_emulator_factory(dialect)
    with httpx.Client(base_url=emu.base_url + "/") as raw:
        assert raw.get(f"formulas/{WEB}/tools").status_code == 404


# -- the chat model --------------------------------------------------------------------------


def declared(*uris: str) -> list[dict[str, Any]]:
    return [entry for uri in uris for entry in FORMULAS[uri].tools]


def chat(wire: httpx.Client, messages: list[dict[str, Any]], tools: list[Any]) -> dict[str, Any]:
    body = {
        "model": "kimi-k2.6",
        "messages": messages,
        "tools": tools,
        "thinking": {"type": "disabled"},
    }
    response = wire.post("chat/completions", json=body)
    assert response.status_code == 200, response.text
    message: dict[str, Any] = response.json()["choices"][0]["message"]
    return message


@pytest.mark.parametrize(
    ("question", "name", "arguments"),
    [
        ("What is new with Kimi K3?", "web_search", {"query": "What is new with Kimi K3?"}),
        ("Please fetch https://kimi.ai/news now", "fetch", {"url": "https://kimi.ai/news"}),
        (
            "Days between 2026-01-01 and 2026-08-13 by date?",
            "date",
            {"operation": "between", "date1": "2026-01-01", "date2": "2026-08-13"},
        ),
        ("What date is it?", "date", {"operation": "time"}),
        ("convert 72 °F to °C", "convert", {"value": 72.0, "from_unit": "°F", "to_unit": "°C"}),
        ('base64_encode "Hello, Kimi!"', "base64_encode", {"data": "Hello, Kimi!"}),
        ("base64_decode 'SGk='", "base64_decode", {"data": "SGk="}),
        ("code_runner: `print(2 ** 10)`", "code_runner", {"code": "print(2 ** 10)"}),
        ("quickjs please", "quickjs", {"code": "console.log(6 * 7)"}),
        ("what does memory hold?", "memory", {"action": "list"}),
        ("excel_head of cabcdefghij012345678", "excel_head", {"file_id": "cabcdefghij012345678"}),
        ("rethink the plan", "rethink", {"thought": "rethink the plan"}),
        (
            "random_choice: tea, coffee or juice",
            "random_choice",
            {"candidates": ["tea", "coffee", "juice"], "seed": 0},
        ),
        ("mew_generator!", "mew_generator", {"mood": "happy"}),
    ],
)
def test_the_chat_model_calls_the_official_tool_the_user_asks_for(
    wire: httpx.Client, question: str, name: str, arguments: dict[str, Any]
) -> None:
    tools = declared(*(uri for uri in FORMULAS if uri != "moonshot/excel:latest"))
    tools += [
        {
            "type": "function",
            "function": {
                "name": f"excel_{f['name']}",
                "description": "",
                "parameters": f["parameters"],
            },
        }
        for f in FORMULAS["moonshot/excel:latest"].tools[0]["_plugin"]["functions"]
    ]
    message = chat(wire, [{"role": "user", "content": question}], tools)
    (call,) = message["tool_calls"]
    assert (call["id"], call["function"]["name"]) == (f"{name}:0", name)
    assert json.loads(call["function"]["arguments"]) == arguments


def test_a_tool_named_like_an_official_one_with_other_parameters_gets_the_question(
    wire: httpx.Client,
) -> None:
    mine = {
        "type": "function",
        "function": {
            "name": "web_search",
            "parameters": {"type": "object", "properties": {"q": {"type": "string"}}},
        },
    }
    message = chat(wire, [{"role": "user", "content": "search"}], [mine])
    # Not the official tool: a query-like parameter gets the question (tool_arguments).
    assert json.loads(message["tool_calls"][0]["function"]["arguments"]) == {"q": "search"}
    assert sample_arguments("web_search", {"properties": {"q": {}}}, "x") is None
    assert sample_arguments("get_weather", {"properties": {}}, "x") is None


def test_after_the_result_the_model_answers_with_it_and_reads_the_encrypted_result(
    wire: httpx.Client,
) -> None:
    question = {"role": "user", "content": "Kimi K3"}
    blob = encrypt(json.dumps(search_results("Kimi K3"), ensure_ascii=False))
    call = {
        "id": "web_search:0",
        "type": "function",
        "function": {"name": "web_search", "arguments": '{"query": "Kimi K3"}'},
    }
    history = [question, {"role": "assistant", "tool_calls": [call]}]
    answer = chat(
        wire,
        [*history, {"role": "tool", "tool_call_id": "web_search:0", "content": blob}],
        declared(WEB),
    )
    assert answer["content"] == (
        "The tool web_search returned: " + json.dumps(search_results("Kimi K3"), ensure_ascii=False)
    )
    assert "tool_calls" not in answer
    tampered = blob.replace("BEGIN----", "BEGIN---- ")
    answer = chat(
        wire,
        [*history, {"role": "tool", "tool_call_id": "web_search:0", "content": tampered}],
        declared(WEB),
    )
    assert answer["content"] == f"The tool web_search returned: {tampered}"
