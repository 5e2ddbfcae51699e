"""Kimi (Moonshot AI) for LlamaIndex: the ``Kimi`` LLM and ``KimiFileReader``, on ``kimi_core``."""

from __future__ import annotations

from .base import Kimi
from .readers import KimiFileReader
from .tokenizer import KimiTokenizer

__all__ = ["Kimi", "KimiFileReader", "KimiTokenizer"]
