"""Kimi's token counts where LlamaIndex asks for a tokenizer.

LlamaIndex takes a tokenizer as ``Callable[[str], list]`` and only ever reads the list's
length (``TokenCountingHandler``, ``Settings.tokenizer``, the splitters), for pieces of text,
not chat messages. ``KimiTokenizer`` answers with a list of that many placeholder ids, counted
by the core's ``count_text``: the text itself, without a chat message's overhead (Kimi's
count of a user message holding the text, less an empty message's; ``""`` is 0), from Kimi's
endpoint once per distinct text (cached), the offline estimate when it cannot be reached, or
always with ``offline=True`` — which text splitters want, since they count every candidate
piece (docs/guides/framework-notes.md, "Token counting").
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kimi_core.integration import KimiClient

__all__ = ["KimiTokenizer"]


class KimiTokenizer:
    """``tokenizer(text)`` → a list as long as Kimi's count of ``text`` (module docstring)."""

    __slots__ = ("_client", "model", "offline")

    def __init__(self, client: KimiClient, model: str, *, offline: bool = False) -> None:
        self._client = client
        self.model = model
        self.offline = offline

    def __call__(self, text: str) -> list[int]:
        return list(range(self._client.count_text(self.model, text, offline=self.offline)))

    def __repr__(self) -> str:
        return f"KimiTokenizer(model={self.model!r}, offline={self.offline})"
