"""``from llama_index.llms.kimi import Kimi``: the LlamaIndex integration's usual import path
(as ``llama_index.llms.openai``), over ``llama_index_kimi``, which holds the implementation."""

from llama_index_kimi import Kimi, KimiTokenizer

__all__ = ["Kimi", "KimiTokenizer"]
