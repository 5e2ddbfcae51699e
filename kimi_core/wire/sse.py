"""Incremental server-sent-events decoding over raw network chunks.

Handles CRLF, LF and lone CR line ends (also split across chunks), multi-line ``data:``
fields, comments, other fields (ignored), and a final event without a trailing blank line.
Yields each event's data as ``str``; ``[DONE]`` is passed through for the caller to see.
"""

from __future__ import annotations

__all__ = ["SSEDecoder"]


class SSEDecoder:
    """Feed it bytes as they arrive; it returns the data of every event completed so far."""

    __slots__ = ("_buffer", "_data", "_fresh", "_skip_lf")

    def __init__(self) -> None:
        self._buffer = b""
        self._data: list[bytes] = []
        self._skip_lf = False
        self._fresh = True

    def feed(self, chunk: bytes) -> list[str]:
        if self._fresh and chunk:
            self._fresh = False
            if chunk[:3] == b"\xef\xbb\xbf":  # the spec strips a leading UTF-8 BOM
                chunk = chunk[3:]
        if self._skip_lf and chunk:  # an empty chunk must not lose the pending CR
            self._skip_lf = False
            if chunk[:1] == b"\n":
                chunk = chunk[1:]
        if self._buffer:
            chunk = self._buffer + chunk
            self._buffer = b""
        if not chunk:
            return []
        lines = chunk.splitlines(True)
        last = lines[-1]
        if last[-1:] not in (b"\n", b"\r"):
            self._buffer = lines.pop()
        elif last[-1:] == b"\r":
            # A CR at the very end may be the first half of a CRLF split across chunks.
            self._skip_lf = True
        events: list[str] = []
        for raw in lines:
            line = raw.rstrip(b"\r\n")
            if line[:5] == b"data:":
                value = line[5:]
                self._data.append(value[1:] if value[:1] == b" " else value)
            elif not line and self._data:
                events.append(self._take())
            # comments (":...") and other fields (event, id, retry) carry nothing we use
        return events

    def flush(self) -> list[str]:
        """End of input: complete a trailing line and event that had no newline after them."""
        events = self.feed(b"\n") if self._buffer else []
        if self._data:
            events.append(self._take())
        return events

    def _take(self) -> str:
        data = b"\n".join(self._data)
        self._data = []
        return data.decode("utf-8", "replace")
