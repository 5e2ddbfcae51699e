"""Structured output for ``Kimi`` through ``response_format``: the request asking for an
``output_cls`` object, the validation of the answer, and partial objects while streaming.

By default ``response_format: json_schema`` on models that take it (``kimi_core.catalog``),
else JSON mode with the schema in a system message (the bodies are the core's,
``kimi_core.chat.structured``). ``Kimi.structured_predict`` and its siblings stay on the
class (LlamaIndex names its dispatcher spans after it) and call these helpers.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Generator
from typing import TYPE_CHECKING, Any, Literal

from kimi_core.integration import (
    get_model_info,
    json_mode_format,
    json_schema_format,
    parse_json_object,
)

if TYPE_CHECKING:
    from llama_index.core.base.llms.types import (
        ChatResponse,
        ChatResponseAsyncGen,
        ChatResponseGen,
    )
    from llama_index.core.program.utils import FlexibleModel
    from llama_index.core.types import Model
    from pydantic import BaseModel

__all__ = [
    "StructuredOutputMode",
    "apartial_objects",
    "default_mode",
    "is_pydantic_class",
    "json_mode_kwargs",
    "partial_objects",
    "validate",
]

StructuredOutputMode = Literal["json_schema", "json_mode", "function_calling"]

# Tool-calling keyword arguments a ``response_format`` request does not take.
_TOOL_KWARGS = ("tools", "tool_choice", "tool_required", "allow_parallel_tool_calls")


def is_pydantic_class(value: Any) -> bool:
    """Whether ``value`` is a pydantic model class."""
    from pydantic import BaseModel

    return isinstance(value, type) and issubclass(value, BaseModel)


def default_mode(model: str | None) -> StructuredOutputMode:
    """json_schema where the model takes it (or is not in the catalog), else json_mode."""
    info = get_model_info(model)
    return "json_schema" if info is None or info.json_schema else "json_mode"


def json_mode_kwargs(
    output_cls: type[BaseModel], llm_kwargs: dict[str, Any] | None, mode: StructuredOutputMode
) -> dict[str, Any]:
    """``llm_kwargs`` (without tool-calling ones) asking for an ``output_cls`` object:
    ``json_schema`` (sent as JSON mode with the schema in a system message to models without
    it) when ``mode`` is ``"json_schema"``, else JSON mode with the schema."""
    kwargs = {key: value for key, value in (llm_kwargs or {}).items() if key not in _TOOL_KWARGS}
    schema = output_cls.model_json_schema()
    kwargs["response_format"] = (
        json_schema_format(schema, output_cls.__name__)
        if mode == "json_schema"
        else json_mode_format(schema, output_cls.__name__)
    )
    return kwargs


def validate(response: ChatResponse, output_cls: type[Model]) -> Model:
    """The JSON-mode answer validated into ``output_cls`` (typed errors when it is not)."""
    return output_cls.model_validate(parse_json_object(response.message.content or ""))


def partial_objects(
    responses: ChatResponseGen, output_cls: type[Model]
) -> Generator[Model | FlexibleModel, None, None]:
    """``output_cls`` objects (partial ones while the JSON is incomplete) as the answer
    streams, then the validated whole when it differs from the last partial one."""
    from llama_index.core.program.streaming_utils import process_streaming_content_incremental

    current: Model | FlexibleModel | None = None
    last: ChatResponse | None = None
    for last in responses:
        current = process_streaming_content_incremental(last, output_cls, current)
        yield current
    if last is not None:
        final = validate(last, output_cls)
        if final != current:
            yield final


async def apartial_objects(
    responses: ChatResponseAsyncGen, output_cls: type[Model]
) -> AsyncGenerator[Model | FlexibleModel, None]:
    """Async ``partial_objects``."""
    from llama_index.core.program.streaming_utils import process_streaming_content_incremental

    current: Model | FlexibleModel | None = None
    last: ChatResponse | None = None
    async for last in responses:
        current = process_streaming_content_incremental(last, output_cls, current)
        yield current
    if last is not None:
        final = validate(last, output_cls)
        if final != current:
            yield final
