"""Issue 23, items 9 and 10: the token-count cache is bounded in bytes and safe under threads.

``count_tokens`` asks Kimi once per distinct message and keeps the counts. Today the cache
holds 4,096 entries keyed by the *whole message text* (391 MB for 100 KB messages), and a
message evicted between the lookup and the sum (by this call's own new messages, or by another
thread) surfaces as a raw ``KeyError``. Over real loopback HTTP to a server that counts like
the tokenizer endpoint: a message's count is a function of its text, so every sum is exact.
"""

from __future__ import annotations

import gc
import threading
import tracemalloc
from collections.abc import Iterator
from typing import Any

import pytest
from r3_support import Request, RoutedServer, send_json

from kimi_core import KimiClient, TokenCount

KEY = "sk-token-cache"
MODEL = "kimi-k2.6"
DEFAULT_CACHE_ENTRIES = 4096  # today's size; a message more than this evicts the oldest


def count_of(message: dict[str, Any]) -> int:
    return 7 + len(str(message.get("content", ""))) % 50


def tokenizer(conn: Any, request: Request, number: int) -> bool:
    messages = request.json()["messages"]
    request.body = b""  # the test server's request log is not the client's memory
    send_json(
        conn,
        {"code": 0, "data": {"total_tokens": sum(count_of(m) for m in messages)}, "status": True},
    )
    return True


@pytest.fixture
def client() -> Iterator[KimiClient]:
    with (
        RoutedServer(tokenizer) as server,
        KimiClient(api_key=KEY, base_url=server.url, max_retries=0) as made,
    ):
        yield made


def message(text: str) -> dict[str, Any]:
    return {"role": "user", "content": text}


def overhead(client: KimiClient) -> int:
    """The per-request overhead the sum takes out, measured through the public API."""
    one, two = message("overhead-a"), message("overhead-b")
    alone = int(client.count_tokens(MODEL, [one])) + int(client.count_tokens(MODEL, [two]))
    return alone - int(client.count_tokens(MODEL, [one, two]))


def expected(client: KimiClient, messages: list[dict[str, Any]], per_request: int) -> int:
    return sum(count_of(m) for m in messages) - (len(messages) - 1) * per_request


# -- item 9: bounded in bytes -----------------------------------------------------------------


def test_the_token_count_cache_is_bounded_in_bytes_not_entries(client: KimiClient) -> None:
    """100 distinct 100 KB messages, each counted once and then let go: what the client
    keeps must not be their text (today: ~10 MB, the whole text of each as a cache key)."""
    size, count = 100_000, 100
    gc.collect()
    tracemalloc.start()
    try:
        start = tracemalloc.get_traced_memory()[0]
        for i in range(count):
            text = f"{i:04d}" + "x" * size
            assert client.count_tokens(MODEL, [message(text)]) == count_of(message(text))
            del text
        gc.collect()
        kept = tracemalloc.get_traced_memory()[0] - start
    finally:
        tracemalloc.stop()
    assert kept < 2_000_000, (
        f"the client keeps {kept / 1e6:.1f} MB after counting {count} messages of {size:,} "
        "characters it no longer holds"
    )


# -- item 10: a message evicted between lookup and sum ---------------------------------------------


def test_a_cached_message_evicted_by_the_calls_own_new_messages_is_still_counted(
    client: KimiClient,
) -> None:
    """``[x] + 4,096 new messages`` after ``x`` was counted: the new counts push ``x`` out of
    the cache before the sum (deterministic, one thread). Today: ``KeyError``."""
    per_request = overhead(client)
    first = message("counted-first")
    assert client.count_tokens(MODEL, [first]) == count_of(first)
    fresh = [message(f"new-{i}") for i in range(DEFAULT_CACHE_ENTRIES)]
    total = client.count_tokens(MODEL, [first, *fresh])
    assert isinstance(total, TokenCount)
    assert total.estimated is False
    assert total == expected(client, [first, *fresh], per_request)


def test_counting_from_eight_threads_never_raises_and_sums_exactly(client: KimiClient) -> None:
    """Eight threads count lists that mix cached messages (the oldest in the cache) with new
    ones, so other threads evict what a call looked up before it sums. Every call returns
    the exact sum; none raises (today about one call in three: ``KeyError``)."""
    per_request = overhead(client)
    old = [message(f"old-{i}") for i in range(DEFAULT_CACHE_ENTRIES)]
    client.count_tokens(MODEL, old)  # the cache is full; these are the oldest entries
    failures: list[BaseException] = []
    wrong: list[tuple[int, int]] = []

    def worker(t: int) -> None:
        for k in range(25):
            batch = [old[(k * 8 + t) % len(old)], message(f"t{t}-k{k}-a"), message(f"t{t}-k{k}-b")]
            try:
                got = client.count_tokens(MODEL, batch)
            except BaseException as exc:
                failures.append(exc)
                continue
            want = expected(client, batch, per_request)
            if got != want:
                wrong.append((int(got), want))

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    kinds = sorted({type(exc).__name__ for exc in failures})
    assert failures == [], f"{len(failures)} of 200 calls raised {kinds}"
    assert wrong == []
