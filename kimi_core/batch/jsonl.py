"""Batch files, one line at a time: chat requests to input JSONL, output JSONL to answers.

Writing (``write_batch_files``): every request goes through the client's ``prepare`` (the
chat request builder, so every per-model rule applies) and becomes one line ``{"custom_id",
"method": "POST", "url": "/v1/chat/completions", "body"}`` (``docs/kimi-api/batch.md`` §1),
written straight to a temporary file: the JSONL never sits in memory. Checked before anything
is uploaded, each an ``InvalidParameterError`` naming the field:

- a line that asks to stream (``stream``), a model the batch API does not take (the catalog's
  ``batch`` flag), lines naming different models (one model per file), a request without a
  model, builtin tools such as ``$web_search`` (the client answers them between rounds, which
  a batch cannot do) (``model`` / ``tools``);
- ``custom_id``: given ids that are not unique non-empty strings, or fewer / more than the
  requests; by default line ``i`` is ``request-<i>``, so the input order can be read back from
  the ids alone;
- a line over the file-size limit (100 MB, ``files.MAX_FILE_BYTES``): ``FileTooLargeError``.

The sampling fields batch lines must not carry (``temperature``, ``top_p``, ``n``,
``presence_penalty``, ``frequency_penalty``, §1) are dropped where the catalog fixes them for
the model (the chat rules let only the fixed value through, which the model uses anyway).

A file that would pass ``max_file_bytes`` (or ``max_lines``) is closed and the next line
starts a new one: a job over the limit becomes several batches (``docs/kimi-api/batch.md``
§9).

Reading (``parse_result_line``): one output or error line to ``(custom_id, answer)``, the
answer a ``ChatCompletion`` validated as a chat answer is, or a ``BatchLineError`` carrying
the line's status and the typed error a chat call would have raised. Read leniently (§7):
``custom_id`` or else ``id``; a ``body`` that is a JSON string; a line with only ``error``.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import IO, Any

from ..catalog.model_info import get_model_info
from ..chat.tools import is_builtin_tool
from ..errors import (
    BatchLineError,
    FileTooLargeError,
    InvalidParameterError,
    MalformedResponseError,
)
from ..resources.batches import BATCH_URL, JOB_KEY
from ..resources.files import MAX_FILE_BYTES
from ..types import ChatCompletion, ChatRequest
from ..wire.error_body import error_from_response
from ..wire.json import loads as json_loads

__all__ = [
    "BATCH_URL",
    "CUSTOM_ID_PREFIX",
    "JOB_KEY",
    "BatchFile",
    "BatchInput",
    "LineRange",
    "aiter_result_lines",
    "custom_id_index",
    "default_custom_id",
    "iter_result_lines",
    "parse_job_key",
    "parse_result_line",
    "unwrap_content",
    "write_batch_files",
]

CUSTOM_ID_PREFIX = "request-"
_INDEX = re.compile(r"request-(\d+)\Z")
_JOB_VALUE = re.compile(r"([0-9a-f]+)/(\d+):(\d+)(/custom)?\Z")


def default_custom_id(index: int) -> str:
    return f"{CUSTOM_ID_PREFIX}{index}"


def custom_id_index(custom_id: str) -> int | None:
    """The input index a default custom id (``request-<i>``) stands for, else None."""
    match = _INDEX.match(custom_id)
    return int(match.group(1)) if match else None


@dataclass(frozen=True)
class LineRange:
    """Which inputs one batch holds: ``start`` to ``stop`` (exclusive)."""

    start: int
    stop: int
    custom: bool = False

    @property
    def count(self) -> int:
        return self.stop - self.start


def parse_job_key(metadata: Mapping[str, Any] | None) -> tuple[str, LineRange] | None:
    """``(token, range)`` from a batch's ``kimi_job`` metadata, or None without it."""
    value = (metadata or {}).get(JOB_KEY)
    match = _JOB_VALUE.match(value) if isinstance(value, str) else None
    if match is None:
        return None
    start, stop = int(match.group(2)), int(match.group(3))
    return match.group(1), LineRange(start, stop, bool(match.group(4)))


