"""Ask Kimi one question through LangChain and LlamaIndex, streaming its reasoning.

Uses the real Moonshot API when MOONSHOT_API_KEY is set; otherwise starts the loopback
emulator (kimi_core.emulator) and says so. Run: python examples/quickstart.py
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator

QUESTION = "In one sentence: why is the sky blue?"


@contextlib.contextmanager
def kimi_endpoint() -> Iterator[dict[str, str]]:
    """Real API settings when a key is set, else a running emulator's."""
    if os.environ.get("MOONSHOT_API_KEY"):
        print("Talking to the real Moonshot API (MOONSHOT_API_KEY is set).")
        yield {}
        return
    from kimi_core.emulator import KimiEmulator

    with KimiEmulator(dialect="moonshot") as emulator:
        print(f"MOONSHOT_API_KEY is not set: talking to the offline emulator at {emulator.base_url}")
        yield {"api_key": "emulator", "base_url": emulator.base_url}


def main() -> int:
    from langchain_kimi import ChatKimi, get_kimi_callback
    from llama_index.core.llms import ChatMessage

    from llama_index_kimi import Kimi

    with kimi_endpoint() as settings:
        chat = ChatKimi(model="kimi-k2.5", **settings)
        print("\n[LangChain] streaming, reasoning first:")
        with get_kimi_callback() as usage:
            for chunk in chat.stream(QUESTION):
                reasoning = chunk.additional_kwargs.get("reasoning_content", "")
                if reasoning:
                    print(f"\033[2m{reasoning}\033[0m", end="", flush=True)
                print(chunk.text, end="", flush=True)
        print(f"\n  tokens: {usage.total_tokens}, cost: {usage.total_cost} {usage.currency}")

        llm = Kimi(model="kimi-k2.5", thinking=False, **settings)
        answer = llm.chat([ChatMessage(role="user", content=QUESTION)])
        print("\n[LlamaIndex] thinking off:")
        print(answer.message.content)
    return 0


if __name__ == "__main__":
    sys.exit(main())
