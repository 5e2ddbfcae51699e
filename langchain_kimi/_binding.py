"""Bound settings reach batch jobs: ``bind`` / ``bind_tools`` / ``with_structured_output``
then ``.batch_job(...)`` runs the job with everything bound.

LangChain's ``RunnableBinding.__getattr__`` hands an unknown attribute (``batch_job``) to the
bound model and forwards only ``config``: the bound keyword arguments (the tools, ``stop``,
``temperature``, a ``response_format``) would be dropped. ``ChatKimi.bind`` therefore returns
a ``KimiBinding``, whose batch methods merge the bound keyword arguments under the call's
own; ``with_structured_output`` returns a ``StructuredOutput`` sequence whose batch methods
run the bound model's job and parse each answer as ``invoke`` would (``include_raw``: the
same ``{"raw", "parsed", "parsing_error"}`` dicts). Both serialize as the plain LangChain
classes they extend (``lc_id``), so serialized chains load anywhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langchain_core.messages import AIMessage
from langchain_core.runnables import Runnable, RunnableBinding, RunnableSequence
from pydantic import PrivateAttr

from ._fastpath import chat_model_binding

# langchain-core's private _ChatModelBinding where the fence allows it (``_fastpath`` 4), else
# the public RunnableBinding: the same at runtime.
_Binding: Any = chat_model_binding()

__all__ = ["KimiBinding", "StructuredOutput", "structured_output"]


class KimiBinding(_Binding):  # type: ignore[misc]
    """A ``RunnableBinding`` of a ``ChatKimi`` whose batch jobs keep the bound settings."""

    @classmethod
    def lc_id(cls) -> list[str]:
        return RunnableBinding.lc_id()

    def _bound_kwargs(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        """The bound keyword arguments, then the call's (which win)."""
        return {**self.kwargs, **kwargs}

    def batch_job(self, inputs: Sequence[Any], **kwargs: Any) -> Any:
        """``ChatKimi.batch_job`` with the bound settings (tools, ``stop``, sampling...)."""
        bound: Any = self.bound
        return bound.batch_job(inputs, **self._bound_kwargs(kwargs))

    async def abatch_job(self, inputs: Sequence[Any], **kwargs: Any) -> Any:
        """``ChatKimi.abatch_job`` with the bound settings."""
        bound: Any = self.bound
        return await bound.abatch_job(inputs, **self._bound_kwargs(kwargs))


class StructuredOutput(RunnableSequence):  # type: ignore[type-arg]
    """``with_structured_output``'s runnable; its batch jobs return parsed objects."""

    _kimi_llm: Any = PrivateAttr(default=None)
    _kimi_parser: Any = PrivateAttr(default=None)
    _kimi_include_raw: bool = PrivateAttr(default=False)

    @classmethod
    def lc_id(cls) -> list[str]:
        return RunnableSequence.lc_id()

    def _parsed(self, answers: list[Any], return_exceptions: bool) -> list[Any]:
        """Each answer parsed (a ``BatchLineError`` kept in place)."""
        parsed: list[Any] = []
        for answer in answers:
            if not isinstance(answer, AIMessage):
                parsed.append(answer)
            elif self._kimi_include_raw:
                try:
                    value = self._kimi_parser.invoke(answer)
                except Exception as exc:
                    parsed.append({"raw": answer, "parsed": None, "parsing_error": exc})
                else:
                    parsed.append({"raw": answer, "parsed": value, "parsing_error": None})
            elif return_exceptions:
                try:
                    parsed.append(self._kimi_parser.invoke(answer))
                except Exception as exc:
                    parsed.append(exc)
            else:
                parsed.append(self._kimi_parser.invoke(answer))
        return parsed

    def batch_job(
        self, inputs: Sequence[Any], *, return_exceptions: bool = False, **kwargs: Any
    ) -> list[Any]:
        """The bound model's ``batch_job``, each answer parsed as ``invoke`` parses it."""
        answers = self._kimi_llm.batch_job(inputs, return_exceptions=return_exceptions, **kwargs)
        return self._parsed(answers, return_exceptions)

    async def abatch_job(
        self, inputs: Sequence[Any], *, return_exceptions: bool = False, **kwargs: Any
    ) -> list[Any]:
        """Async ``batch_job``."""
        answers = await self._kimi_llm.abatch_job(
            inputs, return_exceptions=return_exceptions, **kwargs
        )
        return self._parsed(answers, return_exceptions)


def structured_output(
    chain: Runnable[Any, Any], llm: Runnable[Any, Any], parser: Runnable[Any, Any], raw: bool
) -> Runnable[Any, Any]:
    """``chain`` (``llm | parser``, or its ``include_raw`` form) as a ``StructuredOutput``."""
    if not isinstance(chain, RunnableSequence):
        return chain
    sequence = StructuredOutput(*chain.steps, name=chain.name)  # type: ignore[call-arg]
    sequence._kimi_llm = llm
    sequence._kimi_parser = parser
    sequence._kimi_include_raw = raw
    return sequence
