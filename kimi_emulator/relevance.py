"""Word overlap, the emulator's only notion of meaning: which text answers a question best.

The emulator's default answers pick *the most relevant* tool, passage, document or choice by
counting shared content words, and take tool arguments (a place, numbers) from the words of
the question. The rules, exact so tests can assert them:

- **Content words** (:func:`content_words`): the lowercase runs of letters and digits
  (``kimi-k2.6`` stays one word; a trailing ``.`` is dropped) of 3+ characters that are not
  stop words (:data:`STOP_WORDS`), each reduced to a *stem*: a final ``ies`` → ``y``, a final
  ``s`` dropped (not ``ss``), then mapped through :data:`RELATED` (``people`` and
  ``inhabitants`` count as ``population``, ``temperature`` as ``weather``, ...).
- **Relevance** (:func:`relevance`): the number of distinct content words two texts share.
- **Best** (:func:`best`): the item of highest relevance, the first on ties.
- **Passages** (:func:`passages`): a context split at blank lines, then at line breaks;
  lines that are only metadata (``file_name: x``, ``file_path: x``), rules (``-----``),
  bracketed labels (``[Excerpt from document]``) or labels (``Excerpt:``) are dropped.
- **Places** (:func:`places`): capitalised words (runs of them, ``New York``) of a text, in
  order: first those right after ``in``/``at``/``for``/``of``/``from``/``to``/``near``/``about``,
  then other capitalised words that are not sentence-initial, then sentence-initial ones that
  are not common words (:data:`STOP_WORDS` or question words).
- **Numbers** (:func:`numbers`): the numbers written in a text, in order (``int`` when whole).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import TypeVar

__all__ = [
    "RELATED",
    "STOP_WORDS",
    "best",
    "content_words",
    "numbers",
    "passages",
    "places",
    "relevance",
    "sentences",
]

T = TypeVar("T")


def _word_set(text: str) -> frozenset[str]:
    """The whitespace-separated words of ``text``."""
    return frozenset(text.split())


STOP_WORDS = _word_set(
    "a about above after again all also am an and any are as at be because been before "
    "being below between both but by can could did do does doing done each few for from "
    "further had has have having he her here hers him his how i if in into is it its "
    "itself just let me more most my no nor not now of off on once only or other our out "
    "over own same she should so some such than that the their them then there these they "
    "this those through to too under until up very was we were what when where which "
    "while who whom why will with would you your yes tell give show please many much like "
    "get use useful using used question questions answer query information context given "
    "thing things know want need"
)

QUESTION_WORDS = _word_set(
    "what when where which who whom whose why how and but or so is are was were do does "
    "did can could will would should tell give show please hello hi hey ok thanks the a "
    "an weather"
)

RELATED = {
    "people": "population",
    "inhabitant": "population",
    "resident": "population",
    "live": "population",
    "populous": "population",
    "temperature": "weather",
    "forecast": "weather",
    "rain": "weather",
    "sunny": "weather",
    "warm": "weather",
    "cold": "weather",
    "hot": "weather",
    "clock": "time",
    "hour": "time",
    "made": "make",
    "built": "build",
    "wrote": "write",
    "written": "write",
    "large": "size",
    "big": "size",
    "long": "size",
}

_WORD = re.compile(r"[a-z0-9]+(?:[.\-_][a-z0-9]+)*")
_NUMBER = re.compile(r"(?<![\w.])-?\d+(?:[.,]\d+)*(?:\.\d+)?(?![\w])")
_CAPITALISED = re.compile(r"[A-Z][a-zA-Z\-']*(?:\s+[A-Z][a-zA-Z\-']*)*")
_PREPOSITIONS = ("in", "at", "for", "of", "from", "to", "near", "about")
_METADATA = re.compile(r"^\s*[a-z_]+: \S.*$")
_LABEL = re.compile(r"^(?:[-=#* ]+|\[[^\]]*\]|[^.?!]*:)$")


def _stem(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        word = word[:-3] + "y"
    elif len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        word = word[:-1]
    return RELATED.get(word, word)


def content_words(text: str) -> set[str]:
    """The stems of ``text``'s content words (module docstring)."""
    found = set()
    for word in _WORD.findall(text.lower()):
        for part in {word, *word.replace("-", "_").split("_")}:
            if len(part) >= 3 and part not in STOP_WORDS:
                found.add(_stem(part))
    return found


def relevance(question: str, text: str) -> int:
    """How many distinct content words ``question`` and ``text`` share."""
    return len(content_words(question) & content_words(text))


def best(question: str, items: Sequence[T], text: Callable[[T], str] = str) -> T | None:
    """The item of ``items`` most relevant to ``question`` (the first on ties), or ``None``."""
    if not items:
        return None
    scores = [relevance(question, text(item)) for item in items]
    return items[scores.index(max(scores))]


def passages(context: str) -> list[str]:
    """``context`` split into passages: blank-line blocks, then lines (metadata lines dropped)."""
    found = []
    for block in re.split(r"\n\s*\n", context):
        for line in block.splitlines():
            line = line.strip()
            if line and not _METADATA.match(line) and not _LABEL.match(line):
                found.append(line.lstrip("#* ").strip())
    return found


def sentences(text: str) -> list[str]:
    """``text`` split after ``.``, ``!`` or ``?`` followed by a space or a line break."""
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+|\n+", text) if s.strip()]


def _is_sentence_start(text: str, at: int) -> bool:
    before = text[:at].rstrip()
    return not before or before[-1] in ".!?:\n\"'“("


def places(text: str) -> list[str]:
    """Capitalised names in ``text``, most place-like first (module docstring)."""
    after_preposition, inner, initial = [], [], []
    for match in _CAPITALISED.finditer(text):
        name = match.group(0)
        words = name.split()
        start = match.start()
        common = QUESTION_WORDS | STOP_WORDS
        if _is_sentence_start(text, start) and re.split("['’]", words[0].lower())[0] in common:
            if len(words) == 1:
                continue
            name = " ".join(words[1:])
            start = match.start() + len(words[0]) + 1
        preceding = text[:start].split()
        if preceding and preceding[-1].lower() in _PREPOSITIONS:
            after_preposition.append(name)
        elif not _is_sentence_start(text, start):
            inner.append(name)
        elif name.lower() not in common:
            initial.append(name)
    ordered: list[str] = []
    for name in [*after_preposition, *inner, *initial]:
        if name not in ordered:
            ordered.append(name)
    return ordered


def numbers(text: str) -> list[int | float]:
    """The numbers written in ``text``, in order (``1,000`` is a thousand)."""
    found: list[int | float] = []
    for match in _NUMBER.finditer(text):
        raw = match.group(0).replace(",", "")
        try:
            value = float(raw)
        except ValueError:
            continue
        found.append(int(value) if value.is_integer() else value)
    return found
