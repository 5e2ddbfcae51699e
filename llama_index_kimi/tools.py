"""``KimiToolSpec``: Moonshot's official tools ("formulas") as LlamaIndex ``FunctionTool``s.

``to_tool_list()`` fetches each formula's tools (``kimi_core.resources.formulas``: once per
client and URI) and makes one ``FunctionTool`` per tool, with the formula's name, description
and exact argument schema; calling it runs one fiber and returns its output, or its opaque encrypted
output unchanged, which is what goes back to the model. The tools work with any LlamaIndex
LLM, in ``FunctionAgent``, ``ReActAgent`` and ``AgentWorkflow``. This module only translates:
requests, parsing, retries and errors are the core's.
"""

from __future__ import annotations

import copy
import logging
import pickle
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

from llama_index.core.tools.function_tool import FunctionTool
from llama_index.core.tools.tool_spec.base import SPEC_FUNCTION_TYPE, BaseToolSpec
from llama_index.core.tools.types import ToolMetadata
from pydantic import BaseModel, ConfigDict, SecretStr
from typing_extensions import Unpack

from kimi_core.integration import (
    ConnectionSettings,
    FormulaTool,
    KimiClients,
    KimiOptions,
    formula_uri,
    index_tools,
)

if TYPE_CHECKING:
    from .base import Kimi

__all__ = ["FormulaToolMetadata", "KimiToolSpec"]

_log = logging.getLogger(__name__)


@dataclass
class FormulaToolMetadata(ToolMetadata):
    """``ToolMetadata`` whose parameters are the formula's own JSON schema, unfiltered (what
    ``to_openai_tool`` and the ReAct prompt show), with ``formula`` and ``function`` (the
    name a fiber runs) alongside."""

    parameters: dict[str, Any] = field(default_factory=dict)
    formula: str = ""
    function: str = ""

    def get_parameters_dict(self) -> dict[str, Any]:
        return copy.deepcopy(self.parameters)

    def __reduce__(self) -> tuple[Any, ...]:
        # ``fn_schema`` is a class made for this tool: rebuilt from the schema, not pickled.
        return _revive_metadata, (
            self.description,
            self.name,
            self.parameters,
            self.formula,
            self.function,
            self.return_direct,
        )


def _revive_metadata(
    description: str,
    name: str | None,
    parameters: dict[str, Any],
    formula: str,
    function: str,
    return_direct: bool,
) -> FormulaToolMetadata:
    return FormulaToolMetadata(
        description=description,
        name=name,
        fn_schema=_schema_model(name or "formula", parameters),
        return_direct=return_direct,
        parameters=parameters,
        formula=formula,
        function=function,
    )


def _schema_model(name: str, schema: dict[str, Any]) -> type[BaseModel]:
    """A pydantic class standing for the schema where LlamaIndex wants one (``fn_schema``):
    any arguments validate (the server checks them), its JSON schema is the formula's."""
    parameters = copy.deepcopy(schema)

    class FormulaArguments(BaseModel):
        model_config = ConfigDict(extra="allow")

        @classmethod
        def model_json_schema(cls, *args: Any, **kwargs: Any) -> dict[str, Any]:
            return copy.deepcopy(parameters)

    FormulaArguments.__name__ = FormulaArguments.__qualname__ = f"{name}_arguments"
    return FormulaArguments


