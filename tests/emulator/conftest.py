"""Fixtures for the emulator tests: one running emulator per dialect, reset before each test."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import openai
import pytest
from served_models import SERVED

from kimi_emulator import KimiEmulator

DIALECTS = ("moonshot", "acedata", "cloudsway")
KEY = "sk-emulator-test-key"


@pytest.fixture(scope="session")
def _emulators() -> Iterator[dict[str, KimiEmulator]]:
    emulators = {d: KimiEmulator(d, models=SERVED).start() for d in DIALECTS}
    try:
        yield emulators
    finally:
        for emulator in emulators.values():
            emulator.stop()


@pytest.fixture(params=DIALECTS)
def emu(request: pytest.FixtureRequest, _emulators: dict[str, KimiEmulator]) -> KimiEmulator:
    """A running emulator of each dialect (the test runs three times), freshly reset."""
    emulator = _emulators[request.param]
    emulator.reset()
    return emulator


@pytest.fixture
def moonshot(_emulators: dict[str, KimiEmulator]) -> KimiEmulator:
    emulator = _emulators["moonshot"]
    emulator.reset()
    return emulator


@pytest.fixture(scope="session")
def _clients(
    _emulators: dict[str, KimiEmulator],
) -> Iterator[dict[str, tuple[openai.OpenAI, httpx.Client]]]:
    # Built once per dialect: creating an SDK or httpx client costs ~25 ms (its SSL context).
    clients = {
        dialect: (
            openai.OpenAI(api_key=KEY, base_url=emu.base_url, max_retries=0),
            httpx.Client(base_url=emu.base_url + "/", timeout=10),
        )
        for dialect, emu in _emulators.items()
    }
    try:
        yield clients
    finally:
        for sdk, raw in clients.values():
            sdk.close()
            raw.close()


@pytest.fixture
def client(
    emu: KimiEmulator, _clients: dict[str, tuple[openai.OpenAI, httpx.Client]]
) -> openai.OpenAI:
    """The official OpenAI SDK pointed at ``emu`` (no retries: the tests count requests)."""
    return _clients[emu.dialect][0]


@pytest.fixture
def http(
    emu: KimiEmulator, _clients: dict[str, tuple[openai.OpenAI, httpx.Client]]
) -> httpx.Client:
    """A plain HTTP client on ``emu``'s base URL, for raw wire assertions."""
    return _clients[emu.dialect][1]
