"""Label a few hundred reviews with one Kimi batch job instead of one call each (40% cheaper).

Runs offline: it starts the Kimi emulator (kimi_emulator) itself, which plays the model
with answers scripted from a keyword rule, and runs its batch in about a second. Against
the real API, drop the emulator, set MOONSHOT_API_KEY, and expect a batch to take minutes to
hours: keep job.id (printed on submission) and ChatKimi.resume_batch_job(job_id) it from any
process rather than submitting again. Run: python examples/batch_labelling.py
"""

from __future__ import annotations

from collections import Counter

from langchain_core.messages import AIMessage
from langchain_core.prompts import ChatPromptTemplate

from kimi_core import KimiBatchJob, PollPolicy
from kimi_core.catalog.model_info import BATCH_DISCOUNT
from kimi_emulator import KimiEmulator
from langchain_kimi import ChatKimi

OPINIONS = {
    "positive": ["arrived early and works perfectly", "great value, I love it"],
    "negative": ["broke after two days", "the worst support I have dealt with"],
    "neutral": ["it is a phone case", "delivered on the announced date"],
}
PRODUCTS = ["headphones", "kettle", "desk lamp", "backpack", "keyboard"]
LABELS = list(OPINIONS)
REVIEWS = [
    f"The {PRODUCTS[n % len(PRODUCTS)]}: {OPINIONS[LABELS[n % 3]][n // 3 % 2]}. (order {n})"
    for n in range(300)
]
PROMPT = ChatPromptTemplate.from_messages(
    [
        ("system", "Label the review as positive, negative or neutral. Answer with the label."),
        ("human", "{review}"),
    ]
)


def keyword_label(review: str) -> str:
    """What the emulated model answers (a real one reads the review)."""
    for label, phrases in OPINIONS.items():
        if any(phrase in review for phrase in phrases):
            return label
    return "neutral"


def main() -> None:
    with KimiEmulator() as emulator:
        print(f"talking to the offline Kimi emulator at {emulator.base_url} (scripted answers)")
        emulator.batch_timing(validating=0.2, in_progress=0.8, finalizing=0.2)
        for review in REVIEWS:  # a batch line takes the queued answers in input order
            emulator.script(keyword_label(review))
        llm = ChatKimi(
            model="kimi-k2.6", thinking=False, api_key="emulator-key", base_url=emulator.base_url
        )

        def submitted(job: KimiBatchJob) -> None:
            print(f"submitted batch job {job.id} ({job.total} requests)")

        messages = llm.batch_job(
            [PROMPT.invoke({"review": review}) for review in REVIEWS],
            on_submit=submitted,
            poll=PollPolicy(initial=0.2, factor=1.0, maximum=0.2),  # real jobs: the defaults
            max_tokens=8,
        )
        # Every line answered (a failed one would raise BatchLinesFailedError, naming it).
        answers = [message for message in messages if isinstance(message, AIMessage)]
        labels = [str(message.content).strip() for message in answers]
        print(f"labelled {len(labels)} reviews: {dict(sorted(Counter(labels).items()))}")
        for review, label in list(zip(REVIEWS, labels, strict=True))[:3]:
            print(f"  {label:<8} {review}")
        cost = sum(message.response_metadata["cost"]["amount"] for message in answers)
        tokens = sum(
            (message.usage_metadata or {"total_tokens": 0})["total_tokens"] for message in answers
        )
        one_by_one = cost / float(BATCH_DISCOUNT)
        print(f"tokens: {tokens:,}; cost at the batch price: ${cost:.6f}", end="")
        print(f" (one call each: ${one_by_one:.6f})")


if __name__ == "__main__":
    main()
