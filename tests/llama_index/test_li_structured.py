"""Structured output into pydantic classes: JSON mode (the default) and function calling."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from li_helpers import chat_requests
from llama_index.core.base.llms.types import ChatMessage
from llama_index.core.prompts import PromptTemplate
from llama_index.core.types import PydanticProgramMode
from pydantic import BaseModel, ValidationError

from kimi_core.chat.request import FORCED_TOOL_HINT
from kimi_core.chat.structured import json_schema_instruction
from kimi_core.errors import MalformedResponseError
from kimi_emulator import KimiEmulator
from llama_index_kimi import Kimi


class City(BaseModel):
    """A city and its population."""

    name: str
    population: int


PROMPT = PromptTemplate("Tell me about {city}.")
# What the emulator fills a City schema with: strings "<field>", integers 1.
PLACEHOLDER = City(name="<name>", population=1)


def test_json_schema_is_the_default_where_the_model_takes_it(emu: KimiEmulator, llm: Kimi) -> None:
    assert llm.structured_output_mode is None
    assert llm.structured_predict(City, PROMPT, city="Paris") == PLACEHOLDER
    body = chat_requests(emu)[0]
    # Issue 25: the schema is sent in Moonshot's dialect (MFJS), as tool schemas are.
    assert City.model_json_schema()["title"] == "City"
    assert body["response_format"] == {
        "type": "json_schema",
        "json_schema": {
            "name": "City",
            "schema": {
                "description": "A city and its population.",
                "properties": {"name": {"type": "string"}, "population": {"type": "integer"}},
                "required": ["name", "population"],
                "type": "object",
            },
        },
    }
    assert body["messages"] == [{"role": "user", "content": "Tell me about Paris."}]


def test_json_mode_on_request(emu: KimiEmulator, make_llm: Callable[..., Kimi]) -> None:
    llm = make_llm(structured_output_mode="json_mode")
    result = llm.structured_predict(City, PROMPT, city="Paris")
    assert result == PLACEHOLDER
    body = chat_requests(emu)[0]
    assert body["response_format"] == {"type": "json_object"}
    assert "tools" not in body
    assert body["messages"] == [
        {"role": "system", "content": json_schema_instruction(City.model_json_schema(), "City")},
        {"role": "user", "content": "Tell me about Paris."},
    ]


async def test_json_mode_async_keeps_the_system_prompt_first(
    emu: KimiEmulator, make_llm: Callable[..., Kimi]
) -> None:
    llm = make_llm(system_prompt="You are a geographer.", model="moonshot-v1-8k")
    emu.script(json.dumps({"name": "Paris", "population": 2102650}))
    result = await llm.astructured_predict(City, PROMPT, city="Paris")
    assert result == City(name="Paris", population=2102650)
    roles = [(m["role"], m["content"][:22]) for m in chat_requests(emu)[0]["messages"]]
    assert roles == [
        ("system", "You are a geographer."),
        ("system", "Reply with a single JS"),
        ("user", "Tell me about Paris."),
    ]


def test_json_mode_answer_that_is_not_json_is_a_typed_error(emu: KimiEmulator, llm: Kimi) -> None:
    emu.script("Paris is lovely.")
    with pytest.raises(MalformedResponseError, match="not valid JSON"):
        llm.structured_predict(City, PROMPT, city="Paris")
    emu.script('{"name": "Paris"}')
    with pytest.raises(ValidationError, match="population"):
        llm.structured_predict(City, PROMPT, city="Paris")


def test_json_mode_stream_structured_predict(emu: KimiEmulator, llm: Kimi) -> None:
    emu.script(json.dumps({"name": "Paris", "population": 2102650}))
    objects = list(llm.stream_structured_predict(City, PROMPT, city="Paris"))
    assert objects[-1] == City(name="Paris", population=2102650)
    assert isinstance(objects[-1], City)
    assert len(objects) > 2  # partial objects arrive while the JSON streams
    assert chat_requests(emu)[0]["stream"] is True


async def test_json_mode_astream_structured_predict(emu: KimiEmulator, llm: Kimi) -> None:
    emu.script(json.dumps({"name": "Lyon", "population": 522250}))
    objects = [o async for o in await llm.astream_structured_predict(City, PROMPT, city="Lyon")]
    assert objects[-1] == City(name="Lyon", population=522250)


def test_function_calling_mode(emu: KimiEmulator, make_llm: Callable[..., Kimi]) -> None:
    llm = make_llm(structured_output_mode="function_calling")
    result = llm.structured_predict(City, PROMPT, city="Paris")
    assert result == PLACEHOLDER
    body = chat_requests(emu)[0]
    assert [t["function"]["name"] for t in body["tools"]] == ["City"]
    # FunctionCallingProgram asks for tool_required=True: sent as auto + the core's hint.
    assert body["tool_choice"] == "auto"
    assert body["messages"][-1]["content"] == FORCED_TOOL_HINT.format(
        target="one of the provided tools"
    )
    assert "response_format" not in body


async def test_function_calling_mode_async_and_streamed(
    emu: KimiEmulator, make_llm: Callable[..., Kimi]
) -> None:
    llm = make_llm(structured_output_mode="function_calling")
    emu.script(tool_calls=[{"name": "City", "arguments": {"name": "Nice", "population": 348085}}])
    assert await llm.astructured_predict(City, PROMPT, city="Nice") == City(
        name="Nice", population=348085
    )
    emu.script(tool_calls=[{"name": "City", "arguments": {"name": "Nice", "population": 348085}}])
    objects = list(llm.stream_structured_predict(City, PROMPT, city="Nice"))
    assert objects[-1] == City(name="Nice", population=348085)
    assert chat_requests(emu)[1]["stream"] is True


def test_pydantic_program_mode_other_than_default_skips_json_mode(
    emu: KimiEmulator, make_llm: Callable[..., Kimi]
) -> None:
    llm = make_llm(pydantic_program_mode=PydanticProgramMode.FUNCTION)
    assert llm.structured_predict(City, PROMPT, city="Paris") == PLACEHOLDER
    assert "tools" in chat_requests(emu)[0]


def test_as_structured_llm(emu: KimiEmulator, llm: Kimi) -> None:
    emu.script(json.dumps({"name": "Paris", "population": 2102650}))
    structured = llm.as_structured_llm(City)
    response = structured.chat([ChatMessage(role="user", content="Paris?")])
    assert response.raw == City(name="Paris", population=2102650)
    assert json.loads(response.message.content or "") == {"name": "Paris", "population": 2102650}
    assert structured.complete("Paris?").text == PLACEHOLDER.model_dump_json()
    assert chat_requests(emu)[0]["response_format"]["type"] == "json_schema"
