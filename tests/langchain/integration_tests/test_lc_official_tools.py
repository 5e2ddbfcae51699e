"""KimiToolkit end to end against the emulator: every official formula in a ``create_agent``
loop with ChatKimi (exact requests recorded), LangGraph's ``ToolNode``, a non-Kimi chat model
driving the tools, the encrypted web-search result passed through byte for byte, failed
fibers, errors, the shared connection pool, and no key anywhere."""

from __future__ import annotations

import asyncio
import json
import pickle
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import httpx
import pytest
from formula_cases import CASES, IDS, NOON, Case, as_sent
from langchain.agents import create_agent
from langchain_core.exceptions import ModelNotFoundError, ModelRateLimitError
from langchain_core.language_models import BaseChatModel
from langchain_core.load import dumps
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.tools import BaseTool, ToolException
from langchain_core.utils.function_calling import convert_to_openai_tool
from langgraph.graph import END, START, MessagesState, StateGraph
from langgraph.prebuilt import ToolNode
from lc_support import API_KEY
from pydantic import Field

from kimi_core import FiberFailedError, FormulaNotFoundError, InvalidParameterError
from kimi_core.chat.tools import WEB_SEARCH_TOOL
from kimi_core.errors import ConfigurationError
from kimi_emulator import KimiEmulator
from kimi_emulator.formulas import FORMULAS, RETHINK_OUTPUT, decrypt
from langchain_kimi import ChatKimi, KimiFormulaTool, KimiToolkit
from langchain_kimi._errors import (
    KimiAuthenticationError,
    KimiFiberFailedError,
    KimiFormulaNotFoundError,
    KimiRateLimitError,
)

WEB = "moonshot/web-search:latest"
MakeLLM = Callable[..., ChatKimi]


@pytest.fixture
def make_toolkit(emu: KimiEmulator) -> Iterator[Callable[..., KimiToolkit]]:
    made: list[KimiToolkit] = []

    def factory(*formulas: str, **kwargs: Any) -> KimiToolkit:
        kwargs.setdefault("api_key", API_KEY)
        kwargs.setdefault("base_url", emu.base_url)
        kwargs.setdefault("max_retries", 0)
        toolkit = KimiToolkit(formulas=list(formulas), **kwargs)
        made.append(toolkit)
        return toolkit

    yield factory
    for toolkit in made:
        toolkit.close()


def declarations(uri: str) -> list[dict[str, Any]]:
    """What the formula declares, as a chat request's ``tools`` (a plugin's functions as
    ``<plugin>_<fn>``)."""
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


# -- the tools -------------------------------------------------------------------------------


def test_get_tools_gives_the_formulas_tools(
    make_toolkit: Callable[..., KimiToolkit], emu: KimiEmulator
) -> None:
    toolkit = make_toolkit("web-search", "moonshot/base64:latest", "excel")
    assert toolkit.formulas == [WEB, "moonshot/base64:latest", "moonshot/excel:latest"]
    tools = toolkit.get_tools()
    assert all(isinstance(tool, KimiFormulaTool) for tool in tools)
    expected = [*declarations(WEB), *declarations("moonshot/base64:latest")]
    expected += declarations("moonshot/excel:latest")
    assert [convert_to_openai_tool(tool) for tool in tools] == expected
    for tool, declared in zip(tools, expected, strict=True):
        function = declared["function"]
        assert (tool.name, tool.description, tool.args_schema) == (
            function["name"],
            function["description"],
            function["parameters"],
        )
        assert tool.kimi_tool_definition == declared
        assert tool.handle_tool_error is True
    assert [(t.name, t.function) for t in tools][-3:] == [
        ("excel_read_file", "excel.read_file"),
        ("excel_list_sheets", "excel.list_sheets"),
        ("excel_head", "excel.head"),
    ]
    assert tools[0].formula == WEB
    toolkit.get_tools()  # the definitions are cached by the client
    assert [r.path for r in emu.requests] == [
        "/v1/formulas/moonshot/web-search:latest/tools",
        "/v1/formulas/moonshot/base64:latest/tools",
        "/v1/formulas/moonshot/excel:latest/tools",
    ]


