"""``count_tokens``: single-message counts cached and added up, the fallback and its limits."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from kimi_core import (
    AsyncKimiClient,
    AuthenticationError,
    KimiClient,
    TokenCount,
    TokenCountEstimateWarning,
)
from kimi_core.resources.tokenizers import REQUEST_OVERHEAD, TokenCounter

BASE = "https://kimi.test/v1"
MESSAGES = [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}]


def counting_transport(sent: list[dict[str, object]], status: int = 200) -> httpx.MockTransport:
    def respond(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        sent.append(body)
        if status != 200:
            return httpx.Response(status, json={"error": {"type": "x", "message": "no"}})
        return httpx.Response(200, json={"data": {"total_tokens": 10 * len(body["messages"])}})

    return httpx.MockTransport(respond)


def test_each_distinct_message_is_counted_once_and_the_overhead_taken_out() -> None:
    sent: list[dict[str, object]] = []
    http = httpx.Client(transport=counting_transport(sent))
    client = KimiClient(api_key="k", base_url=BASE, http_client=http)
    count = client.count_tokens("kimi-k2.6", [*MESSAGES, MESSAGES[0]])
    assert count == 3 * 10 - 2 * REQUEST_OVERHEAD
    assert repr(count) == "TokenCount(24, estimated=False)"
    assert [body["messages"] for body in sent] == [[MESSAGES[0]], [MESSAGES[1]]]
    assert client.count_tokens("kimi-k2.6", MESSAGES) == 17
    assert len(sent) == 2
    assert client.count_tokens("kimi-k2.6", MESSAGES, exact=True) == 20  # one whole-list request
    assert sent[-1]["messages"] == MESSAGES


def test_async_counts_share_the_rules() -> None:
    sent: list[dict[str, object]] = []

    async def run() -> TokenCount:
        http = httpx.AsyncClient(transport=counting_transport(sent))
        async with AsyncKimiClient(api_key="k", base_url=BASE, http_client=http) as client:
            await client.count_tokens("kimi-k2.6", MESSAGES)
            return await client.count_tokens("kimi-k2.6", MESSAGES)

    assert asyncio.run(run()) == 17
    assert len(sent) == 2


def test_a_gateway_without_the_endpoint_gives_the_estimate_once_warned() -> None:
    sent: list[dict[str, object]] = []
    http = httpx.Client(transport=counting_transport(sent, status=404))
    client = KimiClient(api_key="k", base_url=BASE, http_client=http, max_retries=0)
    with pytest.warns(TokenCountEstimateWarning, match="NotFoundError"):
        count = client.count_tokens("kimi-k2.6", MESSAGES)
    assert (count, count.estimated) == (3 + (3 + 1) + (3 + 1), True)
    assert client.count_tokens("kimi-k2.6", MESSAGES).estimated is True
    assert len(sent) == 1  # not asked again while offline


def test_a_wrong_key_is_raised_not_estimated() -> None:
    sent: list[dict[str, object]] = []
    http = httpx.Client(transport=counting_transport(sent, status=401))
    client = KimiClient(api_key="k", base_url=BASE, http_client=http)
    with pytest.raises(AuthenticationError):
        client.count_tokens("kimi-k2.6", MESSAGES)


def test_the_cache_is_bounded() -> None:
    counter = TokenCounter(size=2)
    messages = [{"role": "user", "content": f"m{i}"} for i in range(3)]
    keys, known, missing = counter.lookup("m", messages)
    assert (known, len(missing)) == ({}, 3)
    for key, count in zip(keys, (1, 2, 3), strict=True):
        counter.store(key, count)
    assert list(counter._counts) == keys[1:]  # the oldest went
    assert all(len(key) == 16 for key in keys)  # a hash, never the message's text
    keys, known, missing = counter.lookup("m", messages)
    assert known == {keys[1]: 2, keys[2]: 3}
    assert [key for key, _ in missing] == keys[:1]
    assert counter.total(keys, {**known, keys[0]: 1}) == 6 - 2 * REQUEST_OVERHEAD
