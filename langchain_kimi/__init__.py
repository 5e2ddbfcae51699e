"""LangChain integration for Moonshot's Kimi models, on the shared ``kimi_core`` transport.

- ``ChatKimi``: the chat model (tools, ``$web_search``, thinking, JSON mode, partial mode).
- ``KimiFileLoader``: documents from Kimi's file extraction.
- ``get_kimi_callback``: total tokens and cost over a block of calls.
- ``KimiToolkit``: Moonshot's official tools (web search, fetch, date...) as LangChain tools.
- ``KimiWebToolkit``, ``KimiWebSearchTool``, ``KimiWebFetchTool``: Moonshot's tools API
  (search, search pro, fetch) as LangChain tools for any chat model.
"""

from __future__ import annotations

from importlib.util import find_spec
from typing import TYPE_CHECKING, Any

if find_spec("langchain_core") is None:  # the extra names what to install, not a raw error
    raise ModuleNotFoundError(
        'langchain_kimi needs LangChain: pip install "kimi-integrations[langchain]"',
        name="langchain_core",
    )

from .chat_models import ChatKimi

if TYPE_CHECKING:
    from .callbacks import KimiCallbackHandler, get_kimi_callback
    from .document_loaders import KimiFileLoader
    from .toolkits import KimiFormulaTool, KimiToolkit
    from .web_tools import KimiWebFetchTool, KimiWebSearchTool, KimiWebToolkit

__all__ = [
    "ChatKimi",
    "KimiCallbackHandler",
    "KimiFileLoader",
    "KimiFormulaTool",
    "KimiToolkit",
    "KimiWebFetchTool",
    "KimiWebSearchTool",
    "KimiWebToolkit",
    "get_kimi_callback",
]

_LAZY = {
    "KimiFileLoader": "document_loaders",
    "get_kimi_callback": "callbacks",
    "KimiCallbackHandler": "callbacks",
    "KimiToolkit": "toolkits",
    "KimiFormulaTool": "toolkits",
    "KimiWebToolkit": "web_tools",
    "KimiWebSearchTool": "web_tools",
    "KimiWebFetchTool": "web_tools",
}


def __getattr__(name: str) -> Any:
    # The loader, the callback and the toolkit are imported on first use: `import
    # langchain_kimi` stays as light as the chat model itself.
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'langchain_kimi' has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
