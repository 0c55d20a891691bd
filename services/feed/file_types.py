"""What an attachment really is, read from its bytes, not from what the browser said.

The type a client declares is whatever its operating system guessed from the name: an
attachment is kept under the type its first bytes show (a PNG called ``photo.jpg`` is
kept as ``image/png``), and programs are refused, by their bytes (Windows, Linux and
macOS executables, scripts starting ``#!``) and by names that run when opened
(``.exe``, ``.js``, ``.vbs``...), whatever they claim to be. Files are served for
download only (``Content-Disposition: attachment``, ``nosniff``), so a kept HTML or SVG
page is never shown as one of Osprey's.
"""

from __future__ import annotations

import os

#: Names that run when opened on a desktop: refused whatever the bytes are.
RUNNABLE_EXTENSIONS = frozenset(
    {
        "exe", "com", "scr", "pif", "bat", "cmd", "msi", "msp", "dll", "cpl", "sys",
        "js", "jse", "vbs", "vbe", "wsf", "wsh", "hta", "ps1", "psm1", "reg", "lnk",
        "jar", "app", "apk", "sh", "run", "elf", "deb", "rpm", "dmg", "pkg",
    }
)  # fmt: skip

#: (magic bytes at offset 0, type) — checked in order.
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "application/x-ole-storage"),  # .doc, .xls, .msg
    (b"PK\x03\x04", "application/zip"),  # .docx, .xlsx, .odt...; refined by the name
    (b"PK\x05\x06", "application/zip"),
    (b"\x1f\x8b", "application/gzip"),
    (b"Rar!\x1a\x07", "application/vnd.rar"),
    (b"7z\xbc\xaf\x27\x1c", "application/x-7z-compressed"),
    (b"BM", "image/bmp"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
    (b"OggS", "audio/ogg"),
    (b"ID3", "audio/mpeg"),
    (b"{\\rtf", "application/rtf"),
)

#: Executables by their first bytes: PE (Windows), ELF (Linux), Mach-O (macOS), and
#: scripts with an interpreter line.
_PROGRAMS: tuple[bytes, ...] = (
    b"MZ",
    b"\x7fELF",
    b"\xfe\xed\xfa\xce",
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",
    b"#!",
)

#: Office and OpenDocument files are zips; the name tells which (the bytes agree).
_ZIPPED = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "odp": "application/vnd.oasis.opendocument.presentation",
}
_OLE = {
    "doc": "application/msword",
    "xls": "application/vnd.ms-excel",
    "msg": "application/vnd.ms-outlook",
}

_MARKUP = (b"<!doctype html", b"<html", b"<svg", b"<?xml", b"<script", b"<head", b"<body")


class NotAcceptable(ValueError):
    """The file is a program (or named as one): the message says so in words."""


def extension(name: str) -> str:
    base = os.path.basename(name).lower()
    return base.rsplit(".", 1)[-1] if "." in base else ""


def kept_type(name: str, declared: str, data: bytes) -> str:
    """The type to keep the file under, from its bytes (and its name, for the kinds of
    zip and OLE files). Raises :class:`NotAcceptable` for a program."""
    ext = extension(name)
    if ext in RUNNABLE_EXTENSIONS:
        raise NotAcceptable(f"files named .{ext} run when opened and are not accepted")
    head = data[:512]
    if any(head.startswith(magic) for magic in _PROGRAMS):
        raise NotAcceptable("programs and scripts are not accepted as attachments")
    for magic, kind in _SIGNATURES:
        if head.startswith(magic):
            if kind == "application/zip":
                return _ZIPPED.get(ext, kind)
            if kind == "application/x-ole-storage":
                return _OLE.get(ext, kind)
            return kind
    if head[8:12] == b"WEBP" and head.startswith(b"RIFF"):
        return "image/webp"
    if head[4:8] == b"ftyp":
        return "video/mp4"
    if not data:
        return "application/octet-stream"
    if b"\x00" in head:
        return "application/octet-stream"
    try:
        data[:65536].decode("utf-8")
    except UnicodeDecodeError as exc:
        # a multi-byte character cut at the window's end is still text
        if exc.start < min(len(data), 65536) - 4:
            return "application/octet-stream"
    lowered = head.lstrip().lower()
    if lowered.startswith(_MARKUP):
        if b"<svg" in lowered:
            return "image/svg+xml"
        return "application/xml" if lowered.startswith(b"<?xml") else "text/html"
    if ext == "csv" or declared.lower().startswith("text/csv"):
        return "text/csv"
    return "text/plain"
