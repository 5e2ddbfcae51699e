"""A loopback Kimi server that speaks the real wire protocol, for offline tests and demos.

    from kimi_emulator import KimiEmulator

    with KimiEmulator(dialect="moonshot") as emu:
        client = openai.OpenAI(api_key="sk-test", base_url=emu.base_url)
        emu.script("Hello!")
        client.chat.completions.create(model="kimi-k2.6", messages=[...])

Also: ``python -m kimi_emulator`` and the pytest fixtures ``kimi_emulator`` /
``kimi_emulator_factory`` (:mod:`kimi_emulator.pytest_plugin`). Needs the ``emulator`` extra
(starlette, uvicorn, python-multipart, pypdf): ``pip install "kimi-integrations[emulator]"``;
without it, using ``KimiEmulator`` raises a ``ModuleNotFoundError`` that says so. Importing
this package imports nothing: every public name is loaded on first use, so the pytest plugin
costs nothing in environments that do not use the emulator.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .endpoint import real_or_emulated
    from .replies import ScriptedReply
    from .server import KimiEmulator
    from .state import RecordedRequest

__all__ = ["KimiEmulator", "RecordedRequest", "ScriptedReply", "real_or_emulated"]


def __getattr__(name: str) -> Any:
    value: Any
    if name == "KimiEmulator":
        value = _emulator_class()
    elif name == "RecordedRequest":
        from .state import RecordedRequest as value
    elif name == "ScriptedReply":
        from .replies import ScriptedReply as value
    elif name == "real_or_emulated":
        from .endpoint import real_or_emulated as value
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


def _emulator_class() -> Any:
    """The server class; without the extra, an error naming the pip command."""
    from .extra import is_extra_module, missing_extra

    try:
        from .server import KimiEmulator
    except ModuleNotFoundError as exc:
        if not is_extra_module(exc.name):
            raise
        raise missing_extra(exc.name) from exc
    return KimiEmulator
