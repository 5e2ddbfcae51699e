"""``from llama_index.tools.kimi import KimiToolSpec``: the usual tool-spec import path, over
``llama_index_kimi``."""

from llama_index_kimi import KimiToolSpec

__all__ = ["KimiToolSpec"]
