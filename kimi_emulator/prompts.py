"""Framework prompts that ask for a format: recognised by marker phrases, answered in it.

An echo cannot be parsed by a selector or a ReAct loop, so these prompt shapes get the answer
their own parsers expect (exact texts in :mod:`replies`' docstring). Recognition is by phrases
of the frameworks' default templates, never by importing them:

- LlamaIndex selectors (``LLMSingleSelector`` / ``LLMMultiSelector``), last user message:
  "Some choices are given below. It is provided in a numbered list (1 to" and "where each
  item in the list corresponds to a summary."; several answers when it says "(no more than N".
- LlamaIndex ``LLMQuestionGenerator``, last user message: "output a list of relevant
  sub-questions in json markdown".
- LlamaIndex ReAct (``ReActChatFormatter``), a system message: "Action Input: the input to the
  tool, in a JSON format representing the kwargs" and "Thought: I can answer without using any
  more tools.".
- LangChain's classic ReAct (``create_react_agent``'s hub prompt, MRKL), last user message:
  "Thought: you should always think about what to do" and "Final Answer: the final answer to
  the original input question".

Then, in this order: evaluator prompts (:mod:`judges`), choice-select and triplet extraction
(:mod:`listings`), condense-question prompts (:mod:`condense`), metadata extractors
(:mod:`extractors`), retrieval prompts answered from their context (:mod:`rag`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from .choice import mentions
from .condense import condense_reply
from .extractors import extractor_reply
from .judges import judge_reply
from .listings import listing_reply
from .rag import rag_reply
from .relevance import best
from .tokens import content_text
from .tool_arguments import question_arguments

__all__ = ["framework_reply", "overlap", "selector_answers"]

SELECT_MARKERS = (
    "Some choices are given below. It is provided in a numbered list (1 to",
    "where each item in the list corresponds to a summary.",
)
QUESTION_GEN_MARKER = "output a list of relevant sub-questions in json markdown"
LLAMA_REACT_MARKERS = (
    "Action Input: the input to the tool, in a JSON format representing the kwargs",
    "Thought: I can answer without using any more tools.",
)
LANGCHAIN_REACT_MARKERS = (
    "Thought: you should always think about what to do",
    "Final Answer: the final answer to the original input question",
)

LLAMA_ACTION = (
    "Thought: I need to use a tool to help me answer the question.\nAction: {name}\n"
    "Action Input: {arguments}"
)
LLAMA_ANSWER = (
    "Thought: I can answer without using any more tools. I'll use the user's language to "
    "answer\nAnswer: {answer}"
)
LANGCHAIN_ACTION = (
    "I need to use a tool to answer the question.\nAction: {name}\nAction Input: {question}"
)
LANGCHAIN_ANSWER = "I now know the final answer\nFinal Answer: {answer}"

_WORD = re.compile(r"[a-z0-9]+")
_DECODER = json.JSONDecoder()
Messages = Sequence[Mapping[str, Any]]


def _words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if len(w) >= 4}


def overlap(question: str, text: str) -> int:
    """How many distinct words of 4+ letters or digits ``question`` shares with ``text``."""
    return len(_words(question) & _words(text))


def _results_text(pairs: Sequence[tuple[str, str]]) -> str:
    return "\n".join(f"The tool {name} returned: {result}" for name, result in pairs)


# --------------------------------------------------------------------------- selectors


def selector_answers(prompt: str) -> list[dict[str, Any]] | None:
    """The selector's ``[{"choice": N, "reason": ...}]`` (module docstring), else ``None``."""
    if not all(marker in prompt for marker in SELECT_MARKERS):
        return None
    parts = prompt.split("---------------------")
    listing = parts[1] if len(parts) >= 3 else ""
    choices = [
        (int(m.group(1)), m.group(2)) for m in re.finditer(r"^\((\d+)\) (.*)$", listing, re.M)
    ]
    question_match = re.search(
        r"relevant to the (?:question|query): '(.*?)'\s*(?:\n|$)", prompt, re.S
    )
    question = question_match.group(1) if question_match else ""
    if not choices:
        choices = [(1, "")]
    scored = sorted(((-overlap(question, text), number) for number, text in choices))
    limit = re.search(r"\(no more than (\d+)", prompt)
    if limit is None:
        picked = scored[:1]
    else:
        picked = [item for item in scored if item[0] < 0][: max(int(limit.group(1)), 1)]
        picked = picked or scored[:1]
    return [
        {"choice": number, "reason": f"Choice {number} shares {-score} words with the question."}
        for score, number in picked
    ]


def _selector(prompt: str) -> str | None:
    answers = selector_answers(prompt)
    return None if answers is None else json.dumps(answers, ensure_ascii=False)


# --------------------------------------------------------------------------- question generator


def _question_gen(prompt: str) -> str | None:
    if QUESTION_GEN_MARKER not in prompt:
        return None
    tools: dict[str, Any] = {}
    start = prompt.rfind("<Tools>")
    brace = prompt.find("{", start) if start != -1 else -1
    if brace != -1:
        try:
            decoded, _ = _DECODER.raw_decode(prompt, brace)
        except ValueError:
            decoded = {}
        tools = decoded if isinstance(decoded, dict) else {}
    question = ""
    asked = prompt.rfind("<User Question>")
    if asked != -1:
        end = prompt.find("<Output>", asked)
        question = prompt[asked + len("<User Question>") : end if end != -1 else None].strip()
    items = [{"sub_question": question, "tool_name": str(name)} for name in tools]
    body = json.dumps({"items": items}, indent=4, ensure_ascii=False)
    return f"```json\n{body}\n```"


