"""Token log probabilities, when a request asks for them (``logprobs: true``, and
``top_logprobs: 0..20``), in OpenAI's shape, which Moonshot's OpenAPI spec follows:
``choices[i].logprobs = {"content": [{"token", "logprob", "bytes", "top_logprobs": [...]}]}``;
streamed, each content chunk's choice carries the entries of its own piece.

Deterministic: the tokens are the pieces the stream sends (``wire.split_text``: one per word,
whitespace kept), token ``i`` has ``logprob = -0.01 * (i % 10)``, and its top alternatives are
the token itself then ``<alt1>``, ``<alt2>``... at ``logprob - k``. Without
``top_logprobs`` (or 0) each entry's ``top_logprobs`` is ``[]``. A bad ``top_logprobs`` (not
an integer in 0..20) is a 400; ``top_logprobs`` without ``logprobs: true`` too, as OpenAI
documents it ("logprobs must be set to true if this parameter is used"; assumed for Moonshot).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .errors import bad_request

__all__ = ["MAX_TOP_LOGPROBS", "logprobs_of", "token_logprobs"]

MAX_TOP_LOGPROBS = 20


def logprobs_of(body: Mapping[str, Any]) -> int | None:
    """How many alternatives per token the request asks for (0: only the tokens), or None
    when it asks for no log probabilities; a 400 for a bad value."""
    wanted = body.get("logprobs")
    top = body.get("top_logprobs")
    if wanted is not None and not isinstance(wanted, bool):
        raise bad_request("Invalid request: logprobs must be a boolean")
    if top is not None and (
        isinstance(top, bool) or not isinstance(top, int) or not 0 <= top <= MAX_TOP_LOGPROBS
    ):
        raise bad_request(
            f"Invalid request: top_logprobs must be an integer in [0, {MAX_TOP_LOGPROBS}]"
        )
    if top is not None and not wanted:
        raise bad_request("Invalid request: logprobs must be true when top_logprobs is set")
    return (top or 0) if wanted else None


def _entry(token: str, logprob: float) -> dict[str, Any]:
    return {"token": token, "logprob": logprob, "bytes": list(token.encode("utf-8"))}


def token_logprobs(pieces: list[str], top: int, start: int = 0) -> list[dict[str, Any]]:
    """The ``logprobs.content`` entries of ``pieces`` (tokens ``start``, ``start + 1``...)."""
    entries = []
    for offset, token in enumerate(pieces):
        logprob = round(-0.01 * ((start + offset) % 10), 2) + 0.0  # never -0.0
        alternatives = [_entry(token, logprob)]
        alternatives += [_entry(f"<alt{k}>", round(logprob - k, 2)) for k in range(1, top)]
        entries.append({**_entry(token, logprob), "top_logprobs": alternatives[:top]})
    return entries
