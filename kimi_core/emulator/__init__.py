"""Deprecated path: the emulator is now its own package, ``kimi_emulator`` (the ``emulator``
extra).

``from kimi_core.emulator import KimiEmulator`` and ``python -m kimi_core.emulator`` keep
working for one release; importing this warns with a ``DeprecationWarning`` naming the new
path. ``kimi_core`` never imports ``kimi_emulator`` except through this alias and the lazy
``kimi_core.KimiEmulator`` name.
"""

import warnings
from typing import Any

import kimi_emulator
from kimi_emulator import __all__ as __all__

warnings.warn(
    "kimi_core.emulator moved to kimi_emulator; import from there "
    "(the old path goes away in the next release)",
    DeprecationWarning,
    stacklevel=2,
)


def __getattr__(name: str) -> Any:
    return getattr(kimi_emulator, name)


def __dir__() -> list[str]:
    return sorted(__all__)
