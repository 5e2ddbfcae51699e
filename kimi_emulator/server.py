"""``KimiEmulator``: the loopback server (uvicorn on a background thread) and its controls."""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timezone
from types import TracebackType
from typing import Any

import uvicorn

from kimi_core.catalog.model_info import DEFAULT_MODEL, ModelInfo

from .app import EmulatorApp, base_path
from .batches import BatchTiming, LineFault
from .faults import CutSpec, FailSpec, MidStreamSpec, RawSpec, RawStreamSpec
from .files import MAX_BYTES
from .host_dialects import OPENROUTER_UPSTREAM, canonical_dialect
from .replies import ScriptedReply
from .state import REQUEST_LOG_SIZE, EmulatorState, RecordedRequest
from .wire import Dialect, default_error

__all__ = ["KimiEmulator"]

START_TIMEOUT = 10.0
STOP_TIMEOUT = 5.0


class _DropAbortNoise(logging.Filter):
    """Hide uvicorn's error line for streams cut on purpose (``cut_next_stream(abort=True)``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != "ASGI callable returned without completing response."


_FILTER_LOCK = threading.Lock()
_filter_installed = False


def _install_log_filter() -> None:
    global _filter_installed
    with _FILTER_LOCK:
        if not _filter_installed:
            logging.getLogger("uvicorn.error").addFilter(_DropAbortNoise())
            _filter_installed = True


class KimiEmulator:
    """A Kimi-compatible HTTP server on 127.0.0.1 for tests, notebooks and demos.

    >>> with KimiEmulator(dialect="moonshot") as emu:           # doctest: +SKIP
    ...     client = openai.OpenAI(api_key="sk-test", base_url=emu.base_url)

    The server runs uvicorn on its own thread and event loop; every control method is
    thread-safe. ``port=0`` picks a free port (known as soon as the object is built).
    ``host`` is the address to bind.

    ``dialect``: ``"moonshot"`` (also ``"moonshot-cn"`` / ``"moonshot-global"``),
    ``"acedata"``, ``"cloudsway"``, or the name of any host profile of
    ``kimi_core.catalog.hosts.HOSTS`` (``"openrouter"``, ``"together"``, ``"fireworks"``,
    ``"deepinfra"``, ``"siliconflow"``, ``"baseten"``, ``"nvidia"``, ``"cloudflare"``,
    ``"dashscope"``, ``"volcengine"``, ``"vertex"``, ``"azure"``, ``"bedrock"``, ``"vllm"``,
    ``"sglang"``, ``"ollama"``): the server then takes that host's base path, auth header,
    model ids, thinking fields, reasoning keys, stream usage, usage, errors and rate-limit
    headers (:mod:`kimi_emulator.host_dialects`), without Moonshot's platform rules.

    ``models``: ``None`` serves the current catalog (retired entries answer 404; a host
    serves every catalog family, by its own spelling of the id); a list
    serves exactly those ids (retired catalog ids as if current, unknown ids as permissive
    non-thinking models) or ``ModelInfo`` objects. ``endpoint_path`` (cloudsway, default
    ``kimi-k2.6``) also names the model served when the body's model is missing or not
    served. ``rpm_limit`` / ``concurrency_limit``: see :meth:`set_limits`. Batches (moonshot
    dialect) run on a clock set by :meth:`batch_timing` and moved by :meth:`advance_batches`
    (:mod:`kimi_emulator.batches`). ``request_log_size``: how many requests :attr:`requests`
    keeps (the last ones, 10,000 by default). A request without the ``api_key`` is refused
    before its body is read, and a body over 100 MB is refused (:mod:`kimi_emulator.app`).
    """

    def __init__(
        self,
        dialect: Dialect = "moonshot",
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        api_key: str | None = None,
        endpoint_path: str = DEFAULT_MODEL,
        rpm_limit: int | None = None,
        concurrency_limit: int | None = None,
        chunk_delay: float = 0.0,
        models: Iterable[str | ModelInfo] | None = None,
        max_file_bytes: int = MAX_BYTES,
        request_log_size: int = REQUEST_LOG_SIZE,
    ) -> None:
        dialect = canonical_dialect(dialect)
        self.dialect: Dialect = dialect
        self.host = host
        self._state = EmulatorState(
            dialect,
            api_key=api_key,
            endpoint_path=endpoint_path,
            rpm_limit=rpm_limit,
            concurrency_limit=concurrency_limit,
            chunk_delay=chunk_delay,
            models=models,
            max_file_bytes=max_file_bytes,
            request_log_size=request_log_size,
        )
        self._app = EmulatorApp(self._state)
        # proto=IPPROTO_TCP matters: asyncio only sets TCP_NODELAY on accepted sockets whose
        # proto is IPPROTO_TCP; with proto 0, Nagle + delayed ACK add ~40 ms to every answer
        # (uvicorn writes headers and body separately). Binding here makes the port known early.
        self._socket: socket.socket | None = socket.socket(
            socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP
        )
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self._socket.bind((host, port))
        except OSError:
            self._socket.close()
            raise
        self.port: int = self._socket.getsockname()[1]
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._lifecycle = threading.Lock()

    # --- lifecycle --------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT`` + ``/v1`` (moonshot), ``/kimi`` (acedata),
        ``/v1/ai/{endpoint_path}`` (cloudsway) or the host's base path (``/api/v1`` for
        OpenRouter, ``/inference/v1`` for Fireworks...: :mod:`kimi_emulator.host_dialects`)."""
        return f"http://{self.host}:{self.port}{base_path(self.dialect, self._state.endpoint_path)}"

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> KimiEmulator:
        """Start serving (idempotent); returns ``self`` once the port accepts connections."""
        with self._lifecycle:
            if self.running:
                return self
            if self._socket is None:
                raise RuntimeError("a stopped KimiEmulator cannot be restarted; create a new one")
            _install_log_filter()
            config = uvicorn.Config(
                self._app,
                log_level="warning",
                access_log=False,
                lifespan="off",
                http="h11",
                ws="none",
                loop="asyncio",
                timeout_graceful_shutdown=1,
            )
            server = uvicorn.Server(config)
            sock = self._socket
            thread = threading.Thread(
                target=server.run,
                kwargs={"sockets": [sock]},
                name=f"kimi-emulator-{self.port}",
                daemon=True,
            )
            self._server = server
            self._thread = thread
            thread.start()
            deadline = time.monotonic() + START_TIMEOUT
            while not server.started:
                if not thread.is_alive():
                    raise RuntimeError("the Kimi emulator failed to start (see the log)")
                if time.monotonic() > deadline:
                    server.should_exit = True
                    raise RuntimeError("the Kimi emulator did not start in time")
                time.sleep(0.002)
            return self

    def stop(self) -> None:
        """Stop serving and free the port; never hangs (in-flight streams are cut)."""
        with self._lifecycle:
            server, thread = self._server, self._thread
            if server is not None and thread is not None:
                server.should_exit = True
                server.force_exit = True
                thread.join(STOP_TIMEOUT)
            if self._socket is not None:
                self._socket.close()
                self._socket = None
            self._server = None
            self._thread = None

    def __enter__(self) -> KimiEmulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __del__(self) -> None:
        # An emulator built but never started still holds its bound socket: release it.
        sock = getattr(self, "_socket", None)
        if sock is not None and getattr(self, "_thread", None) is None:
            sock.close()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<KimiEmulator {self.dialect} {self.base_url} {state}>"

    # --- replies ----------------------------------------------------------------------------

    def script(
        self,
        reply: str | ScriptedReply | None = None,
        *,
        reasoning: str | None = None,
        tool_calls: Sequence[Mapping[str, Any]] | None = None,
        finish_reason: str | None = None,
        usage: Mapping[str, int] | None = None,
        times: int = 1,
    ) -> None:
        """Queue the answer of the next ``times`` chat completions (FIFO).

        ``tool_calls``: ``[{"name": ..., "arguments": dict | str, "id": optional}]``; ids
        default to ``"<name>:<index>"``. ``usage`` overrides any of ``prompt_tokens``,
        ``completion_tokens``, ``total_tokens`` and adds ``cached_tokens``. A script is used
        only by a request that passes validation and fault injection.
        """
        if isinstance(reply, ScriptedReply):
            if any(v is not None for v in (reasoning, tool_calls, finish_reason, usage)):
                raise TypeError("pass either a ScriptedReply or keyword fields, not both")
            scripted = reply
        else:
            scripted = ScriptedReply(
                content=reply,
                reasoning=reasoning,
                tool_calls=[dict(c) for c in tool_calls] if tool_calls is not None else None,
                finish_reason=finish_reason,
                usage=dict(usage) if usage is not None else None,
            )
        self._state.push_script(scripted, times)

    # --- faults -----------------------------------------------------------------------------

    def fail_next(
        self,
        status: int,
        body: dict[str, Any] | str | bytes | None = None,
        retry_after: int | str | None = None,
        times: int = 1,
        error_type: str | None = None,
        *,
        message: str | None = None,
        content_type: str | None = None,
    ) -> None:
        """Answer the next ``times`` requests (any path) with HTTP ``status``.

        ``body``: ``None`` → the dialect's error body (type from ``error_type`` or the status:
        429 ``rate_limit_reached_error``, 500 ``server_error``...); a dict → that JSON; a
        str/bytes → sent raw (``text/html`` when it starts with ``<``, e.g. a proxy page).
        ``retry_after`` (seconds, or an HTTP date string) goes in ``Retry-After``.
        """
        spec = FailSpec(status, body, retry_after, error_type, message, content_type)
        self._state.push_override(spec, times)

    def raw_next(
        self,
        body: bytes | str,
        status: int = 200,
        content_type: str = "application/json",
        *,
        times: int = 1,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """Answer the next request with exactly ``body`` (malformed JSON, empty body...)."""
        raw = body.encode("utf-8") if isinstance(body, str) else body
        self._state.push_override(RawSpec(raw, status, content_type, dict(headers or {})), times)

    def raw_stream_next(self, events: Sequence[bytes | str], *, times: int = 1) -> None:
        """Answer the next request with a 200 ``text/event-stream`` of exactly these chunks."""
        chunks = [e.encode("utf-8") if isinstance(e, str) else e for e in events]
        self._state.push_override(RawStreamSpec(chunks), times)

    def cut_next_stream(self, after_events: int, *, abort: bool = False, times: int = 1) -> None:
        """End the next streaming chat completion after ``after_events`` SSE events.

        No ``finish_reason`` and no ``[DONE]`` are sent. ``abort=True`` drops the TCP
        connection instead of ending the HTTP body cleanly.
        """
        self._state.push_cut(CutSpec(after_events, abort), times)

    def fail_mid_stream(
        self,
        message: str = "upstream connection lost",
        *,
        after: int = 2,
        status: int = 500,
        code: str | int | None = None,
        times: int = 1,
    ) -> None:
        """Break the next streaming chat completion after ``after`` SSE events (at most up
        to the finish) with the dialect's mid-stream error: HTTP 200 has been sent, the
        error comes as an event. OpenRouter: a chunk with ``error: {"code", "message"}``
        (``code`` default ``"server_error"``) and ``choices: [{"index": 0, "delta":
        {"content": ""}, "finish_reason": "error"}]``, then the stream ends; every other
        dialect: ``data: <its error body for status>`` (``code`` a string: Moonshot's error
        type), then ``data: [DONE]``. Shares the queue of :meth:`cut_next_stream`."""
        self._state.push_cut(MidStreamSpec(message, after, status, code), times)

    def gateway_timeout_next(self, delay: float = 0.05, *, times: int = 1) -> None:
        """The next ``times`` valid *non-streaming* chat completions wait ``delay`` seconds
        (the real gateway: 900), then answer 504 with an HTML page, as Moonshot's gateway
        does on a long non-streaming call ("use streaming output"). Streamed requests are
        not affected and leave it queued."""
        self._state.push_gateway_timeout(delay, times)

    def set_upstream(self, provider: str | None) -> None:
        """OpenRouter: the upstream named in answers' ``provider`` and in error
        ``metadata.provider_name`` (default ``"Moonshot AI"``, whose rule refuses a
        tool-call turn replayed without ``reasoning_content`` while thinking; any other
        name, e.g. ``"Chutes"``, takes ``reasoning_details`` alone). ``reset()`` goes back
        to the default."""
        with self._state.lock:
            self._state.upstream = provider or OPENROUTER_UPSTREAM

    def delay_next(self, seconds: float, *, times: int = 1) -> None:
        """Wait ``seconds`` before answering the next request (time to first byte)."""
        self._state.push_delay(seconds, times)

    def set_limits(
        self,
        rpm: int | None = None,
        concurrency: int | None = None,
        *,
        tpm: int | None = None,
        window: float = 60.0,
    ) -> None:
        """Simulate account limits on chat completions (429 ``rate_limit_reached_error``).

        ``window`` is the RPM / TPM window in seconds (60 like the API; smaller to test
        quickly). ``tpm`` counts a request's prompt tokens when it is admitted and its
        answer's tokens once built.
        The 429s carry ``Retry-After``; with ``rpm`` set every chat answer carries
        ``X-RateLimit-Limit`` / ``-Remaining`` / ``-Reset`` (see ``kimi_emulator.faults``).
        """
        self._state.set_limits(rpm, concurrency, window, tpm)

    def fail_next_fiber(self, error: str = "the formula failed", *, times: int = 1) -> None:
        """The next ``times`` fibers run and fail: HTTP 200 with ``status: "failed"`` and
        ``error`` in ``context.error`` (``kimi_emulator.formulas``)."""
        self._state.push_fiber_failure(error, times)

    def set_clock(self, when: datetime | float | None) -> None:
        """Freeze the emulator's clock (what the ``date`` formula and ``created`` fields
        read) at ``when`` (a datetime, naive meaning UTC, or seconds since the epoch);
        ``None`` goes back to real time. ``reset()`` also does."""
        if isinstance(when, datetime):
            aware = when if when.tzinfo is not None else when.replace(tzinfo=timezone.utc)
            self._state.clock = aware.timestamp()
        else:
            self._state.clock = None if when is None else float(when)

    # --- batches ----------------------------------------------------------------------------

    def batch_timing(
        self,
        *,
        validating: float = 0.0,
        in_progress: float = 0.0,
        finalizing: float = 0.0,
        cancelling: float = 0.0,
        realtime: bool = True,
    ) -> None:
        """How long (in batch-clock seconds) each phase of the batches created from now on
        lasts (all 0 by default: a batch has ended by the first poll). ``realtime=False``
        stops the clock: it then moves only with :meth:`advance_batches`."""
        timing = BatchTiming(validating, in_progress, finalizing, cancelling)
        self._state.batches.set_timing(timing, realtime)

    def advance_batches(self, seconds: float) -> None:
        """Move the batch clock forward (a batch's phases, its lines and its expiry follow)."""
        self._state.batches.clock.advance(seconds)

    def fail_batch_lines(
        self,
        *custom_ids: str,
        status: int = 500,
        error_type: str | None = None,
        message: str | None = None,
    ) -> None:
        """Batch lines with these custom ids fail with HTTP ``status`` (the dialect's error
        body; type and message default as in :meth:`fail_next`) in batches created from now
        on, until :meth:`reset`."""
        default_type, default_message = default_error(status)
        fault = LineFault(status, error_type or default_type, message or default_message)
        self._state.batches.fail_lines(custom_ids, fault)

    @property
    def batches(self) -> list[dict[str, Any]]:
        """Every batch object as ``GET /batches/{id}`` answers it now, oldest first."""
        return self._state.batches.all()

    def file_bytes(self, file_id: str) -> bytes:
        """The bytes of an uploaded or emulator-written batch file (``KeyError`` if none)."""
        record = self._state.files.get(file_id)
        if record is None or record.data is None:
            raise KeyError(file_id)
        return record.data

    def set_balance(self, **values: float) -> None:
        """Change ``available_balance`` / ``voucher_balance`` / ``cash_balance``."""
        self._state.set_balance(values)

    def reset(self) -> None:
        """Clear scripts, faults, recorded requests, files, batches (batch timing and clock
        back to the defaults) and the memory formula's store; the emulator's clock back to real
        time, limits back to the constructor's."""
        self._state.reset()

    # --- inspection -------------------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        """The requests received so far, the last ``request_log_size`` of them (a snapshot),
        credentials redacted."""
        return self._state.requests

    @property
    def files(self) -> list[dict[str, Any]]:
        """The uploaded files' objects, in upload order."""
        return [r.to_json() for r in self._state.files.list()]

    @property
    def memory(self) -> dict[str, Any]:
        """What the ``memory`` formula stores (key -> data), a snapshot."""
        return dict(self._state.formulas.memory)

    @property
    def models(self) -> list[str]:
        return list(self._state.registry)
