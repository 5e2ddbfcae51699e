"""Construction, secrets, tracing params, profiles and the request ChatKimi builds.

Requests go through ``httpx.MockTransport`` so the exact JSON body can be asserted.
"""

from __future__ import annotations

import json
import pickle
import warnings
from typing import Any

import httpx
import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.load import dumpd, dumps, load
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
from langchain_core.tools import tool
from lc_support import API_KEY, MOCK_BASE_URL, Sent, json_response, mock_llm
from pydantic import BaseModel, Field
from typing_extensions import TypedDict

from kimi_core.catalog.model_info import FixedSamplingWarning
from kimi_core.chat.request import FORCED_TOOL_HINT
from kimi_core.errors import ConfigurationError, InvalidParameterError
from langchain_kimi import ChatKimi
from langchain_kimi._profile import LazyProfile


def _answer(content: str = "ok", **message: Any) -> dict[str, Any]:
    return {
        "id": "cmpl-1",
        "object": "chat.completion",
        "model": "kimi-k2.6",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content, **message},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7},
    }


def _llm(**kwargs: Any) -> tuple[ChatKimi, Sent]:
    return mock_llm(json_response(_answer()), **kwargs)


# -- construction and secrets -----------------------------------------------------------------


def test_key_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MOONSHOT_API_KEY", raising=False)
    monkeypatch.setenv("KIMI_API_KEY", "sk-kimi-env")
    assert ChatKimi().api_key is not None
    assert ChatKimi().api_key.get_secret_value() == "sk-kimi-env"  # type: ignore[union-attr]
    monkeypatch.setenv("MOONSHOT_API_KEY", "sk-moonshot-env")
    assert ChatKimi().api_key.get_secret_value() == "sk-moonshot-env"  # type: ignore[union-attr]


def test_missing_key_is_a_configuration_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MOONSHOT_API_KEY", raising=False)
    monkeypatch.delenv("KIMI_API_KEY", raising=False)
    with pytest.raises(ConfigurationError, match="MOONSHOT_API_KEY"):
        ChatKimi()


def test_bad_settings_fail_at_construction() -> None:
    with pytest.raises(ConfigurationError, match="plain http"):
        ChatKimi(api_key=API_KEY, base_url="http://kimi.example.com/v1")
    assert ChatKimi(api_key=API_KEY, base_url="http://kimi.example.com/v1", allow_insecure=True)
    with pytest.raises(ConfigurationError, match="endpoint_path"):
        ChatKimi(api_key=API_KEY, gateway="cloudsway")
    with pytest.raises(InvalidParameterError) as info:
        ChatKimi(api_key=API_KEY, max_retries=-1)
    assert info.value.param == "max_retries"


