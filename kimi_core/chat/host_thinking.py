"""Thinking options on hosts other than Moonshot's platform: each host's own fields.

The same three options (``thinking``, ``reasoning_effort``, ``preserve_thinking``) become
what the host reads (``HostProfile.thinking_style``; sources in ``docs/kimi-api/hosts.md``):
OpenRouter's ``reasoning: {"enabled", "effort"}``, Fireworks' and DeepInfra's
``reasoning_effort: "none"`` to turn thinking off, DashScope's and SiliconFlow's
``enable_thinking``, Baseten's ``chat_template_args``, the ``chat_template_kwargs:
{"thinking"}`` the Kimi chat template reads on vLLM, SGLang, NVIDIA and Cloudflare, Ollama's and
Bedrock's ``reasoning_effort`` alone. Refused before sending, with an
``InvalidParameterError`` naming the host: an effort the host does not list
(``HostProfile.effort_values``), an option the host has no field for, and what the model's
family cannot do (turning an always-thinking model off, thinking on a model that never
thinks). ``preserve_thinking=True`` on a host without a field for it still keeps earlier
reasoning on every assistant turn (``kimi_core.chat.messages``), which is what the host reads.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from ..catalog.hosts import HostProfile
from ..catalog.model_info import CATALOG, ModelInfo, model_traits
from ..errors import ConfigurationError, InvalidParameterError

__all__ = ["HostThinking", "apply_host_thinking", "check_effort_setting"]


class HostThinking(NamedTuple):
    """What a request's thinking options come to on a host: whether it thinks (None:
    unknown) and whether earlier reasoning goes on every assistant turn."""

    thinks: bool | None
    preserves: bool


Writer = Callable[[dict[str, Any], bool | None, str | None, bool, HostProfile], None]


def _merge(payload: dict[str, Any], key: str, values: dict[str, Any]) -> None:
    """``payload[key]`` updated with ``values`` (a caller's own ``chat_template_kwargs`` or
    ``reasoning`` object keeps its other keys)."""
    current = payload.get(key)
    payload[key] = {**current, **values} if isinstance(current, dict) else values


def _openrouter(
    payload: dict[str, Any],
    thinking: bool | None,
    effort: str | None,
    preserve: bool,
    host: HostProfile,
) -> None:
    if effort is not None:
        _merge(payload, "reasoning", {"effort": effort})
    elif thinking is not None:
        _merge(payload, "reasoning", {"enabled": thinking})


def _together(
    payload: dict[str, Any],
    thinking: bool | None,
    effort: str | None,
    preserve: bool,
    host: HostProfile,
) -> None:
    if thinking is not None:
        _merge(payload, "reasoning", {"enabled": thinking})
    if effort is not None:
        payload["reasoning_effort"] = effort


def _effort_none(
    payload: dict[str, Any],
    thinking: bool | None,
    effort: str | None,
    preserve: bool,
    host: HostProfile,
) -> None:
    """Fireworks and DeepInfra: ``reasoning_effort: "none"`` turns thinking off."""
    if effort is not None:
        payload["reasoning_effort"] = effort
    elif thinking is False:
        payload["reasoning_effort"] = "none"
    elif thinking is True and host.thinking_style == "deepinfra":
        _merge(payload, "reasoning", {"enabled": True})
    if preserve and host.preserve:
        payload["reasoning_history"] = "preserved"


def _enable_thinking(
    payload: dict[str, Any],
    thinking: bool | None,
    effort: str | None,
    preserve: bool,
    host: HostProfile,
) -> None:
    if thinking is not None:
        payload["enable_thinking"] = thinking
    if preserve and host.preserve:
        payload["preserve_thinking"] = True


def _chat_template_args(
    payload: dict[str, Any],
    thinking: bool | None,
    effort: str | None,
    preserve: bool,
    host: HostProfile,
) -> None:
    if thinking is not None:
        _merge(payload, "chat_template_args", {"enable_thinking": thinking})


def _chat_template_kwargs(
    payload: dict[str, Any],
    thinking: bool | None,
    effort: str | None,
    preserve: bool,
    host: HostProfile,
) -> None:
    if thinking is not None:
        _merge(payload, "chat_template_kwargs", {"thinking": thinking})
    if effort is not None:
        payload["reasoning_effort"] = effort


def _effort_only(
    payload: dict[str, Any],
    thinking: bool | None,
    effort: str | None,
    preserve: bool,
    host: HostProfile,
) -> None:
    """Ollama and Bedrock: the effort is the switch (``"none"``: off where listed; where
    thinking is opt-in, ``thinking=True`` alone asks for ``"high"``)."""
    if effort is not None:
        payload["reasoning_effort"] = effort
    elif thinking is False and "none" in (host.effort_values or ()):
        payload["reasoning_effort"] = "none"
    elif thinking is True and host.thinking_default is False:
        payload["reasoning_effort"] = "high"


def _moonshot_fields(
    payload: dict[str, Any],
    thinking: bool | None,
    effort: str | None,
    preserve: bool,
    host: HostProfile,
) -> None:
    """Volcengine: Moonshot's ``thinking: {"type"}`` and a top-level effort."""
    if thinking is not None:
        payload["thinking"] = {"type": "enabled" if thinking else "disabled"}
    if effort is not None:
        payload["reasoning_effort"] = effort


def _no_switch(
    payload: dict[str, Any],
    thinking: bool | None,
    effort: str | None,
    preserve: bool,
    host: HostProfile,
) -> None:
    """Azure, Vertex: no thinking switch (refused before, when asked to turn it off)."""
    if effort is not None:
        payload["reasoning_effort"] = effort


