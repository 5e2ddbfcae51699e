"""Thinking controls, per model: ``thinking``, ``reasoning_effort``, ``preserve_thinking``.

The same three options on every entry point, mapped to what each model's kind takes
(``docs/kimi-api/models.md`` §2–3) or refused before sending with an
``InvalidParameterError`` naming the model and what it accepts:

- ``toggle`` (kimi-k2.6, kimi-k2.5): ``thinking`` True/False ->
  ``{"type": "enabled"|"disabled"}`` (``None``: the model's default, on);
  ``preserve_thinking=True`` -> ``{"type": "enabled", "keep": "all"}`` where the model keeps
  earlier reasoning (K2.6 only). No effort levels.
- ``always`` (kimi-k2.7-code): thinks, no switch: ``thinking=False`` is refused (Kimi answers
  400 "invalid thinking: only type=enabled is allowed for this model"); ``True`` sends nothing.
- ``effort`` (kimi-k3, kimi-k3.1-pro): always reasons, steered by a top-level
  ``reasoning_effort`` (``low`` / ``high`` / ``max``, default ``max``) and never a
  ``thinking`` field; a value outside the model's levels is refused here because the server
  silently ignores it.
- ``none``: ``thinking=True``, an effort or ``preserve_thinking`` are refused.

Both ``thinking`` and ``reasoning_effort`` are never sent. A ``thinking`` given as a wire
dict is passed through as is (the caller's explicit choice). Models the catalog does not
know get the options mapped without checks. These are Moonshot's platform rules; other hosts
get their own fields (``kimi_core.chat.host_thinking``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from ..catalog.hosts import HostProfile
from ..catalog.model_info import ModelInfo, model_traits
from ..errors import InvalidParameterError
from .host_thinking import apply_host_thinking

__all__ = [
    "ThinkingChoice",
    "apply_thinking",
    "keeps_reasoning",
    "preserves_thinking",
    "thinking_param",
]


def thinking_param(thinking: bool | dict[str, Any] | None) -> dict[str, Any] | None:
    """``True``/``False`` to ``{"type": "enabled"|"disabled"}``; dicts pass unchanged."""
    if thinking is None or isinstance(thinking, dict):
        return thinking
    return {"type": "enabled" if thinking else "disabled"}


class ThinkingChoice(NamedTuple):
    """What a request's thinking options come to: whether it thinks (``None``: unknown
    model, no choice made) and whether earlier reasoning must go on every assistant turn."""

    thinks: bool | None
    preserves: bool


def _flag(thinking: Any) -> bool | None:
    if isinstance(thinking, dict):
        kind = thinking.get("type")
        return None if kind is None else kind not in ("disabled", "false", False)
    return None if thinking is None else bool(thinking)


def preserves_thinking(
    info: ModelInfo | None, thinking: Any = None, preserve: bool | None = None
) -> bool:
    """Whether a request keeps earlier reasoning, so that ``reasoning_content`` must go on
    every assistant message."""
    if isinstance(thinking, dict):
        return thinking.get("keep") == "all" or (
            info is not None and info.preserved_thinking == "always"
        )
    if info is None:
        return bool(preserve)
    return info.preserved_thinking == "always" or (
        info.preserved_thinking == "optional" and bool(preserve) and thinking is not False
    )


def keeps_reasoning(fields: Mapping[str, Any], host: HostProfile | None = None) -> bool:
    """Whether a request with these fields (model and thinking options, before
    ``apply_thinking``) keeps earlier reasoning: then the adapters send the reasoning of every
    assistant turn, not only of tool-call turns."""
    return preserves_thinking(
        model_traits(fields.get("model"), host),
        fields.get("thinking"),
        fields.get("preserve_thinking"),
    )


def _refuse(message: str, param: str) -> InvalidParameterError:
    return InvalidParameterError(message, param=param)


def apply_thinking(
    payload: dict[str, Any], info: ModelInfo | None, host: HostProfile | None = None
) -> ThinkingChoice:
    """Replace the request's thinking options in ``payload`` by the model's wire fields
    (``host``: a host off Moonshot's platform maps them to its own fields,
    ``kimi_core.chat.host_thinking``)."""
    if host is not None and not host.platform:
        return ThinkingChoice(*apply_host_thinking(payload, info, host))
    thinking = payload.pop("thinking", None)
    effort = payload.pop("reasoning_effort", None)
    preserve = payload.pop("preserve_thinking", None)
    if thinking is None and effort is None and not preserve and info is not None:
        # The common call: the model's defaults (nothing to send or refuse).
        return ThinkingChoice(info.thinks(None), info.preserved_thinking == "always")
    if isinstance(thinking, dict):
        payload["thinking"] = thinking
        if effort is not None:
            payload["reasoning_effort"] = effort
        return ThinkingChoice(
            _flag(thinking) if info is None else info.thinks(_flag(thinking)),
            preserves_thinking(info, thinking),
        )
    if thinking is not None and not isinstance(thinking, bool):
        raise _refuse(f"thinking must be True, False or None, got {thinking!r}", "thinking")
    if info is None:
        return _unchecked(payload, thinking, effort, preserve)
    _refuse_unsupported(info, thinking, effort, preserve)
    if effort is not None:
        payload["reasoning_effort"] = effort
    kind = info.thinking
    if kind == "toggle":
        if preserve and info.preserved_thinking == "optional":
            payload["thinking"] = {"type": "enabled", "keep": "all"}
        elif thinking is not None:
            payload["thinking"] = thinking_param(thinking)
    return ThinkingChoice(info.thinks(thinking), preserves_thinking(info, thinking, preserve))


def _refuse_unsupported(
    info: ModelInfo, thinking: bool | None, effort: Any, preserve: bool | None
) -> None:
    """An ``InvalidParameterError`` for an option ``info``'s model does not take (the
    catalog's thinking kind, effort levels and preserved-thinking support)."""
    model = info.id
    kind = info.thinking
    if effort is not None:
        if kind != "effort":
            raise _refuse(
                f"{model} has no reasoning_effort levels; "
                + (
                    "turn thinking on or off with thinking=True/False"
                    if kind == "toggle"
                    else "it does not take a reasoning effort"
                ),
                "reasoning_effort",
            )
        if effort not in info.effort_levels:
            levels = ", ".join(repr(level) for level in info.effort_levels)
            raise _refuse(
                f"{model} accepts reasoning_effort {levels}, got {effort!r}", "reasoning_effort"
            )
    if preserve:
        if info.preserved_thinking == "none":
            raise _refuse(
                f"{model} cannot keep earlier reasoning: preserve_thinking is for models with "
                'preserved thinking (kimi-k2.6\'s thinking {"keep": "all"}, always on for '
                "kimi-k2.7-code and kimi-k3)",
                "preserve_thinking",
            )
        if thinking is False:
            raise _refuse(
                "preserve_thinking=True needs thinking on; do not combine it with thinking=False",
                "preserve_thinking",
            )
    if thinking is False and kind in ("always", "effort"):
        hint = (
            "steer it with reasoning_effort ('low', 'high' or 'max')"
            if kind == "effort"
            else "use a model that can turn thinking off, such as kimi-k2.6"
        )
        raise _refuse(f"{model} always thinks and takes no thinking=False; {hint}", "thinking")
    if thinking is True and kind == "none":
        raise _refuse(f"{model} does not think; use a thinking model such as kimi-k2.6", "thinking")


def _unchecked(
    payload: dict[str, Any], thinking: bool | None, effort: Any, preserve: bool | None
) -> ThinkingChoice:
    """A model the catalog does not know: the options mapped, nothing refused but a
    contradiction (and never both fields)."""
    if effort is not None:
        if thinking is False:
            raise _refuse(
                "reasoning_effort needs thinking on; do not combine it with thinking=False",
                "reasoning_effort",
            )
        payload["reasoning_effort"] = effort
        return ThinkingChoice(True, bool(preserve))
    if preserve:
        if thinking is False:
            raise _refuse(
                "preserve_thinking=True needs thinking on; do not combine it with thinking=False",
                "preserve_thinking",
            )
        payload["thinking"] = {"type": "enabled", "keep": "all"}
        return ThinkingChoice(True, True)
    if thinking is not None:
        payload["thinking"] = thinking_param(thinking)
    return ThinkingChoice(thinking, False)
