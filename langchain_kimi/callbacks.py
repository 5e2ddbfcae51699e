"""``get_kimi_callback()``: total Kimi tokens and cost over a block of calls.

Like langchain-community's ``get_openai_callback``: every chat-model run started inside the
``with`` block (sync, async, streamed, in chains and agents, in other threads that copy the
context) reports to one handler, which adds up ``usage_metadata`` and the ``cost`` that
``ChatKimi`` puts in ``response_metadata`` (from ``kimi_core``'s model catalog). Runs of other
providers are ignored.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from decimal import Decimal
from typing import Any

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import AIMessage
from langchain_core.outputs import ChatGeneration, LLMResult
from langchain_core.tracers.context import register_configure_hook

from ._messages import PROVIDER

__all__ = ["KimiCallbackHandler", "get_kimi_callback"]


class KimiCallbackHandler(BaseCallbackHandler):
    """Adds up tokens, requests and cost of Kimi chat-model runs (thread-safe)."""

    # Called inline by async callback managers too: the totals are ready when a call returns.
    run_inline = True

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self.prompt_tokens = 0
        self.completion_tokens = 0
        self.total_tokens = 0
        self.cache_read_tokens = 0
        self.cache_write_tokens = 0
        """Prompt tokens written to Moonshot's prompt cache (``cache_creation``)."""
        self.reasoning_tokens = 0
        self.successful_requests = 0
        self.cost_by_currency: dict[str, Decimal] = {}

    @property
    def always_verbose(self) -> bool:
        return True

    @property
    def currency(self) -> str | None:
        """The currency of ``total_cost`` (None before any priced call)."""
        currencies = list(self.cost_by_currency)
        return currencies[0] if len(currencies) == 1 else None

    @property
    def total_cost(self) -> Decimal:
        """The summed cost in ``currency``; raises if models priced in several currencies
        were used (read ``cost_by_currency`` then)."""
        if len(self.cost_by_currency) > 1:
            raise ValueError(
                "calls were priced in several currencies "
                f"({', '.join(sorted(self.cost_by_currency))}); read cost_by_currency"
            )
        return next(iter(self.cost_by_currency.values()), Decimal(0))

    def __repr__(self) -> str:
        costs = ", ".join(f"{amount} {cur}" for cur, amount in self.cost_by_currency.items())
        return (
            f"Tokens Used: {self.total_tokens}\n"
            f"\tPrompt Tokens: {self.prompt_tokens}\n"
            f"\t\tCache Read Tokens: {self.cache_read_tokens}\n"
            f"\t\tCache Write Tokens: {self.cache_write_tokens}\n"
            f"\tCompletion Tokens: {self.completion_tokens}\n"
            f"\t\tReasoning Tokens: {self.reasoning_tokens}\n"
            f"Successful Requests: {self.successful_requests}\n"
            f"Total Cost: {costs or '0'}"
        )

    def on_llm_end(self, response: LLMResult, **kwargs: Any) -> None:
        """Add the usage and cost of each Kimi answer in ``response``."""
        counted = False
        for generations in response.generations:
            for generation in generations:
                if not isinstance(generation, ChatGeneration):
                    continue
                message = generation.message
                if not isinstance(message, AIMessage):
                    continue
                metadata = message.response_metadata
                if metadata.get("model_provider") != PROVIDER:
                    continue
                counted = True
                self._add(message, metadata.get("cost"))
        if counted:
            with self._lock:
                self.successful_requests += 1

    def _add(self, message: AIMessage, cost: Any) -> None:
        usage = message.usage_metadata
        with self._lock:
            if usage:
                self.prompt_tokens += usage.get("input_tokens", 0)
                self.completion_tokens += usage.get("output_tokens", 0)
                self.total_tokens += usage.get("total_tokens", 0)
                details = usage.get("input_token_details", {})
                self.cache_read_tokens += details.get("cache_read", 0)
                self.cache_write_tokens += details.get("cache_creation", 0)
                self.reasoning_tokens += usage.get("output_token_details", {}).get("reasoning", 0)
            if isinstance(cost, dict) and "amount" in cost and "currency" in cost:
                currency = str(cost["currency"])
                amount = Decimal(repr(cost["amount"]))
                self.cost_by_currency[currency] = (
                    self.cost_by_currency.get(currency, Decimal(0)) + amount
                )

    def __copy__(self) -> KimiCallbackHandler:
        # LangChain copies handlers into child managers: keep totals shared.
        return self

    def __deepcopy__(self, memo: Any) -> KimiCallbackHandler:
        return self


_kimi_callback: ContextVar[KimiCallbackHandler | None] = ContextVar("kimi_callback", default=None)
register_configure_hook(_kimi_callback, inheritable=True)


@contextmanager
def get_kimi_callback() -> Iterator[KimiCallbackHandler]:
    """Total Kimi tokens and cost over the ``with`` block.

    >>> with get_kimi_callback() as cb:  # doctest: +SKIP
    ...     llm.invoke("Hello")
    ...     await llm.ainvoke("Hi")
    >>> cb.total_tokens, cb.total_cost, cb.currency  # doctest: +SKIP
    """
    handler = KimiCallbackHandler()
    token = _kimi_callback.set(handler)
    try:
        yield handler
    finally:
        _kimi_callback.reset(token)
