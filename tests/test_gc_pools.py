"""Issue 26: a ChatKimi / Kimi / KimiClients dropped without ``close()`` closes its sync pool
(no ``ResourceWarning`` for an unclosed socket), over the emulator (real HTTP); what still
holds the client (a stream generator, a tokenizer) keeps it open."""

from __future__ import annotations

import gc
import warnings
from collections.abc import Callable
from typing import Any

import pytest
from llama_index.core.base.llms.types import ChatMessage

from kimi_core import KimiOptions
from kimi_core.lifecycle import KimiClients
from kimi_emulator import KimiEmulator
from langchain_kimi import ChatKimi
from llama_index_kimi import Kimi

KEY = "sk-gc-pools-test"


def _chat_kimi(emu: KimiEmulator) -> Any:
    llm = ChatKimi(api_key=KEY, base_url=emu.base_url, max_retries=0)
    llm.invoke("hi")
    return llm


def _kimi(emu: KimiEmulator) -> Any:
    llm = Kimi(api_key=KEY, base_url=emu.base_url, max_retries=0)
    llm.chat([ChatMessage(role="user", content="hi")])
    return llm


def _clients(emu: KimiEmulator) -> Any:
    clients = KimiClients(KimiOptions.resolve(KEY, emu.base_url))
    clients.sync.chat({"model": "kimi-k2.6", "messages": [{"role": "user", "content": "hi"}]})
    return clients


MAKERS: dict[str, Callable[[KimiEmulator], Any]] = {
    "ChatKimi": _chat_kimi,
    "Kimi": _kimi,
    "KimiClients": _clients,
}


def _http(owner: Any) -> Any:
    sync = owner.sync if isinstance(owner, KimiClients) else owner.client
    return sync._http


@pytest.mark.parametrize("kind", sorted(MAKERS))
def test_a_dropped_model_closes_its_pool(kimi_emulator: KimiEmulator, kind: str) -> None:
    owner = MAKERS[kind](kimi_emulator)
    http = _http(owner)
    assert not http.is_closed
    del owner
    gc.collect()
    assert http.is_closed


@pytest.mark.parametrize("kind", sorted(MAKERS))
def test_a_dropped_model_leaves_no_resource_warning(kimi_emulator: KimiEmulator, kind: str) -> None:
    gc.collect()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        owner = MAKERS[kind](kimi_emulator)
        del owner
        gc.collect()
    assert [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)] == []


def test_close_then_drop_opens_and_closes_a_new_pool(kimi_emulator: KimiEmulator) -> None:
    llm = _chat_kimi(kimi_emulator)
    http = _http(llm)
    llm.close()
    assert http.is_closed
    llm.invoke("again")  # a new pool, closed in turn when the model is dropped
    again = _http(llm)
    del llm
    gc.collect()
    assert again.is_closed


def test_a_generator_or_tokenizer_outliving_its_model_keeps_the_pool(
    kimi_emulator: KimiEmulator,
) -> None:
    messages = [ChatMessage(role="user", content="hi")]
    stream = Kimi(api_key=KEY, base_url=kimi_emulator.base_url).stream_chat(messages)
    tokenizer = Kimi(api_key=KEY, base_url=kimi_emulator.base_url).tokenizer()
    gc.collect()
    assert "".join(r.delta or "" for r in stream) == "You said: hi"
    assert len(tokenizer("hello")) > 0
    assert kimi_emulator.requests[-1].path == "/v1/tokenizers/estimate-token-count"


def test_async_pools_are_closed_by_their_loop(kimi_emulator: KimiEmulator) -> None:
    import asyncio

    gc.collect()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")

        async def run() -> None:
            chat = ChatKimi(api_key=KEY, base_url=kimi_emulator.base_url, max_retries=0)
            await chat.ainvoke("hi")
            kimi = Kimi(api_key=KEY, base_url=kimi_emulator.base_url, max_retries=0)
            await kimi.achat([ChatMessage(role="user", content="hi")])

        asyncio.run(run())
        gc.collect()
    assert [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)] == []
    assert [r.path for r in kimi_emulator.requests] == ["/v1/chat/completions"] * 2
