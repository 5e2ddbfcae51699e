"""Message content parts Kimi accepts: text and images (base64 data URLs or ``ms://`` ids).

``docs/kimi-api/files.md`` ("Images and video in messages"): base64 data URLs or
``ms://<file_id>``; plain http image URLs are not fetched, so a remote URL is rejected here,
before any request.
"""

from __future__ import annotations

import base64
from typing import Any

from .errors import InvalidParameterError

__all__ = ["image_part", "image_url_from_base64", "text_part"]


def text_part(text: str) -> dict[str, Any]:
    return {"type": "text", "text": text}


def image_url_from_base64(data: str | bytes, mime_type: str = "image/png") -> str:
    if isinstance(data, bytes):
        data = base64.b64encode(data).decode()
    return f"data:{mime_type};base64,{data}"


def image_part(url: str) -> dict[str, Any]:
    """An ``image_url`` part; accepts ``data:`` URLs and ``ms://`` file ids only."""
    if not (url.startswith("data:") or url.startswith("ms://")):
        raise InvalidParameterError(
            "Kimi takes images as base64 data URLs or ms://<file_id> (upload with purpose "
            f"'image'); plain URLs are not supported: {url[:80]!r}",
            param="image_url",
        )
    return {"type": "image_url", "image_url": {"url": url}}
