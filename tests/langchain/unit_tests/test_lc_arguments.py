"""Issue 26: ``ChatKimi``'s constructor never ignores an argument (over the emulator)."""

from __future__ import annotations

import warnings
from collections.abc import Callable

import pytest
from lc_support import API_KEY

from kimi_core.errors import ConfigurationError
from kimi_emulator import KimiEmulator
from langchain_kimi import ChatKimi


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
        ChatKimi(api_key=API_KEY, base_url=kimi_emulator.base_url, **{typo: "kimi-k3"})
    assert str(caught.value) == (
        f"ChatKimi got an unknown argument {typo!r}; did you mean {meant!r}?"
    )
    assert kimi_emulator.requests == []


def test_an_unknown_argument_moves_to_model_kwargs_with_a_warning_and_is_sent(
    make_llm: Callable[..., ChatKimi], kimi_emulator: KimiEmulator
) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        llm = make_llm(top_k=5, repetition_penalty=1.1)
    assert llm.model_kwargs == {"top_k": 5, "repetition_penalty": 1.1}
    moved = [str(w.message) for w in caught if "transferred to model_kwargs" in str(w.message)]
    assert len(moved) == 2
    assert "top_k" in moved[0]
    llm.invoke("hi")
    body = kimi_emulator.requests[-1].json
    assert body["top_k"] == 5
    assert body["repetition_penalty"] == 1.1


def test_api_base_is_the_base_url(kimi_emulator: KimiEmulator) -> None:
    llm = ChatKimi(api_key=API_KEY, api_base=kimi_emulator.base_url, max_retries=0)
    try:
        assert llm.base_url == kimi_emulator.base_url
        assert llm.model_kwargs == {}
        llm.invoke("hi")
    finally:
        llm.close()
    assert [r.path for r in kimi_emulator.requests] == ["/v1/chat/completions"]
    assert "api_base" not in kimi_emulator.requests[0].json
    with pytest.raises(ConfigurationError, match="api_base is base_url for ChatKimi"):
        ChatKimi(api_key=API_KEY, api_base=kimi_emulator.base_url, base_url="http://127.0.0.1:1/v1")
