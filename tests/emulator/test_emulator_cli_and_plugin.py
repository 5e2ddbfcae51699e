"""The CLI, the pytest plugin and the emulator's lifecycle."""

from __future__ import annotations

import contextlib
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from importlib.metadata import entry_points

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
