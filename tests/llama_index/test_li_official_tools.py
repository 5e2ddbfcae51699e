"""KimiToolSpec end to end against the emulator: every official formula in a ``FunctionAgent``
loop with ``Kimi`` (exact requests recorded), ``ReActAgent`` and ``AgentWorkflow``, the
encrypted web-search result passed through byte for byte, failed fibers as the tool's error
output, errors, the shared connection pool, and no key anywhere."""

from __future__ import annotations

import json
import pickle
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from formula_cases import CASES, IDS, NOON, Case, as_sent
from li_helpers import API_KEY
from llama_index.core.agent.workflow import (
    AgentWorkflow,
    FunctionAgent,
    ReActAgent,
    ToolCallResult,
)
from llama_index.core.tools import FunctionTool

from kimi_core import FiberFailedError, FormulaNotFoundError, InvalidParameterError, RateLimitError
from kimi_core.errors import AuthenticationError
from kimi_emulator import KimiEmulator
from kimi_emulator.formulas import FORMULAS, decrypt
from llama_index_kimi import Kimi, KimiToolSpec
from llama_index_kimi.tools import FormulaToolMetadata

WEB = "moonshot/web-search:latest"


@pytest.fixture
async def make_spec(emu: KimiEmulator) -> AsyncIterator[Callable[..., KimiToolSpec]]:
    made: list[KimiToolSpec] = []

    def factory(*formulas: str, **kwargs: Any) -> KimiToolSpec:
        kwargs.setdefault("api_key", API_KEY)
        kwargs.setdefault("base_url", emu.base_url)
        kwargs.setdefault("max_retries", 0)
        spec = KimiToolSpec(list(formulas), **kwargs)
        made.append(spec)
        return spec

    yield factory
    for spec in made:
        spec.close()
        await spec.aclose()


def declarations(uri: str) -> list[dict[str, Any]]:
    entries = FORMULAS[uri].tools
    plugin = entries[0].get("_plugin")
    if plugin is None:
        return entries
    return [
        {
            "type": "function",
            "function": {
                "name": f"{plugin['name']}_{fn['name']}",
                "description": fn["description"],
                "parameters": fn["parameters"],
            },
        }
        for fn in plugin["functions"]
    ]


def test_to_tool_list_gives_function_tools_with_the_exact_schemas(
    make_spec: Callable[..., KimiToolSpec], emu: KimiEmulator
) -> None:
    spec = make_spec("web-search", "base64", "excel")
    tools = spec.to_tool_list()
    assert all(isinstance(tool, FunctionTool) for tool in tools)
    expected = [*declarations(WEB), *declarations("moonshot/base64:latest")]
    expected += declarations("moonshot/excel:latest")
    assert [t.metadata.to_openai_tool() for t in tools] == expected
    metadata = tools[0].metadata
    assert isinstance(metadata, FormulaToolMetadata)
    assert (metadata.formula, metadata.function) == (WEB, "web_search")
    assert json.loads(metadata.fn_schema_str) == expected[0]["function"]["parameters"]
    assert metadata.fn_schema is not None
    assert metadata.fn_schema.model_json_schema() == expected[0]["function"]["parameters"]
    assert spec.spec_functions == [d["function"]["name"] for d in expected]
    picked = spec.to_tool_list(spec_functions=["base64_decode", "excel_head"])
    assert [t.metadata.name for t in picked] == ["base64_decode", "excel_head"]
    assert len(emu.requests) == 3  # cached per client and URI


async def test_to_tool_list_async(
    make_spec: Callable[..., KimiToolSpec], emu: KimiEmulator
) -> None:
    spec = make_spec("date")
    (tool,) = await spec.to_tool_list_async()
    emu.set_clock(NOON)
    output = await tool.acall(operation="time")
    assert (output.content, output.raw_output, output.is_error) == (
        "2026-08-13 12:30:05",
        "2026-08-13 12:30:05",
        False,
    )
    assert tool.call(operation="between", date1="2026-01-01", date2="2026-01-31").content == (
        "30 days"
    )


