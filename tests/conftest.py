"""Shared test set-up: real captures from the seeds, a network guard, and live-test gating."""

from __future__ import annotations

import ipaddress
import json
import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CAPTURES_DIR = Path(__file__).parent / "fixtures" / "captures"


class Captures:
    """The real responses printed in shared/seeds, copied byte for byte into fixtures/."""

    names = sorted(p.stem for p in CAPTURES_DIR.glob("*.json"))

    @staticmethod
    def raw(name: str) -> bytes:
        return (CAPTURES_DIR / name).read_bytes()

    @classmethod
    def json(cls, name: str) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(cls.raw(f"{name}.json"))
        return data

    @classmethod
    def sse(cls, name: str = "acedata_stream") -> bytes:
        return cls.raw(f"{name}.sse")


@pytest.fixture
def captures() -> type[Captures]:
    return Captures


def _loopback(address: Any) -> bool:
    if not isinstance(address, tuple):
        return True  # AF_UNIX and friends
    host = address[0]
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@pytest.fixture(autouse=True)
def _no_network(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never reach the internet: any connect() to a non-loopback address fails."""
    if request.node.get_closest_marker("live"):
        return
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def guarded_connect(self: socket.socket, address: Any) -> None:
        if not _loopback(address):
            raise OSError(f"test tried to reach the network: {address!r}")
        real_connect(self, address)

    def guarded_connect_ex(self: socket.socket, address: Any) -> int:
        if not _loopback(address):
            raise OSError(f"test tried to reach the network: {address!r}")
        return real_connect_ex(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", guarded_connect_ex)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    from kimi_core._fastpath import ENABLED

    live = bool(os.environ.get("MOONSHOT_API_KEY"))
    skip_live = pytest.mark.skip(
        reason="live test: set MOONSHOT_API_KEY to run against the real API"
    )
    skip_fastpath = pytest.mark.skip(reason="tests a fast path, and KIMI_FASTPATH turns them off")
    for item in items:
        if not live and item.get_closest_marker("live"):
            item.add_marker(skip_live)
        if not ENABLED and item.get_closest_marker("fastpath"):
            item.add_marker(skip_fastpath)


@pytest.fixture(scope="session")
def _kimi_emulator_session() -> Iterator[Any]:
    """The plugin's shared emulator (``kimi_emulator``), serving the retired moonshot-v1
    models too (``served_models``): the tests' model that never thinks and takes any sampling
    value."""
    from served_models import SERVED

    from kimi_emulator import KimiEmulator

    emulator = KimiEmulator("moonshot", models=SERVED).start()
    try:
        yield emulator
    finally:
        emulator.stop()
