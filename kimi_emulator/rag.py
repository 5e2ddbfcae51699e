"""Retrieval-augmented prompts: answered from the most relevant passage of their context.

Recognised shapes (phrases of the frameworks' default templates; the last user message, with
the system messages before it for LangChain's chat prompt):

- LlamaIndex ``text_qa`` / ``tree_summarize`` (also their chat versions): "Context information
  is below." or "Context information from multiple sources is below.", then the context
  between ``---------------------`` lines, then "Query: Q" and "Answer:".
- LlamaIndex ``refine`` ("The original query is as follows: Q", "We have provided an existing
  answer: A", the new context between ``------------`` lines) and the chat refine ("New
  Context: C", "Query: Q", "Original Answer: A", "New Answer:").
- LangChain's RAG prompts: a user message with "Question: Q" and "Context: C" (in either
  order, each up to the next ``Question:`` / ``Context:`` / ``Answer:`` line or the end), the
  classic stuff prompt ("Use the following pieces of context to answer the question at the
  end", the context, then "Question: Q" and "Helpful Answer:") and its chat version (a system
  message "Use the following pieces of context to answer the user's question." whose context
  follows a ``----------------`` line; Q is the user message).
- Chat engines, a system message carrying the context and Q the last user message: LlamaIndex
  ``ContextChatEngine`` ("Use the context information below to assist the user.", the
  context between ``--------------------`` lines), ``CondensePlusContextChatEngine`` ("Here are
  the relevant documents for the context:", up to "Instruction:"), and any system prompt with
  a ``<context>...</context>`` block (LangChain's ``create_retrieval_chain`` examples). A
  follow-up sharing no word with the context ("And where are they?") is read together with
  the user message before it.

The answer is the passage (:func:`relevance.passages`, then split into sentences) sharing the
most content words with Q (the first on ties) - for refine, the existing answer competes
first, so it stays unless a new passage shares more. When no passage shares a word:
``The context does not say.`` (:data:`NOT_IN_CONTEXT`); for refine, the existing answer.
A question asking for a summary ("summarize", "summary", "describe what", as
``DocumentSummaryIndex``'s does) gets the first two sentences of the context (for refine,
the existing answer).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from .relevance import passages, relevance, sentences
from .tokens import content_text

__all__ = ["NOT_IN_CONTEXT", "answer_from", "rag_reply"]

NOT_IN_CONTEXT = "The context does not say."
SUMMARY = re.compile(r"\b(summari[sz]e|summary|describe what)\b", re.I)
LLAMA_QA = re.compile(
    r"Context information (?:from multiple sources )?is below\.\s*\n-{5,}\n(.*)\n-{5,}\n"
    r".*?Query: (.*?)\n\s*Answer:",
    re.S,
)
LLAMA_REFINE = re.compile(
    r"The original query is as follows: (.*?)\nWe have provided an existing answer: (.*?)\n"
    r".*?-{5,}\n(.*)\n-{5,}",
    re.S,
)
LLAMA_CHAT_REFINE = re.compile(
    r"New Context: (.*?)\nQuery: (.*?)\nOriginal Answer: (.*?)\nNew Answer:", re.S
)
CLASSIC_STUFF = re.compile(
    r"Use the following pieces of context to answer the question at the end\..*?\n\n(.*)\n\n"
    r"Question: (.*?)\nHelpful Answer:",
    re.S,
)
CHAT_STUFF_MARKER = "Use the following pieces of context to answer the user's question."
CONTEXT_ENGINE_MARKER = "Use the context information below to assist the user."
PLUS_CONTEXT_MARKER = "Here are the relevant documents for the context:"
_LABELLED = re.compile(r"^(Question|Context|Answer):[ \t]*", re.M)

Messages = Sequence[Mapping[str, Any]]


def _candidates(context: str) -> list[str]:
    return [sentence for passage in passages(context) for sentence in sentences(passage)]


def answer_from(question: str, context: str, existing: str | None = None) -> str:
    """The most relevant passage of ``context`` for ``question`` (module docstring)."""
    found = _candidates(context)
    if SUMMARY.search(question) and found:
        return existing or " ".join(found[:2])
    candidates = ([existing] if existing else []) + found
    scores = [relevance(question, candidate) for candidate in candidates]
    if not scores or max(scores) == 0:
        return existing or NOT_IN_CONTEXT
    return candidates[scores.index(max(scores))]


def _labelled(prompt: str) -> tuple[str, str] | None:
    """``(question, context)`` of a prompt with ``Question:`` and ``Context:`` sections."""
    marks = list(_LABELLED.finditer(prompt))
    sections: dict[str, str] = {}
    for i, mark in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(prompt)
        sections[mark.group(1)] = prompt[mark.end() : end].strip()
    if "Question" in sections and "Context" in sections:
        return sections["Question"], sections["Context"]
    return None


def _from_prompt(prompt: str) -> str | None:
    match = LLAMA_QA.search(prompt)
    if match is not None:
        return answer_from(match.group(2).strip(), match.group(1))
    match = LLAMA_REFINE.search(prompt)
    if match is not None:
        question, existing, context = (g.strip() for g in match.groups())
        return answer_from(question, context, existing)
    match = LLAMA_CHAT_REFINE.search(prompt)
    if match is not None:
        context, question, existing = (g.strip() for g in match.groups())
        return answer_from(question, context, existing)
    match = CLASSIC_STUFF.search(prompt)
    if match is not None:
        return answer_from(match.group(2).strip(), match.group(1))
    labelled = _labelled(prompt)
    if labelled is not None:
        return answer_from(*labelled)
    return None


def rag_reply(messages: Messages) -> str | None:
    """The answer to a recognised RAG prompt (module docstring), else ``None``."""
    texts = [(m.get("role"), content_text(m.get("content"))) for m in messages]
    users = [text for role, text in texts if role == "user"]
    if not users:
        return None
    answer = _from_prompt(users[-1])
    if answer is not None:
        return answer
    for role, text in texts:
        context = _system_context(text) if role == "system" else None
        if context is not None:
            return _follow_up_answer(users, context)
    return None


def _system_context(text: str) -> str | None:
    """The context a chat engine's system prompt carries (module docstring), else ``None``."""
    if CHAT_STUFF_MARKER in text:
        return text.split("----------------", 1)[-1]
    if CONTEXT_ENGINE_MARKER in text:
        parts = text.split("--------------------")
        return parts[1] if len(parts) >= 3 else None
    if PLUS_CONTEXT_MARKER in text:
        return text.split(PLUS_CONTEXT_MARKER, 1)[1].split("Instruction:", 1)[0]
    tagged = re.search(r"<context>(.*?)</context>", text, re.S)
    return tagged.group(1) if tagged else None


def _follow_up_answer(users: Sequence[str], context: str) -> str:
    """The answer to the last user message; a follow-up that matches nothing ("And where are
    they?") is read with the user message before it."""
    answer = answer_from(users[-1], context)
    if answer == NOT_IN_CONTEXT and len(users) > 1:
        answer = answer_from(f"{users[-2]} {users[-1]}", context)
    return answer
