"""Copies, pickles and serialized chains keep the key out and keep working; the key never shows
in headers, echoed error texts or connection errors; clients survive event loops ending
(issue 17, items 9, 10, 11 and 14). Over real loopback HTTP.
"""

from __future__ import annotations

import asyncio
import copy
import pickle
import socket
import warnings
from typing import Any

import httpx
import pytest
from langchain_core.load import dumps
from langchain_core.prompts import ChatPromptTemplate
from llama_index.core.llms import ChatMessage

from kimi_core import (
    APIConnectionError,
    AsyncKimiClient,
    ConfigurationError,
    KimiClient,
    KimiError,
)
from langchain_kimi import ChatKimi
from langchain_kimi.serialization import loads
from llama_index_kimi import Kimi

SECRET = "sk-copies-and-secrets-0123456789"
HI = [ChatMessage(role="user", content="Hi")]
REQUEST = {"model": "kimi-k2.6", "messages": [{"role": "user", "content": "Hi"}]}


@pytest.fixture
def no_env_key(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    monkeypatch.delenv("MOONSHOT_API_KEY", raising=False)
    monkeypatch.delenv("KIMI_API_KEY", raising=False)
    return monkeypatch


# -- item 9: pickles and copies -------------------------------------------------------------------


def test_a_used_chatkimi_pickles_without_its_key(
    kimi_emulator_factory: Any, no_env_key: pytest.MonkeyPatch
) -> None:
    # This emulator takes only the worker's key: an answer shows which key was sent.
    emulator = kimi_emulator_factory(api_key="sk-in-the-worker")
    llm = ChatKimi(model="kimi-k2.6", api_key="sk-in-the-worker", base_url=emulator.base_url)
    assert llm.invoke("Hi").content == "You said: Hi"  # used: its clients and locks exist
    data = pickle.dumps(llm)
    assert b"sk-in-the-worker" not in data
    revived = pickle.loads(data)  # no key anywhere: unpickling still works ...
    with pytest.raises(ConfigurationError) as caught:
        revived.invoke("Hi")
    assert caught.value.param == "api_key"
    no_env_key.setenv("MOONSHOT_API_KEY", "sk-in-the-worker")  # ... the key comes from the env
    assert revived.invoke("Hi").content == "You said: Hi"
    llm.close()
    revived.close()


def test_kimi_revives_from_dict_without_the_environment(
    kimi_emulator_factory: Any, no_env_key: pytest.MonkeyPatch
) -> None:
    emulator = kimi_emulator_factory(api_key="sk-given-back")
    llm = Kimi(model="kimi-k2.6", api_key=SECRET, base_url=emulator.base_url, max_tokens=9)
    as_dict = llm.to_dict()
    assert SECRET not in str(as_dict)
    revived = Kimi.from_dict(as_dict)  # no MOONSHOT_API_KEY: it did fail here before
    assert revived.max_tokens == 9
    with pytest.raises(ConfigurationError):
        revived.chat(HI)
    with_key = Kimi.from_dict({**as_dict, "api_key": "sk-given-back"})
    assert with_key.chat(HI).message.content == "You said: Hi"
    assert with_key.max_tokens == 9


@pytest.mark.parametrize("framework", ["langchain", "llama_index"])
def test_deepcopy_after_use_keeps_the_key_in_memory_and_works(
    kimi_emulator_factory: Any, framework: str
) -> None:
    kimi_emulator = kimi_emulator_factory(api_key=SECRET)  # the copy must send the same key
    if framework == "langchain":
        llm: Any = ChatKimi(model="kimi-k2.6", api_key=SECRET, base_url=kimi_emulator.base_url)
        assert llm.invoke("Hi").content == "You said: Hi"
        twin = copy.deepcopy(llm)
        assert twin.invoke("Hi").content == "You said: Hi"
        assert twin._clients is not llm._clients  # its own pool, not a shared lock
    else:
        llm = Kimi(model="kimi-k2.6", api_key=SECRET, base_url=kimi_emulator.base_url)
        assert llm.chat(HI).message.content == "You said: Hi"
        twin = copy.deepcopy(llm)
        assert twin.chat(HI).message.content == "You said: Hi"
        assert twin.client is not llm.client
    llm.close()
    twin.close()


# -- item 14: a serialized chain comes back --------------------------------------------------


def test_a_chain_holding_chatkimi_is_revived_by_the_documented_loads(
    kimi_emulator_factory: Any,
) -> None:
    kimi_emulator = kimi_emulator_factory(api_key="sk-from-the-map")
    llm = ChatKimi(
        model="kimi-k2.6",
        api_key=SECRET,
        base_url=kimi_emulator.base_url,
        thinking=False,
        temperature=0.6,
    )
    chain = ChatPromptTemplate.from_messages([("user", "{question}")]) | llm
    text = dumps(chain)
    assert SECRET not in text
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # loads is "beta" in langchain-core
        revived = loads(text, secrets_map={"MOONSHOT_API_KEY": "sk-from-the-map"})
    model = revived.last
    assert (type(model), model.temperature, model.base_url) == (
        ChatKimi,
        0.6,
        kimi_emulator.base_url,
    )
    assert revived.invoke({"question": "Hi"}).content == "You said: Hi"
    assert model.api_key.get_secret_value() == "sk-from-the-map"


def test_loads_still_refuses_classes_outside_core_and_kimi() -> None:
    text = (
        '{"lc": 1, "type": "constructor", "id": ["langchain_openai", "chat_models", '
        '"ChatOpenAI"], "kwargs": {}}'
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError, match="is not allowed"):
            loads(text)


# -- item 10: the key never shows --------------------------------------------------------------


def test_client_headers_mask_the_key() -> None:
    with KimiClient(api_key=SECRET, base_url="http://127.0.0.1:9/v1") as client:
        assert client.headers["Authorization"] == "Bearer ***"
        assert SECRET not in repr(client.headers)


def test_a_server_error_echoing_the_key_is_scrubbed(kimi_emulator: Any) -> None:
    kimi_emulator.fail_next(
        401,
        error_type="invalid_authentication_error",
        message=f"Invalid Authentication: key {SECRET} is not valid",
    )
    with (
        KimiClient(api_key=SECRET, base_url=kimi_emulator.base_url) as client,
        pytest.raises(KimiError) as caught,
    ):
        client.chat(REQUEST)
    error = caught.value
    assert SECRET not in str(error)
    assert SECRET not in repr(error)
    assert SECRET not in getattr(error, "body", "")
    assert SECRET.encode() not in pickle.dumps(error)
    assert "Invalid Authentication: key" in str(error)


def test_credentials_in_the_base_url_are_not_in_connection_errors() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nothing listens there
    url = f"http://alice:hunter2@127.0.0.1:{port}/v1"
    with (
        KimiClient(api_key=SECRET, base_url=url, max_retries=0) as client,
        pytest.raises(APIConnectionError) as caught,
    ):
        client.chat(REQUEST)
    assert "hunter2" not in str(caught.value)
    assert "alice" not in str(caught.value)
    assert f"127.0.0.1:{port}" in str(caught.value)
    assert "hunter2" not in repr(client)


# -- item 11: event loops that end -----------------------------------------------------------------


def test_one_async_client_across_two_asyncio_runs(kimi_emulator: Any) -> None:
    client = AsyncKimiClient(api_key=SECRET, base_url=kimi_emulator.base_url)

    async def ask() -> str:
        return (await client.chat(REQUEST)).message.text

    assert asyncio.run(ask()) == "You said: Hi"
    assert asyncio.run(ask()) == "You said: Hi"  # was: RuntimeError: Event loop is closed
    asyncio.run(client.aclose())


def test_a_callers_async_http_client_from_a_closed_loop_is_a_typed_error(
    kimi_emulator: Any,
) -> None:
    http = httpx.AsyncClient()
    client = AsyncKimiClient(
        api_key=SECRET, base_url=kimi_emulator.base_url, http_client=http, max_retries=0
    )

    async def ask() -> str:
        return (await client.chat(REQUEST)).message.text

    assert asyncio.run(ask()) == "You said: Hi"
    with pytest.raises(APIConnectionError, match="event loop that has closed") as caught:
        asyncio.run(ask())
    assert caught.value.request_sent is False
