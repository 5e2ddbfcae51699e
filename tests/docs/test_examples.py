"""The examples run from a fresh process, offline, and print an answer."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
EXPECTED = {
    "quickstart.py": ["You said: In one sentence: why is the sky blue?", "[LlamaIndex]"],
    "langchain_agent.py": ["calls: [('get_weather', 'get_weather:0')]", "kimi: The tool"],
    "llamaindex_rag.py": ["sources:  ['kimi_models.md'", "answer:"],
    "batch_labelling.py": [
        "(300 requests)",
        "labelled 300 reviews: {'negative': 100, 'neutral': 100, 'positive': 100}",
        "  positive The headphones: arrived early and works perfectly. (order 0)",
        "  negative The kettle: broke after two days. (order 1)",
        "  neutral  The desk lamp: it is a phone case. (order 2)",
        "cost at the batch price: $",
    ],
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_example_runs_offline_and_answers(name: str) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("MOONSHOT_API_KEY", "KIMI_API_KEY", "MOONSHOT_BASE_URL", "KIMI_BASE_URL")
    }
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / name)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "talking to the offline Kimi emulator" in done.stdout
    for expected in EXPECTED[name]:
        assert expected in done.stdout, done.stdout
