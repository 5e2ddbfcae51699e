"""The host matrix's emulators: one per host per test module, each speaking its host's
dialect (``KimiEmulator(host)``), reset before every test."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from hosts_matrix import HOST_NAMES, KEY

from kimi_emulator import KimiEmulator


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[str, KimiEmulator]]:
    """Started and stopped side by side (each waits for its own server thread)."""
    emulators = {name: KimiEmulator(name, api_key=KEY) for name in HOST_NAMES}
    with ThreadPoolExecutor(max_workers=len(emulators)) as pool:
        try:
            list(pool.map(KimiEmulator.start, emulators.values()))
            yield emulators
        finally:
            list(pool.map(KimiEmulator.stop, emulators.values()))


@pytest.fixture(params=HOST_NAMES)
def name(request: pytest.FixtureRequest) -> str:
    """Every host of ``kimi_core.catalog.hosts.HOSTS``."""
    host: str = request.param
    return host


@pytest.fixture
def emu(name: str, servers: dict[str, KimiEmulator]) -> KimiEmulator:
    """The emulator speaking ``name``'s dialect, reset."""
    emulator = servers[name]
    emulator.reset()
    return emulator