async def test_aget_tools_uses_the_async_client(
    make_toolkit: Callable[..., KimiToolkit], emu: KimiEmulator
) -> None:
    toolkit = make_toolkit("date")
    (tool,) = await toolkit.aget_tools()
    assert tool.name == "date"
    emu.set_clock(NOON)
    assert await tool.ainvoke({"operation": "time"}) == "2026-08-13 12:30:05"
    await toolkit.aclose()


def test_chatkimi_binds_the_declarations_exactly(
    make_toolkit: Callable[..., KimiToolkit], make_llm: MakeLLM, emu: KimiEmulator
) -> None:
    tools = make_toolkit(WEB).get_tools()
    bound = make_llm().bind_tools(tools)
    assert bound.kwargs["tools"] == declarations(WEB)  # type: ignore[attr-defined]
    answer = bound.invoke("Kimi K3")
    assert answer.tool_calls == [
        {
            "name": "web_search",
            "args": {"query": "Kimi K3"},
            "id": "web_search:0",
            "type": "tool_call",
        }
    ]
    assert emu.requests[-1].json["tools"] == declarations(WEB)
    # LangChain's own conversion drops the schema's titles and description; ChatKimi does not.
    (fetch,) = make_toolkit("fetch").get_tools()
    declared = declarations("moonshot/fetch:latest")
    assert declared[0]["function"]["parameters"]["description"] == "Parameters for fetching a URL."
    assert convert_to_openai_tool(fetch) != declared[0]
    assert make_llm().bind_tools([fetch]).kwargs["tools"] == declared  # type: ignore[attr-defined]


def test_a_tool_name_two_formulas_share_is_refused(emu: KimiEmulator) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"object": "list", "tools": declarations(WEB)})

    http = httpx.Client(transport=httpx.MockTransport(handler))
    toolkit = KimiToolkit(
        formulas=["acme/search", "moonshot/web-search"], api_key=API_KEY, http_client=http
    )
    with pytest.raises(InvalidParameterError) as caught:
        toolkit.get_tools()
    assert str(caught.value) == (
        "the tool name 'web_search' is declared by both acme/search:latest and "
        "moonshot/web-search:latest; Kimi rejects a request declaring a function name twice: "
        "use one of them"
    )


def test_a_bad_uri_is_refused_at_construction(emu: KimiEmulator) -> None:
    with pytest.raises(InvalidParameterError) as caught:
        KimiToolkit(formulas=["moonshot/../files"], api_key=API_KEY, base_url=emu.base_url)
    assert caught.value.param == "uri"
    assert emu.requests == []


def test_options_are_chatkimis(monkeypatch: pytest.MonkeyPatch, emu: KimiEmulator) -> None:
    monkeypatch.delenv("MOONSHOT_API_KEY", raising=False)
    monkeypatch.delenv("KIMI_API_KEY", raising=False)
    with pytest.raises(ConfigurationError) as caught:
        KimiToolkit(formulas=[WEB], base_url=emu.base_url)
    assert caught.value.param == "api_key"
    monkeypatch.setenv("MOONSHOT_API_KEY", "sk-from-env")
    toolkit = KimiToolkit(
        formulas=[WEB], base_url=emu.base_url, default_headers={"X-App": "demo"}, timeout=30
    )
    assert toolkit.api_key is not None
    assert toolkit.api_key.get_secret_value() == "sk-from-env"
    toolkit.get_tools()
    assert emu.requests[-1].headers["x-app"] == "demo"
    assert emu.requests[-1].headers["authorization"] == "Bearer ***"
    with pytest.raises(ConfigurationError):
        KimiToolkit(formulas=[WEB], base_url=emu.base_url, max_retries=-1)


def test_from_chat_model_shares_the_key_and_the_pool(make_llm: MakeLLM, emu: KimiEmulator) -> None:
    llm = make_llm(default_headers={"X-App": "chat"})
    toolkit = KimiToolkit.from_chat_model(llm, ["base64"])
    assert toolkit._clients is llm._clients
    (encode, _) = toolkit.get_tools()
    assert encode.invoke({"data": "hi"}) == "aGk="
    assert llm.client.formulas.tools("base64") is toolkit._clients.sync.formulas.tools("base64")
    assert {r.headers["x-app"] for r in emu.requests} == {"chat"}


# -- agents ----------------------------------------------------------------------------------


