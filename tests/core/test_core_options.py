"""One options object, checked once, with one error type, for every entry point."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from kimi_core import AsyncKimiClient, ConfigurationError, InvalidParameterError, KimiClient
from kimi_core.lifecycle import KimiClients
from kimi_core.limits.limiter import RateLimiter
from kimi_core.options import KimiOptions
from langchain_kimi import ChatKimi, KimiFileLoader
from llama_index_kimi import Kimi, KimiFileReader

KEY = "sk-options-test"

ENTRY_POINTS: dict[str, Callable[..., Any]] = {
    "KimiOptions": lambda **kw: KimiOptions.resolve(KEY, **kw),
    "KimiClient": lambda **kw: KimiClient(KEY, **kw),
    "AsyncKimiClient": lambda **kw: AsyncKimiClient(KEY, **kw),
    "ChatKimi": lambda **kw: ChatKimi(api_key=KEY, **kw),
    "Kimi": lambda **kw: Kimi(api_key=KEY, **kw),
    "KimiFileLoader": lambda **kw: KimiFileLoader("x.txt", api_key=KEY, **kw),
    "KimiFileReader": lambda **kw: KimiFileReader(KEY, **kw),
}


@pytest.mark.parametrize("entry", sorted(ENTRY_POINTS))
@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        ("max_retries", -1, "max_retries must be >= 0, got -1"),
        ("timeout", 0, "timeout must be a positive number of seconds, got 0"),
        ("timeout", -2.5, "timeout must be a positive number of seconds, got -2.5"),
        ("timeout", math.nan, "timeout must be a positive number of seconds, got nan"),
        ("rate_limits", "tier9", "unknown rate-limit preset 'tier9'"),
        ("gateway", "nowhere", "unknown gateway 'nowhere'"),
    ],
)
def test_every_entry_point_refuses_a_bad_setting_the_same_way(
    entry: str, setting: str, value: Any, message: str
) -> None:
    with pytest.raises(ConfigurationError) as info:
        ENTRY_POINTS[entry](**{setting: value})
    assert message in str(info.value)
    # One type: also an InvalidParameterError (``param`` names the option) and a ValueError.
    assert isinstance(info.value, InvalidParameterError)
    assert isinstance(info.value, ValueError)
    if setting in ("max_retries", "timeout", "rate_limits"):
        assert info.value.param == setting


@pytest.mark.parametrize("entry", sorted(ENTRY_POINTS))
def test_a_missing_key_fails_at_construction_everywhere(
    entry: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MOONSHOT_API_KEY", raising=False)
    monkeypatch.delenv("KIMI_API_KEY", raising=False)
    build = {
        "KimiOptions": KimiOptions.resolve,
        "KimiClient": KimiClient,
        "AsyncKimiClient": AsyncKimiClient,
        "ChatKimi": ChatKimi,
        "Kimi": Kimi,
        "KimiFileLoader": lambda: KimiFileLoader("x.txt"),
        "KimiFileReader": KimiFileReader,
    }[entry]
    with pytest.raises(ConfigurationError, match="MOONSHOT_API_KEY"):
        build()


def test_resolve_refuses_an_unknown_setting() -> None:
    with pytest.raises(ConfigurationError, match="unknown setting 'retries'") as info:
        KimiOptions.resolve(KEY, retries=3)  # type: ignore[call-arg]
    assert info.value.param == "retries"


def test_resolved_options_carry_everything_the_clients_need() -> None:
    limiter = RateLimiter("tier1")
    own = httpx.Client()
    options = KimiOptions.resolve(
        KEY,
        gateway="cloudsway",
        endpoint_path="my-deploy",
        timeout=7.5,
        max_retries=4,
        default_headers={"X-Team": "a"},
        rate_limiter=limiter,
        http_client=own,
        model="kimi-k2-0905-preview",
        thinking=False,
    )
    assert options.base_url == "https://genaiapi.cloudsway.net/v1/ai/my-deploy"
    assert options.model_optional is True
    assert (options.model, options.thinking, options.max_retries) == (
        "kimi-k2-0905-preview",
        False,
        4,
    )
    assert KEY not in repr(options)
    client = KimiClient(options=options)
    assert client.timeout == httpx.Timeout(7.5)
    assert client.max_retries == 4
    assert client.rate_limiter is limiter
    assert client.headers["X-Team"] == "a"
    assert client._http is own  # the caller's own pool, used as is
    own.close()


def test_options_or_settings_not_both() -> None:
    options = KimiOptions.resolve(KEY)
    with pytest.raises(ConfigurationError, match="either options= or"):
        KimiClient(options=options, max_retries=3)


def test_the_lifecycle_builds_nothing_until_asked() -> None:
    clients = KimiClients(KimiOptions.resolve(KEY))
    assert clients._sync is None
    first = clients.sync
    assert clients.sync is first
    clients.close()
    assert clients._sync is None
    assert clients.sync is not first  # a closed pool is replaced, not reused
    clients.close()


def test_every_adapter_holds_one_lifecycle_of_its_resolved_options(tmp_path: Path) -> None:
    chat = ChatKimi(api_key=KEY, max_retries=3)
    llm = Kimi(api_key=KEY, max_retries=3)
    reader = KimiFileReader(KEY, max_retries=3)
    loader = KimiFileLoader(tmp_path / "a.txt", api_key=KEY, max_retries=3)
    for holder in (chat, llm, reader, loader):
        clients = holder._clients
        assert isinstance(clients, KimiClients)
        assert clients.options.max_retries == 3
        assert clients._sync is None  # nothing built at construction
