"""Fixtures for the LlamaIndex adapter: a ``Kimi`` on the emulator, and one on a MockTransport."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from li_helpers import API_KEY, MOCK_BASE_URL, Responder, Sent

from kimi_emulator import KimiEmulator
from llama_index_kimi import Kimi


@pytest.fixture
def emu(kimi_emulator: KimiEmulator) -> KimiEmulator:
    return kimi_emulator


async def _close(model: Kimi) -> None:
    """Close both pools inside the test's event loop (no connection outlives its loop)."""
    model.close()
    await model.aclose()


@pytest.fixture
async def llm(kimi_emulator: KimiEmulator) -> AsyncIterator[Kimi]:
    """kimi-k2.6 (thinking on by default) on the moonshot-dialect emulator, no retries."""
    model = Kimi(api_key=API_KEY, base_url=kimi_emulator.base_url, max_retries=0)
    yield model
    await _close(model)


@pytest.fixture
async def make_llm(kimi_emulator: KimiEmulator) -> AsyncIterator[Callable[..., Kimi]]:
    """``make_llm(**kwargs)``: a ``Kimi`` on the emulator with other settings."""
    made: list[Kimi] = []

    def factory(**kwargs: Any) -> Kimi:
        kwargs.setdefault("api_key", API_KEY)
        kwargs.setdefault("base_url", kimi_emulator.base_url)
        kwargs.setdefault("max_retries", 0)
        model = Kimi(**kwargs)
        made.append(model)
        return model

    yield factory
    for model in made:
        await _close(model)


@pytest.fixture
def mock_llm() -> Callable[..., tuple[Kimi, Sent]]:
    """``mock_llm(responder, **kwargs)``: a ``Kimi`` whose sync and async HTTP clients answer
    through ``httpx.MockTransport`` (narrow unit tests, no server)."""

    def factory(responder: Responder, **kwargs: Any) -> tuple[Kimi, Sent]:
        sent = Sent()

        def handler(request: httpx.Request) -> httpx.Response:
            sent.requests.append(request)
            return responder(request)

        model = Kimi(
            api_key=API_KEY,
            base_url=MOCK_BASE_URL,
            max_retries=0,
            http_client=httpx.Client(transport=httpx.MockTransport(handler)),
            async_http_client=httpx.AsyncClient(transport=httpx.MockTransport(handler)),
            **kwargs,
        )
        return model, sent

    return factory


@pytest.fixture
def fresh_sampling_warnings(monkeypatch: pytest.MonkeyPatch) -> None:
    """The core warns once per model and field per process: start this test afresh."""
    from kimi_core.catalog import model_info

    monkeypatch.setattr(model_info, "_WARNED", set())
