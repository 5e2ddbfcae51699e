"""Real API when a key is set, the emulator otherwise: what examples and notebooks start with."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator

from kimi_core.catalog.hosts import API_KEY_ENV_VARS, Dialect

__all__ = ["real_or_emulated"]


@contextlib.contextmanager
def real_or_emulated(
    dialect: Dialect = "moonshot", *, announce: Callable[[str], object] = print
) -> Iterator[dict[str, str]]:
    """Yield client settings (``api_key``, ``base_url``) for the real API or an emulator.

    With ``MOONSHOT_API_KEY`` (or ``KIMI_API_KEY``) set, yields ``{}`` so clients read the
    environment and talk to Moonshot; otherwise starts a ``KimiEmulator`` on 127.0.0.1 for
    the duration of the block and says plainly that the answers come from it.
    """
    if any(os.environ.get(name) for name in API_KEY_ENV_VARS):
        announce("Using the real Kimi API (MOONSHOT_API_KEY is set).")
        yield {}
        return
    from .server import KimiEmulator

    with KimiEmulator(dialect=dialect) as emulator:
        announce(
            f"MOONSHOT_API_KEY is not set: talking to the offline Kimi emulator at "
            f"{emulator.base_url} (deterministic answers, not the real model)."
        )
        yield {"api_key": "emulator-key", "base_url": emulator.base_url}