def check_turn(case: Case, messages: Sequence[BaseMessage], emu: KimiEmulator) -> None:
    human, call, result, answer = messages
    assert isinstance(human, HumanMessage)
    assert isinstance(call, AIMessage)
    assert call.tool_calls == [
        {"name": case.name, "args": case.arguments, "id": f"{case.name}:0", "type": "tool_call"}
    ]
    assert isinstance(result, ToolMessage)
    assert (result.content, result.tool_call_id, result.name, result.status) == (
        case.content,
        f"{case.name}:0",
        case.name,
        "success",
    )
    assert result.artifact["formula"] == case.uri
    assert result.artifact["status"] == "succeeded"
    assert result.artifact["fiber_id"].startswith("fiber-")
    assert result.artifact["encrypted"] is (case.name == "web_search")
    assert isinstance(answer, AIMessage)
    assert answer.content == case.answer
    requests = [r for r in emu.requests if r.method == "POST"]
    first, fiber, second = requests
    assert first.path == "/v1/chat/completions"
    assert first.json["tools"] == as_sent(declarations(case.uri))
    assert (fiber.path, fiber.json) == (
        f"/v1/formulas/{case.uri}/fibers",
        {
            "name": case.name if case.name != "excel_head" else "excel.head",
            "arguments": case.sent_arguments,
        },
    )
    tool_message = second.json["messages"][-1]
    assert (tool_message["role"], tool_message["tool_call_id"], tool_message["content"]) == (
        "tool",
        f"{case.name}:0",
        case.content,
    )
    assert second.json["messages"][1]["reasoning_content"] == f"I should call {case.name}."


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_each_formula_in_a_create_agent_loop(
    case: Case, make_toolkit: Callable[..., KimiToolkit], make_llm: MakeLLM, emu: KimiEmulator
) -> None:
    emu.set_clock(NOON)
    agent = create_agent(make_llm(), tools=make_toolkit(case.uri).get_tools())
    state = agent.invoke({"messages": [("user", case.question)]})
    check_turn(case, state["messages"], emu)


@pytest.mark.parametrize("case", [CASES[0], CASES[3]], ids=[IDS[0], IDS[3]])
async def test_an_async_create_agent_loop(
    case: Case, make_toolkit: Callable[..., KimiToolkit], make_llm: MakeLLM, emu: KimiEmulator
) -> None:
    emu.set_clock(NOON)
    toolkit = make_toolkit(case.uri)
    llm = make_llm()
    agent = create_agent(llm, tools=await toolkit.aget_tools())
    state = await agent.ainvoke({"messages": [("user", case.question)]})
    check_turn(case, state["messages"], emu)
    await llm.aclose()
    await toolkit.aclose()


def test_the_encrypted_result_reaches_the_model_byte_for_byte(
    make_toolkit: Callable[..., KimiToolkit], make_llm: MakeLLM, emu: KimiEmulator
) -> None:
    case = CASES[0]
    agent = create_agent(make_llm(), tools=make_toolkit(WEB).get_tools())
    messages = agent.invoke({"messages": [("user", case.question)]})["messages"]
    fiber_answer = next(r for r in emu.requests if r.path.endswith("/fibers"))
    assert fiber_answer.json == {"name": "web_search", "arguments": case.sent_arguments}
    sent = [r for r in emu.requests if r.path == "/v1/chat/completions"][1]
    blob = sent.json["messages"][-1]["content"]
    assert blob == messages[2].content == case.content
    assert blob.encode("utf-8") == case.content.encode("utf-8")
    assert decrypt(blob) == case.read  # the emulator's model could read it: nothing changed


