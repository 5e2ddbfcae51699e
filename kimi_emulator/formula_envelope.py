"""Web search's protected result: Moonshot's encrypted envelope, played deterministically.

Its own module because two sides use it: the ``web_search`` formula writes the envelope
(:mod:`formula_runs`) and the emulator's chat model reads it back (:mod:`replies`), as the real
model reads a result that returns unchanged in a tool message. The envelope is the real
markers around ``<base64>.<digest>``; any change to the blob makes it unreadable.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from typing import Any
from urllib.parse import quote

__all__ = ["ENCRYPTED_BEGIN", "ENCRYPTED_END", "decrypt", "encrypt", "search_results"]

ENCRYPTED_BEGIN = "----MOONSHOT ENCRYPTED BEGIN----"
ENCRYPTED_END = "----MOONSHOT ENCRYPTED END----"


def search_results(query: str) -> dict[str, Any]:
    """The fixed search results for ``query`` (what ``web_search`` encrypts)."""
    q = quote(query)
    return {
        "query": query,
        "results": [
            {
                "title": f"Kimi emulator search result 1 for {query}",
                "url": f"https://example.com/search/1?q={q}",
                "snippet": "A fixed result: the emulator never searches the web.",
            },
            {
                "title": f"Kimi emulator search result 2 for {query}",
                "url": f"https://example.com/search/2?q={q}",
                "snippet": "Same query, same results, every time.",
            },
        ],
    }


def _digest(text: str) -> str:
    return hashlib.sha256(b"kimi-emulator:" + text.encode("utf-8")).hexdigest()[:24]


def encrypt(text: str) -> str:
    """The emulator's stand-in for Moonshot's encrypted envelope: the text in base64 and a
    digest of it, inside the real markers."""
    payload = base64.b64encode(text.encode("utf-8")).decode("ascii")
    return f"{ENCRYPTED_BEGIN}{payload}.{_digest(text)}{ENCRYPTED_END}"


def decrypt(content: Any) -> str | None:
    """The plain text of an envelope made by :func:`encrypt`, or None: any change to the
    blob, even one byte, makes it unreadable (the digest no longer matches)."""
    if not (
        isinstance(content, str)
        and content.startswith(ENCRYPTED_BEGIN)
        and content.endswith(ENCRYPTED_END)
    ):
        return None
    payload, _, digest = content[len(ENCRYPTED_BEGIN) : -len(ENCRYPTED_END)].rpartition(".")
    try:
        text = base64.b64decode(payload, validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return None
    return text if digest == _digest(text) else None
