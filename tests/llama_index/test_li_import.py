"""``import llama_index_kimi`` stays light: no httpx (whose CLI drags in click/rich/pygments
when they are installed), no other framework, no server. Asserts on the modules loaded, not on
times; the clients, streams and Files API load on first use."""

from __future__ import annotations

import json
import subprocess
import sys

_PROBE = """
import json, sys
import llama_index_kimi
print(json.dumps(sorted(sys.modules)))
"""
FORBIDDEN_ROOTS = {
    "httpx",
    "httpcore",
    "langchain",
    "langchain_core",
    "langgraph",
    "starlette",
    "uvicorn",
    "openai",
}
# The kimi_core modules that import httpx.
FORBIDDEN_CORE = {
    "kimi_core.client",
    "kimi_core.transport.stream",
    "kimi_core.resources.files",
    "kimi_emulator",
}


def _modules(probe: str) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    return set(json.loads(done.stdout))


def _framework_modules() -> set[str]:
    """What LlamaIndex's own LLM base loads (older llama-index-core releases import httpx
    themselves): only what this package adds on top is its doing."""
    return _modules(
        _PROBE.replace(
            "import llama_index_kimi",
            "from llama_index.core.llms.function_calling import FunctionCallingLLM",
        )
    )


def test_import_loads_no_httpx_framework_or_server() -> None:
    modules = _modules(_PROBE)
    roots = {name.split(".")[0] for name in modules - _framework_modules()}
    assert "llama_index_kimi" in roots
    assert FORBIDDEN_ROOTS & roots == set()
    assert {name for name in modules if name.startswith("langchain")} == set()
    assert FORBIDDEN_CORE & modules == set()


def test_httpx_loads_on_first_use() -> None:
    """Building a ``Kimi`` needs no HTTP client; its first use builds one (and loads httpx)."""
    built = _modules(
        _PROBE.replace(
            "import llama_index_kimi",
            "import llama_index_kimi\nllama_index_kimi.Kimi(api_key='sk-import-probe')",
        )
    )
    assert {"httpx", "kimi_core.client"} & (built - _framework_modules()) == set()
    modules = _modules(
        _PROBE.replace(
            "import llama_index_kimi",
            "import llama_index_kimi\nllama_index_kimi.Kimi(api_key='sk-import-probe').client",
        )
    )
    assert {"httpx", "kimi_core.client"} <= modules
