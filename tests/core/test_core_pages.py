"""Issue 26: ``list()`` results iterate over their items across pages (files, batches), as
openai-python's pages do; the emulator serves the pages (``limit``, ``after``, ``has_more``)."""

from __future__ import annotations

import asyncio
import json

from kimi_core import AsyncKimiClient, KimiClient
from kimi_core.types import Batch, BatchList, FileList, FileObject
from kimi_emulator import KimiEmulator

KEY = "sk-pages-test"
LINE = (
    json.dumps(
        {
            "custom_id": "r",
            "method": "POST",
            "url": "/v1/chat/completions",
            "body": {"model": "kimi-k2.6", "messages": [{"role": "user", "content": "hi"}]},
        }
    ).encode()
    + b"\n"
)


def _lists(emu: KimiEmulator, path: str) -> list[dict[str, str]]:
    return [r.query for r in emu.requests if r.method == "GET" and r.path == path]


def _files(client: KimiClient, count: int) -> list[str]:
    return [
        client.files.upload(f"note {i}".encode(), filename=f"n{i}.txt", purpose="file-extract").id
        for i in range(count)
    ]


def test_files_list_iterates_across_pages_lazily(kimi_emulator: KimiEmulator) -> None:
    with KimiClient(KEY, kimi_emulator.base_url) as client:
        ids = _files(client, 5)
        page = client.files.list(limit=2)
        assert isinstance(page, FileList)
        assert page[0].id == ids[0]  # indexed as the list files.list() used to return
        assert len(page) == 2
        assert [f.id for f in page.data] == ids[:2]
        assert page.has_more is True
        assert len(_lists(kimi_emulator, "/v1/files")) == 1  # nothing more fetched yet
        every = list(page)
    assert all(isinstance(f, FileObject) for f in every)
    assert [f.id for f in every] == ids
    assert _lists(kimi_emulator, "/v1/files") == [
        {"limit": "2"},
        {"limit": "2", "after": ids[1]},
        {"limit": "2", "after": ids[3]},
    ]


def test_batches_list_iterates_over_batches_not_fields(kimi_emulator: KimiEmulator) -> None:
    with KimiClient(KEY, kimi_emulator.base_url) as client:
        made = []
        for i in range(3):
            upload = client.files.upload(LINE, filename=f"b{i}.jsonl", purpose="batch")
            made.append(client.batches.create(upload.id).id)
        page = client.batches.list(limit=2)
        assert isinstance(page, BatchList)
        assert len(page.data) == 2
        every = list(client.batches.list(limit=2))
        default = [b.id for b in client.batches.list()]
    assert all(isinstance(b, Batch) for b in every)
    assert [b.id for b in every] == list(reversed(made))  # newest first
    assert default == list(reversed(made))


def test_async_for_over_an_async_list(kimi_emulator: KimiEmulator) -> None:
    async def run() -> tuple[list[str], list[str], list[str]]:
        async with AsyncKimiClient(KEY, kimi_emulator.base_url) as client:
            ids = [
                (await client.files.upload(b"x", filename=f"a{i}.txt", purpose="file-extract")).id
                for i in range(3)
            ]
            first = await client.files.list(limit=2)
            seen = [f.id async for f in client.files.list(limit=2)]
            assert first.has_more is True
            return ids, [f.id for f in first.data], seen

    ids, first, seen = asyncio.run(run())
    assert first == ids[:2]
    assert seen == ids
