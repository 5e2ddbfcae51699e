"""Whether the ``emulator`` extra is installed, and the error that says how to install it.

Its own module, importing only the standard library, because it is asked before anything
heavy is imported: by the pytest plugin, which pytest loads in every environment that installed
the package, and by ``kimi_emulator`` when ``KimiEmulator`` is first used.
"""

from __future__ import annotations

import importlib.util

__all__ = ["INSTALL", "installed", "is_extra_module", "missing_extra"]

INSTALL = 'pip install "kimi-integrations[emulator]"'
# The import names of the extra's distributions; python-multipart is ``python_multipart``
# (``multipart`` in releases before 0.0.13).
_REQUIRED = (("starlette",), ("uvicorn",), ("python_multipart", "multipart"), ("pypdf",))
_EXTRA_MODULES = frozenset(name for names in _REQUIRED for name in names)


def _findable(name: str) -> bool:
    """``name`` can be imported; found without importing it."""
    try:
        return importlib.util.find_spec(name) is not None
    except ValueError:  # already imported, without a spec
        return True


def installed() -> bool:
    """Every module of the ``emulator`` extra (starlette, uvicorn, python-multipart, pypdf)
    can be imported."""
    return all(any(_findable(name) for name in names) for names in _REQUIRED)


def is_extra_module(name: str | None) -> bool:
    """``name`` (a ``ModuleNotFoundError.name``) is one of the extra's modules or inside one."""
    return name is not None and name.split(".")[0] in _EXTRA_MODULES


def missing_extra(missing: str | None) -> ModuleNotFoundError:
    """The error for using the emulator without its extra, naming the pip command."""
    top = (missing or "a module").split(".")[0]
    return ModuleNotFoundError(
        f"the Kimi emulator needs the emulator extra ({top} is not installed): {INSTALL}",
        name=missing,
    )
