"""Pickles and a LangChain ``dumps`` made before the ``kimi_core`` layering (issue 22) still load.

The fixtures in ``tests/fixtures/pre_move/`` were made by commit 8051a15 (its
``make_fixtures.py.txt``) with the key ``sk-fixture-secret``. They name the old module paths
(``kimi_core.ratelimit``, ``kimi_core.cost``, the flat ``kimi_core.catalog``,
``langchain_kimi.chat_models``, ``llama_index_kimi.base``...): each must still resolve, to
today's classes, with the same values. A path that moved resolves through a deprecation shim,
whose ``DeprecationWarning`` names the new path; the shims are re-imported here so that the
warning shows whatever ran before.
"""

from __future__ import annotations

import json
import pickle
import sys
import warnings
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import RunnableSequence

from kimi_core import ChatCompletion, Usage
from kimi_core.integration import (
    ConfigurationError,
    Cost,
    InvalidParameterError,
    ModelInfo,
    RateLimits,
)
from langchain_kimi.chat_models import ChatKimi
from langchain_kimi.serialization import loads
from langchain_kimi.toolkits import KimiToolkit
from llama_index_kimi.base import Kimi
from llama_index_kimi.tools import KimiToolSpec

FIXTURES = Path(__file__).parent / "fixtures" / "pre_move"
SECRET = b"sk-fixture-secret"
FORMULAS = ["moonshot/date:latest"]
# The old paths the fixtures name that are deprecation shims now, and where they moved.
MOVED = {
    "kimi_core.ratelimit": "kimi_core.limits.limiter",
    "kimi_core.cost": "kimi_core.catalog.prices",
}
# Which moved paths each pickle names.
NAMES_MOVED = {
    "chat_kimi": ["kimi_core.ratelimit"],
    "kimi": ["kimi_core.ratelimit"],
    "rate_limits": ["kimi_core.ratelimit"],
    "cost": ["kimi_core.cost"],
}
PICKLES = sorted(path.stem for path in FIXTURES.glob("*.pickle"))


