"""Token counting: one request per distinct message, exact on the emulator, and an offline
estimate (said so) when the endpoint cannot be reached (issue 18, item 2). Over real HTTP."""

from __future__ import annotations

import functools
import socket
import time
import warnings
from collections.abc import Callable
from typing import Any

import pytest
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from langchain_core.messages.utils import trim_messages

from kimi_core import TokenCount, TokenCountEstimateWarning
from kimi_core.catalog.token_estimate import count_prompt
from kimi_emulator import KimiEmulator
from langchain_kimi import ChatKimi

HISTORY: list[BaseMessage] = [
    SystemMessage("You are terse."),
    HumanMessage("What is the capital of France?"),
    AIMessage("Paris."),
    HumanMessage("And of Italy?"),
    AIMessage("Rome."),
    HumanMessage("And of Spain?"),
    AIMessage("Madrid."),
    HumanMessage("And of Portugal?"),
    AIMessage("Lisbon."),
    HumanMessage("And of Greece?"),
    AIMessage("Athens."),
]


def count_requests(emu: KimiEmulator) -> int:
    return sum(1 for r in emu.requests if r.path.endswith("/tokenizers/estimate-token-count"))


def test_trim_messages_asks_once_per_distinct_message(
    make_llm: Callable[..., ChatKimi], emu: KimiEmulator
) -> None:
    llm = make_llm()
    trimmed = trim_messages(
        HISTORY, max_tokens=40, token_counter=llm, strategy="last", include_system=True
    )
    assert trimmed == [
        HISTORY[0],
        HumanMessage("And of Portugal?"),
        AIMessage("Lisbon."),
        HumanMessage("And of Greece?"),
        AIMessage("Athens."),
    ]
    assert count_requests(emu) == len(HISTORY)  # one per distinct message, none per candidate
    asked = count_requests(emu)
    assert trim_messages(HISTORY, max_tokens=40, token_counter=llm, strategy="last") != []
    assert count_requests(emu) == asked  # everything is cached now


def test_a_list_counted_from_its_messages_equals_the_whole_list_count(
    make_llm: Callable[..., ChatKimi], emu: KimiEmulator
) -> None:
    llm = make_llm()
    from_messages = llm.get_num_tokens_from_messages(HISTORY)
    wire = llm._token_messages(HISTORY, None)
    exact = llm.client.count_tokens(llm.model_name, wire, exact=True)
    assert from_messages == exact == count_prompt(wire)
    assert isinstance(from_messages, TokenCount)
    assert from_messages.estimated is False
    assert count_requests(emu) == len(HISTORY) + 1


def _closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}/v1"


def test_without_a_server_counts_are_an_estimate_and_say_so() -> None:
    llm = ChatKimi(
        model="kimi-k2.6", api_key="sk-offline", base_url=_closed_port_url(), max_retries=0
    )
    with pytest.warns(TokenCountEstimateWarning, match="offline estimate"):
        count = llm.get_num_tokens_from_messages(HISTORY)
    wire = llm._token_messages(HISTORY, None)
    assert (int(count), count.estimated) == (count_prompt(wire), True)  # type: ignore[attr-defined]
    started = time.monotonic()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # warned once, not on every count
        trimmed = trim_messages(HISTORY, max_tokens=40, token_counter=llm, strategy="last")
    assert time.monotonic() - started < 0.5  # no connection is tried for a while
    assert trimmed[-1] == AIMessage("Athens.")


def test_offline_counting_never_asks(make_llm: Callable[..., ChatKimi], emu: KimiEmulator) -> None:
    llm = make_llm()
    counter: Any = functools.partial(llm.get_num_tokens_from_messages, offline=True)
    count = counter(HISTORY)
    assert count.estimated is True
    assert count_requests(emu) == 0


def test_a_request_error_is_not_hidden_by_the_fallback(
    make_llm: Callable[..., ChatKimi], emu: KimiEmulator
) -> None:
    from langchain_core.exceptions import ModelAuthenticationError

    llm = make_llm()
    emu.fail_next(401, error_type="invalid_authentication_error", message="Invalid Authentication")
    with pytest.raises(ModelAuthenticationError):
        llm.get_num_tokens("hello")
