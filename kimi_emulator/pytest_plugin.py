"""The pytest plugin (entry point ``pytest11``): the fixtures ``kimi_emulator`` and
``kimi_emulator_factory`` (:mod:`kimi_emulator.fixtures`), registered only when the
``emulator`` extra is installed.

Pytest loads this module in every environment that installed the package. With the extra
(starlette, uvicorn, python-multipart and pypdf importable) it loads the fixtures module as a
plugin; without it, it registers nothing and imports nothing heavy: the check finds those
modules without importing them (:mod:`kimi_emulator.extra`), and the fixtures import the
server only when a test uses one. To get the fixtures: ``pip install
"kimi-integrations[emulator]"``.
"""

from __future__ import annotations

from .extra import installed

__all__ = ["pytest_plugins"]

# Pytest loads the plugins a registered plugin module names here.
pytest_plugins: list[str] = ["kimi_emulator.fixtures"] if installed() else []
