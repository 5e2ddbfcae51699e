"""The Formula API: Moonshot's official tools ("formulas") — list a formula's tools, run a call.

The wire is in ``docs/kimi-api/official-tools.md``: ``GET /formulas/{uri}/tools`` returns the
tools as ordinary function declarations (§3), ``POST /formulas/{uri}/fibers`` with the call's
``name`` and JSON-string ``arguments`` runs one call and returns a *fiber* (§4), whose
``context.output`` — or, for a protected formula such as web search, the opaque
``context.encrypted_output`` — goes back to the model unchanged as the tool message (§5).

Reached as ``client.formulas``. ``Formulas`` and ``AsyncFormulas`` share the URI check, the
request body and the parsing; only the I/O differs. Each keeps the tool definitions it fetched,
per URI, for the life of its client (``refresh=True`` or ``forget()`` fetch them again).

Retries are the client's (``kimi_core.transport.retry``): the ``GET`` is retried like any idempotent
request; running a fiber is what gets billed, so its ``POST`` is retried only when it surely
was not processed (a refused connection, a request not fully written) or was refused with a
429 / 5xx, and never after a failed fiber (``FiberFailedError``: the formula ran; its text is
scrubbed of the key by the client, ``kimi_core.wire.error_body.scrub_error``).
"""

from __future__ import annotations

import contextlib
import copy
import json
import threading
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import httpx

from ..errors import (
    FiberFailedError,
    FormulaNotFoundError,
    InvalidParameterError,
    MalformedResponseError,
    NotFoundError,
)
from ..wire.error_body import error_from_body, request_id
from ..wire.json import loads as json_loads

__all__ = [
    "OFFICIAL_FORMULAS",
    "AsyncFormulas",
    "Fiber",
    "FormulaTool",
    "Formulas",
    "fiber_body",
    "formula_uri",
    "index_tools",
    "parse_fiber",
    "parse_tools",
]

# The official formulas (docs/kimi-api/official-tools.md §6); what an account can use may
# differ (code-runner and quickjs answered 404 on the China platform in 2026-08).
OFFICIAL_FORMULAS = (
    "moonshot/web-search:latest",
    "moonshot/fetch:latest",
    "moonshot/convert:latest",
    "moonshot/date:latest",
    "moonshot/base64:latest",
    "moonshot/code-runner:latest",
    "moonshot/quickjs:latest",
    "moonshot/memory:latest",
    "moonshot/excel:latest",
    "moonshot/rethink:latest",
    "moonshot/random-choice:latest",
    "moonshot/mew:latest",
)

_FORBIDDEN = frozenset("/\\?#%:")
_EMPTY_PARAMETERS: dict[str, Any] = {"type": "object", "properties": {}}

# ``client._send``: returns what its ``parse`` reads from a 2xx answer.
Send = Callable[..., Any]
ASend = Callable[..., Awaitable[Any]]


def formula_uri(value: Any) -> str:
    """``value`` as a formula URI ``namespace/name:tag``, or an ``InvalidParameterError``.

    As in Moonshot's own example (§2), a URI without ``/`` is in the ``moonshot`` namespace
    and one without ``:`` gets the ``latest`` tag: ``"web-search"`` is
    ``"moonshot/web-search:latest"``. The URI goes into the path as it is (not
    percent-encoded, §2), so each part must be one path segment: not empty, ``.`` or ``..``,
    and free of ``/``, ``\\``, ``?``, ``#``, ``%``, ``:``, whitespace and control characters.
    """
    if isinstance(value, str):
        uri = value if "/" in value else "moonshot/" + value
        namespace, _, rest = uri.partition("/")
        name, colon, tag = rest.partition(":")
        parts = (namespace, name, tag if colon else "latest")
        if all(_segment(part) for part in parts):
            return f"{parts[0]}/{parts[1]}:{parts[2]}"
    raise InvalidParameterError(
        f"invalid formula URI {value!r}: it must look like 'moonshot/web-search:latest' "
        "(namespace/name:tag; no empty part, '.' or '..', and no '/', '\\', '?', '#', '%', "
        "':', whitespace or control characters inside a part)",
        param="uri",
    )


