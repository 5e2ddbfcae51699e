"""Framework prompts that ask for a format get it (``prompts``): exact answers over HTTP.

The prompts are copies of the frameworks' default templates (llama-index-core 0.14's
selectors, question generator and ReAct header; LangChain's classic ReAct hub prompt), so
these tests need neither framework; tests/llama_index and tests/langchain run the real ones.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from kimi_emulator import KimiEmulator

OFF = {"type": "disabled"}

SELECT = (
    "Some choices are given below. It is provided in a numbered list (1 to 3), where each item "
    "in the list corresponds to a summary.\n---------------------\n"
    "(1) Useful for questions about Kimi models and context windows\n\n"
    "(2) Useful for questions about rate limits and concurrency tiers\n\n"
    "(3) Useful for questions about partial mode\n---------------------\n"
)
SINGLE = SELECT + (
    "Using only the choices above and not prior knowledge, return the choice that is most "
    "relevant to the question: '{q}'\n\n\nThe output should be ONLY JSON formatted as a JSON "
    'instance.\n\nHere is an example:\n[\n    {{\n        choice: 1,\n        reason: "<insert '
    'reason for choice>"\n    }},\n    ...\n]\n'
)
MULTI = SELECT + (
    "Using only the choices above and not prior knowledge, return the top choices (no more "
    "than {m}, but only select what is needed) that are most relevant to the question: '{q}'\n"
)

QUESTION_GEN = """\
Given a user question, and a list of tools, output a list of relevant sub-questions in json \
markdown that when composed can help answer the full user question:

# Example 1
<Tools>
```json
{"uber_10k": "Provides information about Uber financials for year 2021"}
```

<User Question>
Compare and contrast the revenue growth and EBITDA of Uber and Lyft for year 2021


<Output>
```json
{"items": [{"sub_question": "What is the revenue growth of Uber", "tool_name": "uber_10k"}]}
```

# Example 2
<Tools>
```json
{
    "models": "Kimi models",
    "limits": "Rate limits"
}
```

<User Question>
Compare the models and the limits

<Output>
"""

REACT_SYSTEM = """\
You are designed to help with a variety of tasks.

## Tools

You have access to the following tools:
> Tool Name: add
Tool Description: add(a: int, b: int) -> int
Add two integers.
Tool Args: {"properties": {"a": {"title": "A", "type": "integer"}, "b": {"title": "B", \
"type": "integer"}}, "required": ["a", "b"], "type": "object"}

> Tool Name: get_time
Tool Description: get_time() -> str
The time.
Tool Args: {"properties": {}, "type": "object"}


## Output Format

```
Thought: The current language of the user is: (user's language). I need to use a tool.
Action: tool name (one of add, get_time) if using a tool.
Action Input: the input to the tool, in a JSON format representing the kwargs (e.g. {"input": \
"hello world", "num_beams": 5})
```

```
Thought: I can answer without using any more tools. I'll use the user's language to answer
Answer: [your answer here (In the same language as the user's question)]
```
"""

LC_REACT = """\
Answer the following questions as best you can. You have access to the following tools:

get_weather(city: str) -> str - Current weather in a city.
get_time(city: str) -> str - Current time in a city.

Use the following format:

Question: the input question you must answer
Thought: you should always think about what to do
Action: the action to take, should be one of [{names}]
Action Input: the input to the action
Observation: the result of the action
... (this Thought/Action/Action Input/Observation can repeat N times)
Thought: I now know the final answer
Final Answer: the final answer to the original input question

Begin!

