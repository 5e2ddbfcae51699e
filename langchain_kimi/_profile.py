"""What ``ChatKimi`` tells LangChain about a model: its ``ModelProfile``, read from
``kimi_core``'s model catalog (context window, output limit, inputs, reasoning, tools,
native structured output, effort levels). A model the catalog does not know has no profile.
"""

from __future__ import annotations

from langchain_core.language_models.model_profile import ModelProfile

from kimi_core.integration import get_model_info

__all__ = ["model_profile"]


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
