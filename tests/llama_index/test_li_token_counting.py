"""Kimi's token counts as a LlamaIndex tokenizer and on ``Kimi.count_tokens``: cached per
text or message, offline when asked or when the endpoint cannot be reached (issue 18,
item 2). Over real HTTP against the emulator."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator

import pytest
from llama_index.core import Settings
from llama_index.core.llms import ChatMessage
from llama_index.core.node_parser import SentenceSplitter
from llama_index.core.utilities.token_counting import TokenCounter

from kimi_core import TokenCount, TokenCountEstimateWarning
from kimi_core.catalog.token_estimate import count_prompt
from kimi_emulator import KimiEmulator
from llama_index_kimi import Kimi, KimiTokenizer


def count_requests(emu: KimiEmulator) -> int:
    return sum(1 for r in emu.requests if r.path.endswith("/tokenizers/estimate-token-count"))


@pytest.fixture
def restore_tokenizer() -> Iterator[None]:
    import llama_index.core

    before = llama_index.core.global_tokenizer  # where Settings.tokenizer keeps it
    yield
    llama_index.core.global_tokenizer = before


def test_settings_tokenizer_counts_with_kimi_once_per_text(
    make_llm: Callable[..., Kimi], emu: KimiEmulator, restore_tokenizer: None
) -> None:
    llm = make_llm()
    tokenizer = llm.tokenizer()
    assert isinstance(tokenizer, KimiTokenizer)
    Settings.tokenizer = tokenizer
    counter = TokenCounter()  # what TokenCountingHandler uses
    # "hello" as text: its user message counts 3 + (3 + 2) = 8 on the emulator, an empty one
    # 3 + 3 = 6: the text itself is 2 (a tokenizer counts text, not messages; issue 26).
    assert counter.get_string_tokens("hello") == 2
    assert counter.get_string_tokens("hello") == 2
    assert count_requests(emu) == 2  # "hello" and the empty message, each once
    assert tokenizer("") == []
    assert count_requests(emu) == 2


def test_splitter_chunks_fill_their_size_when_counting_text_as_text(
    make_llm: Callable[..., Kimi], emu: KimiEmulator
) -> None:
    llm = make_llm()
    tokenizer = llm.tokenizer(offline=True)
    splitter = SentenceSplitter(chunk_size=60, chunk_overlap=0, tokenizer=tokenizer)
    text = " ".join(f"Sentence number {i} is written here for the test." for i in range(60))
    sizes = [len(tokenizer(chunk)) for chunk in splitter.split_text(text)]
    assert max(sizes) <= 60
    # Counted as whole chat messages, every piece carried 6 extra tokens and chunks came out
    # at about 60% of chunk_size; counted as text they fill it.
    assert min(sizes[:-1]) >= 48


def test_an_offline_tokenizer_splits_documents_without_requests(
    make_llm: Callable[..., Kimi], emu: KimiEmulator
) -> None:
    llm = make_llm()
    splitter = SentenceSplitter(
        chunk_size=40, chunk_overlap=0, tokenizer=llm.tokenizer(offline=True)
    )
    text = " ".join(f"Sentence number {i} is here." for i in range(30))
    chunks = splitter.split_text(text)
    assert len(chunks) > 1
    assert "".join(chunks).replace(" ", "") == text.replace(" ", "")
    assert count_requests(emu) == 0


def test_count_tokens_of_chat_messages_is_exact_and_cached(
    make_llm: Callable[..., Kimi], emu: KimiEmulator
) -> None:
    llm = make_llm()
    messages = [
        ChatMessage(role="system", content="Be brief."),
        ChatMessage(role="user", content="Hi"),
        ChatMessage(role="assistant", content="Hello!"),
        ChatMessage(role="user", content="Hi"),
    ]
    count = llm.count_tokens(messages)
    wire = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Hello!"},
        {"role": "user", "content": "Hi"},
    ]
    assert (count, count.estimated) == (count_prompt(wire), False)
    assert count_requests(emu) == 3  # "Hi" twice is one distinct message
    assert llm.count_tokens(messages[:2]) == count_prompt(wire[:2])
    assert count_requests(emu) == 3


def test_without_a_server_the_count_is_an_estimate() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}/v1"
    llm = Kimi(model="kimi-k2.6", api_key="sk-offline", base_url=url, max_retries=0)
    with pytest.warns(TokenCountEstimateWarning):
        count = llm.count_tokens([ChatMessage(role="user", content="hello")])
    assert isinstance(count, TokenCount)
    assert (count, count.estimated) == (8, True)
    assert len(llm.tokenizer()("hello")) == 2
