"""JSON mode for structured output: tell the model the schema, then check the answer.

Kimi's ``response_format: {"type": "json_object"}`` guarantees a JSON object but takes no
schema (``docs/kimi-api/chat.md``, "JSON mode": describe the fields in the prompt), so the
schema goes into a system message written here once for both adapters. The adapters ask with
OpenAI's shape (``json_schema_format``); ``kimi_core.chat.request`` turns it into JSON mode.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ..errors import MalformedResponseError
from ..wire.json import loads as json_loads

__all__ = [
    "JSON_OBJECT",
    "json_mode_format",
    "json_schema_format",
    "json_schema_instruction",
    "parse_json_object",
]

JSON_OBJECT: dict[str, str] = {"type": "json_object"}


def json_schema_format(
    schema: Mapping[str, Any], name: str | None = None, *, strict: bool | None = None
) -> dict[str, Any]:
    """A ``response_format`` asking for one object matching ``schema`` (OpenAI's shape, which
    Kimi's json_schema models take as is: ``docs/kimi-api/models.md`` §5)."""
    title = name or schema.get("title") or "answer"
    spec: dict[str, Any] = {"name": title, "schema": dict(schema)}
    if strict is not None:
        spec["strict"] = strict
    return {"type": "json_schema", "json_schema": spec}


def json_mode_format(schema: Mapping[str, Any], name: str | None = None) -> dict[str, Any]:
    """JSON mode with a schema: ``{"type": "json_object", "json_schema": {...}}``, which
    ``kimi_core.chat.request`` sends as ``json_object`` with the schema in a system message on any
    model (the ``json_schema`` key never reaches the wire)."""
    title = name or schema.get("title") or "answer"
    return {"type": "json_object", "json_schema": {"name": title, "schema": dict(schema)}}


def json_schema_instruction(schema: Mapping[str, Any], name: str | None = None) -> str:
    """The system-message text asking for one JSON object matching ``schema``."""
    title = name or schema.get("title") or "the answer"
    return (
        f"Reply with a single JSON object for {title} that conforms to this JSON schema. "
        "Output only the JSON object, with no prose and no code fences.\n"
        f"JSON schema:\n{json.dumps(schema, ensure_ascii=False)}"
    )


def parse_json_object(text: str) -> dict[str, Any]:
    """Parse a JSON-mode answer; tolerate surrounding whitespace and a ```json fence."""
    stripped = text.strip()
    if stripped.startswith("```"):
        stripped = stripped.strip("`")
        if stripped[:4].lower() == "json":
            stripped = stripped[4:]
        stripped = stripped.strip()
    try:
        value = json_loads(stripped)
    except ValueError as exc:
        raise MalformedResponseError(
            f"JSON mode answer is not valid JSON: {exc}", body=text[:500]
        ) from None
    if not isinstance(value, dict):
        raise MalformedResponseError("JSON mode answer is not a JSON object", body=text[:500])
    return value