@dataclass
class BatchFile:
    """One input file being written: its lines ``start`` … ``start + count - 1``."""

    file: IO[bytes]
    start: int
    count: int = 0
    size: int = 0

    @property
    def lines(self) -> LineRange:
        return LineRange(self.start, self.start + self.count)


def _token() -> str:
    import secrets  # imported on use: importing the client stays cheap

    return secrets.token_hex(6)


@dataclass
class BatchInput:
    """A job's input files, written and checked, ready to upload (close them after)."""

    files: list[BatchFile]
    model: str
    custom_ids: list[str] | None
    """The caller's ids in input order; None when the default ids were used."""
    token: str = field(default_factory=_token)

    @property
    def total(self) -> int:
        return sum(part.count for part in self.files)

    def filename(self, part: BatchFile) -> str:
        """The part's upload name, unique to this job (its token): an upload that failed
        after it may have been stored is found by it (``Files.upload(unique_filename=True)``)."""
        return f"kimi-batch-{self.token}-{part.start}-{part.start + part.count - 1}.jsonl"

    def metadata(self, part: BatchFile, extra: Mapping[str, str] | None) -> dict[str, str]:
        """The batch's metadata: the caller's, plus the job key (``JOB_KEY``)."""
        lines = part.lines
        value = f"{self.token}/{lines.start}:{lines.stop}"
        if self.custom_ids is not None:
            value += "/custom"
        return {**(extra or {}), JOB_KEY: value}

    def close(self) -> None:
        for part in self.files:
            part.file.close()


def _temporary() -> IO[bytes]:
    import tempfile

    return tempfile.TemporaryFile()


def _streams(request: Any) -> bool:
    if isinstance(request, ChatRequest):
        return bool(request.stream)
    if isinstance(request, Mapping):
        return bool(request.get("stream"))
    return bool(getattr(request, "stream", False))  # a PreparedChat


def _located(exc: InvalidParameterError, index: int) -> InvalidParameterError:
    """The same error, saying which request it is about."""
    located = type(exc)(f"requests[{index}]: {exc}", param=exc.param)
    located.__cause__ = exc.__cause__
    return located


def _check_line(payload: Mapping[str, Any], index: int, model: str | None) -> str:
    """The line's model, after the checks only a batch makes (module docstring)."""
    line_model = payload.get("model")
    if not isinstance(line_model, str) or not line_model:
        raise InvalidParameterError(
            f"requests[{index}] has no model: every batch line names one", param="model"
        )
    if model is not None and line_model != model:
        raise InvalidParameterError(
            f"requests[{index}] asks for {line_model} and earlier lines for {model}: a batch "
            "file holds one model; submit a job per model",
            param="model",
        )
    info = get_model_info(line_model)
    if model is None and info is not None and info.batch is False:
        raise InvalidParameterError(
            f"{line_model} is not available in Moonshot's batch API; use kimi-k2.6 or "
            "kimi-k2.7-code",
            param="model",
        )
    for tool in payload.get("tools") or ():
        if isinstance(tool, Mapping) and is_builtin_tool(tool):
            raise InvalidParameterError(
                f"requests[{index}] declares the builtin tool {_tool_label(tool)}: the client "
                "answers its calls between rounds, which a batch line cannot do",
                param="tools",
            )
    return line_model


def _tool_label(tool: Mapping[str, Any]) -> str:
    function = tool.get("function")
    return str(function.get("name") if isinstance(function, Mapping) else tool.get("type"))


def _custom_ids(custom_ids: Iterable[str] | None) -> Iterator[str | None]:
    if custom_ids is None:
        while True:
            yield None
    yield from custom_ids


