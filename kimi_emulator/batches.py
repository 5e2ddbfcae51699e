"""The Batch API on a controllable clock, so tests see a whole lifecycle without waiting.

Shapes and rules, with their sources (``docs/kimi-api/batch.md``; "assumed" where Moonshot
documents nothing):

- ``POST /batches`` ``{input_file_id, endpoint?, completion_window, metadata?}`` answers 200
  with the batch object in status ``validating`` (§3). 400 ``invalid_request_error`` for a
  body that is not an object, no ``input_file_id``, a file that does not exist or is not a
  ``batch`` file, an ``endpoint`` other than ``/v1/chat/completions`` (a missing one is
  accepted: one of Moonshot's samples omits it), a ``completion_window`` that is not ``<n>h``
  / ``<n>d`` from 12h to 7d, metadata over 16 pairs / 64-character keys / 512-character
  string values (the wording is assumed).
- The object (§4) has Moonshot's fields only (no ``expired_at``), plus OpenAI's ``errors``
  ``{"object": "list", "data": [{code, message, param, line}]}`` on a failed batch (assumed).
  Ids are ``batch_`` and 20 characters like the file ids (assumed). ``request_counts`` stays
  0/0/0 while validating (OpenAI's behaviour, assumed).
- Lifecycle (§5), on the clock (``BatchClock``: real time plus ``advance``, or only
  ``advance`` when not ``realtime``) and the ``BatchTiming`` the batch was created with:
  ``validating`` for ``validating`` seconds; then ``failed`` if the file is invalid (every
  line must be a JSON object with a string ``custom_id``, ``method`` ``POST``, ``url``
  ``/v1/chat/completions`` and an object ``body``; custom ids unique; one model, served and
  taking batches (catalog ``batch`` True; emulator-only models do); codes assumed:
  ``invalid_json_line``, ``missing_required_parameter``, ``invalid_method``, ``invalid_url``,
  ``duplicate_custom_id``, ``mixed_models``, ``model_not_found``, ``model_not_supported``,
  ``empty_file``); else ``in_progress`` for ``in_progress`` seconds, the lines finishing one
  after another at even intervals; then ``finalizing`` for ``finalizing`` seconds; then
  ``completed``. Past ``expires_at`` (created + window) while lines still run: ``expired``.
  ``POST /batches/{id}/cancel`` while validating / in progress / finalizing: ``cancelling``
  for ``cancelling`` seconds, then ``cancelled``; otherwise 400 (§6).
- Each line is answered when the batch is created, like a chat completion: checked by
  :mod:`validation` (a failing line gets its 4xx), answered from a queued script (FIFO, in
  file order) or the default reply (:mod:`replies`), or failed on purpose
  (``KimiEmulator.fail_batch_lines``); ``stream: true`` in a line is a 400 (assumed).
- Files (§7), written once the batch has ended: the output file holds the lines answered
  before the end, each ``{"id": <custom_id>, "custom_id", "response": {"status_code": 200,
  "request_id": "", "body": <chat.completion>}, "error": null}`` as in Moonshot's example;
  the error file the failed lines ``{"id": "batch_req_…", "custom_id", "response":
  {"status_code", "request_id", "body": <error body>}, "error": null}`` and the lines that
  never ran ``{…, "response": null, "error": {"code": "batch_expired" | "batch_cancelled",
  "message"}}`` (OpenAI's shape, assumed). A file only when it has lines; lines shuffled
  (deterministically per batch), as the order is not guaranteed. Purpose ``batch_output``
  (OpenAI's, assumed); the content route serves them raw.
- ``GET /batches?after=&limit=`` newest first, ``{"object": "list", "data", "has_more"}``
  (§6; no ``first_id`` / ``last_id``); ``limit`` 1-100, default 20.
"""

from __future__ import annotations

import json
import random
import re
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from kimi_core.catalog.model_info import ModelInfo

from .files import FileError, FileStore, new_file_id
from .replies import ScriptedReply, build_reply
from .validation import RequestError, resolve_model, validate_chat
from .wire import completion_body, compute_usage, error_body, new_completion_id

__all__ = ["BatchClock", "BatchStore", "BatchTiming", "LineFault"]

BATCH_URL = "/v1/chat/completions"
RUNNING = ("validating", "in_progress", "finalizing")
_WINDOW = re.compile(r"(\d+)([hd])\Z")
_MIN_WINDOW, _MAX_WINDOW = 12 * 3600, 7 * 86400
_MAX_LIST = 100


