"""Constructor arguments are never silently ignored: the one rule both adapters apply.

A name that is close to a known one (``modle=``, ``temprature=``, ``maxtokens=``,
``api_kye=``) is a typo: ``ConfigurationError`` naming the argument meant
(``difflib.get_close_matches``, cutoff 0.8, against the field names and their aliases). What
else is unknown is the adapter's call: ``ChatKimi`` moves it to ``model_kwargs`` with a
warning (as ``ChatOpenAI`` does), ``Kimi`` refuses it (LlamaIndex users pass request extras
as ``additional_kwargs``), both through ``unknown_arguments``.

Request fields Kimi's API takes (``seed``, ``top_k``, ``logprobs``...) are never typos,
however close they are to a field name: ``REQUEST_FIELDS``.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from .errors import ConfigurationError

__all__ = ["REQUEST_FIELDS", "check_typos", "suggestion", "unknown_arguments"]

REQUEST_FIELDS = frozenset(
    {
        "seed",
        "top_k",
        "min_p",
        "logprobs",
        "top_logprobs",
        "logit_bias",
        "response_format",
        "tools",
        "tool_choice",
        "parallel_tool_calls",
        "stream_options",
        "repetition_penalty",
        "prompt_cache_options",
        "safety_identifier",
        "metadata",
        "store",
        "service_tier",
        "user",
        "n",
        "partial",
    }
)
"""OpenAI-compatible request fields: passed on as extras, never taken for a typo."""

CUTOFF = 0.8


def suggestion(name: str, known: Iterable[str]) -> str | None:
    """The known name ``name`` is a typo of, if any (``None`` for a request field)."""
    if name in REQUEST_FIELDS:
        return None
    import difflib  # only when an argument is unknown: keeps importing an adapter cheap

    close = difflib.get_close_matches(name, sorted(set(known)), n=1, cutoff=CUTOFF)
    return close[0] if close else None


def check_typos(names: Iterable[str], known: Collection[str], owner: str) -> None:
    """``ConfigurationError`` for the first of ``names`` (arguments ``owner`` does not know)
    that looks like a misspelled known one."""
    for name in names:
        if name in known:
            continue
        meant = suggestion(name, known)
        if meant is not None:
            raise ConfigurationError(
                f"{owner} got an unknown argument {name!r}; did you mean {meant!r}?",
                param=name,
            )


def unknown_arguments(names: Iterable[str], known: Collection[str], owner: str) -> list[str]:
    """The names ``owner`` does not know (in the order given), after ``check_typos``."""
    names = list(names)
    check_typos(names, known, owner)
    return [name for name in names if name not in known]
