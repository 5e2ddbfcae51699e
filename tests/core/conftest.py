"""Fixtures for the kimi_core unit tests: a clean environment and recorded backoff sleeps."""

from __future__ import annotations

import pytest

import kimi_core.transport.base


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The developer's own key or base URL must not change what these tests see."""
    names = ("MOONSHOT_API_KEY", "KIMI_API_KEY", "MOONSHOT_BASE_URL", "KIMI_BASE_URL")
    for name in (*names, "MOONSHOT_API_BASE"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Record (and skip) every backoff wait of both clients."""
    delays: list[float] = []

    def fake_sleep(seconds: float) -> None:
        delays.append(seconds)

    async def fake_async_sleep(seconds: float) -> None:
        delays.append(seconds)

    monkeypatch.setattr(kimi_core.transport.base, "_backoff", fake_sleep)
    monkeypatch.setattr(kimi_core.transport.base, "_abackoff", fake_async_sleep)
    return delays
