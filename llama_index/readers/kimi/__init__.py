"""``from llama_index.readers.kimi import KimiFileReader``: the usual reader import path, over
``llama_index_kimi``."""

from llama_index_kimi import KimiFileReader

__all__ = ["KimiFileReader"]