def _segment(part: str) -> bool:
    return part not in ("", ".", "..") and not any(
        char in _FORBIDDEN or char.isspace() or not char.isprintable() for char in part
    )


def _tools_path(uri: str) -> str:
    return f"/formulas/{uri}/tools"


def _fibers_path(uri: str) -> str:
    return f"/formulas/{uri}/fibers"


@dataclass(frozen=True)
class FormulaTool:
    """One tool a formula declares.

    ``name`` is what the model sees and calls; ``function`` is the name a fiber is run with:
    the same for ordinary tools, ``<plugin>.<fn>`` for the functions of a plugin manifest
    (``moonshot/excel``, declared as ``<plugin>_<fn>``: §3). ``definition`` is the declaration
    to send in a chat request's ``tools``, as the server gave it.
    """

    uri: str
    name: str
    function: str
    description: str
    parameters: Mapping[str, Any]
    _definition: Mapping[str, Any] = field(repr=False)

    @property
    def definition(self) -> dict[str, Any]:
        """A fresh copy of the declaration (``{"type": "function", "function": {...}}``)."""
        return copy.deepcopy(dict(self._definition))

    def schema(self) -> dict[str, Any]:
        """A fresh copy of the argument schema (a JSON schema object)."""
        return copy.deepcopy(dict(self.parameters))


@dataclass(frozen=True)
class Fiber:
    """One run of a formula tool (a succeeded fiber: a failed one is a ``FiberFailedError``).

    ``content`` is what goes back to the model as the tool message: ``output`` if there is
    one, else ``encrypted_output`` byte for byte, else ``""`` (Moonshot's own loop, §5).
    ``output`` that was not a string is kept as its JSON. ``body`` is the fiber as sent.
    """

    id: str | None
    status: str
    uri: str
    name: str
    output: str | None
    encrypted_output: str | None
    body: Mapping[str, Any] = field(repr=False)

    @property
    def content(self) -> str:
        return self.output or self.encrypted_output or ""

    @property
    def encrypted(self) -> bool:
        """The result is the opaque ``encrypted_output`` only the model side can read."""
        return not self.output and bool(self.encrypted_output)


def index_tools(tools: Iterable[FormulaTool]) -> dict[str, FormulaTool]:
    """The tools by name; a name two formulas share, or one formula declares twice, is an
    ``InvalidParameterError`` (Kimi answers 400 to a request declaring it twice, §3). The
    same formula listed twice gives equal tools: not a clash."""
    index: dict[str, FormulaTool] = {}
    for tool in tools:
        other = index.get(tool.name)
        if other is not None and other.uri != tool.uri:
            raise InvalidParameterError(
                f"the tool name {tool.name!r} is declared by both {other.uri} and {tool.uri}; "
                "Kimi rejects a request declaring a function name twice: use one of them",
                param="formulas",
            )
        if other is not None and other != tool:
            raise InvalidParameterError(
                f"the formula {tool.uri} declares the tool name {tool.name!r} twice; Kimi "
                "rejects a request declaring a function name twice",
                param="formulas",
            )
        index[tool.name] = tool
    return index


def fiber_body(name: Any, arguments: Any) -> bytes:
    """The body of ``POST /formulas/{uri}/fibers``: ``{"name", "arguments"}``, where
    ``arguments`` is the call's JSON string, sent as it is (a mapping is encoded)."""
    if not isinstance(name, str) or not name:
        raise InvalidParameterError(
            f"the tool name must be a non-empty string, got {name!r}", param="name"
        )
    if isinstance(arguments, Mapping):
        arguments = _dumps(dict(arguments), "arguments")
    elif not isinstance(arguments, str):
        raise InvalidParameterError(
            "arguments must be the call's JSON string (or a mapping to encode), "
            f"got {type(arguments).__name__}",
            param="arguments",
        )
    return _dumps({"name": name, "arguments": arguments}, "arguments").encode()


def _dumps(value: Any, param: str) -> str:
    try:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as exc:  # NaN, a set, a lone surrogate...
        raise InvalidParameterError(f"{param} cannot be sent as JSON: {exc}", param=param) from None


def _json(response: httpx.Response, what: str) -> Any:
    try:
        return json_loads(response.content)
    except ValueError:
        raise MalformedResponseError(
            f"{what} answer is not JSON",
            body=response.content[:500].decode("utf-8", "replace"),
            request_id=request_id(response.headers),
        ) from None