_WRITERS: dict[str, Writer] = {
    "openrouter": _openrouter,
    "together": _together,
    "fireworks": _effort_none,
    "deepinfra": _effort_none,
    "enable_thinking": _enable_thinking,
    "chat_template_args": _chat_template_args,
    "chat_template_kwargs": _chat_template_kwargs,
    "effort_only": _effort_only,
    "moonshot": _moonshot_fields,
    "none": _no_switch,
}


def _refuse(message: str, param: str) -> InvalidParameterError:
    return InvalidParameterError(message, param=param)


def _check_effort(
    effort: Any, thinking: bool | None, info: ModelInfo | None, host: HostProfile
) -> None:
    values = host.effort_values
    if values is None and info is not None and info.thinking == "effort":
        values = info.effort_levels
    if values == ():
        hint = "" if host.thinking_style == "none" else " (turn thinking on or off with thinking=)"
        raise _refuse(f"gateway {host.name!r} takes no reasoning_effort{hint}", "reasoning_effort")
    if values and effort not in values:
        listed = ", ".join(repr(v) for v in values)
        raise _refuse(
            f"gateway {host.name!r} accepts reasoning_effort {listed}, got {effort!r}",
            "reasoning_effort",
        )
    if thinking is False and effort != "none":
        raise _refuse(
            "reasoning_effort needs thinking on; do not combine it with thinking=False",
            "reasoning_effort",
        )


def _check_family(info: ModelInfo | None, thinking: bool | None, host: HostProfile) -> None:
    """What the model's family cannot do, whatever the host (certain: the model's traits),
    and a switch-off the host has no field for."""
    if info is not None:
        if thinking is False and info.thinking in ("always", "effort"):
            hint = (
                "; steer it with reasoning_effort"
                if info.thinking == "effort" and host.effort_values != ()
                else ""
            )
            raise _refuse(
                f"{info.id} always thinks and cannot be turned off (gateway {host.name!r}){hint}",
                "thinking",
            )
        if thinking is True and info.thinking == "none":
            raise _refuse(f"{info.id} does not think (gateway {host.name!r})", "thinking")
    if thinking is False and host.thinking_style == "none":
        raise _refuse(
            f"gateway {host.name!r} has no switch to turn thinking off; choose a model that does "
            "not think, or send the host's own field with model_kwargs",
            "thinking",
        )


def apply_host_thinking(
    payload: dict[str, Any], info: ModelInfo | None, host: HostProfile
) -> HostThinking:
    """Replace the request's thinking options in ``payload`` by ``host``'s fields (module
    docstring); ``info`` is the model's family traits (``catalog.model_traits``)."""
    thinking = payload.pop("thinking", None)
    effort = payload.pop("reasoning_effort", None)
    preserve = bool(payload.pop("preserve_thinking", None))
    if isinstance(thinking, dict):  # the caller's own wire object: sent as given
        payload["thinking"] = thinking
        if effort is not None:
            payload["reasoning_effort"] = effort
        kind = thinking.get("type")
        return HostThinking(None if kind is None else kind != "disabled", preserve)
    if thinking is not None and not isinstance(thinking, bool):
        raise _refuse(f"thinking must be True, False or None, got {thinking!r}", "thinking")
    if effort is not None:
        _check_effort(effort, thinking, info, host)
    if preserve and thinking is False:
        raise _refuse(
            "preserve_thinking=True needs thinking on; do not combine it with thinking=False",
            "preserve_thinking",
        )
    _check_family(info, thinking, host)
    kind = info.thinking if info is not None else None
    sent = thinking
    if sent is None and host.always_send_thinking and kind == "toggle":
        sent = host.thinking_default if host.thinking_default is not None else True
    if kind in ("always", "effort", "none"):
        sent = None  # the family decides; nothing to switch
    _WRITERS[host.thinking_style](payload, sent, effort, preserve, host)
    return HostThinking(_thinks(kind, thinking, effort, host), preserve or _always_preserves(info))


def _thinks(
    kind: str | None, thinking: bool | None, effort: str | None, host: HostProfile
) -> bool | None:
    if kind in ("always", "effort"):
        return True
    if kind == "none":
        return False
    if effort == "none":
        return False
    if thinking is not None:
        return thinking
    if effort is not None:
        return True
    if kind == "toggle":
        return host.thinking_default if host.thinking_default is not None else True
    return None


def _always_preserves(info: ModelInfo | None) -> bool:
    return info is not None and info.preserved_thinking == "always"


def check_effort_setting(effort: Any, model: str | None, host: HostProfile) -> None:
    """A ``reasoning_effort`` set on an adapter instance, checked at construction against
    what ``host`` accepts (its profile's ``effort_values``, e.g. Fireworks' ``"medium"`` and
    ``"none"``; else the effort levels of ``model``'s family; on Moonshot's platform, the
    levels of the model, or of any catalog model when ``model`` takes none, since a call
    may switch models): a ``ConfigurationError`` naming the accepted values. What the
    model and the call's other options allow is checked again for every request."""
    if effort is None:
        return
    if not isinstance(effort, str):
        raise ConfigurationError(
            f"reasoning_effort must be a string, got {effort!r}", param="reasoning_effort"
        )
    info = model_traits(model, host)
    try:
        if not host.platform:
            _check_effort(effort, None, info, host)
            return
    except InvalidParameterError as exc:
        raise ConfigurationError(str(exc), param="reasoning_effort") from None
    if info is not None and info.thinking == "effort":
        values: tuple[str, ...] = info.effort_levels
        owner = info.id
    else:
        values = tuple(dict.fromkeys(v for m in CATALOG.values() for v in m.effort_levels))
        owner = f"gateway {host.name!r}"
    if effort not in values:
        listed = ", ".join(repr(v) for v in values)
        raise ConfigurationError(
            f"{owner} accepts reasoning_effort {listed}, got {effort!r}",
            param="reasoning_effort",
        )