def _bad(message: str) -> FileError:
    return FileError(400, "invalid_request_error", message)


@dataclass(frozen=True)
class BatchTiming:
    """Seconds (on the batch clock) each phase lasts for batches created from now on."""

    validating: float = 0.0
    in_progress: float = 0.0
    finalizing: float = 0.0
    cancelling: float = 0.0


@dataclass(frozen=True)
class LineFault:
    """The error a line with this custom id gets instead of its answer."""

    status: int
    error_type: str
    message: str


class BatchClock:
    """Unix seconds for batches: real time plus what ``advance`` added (``realtime=False``:
    only what ``advance`` added, from the moment it was switched)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._base = time.time()
        self._started = time.monotonic()
        self._offset = 0.0
        self._realtime = True

    def now(self) -> float:
        with self._lock:
            return self._now()

    def _now(self) -> float:
        elapsed = time.monotonic() - self._started if self._realtime else 0.0
        return self._base + elapsed + self._offset

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("the batch clock only moves forward")
        with self._lock:
            self._offset += seconds

    def set_realtime(self, realtime: bool) -> None:
        with self._lock:
            now = self._now()
            self._realtime = realtime
            self._base, self._started, self._offset = now, time.monotonic(), 0.0


@dataclass
class _Line:
    custom_id: str
    ok: bool
    line: bytes


@dataclass
class _Record:
    id: str
    input_file_id: str
    completion_window: str
    metadata: dict[str, str] | None
    created_at: float
    expires_at: float
    timing: BatchTiming
    lines: list[_Line]
    errors: list[dict[str, Any]]
    cancel_at: float | None = None
    output_file_id: str | None = None
    error_file_id: str | None = None
    written: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def running_ends(self) -> float:
        return self.created_at + self.timing.validating + self.timing.in_progress


def window_seconds(value: Any) -> int | None:
    match = _WINDOW.match(value) if isinstance(value, str) else None
    if match is None:
        return None
    seconds = int(match.group(1)) * (3600 if match.group(2) == "h" else 86400)
    return seconds if _MIN_WINDOW <= seconds <= _MAX_WINDOW else None


def _check_metadata(metadata: Any) -> dict[str, str] | None:
    if metadata is None:
        return None
    if not isinstance(metadata, dict) or len(metadata) > 16:
        raise _bad("Invalid request: metadata must be an object of at most 16 pairs")
    for key, value in metadata.items():
        if len(key) > 64 or not isinstance(value, str) or len(value) > 512:
            raise _bad(
                "Invalid request: metadata keys are at most 64 characters and values strings "
                "of at most 512"
            )
    return dict(metadata)


class BatchStore:
    """Batches, their clock, their timing and their line faults (thread-safe)."""

    def __init__(self, files: FileStore) -> None:
        self._lock = threading.Lock()
        self._writing = threading.Lock()
        self._files = files
        self.clock = BatchClock()
        self.timing = BatchTiming()
        self._records: dict[str, _Record] = {}
        self._faults: dict[str, LineFault] = {}

    # --- controls ---------------------------------------------------------------------------

    def set_timing(self, timing: BatchTiming, realtime: bool) -> None:
        with self._lock:
            self.timing = timing
        self.clock.set_realtime(realtime)

    def fail_lines(self, custom_ids: Iterable[str], fault: LineFault) -> None:
        with self._lock:
            for custom_id in custom_ids:
                self._faults[custom_id] = fault

    def clear(self) -> None:
        with self._lock:
            self._records.clear()
            self._faults.clear()
            self.timing = BatchTiming()
        self.clock = BatchClock()

    # --- the API ----------------------------------------------------------------------------

    def create(
        self,
        body: Any,
        registry: Mapping[str, ModelInfo],
        scripts: Callable[[], ScriptedReply | None],
    ) -> dict[str, Any]:
        """A new batch from a ``POST /batches`` body (``scripts``: pops a queued reply)."""
        if not isinstance(body, dict):
            raise _bad("Invalid request: the request body must be a JSON object")
        file_id = body.get("input_file_id")
        if not isinstance(file_id, str) or not file_id:
            raise _bad("Invalid request: input_file_id is required")
        endpoint = body.get("endpoint", BATCH_URL)
        if endpoint != BATCH_URL:
            raise _bad(f"Invalid request: endpoint must be {BATCH_URL}, got {endpoint!r}")
        window = body.get("completion_window")
        seconds = window_seconds(window)
        if seconds is None:
            raise _bad(
                f"Invalid request: completion_window must be between 12h and 7d, got {window!r}"
            )
        metadata = _check_metadata(body.get("metadata"))
        record = self._files.get(file_id)
        if record is None or record.purpose != "batch" or record.data is None:
            raise _bad(f"Invalid request: input file {file_id} is not an uploaded batch file")
        with self._lock:
            faults = dict(self._faults)
            timing = self.timing
        batch_id = "batch_" + new_file_id()
        lines, errors = _run_file(record.data, registry, scripts, faults)
        now = self.clock.now()
        entry = _Record(
            id=batch_id,
            input_file_id=file_id,
            completion_window=str(window),
            metadata=metadata,
            created_at=now,
            expires_at=now + seconds,
            timing=timing,
            lines=lines,
            errors=errors,
        )
        with self._lock:
            self._records[batch_id] = entry
        return self._view(entry, now, fresh=True)

    def get(self, batch_id: str) -> dict[str, Any] | None:
        with self._lock:
            entry = self._records.get(batch_id)
        return None if entry is None else self._view(entry, self.clock.now())

    def cancel(self, batch_id: str) -> dict[str, Any] | None:
        """The batch after a cancel request; ``FileError`` 400 once it has ended."""
        with self._lock:
            entry = self._records.get(batch_id)
        if entry is None:
            return None
        now = self.clock.now()
        status = self._status(entry, now)
        if status not in RUNNING:
            raise _bad(f"Invalid request: batch {batch_id} cannot be cancelled: it is {status}")
        entry.cancel_at = now
        return self._view(entry, now)

    def page(self, after: str | None, limit: int) -> tuple[list[dict[str, Any]], bool]:
        with self._lock:
            entries = list(reversed(self._records.values()))
        if after is not None:
            ids = [e.id for e in entries]
            entries = entries[ids.index(after) + 1 :] if after in ids else []
        now = self.clock.now()
        return [self._view(e, now) for e in entries[:limit]], len(entries) > limit

    def all(self) -> list[dict[str, Any]]:
        with self._lock:
            entries = list(self._records.values())
        now = self.clock.now()
        return [self._view(e, now) for e in entries]

    # --- the lifecycle ----------------------------------------------------------------------

    def _status(self, entry: _Record, now: float) -> str:
        timing = entry.timing
        validated = entry.created_at + timing.validating
        if entry.cancel_at is not None:
            return "cancelled" if now >= entry.cancel_at + timing.cancelling else "cancelling"
        if now < validated:
            return "validating"
        if entry.errors:
            return "failed"
        if entry.expires_at < entry.running_ends and now >= entry.expires_at:
            return "expired"
        if now < entry.running_ends:
            return "in_progress"
        if now < entry.running_ends + timing.finalizing:
            return "finalizing"
        return "completed"

    def _ran(self, entry: _Record, until: float) -> int:
        """How many lines had been answered by ``until``."""
        start = entry.created_at + entry.timing.validating
        if entry.errors or until < start:
            return 0
        total = len(entry.lines)
        span = entry.timing.in_progress
        if span <= 0 or until >= start + span:
            return total
        return min(total, int((until - start) / span * total))

    def _end(self, entry: _Record, status: str) -> float:
        """When the lines stopped running, for an ended (or cancelling) batch."""
        if status in ("cancelled", "cancelling"):
            assert entry.cancel_at is not None
            return entry.cancel_at
        if status == "expired":
            return entry.expires_at
        return entry.running_ends

    def _view(self, entry: _Record, now: float, fresh: bool = False) -> dict[str, Any]:
        status = "validating" if fresh else self._status(entry, now)
        cut = now if status in ("validating", "in_progress") else self._end(entry, status)
        ran = entry.lines[: self._ran(entry, min(now, cut))] if not fresh else []
        completed = sum(1 for line in ran if line.ok)
        stamps = {} if fresh else _stamps(entry, status, now)
        if status in ("completed", "expired", "cancelled"):
            self._write(entry, status)
        body: dict[str, Any] = {
            "id": entry.id,
            "object": "batch",
            "endpoint": BATCH_URL,
            "input_file_id": entry.input_file_id,
            "completion_window": entry.completion_window,
            "status": status,
            "output_file_id": entry.output_file_id,
            "error_file_id": entry.error_file_id,
            "created_at": int(entry.created_at),
            "in_progress_at": None,
            "expires_at": int(entry.expires_at),
            "finalizing_at": None,
            "completed_at": None,
            "failed_at": None,
            "cancelling_at": None,
            "cancelled_at": None,
            "request_counts": {
                "total": 0 if status == "validating" or entry.errors else len(entry.lines),
                "completed": completed,
                "failed": len(ran) - completed,
            },
            "metadata": entry.metadata,
        }
        body.update({name: int(value) for name, value in stamps.items()})
        if status == "failed":
            body["errors"] = {"object": "list", "data": entry.errors}
        return body

    def _write(self, entry: _Record, status: str) -> None:
        """The output and error files of an ended batch, once (a view that comes while they
        are written waits for them)."""
        with self._writing:
            if not entry.written:
                self._write_files(entry, status)
                entry.written = True

    def _write_files(self, entry: _Record, status: str) -> None:
        ran = self._ran(entry, self._end(entry, status))
        outputs = [line.line for line in entry.lines[:ran] if line.ok]
        errors = [line.line for line in entry.lines[:ran] if not line.ok]
        code = "batch_cancelled" if status == "cancelled" else "batch_expired"
        what = "was cancelled" if status == "cancelled" else "expired"
        for line in entry.lines[ran:]:
            errors.append(
                _dumps(
                    {
                        "id": _line_id(),
                        "custom_id": line.custom_id,
                        "response": None,
                        "error": {"code": code, "message": f"The batch {what} before this ran."},
                    }
                )
            )
        shuffle = random.Random(entry.id).shuffle
        for lines, kind in ((outputs, "output"), (errors, "error")):
            if not lines:
                continue
            shuffle(lines)
            record = self._files.add_raw(
                f"batch_{entry.id}_{kind}.jsonl", b"".join(lines), "batch_output"
            )
            if kind == "output":
                entry.output_file_id = record.id
            else:
                entry.error_file_id = record.id


def _stamps(entry: _Record, status: str, now: float) -> dict[str, float]:
    """The phase timestamps (``in_progress_at``, ``failed_at``, ...) a batch in ``status``
    shows at ``now``; the phases it has not reached are left out."""
    timing = entry.timing
    validated = entry.created_at + timing.validating
    stamps: dict[str, float] = {}
    started = (entry.cancel_at is None or entry.cancel_at >= validated) and now >= validated
    if entry.errors and started:
        stamps["failed_at"] = validated
    elif started:
        stamps["in_progress_at"] = validated
    if status in ("finalizing", "completed") or (
        status in ("cancelling", "cancelled")
        and entry.cancel_at is not None
        and entry.cancel_at >= entry.running_ends
    ):
        stamps["finalizing_at"] = entry.running_ends
    if status == "completed":
        stamps["completed_at"] = entry.running_ends + timing.finalizing
    if entry.cancel_at is not None:
        stamps["cancelling_at"] = entry.cancel_at
        if status == "cancelled":
            stamps["cancelled_at"] = entry.cancel_at + timing.cancelling
    return stamps


def _dumps(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"


def _line_id() -> str:
    return "batch_req_" + secrets.token_hex(12)


def _error_line(custom_id: str, status: int, type_: str, message: str) -> _Line:
    response = {
        "status_code": status,
        "request_id": uuid.uuid4().hex,
        "body": error_body("moonshot", type_, message),
    }
    body = {"id": _line_id(), "custom_id": custom_id, "response": response, "error": None}
    return _Line(custom_id, False, _dumps(body))


def _answer_line(
    custom_id: str,
    body: Any,
    registry: Mapping[str, ModelInfo],
    pop_script: Callable[[], ScriptedReply | None],
) -> _Line:
    if isinstance(body, dict) and (body.get("stream") is True):
        return _error_line(
            custom_id, 400, "invalid_request_error", "Invalid request: a batch line cannot stream"
        )
    try:
        chat = validate_chat(body, registry)
    except RequestError as exc:
        return _error_line(custom_id, exc.status, exc.type, exc.message)
    reply = build_reply(chat, pop_script())
    usage = compute_usage(chat.prompt_tokens, reply, chat.n)
    completion_id = new_completion_id("moonshot")
    created = int(time.time())
    answer = completion_body("moonshot", completion_id, created, chat.model, reply, usage, chat.n)
    response = {"status_code": 200, "request_id": "", "body": answer}
    line = {"id": custom_id, "custom_id": custom_id, "response": response, "error": None}
    return _Line(custom_id, True, _dumps(line))


def _validation_error(code: str, message: str, line: int | None = None) -> dict[str, Any]:
    return {"code": code, "message": message, "param": None, "line": line}


_LINE_FIELDS = ("custom_id", "method", "url", "body")


def _line_item(raw: bytes, number: int, errors: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Line ``number`` as an object with a string ``custom_id`` and an object ``body``; else
    None, its error added to ``errors``."""
    try:
        item = json.loads(raw)
    except ValueError:
        item = None
    if not isinstance(item, dict):
        errors.append(_validation_error("invalid_json_line", "not a JSON object", number))
        return None
    missing = [name for name in _LINE_FIELDS if item.get(name) is None]
    if missing or not isinstance(item["custom_id"], str) or not isinstance(item["body"], dict):
        errors.append(
            _validation_error(
                "missing_required_parameter",
                f"custom_id (string), method, url and body (object) are required; "
                f"missing: {', '.join(missing) or 'a valid custom_id or body'}",
                number,
            )
        )
        return None
    return item


