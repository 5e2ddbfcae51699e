"""Evaluator prompts (LlamaIndex): verdicts consistent with the context they are given.

- ``FaithfulnessEvaluator`` ("Please tell if a given piece of information is supported by the
  context.", then the last "Information: I" / "Context: C" / "Answer:"): ``YES`` when C
  supports I (:func:`supported`), else ``NO``. Its refine prompt ("We want to understand if
  the following information is present in the context information: I", "existing YES/NO
  answer: A", the new context between ``------------`` lines): ``YES`` when A is YES or the
  new context supports I, else ``NO``.
- ``RelevancyEvaluator`` ("Your task is to evaluate if the response for the query", then
  "Query and Response:" with "Question: Q" / "Response: R", and "Context:"): ``YES`` when R
  is on topic (has at least half of Q's content words) and C supports R, else ``NO``; its
  refine prompt ("We want to understand if the following query and response is") likewise,
  ``YES`` if already YES.
- ``CorrectnessEvaluator`` (system "You are an expert evaluation system for a question
  answering chatbot.", user "## User Query" / "## Reference Answer" / "## Generated Answer"):
  ``5.0`` when the generated answer supports the reference (or, without one - "(NO REFERENCE
  ANSWER SUPPLIED)" - shares a content word with the query), ``2.0`` when it only shares a
  content word with the query, else ``1.0``; then a line of reasoning.

**Supported** (:func:`supported`): every number of the claim appears in the context, and at
least 80% of the claim's content words (:func:`relevance.content_words`) do.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from .relevance import content_words, numbers, relevance
from .tokens import content_text

__all__ = ["judge_reply", "supported"]

FAITHFUL = "Please tell if a given piece of information is supported by the context."
FAITHFUL_REFINE = "We want to understand if the following information is present"
RELEVANT = "Your task is to evaluate if the response for the query"
RELEVANT_REFINE = "We want to understand if the following query and response is"
CORRECT = "You are an expert evaluation system for a question answering chatbot."
SHARE = 0.8

Messages = Sequence[Mapping[str, Any]]


def supported(claim: str, context: str) -> bool:
    """Whether ``context`` supports ``claim`` (module docstring)."""
    words = content_words(claim)
    if not words:
        return False
    known = set(numbers(context))
    if any(number not in known for number in numbers(claim)):
        return False
    return len(words & content_words(context)) >= SHARE * len(words)


def _verdict(ok: bool) -> str:
    return "YES" if ok else "NO"


def _after(prompt: str, label: str, until: str) -> str:
    start = prompt.rfind(label)
    if start == -1:
        return ""
    start += len(label)
    end = prompt.find(until, start)
    return prompt[start : end if end != -1 else None].strip()


def _refined(prompt: str, claim_label: str) -> tuple[str, bool, str]:
    claim = _after(prompt, claim_label, "\nWe have provided an existing")
    existing = _after(prompt, "existing YES/NO answer:", "\nWe have the opportunity")
    parts = prompt.split("------------")
    context = parts[1] if len(parts) >= 3 else ""
    return claim, "yes" in existing.lower(), context


def _query_response(text: str) -> tuple[str, str]:
    match = re.search(r"Question: (.*?)\nResponse: (.*)", text, re.S)
    return (match.group(1).strip(), match.group(2).strip()) if match else ("", text)


def _on_topic(question: str, response: str) -> bool:
    asked = content_words(question)
    return bool(asked) and 2 * len(asked & content_words(response)) >= len(asked)


def _relevant(query_response: str, context: str) -> bool:
    question, response = _query_response(query_response)
    return _on_topic(question, response) and supported(response, context)


def _correctness(prompt: str) -> str:
    query = _after(prompt, "## User Query", "## Reference Answer")
    reference = _after(prompt, "## Reference Answer", "## Generated Answer")
    generated = _after(prompt, "## Generated Answer", "\n## ")
    on_topic = relevance(query, generated) > 0
    if reference.startswith("(NO REFERENCE"):
        reference = ""
    if (reference and supported(reference, generated)) or (on_topic and not reference):
        return "5.0\nThe generated answer states what the reference answer states."
    if on_topic:
        return "2.0\nThe generated answer is relevant but does not match the reference answer."
    return "1.0\nThe generated answer is not relevant to the user query."


def judge_reply(messages: Messages) -> str | None:
    """The verdict an evaluator prompt asks for (module docstring), else ``None``."""
    texts = [
        content_text(m.get("content")) for m in messages if m.get("role") in ("system", "user")
    ]
    prompt = texts[-1] if texts else ""
    if FAITHFUL in prompt:
        claim = _after(prompt, "Information:", "\nContext:")
        return _verdict(supported(claim, _after(prompt, "\nContext:", "\nAnswer:")))
    if FAITHFUL_REFINE in prompt:
        claim, already, context = _refined(prompt, "in the context information:")
        return _verdict(already or supported(claim, context))
    if RELEVANT in prompt:
        query_response = _after(prompt, "Query and Response:", "\nContext:")
        return _verdict(_relevant(query_response, _after(prompt, "\nContext:", "\nAnswer:")))
    if RELEVANT_REFINE in prompt:
        query_response, already, context = _refined(prompt, "the context information:")
        return _verdict(already or _relevant(query_response, context))
    if any(CORRECT in text for text in texts[:-1]):
        return _correctness(prompt)
    return None