@pytest.mark.parametrize("case", CASES, ids=IDS)
async def test_each_formula_in_a_function_agent_loop(
    case: Case, make_spec: Callable[..., KimiToolSpec], llm: Kimi, emu: KimiEmulator
) -> None:
    emu.set_clock(NOON)
    agent = FunctionAgent(tools=make_spec(case.uri).to_tool_list(), llm=llm)
    handler = agent.run(user_msg=case.question)
    results = [e async for e in handler.stream_events() if isinstance(e, ToolCallResult)]
    answer = await handler
    (result,) = results
    assert (result.tool_name, result.tool_kwargs, result.tool_id) == (
        case.name,
        case.arguments,
        f"{case.name}:0",
    )
    assert result.tool_output.content == case.content
    assert result.tool_output.is_error is False
    assert str(answer) == case.answer
    posts = [r for r in emu.requests if r.method == "POST"]
    first, fiber, second = posts
    assert first.json["tools"] == as_sent(declarations(case.uri))
    function = "excel.head" if case.name == "excel_head" else case.name
    assert (fiber.path, fiber.json) == (
        f"/v1/formulas/{case.uri}/fibers",
        {"name": function, "arguments": case.sent_arguments},
    )
    tool_message = second.json["messages"][-1]
    assert (tool_message["role"], tool_message["tool_call_id"], tool_message["content"]) == (
        "tool",
        f"{case.name}:0",
        case.content,
    )


async def test_the_encrypted_result_reaches_the_model_byte_for_byte(
    make_spec: Callable[..., KimiToolSpec], llm: Kimi, emu: KimiEmulator
) -> None:
    case = CASES[0]
    agent = FunctionAgent(tools=make_spec(WEB).to_tool_list(), llm=llm)
    assert str(await agent.run(user_msg=case.question)) == case.answer
    sent = [r for r in emu.requests if r.path == "/v1/chat/completions"][1]
    blob = sent.json["messages"][-1]["content"]
    assert blob.encode("utf-8") == case.content.encode("utf-8")
    assert decrypt(blob) == case.read


async def test_react_agent(
    make_spec: Callable[..., KimiToolSpec], llm: Kimi, emu: KimiEmulator
) -> None:
    agent = ReActAgent(tools=make_spec("base64").to_tool_list(), llm=llm)
    emu.script('Thought: I need to decode.\nAction: base64_decode\nAction Input: {"data": "SGk="}')
    emu.script("Thought: I can answer without using any more tools.\nAnswer: It says Hi.")
    assert str(await agent.run(user_msg="Decode SGk=")) == "It says Hi."
    first, fiber, second = [r for r in emu.requests if r.method == "POST"]
    prompt = first.json["messages"][0]["content"]
    schema = json.dumps(declarations("moonshot/base64:latest")[1]["function"]["parameters"])
    assert f"Tool Args: {schema}" in prompt
    assert fiber.json == {"name": "base64_decode", "arguments": '{"data":"SGk="}'}
    assert any("Observation: Hi" in (m["content"] or "") for m in second.json["messages"])


async def test_agent_workflow(
    make_spec: Callable[..., KimiToolSpec], llm: Kimi, emu: KimiEmulator
) -> None:
    emu.set_clock(NOON)
    spec = make_spec("date", "convert")
    agent = FunctionAgent(
        name="helper", description="Dates and units.", tools=spec.to_tool_list(), llm=llm
    )
    workflow = AgentWorkflow(agents=[agent], root_agent="helper")
    answer = await workflow.run(user_msg="convert 72 °F to °C")
    assert str(answer) == "The tool convert returned: 72.0 °F = 22.22 °C"
    (fiber,) = [r for r in emu.requests if r.path.endswith("/fibers")]
    assert fiber.json == {
        "name": "convert",
        "arguments": '{"value":72.0,"from_unit":"°F","to_unit":"°C"}',
    }


