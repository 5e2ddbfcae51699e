"""The Starlette application: routes under the dialect's base path, one prelude for all.

What differs between dialects (bodies, errors, auth, thinking, headers) is asked of the
dialect's :class:`speakers.Speaker`. Every request goes through the same prelude, in this
order:

1. when the emulator has an ``api_key``, ``Authorization: Bearer <key>`` (Azure: ``api-key:
   <key>``) must match, else 401 (the tools API: no body), before a byte of the body is read
   (the request is recorded without its body);
2. a body over ``MAX_REQUEST_BYTES`` (100 MB, Moonshot's documented limit) is refused with a
   400 ``invalid_request_error``: from its ``Content-Length`` before it is read, or as soon as
   a chunked one passes the limit;
3. it is recorded in ``emu.requests`` (credentials redacted; a chat completion with what the
   server read: ``seen_reasoning``, ``seen_thinking``, ``seen_effort``; the last
   ``request_log_size`` requests are kept);
4. chat completions only: the simulated RPM / concurrency limits admit it, else 429 (with
   ``Retry-After``; the rate-limit headers go on every chat answer while a limit is set:
   Moonshot's ``X-RateLimit-*`` (:mod:`faults`), a host's own, :mod:`host_wire`);
5. a queued ``delay_next`` sleeps;
6. a queued ``fail_next`` / ``raw_next`` / ``raw_stream_next`` answers instead of the route.

Routes (below ``/v1``, ``/kimi``, ``/v1/ai/{endpoint_path}`` - default endpoint path
``kimi-k2.6`` - or a host's base path, :mod:`host_dialects`): ``POST /chat/completions``
(checked by :mod:`validation` or :mod:`host_requests`, answered by :mod:`replies` in the
shapes of :mod:`wire` or :mod:`host_wire`; ``gateway_timeout_next``, ``cut_next_stream`` and
``fail_mid_stream`` apply here, :mod:`faults`), ``GET /models``, ``GET /models/{id}``; on
Moonshot's dialects also ``POST|GET /files``, ``GET|DELETE /files/{id}``, ``GET
/files/{id}/content``, ``POST /tokenizers/estimate-token-count``, ``GET /users/me/balance``;
the moonshot dialect also serves the Formula API (``GET /formulas/{uri}/tools``, ``POST
/formulas/{uri}/fibers``: :mod:`formulas`), the Batch API (:mod:`batches`): ``POST|GET
/batches``, ``GET /batches/{id}``, ``POST /batches/{id}/cancel``, and the REST tools ``POST
/tools/search``, ``/tools/search_pro``, ``/tools/fetch`` (:mod:`tools_api`; the gateways
and hosts document none of these: 404 there). Any other path: 404 in the dialect's error
shape.

``GET /models`` lists the served models only (retired catalog entries are not served unless
passed in ``models=[...]``; a host serves every catalog family), each ``{id, object: "model",
created, owned_by, root, parent, context_length, supports_image_in, supports_video_in,
supports_reasoning}`` [docs/kimi-api/models.md §7: kimi-cli reads ``id``, ``context_length``
and the three ``supports_*`` flags; ``object``, ``created``, ``owned_by``, ``root``,
``parent`` seen by a third party]. ``GET /models/{id}`` returns one of them (a host: by its
own spelling too), or 404 "Not found the model <id> or Permission denied" for a model not
served (retired ones included) [same section].

Headers: the moonshot dialect sends ``Msh-Request-Id`` [docs/kimi-api/errors-and-limits.md
"Headers"] and ``x-trace-id`` with the same value [docs/kimi-api/models.md §10: kosong exposes
``x-trace-id``; the shared value is assumed] on every response, and ``X-Msh-Track-Id`` /
``X-Msh-Chat-Id`` on the tools API's; the gateways and hosts send none of these.
"""

from __future__ import annotations

import asyncio
import functools
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route
from starlette.types import Message, Receive, Scope, Send

from kimi_core.catalog.hosts import model_family_id
from kimi_core.catalog.model_info import DEFAULT_MODEL, ModelInfo

from .batches import list_limit
from .faults import GATEWAY_TIMEOUT_PAGE, FailSpec, MidStreamSpec, RawSpec, RawStreamSpec
from .files import FileError
from .formulas import NOT_FOUND, FiberRequestError, run_fiber, tools_body
from .host_dialects import HOST_DIALECTS
from .speakers import dumps_any, speaker_for
from .state import EmulatorState, RecordedRequest, redact_headers
from .tokens import count_prompt
from .tools_api import DEFAULT_TOOL_ERRORS, ToolError, fetch, search, search_pro, tool_error_body
from .validation import RequestError, resolve_model
from .wire import Dialect, default_error, dumps

