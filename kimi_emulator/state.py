"""The emulator's mutable state, shared by the test thread and the server's event loop.

Every queue and list is guarded by one lock; each critical section is a few dict/deque
operations, so the server never waits long on a test thread (or the other way round).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from kimi_core.catalog.model_info import CATALOG, DEFAULT_MODEL, ModelInfo

from .batches import BatchStore
from .faults import CutSpec, FailSpec, Limiter, MidStreamSpec, RawSpec, RawStreamSpec
from .files import MAX_BYTES, FileStore
from .formula_runs import FormulaEnv
from .host_dialects import HOST_DIALECTS, OPENROUTER_UPSTREAM
from .host_requests import host_registry
from .prompt_cache import PromptCache
from .replies import ScriptedReply
from .validation import build_registry
from .wire import Dialect

__all__ = ["REQUEST_LOG_SIZE", "EmulatorState", "RecordedRequest", "redact_headers"]

REQUEST_LOG_SIZE = 10_000
"""How many requests ``emu.requests`` keeps by default (the oldest go first)."""

REDACTED_HEADERS = frozenset({"authorization", "x-api-key", "api-key", "proxy-authorization"})
DEFAULT_BALANCE = {
    "available_balance": 49.58894,
    "voucher_balance": 46.58893,
    "cash_balance": 3.00001,
}

Override = FailSpec | RawSpec | RawStreamSpec


def redact_headers(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Headers with credentials replaced (``Authorization: Bearer ***``)."""
    result: dict[str, str] = {}
    for name, value in headers:
        key = name.lower()
        if key in REDACTED_HEADERS:
            scheme = value.split(" ", 1)[0] if " " in value else ""
            value = f"{scheme} ***" if scheme else "***"
        result[key] = value
    return result


@dataclass(frozen=True)
class RecordedRequest:
    """One request the emulator received. ``headers`` keys are lower-case, credentials
    redacted; ``json`` is the parsed body (``None`` for multipart or an empty/invalid body)."""

    method: str
    path: str
    headers: dict[str, str]
    json: Any
    query: dict[str, str] = field(default_factory=dict)
    client: tuple[str, int] | None = None
    """The peer's address: one per connection (keep-alive reuse shows as the same one)."""
    seen_reasoning: list[str | None] | None = None
    """Chat completions: the reasoning the server read on each assistant message, in order
    (``None`` for a message it read none on), under the keys its dialect reads back
    (``reasoning_content`` on Moonshot; only ``reasoning`` on vLLM:
    :mod:`host_dialects`). ``None`` for other requests."""
    seen_thinking: bool | None = None
    """Chat completions: thinking on/off as the server read it from its own fields (``None``:
    they said nothing, the model's and the host's defaults apply)."""
    seen_effort: Any = None
    """Chat completions: the reasoning effort the server read from its own fields."""


class _Queue:
    """A FIFO of ``[item, times_left]`` entries."""

    def __init__(self) -> None:
        self._items: deque[list[Any]] = deque()

    def push(self, item: Any, times: int) -> None:
        if times < 1:
            raise ValueError("times must be at least 1")
        self._items.append([item, times])

    def pop(self) -> Any:
        if not self._items:
            return None
        entry = self._items[0]
        entry[1] -= 1
        if entry[1] <= 0:
            self._items.popleft()
        return entry[0]

    def clear(self) -> None:
        self._items.clear()

    def __len__(self) -> int:
        return len(self._items)


