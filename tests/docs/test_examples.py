"""The examples run from a fresh process, offline, and print an answer."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
# The key lines of each example's offline output: the emulator's default answers must read like
# answers (the tool the question needs, the city it names, the context's sentence).
EXPECTED = {
    "quickstart.py": ["You said: In one sentence: why is the sky blue?", "[LlamaIndex]"],
    "langchain_agent.py": [
        "user: What's the weather in Paris?\n  thinking: I should call get_weather.\n"
        "  calls: [('get_weather', 'get_weather:0')]\n"
        "  tool get_weather: Sunny, 22 °C in Paris\n"
        "kimi: The tool get_weather returned: Sunny, 22 °C in Paris\n",
        "user: And how many people live there?\n  thinking: I should call get_population.\n"
        "  calls: [('get_population', 'get_population:0')]\n"
        "  tool get_population: Paris has about 2.1 million inhabitants\n"
        "kimi: The tool get_population returned: Paris has about 2.1 million inhabitants\n",
    ],
    "llamaindex_rag.py": [
        "question: How large is the context window of kimi-k2.6?\n"
        "answer:   kimi-k2.6 has a context window of 262,144 tokens.\n",
        "sources:  ['kimi_models.md'",
    ],
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
    # This checkout's packages, not whichever copy is installed (a script's own folder comes
    # first on sys.path, the repository root does not).
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
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
    # Never a schema placeholder or an echoed prompt where an answer belongs.
    assert "<city>" not in done.stdout
    assert "Context information is below" not in done.stdout
