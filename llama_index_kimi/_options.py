"""``Kimi``'s settings from Moonshot's December API (issue 25), declared beside the class to
keep ``base`` readable: the prompt-cache tier, log probabilities, predicted outputs, the
safety identifier, strict sampling and the user's price. ``Kimi`` inherits them; they are
ordinary fields of it (per instance, overridable per call where they are request fields).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

__all__ = ["RequestOptions"]


class RequestOptions(BaseModel):
    """The fields (``kimi_core.chat.request.OPTION_FIELDS`` sends the request ones when set)."""

    prompt_cache_ttl: Literal["5m", "1h"] | None = Field(
        default=None,
        description="Prompt cache tier: 5m (Moonshot's default) or 1h; writes priced at it.",
    )
    logprobs: bool | None = Field(
        default=None, description="Ask for token log probabilities (ChatResponse.logprobs)."
    )
    top_logprobs: int | None = Field(
        default=None, description="Most likely alternatives per token, 0-20 (with logprobs)."
    )
    prediction: dict[str, Any] | None = Field(
        default=None,
        description='Predicted output: {"type": "content", "content": "..."} (sent as is).',
    )
    safety_identifier: str | None = Field(
        default=None, description="A stable (hashed) id of your end user, for abuse detection."
    )
    strict_sampling: bool = Field(
        default=False,
        description=(
            "Raise InvalidParameterError for a sampling value the model fixes, instead of "
            "dropping it with a FixedSamplingWarning."
        ),
    )
    price: Any | None = Field(
        default=None,
        exclude=True,
        description="A kimi_core.Price for the cost on a host that reports none (vLLM...).",
    )
