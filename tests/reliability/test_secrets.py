"""The API key never leaks: a sentinel key is grepped for everywhere it could show up."""

from __future__ import annotations

import asyncio
import logging
import pickle
import traceback
from typing import Any

import pytest
from langchain_core.load import dumpd, dumps
from llama_index.core.llms import ChatMessage

from kimi_core import (
    AsyncKimiClient,
    AuthenticationError,
    ConfigurationError,
    InvalidParameterError,
    KimiClient,
    RateLimiter,
)
from langchain_kimi import ChatKimi
from llama_index_kimi import Kimi

SENTINEL = "sk-SENTINEL-9f3c2a7e1b"


def _chain_text(error: BaseException) -> str:
    """Message, repr and traceback of an error and every cause/context below it."""
    parts = []
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        parts += [str(current), repr(current), "".join(traceback.format_exception(current))]
        parts += [repr(getattr(current, name, "")) for name in ("body", "headers", "args")]
        current = current.__cause__ or current.__context__
    return "\n".join(parts)


@pytest.fixture
def guarded(kimi_emulator_factory: Any) -> Any:
    """An emulator that wants a different key, so every call with the sentinel gets a 401."""
    return kimi_emulator_factory("moonshot", api_key="sk-the-right-key")


def test_key_is_not_in_reprs_or_serialisations(kimi_emulator: Any) -> None:
    url = kimi_emulator.base_url
    client = KimiClient(api_key=SENTINEL, base_url=url)
    aclient = AsyncKimiClient(api_key=SENTINEL, base_url=url)
    chat = ChatKimi(api_key=SENTINEL, base_url=url)
    llm = Kimi(api_key=SENTINEL, base_url=url)
    texts = [
        repr(client),
        str(client),
        repr(aclient),
        repr(client.api_key),
        repr(chat),
        str(chat),
        dumps(chat),
        str(dumpd(chat)),
        repr(chat.client),
        repr(llm),
        str(llm),
        llm.to_json(),
        str(llm.to_dict()),
        str(llm.dict()),
        repr(llm.metadata),
        repr(RateLimiter({"rpm": 5})),
        repr(kimi_emulator),
    ]
    for text in texts:
        assert SENTINEL not in text
    chat.invoke("hi")
    llm.chat([ChatMessage(role="user", content="hi")])
    printed = repr(kimi_emulator.requests) + str([r.headers for r in kimi_emulator.requests])
    assert SENTINEL not in printed
    assert "Bearer ***" in printed
    client.close()


def test_key_is_not_in_pickles_of_errors(guarded: Any) -> None:
    with pytest.raises(AuthenticationError) as caught:
        KimiClient(api_key=SENTINEL, base_url=guarded.base_url).chat(
            {"model": "kimi-k2.6", "messages": [{"role": "user", "content": "hi"}]}
        )
    assert SENTINEL.encode() not in pickle.dumps(caught.value)


@pytest.mark.parametrize(
    "call",
    [
        lambda url: KimiClient(api_key=SENTINEL, base_url=url).chat(
            {"model": "kimi-k2.6", "messages": [{"role": "user", "content": "hi"}]}
        ),
        lambda url: asyncio.run(
            AsyncKimiClient(api_key=SENTINEL, base_url=url).chat(
                {"model": "kimi-k2.6", "messages": [{"role": "user", "content": "hi"}]}
            )
        ),
        lambda url: list(
            KimiClient(api_key=SENTINEL, base_url=url).chat_stream(
                {"model": "kimi-k2.6", "messages": [{"role": "user", "content": "hi"}]}
            )
        ),
        lambda url: ChatKimi(api_key=SENTINEL, base_url=url).invoke("hi"),
        lambda url: list(ChatKimi(api_key=SENTINEL, base_url=url).stream("hi")),
        lambda url: Kimi(api_key=SENTINEL, base_url=url).chat(
            [ChatMessage(role="user", content="hi")]
        ),
        lambda url: list(
            Kimi(api_key=SENTINEL, base_url=url).stream_chat(
                [ChatMessage(role="user", content="hi")]
            )
        ),
    ],
    ids=[
        "core-chat",
        "core-async",
        "core-stream",
        "chatkimi",
        "chatkimi-stream",
        "kimi",
        "kimi-stream",
    ],
)
def test_key_is_not_in_errors_or_debug_logs(
    call: Any, guarded: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with pytest.raises(AuthenticationError) as caught:
        call(guarded.base_url)
    assert caught.value.status == 401
    assert SENTINEL not in _chain_text(caught.value)
    assert caplog.records, "DEBUG logging was expected from httpx/httpcore"
    for record in caplog.records:
        assert SENTINEL not in record.getMessage()
        assert SENTINEL not in repr(record.args)


def test_key_is_not_in_errors_raised_before_any_request() -> None:
    with pytest.raises(ConfigurationError) as bad_url:
        KimiClient(api_key=SENTINEL, base_url="http://example.com/v1")
    with pytest.raises(InvalidParameterError) as bad_param:
        ChatKimi(
            api_key=SENTINEL, base_url="https://api.moonshot.cn/v1", stop=list("abcdef")
        ).invoke("hi")
    for error in (bad_url.value, bad_param.value):
        assert SENTINEL not in _chain_text(error)


def test_plain_http_is_refused_unless_loopback_or_allowed() -> None:
    for make in (
        lambda **kw: KimiClient(api_key="k", **kw),
        lambda **kw: ChatKimi(api_key="k", **kw),
        lambda **kw: Kimi(api_key="k", **kw),
    ):
        with pytest.raises(ConfigurationError, match="allow_insecure"):
            make(base_url="http://kimi.example.com/v1")
        make(base_url="http://127.0.0.1:9/v1")
        make(base_url="http://localhost:9/v1")
        make(base_url="http://kimi.example.com/v1", allow_insecure=True)
