"""A loopback Kimi server that speaks the real wire protocol, for offline tests and demos.

    from kimi_emulator import KimiEmulator

    with KimiEmulator(dialect="moonshot") as emu:
        client = openai.OpenAI(api_key="sk-test", base_url=emu.base_url)
        emu.script("Hello!")
        client.chat.completions.create(model="kimi-k2.6", messages=[...])

Also: ``python -m kimi_emulator`` and the pytest fixtures ``kimi_emulator`` /
``kimi_emulator_factory``. Needs the ``emulator`` extra (starlette, uvicorn, python-multipart,
pypdf). Importing this package does not import them: ``KimiEmulator`` is loaded on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .endpoint import real_or_emulated
from .replies import ScriptedReply

if TYPE_CHECKING:
    from .server import KimiEmulator
    from .state import RecordedRequest

__all__ = ["KimiEmulator", "RecordedRequest", "ScriptedReply", "real_or_emulated"]


def __getattr__(name: str) -> Any:
    if name == "KimiEmulator":
        from .server import KimiEmulator

        return KimiEmulator
    if name == "RecordedRequest":
        from .state import RecordedRequest

        return RecordedRequest
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
