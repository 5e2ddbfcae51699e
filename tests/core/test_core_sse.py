"""SSEDecoder: line ends, multi-line data, comments, flush, and chunking invariance."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from kimi_core.wire.sse import SSEDecoder


def decode(chunks: Iterable[bytes]) -> list[str]:
    decoder = SSEDecoder()
    events: list[str] = []
    for chunk in chunks:
        events.extend(decoder.feed(chunk))
    events.extend(decoder.flush())
    return events


def test_lf_line_ends() -> None:
    assert decode([b"data: a\n\ndata: b\n\n"]) == ["a", "b"]


def test_crlf_line_ends() -> None:
    assert decode([b"data: a\r\n\r\ndata: b\r\n\r\n"]) == ["a", "b"]


def test_lone_cr_line_ends() -> None:
    assert decode([b"data: a\r\rdata: b\r\r"]) == ["a", "b"]


def test_crlf_split_across_two_feeds_is_one_line_end() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\r") == []
    assert decoder.feed(b"\n\n") == ["a"]
    assert decoder.flush() == []


def test_crlf_split_with_an_empty_chunk_between() -> None:
    # The pending CR must survive an empty network chunk: "\r" + "" + "\n" is still one CRLF,
    # so both data lines belong to the same event.
    assert decode([b"data: a\r", b"", b"\ndata: b\r\n\r\n"]) == ["a\nb"]


def test_multi_line_data_joined_with_newline() -> None:
    assert decode([b"data: line one\ndata: line two\ndata:\n\n"]) == ["line one\nline two\n"]


def test_only_one_space_after_the_colon_is_stripped() -> None:
    assert decode([b"data:x\n\ndata:  y\n\n"]) == ["x", " y"]


def test_comments_and_other_fields_are_ignored() -> None:
    stream = (
        b": keep-alive\n\n"
        b"event: message\nid: 7\nretry: 1000\n: mid-event comment\ndata: payload\n\n"
        b": ping\n\n"
    )
    assert decode([stream]) == ["payload"]


def test_final_event_without_trailing_newline_needs_flush() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: first\n\ndata: last") == ["first"]
    assert decoder.flush() == ["last"]
    assert decoder.flush() == []


def test_final_event_with_single_newline_completes_on_flush() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: last\n") == []
    assert decoder.flush() == ["last"]


def test_done_is_passed_through() -> None:
    assert decode([b'data: {"a": 1}\n\ndata: [DONE]\n\n']) == ['{"a": 1}', "[DONE]"]


def test_utf8_character_split_across_chunks() -> None:
    raw = "data: 你好\n\n".encode()
    assert decode([raw[:7], raw[7:9], raw[9:]]) == ["你好"]


def test_seed_stream_one_byte_at_a_time_equals_whole(captures: Any) -> None:
    raw: bytes = captures.sse()
    whole = decode([raw])
    assert len(whole) == 18
    assert whole[-1] == "[DONE]"
    assert whole[0].startswith('{"id": "chatcmpl-952dd5e75583c4d1"')
    assert decode([raw[i : i + 1] for i in range(len(raw))]) == whole


# -- properties --------------------------------------------------------------------------

_line_text = st.text(
    alphabet=st.characters(codec="utf-8", exclude_characters="\r\n"),
    max_size=20,
)
_event = st.lists(_line_text, min_size=1, max_size=4)


@st.composite
def _stream_and_events(draw: st.DrawFn) -> tuple[bytes, list[str]]:
    events = draw(st.lists(_event, min_size=0, max_size=6))
    eol = draw(st.sampled_from([b"\n", b"\r\n", b"\r"]))
    out = bytearray()
    for i, lines in enumerate(events):
        if draw(st.booleans()):
            out += b": comment" + eol
        if draw(st.booleans()):
            out += b"event: chunk" + eol + b"id: " + str(i).encode() + eol
        for line in lines:
            out += b"data: " + line.encode() + eol
        last = i == len(events) - 1
        if not last or draw(st.booleans()):  # the last event may lack its blank line
            out += eol
    return bytes(out), ["\n".join(lines) for lines in events]


@given(data=_stream_and_events(), cuts=st.lists(st.integers(min_value=0), max_size=12))
@settings(max_examples=300, deadline=None)
def test_any_split_gives_the_same_events(data: tuple[bytes, list[str]], cuts: list[int]) -> None:
    raw, expected = data
    points = sorted(c % (len(raw) + 1) for c in cuts)  # duplicates make empty chunks
    bounds = [0, *points, len(raw)]
    chunks = [raw[a:b] for a, b in itertools.pairwise(bounds)]
    assert decode(chunks) == expected
    assert decode([raw]) == expected


@given(chunks=st.lists(st.binary(max_size=64), max_size=10))
@settings(max_examples=300, deadline=None)
def test_arbitrary_bytes_never_raise(chunks: list[bytes]) -> None:
    events = decode(chunks)
    assert all(isinstance(e, str) for e in events)
