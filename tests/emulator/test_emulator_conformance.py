"""The official OpenAI SDK (a client nobody here wrote) against the emulator, in every dialect."""

from __future__ import annotations

import json
from typing import Any

import openai
import pytest
from emulator_support import minimal_pdf

from kimi_emulator import KimiEmulator
from kimi_emulator.tokens import count_prompt

HELLO = [{"role": "user", "content": "Hello"}]
DISTANCE_TOOL: dict[str, Any] = {
    "type": "function",
    "function": {
        "name": "get_distance",
        "description": "Straight-line distance between two cities",
        "parameters": {
            "type": "object",
            "properties": {
                "location1": {"type": "string", "description": "from"},
                "location2": {"type": "string", "description": "to"},
                "unit": {"type": "string", "enum": ["km", "mi"]},
                "precise": {"type": "boolean"},
                "digits": {"type": "integer"},
            },
            "required": ["location1", "location2"],
        },
    },
}
DISTANCE_ARGS = {
    "location1": "<location1>",
    "location2": "<location2>",
    "unit": "km",
    "precise": True,
    "digits": 1,
}
NO_THINKING = {"thinking": {"type": "disabled"}}


def test_chat(client: openai.OpenAI, emu: KimiEmulator) -> None:
    reply = client.chat.completions.create(model="kimi-k2.6", messages=HELLO)  # type: ignore[arg-type]
    assert reply.id.startswith("chatcmpl-")
    assert reply.object == "chat.completion"
    assert reply.model == "kimi-k2.6"
    choice = reply.choices[0]
    assert choice.index == 0
    assert choice.finish_reason == "stop"
    assert choice.message.role == "assistant"
    assert choice.message.content == "You said: Hello"
    extra = choice.message.model_extra or {}
    assert extra["reasoning_content"] == "Let me think about this."
    if emu.dialect == "acedata":
        assert extra["reasoning"] == "Let me think about this."
    # tokens: prompt 3 + (3 + ceil(5/4)); completion ceil(24/4) + ceil(15/4)
    assert reply.usage is not None
    assert (reply.usage.prompt_tokens, reply.usage.completion_tokens) == (8, 10)
    assert reply.usage.total_tokens == 18


def test_stream_matches_non_stream_and_reports_usage(
    client: openai.OpenAI, emu: KimiEmulator
) -> None:
    whole = client.chat.completions.create(model="kimi-k2.6", messages=HELLO)  # type: ignore[arg-type]
    chunks = list(
        client.chat.completions.create(model="kimi-k2.6", messages=HELLO, stream=True)  # type: ignore[arg-type]
    )
    text = reasoning = ""
    roles, finishes = [], []
    usage: dict[str, Any] | None = None
    for chunk in chunks:
        assert chunk.object == "chat.completion.chunk"
        assert chunk.id == chunks[0].id
        if not chunk.choices:  # acedata / cloudsway: the usage chunk
            assert chunk.usage is not None
            usage = chunk.usage.model_dump(
                include={"prompt_tokens", "completion_tokens", "total_tokens"}
            )
            continue
        choice = chunk.choices[0]
        delta_extra = choice.delta.model_extra or {}
        text += choice.delta.content or ""
        reasoning += delta_extra.get("reasoning_content") or ""
        roles.append(choice.delta.role)
        if choice.finish_reason:
            finishes.append(choice.finish_reason)
            if emu.dialect == "moonshot":  # Moonshot: usage inside choices[0]
                usage = (choice.model_extra or {})["usage"]
    assert text == whole.choices[0].message.content
    assert reasoning == (whole.choices[0].message.model_extra or {})["reasoning_content"]
    assert roles[0] == "assistant"
    assert all(role is None for role in roles[1:])
    assert finishes == ["stop"]
    assert usage == {"prompt_tokens": 8, "completion_tokens": 10, "total_tokens": 18}
    content_chunks = [c for c in chunks if c.choices and c.choices[0].delta.content]
    assert len(content_chunks) == 3  # "You ", "said: ", "Hello"


def test_tool_call_then_tool_result(client: openai.OpenAI) -> None:
    messages: list[dict[str, Any]] = [
        {"role": "user", "content": "How far is Beijing from Shanghai?"}
    ]
    first = client.chat.completions.create(
        model="kimi-k2.6",
        messages=messages,  # type: ignore[arg-type]
        tools=[DISTANCE_TOOL],  # type: ignore[list-item]
    )
    choice = first.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.tool_calls is not None
    call = choice.message.tool_calls[0]
    assert call.id == "get_distance:0"
    assert call.type == "function"
    assert call.function.name == "get_distance"
    assert json.loads(call.function.arguments) == DISTANCE_ARGS
    assert (choice.message.model_extra or {})["reasoning_content"] == "I should call get_distance."
    assert first.usage is not None
    assert first.usage.prompt_tokens == count_prompt(messages, [DISTANCE_TOOL])

    # Second turn: echo the assistant message (with its reasoning_content) and the result,
    # without its empty content (the real API answers 400 "text content is empty" for it).
    assistant = choice.message.model_dump(exclude_none=True)
    if not assistant.get("content"):
        assistant.pop("content", None)
    messages.append(assistant)
    messages.append(
        {"role": "tool", "tool_call_id": call.id, "name": "get_distance", "content": "1000"}
    )
    second = client.chat.completions.create(
        model="kimi-k2.6",
        messages=messages,  # type: ignore[arg-type]
        tools=[DISTANCE_TOOL],  # type: ignore[list-item]
    )
    assert second.choices[0].finish_reason == "stop"
    assert second.choices[0].message.content == "The tool get_distance returned: 1000"
    assert second.choices[0].message.tool_calls in (None, [])

    # Third turn, same ids again (the index restarts every turn, as the real API).
    messages += [
        {"role": "assistant", "content": "It is 1000 km.", "reasoning_content": "ok"},
        {"role": "user", "content": "And back?"},
    ]
    third = client.chat.completions.create(
        model="kimi-k2.6",
        messages=messages,  # type: ignore[arg-type]
        tools=[DISTANCE_TOOL],  # type: ignore[list-item]
    )
    assert third.choices[0].message.tool_calls is not None
    assert third.choices[0].message.tool_calls[0].id == "get_distance:0"


