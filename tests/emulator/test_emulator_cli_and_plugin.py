"""The CLI, the pytest plugin and the emulator's lifecycle."""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from importlib.metadata import entry_points
from pathlib import Path

import httpx
import openai
import pytest

from kimi_emulator import KimiEmulator

HELLO = [{"role": "user", "content": "Hello"}]


@pytest.mark.parametrize(
    ("args", "suffix"),
    [
        (["--dialect", "moonshot"], "/v1"),
        (["--dialect", "cloudsway", "--endpoint-path", "kimi-k2.6"], "/v1/ai/kimi-k2.6"),
    ],
)
def test_cli_serves_until_terminated(args: list[str], suffix: str) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "kimi_emulator", "--port", "0", "--api-key", "sk-cli", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        dialect = args[1]
        match = re.fullmatch(
            rf"Kimi emulator \({dialect}\) listening on (http://127\.0\.0\.1:\d+{re.escape(suffix)})\n",
            line,
        )
        assert match, line
        base_url = match.group(1)
        with openai.OpenAI(api_key="sk-cli", base_url=base_url, max_retries=0) as sdk:
            reply = sdk.chat.completions.create(model="kimi-k2.6", messages=HELLO)  # type: ignore[arg-type]
        assert reply.choices[0].message.content == "You said: Hello"
        assert httpx.get(base_url + "/models").status_code == 401  # --api-key is enforced
    finally:
        process.terminate()
        out, err = process.communicate(timeout=10)
    assert process.returncode == 0, err
    assert "sk-cli" not in out + err
    assert out.strip().endswith("Kimi emulator stopped.")


def test_cli_help() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "kimi_emulator", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "--dialect {moonshot,acedata,cloudsway}" in result.stdout