Question: {question}
Thought:{scratchpad}"""

LLAMA_ANSWER = (
    "Thought: I can answer without using any more tools. I'll use the user's language to "
    "answer\nAnswer: "
)


@pytest.fixture
def raw(moonshot: KimiEmulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=moonshot.base_url + "/", timeout=10) as client:
        yield client


def text(raw: httpx.Client, messages: list[dict[str, Any]], **body: Any) -> str:
    body.setdefault("model", "kimi-k2.6")
    response = raw.post("chat/completions", json={"messages": messages, **body})
    assert response.status_code == 200, response.text
    content: str = response.json()["choices"][0]["message"]["content"]
    return content


def user(content: str) -> list[dict[str, Any]]:
    return [{"role": "user", "content": content}]


def test_single_selector_picks_the_choice_sharing_most_words(raw: httpx.Client) -> None:
    asked = SINGLE.format(q="What are the rate limits of Tier2?")
    assert json.loads(text(raw, user(asked))) == [
        {"choice": 2, "reason": "Choice 2 shares 2 words with the question."}
    ]
    nothing = SINGLE.format(q="Hello?")
    assert text(raw, user(nothing)) == (
        '[{"choice": 1, "reason": "Choice 1 shares 0 words with the question."}]'
    )
    # Ties go to the lowest number: "questions" is in every summary.
    tie = SINGLE.format(q="Any questions?")
    assert json.loads(text(raw, user(tie)))[0]["choice"] == 1


def test_multi_selector_returns_every_matching_choice_up_to_the_limit(raw: httpx.Client) -> None:
    asked = MULTI.format(m=3, q="What about partial mode, rate limits and context windows?")
    assert json.loads(text(raw, user(asked), thinking=OFF)) == [
        {"choice": 1, "reason": "Choice 1 shares 3 words with the question."},
        {"choice": 2, "reason": "Choice 2 shares 3 words with the question."},
        {"choice": 3, "reason": "Choice 3 shares 3 words with the question."},
    ]
    limited = MULTI.format(m=1, q="rate limits and context windows?")
    assert json.loads(text(raw, user(limited))) == [
        {"choice": 1, "reason": "Choice 1 shares 2 words with the question."}
    ]
    none = MULTI.format(m=2, q="Hello?")
    assert json.loads(text(raw, user(none))) == [
        {"choice": 1, "reason": "Choice 1 shares 0 words with the question."}
    ]


def test_question_generator_asks_every_tool_the_question(raw: httpx.Client) -> None:
    expected = {
        "items": [
            {"sub_question": "Compare the models and the limits", "tool_name": "models"},
            {"sub_question": "Compare the models and the limits", "tool_name": "limits"},
        ]
    }
    assert text(raw, user(QUESTION_GEN)) == f"```json\n{json.dumps(expected, indent=4)}\n```"


def test_llama_index_react_acts_then_answers(raw: httpx.Client) -> None:
    system = {"role": "system", "content": REACT_SYSTEM}
    question = {"role": "user", "content": "What is 2 + 3?"}
    assert text(raw, [system, question]) == (
        "Thought: I need to use a tool to help me answer the question.\nAction: add\n"
        'Action Input: {"a": 2, "b": 3}'  # the numbers of the question, in order
    )
    named = {"role": "user", "content": "Ask get_time, please"}
    assert text(raw, [system, named]).endswith("Action: get_time\nAction Input: {}")
    step = {"role": "assistant", "content": "Thought: x\nAction: add\nAction Input: {'a': 1}"}
    observed = [system, question, step, {"role": "user", "content": "Observation: 2"}]
    assert text(raw, observed, thinking=OFF) == LLAMA_ANSWER + "The tool add returned: 2"
    no_tools = {"role": "system", "content": REACT_SYSTEM.split("> Tool Name")[0] + "## Output"}
    no_tools["content"] += REACT_SYSTEM.split("## Output")[1]
    assert text(raw, [no_tools, question]) == LLAMA_ANSWER + "You said: What is 2 + 3?"


def test_langchain_classic_react_acts_then_answers(raw: httpx.Client) -> None:
    names = "get_weather, get_time"
    first = LC_REACT.format(names=names, question="Time in Paris via get_time?", scratchpad="")
    assert text(raw, user(first)) == (
        "I need to use a tool to answer the question.\nAction: get_time\n"
        "Action Input: Time in Paris via get_time?"
    )
    scratchpad = (
        "I need to use a tool.\nAction: get_time\nAction Input: Paris\nObservation: noon\nThought: "
    )
    second = LC_REACT.format(names=names, question="Time in Paris?", scratchpad=scratchpad)
    assert text(raw, user(second)) == (
        "I now know the final answer\nFinal Answer: The tool get_time returned: noon"
    )
    empty = LC_REACT.format(names="", question="Hi?", scratchpad="")
    assert text(raw, user(empty)) == "I now know the final answer\nFinal Answer: You said: Hi?"


def test_json_mode_and_scripts_take_precedence_over_prompt_shapes(
    moonshot: KimiEmulator, raw: httpx.Client
) -> None:
    asked = SINGLE.format(q="rate limits?")
    json_mode = text(raw, user(asked), response_format={"type": "json_object"})
    assert json.loads(json_mode) == {"answer": f"You said: {asked}"}
    moonshot.script('[{"choice": 3, "reason": "scripted"}]')
    assert text(raw, user(asked)) == '[{"choice": 3, "reason": "scripted"}]'
