"""Reading a 2xx answer: its JSON, a chat completion, and dropping httpx's body cycle."""

from __future__ import annotations

from typing import Any

import httpx
from pydantic import ValidationError

from ..errors import MalformedResponseError
from ..limits.limiter import rate_limit_headers
from ..types import ChatCompletion
from ..wire.error_body import error_from_body, request_id
from ..wire.json import loads as json_loads

__all__ = ["decode_json", "parse_completion", "without_stream_cycle"]


def decode_json(response: httpx.Response) -> Any:
    """The answer's JSON; an empty or non-JSON body is a ``MalformedResponseError``."""
    content = response.content
    if not content.strip():
        raise MalformedResponseError(
            f"empty {response.status_code} answer from {response.request.url.path}",
            request_id=request_id(response.headers),
        )
    try:
        return json_loads(content)
    except ValueError:
        raise MalformedResponseError(
            f"answer from {response.request.url.path} is not JSON "
            f"({response.headers.get('content-type', 'no content type')})",
            body=content[:500].decode("utf-8", "replace"),
            request_id=request_id(response.headers),
        ) from None


def parse_completion(response: httpx.Response) -> ChatCompletion:
    """A 2xx chat answer to a validated ``ChatCompletion``, or a typed error."""
    data = decode_json(response)
    if isinstance(data, dict) and "choices" not in data and "error" in data:
        # Some gateways answer 200 with an error body (AceData's {"success": false, ...}).
        raise error_from_body(response.headers, response.content)
    if not isinstance(data, dict):
        raise MalformedResponseError("chat answer is not a JSON object", body=str(data)[:500])
    try:
        completion = ChatCompletion.from_wire(data, rate_limit_headers(response.headers))
    except ValidationError as exc:
        raise MalformedResponseError(
            f"chat answer does not match the wire format: {exc.errors()[0]['msg']}",
            body=response.text[:500],
            request_id=request_id(response.headers),
        ) from None
    return completion


_READ = httpx.ByteStream(b"")


def without_stream_cycle(response: httpx.Response) -> httpx.Response:
    """Drop the read body stream: httpx's stream wrapper and the response point at each other,
    a cycle only the garbage collector frees (~46 objects a call). The content stays cached."""
    response.stream = _READ
    return response
