"""Condense-question prompts: a follow-up rewritten as a standalone question, not echoed.

Recognised (the last user message): "rephrase the follow up question to be a standalone
question" (LlamaIndex ``CondensePlusContextChatEngine``, LangChain's classic
``CONDENSE_QUESTION_PROMPT``: the question after the last "Follow Up Input:", up to
"Standalone question:") and "rewrite the message to be a standalone question" (LlamaIndex
``CondenseQuestionChatEngine``: the text between ``<Follow Up Message>`` and
``<Standalone question>``). The chat history is the text before the follow-up.

The answer is the follow-up itself, with ``there`` replaced by ``in <place>`` when the
user's lines of the history name a place (:func:`relevance.places` of the latest user line
naming one; user lines: ``user:`` / ``human:`` lines or lines ending in ``?``), and, when the
follow-up names nothing of its own (no content word, :mod:`relevance`, beyond a pronoun),
the history's last question appended after `` - `` so retrieval still finds its topic.
"""

from __future__ import annotations

import re

from .relevance import content_words, places

__all__ = ["condense_reply"]

REPHRASE = "rephrase the follow up question to be a standalone question"
REWRITE = "rewrite the message to be a standalone question"
_THERE = re.compile(r"\bthere\b", re.I)


def _split(prompt: str) -> tuple[str, str] | None:
    """``(history, follow-up)`` of a condense prompt, else ``None``."""
    if REPHRASE in prompt:
        at = prompt.rfind("Follow Up Input:")
        if at == -1:
            return None
        follow_up = prompt[at + len("Follow Up Input:") :].split("Standalone question:")[0]
        return prompt[:at], follow_up.strip()
    if REWRITE in prompt:
        at = prompt.rfind("<Follow Up Message>")
        if at == -1:
            return None
        follow_up = prompt[at + len("<Follow Up Message>") :].split("<Standalone question>")[0]
        return prompt[:at], follow_up.strip()
    return None


def _questions(history: str) -> list[str]:
    """The user's lines of the history (``user:`` / ``human:`` lines, or lines ending in
    ``?``), role prefix dropped."""
    return [
        re.sub(r"^(user|human):\s*", "", line.strip(), flags=re.I)
        for line in history.splitlines()
        if line.strip().lower().startswith(("user:", "human:")) or line.strip().endswith("?")
    ]


def _last_question(history: str) -> str:
    questions = _questions(history)
    return questions[-1] if questions else ""


def _place(history: str) -> str | None:
    """The first place the latest user line that names one names."""
    for question in reversed(_questions(history)):
        named = places(question)
        if named:
            return named[0]
    return None


def condense_reply(prompt: str) -> str | None:
    """The standalone question (module docstring), else ``None``."""
    split = _split(prompt)
    if split is None:
        return None
    history, follow_up = split
    place = _place(history)
    if place and _THERE.search(follow_up):
        follow_up = _THERE.sub(f"in {place}", follow_up, count=1)
    elif not content_words(follow_up) - {"there"} and _last_question(history):
        follow_up = f"{follow_up} - {_last_question(history)}"
    return follow_up