def _object(response: httpx.Response, what: str) -> dict[str, Any]:
    body = _json(response, what)
    if not isinstance(body, dict):
        raise MalformedResponseError(f"{what} answer is not a JSON object", body=str(body)[:500])
    return body


def _declaration(
    uri: str, name: str, function: str, description: Any, parameters: Any, definition: Any
) -> FormulaTool:
    schema = dict(parameters) if isinstance(parameters, Mapping) else dict(_EMPTY_PARAMETERS)
    text = description if isinstance(description, str) else ""
    if definition is None:
        definition = {
            "type": "function",
            "function": {"name": name, "description": text, "parameters": schema},
        }
    return FormulaTool(uri, name, function, text, copy.deepcopy(schema), copy.deepcopy(definition))


def _entry_tools(uri: str, entry: Any) -> list[FormulaTool]:
    """The tools of one ``tools`` entry: a function declaration, or a plugin manifest's
    functions (§3); anything else is skipped."""
    if not isinstance(entry, Mapping):
        return []
    function = entry.get("function")
    if isinstance(function, Mapping) and entry.get("type", "function") == "function":
        name = function.get("name")
        if not isinstance(name, str) or not name:
            return []
        return [
            _declaration(
                uri, name, name, function.get("description"), function.get("parameters"), entry
            )
        ]
    plugin = entry.get("_plugin")
    if not isinstance(plugin, Mapping) or not isinstance(plugin.get("name"), str):
        return []
    prefix = plugin["name"]
    tools = []
    for item in plugin.get("functions") or ():
        spec = item.get("function") if isinstance(item, Mapping) else None
        spec = spec if isinstance(spec, Mapping) else item
        if not isinstance(spec, Mapping) or not isinstance(spec.get("name"), str):
            continue
        fn = spec["name"]
        description = spec.get("description") or plugin.get("description")
        tools.append(
            _declaration(
                uri, f"{prefix}_{fn}", f"{prefix}.{fn}", description, spec.get("parameters"), None
            )
        )
    return tools


def parse_tools(response: httpx.Response, uri: str) -> tuple[FormulaTool, ...]:
    """``{"object": "list", "tools": [...]}`` to the formula's tools."""
    body = _object(response, "formula tools")
    entries = body.get("tools")
    if not isinstance(entries, list):
        raise MalformedResponseError(
            f"the tools answer for {uri} has no tools array", body=str(body)[:500]
        )
    return tuple(tool for entry in entries for tool in _entry_tools(uri, entry))


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def _failure(body: Mapping[str, Any], context: Mapping[str, Any]) -> str:
    """The failure text where Moonshot's own client looks for it: the fiber's ``error``, then
    ``context.error``, then ``context.output`` (§4)."""
    for value in (body.get("error"), context.get("error"), context.get("output")):
        if isinstance(value, Mapping) and value.get("message"):
            return str(value["message"])
        if value:
            return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return "Unknown error"


def parse_fiber(response: httpx.Response, uri: str, name: str) -> Fiber:
    """A fiber answer to a ``Fiber``; a status other than ``succeeded`` raises
    ``FiberFailedError``, an error body that came with a 2xx the typed HTTP error."""
    body = _object(response, "fiber")
    if "error" in body and "status" not in body and "context" not in body:
        raise error_from_body(response.headers, response.content)
    context = body.get("context")
    context = context if isinstance(context, Mapping) else {}
    status = str(body.get("status") or "")
    fiber_id = body.get("id") if isinstance(body.get("id"), str) else None
    if status != "succeeded":
        error = _failure(body, context)
        raise FiberFailedError(
            f"the {name} tool of {uri} failed (fiber {fiber_id}, status "
            f"{status or 'missing'!r}): {error}",
            fiber_id=fiber_id,
            status=status,
            uri=uri,
            name=name,
            error=error,
            body=body,
            request_id=request_id(response.headers),
        )
    return Fiber(
        fiber_id,
        status,
        str(body.get("formula") or uri),
        name,
        _text(context.get("output")),
        _text(context.get("encrypted_output")),
        body,
    )


