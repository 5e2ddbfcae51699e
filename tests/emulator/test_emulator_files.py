"""The Files API beyond the SDK round trip: extraction, limits, errors, listing."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from emulator_support import error_of, minimal_pdf

from kimi_emulator import KimiEmulator


def upload(
    http: httpx.Client,
    name: str,
    data: bytes,
    purpose: str = "file-extract",
    mime: str = "text/plain",
) -> httpx.Response:
    return http.post("files", files={"file": (name, data, mime)}, data={"purpose": purpose})


@pytest.mark.parametrize(
    ("name", "data", "text", "file_type"),
    [
        ("a.md", "# Title\n\nBody ✓".encode(), "# Title\n\nBody ✓", "text/markdown"),
        ("a.csv", b"x,y\n1,2\n", "x,y\n1,2\n", "text/csv"),
        ("a.json", b'{"k": 1}', '{"k": 1}', "application/json"),
        (
            "a.html",
            b"<html><head><style>p{}</style><script>x()</script></head>"
            b"<body><h1>Hi</h1><p>there</p></body></html>",
            "Hi\nthere",
            "text/html",
        ),
        ("a.pdf", minimal_pdf("PDF text"), "PDF text", "application/pdf"),
        ("cat.png", b"\x89PNG\r\n\x1a\n\x00\x00", "", "image/png"),
    ],
)
def test_extraction(
    emu: KimiEmulator, http: httpx.Client, name: str, data: bytes, text: str, file_type: str
) -> None:
    purpose = "image" if name.endswith(".png") else "file-extract"
    created = upload(http, name, data, purpose)
    assert created.status_code == 200, created.text
    body = created.json()
    assert set(body) == {
        "id",
        "object",
        "bytes",
        "created_at",
        "filename",
        "purpose",
        "status",
        "status_details",
    }
    assert (body["bytes"], body["filename"], body["purpose"]) == (len(data), name, purpose)
    assert (body["status"], body["status_details"]) == ("ok", "")
    content = http.get(f"files/{body['id']}/content").json()
    assert content == {
        "content": text,
        "file_type": file_type,
        "filename": name,
        "title": "",
        "type": "file",
    }


def test_upload_errors(emu: KimiEmulator, http: httpx.Client) -> None:
    bad_purpose = upload(http, "a.txt", b"x", purpose="assistants")
    assert bad_purpose.status_code == 400
    assert "purpose 'assistants' is not supported" in error_of(emu, bad_purpose.json())[1]
    binary = upload(http, "a.docx", b"\xff\xfe\x00\x81binary", mime="application/octet-stream")
    assert binary.status_code == 400
    assert error_of(emu, binary.json())[1] == "Invalid request: unsupported file type: a.docx"
    broken_pdf = upload(http, "b.pdf", b"%PDF-1.4 garbage", mime="application/pdf")
    assert broken_pdf.status_code == 400
    no_file = http.post("files", data={"purpose": "file-extract"}, files={"other": ("x", b"1")})
    assert error_of(emu, no_file.json())[1] == "Invalid request: file is required"


def test_size_limit(kimi_emulator_factory: Any) -> None:
    emu = kimi_emulator_factory("acedata", max_file_bytes=10)
    with httpx.Client(base_url=emu.base_url + "/") as http:
        assert upload(http, "ok.txt", b"0123456789").status_code == 200
        too_big = upload(http, "big.txt", b"0123456789A")
        assert too_big.status_code == 400
        assert error_of(emu, too_big.json()) == (
            "invalid_request_error",
            "Invalid request: file size 11 bytes exceeds the limit of 10 bytes",
        )


def test_unknown_ids(emu: KimiEmulator, http: httpx.Client) -> None:
    for response in (
        http.get("files/cnope"),
        http.get("files/cnope/content"),
        http.delete("files/cnope"),
    ):
        assert response.status_code == 404
        assert error_of(emu, response.json()) == (
            "resource_not_found_error",
            "Not found the file cnope",
        )


def test_listing(emu: KimiEmulator, http: httpx.Client) -> None:
    first = upload(http, "1.txt", b"one").json()
    second = upload(http, "2.png", b"\x89PNG", purpose="image", mime="image/png").json()
    third = upload(http, "3.txt", b"three").json()
    listed = http.get("files").json()
    assert listed["object"] == "list"
    assert [f["id"] for f in listed["data"]] == [first["id"], second["id"], third["id"]]
    assert [f["id"] for f in http.get("files", params={"purpose": "image"}).json()["data"]] == [
        second["id"]
    ]
    after = http.get("files", params={"after": first["id"], "limit": 1}).json()["data"]
    assert [f["id"] for f in after] == [second["id"]]
    assert http.get("files", params={"after": third["id"]}).json()["data"] == []
    assert [f["id"] for f in emu.files] == [first["id"], second["id"], third["id"]]
    assert http.delete(f"files/{first['id']}").json() == {
        "id": first["id"],
        "object": "file",
        "deleted": True,
    }
    emu.reset()
    assert http.get("files").json()["data"] == []