def test_streamed_tool_call_fragments(client: openai.OpenAI) -> None:
    stream = client.chat.completions.create(
        model="kimi-k2.6",
        messages=[{"role": "user", "content": "distance?"}],
        tools=[DISTANCE_TOOL],  # type: ignore[list-item]
        stream=True,
        extra_body=NO_THINKING,
    )
    fragments = [
        c.choices[0].delta.tool_calls[0]
        for c in stream
        if c.choices and c.choices[0].delta.tool_calls
    ]
    first, rest = fragments[0], fragments[1:]
    assert (first.index, first.id, first.type) == (0, "get_distance:0", "function")
    assert first.function is not None
    assert (first.function.name, first.function.arguments) == ("get_distance", "")
    assert len(rest) >= 2
    for fragment in rest:
        assert fragment.index == 0
        assert fragment.id is None
        assert fragment.function is not None
        assert fragment.function.name is None
    arguments = "".join(f.function.arguments or "" for f in rest if f.function)
    assert json.loads(arguments) == DISTANCE_ARGS


def test_json_mode(client: openai.OpenAI) -> None:
    plain = client.chat.completions.create(
        model="kimi-k2.6",
        messages=[{"role": "user", "content": "Answer in JSON: what is 1+1?"}],
        response_format={"type": "json_object"},
    )
    assert json.loads(plain.choices[0].message.content or "") == {
        "answer": "You said: Answer in JSON: what is 1+1?"
    }
    schema = {
        "properties": {
            "setup": {"title": "Setup", "type": "string"},
            "rating": {"title": "Rating", "type": "integer"},
            "tags": {"type": "array", "items": {"type": "string"}},
        },
        "required": ["setup", "rating"],
    }
    system = (
        "The output should be formatted as a JSON instance that conforms to the JSON schema "
        f'below. As an example, for the schema {{"foo": 1}}.\nHere is the output schema:\n```\n'
        f"{json.dumps(schema)}\n```"
    )
    structured = client.chat.completions.create(
        model="kimi-k2.6",
        messages=[{"role": "system", "content": system}, {"role": "user", "content": "a joke"}],
        response_format={"type": "json_object"},
    )
    assert json.loads(structured.choices[0].message.content or "") == {
        "setup": "<setup>",
        "rating": 1,
        "tags": ["<tags>"],
    }


def test_files(client: openai.OpenAI) -> None:
    text_file = client.files.create(
        file=("notes.txt", b"Hello from a file", "text/plain"),
        purpose="file-extract",  # type: ignore[arg-type]
    )
    assert text_file.object == "file"
    assert text_file.bytes == 17
    assert text_file.filename == "notes.txt"
    assert text_file.purpose == "file-extract"
    assert text_file.status == "ok"
    assert len(text_file.id) == 20
    pdf = client.files.create(
        file=("paper.pdf", minimal_pdf("Hello PDF world"), "application/pdf"),
        purpose="file-extract",  # type: ignore[arg-type]
    )

    assert client.files.content(text_file.id).json() == {
        "content": "Hello from a file",
        "file_type": "text/plain",
        "filename": "notes.txt",
        "title": "",
        "type": "file",
    }
    pdf_content = client.files.content(pdf.id).json()
    assert pdf_content["content"] == "Hello PDF world"
    assert pdf_content["file_type"] == "application/pdf"

    assert [f.id for f in client.files.list()] == [text_file.id, pdf.id]
    assert client.files.retrieve(pdf.id).model_dump() == pdf.model_dump()
    deleted = client.files.delete(text_file.id)
    assert (deleted.id, deleted.deleted, deleted.object) == (text_file.id, True, "file")
    assert [f.id for f in client.files.list()] == [pdf.id]
    with pytest.raises(openai.NotFoundError):
        client.files.retrieve(text_file.id)


def test_models(client: openai.OpenAI) -> None:
    models = {m.id: m for m in client.models.list()}
    assert "kimi-k2.6" in models
    k25 = models["kimi-k2.6"].model_dump()
    assert k25["owned_by"] == "moonshot"
    assert k25["context_length"] == 262_144
    assert k25["supports_reasoning"] is True
    assert client.models.retrieve("moonshot-v1-8k").model_dump()["context_length"] == 8192


def test_errors_are_typed_by_the_sdk(client: openai.OpenAI, emu: KimiEmulator) -> None:
    if emu.dialect == "cloudsway":
        pytest.skip("cloudsway serves the endpoint's model whatever the body names")
    with pytest.raises(openai.NotFoundError) as caught:
        client.chat.completions.create(model="kimi-nope", messages=HELLO)  # type: ignore[arg-type]
    assert "Not found the model kimi-nope or Permission denied" in str(caught.value)
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(
            model="kimi-k2.6",
            messages=HELLO,  # type: ignore[arg-type]
            temperature=0.3,
        )


async def test_async_client_streams(emu: KimiEmulator) -> None:
    async with openai.AsyncOpenAI(api_key="sk-x", base_url=emu.base_url, max_retries=0) as sdk:
        stream = await sdk.chat.completions.create(
            model="moonshot-v1-8k",
            messages=HELLO,  # type: ignore[arg-type]
            stream=True,
        )
        text = "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])
    assert text == "You said: Hello"