class KimiToolSpec(BaseToolSpec):
    """Moonshot's official tools as a LlamaIndex tool spec.

    >>> spec = KimiToolSpec(["moonshot/web-search:latest", "moonshot/date:latest"])
    >>> agent = FunctionAgent(tools=spec.to_tool_list(), llm=Kimi())  # doctest: +SKIP

    ``formulas``: formula URIs (``namespace/name:tag``; ``"date"`` means
    ``"moonshot/date:latest"``). ``to_tool_list()`` / ``to_tool_list_async()`` fetch their
    tools (once per client and URI; ``spec_functions`` picks some by name) and refuse a name
    two formulas share (Kimi would answer 400). The connection settings are ``Kimi``'s
    (``api_key`` or ``MOONSHOT_API_KEY``, ``base_url``, ``gateway``, ``timeout``,
    ``max_retries``, your own httpx clients...); ``from_llm`` takes them, and the connection
    pool, from a ``Kimi``. A tool call runs a fiber, which is what Moonshot bills (web
    search): it is retried only when it surely did not run, never after a failure or a lost
    answer. A failed fiber raises ``kimi_core.FiberFailedError``; agents hand its message to
    the model as the tool's error output.
    """

    def __init__(
        self,
        formulas: Sequence[str],
        api_key: str | SecretStr | None = None,
        base_url: str | None = None,
        **settings: Unpack[ConnectionSettings],
    ) -> None:
        self.formulas = [formula_uri(uri) for uri in formulas]
        self._base_url = base_url
        self._settings: dict[str, Any] = dict(settings)
        self._clients = KimiClients(KimiOptions.resolve(api_key, base_url, **settings))

    @classmethod
    def from_llm(cls, llm: Kimi, formulas: Sequence[str]) -> KimiToolSpec:
        """The spec for ``llm``'s account, sharing its key, settings and connection pool."""
        spec = cls.__new__(cls)
        spec.formulas = [formula_uri(uri) for uri in formulas]
        options = llm._clients.options
        spec._base_url = options.base_url
        spec._settings = {
            "timeout": options.timeout,
            "max_retries": options.max_retries,
            "retry_ambiguous": options.retry_ambiguous,
            "allow_insecure": options.allow_insecure,
        }
        spec._clients = llm._clients
        return spec

    def __repr__(self) -> str:
        base_url = self._clients.options.base_url
        return f"KimiToolSpec(formulas={self.formulas!r}, base_url={base_url!r})"

    # -- tools -------------------------------------------------------------------------------
    @property
    def spec_functions(self) -> list[SPEC_FUNCTION_TYPE]:  # type: ignore[override]
        """The names of the formulas' tools (fetched on first use)."""
        return [tool.name for tool in self._found()]

    def _found(self) -> list[FormulaTool]:
        formulas = self._clients.sync.formulas
        return [tool for uri in self.formulas for tool in formulas.tools(uri)]

    def to_tool_list(
        self,
        spec_functions: list[SPEC_FUNCTION_TYPE] | None = None,
        func_to_metadata_mapping: dict[str, ToolMetadata] | None = None,
    ) -> list[FunctionTool]:
        """One ``FunctionTool`` per tool of each formula (those named in ``spec_functions``
        when given), in order; ``func_to_metadata_mapping`` overrides a tool's metadata."""
        return self._tools(self._found(), spec_functions, func_to_metadata_mapping)

    async def to_tool_list_async(
        self,
        spec_functions: list[SPEC_FUNCTION_TYPE] | None = None,
        func_to_metadata_mapping: dict[str, ToolMetadata] | None = None,
    ) -> list[FunctionTool]:
        """``to_tool_list`` with the async client."""
        formulas = self._clients.async_client.formulas
        found = [tool for uri in self.formulas for tool in await formulas.tools(uri)]
        return self._tools(found, spec_functions, func_to_metadata_mapping)

    def _tools(
        self,
        found: list[FormulaTool],
        wanted: list[SPEC_FUNCTION_TYPE] | None,
        overrides: dict[str, ToolMetadata] | None,
    ) -> list[FunctionTool]:
        index_tools(found)
        names = None if wanted is None else {w if isinstance(w, str) else w[0] for w in wanted}
        return [
            FunctionTool(
                fn=partial(self._run, tool),
                async_fn=partial(self._arun, tool),
                metadata=(overrides or {}).get(tool.name) or self._metadata(tool),
            )
            for tool in found
            if names is None or tool.name in names
        ]

    @staticmethod
    def _metadata(tool: FormulaTool) -> FormulaToolMetadata:
        return _revive_metadata(
            tool.description, tool.name, tool.schema(), tool.uri, tool.function, False
        )

    def _run(self, tool: FormulaTool, **arguments: Any) -> str:
        return self._clients.sync.formulas.call(tool, arguments).content

    async def _arun(self, tool: FormulaTool, **arguments: Any) -> str:
        return (await self._clients.async_client.formulas.call(tool, arguments)).content

    def close(self) -> None:
        self._clients.close()

    async def aclose(self) -> None:
        await self._clients.aclose()

    # -- pickles: the settings only (as ``Kimi``'s) -------------------------------------------
    def __getstate__(self) -> dict[str, Any]:
        """Never the key or live connections; no headers (they may carry credentials), no
        unpicklable HTTP clients (dropped with a warning)."""
        settings = {}
        for name, value in self._settings.items():
            if name == "default_headers":
                continue
            try:
                pickle.dumps(value)
            except Exception:  # an httpx client, a limiter holding a lock
                _log.warning("KimiToolSpec: not pickling the setting %s", name)
                continue
            settings[name] = value
        return {"formulas": self.formulas, "base_url": self._base_url, "settings": settings}

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Revived with the settings; the key comes from the environment on the first call."""
        self.formulas = state["formulas"]
        self._base_url = state["base_url"]
        self._settings = state["settings"]
        self._clients = KimiClients.later(
            partial(KimiOptions.resolve, None, self._base_url, **self._settings)
        )