__all__ = ["EmulatorApp", "base_path"]

MODELS_CREATED = 1_700_000_000
_ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
_KEY = "kimi_emulator"


def base_path(dialect: Dialect, endpoint_path: str = DEFAULT_MODEL) -> str:
    """The path part of a dialect's base URL (a host's: :mod:`host_dialects`)."""
    if dialect in HOST_DIALECTS:
        return HOST_DIALECTS[dialect].base_path
    if dialect == "moonshot":
        return "/v1"
    if dialect == "acedata":
        return "/kimi"
    return f"/v1/ai/{endpoint_path.strip('/')}"


class SSEResponse(StreamingResponse):
    """``text/event-stream`` of pre-built events; ``abort`` drops the connection at the end."""

    def __init__(self, events: list[bytes], delay: float = 0.0, abort: bool = False) -> None:
        self._events = events
        self._delay = delay
        self._abort = abort
        super().__init__(
            self._iterate(),
            media_type="text/event-stream",
            headers={"cache-control": "no-cache"},
        )

    async def _iterate(self) -> AsyncIterator[bytes]:
        for i, event in enumerate(self._events):
            if i and self._delay:
                await asyncio.sleep(self._delay)
            yield event

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self._abort:
            await super().__call__(scope, receive, send)
            return
        await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
        async for event in self._iterate():
            await send({"type": "http.response.body", "body": event, "more_body": True})
        # Returning without the final empty body makes uvicorn close the connection.


MAX_REQUEST_BYTES = 100 * 1024 * 1024
"""The largest request body the emulator reads (Moonshot's documented 100 MB limit)."""


async def _capped_body(request: Request) -> bytes | None:
    """The body, or None when it is over ``MAX_REQUEST_BYTES`` (refused from its
    ``Content-Length`` before reading, or as soon as a chunked one passes the limit)."""
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > MAX_REQUEST_BYTES:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_REQUEST_BYTES:
            return None
        chunks.append(chunk)
    body = b"".join(chunks)
    request._body = body  # what ``request.body()`` / ``form()`` give the route (Starlette's cache)
    return body


def _model_json(info: ModelInfo) -> dict[str, Any]:
    return {
        "id": info.id,
        "object": "model",
        "created": MODELS_CREATED,
        "owned_by": "moonshot",
        "root": info.id,
        "parent": None,
        "context_length": info.context_window,
        "supports_image_in": info.image_input,
        "supports_video_in": info.video_input,
        "supports_reasoning": info.thinking != "none",
    }


