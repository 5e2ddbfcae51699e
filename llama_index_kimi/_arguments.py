"""``Kimi``'s constructor arguments: LlamaIndex's habitual names accepted, nothing ignored.

``api_base`` (``llama-index-llms-openai``'s name for the base URL) is ``base_url``;
``reuse_client`` is accepted (the pools are always reused: ``False`` warns);
``is_chat_model=True`` / ``is_function_calling_model=True`` (``OpenAILike``'s flags) are
accepted as what Kimi always is (``False`` is refused). A misspelled
known argument raises ``ConfigurationError`` naming the one meant (``kimi_core.arguments``);
any other unknown argument is refused, naming it: request extras go in
``additional_kwargs``.
"""

from __future__ import annotations

import inspect
import warnings
from typing import Any

from kimi_core.integration import ConfigurationError, unknown_arguments

__all__ = ["check_arguments"]

# ``llama-index-llms-openai-like`` flags users pass out of habit; Kimi always is both.
_ALWAYS_TRUE = ("is_chat_model", "is_function_calling_model")


def _known(cls: type) -> set[str]:
    """The fields of ``cls`` and the parameters of its ``__init__``."""
    fields: dict[str, Any] = getattr(cls, "model_fields", {})
    known = set(fields)
    known.update(field.alias for field in fields.values() if field.alias)
    known.update(inspect.signature(cls.__init__).parameters)  # type: ignore[misc]
    known.discard("kwargs")
    return known


def check_arguments(
    cls: type,
    base_url: str | None,
    api_base: str | None,
    reuse_client: bool,
    kwargs: dict[str, Any],
) -> str | None:
    """The base URL to use (``base_url`` or its alias ``api_base``), after refusing unknown
    ``kwargs`` (``ConfigurationError``)."""
    owner = cls.__name__
    for flag in _ALWAYS_TRUE:  # OpenAILike's flags: what Kimi always is
        if flag in kwargs and kwargs.pop(flag) is not True:
            raise ConfigurationError(
                f"{owner} is always a chat model with function calling: {flag} cannot "
                "be turned off",
                param=flag,
            )
    unknown = unknown_arguments(kwargs, _known(cls), owner)
    if unknown:
        names = ", ".join(repr(name) for name in unknown)
        raise ConfigurationError(
            f"{owner} got unknown argument(s) {names}; extra request fields go in "
            f"additional_kwargs={{{unknown[0]!r}: ...}}",
            param=unknown[0],
        )
    if not reuse_client:
        warnings.warn(
            f"{owner}(reuse_client=False) has no effect: the connection pool is always "
            "reused (one per event loop for async calls); close() closes it",
            UserWarning,
            stacklevel=3,
        )
    if api_base is not None and base_url is not None and api_base != base_url:
        raise ConfigurationError(
            "api_base is an alias of base_url: pass one of them", param="api_base"
        )
    return base_url if base_url is not None else api_base
