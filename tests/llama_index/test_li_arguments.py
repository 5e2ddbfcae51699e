"""Issue 26: ``Kimi``'s constructor never ignores an argument; LlamaIndex's habitual names
(``api_base``, ``additional_kwargs``, ``reuse_client``...) work (over the emulator)."""

from __future__ import annotations

import warnings
from collections.abc import Callable

import pytest
from li_helpers import API_KEY
from llama_index.core.base.llms.types import ChatMessage
from llama_index.core.prompts import PromptTemplate

from kimi_core.errors import ConfigurationError
from kimi_emulator import KimiEmulator
from llama_index_kimi import Kimi


@pytest.mark.parametrize(
    ("typo", "meant"),
    [
        ("modle", "model"),
        ("temprature", "temperature"),
        ("maxtokens", "max_tokens"),
        ("api_kye", "api_key"),
    ],
)
def test_a_misspelled_argument_raises_naming_the_right_one(
    kimi_emulator: KimiEmulator, typo: str, meant: str
) -> None:
    with pytest.raises(ConfigurationError) as caught:
        Kimi(api_key=API_KEY, base_url=kimi_emulator.base_url, **{typo: "kimi-k3"})
    assert str(caught.value) == f"Kimi got an unknown argument {typo!r}; did you mean {meant!r}?"


def test_an_unknown_argument_is_refused_naming_additional_kwargs(
    kimi_emulator: KimiEmulator,
) -> None:
    with pytest.raises(ConfigurationError) as caught:
        Kimi(api_key=API_KEY, base_url=kimi_emulator.base_url, top_k=5, frobnicate=1)
    assert str(caught.value) == (
        "Kimi got unknown argument(s) 'top_k', 'frobnicate'; extra request fields go in "
        "additional_kwargs={'top_k': ...}"
    )


async def test_api_base_is_the_base_url(kimi_emulator: KimiEmulator) -> None:
    llm = Kimi(api_key=API_KEY, api_base=kimi_emulator.base_url, max_retries=0)
    try:
        assert llm.base_url == kimi_emulator.base_url
        llm.chat([ChatMessage(role="user", content="hi")])
    finally:
        llm.close()
    assert [r.path for r in kimi_emulator.requests] == ["/v1/chat/completions"]


async def test_llama_index_habitual_arguments_are_accepted_and_used(
    make_llm: Callable[..., Kimi], kimi_emulator: KimiEmulator
) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        llm = make_llm(
            additional_kwargs={"top_k": 5},
            max_tokens=64,
            reuse_client=False,
            system_prompt="Answer briefly.",
            default_headers={"X-Trace": "t-1"},
            timeout=30.0,
            max_retries=1,
        )
    assert any("Kimi(reuse_client=False) has no effect" in str(w.message) for w in caught)
    llm.predict(PromptTemplate("hi"))  # system_prompt applies to predict, as in LlamaIndex
    sent = kimi_emulator.requests[-1]
    assert sent.json["top_k"] == 5
    assert sent.json["max_completion_tokens"] == 64 or sent.json.get("max_tokens") == 64
    assert sent.json["messages"][0] == {"role": "system", "content": "Answer briefly."}
    assert sent.headers["x-trace"] == "t-1"


def test_api_base_and_a_different_base_url_conflict(kimi_emulator: KimiEmulator) -> None:
    with pytest.raises(ConfigurationError, match="api_base is an alias of base_url"):
        Kimi(api_key=API_KEY, base_url=kimi_emulator.base_url, api_base="http://127.0.0.1:1/v1")


def test_openai_like_flags_are_what_kimi_always_is(kimi_emulator: KimiEmulator) -> None:
    llm = Kimi(
        api_key=API_KEY,
        base_url=kimi_emulator.base_url,
        is_chat_model=True,
        is_function_calling_model=True,
    )
    assert llm.metadata.is_chat_model
    assert llm.metadata.is_function_calling_model
    with pytest.raises(ConfigurationError, match="is_chat_model cannot be turned off"):
        Kimi(api_key=API_KEY, base_url=kimi_emulator.base_url, is_chat_model=False)
