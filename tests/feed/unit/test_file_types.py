"""Attachments are kept as what their bytes are; programs are refused."""

from __future__ import annotations

import io
import zipfile

import pytest

from services.feed.file_types import NotAcceptable, kept_type

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def docx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "declared", "data", "kept"),
    [
        ("offer.pdf", "application/pdf", b"%PDF-1.7\n...", "application/pdf"),
        # the browser's guess from the name is not believed: these bytes are a PNG
        ("photo.jpg", "image/jpeg", b"\x89PNG\r\n\x1a\n\x00\x00", "image/png"),
        ("photo.jpeg", "application/octet-stream", b"\xff\xd8\xff\xe0JFIF", "image/jpeg"),
        ("contract.docx", "application/octet-stream", docx_bytes(), DOCX),
        ("archive.zip", "application/zip", docx_bytes(), "application/zip"),
        ("notes.txt", "text/plain", "Встреча в 10:00\n".encode(), "text/plain"),
        ("prices.csv", "application/vnd.ms-excel", b"code;price\nA-1;10\n", "text/csv"),
        ("page.txt", "text/plain", b"  <!DOCTYPE html><html><script>x()</script>", "text/html"),
        ("logo.png", "image/png", b"<svg xmlns='http://www.w3.org/2000/svg'/>", "image/svg+xml"),
        ("data.bin", "application/pdf", b"\x00\x01\x02\x03", "application/octet-stream"),
        ("empty.txt", "text/plain", b"", "application/octet-stream"),
        ("pic.webp", "image/webp", b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image/webp"),
    ],
)  # fmt: skip
def test_a_file_is_kept_as_its_bytes_say(name: str, declared: str, data: bytes, kept: str) -> None:
    assert kept_type(name, declared, data) == kept


@pytest.mark.parametrize(
    ("name", "data", "words"),
    [
        ("invoice.pdf", b"MZ\x90\x00\x03\x00\x00\x00", "programs"),  # a Windows program
        ("report.txt", b"\x7fELF\x02\x01\x01", "programs"),  # a Linux one
        ("app.doc", b"\xcf\xfa\xed\xfe\x07\x00", "programs"),  # a macOS one
        ("run.txt", b"#!/bin/sh\nrm -rf ~\n", "programs"),  # a script
        ("setup.exe", b"just text", ".exe"),
        ("Invoice.PDF.js", b"var x = 1;", ".js"),
        ("macro.vbs", b"MsgBox 1", ".vbs"),
    ],
)
def test_programs_are_refused_whatever_they_are_called(name: str, data: bytes, words: str) -> None:
    with pytest.raises(NotAcceptable) as refused:
        kept_type(name, "application/pdf", data)
    assert words in str(refused.value)
