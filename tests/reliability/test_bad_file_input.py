"""Bad file input is refused with a clear typed error before anything is uploaded."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kimi_core import FileTooLargeError, InvalidParameterError, KimiClient
from langchain_kimi import KimiFileLoader
from llama_index_kimi import KimiFileReader


@pytest.fixture
def big_file(tmp_path: Path) -> Path:
    path = tmp_path / "huge.pdf"
    with path.open("wb") as handle:
        handle.truncate(100 * 1024 * 1024 + 1)  # sparse: no 100 MB written to disk
    return path


def _load_langchain(path: Path, url: str) -> Any:
    return KimiFileLoader(path, api_key="sk-t", base_url=url).load()


def _load_llama_index(path: Path, url: str) -> Any:
    return KimiFileReader(api_key="sk-t", base_url=url).load_data([path])


def _upload_core(path: Path, url: str) -> Any:
    return KimiClient(api_key="sk-t", base_url=url).files.upload(path)


LOADERS = [_load_langchain, _load_llama_index, _upload_core]


@pytest.mark.parametrize("load", LOADERS, ids=["KimiFileLoader", "KimiFileReader", "core"])
def test_a_directory_is_refused_before_upload(
    load: Any, tmp_path: Path, kimi_emulator: Any
) -> None:
    with pytest.raises(InvalidParameterError, match="not a regular file") as caught:
        load(tmp_path, kimi_emulator.base_url)
    assert caught.value.param == "file"
    assert kimi_emulator.requests == []


@pytest.mark.parametrize("load", LOADERS, ids=["KimiFileLoader", "KimiFileReader", "core"])
def test_a_missing_file_is_refused_before_upload(
    load: Any, tmp_path: Path, kimi_emulator: Any
) -> None:
    with pytest.raises(InvalidParameterError, match="No such file"):
        load(tmp_path / "nope.pdf", kimi_emulator.base_url)
    assert kimi_emulator.requests == []


@pytest.mark.parametrize("load", LOADERS, ids=["KimiFileLoader", "KimiFileReader", "core"])
def test_a_file_over_100_mb_is_refused_before_upload(
    load: Any, big_file: Path, kimi_emulator: Any
) -> None:
    with pytest.raises(FileTooLargeError, match="100 MB"):
        load(big_file, kimi_emulator.base_url)
    assert kimi_emulator.requests == []


def test_an_unsupported_purpose_is_refused_before_upload(
    tmp_path: Path, kimi_emulator: Any
) -> None:
    path = tmp_path / "a.txt"
    path.write_text("hi")
    client = KimiClient(api_key="sk-t", base_url=kimi_emulator.base_url)
    with pytest.raises(InvalidParameterError, match="unsupported file purpose") as caught:
        client.files.upload(path, purpose="fine-tune")  # type: ignore[arg-type]
    assert caught.value.param == "purpose"
    assert kimi_emulator.requests == []
