"""The error a chat request the real API refuses gets: its status, Moonshot error type and
message.

Its own module because the request checks are split by concern (:mod:`validation`,
:mod:`tool_checks`) and both raise it; the routes (:mod:`app`, :mod:`batches`) turn it into
an error body.
"""

from __future__ import annotations

from typing import Any

__all__ = ["RequestError", "bad_request"]


class RequestError(Exception):
    """A request the API rejects: ``status``, Moonshot error ``type`` and ``message``.

    ``body``: the exact error body to send instead of the dialect's (a host error whose
    shape is its own, e.g. OpenRouter's provider error or a FastAPI ``detail`` list)."""

    def __init__(self, status: int, type_: str, message: str, body: Any = None) -> None:
        super().__init__(message)
        self.status = status
        self.type = type_
        self.message = message
        self.body = body


def bad_request(message: str) -> RequestError:
    """A 400 ``invalid_request_error`` with ``message``."""
    return RequestError(400, "invalid_request_error", message)
