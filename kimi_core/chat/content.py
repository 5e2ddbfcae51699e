"""Message content parts Kimi accepts: text, images and video (base64 data URLs or ``ms://``
file ids).

``docs/kimi-api/files.md`` ("Images and video in messages"): base64 data URLs or
``ms://<file_id>``; plain http image URLs are not fetched, so a remote URL is rejected here,
before any request.
"""

from __future__ import annotations

import base64
from typing import Any

from ..errors import InvalidParameterError

__all__ = [
    "image_part",
    "image_url_from_base64",
    "media_url_from_base64",
    "text_part",
    "video_part",
]


def text_part(text: str) -> dict[str, Any]:
    return {"type": "text", "text": text}


def media_url_from_base64(data: str | bytes, mime_type: str) -> str:
    """A ``data:`` URL of base64 data (bytes are encoded first)."""
    if isinstance(data, bytes):
        data = base64.b64encode(data).decode()
    return f"data:{mime_type};base64,{data}"


def image_url_from_base64(data: str | bytes, mime_type: str = "image/png") -> str:
    return media_url_from_base64(data, mime_type)


def image_part(url: str) -> dict[str, Any]:
    """An ``image_url`` part; accepts ``data:`` URLs and ``ms://`` file ids only."""
    if not (url.startswith("data:") or url.startswith("ms://")):
        raise InvalidParameterError(
            "Kimi takes images as base64 data URLs or ms://<file_id> (upload with purpose "
            f"'image'); plain URLs are not supported: {url[:80]!r}",
            param="image_url",
        )
    return {"type": "image_url", "image_url": {"url": url}}


def video_part(url: str) -> dict[str, Any]:
    """A ``video_url`` part: an ``ms://<file_id>`` of a video uploaded with
    ``files.upload(..., purpose="video")``, or a base64 ``data:`` URL
    (``docs/kimi-api/models.md`` §8); other URLs are not fetched by Kimi."""
    if not (url.startswith("data:") or url.startswith("ms://")):
        raise InvalidParameterError(
            "Kimi takes video as ms://<file_id> (upload with purpose 'video') or a base64 data "
            f"URL; plain URLs are not supported: {url[:80]!r}",
            param="video_url",
        )
    return {"type": "video_url", "video_url": {"url": url}}
