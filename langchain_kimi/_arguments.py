"""``ChatKimi``'s constructor arguments: never silently ignored.

A misspelled known argument (``modle=``, ``temprature=``) raises ``ConfigurationError``
naming the one meant (``kimi_core.arguments``); any other unknown argument moves to
``model_kwargs`` with a warning, exactly as ``ChatOpenAI`` does (langchain-core's
``_build_model_kwargs``), so it is sent with every request.
"""

from __future__ import annotations

from typing import Any

from langchain_core.utils.utils import _build_model_kwargs, get_pydantic_field_names

from kimi_core.integration import unknown_arguments

__all__ = ["build_model_kwargs", "check_typos"]


def check_typos(cls: type, kwargs: dict[str, Any]) -> None:
    """``ConfigurationError`` for an argument of ``cls`` that is a misspelled field name
    (raised from ``__init__``: a validator would wrap it in a ``ValidationError``)."""
    unknown_arguments(kwargs, get_pydantic_field_names(cls), cls.__name__)


def build_model_kwargs(cls: type, values: Any) -> Any:
    """``values`` with its unknown arguments moved to ``model_kwargs`` (with a warning)."""
    if not isinstance(values, dict):
        return values
    return _build_model_kwargs(values, get_pydantic_field_names(cls))