class EmulatorState:
    def __init__(
        self,
        dialect: Dialect,
        *,
        api_key: str | None,
        endpoint_path: str,
        rpm_limit: int | None,
        concurrency_limit: int | None,
        chunk_delay: float,
        models: Iterable[str | ModelInfo] | None,
        max_file_bytes: int = MAX_BYTES,
        request_log_size: int = REQUEST_LOG_SIZE,
    ) -> None:
        if request_log_size < 1:
            raise ValueError(f"request_log_size must be at least 1, got {request_log_size}")
        self.lock = threading.Lock()
        # Bumped by reset(): a request delayed across a reset must not touch the new queues.
        self.generation = 0
        self.dialect: Dialect = dialect
        self.api_key = api_key
        self.endpoint_path = endpoint_path.strip("/")
        self.chunk_delay = chunk_delay
        self.registry: dict[str, ModelInfo] = (
            host_registry(models) if dialect in HOST_DIALECTS else build_registry(models)
        )
        self.prompt_cache = PromptCache()
        self.upstream = OPENROUTER_UPSTREAM
        self._limits = (rpm_limit, concurrency_limit)
        self.limiter = Limiter(rpm_limit, concurrency_limit)
        self.files = FileStore(max_file_bytes)
        self.batches = BatchStore(self.files)
        self._scripts = _Queue()
        self._overrides = _Queue()
        self._delays = _Queue()
        self._cuts = _Queue()
        self._timeouts = _Queue()
        self._fiber_failures = _Queue()
        # A ring buffer: the last ``request_log_size`` requests (memory stays bounded).
        self._requests: deque[RecordedRequest] = deque(maxlen=request_log_size)
        self.balance: dict[str, float] = dict(DEFAULT_BALANCE)
        self.clock: float | None = None  # a frozen emulator time (set_clock), else real time
        # The memory formula's store: one per emulator, emptied by reset().
        self.formulas = FormulaEnv(now=self.now, memory={}, files=self.files)

    def now(self) -> float:
        """The emulator's clock (seconds since the epoch): frozen by ``set_clock``."""
        clock = self.clock
        return time.time() if clock is None else clock

    @property
    def fallback_model(self) -> str | None:
        """Cloudsway: the model a request without a served model uses: the endpoint path when
        it names a served or catalog model (retired ones too: the gateway's deployment),
        else the default model."""
        if self.dialect != "cloudsway":
            return None
        path = self.endpoint_path
        return path if path in self.registry or path in CATALOG else DEFAULT_MODEL

    # --- queues -----------------------------------------------------------------------------

    def push_script(self, script: ScriptedReply, times: int) -> None:
        with self.lock:
            self._scripts.push(script, times)

    def pop_script(self) -> ScriptedReply | None:
        with self.lock:
            result: ScriptedReply | None = self._scripts.pop()
            return result

    def push_override(self, spec: Override, times: int) -> None:
        with self.lock:
            self._overrides.push(spec, times)

    def pop_override(self) -> Override | None:
        with self.lock:
            result: Override | None = self._overrides.pop()
            return result

    def push_delay(self, seconds: float, times: int) -> None:
        with self.lock:
            self._delays.push(seconds, times)

    def pop_delay(self) -> float:
        with self.lock:
            value = self._delays.pop()
            return float(value) if value is not None else 0.0

    def push_fiber_failure(self, message: str, times: int) -> None:
        with self.lock:
            self._fiber_failures.push(message, times)

    def pop_fiber_failure(self) -> str | None:
        with self.lock:
            result: str | None = self._fiber_failures.pop()
            return result

    def push_cut(self, spec: CutSpec | MidStreamSpec, times: int) -> None:
        with self.lock:
            self._cuts.push(spec, times)

    def pop_cut(self) -> CutSpec | MidStreamSpec | None:
        with self.lock:
            result: CutSpec | MidStreamSpec | None = self._cuts.pop()
            return result

    def push_gateway_timeout(self, delay: float, times: int) -> None:
        with self.lock:
            self._timeouts.push(delay, times)

    def pop_gateway_timeout(self) -> float | None:
        """The delay of a queued gateway timeout (the next non-streaming chat), or None."""
        with self.lock:
            value = self._timeouts.pop()
            return None if value is None else float(value)

    # --- requests ---------------------------------------------------------------------------

    def record(self, request: RecordedRequest) -> None:
        with self.lock:
            self._requests.append(request)

    @property
    def requests(self) -> list[RecordedRequest]:
        with self.lock:
            return list(self._requests)

    def set_limits(
        self,
        rpm: int | None,
        concurrency: int | None,
        window: float = 60.0,
        tpm: int | None = None,
    ) -> None:
        self.limiter.configure(rpm, concurrency, window, tpm)

    def set_balance(self, values: Mapping[str, float]) -> None:
        with self.lock:
            self.balance.update(values)

    def reset(self) -> None:
        with self.lock:
            self.generation += 1
            self._scripts.clear()
            self._overrides.clear()
            self._delays.clear()
            self._cuts.clear()
            self._timeouts.clear()
            self._fiber_failures.clear()
            self._requests.clear()
            self.balance = dict(DEFAULT_BALANCE)
            self.clock = None
            self.formulas.memory.clear()
            self.upstream = OPENROUTER_UPSTREAM
        self.prompt_cache.clear()
        self.files.clear()
        self.batches.clear()
        self.limiter.configure(*self._limits)