def _line_rule_errors(
    item: dict[str, Any], number: int, seen: set[str], model: str | None
) -> list[dict[str, Any]]:
    """A well-formed line's faults: method, url, a repeated custom id, another model than
    ``model`` (the first line's)."""
    errors = []
    if item.get("method") != "POST":
        errors.append(_validation_error("invalid_method", "method must be POST", number))
    if item.get("url") != BATCH_URL:
        errors.append(_validation_error("invalid_url", f"url must be {BATCH_URL}", number))
    custom_id = item["custom_id"]
    if custom_id in seen:
        errors.append(
            _validation_error(
                "duplicate_custom_id", f"custom_id {custom_id!r} is not unique", number
            )
        )
    line_model = item["body"].get("model")
    if model is not None and line_model != model:
        errors.append(
            _validation_error(
                "mixed_models", f"all lines must use {model}, got {line_model!r}", number
            )
        )
    return errors


def _read_file(data: bytes) -> tuple[list[tuple[str, Any]], list[dict[str, Any]], str | None]:
    """(custom id and body of each line, the file's validation errors, the model)."""
    parsed: list[tuple[str, Any]] = []
    errors: list[dict[str, Any]] = []
    seen: set[str] = set()
    model: str | None = None
    for number, raw in enumerate(data.splitlines(), start=1):
        if not raw.strip():
            continue
        item = _line_item(raw, number, errors)
        if item is None:
            continue
        custom_id, body = item["custom_id"], item["body"]
        errors.extend(_line_rule_errors(item, number, seen, model))
        seen.add(custom_id)
        if model is None:
            line_model = body.get("model")
            model = line_model if isinstance(line_model, str) else None
        parsed.append((custom_id, body))
    if not parsed and not errors:
        errors.append(_validation_error("empty_file", "the input file has no lines"))
    return parsed, errors, model


