"""LlamaIndex metadata extractors' prompts (ingestion): answers drawn from the text they show.

Recognised by phrases of ``llama_index.core.extractors``' default templates (the last user
message); "the text" is what the template puts before (or after "Context:" / "Here is the
content of the section:" / "Here is the context:") its instruction - only the node's excerpt
when LlamaIndex's node template shows metadata before ``Excerpt:`` / ``-----`` - without
metadata lines (``key: value``, :func:`relevance.passages`), split into sentences
by :func:`relevance.sentences`:

- ``TitleExtractor`` node prompt ("Give a title that summarizes all of the unique entities"):
  the first sentence of the text, without its final punctuation, cut to 8 words; its combine
  prompt ("what is the comprehensive title for this document?"): the first candidate title
  (the text up to the first ``,`` or line break), cut the same way.
- ``KeywordExtractor`` ("Give N unique keywords for this document"): the N most frequent
  content words of the text (:func:`relevance.content_words` rules, as written in lowercase;
  ties in order of first appearance), joined with ``", "``.
- ``QuestionsAnsweredExtractor`` ("generate N questions this context can provide"): one line
  ``<i>. What does the text say about <subject>?`` per sentence that has a triplet subject
  (:func:`listings.text_triplets`), at most N.
- ``SummaryExtractor`` ("Summarize the key topics and entities of the section."): the first
  two sentences of the text.
"""

from __future__ import annotations

import re
from collections import Counter

from .listings import text_triplets
from .relevance import STOP_WORDS, passages, sentences

__all__ = ["extractor_reply"]

TITLE = "Give a title that summarizes all of the unique entities"
TITLE_COMBINE = "what is the comprehensive title for this document?"
KEYWORDS = re.compile(r"Give (\d+) unique keywords for this document")
QUESTIONS = re.compile(r"generate (\d+) questions this context can provide")
SUMMARY = "Summarize the key topics and entities of the section."
TITLE_WORDS = 8


def _before(prompt: str, marker: str, prefixes: tuple[str, ...] = ()) -> str:
    """The text before ``marker`` (after a prefix), metadata lines (``key: value``) dropped."""
    text = prompt.split(marker, 1)[0]
    for prefix in prefixes:
        if prefix in text:
            text = text.split(prefix, 1)[1]
    excerpt = re.search(r"Excerpt:\n-----\n(.*?)\n-----", text, re.S)
    if excerpt is not None:  # the node's text template: metadata first, then the excerpt
        text = excerpt.group(1)
    return "\n".join(passages(text.strip().rstrip(".").strip()))


def _title(text: str) -> str:
    first = sentences(text)[0] if sentences(text) else text
    return " ".join(first.rstrip(".!?").split()[:TITLE_WORDS])


def _keywords(text: str, count: int) -> str:
    words = [
        w
        for w in re.findall(r"[a-z0-9]+(?:[.\-][a-z0-9]+)*", text.lower())
        if len(w) >= 4 and w not in STOP_WORDS
    ]
    first = {w: i for i, w in reversed(list(enumerate(words)))}
    ranked = sorted(Counter(words).items(), key=lambda item: (-item[1], first[item[0]]))
    return ", ".join(word for word, _ in ranked[:count])


def _questions(text: str, count: int) -> str:
    subjects = [subject for subject, _, _ in text_triplets(text)][:count]
    return "\n".join(
        f"{i}. What does the text say about {subject}?" for i, subject in enumerate(subjects, 1)
    )


def extractor_reply(prompt: str) -> str | None:
    """The answer to a metadata extractor's prompt (module docstring), else ``None``."""
    if TITLE in prompt:
        return _title(_before(prompt, TITLE, ("Context:",)))
    if TITLE_COMBINE in prompt:
        text = _before(prompt, "Based on the above candidate titles")
        return _title(re.split(r"[,\n]", text)[0])
    keywords = KEYWORDS.search(prompt)
    if keywords is not None:
        return _keywords(_before(prompt, keywords.group(0)), int(keywords.group(1)))
    questions = QUESTIONS.search(prompt)
    if questions is not None:
        text = _before(prompt, "Given the contextual information", ("Here is the context:",))
        return _questions(text, int(questions.group(1)))
    if SUMMARY in prompt:
        text = _before(prompt, SUMMARY, ("Here is the content of the section:",))
        return " ".join(sentences(text)[:2])
    return None
