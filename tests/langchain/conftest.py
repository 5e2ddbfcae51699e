"""Fixtures for the LangChain adapter: ``ChatKimi`` on the emulator (real HTTP on 127.0.0.1)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from lc_support import API_KEY

from kimi_emulator import KimiEmulator
from langchain_kimi import ChatKimi


@pytest.fixture
def emu(kimi_emulator: KimiEmulator) -> KimiEmulator:
    """The session's moonshot-dialect emulator, reset for this test."""
    return kimi_emulator


@pytest.fixture
def make_llm(kimi_emulator: KimiEmulator) -> Iterator[Callable[..., ChatKimi]]:
    """``make_llm(**kwargs)``: a ``ChatKimi`` on the emulator (no retries unless asked)."""
    made: list[ChatKimi] = []

    def factory(**kwargs: Any) -> ChatKimi:
        kwargs.setdefault("api_key", API_KEY)
        kwargs.setdefault("base_url", kimi_emulator.base_url)
        kwargs.setdefault("max_retries", 0)
        model = ChatKimi(**kwargs)
        made.append(model)
        return model

    yield factory
    for model in made:
        model.close()


@pytest.fixture
def llm(make_llm: Callable[..., ChatKimi]) -> ChatKimi:
    """kimi-k2.6 with the model's default (thinking on)."""
    return make_llm()


@pytest.fixture
def fresh_sampling_warnings(monkeypatch: pytest.MonkeyPatch) -> None:
    """The core warns once per model and field per process: start this test afresh."""
    from kimi_core.catalog import model_info

    monkeypatch.setattr(model_info, "_WARNED", set())
