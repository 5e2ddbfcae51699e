"""What to tell a user whose request failed in a way with a known cause: one line added to
the typed error's message, naming what to change.

The rules behind them are ones the server judges (their limits have moved before, so the
request is sent and the answer explained rather than refused locally): a retired model
(404), a base URL without ``/v1`` (404), a key from the other Moonshot platform (401), a tool
name, a fixed sampling value, a forced tool choice under thinking, a schema outside Moonshot's
dialect, a ``thinking`` field sent to a model that takes ``reasoning_effort`` (a model
switched for a retired one; ``docs/kimi-api/errors-and-limits.md``, "Hints").
"""

from __future__ import annotations

from urllib.parse import urlsplit

from ..catalog.hosts import HostProfile
from ..catalog.model_info import retirement_hint
from ..errors import APIStatusError, AuthenticationError, BadRequestError, NotFoundError

__all__ = ["hint_for"]

_BAD_REQUEST_HINTS = (
    (
        ("function.name", "tool name", "function name"),
        "Kimi's documented tool-name rule: a letter or _ first, then letters, digits, - and _, "
        "at most 128 characters (platform.kimi.ai, 2026-09)",
    ),
    (
        ("only 1 is allowed", "only 0.6 is allowed", "only 0.95 is allowed"),
        "this model fixes the value: leave it unset (the package drops it unless "
        "strict_sampling=True)",
    ),
    (
        ("incompatible with thinking",),
        "a forced tool_choice needs thinking off on this model (thinking=False), or "
        "tool_choice='auto'",
    ),
    (
        ("moonshot flavored json schema",),
        "the schema breaks a rule of Moonshot's schema dialect that the package could not "
        "rewrite (docs/kimi-api/schemas.md)",
    ),
)


def hint_for(
    error: APIStatusError, model: str | None, base_url: str, host: HostProfile
) -> str | None:
    """The hint for ``error`` (module docstring), or None."""
    message = error.message.lower()
    if isinstance(error, NotFoundError):
        # A base URL without /v1 explains any 404, whatever the model: said first.
        if host.platform and not urlsplit(base_url).path.rstrip("/").endswith("/v1"):
            return f"the base URL {base_url!r} does not end in /v1, where Kimi's API lives"
        return retirement_hint(model) if model is not None else None
    if isinstance(error, AuthenticationError) and host.catalog_prices:
        other = "moonshot-global" if host.name == "moonshot-cn" else "moonshot-cn"
        return (
            f"the key was refused by {base_url}; keys from platform.moonshot.ai / "
            "platform.kimi.ai work on https://api.moonshot.ai/v1 and keys from "
            "platform.moonshot.cn on https://api.moonshot.cn/v1: try "
            f"gateway={other!r} if yours comes from the other platform"
        )
    if isinstance(error, BadRequestError):
        for markers, hint in _BAD_REQUEST_HINTS:
            if any(marker in message for marker in markers):
                return hint
        if "thinking" in message and model in ("kimi-k2.6", "kimi-k2.7-code"):
            return (
                f"{model} may have been switched to kimi-k3, which takes reasoning_effort "
                "instead of thinking: pass model='kimi-k3' and reasoning_effort"
            )
    return None
