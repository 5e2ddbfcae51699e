"""Log probabilities in the emulator (issue 25): ``logprobs`` / ``top_logprobs`` answered in
OpenAI's shape, non-streamed and per streamed content chunk, in every Moonshot dialect; bad
values refused with a 400."""

from __future__ import annotations

from typing import Any

import httpx
import openai
import pytest

from kimi_emulator import KimiEmulator

ASK: dict[str, Any] = {
    "model": "kimi-k2.6",
    "messages": [{"role": "user", "content": "hi there"}],
    "extra_body": {"thinking": {"type": "disabled"}},
}
# "You said: hi there" in the stream's pieces, with logprob -0.01 * position.
TOKENS = [("You ", 0.0), ("said: ", -0.01), ("hi ", -0.02), ("there", -0.03)]


def test_tokens_and_alternatives_non_streamed(client: openai.OpenAI) -> None:
    answer = client.chat.completions.create(**ASK, logprobs=True, top_logprobs=2)
    logprobs = answer.choices[0].logprobs
    assert logprobs is not None
    assert logprobs.content is not None
    assert [(t.token, t.logprob) for t in logprobs.content] == TOKENS
    first = logprobs.content[0]
    assert first.bytes == list(b"You ")
    assert [(t.token, t.logprob) for t in first.top_logprobs] == [("You ", 0.0), ("<alt1>", -1.0)]


def test_tokens_per_streamed_chunk(client: openai.OpenAI) -> None:
    stream = client.chat.completions.create(**ASK, logprobs=True, stream=True)
    seen = []
    for chunk in stream:
        for choice in chunk.choices:
            if choice.logprobs is not None and choice.logprobs.content:
                [entry] = choice.logprobs.content
                assert entry.token == choice.delta.content
                assert entry.top_logprobs == []
                seen.append((entry.token, entry.logprob))
    assert seen == TOKENS


def test_not_asked_not_given(moonshot: KimiEmulator) -> None:
    with httpx.Client(base_url=moonshot.base_url + "/") as http:
        body = {k: v for k, v in ASK.items() if k != "extra_body"}
        answer = http.post("chat/completions", json=body).json()
    assert "logprobs" not in answer["choices"][0]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"logprobs": True, "top_logprobs": 21}, "top_logprobs must be an integer in [0, 20]"),
        ({"top_logprobs": 2}, "logprobs must be true when top_logprobs is set"),
        ({"logprobs": "yes"}, "logprobs must be a boolean"),
    ],
)
def test_bad_values_are_refused(
    moonshot: KimiEmulator, fields: dict[str, Any], message: str
) -> None:
    body = {"model": "kimi-k2.6", "messages": ASK["messages"], **fields}
    with httpx.Client(base_url=moonshot.base_url + "/") as http:
        answer = http.post("chat/completions", json=body)
    assert answer.status_code == 400
    assert answer.json()["error"]["message"] == f"Invalid request: {message}"