async def test_a_failed_fiber_is_the_tools_error_output(
    make_spec: Callable[..., KimiToolSpec], llm: Kimi, emu: KimiEmulator
) -> None:
    emu.fail_next_fiber("the search backend is down")
    agent = FunctionAgent(tools=make_spec(WEB).to_tool_list(), llm=llm)
    handler = agent.run(user_msg="Kimi")
    (result,) = [e async for e in handler.stream_events() if isinstance(e, ToolCallResult)]
    answer = await handler
    assert result.tool_output.is_error is True
    text = result.tool_output.content
    assert text.startswith("the web_search tool of moonshot/web-search:latest failed (fiber ")
    assert "status 'failed'): the search backend is down (request id: " in text
    assert str(answer) == f"The tool web_search returned: {text}"
    assert len([r for r in emu.requests if r.path.endswith("/fibers")]) == 1


def test_calling_a_tool_raises_the_cores_errors(
    make_spec: Callable[..., KimiToolSpec], emu: KimiEmulator
) -> None:
    (tool,) = make_spec(WEB).to_tool_list()
    emu.fail_next_fiber("nope")
    with pytest.raises(FiberFailedError) as caught:
        tool.call(query="q")
    assert (caught.value.error, caught.value.uri) == ("nope", WEB)
    emu.fail_next(429)
    with pytest.raises(RateLimitError):
        tool.call(query="q")
    with pytest.raises(FormulaNotFoundError) as missing:
        make_spec("moonshot/code_runner:latest").to_tool_list()
    assert missing.value.uri == "moonshot/code_runner:latest"
    with pytest.raises(InvalidParameterError):
        make_spec("a/b/c")


async def test_from_llm_shares_the_key_and_the_pool(llm: Kimi, emu: KimiEmulator) -> None:
    spec = KimiToolSpec.from_llm(llm, ["base64"])
    assert spec._clients is llm._clients
    encode, _ = spec.to_tool_list()
    assert encode.call(data="hi").content == "aGk="
    assert (await encode.acall(data="hi")).content == "aGk="
    assert llm.client.formulas.tools("base64") is spec._clients.sync.formulas.tools("base64")


SENTINEL = "sk-SENTINEL-toolspec-77ab"


def test_the_key_is_in_no_repr_pickle_or_error(
    kimi_emulator_factory: Any, emu: KimiEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = KimiToolSpec([WEB], api_key=SENTINEL, base_url=emu.base_url, default_headers={"X": "1"})
    tools = spec.to_tool_list()
    texts = [
        repr(spec),
        str(spec),
        repr(tools[0].metadata),
        str(tools[0].metadata.to_openai_tool()),
    ]
    assert all(SENTINEL not in text for text in texts)
    assert repr(spec) == f"KimiToolSpec(formulas=['{WEB}'], base_url='{emu.base_url}')"
    blobs = [pickle.dumps(spec), pickle.dumps(tools[0])]
    assert all(SENTINEL.encode() not in blob for blob in blobs)
    guarded = kimi_emulator_factory("moonshot", api_key="sk-the-right-key")
    wrong = KimiToolSpec([WEB], api_key=SENTINEL, base_url=guarded.base_url, max_retries=0)
    with pytest.raises(AuthenticationError) as caught:
        wrong.to_tool_list()
    error = caught.value
    assert SENTINEL not in f"{error} {error!r} {error.body} {error.headers}"
    monkeypatch.setenv("MOONSHOT_API_KEY", "sk-revived")
    revived = pickle.loads(blobs[1])
    assert revived.call(query="q").content.startswith("----MOONSHOT ENCRYPTED BEGIN----")
    assert "x" not in emu.requests[-1].headers  # headers are not pickled
    spec.close()
    wrong.close()