class _Writer:
    """The state of one ``write_batch_files`` run: the custom ids seen, the model, the files."""

    def __init__(
        self,
        prepare: Callable[[Any], tuple[dict[str, Any], bytes]],
        custom_ids: Iterable[str] | None,
        max_file_bytes: int,
        max_lines: int | None,
    ) -> None:
        self.prepare = prepare
        self.max_file_bytes = max_file_bytes
        self.max_lines = max_lines
        self.files: list[BatchFile] = []
        self.own_ids: list[str] | None = None if custom_ids is None else []
        self.ids = _custom_ids(custom_ids)
        self.seen: set[str] = set()
        self.model: str | None = None
        self.current: BatchFile | None = None

    def custom_id(self, index: int) -> str:
        """The line's custom id (the caller's, else ``request-<index>``), checked unique."""
        custom_id = next(self.ids, None) if self.own_ids is not None else default_custom_id(index)
        if custom_id is None:
            raise InvalidParameterError(
                f"custom_ids has fewer ids than there are requests ({index})",
                param="custom_id",
            )
        if self.own_ids is not None:
            if not isinstance(custom_id, str) or not custom_id:
                raise InvalidParameterError(
                    f"custom_ids[{index}] must be a non-empty string, got {custom_id!r}",
                    param="custom_id",
                )
            self.own_ids.append(custom_id)
        if custom_id in self.seen:
            raise InvalidParameterError(
                f"custom id {custom_id!r} is used twice: each must be unique in a batch",
                param="custom_id",
            )
        self.seen.add(custom_id)
        return custom_id

    def line(self, index: int, request: Any) -> bytes:
        """Request ``index`` as one checked JSONL line."""
        custom_id = self.custom_id(index)
        if _streams(request):
            raise InvalidParameterError(
                f"requests[{index}] asks for stream=True: a batch line cannot stream",
                param="stream",
            )
        try:
            payload, body = self.prepare(request)
        except InvalidParameterError as exc:
            raise _located(exc, index) from None
        self.model = _check_line(payload, index, self.model)
        line = b"".join(
            (
                b'{"custom_id":',
                json.dumps(custom_id, ensure_ascii=False).encode(),
                b',"method":"POST","url":"',
                BATCH_URL.encode(),
                b'","body":',
                body,
                b"}\n",
            )
        )
        if len(line) > self.max_file_bytes:
            raise FileTooLargeError(
                f"requests[{index}] is {len(line):,} bytes as a batch line: over the "
                f"{self.max_file_bytes:,}-byte file limit",
                param="requests",
            )
        return line

    def write(self, index: int, line: bytes) -> None:
        """Append ``line`` to the current file, starting a new one at a size or line limit."""
        current = self.current
        if current is None or (
            current.size + len(line) > self.max_file_bytes
            or (self.max_lines is not None and current.count >= self.max_lines)
        ):
            current = self.current = BatchFile(_temporary(), start=index)
            self.files.append(current)
        current.file.write(line)
        current.count += 1
        current.size += len(line)

    def finish(self, count: int) -> BatchInput:
        if self.own_ids is not None and next(self.ids, None) is not None:
            raise InvalidParameterError(
                f"custom_ids has more ids than there are requests ({count})",
                param="custom_id",
            )
        if self.model is None:
            raise InvalidParameterError("a batch job needs at least one request", param="requests")
        for part in self.files:
            part.file.flush()
            part.file.seek(0)
        return BatchInput(self.files, self.model, self.own_ids)


def write_batch_files(
    requests: Iterable[Any],
    prepare: Callable[[Any], tuple[dict[str, Any], bytes]],
    *,
    custom_ids: Iterable[str] | None = None,
    max_file_bytes: int = MAX_FILE_BYTES,
    max_lines: int | None = None,
) -> BatchInput:
    """Check every request and write the job's input files (module docstring).

    ``prepare`` turns a request into ``(payload, body)`` as chat would send it (the fixed
    sampling values a batch line must not carry are already left out there). Raises before
    the first upload; the files written so far are closed (deleted) when it does.
    """
    if max_lines is not None and max_lines < 1:
        raise InvalidParameterError("max_lines must be at least 1", param="max_lines")
    writer = _Writer(prepare, custom_ids, max_file_bytes, max_lines)
    count = 0
    try:
        for index, request in enumerate(requests):
            writer.write(index, writer.line(index, request))
            count = index + 1
        return writer.finish(count)
    except BaseException:
        for part in writer.files:
            part.file.close()
        raise


