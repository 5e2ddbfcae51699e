"""Ids that go into a URL path (file ids, model ids) are confined to one path segment.

httpx resolves dot segments (``/files/..`` is ``/``), and ``/``, ``?``, ``#`` or ``%`` in an
id would address another resource than the one named: ``files.delete("..")`` must not send
``DELETE /v1``. Such ids are refused before anything is sent; everything else is
percent-encoded.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from ..errors import InvalidParameterError

__all__ = ["page_params", "path_segment"]

_FORBIDDEN = frozenset("/\\?#%")


def path_segment(value: Any, *, param: str, what: str) -> str:
    """``value`` as one encoded URL path segment, or an ``InvalidParameterError``."""
    if (
        not isinstance(value, str)
        or value in ("", ".", "..")
        or any(char in _FORBIDDEN or char.isspace() or not char.isprintable() for char in value)
    ):
        raise InvalidParameterError(
            f"invalid {what} {value!r}: it must be one URL path segment (not empty, '.' or "
            "'..'; no '/', '\\', '?', '#', '%', whitespace or control characters)",
            param=param,
        )
    return quote(value, safe="")


def page_params(after: str | None, limit: int | None, *, what: str) -> dict[str, Any]:
    """The query of one list page: ``after`` (the last ``what`` of the previous page, a path
    segment's rules) and ``limit`` (a positive integer), each only when given."""
    params: dict[str, Any] = {}
    if after is not None:
        params["after"] = path_segment(after, param="after", what=what)
    if limit is not None:
        if isinstance(limit, bool) or not isinstance(limit, int) or not limit >= 1:
            raise InvalidParameterError(
                f"limit must be a positive integer, got {limit!r}", param="limit"
            )
        params["limit"] = limit
    return params
