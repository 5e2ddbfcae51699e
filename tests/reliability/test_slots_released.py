"""Every way a stream can be left behind gives its rate-limit slot and connection back.

With ``rate_limits={"concurrency": 1}`` (what ``"tier0"`` sets) a slot that is never released
blocks every later call forever; each test leaves a stream behind, then makes one more call
on the same model, which must finish (issue 17, items 1 and 2). Over real loopback HTTP.
"""

from __future__ import annotations

import asyncio
import gc
import itertools
import threading
from collections.abc import Callable
from typing import Any

import pytest
from llama_index.core.llms import ChatMessage

from kimi_core import AsyncKimiClient, KimiClient, MalformedResponseError
from langchain_kimi import ChatKimi
from llama_index_kimi import Kimi

ONE_AT_A_TIME = {"concurrency": 1}
_keys = itertools.count()
REQUEST = {
    "model": "kimi-k2.6",
    "messages": [{"role": "user", "content": "ping"}],
    "thinking": False,
}
MESSAGES = [ChatMessage(role="user", content="ping")]


def fresh_key() -> str:
    """A key of its own: limiters are shared per key, so tests must not share one."""
    return f"sk-slots-{next(_keys)}"


def finishes(call: Callable[[], Any], within: float = 10.0) -> Any:
    """``call()``'s result, failing the test (not hanging it) if it blocks."""
    result: list[Any] = []
    thread = threading.Thread(target=lambda: result.append(call()), daemon=True)
    thread.start()
    thread.join(within)
    assert not thread.is_alive(), "the call blocked: a slot was never given back"
    return result[0]


def chat_requests(emulator: Any) -> int:
    return sum(1 for r in emulator.requests if r.path.endswith("/chat/completions"))


# -- LlamaIndex --------------------------------------------------------------------------------


def test_a_stream_chat_generator_dropped_unstarted_sends_nothing_and_holds_nothing(
    kimi_emulator: Any,
) -> None:
    llm = Kimi(
        model="kimi-k2.6",
        api_key=fresh_key(),
        base_url=kimi_emulator.base_url,
        thinking=False,
        rate_limits=ONE_AT_A_TIME,
    )
    generator = llm.stream_chat(MESSAGES)
    del generator
    gc.collect()
    answer = finishes(lambda: llm.chat(MESSAGES))
    assert answer.message.content == "You said: ping"
    assert chat_requests(kimi_emulator) == 1  # the dropped stream was never sent


def test_a_stream_chat_generator_dropped_mid_answer_gives_its_slot_back(
    kimi_emulator: Any,
) -> None:
    llm = Kimi(
        model="kimi-k2.6",
        api_key=fresh_key(),
        base_url=kimi_emulator.base_url,
        thinking=False,
        rate_limits=ONE_AT_A_TIME,
    )
    generator = llm.stream_chat(MESSAGES)
    first = next(generator)
    assert first.message.role == "assistant"
    del generator
    gc.collect()
    assert finishes(lambda: llm.chat(MESSAGES)).message.content == "You said: ping"
    assert chat_requests(kimi_emulator) == 2


def test_an_astream_chat_generator_dropped_unstarted_holds_nothing(kimi_emulator: Any) -> None:
    llm = Kimi(
        model="kimi-k2.6",
        api_key=fresh_key(),
        base_url=kimi_emulator.base_url,
        thinking=False,
        rate_limits=ONE_AT_A_TIME,
    )

    async def run() -> str:
        generator = await llm.astream_chat(MESSAGES)
        del generator
        gc.collect()
        answer = await asyncio.wait_for(llm.achat(MESSAGES), 10)
        return str(answer.message.content)

    assert asyncio.run(run()) == "You said: ping"
    assert chat_requests(kimi_emulator) == 1


# -- core ------------------------------------------------------------------------------------


def test_a_core_stream_dropped_without_close_gives_its_slot_back(kimi_emulator: Any) -> None:
    client = KimiClient(
        api_key=fresh_key(), base_url=kimi_emulator.base_url, rate_limits=ONE_AT_A_TIME
    )
    with client:
        stream = client.chat_stream(REQUEST)
        del stream  # neither iterated nor closed
        gc.collect()
        assert finishes(lambda: client.chat(REQUEST)).message.text == "You said: ping"


def test_an_async_core_stream_dropped_without_close_gives_its_slot_back(
    kimi_emulator: Any,
) -> None:
    async def run() -> str:
        async with AsyncKimiClient(
            api_key=fresh_key(), base_url=kimi_emulator.base_url, rate_limits=ONE_AT_A_TIME
        ) as client:
            stream = await client.chat_stream(REQUEST)
            del stream
            gc.collect()
            return (await asyncio.wait_for(client.chat(REQUEST), 10)).message.text

    assert asyncio.run(run()) == "You said: ping"


# -- LangChain -------------------------------------------------------------------------------


def test_a_chatkimi_stream_abandoned_after_one_chunk_gives_its_slot_back(
    kimi_emulator: Any,
) -> None:
    llm = ChatKimi(
        model="kimi-k2.6",
        api_key=fresh_key(),
        base_url=kimi_emulator.base_url,
        thinking=False,
        rate_limits=ONE_AT_A_TIME,
    )
    chunks = llm.stream("ping")
    assert next(chunks).content is not None
    del chunks
    gc.collect()
    assert finishes(lambda: llm.invoke("ping")).content == "You said: ping"


def test_a_chatkimi_astream_abandoned_after_one_chunk_gives_its_slot_back(
    kimi_emulator: Any,
) -> None:
    llm = ChatKimi(
        model="kimi-k2.6",
        api_key=fresh_key(),
        base_url=kimi_emulator.base_url,
        thinking=False,
        rate_limits=ONE_AT_A_TIME,
    )

    async def run() -> str:
        chunks = llm.astream("ping")
        await chunks.__anext__()
        await chunks.aclose()  # what `break` in `async for` does
        answer = await asyncio.wait_for(llm.ainvoke("ping"), 10)
        return str(answer.content)

    assert asyncio.run(run()) == "You said: ping"


# -- item 2: a usage that is not an object ------------------------------------------------------


@pytest.mark.parametrize("usage", ["5", "[1, 2]", '"many"'])
def test_a_chunk_whose_usage_is_not_an_object_is_typed_and_gives_its_slot_back(
    kimi_emulator: Any, usage: str
) -> None:
    kimi_emulator.raw_stream_next(
        [
            'data: {"id":"c","choices":[{"index":0,"delta":{"content":"Hi"}}]}\n\n',
            'data: {"id":"c","choices":[{"index":0,"delta":{},"finish_reason":"stop"}],'
            f'"usage":{usage}}}\n\n',
            "data: [DONE]\n\n",
        ]
    )
    with KimiClient(
        api_key=fresh_key(), base_url=kimi_emulator.base_url, rate_limits=ONE_AT_A_TIME
    ) as client:
        with (
            pytest.raises(MalformedResponseError, match="usage") as caught,
            client.chat_stream(REQUEST) as stream,
        ):
            for _ in stream:
                pass
        assert caught.value.text == "Hi"  # what had arrived is kept on the error
        assert finishes(lambda: client.chat(REQUEST)).message.text == "You said: ping"
