"""JSON both ways: the body of a request (compact UTF-8, a value JSON cannot carry named before
sending), and ``loads``, the one reader of JSON a server sent (nesting too deep for the parser
is a ``ValueError`` like any other unreadable JSON, never a ``RecursionError``)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ..errors import InvalidParameterError

__all__ = ["encode_json", "loads"]


def loads(data: str | bytes | bytearray) -> Any:
    """``json.loads``; JSON nested too deeply to parse (``RecursionError``) raises
    ``ValueError``, as any other JSON that cannot be read does, so every caller's
    ``except ValueError`` turns it into its typed error (``MalformedResponseError``)."""
    try:
        return json.loads(data)
    except RecursionError:
        raise ValueError("JSON nested too deeply to read") from None


def encode_json(payload: Mapping[str, Any]) -> bytes:
    """The JSON body; a value JSON cannot carry (NaN, a set, a datetime, a lone surrogate) is
    an ``InvalidParameterError`` naming the field, before anything is sent."""
    try:
        return json.dumps(
            payload, ensure_ascii=False, separators=(",", ":"), allow_nan=False
        ).encode()
    except (TypeError, ValueError) as exc:  # UnicodeEncodeError is a ValueError
        raise _unencodable(payload, exc) from None


def _unencodable(payload: Mapping[str, Any], exc: Exception) -> InvalidParameterError:
    for key, value in payload.items():
        try:
            json.dumps(value, ensure_ascii=False, allow_nan=False).encode()
        except (TypeError, ValueError) as field_exc:
            reason = (
                "a lone surrogate character (text that is not valid Unicode)"
                if isinstance(field_exc, UnicodeError)
                else str(field_exc)
            )
            return InvalidParameterError(f"{key} cannot be sent as JSON: {reason}", param=str(key))
    return InvalidParameterError(f"the request cannot be sent as JSON: {exc}")