# --------------------------------------------------------------------------- LlamaIndex ReAct


def _llama_tools(system: str) -> list[tuple[str, str, Any]]:
    """``(name, description, "Tool Args" schema)`` per tool the ReAct header lists."""
    tools = []
    for match in re.finditer(r"^> Tool Name: (.+)$", system, re.M):
        next_tool = system.find("> Tool Name: ", match.end())
        section = system[match.end() : next_tool if next_tool != -1 else None]
        described = re.search(r"^Tool Description: (.*)$", section, re.M)
        schema: Any = None
        args_at = section.find("Tool Args: ")
        if args_at != -1:
            try:
                schema, _ = _DECODER.raw_decode(section, args_at + len("Tool Args: "))
            except ValueError:
                schema = None
        tools.append((match.group(1).strip(), described.group(1) if described else "", schema))
    return tools


def _pick(question: str, tools: Sequence[tuple[str, str]]) -> str:
    """The tool ``question`` names, else the one whose name and description share the most
    content words with it (the first on ties)."""
    named = [name for name, _ in tools if mentions(question, name)]
    if named:
        return named[0]
    found = best(question, list(tools), lambda t: f"{t[0].replace('_', ' ')} {t[1]}")
    return found[0] if found is not None else tools[0][0]


def _llama_react(messages: Messages) -> str | None:
    system = next(
        (
            text
            for text in (
                content_text(m.get("content")) for m in messages if m.get("role") == "system"
            )
            if all(marker in text for marker in LLAMA_REACT_MARKERS)
        ),
        None,
    )
    if system is None:
        return None
    texts = [(m.get("role"), content_text(m.get("content"))) for m in messages]
    asked = max(
        (
            i
            for i, (role, text) in enumerate(texts)
            if role == "user" and not text.startswith("Observation:")
        ),
        default=-1,
    )
    question = texts[asked][1] if asked >= 0 else ""
    pairs: list[tuple[str, str]] = []
    action = ""
    for role, text in texts[asked + 1 :]:
        if role == "assistant":
            found = re.search(r"^Action: ([^\n\(\) ]+)", text, re.M)
            action = found.group(1) if found else action
        elif text.startswith("Observation:"):
            pairs.append((action, text[len("Observation:") :].strip()))
    if pairs:
        return LLAMA_ANSWER.format(answer=_results_text(pairs))
    tools = _llama_tools(system)
    if not tools:
        return LLAMA_ANSWER.format(answer=f"You said: {question}")
    name = _pick(question, [(tool, text) for tool, text, _ in tools])
    _, description, schema = next(t for t in tools if t[0] == name)
    history = [m for m in messages[: asked + 1] if m.get("role") in ("user", "assistant")]
    value = question_arguments(schema, history, question, name, description)
    arguments = json.dumps(value, ensure_ascii=False)
    return LLAMA_ACTION.format(name=name, arguments=arguments)


# --------------------------------------------------------------------------- LangChain ReAct


def _langchain_react(prompt: str) -> str | None:
    if not all(marker in prompt for marker in LANGCHAIN_REACT_MARKERS):
        return None
    listed = re.search(r"should be one of \[(.*?)\]", prompt)
    names = [n.strip() for n in listed.group(1).split(",") if n.strip()] if listed else []
    asked = prompt.rfind("\nQuestion: ")
    thought = prompt.find("\nThought:", asked) if asked != -1 else -1
    question = prompt[asked + len("\nQuestion: ") : thought].strip() if thought != -1 else ""
    scratchpad = prompt[thought:] if thought != -1 else ""
    pairs = [
        (action.strip(), observation.strip())
        for action, observation in re.findall(
            r"Action: ([^\n]*)\n(?:[^\n]*\n)*?Observation: (.*?)\nThought:", scratchpad, re.S
        )
    ]
    if pairs:
        return LANGCHAIN_ANSWER.format(answer=_results_text(pairs))
    if not names:
        return LANGCHAIN_ANSWER.format(answer=f"You said: {question}")
    described = [(name, _langchain_description(prompt, name)) for name in names]
    return LANGCHAIN_ACTION.format(name=_pick(question, described), question=question)


def _langchain_description(prompt: str, name: str) -> str:
    """The line of ``{tools}`` that starts with the tool's name (``name: description`` or
    ``name(args) - description``), else ``""``."""
    found = re.search(rf"^{re.escape(name)}\b(.*)$", prompt, re.M)
    return found.group(1) if found else ""


# --------------------------------------------------------------------------- dispatch


def _last_user(messages: Messages) -> str:
    for message in reversed(messages):
        if message.get("role") == "user":
            return content_text(message.get("content"))
    return ""


_ON_LAST_USER: tuple[Callable[[str], str | None], ...] = (
    _langchain_react,
    _question_gen,
    _selector,
    listing_reply,
    condense_reply,
    extractor_reply,
)


def framework_reply(messages: Messages) -> str | None:
    """The answer a recognised prompt shape asks for (module docstring), else ``None``."""
    answer = _llama_react(messages)
    if answer is not None:
        return answer
    answer = judge_reply(messages)
    if answer is not None:
        return answer
    prompt = _last_user(messages)
    for shape in _ON_LAST_USER:
        answer = shape(prompt)
        if answer is not None:
            return answer
    return rag_reply(messages)