@contextlib.contextmanager
def _formula_errors(uri: str) -> Iterator[None]:
    """A 404 of the Formula API as ``FormulaNotFoundError`` (it names the URI)."""
    try:
        yield
    except NotFoundError as exc:
        if isinstance(exc, FormulaNotFoundError):
            raise
        error = FormulaNotFoundError(
            f"{exc.message} (formula {uri}: check the URI, e.g. moonshot/web-search:latest; "
            "formulas are served by Moonshot's own endpoints only)",
            status=exc.status,
            type=exc.type,
            code=exc.code,
            trace_id=exc.trace_id,
            body=exc.body,
            headers=exc.headers,
            attempts=exc.attempts,
        )
        error.uri = uri
        raise error from None


class _Cache:
    """The tool definitions fetched per URI (one per client, §module docstring)."""

    def __init__(self) -> None:
        self._tools: dict[str, tuple[FormulaTool, ...]] = {}
        self._lock = threading.Lock()

    def _cached(self, uri: str, refresh: bool) -> tuple[FormulaTool, ...] | None:
        return None if refresh else self._tools.get(uri)

    def _store(self, uri: str, tools: tuple[FormulaTool, ...]) -> tuple[FormulaTool, ...]:
        with self._lock:
            self._tools[uri] = tools
        return tools

    def forget(self, uri: str | None = None) -> None:
        """Drop the cached definitions of ``uri`` (every URI when None)."""
        with self._lock:
            if uri is None:
                self._tools.clear()
            else:
                self._tools.pop(formula_uri(uri), None)


class Formulas(_Cache):
    """Sync Formula API, reached as ``KimiClient.formulas``."""

    def __init__(self, send: Send) -> None:
        super().__init__()
        self._send = send

    def tools(self, uri: str, *, refresh: bool = False) -> tuple[FormulaTool, ...]:
        """The formula's tools (``GET /formulas/{uri}/tools``), cached per URI."""
        uri = formula_uri(uri)
        cached = self._cached(uri, refresh)
        if cached is not None:
            return cached
        with _formula_errors(uri):
            tools = self._send("GET", _tools_path(uri), parse=partial(parse_tools, uri=uri))
        return self._store(uri, tools)

    def run(self, uri: str, name: str, arguments: str | Mapping[str, Any] = "{}") -> Fiber:
        """Run one call (``POST /formulas/{uri}/fibers``): ``name`` and ``arguments`` are the
        tool call's ``function.name`` / ``function.arguments`` (the JSON string as the model
        sent it, or a mapping)."""
        uri = formula_uri(uri)
        body = fiber_body(name, arguments)
        parse = partial(parse_fiber, uri=uri, name=name)
        with _formula_errors(uri):
            fiber: Fiber = self._send("POST", _fibers_path(uri), content=body, parse=parse)
        return fiber

    def call(self, tool: FormulaTool, arguments: str | Mapping[str, Any] = "{}") -> Fiber:
        """``run`` for one of ``tools()``'s tools (a plugin function is run by its own name)."""
        return self.run(tool.uri, tool.function, arguments)


class AsyncFormulas(_Cache):
    """Async Formula API, reached as ``AsyncKimiClient.formulas``."""

    def __init__(self, send: ASend) -> None:
        super().__init__()
        self._send = send

    async def tools(self, uri: str, *, refresh: bool = False) -> tuple[FormulaTool, ...]:
        uri = formula_uri(uri)
        cached = self._cached(uri, refresh)
        if cached is not None:
            return cached
        with _formula_errors(uri):
            tools = await self._send("GET", _tools_path(uri), parse=partial(parse_tools, uri=uri))
        return self._store(uri, tools)

    async def run(self, uri: str, name: str, arguments: str | Mapping[str, Any] = "{}") -> Fiber:
        uri = formula_uri(uri)
        body = fiber_body(name, arguments)
        parse = partial(parse_fiber, uri=uri, name=name)
        with _formula_errors(uri):
            fiber: Fiber = await self._send("POST", _fibers_path(uri), content=body, parse=parse)
        return fiber

    async def call(self, tool: FormulaTool, arguments: str | Mapping[str, Any] = "{}") -> Fiber:
        return await self.run(tool.uri, tool.function, arguments)
