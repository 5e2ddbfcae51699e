"""Structured output for ``ChatKimi``: a schema (pydantic class, TypedDict or JSON schema) as
the request that asks Kimi for it, and the parser that reads the answer.

``with_structured_output`` picks a method (``json_schema`` where the model takes
``response_format: json_schema``, per ``kimi_core.catalog``, else JSON mode with the schema in
a system message, or a forced tool call) and chains the bound model with LangChain's parser;
``response_format`` given per call or to ``bind_tools`` is normalised here too. The
``response_format`` bodies themselves are the core's (``kimi_core.chat.structured``). The
output parsers are imported on first use, so ``import langchain_kimi`` does not load them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from operator import itemgetter
from typing import TYPE_CHECKING, Any, Literal, Protocol

from langchain_core.utils.function_calling import convert_to_json_schema, convert_to_openai_tool
from langchain_core.utils.pydantic import is_basemodel_subclass

from kimi_core.integration import (
    JSON_OBJECT,
    InvalidParameterError,
    get_model_info,
    json_mode_format,
    json_schema_format,
)

if TYPE_CHECKING:
    from langchain_core.language_models import LanguageModelInput
    from langchain_core.messages import AIMessage
    from langchain_core.runnables import Runnable

    from ._tools import ToolLike

__all__ = [
    "Method",
    "default_method",
    "is_pydantic_class",
    "json_schema",
    "model_and_parser",
    "response_format",
    "with_raw",
]

Method = Literal["json_schema", "json_mode", "function_calling"]
Schema = Mapping[str, Any] | type


class ChatModel(Protocol):
    """What is used of ``ChatKimi`` here (its ``bind_tools`` takes any ``ToolLike``)."""

    def bind_tools(
        self, tools: Sequence[ToolLike], *, tool_choice: str | None = None, **kwargs: Any
    ) -> Runnable[LanguageModelInput, AIMessage]: ...

    def bind(self, **kwargs: Any) -> Runnable[LanguageModelInput, Any]: ...


def is_pydantic_class(schema: Any) -> bool:
    return isinstance(schema, type) and is_basemodel_subclass(schema)


def json_schema(schema: Schema) -> dict[str, Any]:
    return convert_to_json_schema(dict(schema) if isinstance(schema, Mapping) else schema)


def response_format(schema: Schema) -> dict[str, Any]:
    """A ``response_format`` given per call or to ``bind_tools``, as ChatOpenAI takes it: a
    ``response_format`` dict as is, a pydantic class, TypedDict or JSON schema as
    ``json_schema`` (which the core sends as JSON mode to models without it)."""
    if isinstance(schema, Mapping) and schema.get("type") in ("json_schema", "json_object", "text"):
        return dict(schema)
    return json_schema_format(json_schema(schema))


def default_method(model_name: str, schema: Schema | None) -> Method:
    """``json_schema`` where the model takes it (or is not in the catalog), else
    ``json_mode``; always ``json_mode`` without a schema."""
    info = get_model_info(model_name)
    method: Method = "json_schema" if info is None or info.json_schema else "json_mode"
    if schema is None:
        method = "json_mode"
    return method


def model_and_parser(
    model: ChatModel,
    schema: Schema | None,
    method: Method,
    strict: bool | None,
    kwargs: dict[str, Any],
) -> tuple[Runnable[LanguageModelInput, AIMessage], Runnable[Any, Any]]:
    """``model`` bound to ask for ``schema`` by ``method`` (``kwargs`` bound along), and the
    parser of its answer."""
    output_format: dict[str, Any] = {}
    if schema is not None:
        output_format = {
            "ls_structured_output_format": {"kwargs": {"method": method}, "schema": schema}
        }
    if method == "function_calling":
        return _forced_tool_call(model, schema, output_format, kwargs)
    if method in ("json_mode", "json_schema"):
        return _json_answer(model, schema, method, strict, output_format, kwargs)
    raise InvalidParameterError(
        f"unknown method {method!r}; use 'json_schema', 'json_mode' or 'function_calling'",
        param="method",
    )


def _forced_tool_call(
    model: ChatModel,
    schema: Schema | None,
    output_format: dict[str, Any],
    kwargs: dict[str, Any],
) -> tuple[Runnable[LanguageModelInput, AIMessage], Runnable[Any, Any]]:
    """``method="function_calling"``: a forced call of a tool built from ``schema``."""
    from langchain_core.output_parsers.openai_tools import (
        JsonOutputKeyToolsParser,
        PydanticToolsParser,
    )

    if schema is None:
        raise InvalidParameterError(
            "with_structured_output(method='function_calling') needs a schema",
            param="schema",
        )
    name = convert_to_openai_tool(schema)["function"]["name"]
    llm = model.bind_tools([schema], tool_choice=name, **output_format, **kwargs)
    parser: Runnable[Any, Any] = (
        PydanticToolsParser(tools=[schema], first_tool_only=True)
        if is_pydantic_class(schema)
        else JsonOutputKeyToolsParser(key_name=name, first_tool_only=True)
    )
    return llm, parser


def _json_answer(
    model: ChatModel,
    schema: Schema | None,
    method: Method,
    strict: bool | None,
    output_format: dict[str, Any],
    kwargs: dict[str, Any],
) -> tuple[Runnable[LanguageModelInput, AIMessage], Runnable[Any, Any]]:
    """``method="json_schema"`` / ``"json_mode"``: a ``response_format`` asking for JSON."""
    from langchain_core.output_parsers import JsonOutputParser, PydanticOutputParser

    if schema is None:
        if method == "json_schema":
            raise InvalidParameterError(
                "with_structured_output(method='json_schema') needs a schema",
                param="schema",
            )
        body: dict[str, Any] = dict(JSON_OBJECT)
    elif method == "json_mode":
        body = json_mode_format(json_schema(schema))
    else:
        body = json_schema_format(json_schema(schema), strict=strict)
    llm = model.bind(response_format=body, **output_format, **kwargs)
    parser: Runnable[Any, Any] = (
        PydanticOutputParser(pydantic_object=schema)
        if is_pydantic_class(schema)
        else JsonOutputParser()
    )
    return llm, parser


def with_raw(
    llm: Runnable[LanguageModelInput, AIMessage], parser: Runnable[Any, Any]
) -> Runnable[LanguageModelInput, dict[str, Any]]:
    """``include_raw=True``: ``{"raw", "parsed", "parsing_error"}``, a parsing error caught."""
    from langchain_core.runnables import RunnableMap, RunnablePassthrough

    parse = RunnablePassthrough.assign(
        parsed=itemgetter("raw") | parser, parsing_error=lambda _: None
    )
    no_parse = RunnablePassthrough.assign(parsed=lambda _: None)
    return RunnableMap(raw=llm) | parse.with_fallbacks([no_parse], exception_key="parsing_error")
