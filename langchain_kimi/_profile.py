"""What ``ChatKimi`` tells LangChain about a model: its ``ModelProfile``, read from
``kimi_core``'s model catalog (context window, output limit, inputs, reasoning, tools,
native structured output, effort levels). A model the catalog does not know gets its traits
from ``GET /models`` (``LazyProfile``: asked when the profile is first read).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from langchain_core.language_models.model_profile import ModelProfile

from kimi_core.integration import get_model_info

if TYPE_CHECKING:
    from kimi_core.integration import ModelCard

__all__ = ["LazyProfile", "model_profile", "served_profile"]


def model_profile(model_name: str) -> ModelProfile | None:
    """The profile of a catalog model (``kimi_core.catalog``); None for other names."""
    info = get_model_info(model_name)
    if info is None:
        return None
    profile = ModelProfile(
        status=info.status,
        max_input_tokens=info.context_window,
        max_output_tokens=info.max_output_tokens,
        text_inputs=True,
        image_inputs=info.image_input,
        # Kimi takes base64 and ms:// media only, not URLs it would have to fetch.
        image_url_inputs=False,
        video_inputs=info.video_input,
        pdf_inputs=False,
        audio_inputs=False,
        text_outputs=True,
        reasoning_output=info.thinking != "none",
        tool_calling=info.tools,
        tool_choice=info.tools,
        tool_call_streaming=info.tools,
        # Native structured output: response_format json_schema.
        structured_output=info.json_schema,
    )
    if info.effort_levels:
        profile["reasoning_effort_levels"] = list(info.effort_levels)
        if info.default_effort is not None:
            profile["reasoning_effort_default"] = info.default_effort
    return profile


def served_profile(card: ModelCard | None) -> ModelProfile:
    """The profile of a model the catalog does not know, from its ``GET /models`` card:
    context window, image / video input, reasoning (an empty profile when not listed).
    Tool calling is assumed, as every Kimi chat model has it; the output limit is not
    listed, so it is left out."""
    if card is None:
        return ModelProfile()
    profile = ModelProfile(
        text_inputs=True, text_outputs=True, tool_calling=True, image_url_inputs=False
    )
    if card.context_length:
        profile["max_input_tokens"] = card.context_length
    if card.supports_image_in is not None:
        profile["image_inputs"] = card.supports_image_in
    if card.supports_video_in is not None:
        profile["video_inputs"] = card.supports_video_in
    if card.supports_reasoning is not None:
        profile["reasoning_output"] = card.supports_reasoning
    return profile


class LazyProfile(dict):  # type: ignore[type-arg]
    """``ChatKimi.profile`` of a model the catalog does not know: a ``ModelProfile`` dict
    filled from ``GET /models`` the first time it is read (``load``; the list is asked for
    once per client), so constructing the model sends nothing. Copies share it; a pickle
    carries what was loaded, as a plain dict."""

    __slots__ = ("_load",)

    def __init__(self, load: Callable[[], ModelProfile]) -> None:
        super().__init__()
        self._load: Callable[[], ModelProfile] | None = load

    def _fill(self) -> None:
        load = self._load
        if load is not None:
            self._load = None
            super().update(load())

    def __getitem__(self, key: Any) -> Any:
        self._fill()
        return super().__getitem__(key)

    def get(self, key: Any, default: Any = None) -> Any:
        self._fill()
        return super().get(key, default)

    def __contains__(self, key: object) -> bool:
        self._fill()
        return super().__contains__(key)

    def __iter__(self) -> Iterator[Any]:
        self._fill()
        return super().__iter__()

    def __len__(self) -> int:
        self._fill()
        return super().__len__()

    def __bool__(self) -> bool:
        """True before it is filled (LangChain's serializer asks every field's truth: that
        must not send a request), then whether the listing had the model."""
        return self._load is not None or super().__len__() > 0

    def keys(self) -> Any:
        self._fill()
        return super().keys()

    def values(self) -> Any:
        self._fill()
        return super().values()

    def items(self) -> Any:
        self._fill()
        return super().items()

    def __eq__(self, other: object) -> bool:
        self._fill()
        return super().__eq__(other)

    __hash__ = None

    def __repr__(self) -> str:
        if self._load is not None:  # a repr (logs, pydantic's) never sends a request
            return "LazyProfile(<read from GET /models on first use>)"
        return super().__repr__()

    def copy(self) -> dict[Any, Any]:
        self._fill()
        return dict(self)

    def __deepcopy__(self, memo: dict[int, Any]) -> LazyProfile:
        return self

    def __reduce__(self) -> Any:
        return (dict, (dict(super().items()),))
