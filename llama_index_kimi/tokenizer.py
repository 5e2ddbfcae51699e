"""Kimi's token counts where LlamaIndex asks for a tokenizer.

LlamaIndex takes a tokenizer as ``Callable[[str], list]`` and only ever reads the list's
length (``TokenCountingHandler``, ``Settings.tokenizer``, the splitters). ``KimiTokenizer``
answers with a list of that many placeholder ids, counted by the core's ``count_tokens``:
Kimi's endpoint once per distinct text (cached), the offline estimate when it cannot be
reached, or always with ``offline=True`` — which text splitters want, since they count every
candidate piece (README, "Token counting").
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kimi_core.integration import KimiClient

__all__ = ["KimiTokenizer"]


class KimiTokenizer:
    """``tokenizer(text)`` → a list as long as Kimi's count of ``text`` as one user message."""

    __slots__ = ("_client", "model", "offline")

    def __init__(self, client: KimiClient, model: str, *, offline: bool = False) -> None:
        self._client = client
        self.model = model
        self.offline = offline

    def __call__(self, text: str) -> list[int]:
        count = self._client.count_tokens(
            self.model, [{"role": "user", "content": text}], offline=self.offline
        )
        return list(range(count))

    def __repr__(self) -> str:
        return f"KimiTokenizer(model={self.model!r}, offline={self.offline})"