def test_tool_node_runs_the_calls_sync_and_async(
    make_toolkit: Callable[..., KimiToolkit], emu: KimiEmulator
) -> None:
    graph = StateGraph(MessagesState)
    graph.add_node("tools", ToolNode(make_toolkit("base64", "rethink").get_tools()))
    graph.add_edge(START, "tools")
    graph.add_edge("tools", END)
    app = graph.compile()
    calls = [
        {"name": "base64_decode", "args": {"data": "SGk="}, "id": "a:0", "type": "tool_call"},
        {"name": "rethink", "args": {"thought": "x"}, "id": "b:0", "type": "tool_call"},
    ]
    out = app.invoke({"messages": [AIMessage(content="", tool_calls=calls)]})
    assert [(m.tool_call_id, m.content) for m in out["messages"][1:]] == [
        ("a:0", "Hi"),
        ("b:0", RETHINK_OUTPUT),
    ]

    async def run() -> list[Any]:
        result = await app.ainvoke({"messages": [AIMessage(content="", tool_calls=calls[:1])]})
        return [(m.tool_call_id, m.content) for m in result["messages"][1:]]

    assert asyncio.run(run()) == [("a:0", "Hi")]
    fibers = [r.json for r in emu.requests if r.path.endswith("/fibers")]
    assert fibers.count({"name": "base64_decode", "arguments": '{"data":"SGk="}'}) == 2
    assert {"name": "rethink", "arguments": '{"thought":"x"}'} in fibers


class ScriptedChatModel(BaseChatModel):
    """A non-Kimi chat model: it answers from a script, and records what it was given."""

    replies: list[AIMessage]
    seen: list[list[BaseMessage]] = Field(default_factory=list)
    bound: list[list[dict[str, Any]]] = Field(default_factory=list)

    @property
    def _llm_type(self) -> str:
        return "scripted"

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> ScriptedChatModel:  # type: ignore[override]
        self.bound.append([convert_to_openai_tool(tool) for tool in tools])
        return self

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: Any = None,
        **kwargs: Any,
    ) -> ChatResult:
        self.seen.append(list(messages))
        return ChatResult(generations=[ChatGeneration(message=self.replies.pop(0))])


def test_the_toolkit_drives_a_non_kimi_chat_model(
    make_toolkit: Callable[..., KimiToolkit], emu: KimiEmulator
) -> None:
    case = CASES[0]
    call = {
        "name": "web_search",
        "args": {"query": case.question},
        "id": "call_abc",
        "type": "tool_call",
    }
    model = ScriptedChatModel(
        replies=[
            AIMessage(content="", tool_calls=[call]),
            AIMessage(content="Here is what I found."),
        ]
    )
    tools = make_toolkit(WEB, "date").get_tools()
    state = create_agent(model, tools=tools).invoke({"messages": [("user", case.question)]})
    assert state["messages"][-1].content == "Here is what I found."
    assert model.bound[0] == [*declarations(WEB), *declarations("moonshot/date:latest")]
    result = model.seen[1][-1]
    assert isinstance(result, ToolMessage)
    assert (result.tool_call_id, result.content) == ("call_abc", case.content)  # byte for byte
    assert [r.path for r in emu.requests] == [
        "/v1/formulas/moonshot/web-search:latest/tools",
        "/v1/formulas/moonshot/date:latest/tools",
        "/v1/formulas/moonshot/web-search:latest/fibers",
    ]
    assert emu.requests[-1].json == {"name": "web_search", "arguments": case.sent_arguments}


# -- failures --------------------------------------------------------------------------------


def test_a_failed_fiber_goes_back_to_the_model_as_an_error(
    make_toolkit: Callable[..., KimiToolkit], make_llm: MakeLLM, emu: KimiEmulator
) -> None:
    emu.fail_next_fiber("the search backend is down")
    agent = create_agent(make_llm(), tools=make_toolkit(WEB).get_tools())
    messages = agent.invoke({"messages": [("user", "Kimi")]})["messages"]
    result = messages[2]
    assert isinstance(result, ToolMessage)
    assert result.status == "error"
    assert result.content.startswith(
        "the web_search tool of moonshot/web-search:latest failed (fiber fiber-"
    )
    assert result.content.endswith("status 'failed'): the search backend is down")
    assert messages[3].content == f"The tool web_search returned: {result.content}"
    assert len([r for r in emu.requests if r.path.endswith("/fibers")]) == 1  # never retried


def test_a_failed_fiber_raises_when_asked(
    make_toolkit: Callable[..., KimiToolkit], emu: KimiEmulator
) -> None:
    (tool,) = make_toolkit(WEB, handle_tool_error=False).get_tools()
    emu.fail_next_fiber("nope")
    with pytest.raises(KimiFiberFailedError) as caught:
        tool.invoke({"query": "q"})
    assert isinstance(caught.value, FiberFailedError)
    assert isinstance(caught.value, ToolException)
    assert (caught.value.error, caught.value.uri, caught.value.name) == ("nope", WEB, "web_search")
    assert isinstance(caught.value.__cause__, FiberFailedError)


