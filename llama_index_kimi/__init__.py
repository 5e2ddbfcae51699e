"""Kimi (Moonshot AI) for LlamaIndex: the ``Kimi`` LLM, ``KimiFileReader``, ``KimiToolSpec``
(Moonshot's official tools) and ``KimiWebToolSpec`` (its tools API: search, fetch), on
``kimi_core``."""

from __future__ import annotations

from importlib.util import find_spec
from typing import TYPE_CHECKING, Any

if find_spec("llama_index.core") is None:  # the extra names what to install, not a raw error
    raise ModuleNotFoundError(
        'llama_index_kimi needs LlamaIndex: pip install "kimi-integrations[llama-index]"',
        name="llama_index.core",
    )

from .base import Kimi
from .readers import KimiFileReader
from .tokenizer import KimiTokenizer

if TYPE_CHECKING:
    from .tools import KimiToolSpec
    from .web_tools import KimiWebToolSpec

__all__ = ["Kimi", "KimiFileReader", "KimiTokenizer", "KimiToolSpec", "KimiWebToolSpec"]


def __getattr__(name: str) -> Any:
    # The tool spec is imported on first use: `import llama_index_kimi` stays as light.
    if name == "KimiToolSpec":
        from .tools import KimiToolSpec

        globals()[name] = KimiToolSpec
        return KimiToolSpec
    if name == "KimiWebToolSpec":
        from .web_tools import KimiWebToolSpec

        globals()[name] = KimiWebToolSpec
        return KimiWebToolSpec
    raise AttributeError(f"module 'llama_index_kimi' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