def _model_errors(model: str, registry: Mapping[str, ModelInfo]) -> list[dict[str, Any]]:
    """The batch's model must be served and take batches."""
    try:
        _, info = resolve_model({"model": model}, registry, None)
    except RequestError as exc:
        return [_validation_error("model_not_found", exc.message)]
    if info.batch is not True:
        return [_validation_error("model_not_supported", f"the batch API does not support {model}")]
    return []


def _run_file(
    data: bytes,
    registry: Mapping[str, ModelInfo],
    scripts: Callable[[], ScriptedReply | None],
    faults: Mapping[str, LineFault],
) -> tuple[list[_Line], list[dict[str, Any]]]:
    """Every line answered, or the validation errors of the file (module docstring)."""
    parsed, errors, model = _read_file(data)
    if model is not None and not errors:
        errors = _model_errors(model, registry)
    if errors:
        return [], errors[:100]
    lines: list[_Line] = []
    for custom_id, body in parsed:
        fault = faults.get(custom_id)
        if fault is not None:
            lines.append(_error_line(custom_id, fault.status, fault.error_type, fault.message))
        else:
            lines.append(_answer_line(custom_id, body, registry, scripts))
    return lines, []


def list_limit(raw: str | None) -> int:
    """``limit`` of ``GET /batches``: 1 to 100, default 20; else a 400."""
    if raw is None:
        return 20
    if not raw.isdigit() or not 1 <= int(raw) <= _MAX_LIST:
        raise _bad(f"Invalid request: limit must be an integer from 1 to {_MAX_LIST}")
    return int(raw)