# -- reading -------------------------------------------------------------------------------


def unwrap_content(line: str) -> list[str] | None:
    """The JSONL lines of a whole file sent as JSON ``{"content": "..."}`` (how some
    deployments answer ``/files/{id}/content``, ``docs/kimi-api/files.md``), given its first
    line; None when the line is a result line itself."""
    if not line.lstrip().startswith('{"content"'):
        return None
    try:
        wrapped = json_loads(line)
    except ValueError:
        return None
    content = wrapped.get("content") if isinstance(wrapped, dict) else None
    if not isinstance(content, str) or "custom_id" in wrapped:
        return None
    return [part for part in content.splitlines() if part.strip()]


def iter_result_lines(lines: Iterable[str]) -> Iterator[str]:
    """The non-empty lines of a downloaded result file (``unwrap_content`` applied)."""
    first = True
    for line in lines:
        if not line.strip():
            continue
        if first:
            first = False
            unwrapped = unwrap_content(line)
            if unwrapped is not None:
                yield from unwrapped
                continue
        yield line


async def aiter_result_lines(lines: AsyncIterator[str]) -> AsyncIterator[str]:
    """``iter_result_lines`` over an async download."""
    first = True
    async for line in lines:
        if not line.strip():
            continue
        if first:
            first = False
            unwrapped = unwrap_content(line)
            if unwrapped is not None:
                for part in unwrapped:
                    yield part
                continue
        yield line


def _body(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json_loads(value)
        except ValueError:
            return value
    return value


def _completion(body: dict[str, Any], custom_id: str) -> ChatCompletion | BatchLineError:
    try:
        return ChatCompletion.from_wire(body)
    except ValueError as exc:  # pydantic's ValidationError is a ValueError
        cause = MalformedResponseError(
            f"the answer of {custom_id} does not match the chat wire format: {exc}",
            body=json.dumps(body)[:500],
        )
        return BatchLineError(
            str(cause), custom_id=custom_id, code="malformed_response", status=200, error=None
        )


def parse_result_line(line: str) -> tuple[str, ChatCompletion | BatchLineError]:
    """One output or error line (module docstring); a line that is not a JSON object with
    an id is a ``MalformedResponseError``."""
    try:
        data = json_loads(line)
    except ValueError:
        raise MalformedResponseError("a batch result line is not JSON", body=line[:500]) from None
    custom_id = (data.get("custom_id") or data.get("id")) if isinstance(data, dict) else None
    if not isinstance(custom_id, str):
        raise MalformedResponseError("a batch result line has no custom_id", body=line[:500])
    response = data.get("response")
    error = data.get("error")
    if isinstance(response, dict):
        status = response.get("status_code")
        body = _body(response.get("body"))
        request_id = response.get("request_id") or None
        ok = status is None or (isinstance(status, int) and status < 300)
        if ok and isinstance(body, dict) and "choices" in body:
            return custom_id, _completion(body, custom_id)
        if isinstance(status, int) and status >= 400:
            raw = json.dumps(body) if not isinstance(body, str) else body
            typed = error_from_response(status, {}, raw)
            typed.trace_id = typed.trace_id or request_id
            code = typed.type or typed.code
            return custom_id, BatchLineError(
                f"{status} {code}: {typed.message}" if code else f"{status}: {typed.message}",
                custom_id=custom_id,
                code=code,
                status=status,
                error=typed,
                request_id=request_id,
            )
    if isinstance(error, dict):
        code = error.get("code") or error.get("type")
        message = error.get("message") or "the line failed"
        return custom_id, BatchLineError(
            str(message), custom_id=custom_id, code=None if code is None else str(code)
        )
    return custom_id, BatchLineError(
        f"the line has no answer and no error: {line[:200]}",
        custom_id=custom_id,
        code="malformed_response",
    )