def test_http_errors_are_langchains_and_the_cores(
    make_toolkit: Callable[..., KimiToolkit], emu: KimiEmulator
) -> None:
    with pytest.raises(KimiFormulaNotFoundError) as missing:
        make_toolkit("moonshot/code_runner:latest").get_tools()
    assert isinstance(missing.value, FormulaNotFoundError)
    assert isinstance(missing.value, ModelNotFoundError)
    assert missing.value.uri == "moonshot/code_runner:latest"
    (tool,) = make_toolkit(WEB).get_tools()
    emu.fail_next(429)
    with pytest.raises(KimiRateLimitError) as limited:
        tool.invoke({"query": "q"})
    assert isinstance(limited.value, ModelRateLimitError)


def test_a_429_is_retried_and_the_fiber_runs_once(
    make_toolkit: Callable[..., KimiToolkit], emu: KimiEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    import kimi_core.transport.base

    monkeypatch.setattr(kimi_core.transport.base, "_backoff", lambda seconds: None)
    (_, decode) = make_toolkit("base64", max_retries=2).get_tools()
    emu.fail_next(429, retry_after=1)
    assert decode.invoke({"data": "SGk="}) == "Hi"
    assert [r.path for r in emu.requests][-2:] == ["/v1/formulas/moonshot/base64:latest/fibers"] * 2


# -- no key anywhere -------------------------------------------------------------------------

SENTINEL = "sk-SENTINEL-toolkit-5e1f"


def test_the_key_is_in_no_repr_serialization_pickle_or_error(
    kimi_emulator_factory: Any, emu: KimiEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    toolkit = KimiToolkit(formulas=[WEB], api_key=SENTINEL, base_url=emu.base_url)
    tools: list[BaseTool] = toolkit.get_tools()
    texts = [repr(toolkit), str(toolkit), repr(tools), str(tools[0]), dumps(tools[0])]
    texts += [
        dumps(toolkit),
        json.dumps(toolkit.model_dump(mode="json")),
        tools[0].model_dump_json(),
    ]
    pickled = [pickle.dumps(toolkit), pickle.dumps(tools[0])]
    assert all(SENTINEL not in text for text in texts)
    assert all(SENTINEL.encode() not in blob for blob in pickled)
    guarded = kimi_emulator_factory("moonshot", api_key="sk-the-right-key")
    wrong = KimiToolkit(formulas=[WEB], api_key=SENTINEL, base_url=guarded.base_url, max_retries=0)
    with pytest.raises(KimiAuthenticationError) as caught:
        wrong.get_tools()
    error = caught.value
    assert SENTINEL not in f"{error} {error!r} {error.body} {error.headers} {error.__cause__!r}"
    # A revived tool has no key: it reads the environment on its first call.
    monkeypatch.setenv("MOONSHOT_API_KEY", "sk-revived")
    revived = pickle.loads(pickled[1])
    assert revived.invoke({"query": "q"}).startswith("----MOONSHOT ENCRYPTED BEGIN----")
    assert emu.requests[-1].headers["authorization"] == "Bearer ***"
    copy_of = toolkit.model_copy(deep=True)
    assert copy_of.api_key is not None
    assert copy_of.api_key.get_secret_value() == SENTINEL
    toolkit.close()
    wrong.close()


def test_the_legacy_builtin_web_search_still_works_next_to_the_toolkit(
    make_toolkit: Callable[..., KimiToolkit], make_llm: MakeLLM, emu: KimiEmulator
) -> None:
    llm = make_llm(thinking=False)
    answer = llm.bind_tools([WEB_SEARCH_TOOL]).invoke("What's new?")
    assert answer.content.startswith("The tool $web_search returned: ")
    tools = make_toolkit("date").get_tools()
    assert llm.bind_tools([*tools, WEB_SEARCH_TOOL]).kwargs["tools"] == [  # type: ignore[attr-defined]
        *declarations("moonshot/date:latest"),
        WEB_SEARCH_TOOL,
    ]