@pytest.mark.filterwarnings("ignore:The function `load` is in beta")
def test_key_never_in_dumps_repr_or_str(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MOONSHOT_API_KEY", raising=False)
    llm = ChatKimi(api_key=API_KEY, model="kimi-k2-0905-preview", temperature=0.2)
    for text in (dumps(llm), json.dumps(dumpd(llm)), repr(llm), str(llm), repr(llm.client)):
        assert API_KEY not in text
    assert dumpd(llm)["kwargs"]["api_key"] == {
        "lc": 1,
        "type": "secret",
        "id": ["MOONSHOT_API_KEY"],
    }
    assert llm.lc_secrets == {"api_key": "MOONSHOT_API_KEY"}
    assert API_KEY not in str(llm._get_invocation_params())
    # Round trip, with the key taken from the environment.
    monkeypatch.setenv("MOONSHOT_API_KEY", "sk-loaded")
    loaded = load(
        dumpd(llm),
        valid_namespaces=["langchain_kimi"],
        allowed_objects=[ChatKimi],
        secrets_from_env=True,
    )
    assert isinstance(loaded, ChatKimi)
    assert loaded.model_name == "kimi-k2-0905-preview"
    assert loaded.temperature == 0.2
    assert loaded.api_key is not None
    assert loaded.api_key.get_secret_value() == "sk-loaded"


def test_aliases_and_defaults() -> None:
    llm = ChatKimi(api_key=API_KEY, model_name="moonshot-v1-8k", stop_sequences=["END"])
    assert llm.model_name == "moonshot-v1-8k"
    assert llm.stop == ["END"]
    default = ChatKimi(api_key=API_KEY)
    assert default.model_name == "kimi-k2.6"
    assert (default.thinking, default.temperature, default.stream_usage) == (None, None, True)
    assert default._llm_type == "kimi-chat"


def test_ls_params_and_per_call_model() -> None:
    llm = ChatKimi(api_key=API_KEY, model="kimi-k2-0905-preview", temperature=0.3, max_tokens=9)
    assert llm._get_ls_params(stop=["x"]) == {
        "ls_provider": "kimi",
        "ls_model_name": "kimi-k2-0905-preview",
        "ls_model_type": "chat",
        "ls_temperature": 0.3,
        "ls_max_tokens": 9,
        "ls_stop": ["x"],
    }
    assert llm._get_ls_params(model="kimi-k2.6", temperature=1.0)["ls_model_name"] == "kimi-k2.6"
    assert ChatKimi(api_key=API_KEY, stop="END")._get_ls_params()["ls_stop"] == ["END"]


def test_profile_from_the_catalog() -> None:
    profile = ChatKimi(api_key=API_KEY).profile  # kimi-k2.6
    assert profile is not None
    assert profile["max_input_tokens"] == 262_144
    assert profile["max_output_tokens"] == 262_144
    assert profile["image_inputs"] is True
    assert profile["video_inputs"] is True
    assert profile["reasoning_output"] is True
    assert profile["tool_calling"] is True
    assert profile["structured_output"] is True  # response_format json_schema
    assert "reasoning_effort_levels" not in profile
    text_only = ChatKimi(api_key=API_KEY, model="moonshot-v1-8k").profile
    assert text_only is not None
    assert (text_only["image_inputs"], text_only["reasoning_output"]) == (False, False)


def test_an_unknown_models_profile_comes_from_get_models_when_read() -> None:
    # Issue 25: a model id the catalog does not know is sent as asked; its traits come from
    # GET /models, asked once, when the profile is first read (never at construction).
    card = {
        "id": "kimi-future-9",
        "object": "model",
        "context_length": 524_288,
        "supports_image_in": True,
        "supports_video_in": False,
        "supports_reasoning": True,
    }
    listing = {"object": "list", "data": [{"id": "kimi-k2.6"}, card]}
    llm, sent = mock_llm(json_response(listing), model="kimi-future-9")
    assert "kimi-future-9" in repr(llm)
    assert sent.requests == []
    profile = llm.profile
    assert profile is not None
    assert dict(profile) == {
        "text_inputs": True,
        "text_outputs": True,
        "tool_calling": True,
        "image_url_inputs": False,
        "max_input_tokens": 524_288,
        "image_inputs": True,
        "video_inputs": False,
        "reasoning_output": True,
    }
    assert profile["max_input_tokens"] == 524_288
    assert [(r.method, r.url.path) for r in sent.requests] == [("GET", "/v1/models")]
    revived = pickle.loads(pickle.dumps(ChatKimi(api_key=API_KEY, model="kimi-future-9")))
    assert isinstance(revived.profile, LazyProfile)  # read when asked, as before the pickle
    other, sent = mock_llm(json_response(listing), model="kimi-unlisted")
    assert other.profile is not None
    assert dict(other.profile) == {}
    assert not other.profile
    assert len(sent.requests) == 1


def test_transport_settings_reach_the_core_clients() -> None:
    llm = ChatKimi(
        api_key=API_KEY,
        gateway="cloudsway",
        endpoint_path="kimi-k2.6-deploy",
        timeout=7.5,
        max_retries=4,
        rate_limits="tier1",
    )
    for client in (llm.client, llm.async_client):
        assert client.base_url == "https://genaiapi.cloudsway.net/v1/ai/kimi-k2.6-deploy"
        assert client.timeout == httpx.Timeout(7.5)
        assert client.max_retries == 4
        assert client.rate_limiter is not None
    assert llm.client.model_optional is True
    insecure = ChatKimi(api_key=API_KEY, base_url="http://10.0.0.5:8000/v1", allow_insecure=True)
    assert insecure.client.base_url == "http://10.0.0.5:8000/v1"
    assert ChatKimi(api_key=API_KEY, timeout=httpx.Timeout(3.0)).client.timeout == httpx.Timeout(
        3.0
    )


def test_one_client_pair_per_instance() -> None:
    llm, sent = _llm()
    client, async_client = llm.client, llm.async_client
    llm.invoke("a")
    llm.invoke("b")
    assert llm.client is client
    assert llm.async_client is async_client
    assert len(sent.requests) == 2
    assert sent.requests[0].headers["authorization"] == f"Bearer {API_KEY}"


# -- the request body -------------------------------------------------------------------------


def test_unset_sampling_values_are_not_sent() -> None:
    llm, sent = _llm()
    llm.invoke("hi")
    assert sent.bodies[0] == {"model": "kimi-k2.6", "messages": [{"role": "user", "content": "hi"}]}


def test_instance_values_and_per_call_overrides_of_every_parameter() -> None:
    # Models the catalog does not know: every parameter is passed through unchecked.
    llm, sent = _llm(
        model="kimi-next-preview",
        temperature=0.2,
        top_p=0.9,
        max_tokens=50,
        n=2,
        presence_penalty=0.1,
        frequency_penalty=0.2,
        user="u-1",
        stop=["END"],
        thinking=False,
        model_kwargs={"seed": 1},
    )
    llm.invoke("hi")
    assert sent.bodies[0] == {
        "model": "kimi-next-preview",
        "temperature": 0.2,
        "top_p": 0.9,
        "max_completion_tokens": 50,
        "n": 2,
        "presence_penalty": 0.1,
        "frequency_penalty": 0.2,
        "user": "u-1",
        "stop": ["END"],
        "thinking": {"type": "disabled"},
        "seed": 1,
        "messages": [{"role": "user", "content": "hi"}],
    }
    llm.invoke(
        "hi",
        model="kimi-next-turbo",
        temperature=0.7,
        top_p=0.5,
        max_tokens=10,
        n=1,
        presence_penalty=0.0,
        frequency_penalty=0.0,
        user="u-2",
        stop=["STOP"],
        thinking=True,
        seed=2,
    )
    assert sent.bodies[1] == {
        "model": "kimi-next-turbo",
        "temperature": 0.7,
        "top_p": 0.5,
        "max_completion_tokens": 10,
        "n": 1,
        "presence_penalty": 0.0,
        "frequency_penalty": 0.0,
        "user": "u-2",
        "stop": ["STOP"],
        "thinking": {"type": "enabled"},
        "seed": 2,
        "messages": [{"role": "user", "content": "hi"}],
    }


def test_empty_stop_and_thinking_none_are_not_sent() -> None:
    llm, sent = _llm(stop=[], thinking=True)
    llm.invoke("hi", thinking=None)
    assert sent.bodies[0] == {"model": "kimi-k2.6", "messages": [{"role": "user", "content": "hi"}]}


FIXED_SAMPLING_CASES = [
    ({"temperature": 0.3}, "temperature"),
    ({"top_p": 0.5}, "top_p"),
    ({"n": 2}, "n"),
    ({"presence_penalty": 0.5}, "presence_penalty"),
    ({"frequency_penalty": 0.5}, "frequency_penalty"),
    ({"temperature": 1.0, "thinking": False}, "temperature"),
]


@pytest.mark.parametrize(("kwargs", "param"), FIXED_SAMPLING_CASES)
async def test_fixed_sampling_values_are_dropped_with_one_warning(
    kwargs: dict[str, Any], param: str, fresh_sampling_warnings: None
) -> None:
    # Issue 25: a value the model fixes is not sent (the model's own applies), with one
    # FixedSamplingWarning per model and field; strict_sampling=True keeps the old error.
    llm, sent = _llm()
    with pytest.warns(FixedSamplingWarning, match=f"kimi-k2.6 fixes {param}="):
        llm.invoke("hi", **kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # once per model and field: no second warning
        await llm.ainvoke("hi", **kwargs)
    assert len(sent.bodies) == 2
    for body in sent.bodies:
        assert param not in body
        assert body["messages"] == [{"role": "user", "content": "hi"}]


@pytest.mark.parametrize(("kwargs", "param"), FIXED_SAMPLING_CASES)
async def test_fixed_sampling_values_fail_before_any_request_when_strict(
    kwargs: dict[str, Any], param: str
) -> None:
    llm, sent = _llm(strict_sampling=True)
    with pytest.raises(InvalidParameterError) as info:
        llm.invoke("hi", **kwargs)
    assert info.value.param == param
    assert isinstance(info.value, ValueError)
    with pytest.raises(InvalidParameterError):
        list(llm.stream("hi", **kwargs))
    with pytest.raises(InvalidParameterError):
        await llm.ainvoke("hi", **kwargs)
    lenient, _ = _llm()
    with pytest.raises(InvalidParameterError):  # per call too
        lenient.invoke("hi", strict_sampling=True, **kwargs)
    assert sent.requests == []


async def test_too_many_stop_strings_fail_before_any_request() -> None:
    llm, sent = _llm()
    stops = ["a", "b", "c", "d", "e", "f"]
    with pytest.raises(InvalidParameterError) as info:
        llm.invoke("hi", stop=stops)
    assert info.value.param == "stop"
    with pytest.raises(InvalidParameterError):
        list(llm.stream("hi", stop=stops))
    with pytest.raises(InvalidParameterError):
        await llm.ainvoke("hi", stop=stops)
    assert sent.requests == []


def test_fixed_values_that_match_are_not_sent_and_not_warned() -> None:
    llm, sent = _llm(temperature=0.6, thinking=False, top_p=0.95, n=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        llm.invoke("hi")
    assert sent.bodies[0] == {
        "model": "kimi-k2.6",
        "thinking": {"type": "disabled"},
        "messages": [{"role": "user", "content": "hi"}],
    }
    strict, sent = _llm(temperature=0.6, thinking=False, top_p=0.95, n=1, strict_sampling=True)
    strict.invoke("hi")
    assert not {"temperature", "top_p", "n", "strict_sampling"} & sent.bodies[0].keys()


# -- tools ------------------------------------------------------------------------------------


class GetWeather(BaseModel):
    """Weather at a place."""

    city: str = Field(description="City name")


@tool
def get_time(zone: str) -> str:
    """Time in a zone."""
    return "12:00"


def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


WEB_SEARCH = {"type": "builtin_function", "function": {"name": "$web_search"}}
RAW_TOOL = {
    "type": "function",
    "function": {"name": "raw_tool", "description": "x", "parameters": {"type": "object"}},
}


def test_bind_tools_formats_every_kind_and_passes_builtins_untouched() -> None:
    llm, sent = _llm()
    llm.bind_tools([add, GetWeather, get_time, RAW_TOOL, WEB_SEARCH]).invoke("hi")
    tools = sent.bodies[0]["tools"]
    assert [t["function"]["name"] for t in tools] == [
        "add",
        "GetWeather",
        "get_time",
        "raw_tool",
        "$web_search",
    ]
    assert tools[1]["function"]["parameters"]["properties"]["city"] == {
        "description": "City name",
        "type": "string",
    }
    assert tools[3] == RAW_TOOL
    assert tools[4] == WEB_SEARCH
    assert "tool_choice" not in sent.bodies[0]


@pytest.mark.parametrize("choice", ["any", "required", True])
def test_forced_tool_choice_becomes_auto_plus_a_hint(choice: Any) -> None:
    llm, sent = _llm()
    llm.bind_tools([add, get_time], tool_choice=choice).invoke("hi")
    body = sent.bodies[0]
    assert body["tool_choice"] == "auto"
    assert [t["function"]["name"] for t in body["tools"]] == ["add", "get_time"]
    assert body["messages"][-1] == {
        "role": "user",
        "content": FORCED_TOOL_HINT.format(target="one of the provided tools"),
    }


@pytest.mark.parametrize(
    "choice", ["get_time", {"type": "function", "function": {"name": "get_time"}}]
)
def test_named_tool_choice_sends_only_that_tool(choice: Any) -> None:
    llm, sent = _llm()
    llm.bind_tools([add, get_time], tool_choice=choice).invoke("hi")
    body = sent.bodies[0]
    assert body["tool_choice"] == "auto"
    assert [t["function"]["name"] for t in body["tools"]] == ["get_time"]
    assert body["messages"][-1]["content"] == FORCED_TOOL_HINT.format(target="the tool `get_time`")


@pytest.mark.parametrize(
    ("choice", "sent_as"), [("auto", "auto"), ("none", "none"), (False, "none")]
)
def test_plain_tool_choices(choice: Any, sent_as: str) -> None:
    llm, sent = _llm()
    llm.bind_tools([add], tool_choice=choice).invoke("hi")
    assert sent.bodies[0]["tool_choice"] == sent_as
    assert sent.bodies[0]["messages"] == [{"role": "user", "content": "hi"}]


def test_unknown_tool_choice_fails_at_bind_time() -> None:
    llm, _ = _llm()
    with pytest.raises(InvalidParameterError, match="nope") as info:
        llm.bind_tools([add], tool_choice="nope")
    assert info.value.param == "tool_choice"
    with pytest.raises(InvalidParameterError):
        llm.bind_tools([add], tool_choice=3)  # type: ignore[arg-type]


def test_tools_passed_per_call_are_formatted() -> None:
    llm, sent = _llm()
    llm.invoke("hi", tools=[add])
    assert sent.bodies[0]["tools"][0]["function"]["name"] == "add"


# -- structured output ------------------------------------------------------------------------


class Person(BaseModel):
    """A person."""

    name: str
    age: int


class PersonDict(TypedDict):
    """A person."""

    name: str
    age: int


PERSON_JSON = '{"name": "Ada", "age": 36}'


@pytest.mark.parametrize(
    ("model", "method"),
    [("kimi-k2.6", "json_mode"), ("moonshot-v1-8k", "json_schema"), ("moonshot-v1-8k", None)],
)
def test_json_mode_sends_json_object_and_the_schema(model: str, method: str | None) -> None:
    """JSON mode, asked for or (a model without json_schema) the fallback."""
    llm, sent = mock_llm(json_response(_answer(PERSON_JSON)), model=model)
    result = llm.with_structured_output(Person, method=method).invoke(  # type: ignore[arg-type]
        [SystemMessage("You extract people."), HumanMessage("Ada is 36")]
    )
    assert result == Person(name="Ada", age=36)
    body = sent.bodies[0]
    assert body["response_format"] == {"type": "json_object"}
    assert [m["role"] for m in body["messages"]] == ["system", "system", "user"]
    instruction = body["messages"][1]["content"]
    assert instruction.startswith("Reply with a single JSON object for Person")
    assert '"required": ["name", "age"]' in instruction


@pytest.mark.parametrize("schema", [PersonDict, Person.model_json_schema()])
def test_json_mode_dict_schemas(schema: Any) -> None:
    llm, _ = mock_llm(json_response(_answer(PERSON_JSON)))
    assert llm.with_structured_output(schema).invoke("Ada") == {"name": "Ada", "age": 36}


def test_json_mode_without_schema() -> None:
    llm, sent = mock_llm(json_response(_answer('{"a": 1}')))
    assert llm.with_structured_output(None, method="json_mode").invoke("x") == {"a": 1}
    assert sent.bodies[0]["response_format"] == {"type": "json_object"}
    assert sent.bodies[0]["messages"] == [{"role": "user", "content": "x"}]


def test_json_mode_validates_pydantic_answers_and_include_raw() -> None:
    llm, _ = mock_llm(json_response(_answer('{"name": "Ada"}')))
    with pytest.raises(Exception, match="age"):
        llm.with_structured_output(Person).invoke("Ada")
    raw = llm.with_structured_output(Person, include_raw=True).invoke("Ada")
    assert isinstance(raw, dict)
    assert isinstance(raw["raw"], AIMessage)
    assert raw["raw"].content == '{"name": "Ada"}'
    assert raw["parsed"] is None
    assert "age" in str(raw["parsing_error"])
    good, _ = mock_llm(json_response(_answer(PERSON_JSON)))
    ok = good.with_structured_output(Person, include_raw=True).invoke("Ada")
    assert ok["parsed"] == Person(name="Ada", age=36)
    assert ok["parsing_error"] is None


def test_function_calling_forces_the_schema_tool() -> None:
    def call_of(name: str) -> dict[str, Any]:
        return _answer(
            "",
            tool_calls=[
                {
                    "id": f"{name}:0",
                    "type": "function",
                    "function": {"name": name, "arguments": PERSON_JSON},
                }
            ],
        )

    llm, sent = mock_llm(json_response(call_of("Person")))
    assert llm.with_structured_output(Person, method="function_calling").invoke("Ada") == Person(
        name="Ada", age=36
    )
    typed, _ = mock_llm(json_response(call_of("PersonDict")))
    assert typed.with_structured_output(PersonDict, method="function_calling").invoke("Ada") == {
        "name": "Ada",
        "age": 36,
    }
    body = sent.bodies[0]
    assert body["tool_choice"] == "auto"
    assert [t["function"]["name"] for t in body["tools"]] == ["Person"]
    assert body["messages"][-1]["content"] == FORCED_TOOL_HINT.format(target="the tool `Person`")
    with pytest.raises(InvalidParameterError):
        llm.with_structured_output(None, method="function_calling")
    with pytest.raises(InvalidParameterError):
        llm.with_structured_output(Person, method="xml")  # type: ignore[arg-type]


def test_structured_output_reports_ls_structured_output_format() -> None:
    seen: list[dict[str, Any]] = []

    class Recorder(BaseCallbackHandler):
        def on_chat_model_start(self, *args: Any, **kwargs: Any) -> None:
            seen.append(kwargs["options"]["ls_structured_output_format"])

    llm, _ = mock_llm(json_response(_answer(PERSON_JSON)))
    llm.with_structured_output(Person).invoke("Ada", config={"callbacks": [Recorder()]})
    assert seen == [
        {"kwargs": {"method": "json_schema"}, "schema": llm_schema(Person)},
    ]


def llm_schema(model: type[BaseModel]) -> dict[str, Any]:
    from langchain_core.utils.function_calling import convert_to_json_schema

    return convert_to_json_schema(model)


def test_bind_tools_response_format_is_json_schema_or_json_mode() -> None:
    llm, sent = mock_llm(json_response(_answer(PERSON_JSON)))
    llm.bind_tools([add], response_format=Person).invoke("Ada")
    body = sent.bodies[0]
    # Issue 25: the schema goes in Moonshot's dialect (MFJS), as tool schemas do: no titles.
    assert body["response_format"] == {
        "type": "json_schema",
        "json_schema": {
            "name": "Person",
            "schema": {
                "description": "A person.",
                "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
                "required": ["name", "age"],
                "type": "object",
            },
        },
    }
    assert llm_schema(Person)["title"] == "Person"  # what LangChain built had one
    old, sent = mock_llm(json_response(_answer(PERSON_JSON)), model="moonshot-v1-8k")
    old.bind_tools([add], response_format=Person).invoke("Ada")
    body = sent.bodies[0]
    assert body["response_format"] == {"type": "json_object"}
    assert "Person" in body["messages"][0]["content"]


# -- tokens and usage -------------------------------------------------------------------------


def test_token_counts_use_kimis_endpoint_once_per_message() -> None:
    def respond(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/v1/tokenizers/estimate-token-count"
        return httpx.Response(200, json={"data": {"total_tokens": 42}})

    llm, sent = mock_llm(respond)
    history = [HumanMessage("hi"), AIMessage("Dear")]
    # Each message counted alone (42 each), the extra per-request overhead (3) taken out once.
    assert llm.get_num_tokens_from_messages(history) == 42 + 42 - 3
    assert sent.bodies == [
        {"model": "kimi-k2.6", "messages": [{"role": "user", "content": "hi"}]},
        {"model": "kimi-k2.6", "messages": [{"role": "assistant", "content": "Dear"}]},
    ]
    assert llm.get_num_tokens_from_messages(history) == 81
    assert len(sent.bodies) == 2  # both cached
    assert llm.get_num_tokens_from_messages([HumanMessage("hi")], tools=[add]) == 81
    assert sent.bodies[2]["messages"][0]["role"] == "system"
    assert '"name": "add"' in sent.bodies[2]["messages"][0]["content"]
    assert len(sent.bodies) == 3  # "hi" was cached
    assert llm.get_num_tokens("hello") == 42
    assert sent.bodies[3]["messages"] == [{"role": "user", "content": "hello"}]


def test_default_headers_are_sent() -> None:
    llm, sent = _llm(default_headers={"X-Trace": "t-1"})
    llm.invoke("hi")
    assert sent.requests[0].headers["x-trace"] == "t-1"
    assert sent.requests[0].url == httpx.URL(MOCK_BASE_URL + "/chat/completions")
