"""A LangChain agent on Kimi with two tools and thinking on, over two turns.

Kimi's thinking models need the reasoning of every earlier tool-call turn sent back
(``reasoning_content``); ChatKimi does that, so the second turn works where generic OpenAI
wrappers get a 400. Real API with MOONSHOT_API_KEY, else the offline emulator.
Run: python examples/langchain_agent.py
"""

from __future__ import annotations

from langchain.agents import create_agent
from langchain_core.messages import AIMessage, ToolMessage
from langchain_core.tools import tool

from kimi_emulator import real_or_emulated
from langchain_kimi import ChatKimi


@tool
def get_weather(city: str) -> str:
    """Current weather in a city."""
    return f"Sunny, 22 °C in {city}"


@tool
def get_population(city: str) -> str:
    """Population of a city."""
    return f"{city} has about 2.1 million inhabitants"


def main() -> None:
    with real_or_emulated() as settings:
        llm = ChatKimi(model="kimi-k2.6", thinking=True, **settings)
        agent = create_agent(llm, tools=[get_weather, get_population])
        messages: list = []
        for question in ["What's the weather in Paris?", "And how many people live there?"]:
            messages.append(("user", question))
            state = agent.invoke({"messages": messages})
            messages = state["messages"]
            print(f"\nuser: {question}")
            for message in messages[-3:]:
                if isinstance(message, AIMessage) and message.tool_calls:
                    thought = message.additional_kwargs.get("reasoning_content", "")
                    print(f"  thinking: {thought[:100]}")
                    print(f"  calls: {[(c['name'], c['id']) for c in message.tool_calls]}")
                elif isinstance(message, ToolMessage):
                    print(f"  tool {message.name}: {message.content}")
            print(f"kimi: {messages[-1].content}")


if __name__ == "__main__":
    main()
