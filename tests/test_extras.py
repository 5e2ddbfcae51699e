"""A missing extra names the ``pip install`` to run (issue 26), and the LlamaIndex-style import
paths work."""

from __future__ import annotations

import subprocess
import sys

import pytest

_BLOCKED = (
    "import sys\n"
    "sys.modules[{blocked!r}] = None\n"
    "try:\n"
    "    import {package}\n"
    "except ModuleNotFoundError as exc:\n"
    "    print(exc)\n"
)


@pytest.mark.parametrize(
    ("package", "blocked", "message"),
    [
        (
            "langchain_kimi",
            "langchain_core",
            'langchain_kimi needs LangChain: pip install "kimi-integrations[langchain]"',
        ),
        (
            "llama_index_kimi",
            "llama_index.core",
            'llama_index_kimi needs LlamaIndex: pip install "kimi-integrations[llama-index]"',
        ),
    ],
)
def test_an_adapter_without_its_framework_names_the_extra(
    package: str, blocked: str, message: str
) -> None:
    done = subprocess.run(
        [sys.executable, "-c", _BLOCKED.format(blocked=blocked, package=package)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert done.stdout.strip() == message


def test_llama_index_style_import_paths() -> None:
    from llama_index.llms.kimi import Kimi, KimiTokenizer
    from llama_index.readers.kimi import KimiFileReader
    from llama_index.tools.kimi import KimiToolSpec

    import llama_index_kimi

    assert (Kimi, KimiTokenizer, KimiFileReader, KimiToolSpec) == (
        llama_index_kimi.Kimi,
        llama_index_kimi.KimiTokenizer,
        llama_index_kimi.KimiFileReader,
        llama_index_kimi.KimiToolSpec,
    )
    # llama_index.core is still the framework's own (no llama_index/__init__.py here).
    import llama_index.core

    assert "site-packages" in (llama_index.core.__file__ or "")