@pytest.fixture
def no_env_key(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ("MOONSHOT_API_KEY", "KIMI_API_KEY", "MOONSHOT_BASE_URL", "KIMI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def load(name: str, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, list[warnings.WarningMessage]]:
    """The pickle ``name``, and the warnings loading it gave (its shims imported afresh)."""
    for old in NAMES_MOVED.get(name, []):
        monkeypatch.delitem(sys.modules, old, raising=False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        value = pickle.loads((FIXTURES / f"{name}.pickle").read_bytes())
    return value, caught


def test_every_pickle_is_checked_here() -> None:
    assert PICKLES == [
        "chat_completion",
        "chat_kimi",
        "cost",
        "invalid_parameter_error",
        "kimi",
        "kimi_tool_spec",
        "kimi_toolkit",
        "model_info",
        "rate_limits",
        "usage",
    ]


@pytest.mark.parametrize("name", [*(f"{n}.pickle" for n in PICKLES), "chain.json"])
def test_no_fixture_holds_the_key(name: str) -> None:
    assert SECRET not in (FIXTURES / name).read_bytes()


@pytest.mark.parametrize("name", PICKLES)
def test_a_moved_path_warns_naming_the_new_one(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _, caught = load(name, monkeypatch)
    expected = [
        f"{old} moved to {MOVED[old]}; import from there "
        "(the old path goes away in the next release)"
        for old in NAMES_MOVED.get(name, [])
    ]
    assert [str(w.message) for w in caught] == expected
    assert all(w.category is DeprecationWarning for w in caught)


def test_chat_kimi(monkeypatch: pytest.MonkeyPatch, no_env_key: pytest.MonkeyPatch) -> None:
    llm, _ = load("chat_kimi", monkeypatch)
    assert type(llm) is ChatKimi
    assert llm.model_name == "kimi-k2.6"
    assert llm.max_tokens == 256
    assert llm.thinking is False
    assert llm.temperature is None
    assert type(llm.rate_limits) is RateLimits
    assert llm.rate_limits == RateLimits(rpm=60, tpm=None, concurrency=None)
    assert llm.api_key is None
    assert ChatKimi.lc_id() == ["langchain_kimi", "chat_models", "ChatKimi"]
    with pytest.raises(ConfigurationError) as caught:
        llm.invoke("Hi")  # no key pickled, none in the environment
    assert caught.value.param == "api_key"


def test_chat_kimi_answers_with_the_key_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, no_env_key: pytest.MonkeyPatch, kimi_emulator_factory: Any
) -> None:
    emulator = kimi_emulator_factory(api_key="sk-in-the-worker")
    llm, _ = load("chat_kimi", monkeypatch)
    monkeypatch.setenv("MOONSHOT_API_KEY", "sk-in-the-worker")
    monkeypatch.setenv("MOONSHOT_BASE_URL", emulator.base_url)
    assert llm.invoke("Hi").content == "You said: Hi"
    llm.close()


def test_kimi(monkeypatch: pytest.MonkeyPatch, no_env_key: pytest.MonkeyPatch) -> None:
    llm, _ = load("kimi", monkeypatch)
    assert type(llm) is Kimi
    assert llm.model == "kimi-k2.6"
    assert llm.max_tokens == 256
    assert llm.thinking is False
    assert llm.base_url == "https://api.moonshot.cn/v1"
    assert type(llm.rate_limits) is RateLimits
    assert llm.rate_limits == RateLimits(rpm=60, tpm=None, concurrency=None)
    assert llm.default_headers is None
    with pytest.raises(ConfigurationError) as caught:
        llm.client  # noqa: B018 - the key is looked up on first use: none pickled, none set
    assert caught.value.param == "api_key"
    monkeypatch.setenv("MOONSHOT_API_KEY", "sk-in-the-worker")
    options = llm._clients.options
    assert options.api_key.get_secret_value() == "sk-in-the-worker"
    assert options.base_url == "https://api.moonshot.cn/v1"


def test_kimi_toolkit(monkeypatch: pytest.MonkeyPatch, no_env_key: pytest.MonkeyPatch) -> None:
    toolkit, _ = load("kimi_toolkit", monkeypatch)
    assert type(toolkit) is KimiToolkit
    assert toolkit.formulas == FORMULAS
    assert toolkit.api_key is None
    assert toolkit.base_url is None


def test_kimi_tool_spec(monkeypatch: pytest.MonkeyPatch, no_env_key: pytest.MonkeyPatch) -> None:
    spec, _ = load("kimi_tool_spec", monkeypatch)
    assert type(spec) is KimiToolSpec
    assert spec.formulas == FORMULAS
    assert spec._base_url is None
    assert spec._settings == {}


def test_chat_completion_and_usage(monkeypatch: pytest.MonkeyPatch) -> None:
    completion, _ = load("chat_completion", monkeypatch)
    usage, _ = load("usage", monkeypatch)
    assert type(completion) is ChatCompletion
    assert completion.id == "c1"
    assert completion.model == "kimi-k2.6"
    assert completion.choices[0].message.content == "Hi"
    assert completion.choices[0].finish_reason == "stop"
    counts = {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4, "cached_tokens": 1}
    for revived in (completion.usage, usage):
        assert type(revived) is Usage
        assert revived.model_dump(exclude_none=True) == counts


def test_cost(monkeypatch: pytest.MonkeyPatch) -> None:
    cost, _ = load("cost", monkeypatch)
    assert type(cost) is Cost
    assert cost == Cost(amount=Decimal("0.00099"), currency="USD")


def test_rate_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    limits, _ = load("rate_limits", monkeypatch)
    assert type(limits) is RateLimits
    assert limits == RateLimits(rpm=60, tpm=1000, concurrency=2)


def test_model_info(monkeypatch: pytest.MonkeyPatch) -> None:
    info, _ = load("model_info", monkeypatch)
    assert type(info) is ModelInfo
    assert info.id == "kimi-k2.6"
    assert (info.context_window, info.max_output_tokens) == (262_144, 262_144)
    assert info.thinking == "toggle"
    assert info.price.currency == "USD"


def test_invalid_parameter_error(monkeypatch: pytest.MonkeyPatch) -> None:
    error, _ = load("invalid_parameter_error", monkeypatch)
    assert type(error) is InvalidParameterError
    assert error.param == "x"
    assert str(error) == "bad"


def _chain_text() -> str:
    return (FIXTURES / "chain.json").read_text(encoding="utf-8")


def test_the_saved_chain_names_chatkimi_by_its_path() -> None:
    saved = json.loads(_chain_text())["kwargs"]["last"]
    assert saved["id"] == ["langchain_kimi", "chat_models", "ChatKimi"]
    assert saved["id"] == ChatKimi.lc_id()
    assert saved["kwargs"]["api_key"] == {"lc": 1, "type": "secret", "id": ["MOONSHOT_API_KEY"]}
    # A RateLimits was never serializable: dumps kept only its repr.
    limits = saved["kwargs"]["rate_limits"]
    assert limits["type"] == "not_implemented"
    assert limits["repr"] == "RateLimits(rpm=60, tpm=None, concurrency=None)"


def test_the_saved_chain_loads(no_env_key: pytest.MonkeyPatch, kimi_emulator_factory: Any) -> None:
    emulator = kimi_emulator_factory(api_key="sk-from-the-map")
    no_env_key.setenv("MOONSHOT_BASE_URL", emulator.base_url)
    secrets = {"MOONSHOT_API_KEY": "sk-from-the-map"}
    # As before the move: the unserializable rate limits refuse a plain load ...
    with pytest.raises(NotImplementedError, match="RateLimits"):
        loads(_chain_text(), secrets_map=secrets)
    # ... and load when LangChain is told to skip them.
    chain = loads(_chain_text(), secrets_map=secrets, ignore_unserializable_fields=True)
    assert type(chain) is RunnableSequence
    assert type(chain.first) is ChatPromptTemplate
    assert chain.first.input_variables == ["q"]
    llm = chain.last
    assert type(llm) is ChatKimi
    assert llm.model_name == "kimi-k2.6"
    assert llm.max_tokens == 256
    assert llm.thinking is False
    assert llm.max_builtin_tool_rounds == 8
    assert llm.rate_limits is None
    assert llm.api_key is not None
    assert llm.api_key.get_secret_value() == "sk-from-the-map"
    assert chain.invoke({"q": "Hi"}).content == "You said: Hi"
    llm.close()