def test_plugin_is_registered_and_light() -> None:
    plugins = {e.name: e.value for e in entry_points(group="pytest11")}
    assert plugins["kimi_emulator"] == "kimi_emulator.pytest_plugin"
    code = (
        "import sys, kimi_emulator.pytest_plugin, kimi_emulator;"
        "heavy = {'starlette', 'uvicorn', 'pypdf', 'multipart'} & set(sys.modules);"
        "assert not heavy, heavy"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_kimi_emulator_fixture(kimi_emulator: KimiEmulator) -> None:
    assert kimi_emulator.dialect == "moonshot"
    assert kimi_emulator.running
    assert kimi_emulator.requests == []  # reset for this test
    kimi_emulator.script("from the fixture")
    with openai.OpenAI(api_key="sk-x", base_url=kimi_emulator.base_url) as sdk:
        reply = sdk.chat.completions.create(model="kimi-k2.6", messages=HELLO)  # type: ignore[arg-type]
    assert reply.choices[0].message.content == "from the fixture"


def test_kimi_emulator_fixture_is_reset(kimi_emulator: KimiEmulator) -> None:
    assert kimi_emulator.requests == []


def test_factory_fixture(kimi_emulator_factory: Callable[..., KimiEmulator]) -> None:
    first = kimi_emulator_factory()
    second = kimi_emulator_factory("acedata", api_key="sk-a")
    assert first.port != second.port
    assert second.base_url == f"http://127.0.0.1:{second.port}/kimi"
    assert first.running
    assert second.running


def test_lifecycle_is_fast_and_clean() -> None:
    started = time.perf_counter()
    emu = KimiEmulator("acedata")
    port = emu.port
    client = httpx.Client(timeout=60)
    with emu:
        assert emu.running
        # A request still being answered does not hold up the shutdown.
        emu.delay_next(30)
        body = {"model": "kimi-k2.6", "messages": HELLO}
        worker = threading.Thread(
            target=_swallow,
            args=(lambda: client.post(emu.base_url + "/chat/completions", json=body),),
        )
        worker.start()
        while not emu.requests:
            time.sleep(0.01)
    worker.join(5)
    client.close()
    assert not worker.is_alive()
    assert not emu.running
    assert time.perf_counter() - started < 2.0
    with pytest.raises(RuntimeError, match="cannot be restarted"):
        emu.start()
    KimiEmulator(port=port).stop()  # the port is free again


def _swallow(call: Callable[[], object]) -> None:
    with contextlib.suppress(httpx.HTTPError):
        call()


def test_bad_dialect() -> None:
    with pytest.raises(ValueError, match="unknown dialect 'openai'"):
        KimiEmulator("openai")  # type: ignore[arg-type]


# -- without the emulator extra ----------------------------------------------------------------

# A child interpreter where some modules cannot be imported (as if the extra were not
# installed): ``sys.modules[name] = None`` makes ``import name`` fail and ``find_spec`` miss it,
# before pytest or the package loads anything.
BLOCK = "import sys\nfor name in {blocked!r}:\n    sys.modules[name] = None\n"
INSTALL = 'pip install "kimi-integrations[emulator]"'
HEAVY = ("starlette", "uvicorn", "pypdf", "multipart", "python_multipart")


def _fixtures_listed(blocked: tuple[str, ...], folder: Path) -> tuple[set[str], list[str]]:
    """The kimi_emulator fixtures a child pytest lists (``--fixtures``) and the emulator's
    modules it imported, with ``blocked`` unimportable."""
    (folder / "pytest.ini").write_text("[pytest]\n")  # not this repository's configuration
    # Only this plugin, loaded as its entry point loads it (other plugins make startup slow).
    args = ["-p", "kimi_emulator.pytest_plugin", "-p", "no:cacheprovider", "--fixtures", "-q"]
    code = BLOCK.format(blocked=blocked) + (
        "import pytest\n"
        f"code = pytest.main({args!r})\n"
        "loaded = [m for m, v in sys.modules.items() if v is not None]\n"
        f"heavy = sorted(m for m in loaded if m.split('.')[0] in {HEAVY!r})\n"
        "mine = sorted(m for m in loaded if m.startswith(('kimi_emulator', 'kimi_core')))\n"
        "print('MODULES', heavy, mine)\n"
        "sys.exit(code)\n"
    )
    env = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    names = set(re.findall(r"^(kimi_emulator\w*) -- ", done.stdout, re.M))
    return names, done.stdout.strip().splitlines()[-1].split(" ", 1)[1:]


def test_plugin_registers_the_fixtures_only_with_the_extra(tmp_path: Path) -> None:
    with_extra, _ = _fixtures_listed((), tmp_path)
    assert with_extra == {"kimi_emulator", "kimi_emulator_factory"}

    without, modules = _fixtures_listed(("uvicorn",), tmp_path)
    assert without == set()
    # Nothing heavy, and of the package only the plugin and its check.
    expected = ["[]", "['kimi_emulator', 'kimi_emulator.extra', 'kimi_emulator.pytest_plugin']"]
    assert modules == [" ".join(expected)]


@pytest.mark.parametrize("blocked", [("uvicorn",), ("starlette",), ("starlette", "uvicorn")])
def test_using_the_emulator_without_the_extra_names_the_pip_command(
    blocked: tuple[str, ...],
) -> None:
    code = BLOCK.format(blocked=blocked) + (
        "import kimi_emulator, kimi_core\n"  # importing the packages still works
        "for package in (kimi_emulator, kimi_core):\n"
        "    try:\n"
        "        package.KimiEmulator\n"
        "    except ImportError as exc:\n"
        "        print(type(exc).__name__, exc.name, exc)\n"
        "    else:\n"
        "        print('imported')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 2, done.stdout
    for line in lines:
        kind, name, message = line.split(" ", 2)
        assert kind == "ModuleNotFoundError"
        assert name.split(".")[0] in blocked
        assert message == (
            f"the Kimi emulator needs the emulator extra ({name.split('.')[0]} is not "
            f"installed): {INSTALL}"
        )


def test_the_cli_without_the_extra_names_the_pip_command() -> None:
    code = BLOCK.format(blocked=("uvicorn",)) + (
        "import runpy\n"
        "sys.argv = ['kimi_emulator', '--port', '0']\n"
        "runpy.run_module('kimi_emulator', run_name='__main__')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr.strip() == (
        f"error: the Kimi emulator needs the emulator extra (uvicorn is not installed): {INSTALL}"
    )


# -- python -m ---------------------------------------------------------------------------------


@pytest.mark.parametrize("module", ["kimi_emulator", "kimi_core.emulator"])
def test_python_dash_m_starts_the_emulator(module: str) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", module, "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        match = re.fullmatch(
            r"Kimi emulator \(moonshot\) listening on (http://127\.0\.0\.1:\d+/v1)\n", line
        )
        assert match, line
        response = httpx.get(match.group(1) + "/models", timeout=10)
        assert response.status_code == 200
        assert response.json()["object"] == "list"
    finally:
        process.terminate()
        out, err = process.communicate(timeout=10)
    assert process.returncode == 0, err
    assert out.strip().endswith("Kimi emulator stopped.")