class EmulatorApp:
    """ASGI app: Starlette routes plus in-flight accounting and the extra headers (module
    docstring)."""

    def __init__(self, state: EmulatorState) -> None:
        self.state = state
        self.dialect: Dialect = state.dialect
        self.speaker = speaker_for(state)
        prefix = base_path(state.dialect, state.endpoint_path)
        self.prefix = prefix
        routes = [
            Route(f"{prefix}/chat/completions", self.chat, methods=["POST"]),
            Route(f"{prefix}/models", self.list_models, methods=["GET"]),
            Route(f"{prefix}/models/{{model_id:path}}", self.retrieve_model, methods=["GET"]),
        ]
        if self.dialect not in HOST_DIALECTS:  # Moonshot's own endpoints, also on its relays
            routes += self._moonshot_routes(prefix)
        routes.append(Route("/{path:path}", self.not_found, methods=_ALL_METHODS))
        self.router = Starlette(routes=routes)

    def _moonshot_routes(self, prefix: str) -> list[Route]:
        routes = [
            Route(f"{prefix}/files", self.upload_file, methods=["POST"]),
            Route(f"{prefix}/files", self.list_files, methods=["GET"]),
            Route(f"{prefix}/files/{{file_id}}", self.retrieve_file, methods=["GET"]),
            Route(f"{prefix}/files/{{file_id}}", self.delete_file, methods=["DELETE"]),
            Route(f"{prefix}/files/{{file_id}}/content", self.file_content, methods=["GET"]),
            Route(
                f"{prefix}/tokenizers/estimate-token-count",
                self.estimate_tokens,
                methods=["POST"],
            ),
            Route(f"{prefix}/users/me/balance", self.balance, methods=["GET"]),
        ]
        if self.dialect == "moonshot":  # no gateway is known to serve these
            routes += [
                Route(f"{prefix}/formulas/{{uri:path}}/tools", self.formula_tools, methods=["GET"]),
                Route(f"{prefix}/formulas/{{uri:path}}/fibers", self.fiber, methods=["POST"]),
                Route(f"{prefix}/batches", self.create_batch, methods=["POST"]),
                Route(f"{prefix}/batches", self.list_batches, methods=["GET"]),
                Route(f"{prefix}/batches/{{batch_id}}", self.retrieve_batch, methods=["GET"]),
                Route(f"{prefix}/batches/{{batch_id}}/cancel", self.cancel_batch, methods=["POST"]),
                Route(f"{prefix}/tools/{{tool}}", self.rest_tool, methods=["POST"]),
            ]
        return routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.router(scope, receive, send)
            return
        extra: list[tuple[bytes, bytes]] = []
        context: dict[str, Any] = {"admitted": False, "json": None, "headers": extra}
        scope[_KEY] = context
        if self.dialect == "moonshot":
            request_id = uuid.uuid4().hex.encode("ascii")
            extra += [(b"msh-request-id", request_id), (b"x-trace-id", request_id)]
            if str(scope.get("path", "")).startswith(f"{self.prefix}/tools/"):
                extra += _track_headers(scope)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start" and extra:
                headers = list(message.get("headers", []))
                headers.extend(extra)
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.router(scope, receive, send_with_headers)
        finally:
            if context["admitted"]:
                self.state.limiter.release()

    # --- helpers ----------------------------------------------------------------------------

    def error(
        self,
        status: int,
        type_: str,
        message: str,
        *,
        map_code: bool = True,
        own: bool = False,
        headers: dict[str, str] | None = None,
    ) -> Response:
        """An error in the dialect's shape (``own``: OpenRouter's own, not an upstream's)."""
        body = self.speaker.error_body(status, type_, message, map_code=map_code, own=own)
        return self.json_response(body, status, headers)

    def request_error(self, exc: RequestError) -> Response:
        if exc.body is not None:
            return self.json_response(exc.body, exc.status)
        return self.error(exc.status, exc.type, exc.message)

    def json_response(
        self, body: Any, status: int = 200, headers: dict[str, str] | None = None
    ) -> Response:
        return Response(
            dumps(body, self.dialect),
            status_code=status,
            media_type="application/json",
            headers=headers,
        )

    def _default_failure(self, spec: FailSpec, path: str, headers: dict[str, str]) -> Response:
        """A ``fail_next`` without a body: the dialect's error for the status (the tools
        API's own on ``/tools/...``)."""
        if path.startswith(f"{self.prefix}/tools/") and self.dialect == "moonshot":
            tool_type, tool_message = DEFAULT_TOOL_ERRORS.get(
                spec.status, ("internal_error", f"HTTP {spec.status}")
            )
            body = tool_error_body(spec.error_type or tool_type, spec.message or tool_message)
            return self.json_response(body, spec.status, headers)
        default_type, default_message = default_error(spec.status)
        return self.error(
            spec.status,
            spec.error_type or default_type,
            spec.message or self.speaker.default_message(spec.status, default_message),
            map_code=spec.error_type is None,
            headers=headers,
        )

    def _override(self, spec: FailSpec | RawSpec | RawStreamSpec, path: str) -> Response:
        if isinstance(spec, RawSpec):
            return Response(
                spec.body,
                status_code=spec.status,
                media_type=spec.content_type,
                headers=spec.headers or None,
            )
        if isinstance(spec, RawStreamSpec):
            return SSEResponse(list(spec.events))
        headers: dict[str, str] = {}
        if spec.retry_after is not None:
            headers["retry-after"] = str(spec.retry_after)
        if spec.body is None:
            return self._default_failure(spec, path, headers)
        if isinstance(spec.body, dict):
            return Response(
                json.dumps(spec.body, ensure_ascii=False).encode("utf-8"),
                status_code=spec.status,
                media_type=spec.content_type or "application/json",
                headers=headers,
            )
        raw = spec.body.encode("utf-8") if isinstance(spec.body, str) else spec.body
        media_type = spec.content_type or (
            "text/html; charset=utf-8" if raw.lstrip()[:1] == b"<" else "text/plain; charset=utf-8"
        )
        return Response(raw, status_code=spec.status, media_type=media_type, headers=headers)

    def _record(self, request: Request, parsed: Any, chat: bool) -> None:
        seen = self.speaker.observe(parsed) if chat else None
        self.state.record(
            RecordedRequest(
                method=request.method,
                path=request.url.path,
                headers=redact_headers(request.headers.items()),
                json=parsed,
                query=dict(request.query_params),
                client=(request.client.host, request.client.port) if request.client else None,
                seen_reasoning=None if seen is None else seen.reasoning,
                seen_thinking=None if seen is None else seen.thinking,
                seen_effort=None if seen is None else seen.effort,
            )
        )

    def _unauthorized(self, request: Request) -> Response | None:
        key = self.state.api_key
        if key is None or self.speaker.auth_ok(request.headers, key):
            return None
        if request.url.path.startswith(f"{self.prefix}/tools/") and self.dialect == "moonshot":
            return Response(b"", status_code=401)  # the tools API: no body [official table]
        message = self.speaker.auth_message()
        return self.error(401, "invalid_authentication_error", message, own=True)

    async def prelude(self, request: Request, *, chat: bool = False) -> Response | None:
        """Authenticate, bound and record, rate-limit, delay and apply queued faults (module
        docstring)."""
        state = self.state
        refused = self._unauthorized(request)
        raw = None if refused is not None else await _capped_body(request)
        if refused is None and raw is None:
            refused = self._too_large(request)
        parsed: Any = None
        if raw and not request.headers.get("content-type", "").startswith("multipart/"):
            try:
                parsed = json.loads(raw)
            except (ValueError, RecursionError):
                parsed = None
        context: dict[str, Any] = request.scope[_KEY]
        context["json"] = parsed
        self._record(request, parsed, chat)
        if refused is not None:
            return refused
        if chat:
            admission = state.limiter.admit(_prompt_tokens(parsed) if state.limiter.tpm else 0)
            context["headers"].extend(
                (name.encode("latin-1"), value.encode("latin-1"))
                for name, value in self.speaker.rate_headers(
                    admission.headers, state.limiter
                ).items()
            )
            if admission.refused is not None:
                return self.error(429, "rate_limit_reached_error", admission.refused)
            context["admitted"] = True
        delay = state.pop_delay()
        if delay > 0:
            generation = state.generation
            await asyncio.sleep(delay)
            if state.generation != generation:
                # The client gave up long ago and the test that delayed it is over: answer
                # without consuming anything queued for the next test.
                return self.error(503, "server_unavailable", "the emulator was reset")
        spec = state.pop_override()
        if spec is not None:
            return self._override(spec, request.url.path)
        return None

    def _too_large(self, request: Request) -> Response:
        """Moonshot's 400 for a body over its 100 MB limit (the Files API's wording for an
        upload: docs/kimi-api/errors-and-limits.md)."""
        if request.url.path.endswith("/files"):
            message = (
                "File size is too large, max file size is 100MB, please confirm and re-upload "
                "the file"
            )
        else:
            message = "Invalid request: the request body is too large, max request size is 100MB"
        return self.error(400, "invalid_request_error", message)

    # --- chat -------------------------------------------------------------------------------

    async def chat(self, request: Request) -> Response:
        early = await self.prelude(request, chat=True)
        if early is not None:
            return early
        state = self.state
        try:
            turn = self.speaker.turn(request.scope[_KEY]["json"])
        except RequestError as exc:
            return self.request_error(exc)
        state.limiter.charge(turn.usage.completion_tokens)
        if not turn.chat.stream:
            timeout = state.pop_gateway_timeout()
            if timeout is not None:
                await asyncio.sleep(timeout)
                return Response(GATEWAY_TIMEOUT_PAGE, 504, media_type="text/html")
            return self.json_response(turn.body())
        plan = turn.plan()
        events = plan.events
        abort = False
        cut = state.pop_cut()
        if isinstance(cut, MidStreamSpec):
            sent = events[: max(0, min(cut.after, plan.finish_at))]
            events = sent + turn.mid_stream(cut.status, cut.message, cut.code)
        elif cut is not None:
            events = events[: max(0, min(cut.after_events, plan.finish_at))]
            abort = cut.abort
        return SSEResponse(events, state.chunk_delay, abort)

    # --- Moonshot's REST tools (:mod:`tools_api`) ------------------------------------------

    async def rest_tool(self, request: Request) -> Response:
        early = await self.prelude(request)
        if early is not None:
            return early
        handlers = {"search": search, "search_pro": search_pro, "fetch": fetch}
        handler = handlers.get(request.path_params["tool"])
        if handler is None:
            body = tool_error_body("not_found", f"Not found: POST {request.url.path}")
            return Response(dumps_any(body), 404, media_type="application/json")
        raw = await request.body()
        try:
            parsed = request.scope[_KEY]["json"]
            if parsed is None and raw:
                raise ToolError(400, "invalid_request", "invalid request body")
            result = handler(parsed)
        except ToolError as exc:
            error = tool_error_body(exc.type, exc.message)
            return Response(dumps_any(error), exc.status, media_type="application/json")
        return Response(dumps_any(result), media_type="application/json")

    # --- files ------------------------------------------------------------------------------

    def _file_error(self, exc: FileError) -> Response:
        return self.error(exc.status, exc.type, exc.message)

    def _no_file(self, file_id: str) -> Response:
        return self.error(404, "resource_not_found_error", f"Not found the file {file_id}")

    async def upload_file(self, request: Request) -> Response:
        early = await self.prelude(request)
        if early is not None:
            return early
        try:
            form = await request.form()
        except Exception:
            return self.error(
                400, "invalid_request_error", "Invalid request: expected multipart form"
            )
        upload = form.get("file")
        purpose = form.get("purpose")
        if not isinstance(upload, UploadFile):
            await form.close()
            return self.error(400, "invalid_request_error", "Invalid request: file is required")
        data = await upload.read()
        filename = upload.filename or "file"
        content_type = upload.content_type
        await form.close()
        add = functools.partial(
            self.state.files.add, filename, data, str(purpose or ""), content_type
        )
        try:
            # Big files are parsed off the event loop so other requests are not held up.
            record = await asyncio.to_thread(add) if len(data) > 256 * 1024 else add()
        except FileError as exc:
            return self._file_error(exc)
        return self.json_response(record.to_json())

    async def list_files(self, request: Request) -> Response:
        early = await self.prelude(request)
        if early is not None:
            return early
        query = request.query_params
        limit_raw = query.get("limit")
        limit = int(limit_raw) if limit_raw and limit_raw.isdigit() else None
        # One more than asked tells whether another page follows (``has_more``).
        more = None if limit is None else limit + 1
        records = self.state.files.list(query.get("purpose"), query.get("after"), more)
        has_more = limit is not None and len(records) > limit
        page = records[:limit] if limit is not None else records
        return self.json_response(
            {"object": "list", "data": [r.to_json() for r in page], "has_more": has_more}
        )

    async def retrieve_file(self, request: Request) -> Response:
        early = await self.prelude(request)
        if early is not None:
            return early
        file_id = request.path_params["file_id"]
        record = self.state.files.get(file_id)
        return self._no_file(file_id) if record is None else self.json_response(record.to_json())

    async def file_content(self, request: Request) -> Response:
        early = await self.prelude(request)
        if early is not None:
            return early
        file_id = request.path_params["file_id"]
        record = self.state.files.get(file_id)
        if record is None:
            return self._no_file(file_id)
        if record.data is not None:  # batch files: the bytes as uploaded or written
            return Response(record.data, media_type="application/octet-stream")
        return self.json_response(record.content_json())

    async def delete_file(self, request: Request) -> Response:
        early = await self.prelude(request)
        if early is not None:
            return early
        file_id = request.path_params["file_id"]
        if not self.state.files.delete(file_id):
            return self._no_file(file_id)
        return self.json_response({"id": file_id, "object": "file", "deleted": True})

    # --- formulas (the official tools, :mod:`formulas`) --------------------------------------

    async def formula_tools(self, request: Request) -> Response:
        early = await self.prelude(request)
        if early is not None:
            return early
        body = tools_body(request.path_params["uri"])
        if body is None:
            return self.error(404, "resource_not_found_error", NOT_FOUND)
        return self.json_response(body)

    async def fiber(self, request: Request) -> Response:
        early = await self.prelude(request)
        if early is not None:
            return early
        state = self.state
        uri = request.path_params["uri"]
        body = request.scope[_KEY]["json"]
        try:
            fiber = run_fiber(uri, body, state.formulas, state.pop_fiber_failure)
        except FiberRequestError as exc:
            return self.error(exc.status, exc.type, exc.message)
        return self.json_response(fiber)

    # --- batches ----------------------------------------------------------------------------

    def _no_batch(self, batch_id: str) -> Response:
        return self.error(404, "resource_not_found_error", f"Not found the batch {batch_id}")

    async def create_batch(self, request: Request) -> Response:
        early = await self.prelude(request)
        if early is not None:
            return early
        state = self.state
        body = request.scope[_KEY]["json"]
        create = functools.partial(state.batches.create, body, state.registry, state.pop_script)
        file_id = body.get("input_file_id") if isinstance(body, dict) else None
        record = state.files.get(file_id) if isinstance(file_id, str) else None
        try:
            # Every line is answered now: a big file off the event loop.
            big = record is not None and record.bytes > 256 * 1024
            batch = await asyncio.to_thread(create) if big else create()
        except FileError as exc:
            return self._file_error(exc)
        return self.json_response(batch)

    async def list_batches(self, request: Request) -> Response:
        early = await self.prelude(request)
        if early is not None:
            return early
        query = request.query_params
        try:
            limit = list_limit(query.get("limit"))
        except FileError as exc:
            return self._file_error(exc)
        data, has_more = self.state.batches.page(query.get("after"), limit)
        return self.json_response({"object": "list", "data": data, "has_more": has_more})

    async def retrieve_batch(self, request: Request) -> Response:
        early = await self.prelude(request)
        if early is not None:
            return early
        batch_id = request.path_params["batch_id"]
        batch = self.state.batches.get(batch_id)
        return self._no_batch(batch_id) if batch is None else self.json_response(batch)

    async def cancel_batch(self, request: Request) -> Response:
        early = await self.prelude(request)
        if early is not None:
            return early
        batch_id = request.path_params["batch_id"]
        try:
            batch = self.state.batches.cancel(batch_id)
        except FileError as exc:
            return self._file_error(exc)
        return self._no_batch(batch_id) if batch is None else self.json_response(batch)

    # --- other endpoints --------------------------------------------------------------------

    async def estimate_tokens(self, request: Request) -> Response:
        early = await self.prelude(request)
        if early is not None:
            return early
        body = request.scope[_KEY]["json"]
        if not isinstance(body, dict):
            return self.error(
                400,
                "invalid_request_error",
                "Invalid request: the request body must be a JSON object",
            )
        try:
            resolve_model(body, self.state.registry, self.state.fallback_model)
        except RequestError as exc:
            return self.error(exc.status, exc.type, exc.message)
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            return self.error(
                400, "invalid_request_error", "Invalid request: messages must be a non-empty list"
            )
        tools = body.get("tools") if isinstance(body.get("tools"), list) else None
        total = count_prompt(messages, tools)
        return self.json_response(
            {"code": 0, "data": {"total_tokens": total}, "scode": "0x0", "status": True}
        )

    async def list_models(self, request: Request) -> Response:
        early = await self.prelude(request)
        if early is not None:
            return early
        data = [_model_json(info) for info in self.state.registry.values()]
        return self.json_response({"object": "list", "data": data})

    async def retrieve_model(self, request: Request) -> Response:
        early = await self.prelude(request)
        if early is not None:
            return early
        model_id = request.path_params["model_id"]
        registry = self.state.registry
        info = registry.get(model_id)
        if info is None and self.dialect in HOST_DIALECTS:
            info = registry.get(model_family_id(model_id))
        if info is None:
            return self.error(
                404,
                "resource_not_found_error",
                f"Not found the model {model_id} or Permission denied",
            )
        return self.json_response(_model_json(info))

    async def balance(self, request: Request) -> Response:
        early = await self.prelude(request)
        if early is not None:
            return early
        with self.state.lock:
            data = dict(self.state.balance)
        return self.json_response({"code": 0, "data": data, "scode": "0x0", "status": True})

    async def not_found(self, request: Request) -> Response:
        early = await self.prelude(request)
        if early is not None:
            return early
        return self.error(
            404,
            "resource_not_found_error",
            f"Not found: {request.method} {request.url.path}",
            own=True,
        )


def _track_headers(scope: Scope) -> list[tuple[bytes, bytes]]:
    """The tools API's ``X-Msh-Track-Id`` (the request's, else a new one) and
    ``X-Msh-Chat-Id: toolgw-<track id>`` [official: on every answer, errors included]."""
    sent = dict(scope.get("headers") or []).get(b"x-msh-track-id")
    track = sent or uuid.uuid4().hex.encode("ascii")
    return [(b"x-msh-track-id", track), (b"x-msh-chat-id", b"toolgw-" + track)]


def _prompt_tokens(body: Any) -> int:
    """The prompt tokens a TPM limit counts at admission (0 for a body it cannot read)."""
    if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
        return 0
    tools = body.get("tools")
    try:
        return count_prompt(body["messages"], tools if isinstance(tools, list) else None)
    except (TypeError, ValueError, AttributeError):
        return 0
