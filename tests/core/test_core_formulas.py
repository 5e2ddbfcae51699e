"""The Formula API in the core, sync and async, over real HTTP against the emulator: listing,
running, encrypted output, failed fibers, unknown formulas, every HTTP error, retries that
never run a fiber twice, and the per-client cache. Narrow shapes the emulator does not send
(other plugin layouts, failure texts elsewhere in the fiber) go through a MockTransport."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from core_helpers import SENTINEL_KEY, Recorder, async_client, json_response, sync_client

from kimi_core import (
    APITimeoutError,
    AsyncKimiClient,
    AuthenticationError,
    BadRequestError,
    ClientClosedRequestError,
    FiberFailedError,
    FormulaNotFoundError,
    InternalServerError,
    InvalidParameterError,
    KimiClient,
    NotFoundError,
    PermissionDeniedError,
    QuotaExceededError,
    RateLimitError,
    ServiceUnavailableError,
)
from kimi_core.resources.formulas import (
    OFFICIAL_FORMULAS,
    Fiber,
    FormulaTool,
    fiber_body,
    formula_uri,
    index_tools,
)
from kimi_emulator import KimiEmulator
from kimi_emulator.formulas import FORMULAS, decrypt, encrypt, search_results

WEB = "moonshot/web-search:latest"
B64 = "moonshot/base64:latest"


@pytest.fixture
def emu(kimi_emulator: KimiEmulator) -> KimiEmulator:
    return kimi_emulator


@pytest.fixture
def client(emu: KimiEmulator) -> Iterator[KimiClient]:
    with KimiClient(SENTINEL_KEY, emu.base_url, max_retries=0) as made:
        yield made


@pytest.fixture
async def aclient(emu: KimiEmulator) -> AsyncIterator[AsyncKimiClient]:
    async with AsyncKimiClient(SENTINEL_KEY, emu.base_url, max_retries=0) as made:
        yield made


def paths(emu: KimiEmulator) -> list[tuple[str, str]]:
    return [(r.method, r.path) for r in emu.requests]


# -- URIs ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "uri"),
    [
        ("moonshot/web-search:latest", WEB),
        ("web-search", WEB),
        ("web-search:latest", WEB),
        ("moonshot/web-search", WEB),
        ("acme/tool_x:v1.2", "acme/tool_x:v1.2"),
    ],
)
def test_formula_uris_are_normalised_as_moonshots_example(given: str, uri: str) -> None:
    assert formula_uri(given) == uri


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "/x",
        "a/",
        "a//b",
        "../x",
        "a/..",
        "a/.",
        "a/b:",
        "a/b:c:d",
        "a/b/c",
        "a/b?x=1",
        "a/b#f",
        "a/%2e%2e",
        "a/b c",
        "a/b\n",
        "a/b\x00",
        "a\\b/c",
        7,
        None,
    ],
)
def test_a_uri_that_is_not_one_formula_is_refused_before_anything_is_sent(
    bad: Any, client: KimiClient, emu: KimiEmulator
) -> None:
    with pytest.raises(InvalidParameterError) as caught:
        client.formulas.tools(bad)
    assert caught.value.param == "uri"
    assert str(caught.value).startswith(f"invalid formula URI {bad!r}")
    with pytest.raises(InvalidParameterError):
        client.formulas.run(bad, "web_search", "{}")
    assert emu.requests == []


def test_the_official_formulas_are_all_served_by_the_emulator() -> None:
    assert set(OFFICIAL_FORMULAS) == set(FORMULAS)


# -- listing ---------------------------------------------------------------------------------


def test_listing_a_formulas_tools(client: KimiClient, emu: KimiEmulator) -> None:
    tools = client.formulas.tools(WEB)
    (request,) = emu.requests
    assert (request.method, request.path) == (
        "GET",
        "/v1/formulas/moonshot/web-search:latest/tools",
    )
    assert request.headers["authorization"] == "Bearer ***"
    (tool,) = tools
    declared = FORMULAS[WEB].tools[0]
    assert tool == FormulaTool(
        WEB,
        "web_search",
        "web_search",
        "Search the web for information",
        declared["function"]["parameters"],
        declared,
    )
    assert tool.definition == declared
    assert tool.definition is not tool.definition  # a fresh copy each time
    assert tool.schema() == declared["function"]["parameters"]


@pytest.mark.parametrize("uri", sorted(FORMULAS))
def test_every_formulas_tools_are_listed_with_their_exact_declarations(
    uri: str, client: KimiClient
) -> None:
    tools = client.formulas.tools(uri)
    if uri == "moonshot/excel:latest":  # a plugin manifest: <plugin>_<fn>, run as <plugin>.<fn>
        functions = FORMULAS[uri].tools[0]["_plugin"]["functions"]
        assert [(t.name, t.function) for t in tools] == [
            (f"excel_{f['name']}", f"excel.{f['name']}") for f in functions
        ]
        assert [t.definition for t in tools] == [
            {
                "type": "function",
                "function": {
                    "name": f"excel_{f['name']}",
                    "description": f["description"],
                    "parameters": f["parameters"],
                },
            }
            for f in functions
        ]
    else:
        assert [t.definition for t in tools] == FORMULAS[uri].tools
        assert [t.function for t in tools] == [t.name for t in tools]
    assert {t.uri for t in tools} == {uri}


def test_definitions_are_cached_per_client_and_uri(client: KimiClient, emu: KimiEmulator) -> None:
    first = client.formulas.tools("web-search")
    assert client.formulas.tools(WEB) is first
    client.formulas.tools(B64)
    assert len(emu.requests) == 2
    assert client.formulas.tools(WEB, refresh=True) == first
    assert len(emu.requests) == 3
    client.formulas.forget(WEB)
    client.formulas.tools(WEB)
    client.formulas.tools(B64)
    assert len(emu.requests) == 4
    client.formulas.forget()
    client.formulas.tools(B64)
    assert len(emu.requests) == 5
    with KimiClient(SENTINEL_KEY, emu.base_url) as other:  # another client: its own cache
        other.formulas.tools(WEB)
    assert paths(emu)[-1] == ("GET", "/v1/formulas/moonshot/web-search:latest/tools")
    assert len(emu.requests) == 6


async def test_async_listing_and_cache(aclient: AsyncKimiClient, emu: KimiEmulator) -> None:
    tools = await aclient.formulas.tools("base64")
    assert [t.name for t in tools] == ["base64_encode", "base64_decode"]
    assert await aclient.formulas.tools(B64) is tools
    assert paths(emu) == [("GET", "/v1/formulas/moonshot/base64:latest/tools")]


# -- running ---------------------------------------------------------------------------------


def test_running_a_call_sends_its_name_and_json_string_arguments(
    client: KimiClient, emu: KimiEmulator
) -> None:
    fiber = client.formulas.run(B64, "base64_encode", '{"data": "Hello, Kimi!"}')
    (request,) = emu.requests
    assert (request.method, request.path) == ("POST", "/v1/formulas/moonshot/base64:latest/fibers")
    assert request.headers["content-type"] == "application/json"
    # The model's JSON string goes out as it is (its space included), never re-encoded.
    assert request.json == {"name": "base64_encode", "arguments": '{"data": "Hello, Kimi!"}'}
    assert fiber.output == "SGVsbG8sIEtpbWkh" == fiber.content
    assert (fiber.status, fiber.uri, fiber.name, fiber.encrypted) == (
        "succeeded",
        B64,
        "base64_encode",
        False,
    )
    assert fiber.encrypted_output is None
    assert fiber.id is not None
    assert fiber.id.startswith("fiber-")
    assert len(fiber.id) == 26
    assert fiber.body["object"] == "fiber"
    assert fiber.body["context"]["input"] == (
        '{"name":"base64_encode","arguments":"{\\"data\\": \\"Hello, Kimi!\\"}"}'
    )


def test_mapping_arguments_are_encoded_once(client: KimiClient, emu: KimiEmulator) -> None:
    fiber = client.formulas.run("base64", "base64_decode", {"data": "SGVsbG8sIEtpbWkh"})
    assert emu.requests[0].json == {
        "name": "base64_decode",
        "arguments": '{"data":"SGVsbG8sIEtpbWkh"}',
    }
    assert fiber.content == "Hello, Kimi!"


def test_a_protected_formula_answers_only_the_encrypted_output(
    client: KimiClient, emu: KimiEmulator
) -> None:
    fiber = client.formulas.run(WEB, "web_search", {"query": "Kimi K3"})
    results = json.dumps(search_results("Kimi K3"), ensure_ascii=False)
    expected = encrypt(results)
    assert expected.startswith("----MOONSHOT ENCRYPTED BEGIN----")
    assert expected.endswith("----MOONSHOT ENCRYPTED END----")
    assert (fiber.output, fiber.encrypted_output, fiber.content) == (None, expected, expected)
    assert fiber.encrypted is True
    assert "output" not in fiber.body["context"]
    assert decrypt(fiber.content) == results
    assert decrypt(fiber.content[:-40] + "A" + fiber.content[-39:]) is None


def test_a_plugin_function_is_run_by_its_qualified_name(
    client: KimiClient, emu: KimiEmulator
) -> None:
    uploaded = client.files.upload(b"city,sales\nParis,3\nLyon,4\n", filename="sales.csv")
    read_file = next(t for t in client.formulas.tools("excel") if t.name == "excel_read_file")
    fiber = client.formulas.call(read_file, {"file_id": uploaded.id})
    assert emu.requests[-1].json == {
        "name": "excel.read_file",
        "arguments": json.dumps({"file_id": uploaded.id}, separators=(",", ":")),
    }
    assert json.loads(fiber.content) == {
        "file_name": "sales.csv",
        "rows": 2,
        "columns": 2,
        "column_names": ["city", "sales"],
    }
    with pytest.raises(BadRequestError) as caught:  # the bare name is no match, as live
        client.formulas.run("excel", "read_file", {"file_id": uploaded.id})
    assert (caught.value.status, caught.value.type, caught.value.message) == (
        400,
        "invalid_request_error",
        "no matching lambda found",
    )


async def test_async_running(aclient: AsyncKimiClient, emu: KimiEmulator) -> None:
    fiber = await aclient.formulas.run(
        "convert", "convert", {"value": 72, "from_unit": "°F", "to_unit": "°C"}
    )
    assert fiber.content == "72.0 °F = 22.22 °C"
    (tool,) = await aclient.formulas.tools("rethink")
    fiber = await aclient.formulas.call(tool, '{"thought": "plan"}')
    assert fiber.content == (
        '{"thought": "I have thought about it and I think it is a good idea to do something."}'
    )
    assert [r.json for r in emu.requests if r.method == "POST"] == [
        {"name": "convert", "arguments": '{"value":72,"from_unit":"°F","to_unit":"°C"}'},
        {"name": "rethink", "arguments": '{"thought": "plan"}'},
    ]


@pytest.mark.parametrize(
    ("name", "arguments", "message"),
    [
        ("", "{}", "the tool name must be a non-empty string, got ''"),
        (None, "{}", "the tool name must be a non-empty string, got None"),
        (
            "web_search",
            3,
            "arguments must be the call's JSON string (or a mapping to encode), got int",
        ),
        (
            "web_search",
            {"x": float("nan")},
            "arguments cannot be sent as JSON: Out of range float values are not JSON compliant",
        ),
    ],
)
def test_a_call_that_cannot_be_sent_is_refused_first(
    name: Any, arguments: Any, message: str, client: KimiClient, emu: KimiEmulator
) -> None:
    with pytest.raises(InvalidParameterError) as caught:
        client.formulas.run(WEB, name, arguments)
    assert str(caught.value) == message
    assert emu.requests == []


# -- failures --------------------------------------------------------------------------------


def test_a_failed_fiber_is_a_typed_error_and_never_retried(
    emu: KimiEmulator, sleeps: list[float]
) -> None:
    emu.fail_next_fiber("the sandbox is out of memory")
    with (
        KimiClient(SENTINEL_KEY, emu.base_url, max_retries=3) as client,
        pytest.raises(FiberFailedError) as caught,
    ):
        client.formulas.run(B64, "base64_encode", {"data": "x"})
    error = caught.value
    assert (error.status, error.error, error.uri, error.name) == (
        "failed",
        "the sandbox is out of memory",
        B64,
        "base64_encode",
    )
    assert error.fiber_id is not None
    assert error.fiber_id.startswith("fiber-")
    assert error.message == (
        f"the base64_encode tool of {B64} failed (fiber {error.fiber_id}, status 'failed'): "
        "the sandbox is out of memory"
    )
    assert error.body["context"]["error"] == "the sandbox is out of memory"
    assert error.request_id is not None  # Msh-Request-Id
    assert len(emu.requests) == 1
    assert sleeps == []


def test_a_fiber_failing_on_its_arguments(client: KimiClient) -> None:
    with pytest.raises(FiberFailedError) as caught:
        client.formulas.run(
            "convert", "convert", {"value": 1, "from_unit": "USD", "to_unit": "EUR"}
        )
    assert caught.value.error == "Unsupported conversion from USD to EUR"
    with pytest.raises(FiberFailedError) as caught:
        client.formulas.run("date", "date", "{not json")
    assert caught.value.error.startswith("arguments is not valid JSON: ")
    with pytest.raises(FiberFailedError) as caught:
        client.formulas.run(WEB, "web_search", {})
    assert caught.value.error == "missing required argument: query"


async def test_async_failed_fiber(aclient: AsyncKimiClient, emu: KimiEmulator) -> None:
    emu.fail_next_fiber("boom")
    with pytest.raises(FiberFailedError) as caught:
        await aclient.formulas.run(WEB, "web_search", {"query": "q"})
    assert (caught.value.error, caught.value.status) == ("boom", "failed")


def test_an_unknown_formula_is_formula_not_found(client: KimiClient, emu: KimiEmulator) -> None:
    for call in (
        lambda: client.formulas.tools("moonshot/code_runner:latest"),  # the old URI
        lambda: client.formulas.run("nope", "x", "{}"),
    ):
        with pytest.raises(FormulaNotFoundError) as caught:
            call()
        error = caught.value
        assert isinstance(error, NotFoundError)
        assert (error.status, error.type) == (404, "resource_not_found_error")
        assert error.body == {
            "error": {"message": "formula not found", "type": "resource_not_found_error"}
        }
        assert error.message.startswith("formula not found (formula moonshot/")
        assert error.trace_id is not None
    assert error.uri == "moonshot/nope:latest"
    assert paths(emu) == [
        ("GET", "/v1/formulas/moonshot/code_runner:latest/tools"),
        ("POST", "/v1/formulas/moonshot/nope:latest/fibers"),
    ]


async def test_async_unknown_formula(aclient: AsyncKimiClient) -> None:
    with pytest.raises(FormulaNotFoundError) as caught:
        await aclient.formulas.tools("acme/none")
    assert caught.value.uri == "acme/none:latest"


def test_a_gateway_serves_no_formulas(kimi_emulator_factory: Any) -> None:
    emu = kimi_emulator_factory("acedata")
    with KimiClient(SENTINEL_KEY, emu.base_url) as client, pytest.raises(FormulaNotFoundError):
        client.formulas.tools(WEB)


STATUS_ERRORS = [
    (400, None, BadRequestError),
    (401, None, AuthenticationError),
    (403, None, PermissionDeniedError),
    (404, None, FormulaNotFoundError),
    (429, None, RateLimitError),
    (429, "exceeded_current_quota_error", QuotaExceededError),
    (499, "client_closed_request", ClientClosedRequestError),
    (500, None, InternalServerError),
    (503, None, ServiceUnavailableError),
]


@pytest.mark.parametrize(("status", "kind", "cls"), STATUS_ERRORS)
@pytest.mark.parametrize("endpoint", ["tools", "fibers"])
def test_every_http_error_of_the_chat_endpoint(
    status: int,
    kind: str | None,
    cls: type[Exception],
    endpoint: str,
    client: KimiClient,
    emu: KimiEmulator,
) -> None:
    emu.fail_next(status, error_type=kind)

    def call() -> object:
        if endpoint == "tools":
            return client.formulas.tools(WEB)
        return client.formulas.run(WEB, "web_search", {"query": "q"})

    with pytest.raises(cls) as caught:
        call()
    assert type(caught.value) is cls
    assert caught.value.status == status  # type: ignore[attr-defined]
    assert len(emu.requests) == 1


@pytest.mark.parametrize(("status", "retry_after"), [(429, 2), (500, None), (503, None)])
def test_a_refused_fiber_is_retried_as_chat_is(
    status: int, retry_after: int | None, emu: KimiEmulator, sleeps: list[float]
) -> None:
    """A 429 / 5xx says the request was not served: running it again cannot bill twice."""
    emu.fail_next(status, retry_after=retry_after)
    with KimiClient(SENTINEL_KEY, emu.base_url, max_retries=2) as client:
        fiber = client.formulas.run(B64, "base64_encode", {"data": "x"})
    assert fiber.content == "eA=="
    assert paths(emu) == [("POST", "/v1/formulas/moonshot/base64:latest/fibers")] * 2
    assert len(sleeps) == 1
    if retry_after is not None:
        assert sleeps == [2.0]


def test_a_quota_429_is_not_retried(emu: KimiEmulator, sleeps: list[float]) -> None:
    emu.fail_next(429, error_type="exceeded_current_quota_error")
    with (
        KimiClient(SENTINEL_KEY, emu.base_url, max_retries=2) as client,
        pytest.raises(QuotaExceededError),
    ):
        client.formulas.run(WEB, "web_search", {"query": "q"})
    assert len(emu.requests) == 1
    assert sleeps == []


async def test_async_refused_fiber_is_retried(emu: KimiEmulator, sleeps: list[float]) -> None:
    emu.fail_next(429)
    async with AsyncKimiClient(SENTINEL_KEY, emu.base_url, max_retries=1) as client:
        fiber = await client.formulas.run(B64, "base64_encode", {"data": "x"})
    assert fiber.content == "eA=="
    assert len(emu.requests) == 2
    assert len(sleeps) == 1


def test_a_fiber_that_lost_its_answer_is_not_run_again(
    emu: KimiEmulator, sleeps: list[float]
) -> None:
    """Sent and then unanswered (a read timeout): the formula may have run, and been billed."""
    emu.delay_next(1.0, times=4)
    with KimiClient(SENTINEL_KEY, emu.base_url, max_retries=2, timeout=0.2) as client:
        with pytest.raises(APITimeoutError) as caught:
            client.formulas.run(WEB, "web_search", {"query": "q"})
        assert caught.value.request_sent is True
        assert len(emu.requests) == 1
        # The listing is a GET: retried like any idempotent request.
        with pytest.raises(APITimeoutError) as caught:
            client.formulas.tools(WEB)
        assert caught.value.attempts == 3
    assert paths(emu)[1:] == [("GET", "/v1/formulas/moonshot/web-search:latest/tools")] * 3


def test_the_key_is_in_no_error(kimi_emulator_factory: Any) -> None:
    emu = kimi_emulator_factory("moonshot", api_key="sk-the-right-key")
    with KimiClient(SENTINEL_KEY, emu.base_url, max_retries=0) as client:
        for call in (
            lambda: client.formulas.tools(WEB),
            lambda: client.formulas.run(WEB, "web_search", {"query": SENTINEL_KEY}),
        ):
            with pytest.raises(AuthenticationError) as caught:
                call()
            text = f"{caught.value} {caught.value!r} {caught.value.body} {caught.value.headers}"
            assert SENTINEL_KEY not in text
    assert SENTINEL_KEY not in repr(client) + repr(client.formulas)


# -- shapes the emulator does not send (MockTransport) ---------------------------------------


def tools_answer(*entries: Any) -> httpx.Response:
    return json_response({"object": "list", "tools": list(entries)})


def test_plugin_functions_in_either_layout_and_unknown_entries_skipped() -> None:
    plugin = {
        "type": "_plugin",
        "_plugin": {
            "name": "sheet",
            "description": "Sheets",
            "functions": [
                {"name": "head"},  # no description, no parameters
                {"type": "function", "function": {"name": "sum", "parameters": {"type": "object"}}},
                {"description": "no name"},
            ],
        },
    }
    recorder = Recorder(tools_answer({"type": "mcp", "server": "x"}, "junk", plugin))
    tools = sync_client(recorder).formulas.tools("acme/sheet")
    assert [(t.name, t.function, t.description, dict(t.parameters)) for t in tools] == [
        ("sheet_head", "sheet.head", "Sheets", {"type": "object", "properties": {}}),
        ("sheet_sum", "sheet.sum", "Sheets", {"type": "object"}),
    ]
    assert (
        str(recorder.requests[0].url)
        == "https://api.moonshot.ai/v1/formulas/acme/sheet:latest/tools"
    )


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(200, content=b"<html>proxy</html>"),
        json_response([1, 2]),
        json_response({"object": "list"}),
    ],
)
def test_a_tools_answer_that_is_not_the_wire_format(answer: httpx.Response) -> None:
    from kimi_core import MalformedResponseError

    with pytest.raises(MalformedResponseError):
        sync_client(Recorder(answer)).formulas.tools(WEB)


@pytest.mark.parametrize(
    ("fiber", "text"),
    [
        ({"status": "failed", "error": {"message": "top"}, "context": {"error": "ctx"}}, "top"),
        ({"status": "error", "error": "plain", "context": {}}, "plain"),
        ({"status": "timeout", "context": {"error": "ctx", "output": "out"}}, "ctx"),
        ({"status": "failed", "context": {"output": "Traceback ..."}}, "Traceback ..."),
        ({"status": "failed", "context": {"error": {"code": 7}}}, '{"code": 7}'),
        ({"context": {}}, "Unknown error"),
    ],
)
def test_the_failure_text_is_found_where_moonshots_client_looks(
    fiber: dict[str, Any], text: str
) -> None:
    with pytest.raises(FiberFailedError) as caught:
        sync_client(Recorder(json_response({"id": "fiber-1", **fiber}))).formulas.run(
            WEB, "web_search", "{}"
        )
    assert caught.value.error == text
    assert caught.value.status == str(fiber.get("status") or "")


def test_output_that_is_not_a_string_is_kept_as_json_and_empty_output_falls_back() -> None:
    client = sync_client(
        Recorder(
            json_response({"status": "succeeded", "context": {"output": {"a": [1, "é"]}}}),
            json_response(
                {"status": "succeeded", "context": {"output": "", "encrypted_output": "E"}}
            ),
            json_response({"status": "succeeded", "context": {}}),
        )
    )
    first = client.formulas.run(WEB, "web_search", "{}")
    assert (first.output, first.content, first.id) == ('{"a": [1, "é"]}', '{"a": [1, "é"]}', None)
    second = client.formulas.run(WEB, "web_search", "{}")
    assert (second.content, second.encrypted) == ("E", True)
    third = client.formulas.run(WEB, "web_search", "{}")
    assert third == Fiber(
        None, "succeeded", WEB, "web_search", None, None, {"status": "succeeded", "context": {}}
    )
    assert third.content == ""


def test_an_error_body_with_a_2xx_status_is_the_typed_error() -> None:
    body = {"error": {"message": "Your account is suspended", "type": "permission_denied_error"}}
    with pytest.raises(PermissionDeniedError) as caught:
        sync_client(Recorder(json_response(body))).formulas.run(WEB, "web_search", "{}")
    assert caught.value.message == "Your account is suspended"


async def test_async_mock_failure_text() -> None:
    client = async_client(
        Recorder(json_response({"status": "failed", "context": {"error": "async boom"}}))
    )
    with pytest.raises(FiberFailedError) as caught:
        await client.formulas.run(WEB, "web_search", "{}")
    assert caught.value.error == "async boom"


def test_names_two_formulas_share_are_refused() -> None:
    def tool(uri: str, name: str) -> FormulaTool:
        return FormulaTool(uri, name, name, "", {}, {})

    index = index_tools([tool("a/x:1", "one"), tool("a/y:1", "two"), tool("a/x:1", "one")])
    assert list(index) == ["one", "two"]
    with pytest.raises(InvalidParameterError) as caught:
        index_tools([tool("a/x:1", "one"), tool("b/z:1", "one")])
    assert str(caught.value) == (
        "the tool name 'one' is declared by both a/x:1 and b/z:1; Kimi rejects a request "
        "declaring a function name twice: use one of them"
    )
    other = FormulaTool("a/x:1", "one", "one", "another description", {}, {})
    with pytest.raises(InvalidParameterError, match="declares the tool name 'one' twice"):
        index_tools([tool("a/x:1", "one"), other])  # one formula, two declarations


def test_fiber_body_is_compact_json() -> None:
    assert fiber_body("f", {"q": "é"}) == '{"name":"f","arguments":"{\\"q\\":\\"é\\"}"}'.encode()
    assert encrypt("hi") == (
        "----MOONSHOT ENCRYPTED BEGIN----aGk=.6409be9dc39dee9c3097fb01"
        "----MOONSHOT ENCRYPTED END----"
    )
