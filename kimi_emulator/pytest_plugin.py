"""Pytest fixtures ``kimi_emulator`` and ``kimi_emulator_factory`` (entry point ``pytest11``).

Loaded by pytest in every environment that installed the package, so this module imports
nothing heavy: the server (starlette, uvicorn) is imported inside the fixtures.

- ``kimi_emulator``: a started moonshot-dialect :class:`~kimi_emulator.KimiEmulator`,
  ``reset()`` before each test; one server is shared by the whole session for speed.
- ``kimi_emulator_factory``: ``factory(dialect="moonshot", **kwargs)`` starts a new emulator
  (any constructor argument: ``api_key=``, ``rpm_limit=``...); all are stopped at teardown.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from kimi_emulator.server import KimiEmulator

__all__ = ["kimi_emulator", "kimi_emulator_factory"]

_MISSING = (
    "the kimi_emulator fixtures need the emulator extra: "
    "pip install 'kimi-integrations[emulator]' ({error})"
)


def _emulator_class() -> type[KimiEmulator]:
    try:
        from kimi_emulator.server import KimiEmulator
    except ImportError as exc:  # pragma: no cover - depends on the environment
        pytest.fail(_MISSING.format(error=exc), pytrace=False)
    return KimiEmulator


@pytest.fixture(scope="session")
def _kimi_emulator_session() -> Iterator[KimiEmulator]:
    emulator = _emulator_class()(dialect="moonshot")
    emulator.start()
    try:
        yield emulator
    finally:
        emulator.stop()


@pytest.fixture
def kimi_emulator(_kimi_emulator_session: KimiEmulator) -> KimiEmulator:
    """A running moonshot-dialect Kimi emulator, reset for this test (``.base_url``)."""
    _kimi_emulator_session.reset()
    return _kimi_emulator_session


@pytest.fixture
def kimi_emulator_factory() -> Iterator[Callable[..., KimiEmulator]]:
    """``factory(dialect="moonshot", **kwargs)`` → a started emulator, stopped at teardown."""
    cls = _emulator_class()
    started: list[KimiEmulator] = []

    def factory(dialect: str = "moonshot", **kwargs: Any) -> KimiEmulator:
        emulator = cls(dialect, **kwargs)
        emulator.start()
        started.append(emulator)
        return emulator

    try:
        yield factory
    finally:
        for emulator in started:
            emulator.stop()
