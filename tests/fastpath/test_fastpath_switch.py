"""The fenced shortcuts into framework internals: each guard holds with the installed
libraries, one switch (``KIMI_FASTPATH=0``) turns every one off, and the adapter suites pass
either way.

If ``test_every_shortcut_is_active_with_the_installed_libraries`` fails after an upgrade, a
guard found a shape it was not written for and fell back to the public path: review that
shortcut in its ``_fastpath`` module (and its timing in ``benchmarks/README.md``) before
re-enabling it for the new version.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
_STATUS = (
    "import json\n"
    "from kimi_core import _fastpath as core\n"
    "from langchain_kimi import _fastpath as lc\n"
    "from llama_index_kimi import _fastpath as li\n"
    "print(json.dumps({'core': core.status(), 'langchain': lc.status(), "
    "'llama_index': li.status()}))\n"
)


def _status(**env: str) -> dict[str, dict[str, bool]]:
    done = subprocess.run(
        [sys.executable, "-c", _STATUS],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        env={**os.environ, **env},
    )
    result: dict[str, dict[str, bool]] = json.loads(done.stdout)
    return result


@pytest.mark.fastpath
def test_every_shortcut_is_active_with_the_installed_libraries() -> None:
    if os.environ.get("KIMI_LOWER_BOUNDS"):
        # .ci/lower-bounds: the shortcuts are written for the newest releases; on the oldest
        # allowed ones the guards turn some off, and the run shows the suite passes without.
        pytest.skip("the oldest allowed releases: guards may refuse shortcuts")
    status = _status()
    versions = {
        name: version(name)
        for name in ("pydantic", "httpcore", "langchain-core", "llama-index-core")
    }
    inactive = [
        f"{p}.{n}" for p, shortcuts in status.items() for n, on in shortcuts.items() if not on
    ]
    assert inactive == [], f"guards refused these shortcuts with {versions}"
    assert set(status["core"]) == {"private_dict", "unvalidated_build", "connection_pool"}
    assert set(status["langchain"]) == {
        "unvalidated_chunks",
        "cached_signatures",
        "invocation_params",
        "chat_model_binding",
    }
    assert set(status["llama_index"]) == {
        "unvalidated_responses",
        "cached_span_signatures",
        "cached_metadata",
    }


@pytest.mark.parametrize("value", ["0", "off", "false"])
def test_the_switch_turns_every_shortcut_off(value: str) -> None:
    status = _status(KIMI_FASTPATH=value)
    assert {p: set(s.values()) for p, s in status.items()} == {
        "core": {False},
        "langchain": {False},
        "llama_index": {False},
    }


def test_the_switch_leaves_langchain_and_llama_index_public_paths(tmp_path: Path) -> None:
    """With the switch off nothing of ours is patched into the frameworks' objects."""
    probe = (
        "import inspect, json\n"
        "from langchain_core.language_models import BaseChatModel\n"
        "from langchain_kimi import ChatKimi\n"
        "from llama_index_kimi import Kimi\n"
        "print(json.dumps({\n"
        "  'invocation': ChatKimi._get_invocation_params is BaseChatModel._get_invocation_params,\n"
        "  'signature': '__signature__' in vars(ChatKimi._generate),\n"
        "  'span': '__signature__' in vars(Kimi.chat.__wrapped__),\n"
        "}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        env={**os.environ, "KIMI_FASTPATH": "0"},
    )
    assert json.loads(done.stdout) == {"invocation": True, "signature": False, "span": False}


@pytest.mark.fastpath
def test_adapter_suites_pass_with_the_fast_paths_off() -> None:
    """The public path gives the same results: every adapter test passes with the switch off
    (the tests of a shortcut itself are skipped there)."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "tests/langchain",
            "tests/llama_index",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "KIMI_FASTPATH": "0"},
    )
    summary = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert re.search(r"\b\d+ passed\b", summary)
    assert not re.search(r"\b\d+ (failed|errors?)\b", summary)
