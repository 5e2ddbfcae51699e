"""Issue 26: nothing a user configures is silently ignored, and a failing set-up says why.

``kimi_core.arguments`` (typos), ``MOONSHOT_API_BASE``, and the 401 / 404 hints, over the
emulator (real HTTP).
"""

from __future__ import annotations

import pytest

from kimi_core import KimiClient
from kimi_core.arguments import check_typos, suggestion, unknown_arguments
from kimi_core.errors import AuthenticationError, ConfigurationError, NotFoundError
from kimi_emulator import KimiEmulator

KEY = "sk-core-arguments-test"
KNOWN = {"model", "temperature", "max_tokens", "api_key", "top_p", "base_url"}


@pytest.mark.parametrize(
    ("typo", "meant"),
    [
        ("modle", "model"),
        ("temprature", "temperature"),
        ("maxtokens", "max_tokens"),
        ("api_kye", "api_key"),
    ],
)
def test_a_typo_names_the_argument_meant(typo: str, meant: str) -> None:
    assert suggestion(typo, KNOWN) == meant
    with pytest.raises(ConfigurationError) as caught:
        check_typos([typo], KNOWN, "Thing")
    assert str(caught.value) == f"Thing got an unknown argument {typo!r}; did you mean {meant!r}?"
    assert caught.value.param == typo


def test_request_fields_and_far_names_are_not_typos() -> None:
    # top_k is as close to top_p as a typo would be, but it is a request field.
    assert suggestion("top_k", KNOWN) is None
    assert unknown_arguments(["top_k", "seed", "model", "frobnicate"], KNOWN, "T") == [
        "top_k",
        "seed",
        "frobnicate",
    ]


def test_moonshot_api_base_is_read(
    kimi_emulator: KimiEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MOONSHOT_API_BASE", kimi_emulator.base_url)
    with KimiClient(KEY) as client:
        assert client.base_url == kimi_emulator.base_url
        client.chat({"model": "kimi-k2.6", "messages": [{"role": "user", "content": "hi"}]})
    assert [r.path for r in kimi_emulator.requests] == ["/v1/chat/completions"]


def test_the_401_hint_names_the_url_and_the_gateway(kimi_emulator: KimiEmulator) -> None:
    kimi_emulator.fail_next(401)
    with (
        KimiClient(KEY, base_url=kimi_emulator.base_url, max_retries=0) as client,
        pytest.raises(AuthenticationError) as caught,
    ):
        client.chat({"model": "kimi-k2.6", "messages": [{"role": "user", "content": "hi"}]})
    message = str(caught.value)
    assert f"the key was refused by {kimi_emulator.base_url};" in message
    assert "gateway='moonshot-cn'" in message


def test_the_404_hint_names_the_missing_v1(kimi_emulator: KimiEmulator) -> None:
    root = kimi_emulator.base_url.removesuffix("/v1")
    with (
        KimiClient(KEY, base_url=root, max_retries=0) as client,
        pytest.raises(NotFoundError) as caught,
    ):
        client.chat({"model": "kimi-k2.6", "messages": [{"role": "user", "content": "hi"}]})
    assert f"the base URL {root!r} does not end in /v1, where Kimi's API lives" in str(caught.value)
