"""Helpers shared by the emulator tests (imported by name: tests/emulator is on sys.path)."""

from __future__ import annotations

from typing import Any

from kimi_emulator import KimiEmulator


def error_of(emu: KimiEmulator, body: dict[str, Any]) -> tuple[str, str]:
    """``(type or code, message)`` of an error body, after checking the dialect's shape."""
    if emu.dialect == "acedata":
        assert set(body) == {"success", "error", "trace_id"}
        assert body["success"] is False
        assert set(body["error"]) == {"code", "message"}
        assert isinstance(body["trace_id"], str)
        assert len(body["trace_id"]) == 36
        return body["error"]["code"], body["error"]["message"]
    assert set(body) == {"error"}
    assert set(body["error"]) == {"message", "type"}
    return body["error"]["type"], body["error"]["message"]


def minimal_pdf(text: str) -> bytes:
    """A one-page PDF showing ``text`` in Helvetica, with a correct xref table."""
    stream = f"BT /F1 24 Tf 72 720 Td ({text}) Tj ET".encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)
