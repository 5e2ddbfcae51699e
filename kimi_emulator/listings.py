"""Prompts that ask for a list in a line format: choice-select and triplet extraction.

- LlamaIndex choice-select (``LLMRerank``, ``DocumentSummaryIndex``'s LLM retriever,
  ``ListIndexLLMRetriever``: "A list of documents is shown below. Each document has a number
  next to it"): the documents are read after the *last* "Let's try this now:" (never the
  prompt's example), ``Document N:`` blocks, and the question after the last ``Question:``.
  Answer: one line ``Doc: N, Relevance: R`` per document sharing K >= 1 content words with the
  question (:func:`relevance.relevance`), highest K first then lowest N, with
  ``R = min(10, 2 * K + 2)``; when none shares a word: ``No document is relevant.`` (a line
  the parser skips: no document).
- LlamaIndex triplet extraction (``SimpleLLMPathExtractor``, ``KnowledgeGraphIndex``: "extract
  up to M knowledge triplets in the form of (subject, predicate, object)"): the text after the
  last ``Text:`` (the one after the example), up to ``Triplets:``. Each sentence gives at most
  one triplet ``(subject, predicate, object)``: the words before the first verb of
  :data:`VERBS` (leading articles dropped), that verb (with the verbs and one preposition
  that follow it: "is located in"), and
  the words after it up to a comma, ``;`` or the end (leading articles dropped); commas and
  parentheses inside are replaced by spaces, so the parser's three-way split holds. At most
  M lines; ``(text, mentions, nothing)`` is never invented: a text without such a sentence
  gets no line.
"""

from __future__ import annotations

import re

from .relevance import relevance, sentences

__all__ = ["VERBS", "choice_select_reply", "listing_reply", "text_triplets", "triplets_reply"]

CHOICE_MARKER = "A list of documents is shown below. Each document has a number next to it"
TRIPLET_MARKER = "knowledge triplets in the form of (subject, predicate, object)"
VERBS = (
    "is",
    "are",
    "was",
    "were",
    "has",
    "have",
    "had",
    "founded",
    "created",
    "wrote",
    "built",
    "owns",
    "leads",
    "contains",
    "lives",
    "lived",
    "works",
    "worked",
    "born",
    "located",
    "uses",
    "makes",
    "offers",
    "supports",
    "lets",
    "runs",
)
PREPOSITIONS = ("in", "at", "by", "of", "on", "for", "to", "with", "from")
ARTICLES = ("a ", "an ", "the ")


def choice_select_reply(prompt: str) -> str | None:
    """The choice-select answer (module docstring), else ``None``."""
    if CHOICE_MARKER not in prompt:
        return None
    start = prompt.rfind("Let's try this now:")
    body = prompt[start:] if start != -1 else prompt
    asked = body.rfind("\nQuestion:")
    question = body[asked + len("\nQuestion:") :].split("\nAnswer:")[0].strip()
    listing = body[:asked] if asked != -1 else body
    documents = [
        (int(match.group(1)), match.group(2))
        for match in re.finditer(
            r"^Document (\d+):\n(.*?)(?=^Document \d+:\n|\Z)", listing, re.S | re.M
        )
    ]
    scored = sorted(
        (-relevance(question, text), number)
        for number, text in documents
        if relevance(question, text)
    )
    if not scored:
        return "No document is relevant."
    return "\n".join(f"Doc: {n}, Relevance: {min(10, 2 * -k + 2)}" for k, n in scored)


def _clean(text: str) -> str:
    text = re.sub(r"[,()\[\];]", " ", text).strip(" .!?:\"'")
    lowered = text.lower()
    for article in ARTICLES:
        if lowered.startswith(article):
            text = text[len(article) :]
            break
    return " ".join(text.split())


def _triplet(sentence: str) -> tuple[str, str, str] | None:
    words = sentence.split()
    for i, word in enumerate(words[1:], start=1):
        if word.lower() not in VERBS:
            continue
        end = i + 1
        while end < len(words) - 1 and words[end].lower() in VERBS:
            end += 1
        if end < len(words) and words[end].lower() in PREPOSITIONS:
            end += 1
        subject = _clean(" ".join(words[:i]))
        predicate = " ".join(words[i:end]).lower()
        rest = re.split(r"[,;]", " ".join(words[end:]))[0]
        obj = _clean(rest)
        if subject and obj:
            return subject, predicate, obj
        return None
    return None


def triplets_reply(prompt: str) -> str | None:
    """The triplet lines (module docstring), else ``None``."""
    if TRIPLET_MARKER not in prompt:
        return None
    limit_match = re.search(r"extract up to (\d+)", prompt)
    limit = int(limit_match.group(1)) if limit_match else 10
    start = prompt.rfind("Text:")
    text = prompt[start + len("Text:") :] if start != -1 else ""
    text = text.rsplit("Triplets:", 1)[0].strip()
    lines = [f"({', '.join(triplet)})" for triplet in text_triplets(text)]
    return "\n".join(lines[:limit])


def text_triplets(text: str) -> list[tuple[str, str, str]]:
    """One ``(subject, predicate, object)`` per sentence of ``text`` that has one, no repeats."""
    found: list[tuple[str, str, str]] = []
    for sentence in sentences(text):
        triplet = _triplet(sentence)
        if triplet is not None and triplet not in found:
            found.append(triplet)
    return found


def listing_reply(prompt: str) -> str | None:
    """Choice-select or triplets, whichever ``prompt`` is (module docstring)."""
    answer = choice_select_reply(prompt)
    return answer if answer is not None else triplets_reply(prompt)
