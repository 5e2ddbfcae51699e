"""Ask Kimi one question through LangChain and LlamaIndex, streaming its reasoning.

Uses the real Moonshot API when MOONSHOT_API_KEY is set; otherwise starts the offline emulator
(kimi_emulator) on 127.0.0.1 and says so. Run: python examples/quickstart.py
"""

from __future__ import annotations

from llama_index.core.llms import ChatMessage

from kimi_emulator import real_or_emulated
from langchain_kimi import ChatKimi, get_kimi_callback
from llama_index_kimi import Kimi

QUESTION = "In one sentence: why is the sky blue?"
DIM, PLAIN = "\033[2m", "\033[0m"


def main() -> None:
    with real_or_emulated() as settings:
        chat = ChatKimi(model="kimi-k2.6", **settings)
        print("\n[LangChain] ChatKimi, streamed (reasoning dimmed, then the answer):")
        with get_kimi_callback() as usage:
            for chunk in chat.stream(QUESTION):
                reasoning = chunk.additional_kwargs.get("reasoning_content")
                if reasoning:
                    print(f"{DIM}{reasoning}{PLAIN}", end="", flush=True)
                print(chunk.content, end="", flush=True)
        print(f"\n  tokens: {usage.total_tokens}, cost: {usage.total_cost} {usage.currency}")

        llm = Kimi(model="kimi-k2.6", thinking=False, **settings)
        answer = llm.chat([ChatMessage(role="user", content=QUESTION)])
        print("\n[LlamaIndex] Kimi, thinking off:")
        print(f"  {answer.message.content}")
        print(f"  usage: {answer.raw['usage']}")


if __name__ == "__main__":
    main()
