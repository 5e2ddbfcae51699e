"""The shape of the four packages (issue 22): small files, short functions, few flat core
modules, the old paths kept as warning shims, and no emulator behind ``import kimi_core``."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("kimi_core", "kimi_emulator", "langchain_kimi", "llama_index_kimi")
MAX_FILE_LINES = 700
MAX_FUNCTION_LINES = 60
# A function longer than that says why on a comment line starting with this, inside it.
LONG_REASON = "# long:"

SHIMS = {
    "kimi_core.tools": "kimi_core.chat.tools",
    "kimi_core.messages": "kimi_core.chat.messages",
    "kimi_core.token_estimate": "kimi_core.catalog.token_estimate",
    "kimi_core.ratelimit": "kimi_core.limits.limiter",
    "kimi_core.ratelimit_redis": "kimi_core.limits.redis_limiter",
    "kimi_core.batch_jsonl": "kimi_core.batch.jsonl",
    "kimi_core.cost": "kimi_core.catalog.prices",
    "kimi_core.emulator": "kimi_emulator",
}


def _sources() -> list[Path]:
    return sorted(path for package in PACKAGES for path in (ROOT / package).rglob("*.py"))


def test_no_file_over_700_lines() -> None:
    long = {
        str(path.relative_to(ROOT)): n
        for path in _sources()
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_FILE_LINES
    }
    assert long == {}


def test_no_function_over_60_lines_without_a_reason() -> None:
    found = []
    for path in _sources():
        text = path.read_text(encoding="utf-8")
        lines = text.splitlines()
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                body = lines[node.lineno - 1 : node.end_lineno]
                if length > MAX_FUNCTION_LINES and not any(
                    line.strip().startswith(LONG_REASON) for line in body
                ):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name} ({length})")
    assert found == []


def test_few_flat_modules_at_the_top_of_kimi_core() -> None:
    flat = sorted(p.name for p in (ROOT / "kimi_core").iterdir() if p.suffix in (".py", ".typed"))
    # errors, types, options, client, lifecycle, integration, _version, _fastpath, __init__,
    # py.typed, and the seven deprecation shims (kimi_core/emulator/ is a folder).
    assert len(flat) <= 20, flat
    layers = sorted(p.name for p in (ROOT / "kimi_core").iterdir() if (p / "__init__.py").is_file())
    assert layers == [
        "batch",
        "catalog",
        "chat",
        "emulator",
        "limits",
        "resources",
        "transport",
        "wire",
    ]


@pytest.mark.parametrize(("old", "new"), sorted(SHIMS.items()))
def test_an_old_path_still_works_and_warns_naming_the_new_one(old: str, new: str) -> None:
    if old == "kimi_core.ratelimit_redis":
        pytest.importorskip("redis")
    sys.modules.pop(old, None)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        module = importlib.import_module(old)
    messages = [str(w.message) for w in caught if issubclass(w.category, DeprecationWarning)]
    assert any(f"{old} moved to {new}" in message for message in messages), messages
    target = importlib.import_module(new)
    for name in target.__all__:
        assert getattr(module, name) is getattr(target, name)


def test_documented_names_through_old_paths() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from kimi_core.emulator import KimiEmulator, real_or_emulated
        from kimi_core.ratelimit import RateLimits
        from kimi_core.tools import WEB_SEARCH_TOOL

    import kimi_emulator
    from kimi_core.chat.tools import WEB_SEARCH_TOOL as new_tool
    from kimi_core.limits.limiter import RateLimits as new_limits

    assert KimiEmulator is kimi_emulator.KimiEmulator
    assert real_or_emulated is kimi_emulator.real_or_emulated
    assert RateLimits is new_limits
    assert WEB_SEARCH_TOOL is new_tool


def test_import_kimi_core_does_not_import_the_emulator() -> None:
    code = (
        "import sys, kimi_core, kimi_core.client, kimi_core.integration\n"
        "import langchain_kimi, llama_index_kimi\n"
        "print(sorted(m for m in sys.modules if m.startswith('kimi_emulator') "
        "or m in ('starlette', 'uvicorn')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert done.stdout.strip() == "[]"


def test_the_top_level_emulator_name_is_a_lazy_alias() -> None:
    import kimi_core
    import kimi_emulator

    assert kimi_core.KimiEmulator is kimi_emulator.KimiEmulator


@pytest.mark.parametrize("package", ["kimi_core", "langchain_kimi", "llama_index_kimi"])
def test_dir_lists_the_lazy_public_names(package: str) -> None:
    module = importlib.import_module(package)
    assert set(module.__all__) <= set(dir(module))
