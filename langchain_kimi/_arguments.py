"""``ChatKimi``'s constructor arguments: never silently ignored.

``api_base`` / ``openai_api_base`` (other integrations' names) are ``base_url``,
``openai_api_key`` is ``api_key``. A misspelled known argument (``modle=``,
``temprature=``) raises ``ConfigurationError`` naming the one meant
(``kimi_core.arguments``); any other unknown argument moves to ``model_kwargs`` with a
warning, as ``ChatOpenAI`` does (langchain-core's private ``_build_model_kwargs``, whose
behaviour ``build_model_kwargs`` repeats with public names and typed errors), so it is sent
with every request.
"""

from __future__ import annotations

import warnings
from typing import Any

from langchain_core.utils.utils import get_pydantic_field_names

from kimi_core.integration import ConfigurationError, unknown_arguments

__all__ = ["build_model_kwargs", "check_typos", "renamed"]

# Connection settings under the names other integrations use: never request fields (moved
# to model_kwargs, a base URL would be sent in the body, and the key to the default host).
ALIASES = {"api_base": "base_url", "openai_api_base": "base_url", "openai_api_key": "api_key"}


def renamed(kwargs: dict[str, Any]) -> dict[str, Any]:
    """``kwargs`` with ``ALIASES`` under their ChatKimi names (both given: an error)."""
    for alias, name in ALIASES.items():
        if alias in kwargs:
            if name in kwargs:
                raise ConfigurationError(
                    f"{alias} is {name} for ChatKimi: pass one of them", param=alias
                )
            kwargs[name] = kwargs.pop(alias)
    return kwargs


def check_typos(cls: type, kwargs: dict[str, Any]) -> None:
    """``ConfigurationError`` for an argument of ``cls`` that is a misspelled field name
    (raised from ``__init__``: a validator would wrap it in a ``ValidationError``)."""
    unknown_arguments(kwargs, get_pydantic_field_names(cls), cls.__name__)


def build_model_kwargs(cls: type, values: Any) -> Any:
    """``values`` with its unknown arguments moved to ``model_kwargs`` (with a warning)."""
    if not isinstance(values, dict):
        return values
    fields = get_pydantic_field_names(cls)
    extra = dict(values.get("model_kwargs") or {})
    for name in list(values):
        if name in extra:
            raise ConfigurationError(
                f"{name} is given twice: as an argument and in model_kwargs", param=name
            )
        if name not in fields:
            warnings.warn(
                f"{name} is not a ChatKimi parameter: it was transferred to model_kwargs and "
                "is sent with every request. Please confirm that is what you intended.",
                UserWarning,
                stacklevel=7,
            )
            extra[name] = values.pop(name)
    misplaced = fields.intersection(extra)
    if misplaced:
        warnings.warn(
            f"Parameters {sorted(misplaced)} should be specified explicitly, not in "
            "model_kwargs: they were taken as ChatKimi's own.",
            UserWarning,
            stacklevel=7,
        )
        for name in misplaced:
            values[name] = extra.pop(name)
    if extra or "model_kwargs" in values:
        values["model_kwargs"] = extra
    return values
