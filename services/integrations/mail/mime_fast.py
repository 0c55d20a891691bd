"""A quick reader for the mail most mailboxes hold, or None for anything else.

CPython's ``email`` parser reads a message line by line through a feed parser, which
costs more than fetching the message. Most business mail is plain: ASCII headers, one
text part or a flat ``multipart/*`` of text parts and attachments with simple
parameters, and a 7bit, 8bit, quoted-printable or base64 body. :func:`read` reads exactly
that into :class:`Part` objects that answer the few questions :mod:`.parsing` asks of a
message (``raw_items``, ``get``, ``is_multipart``, ``get_payload``,
``get_content_charset``, ``get_filename``), with the answers the ``email`` package (its
``compat32`` policy) gives for the same bytes. Anything it is not sure of — 8-bit or
odd header lines, nested or digest multiparts, quoted or RFC 2231 parameters, a
missing boundary, base64 that is not clean — returns None, and the ``email`` package
reads the message as before. ``tests/integrations/unit/test_mime_fast.py`` holds the
two to the same answers over CPython's own corpus of odd mail and generated mail.
"""

from __future__ import annotations

import binascii
import re
from typing import Any

#: Bytes str.splitlines breaks at besides CR and LF (8-bit bytes reach the ``email``
#: package as surrogates, never as breaks): refused, whatever its version splits on.
#: Looked for one at a time (``in`` is a memchr; a character class, a regular
#: expression walking the whole message).
_ODD_BREAKS = (b"\x0b", b"\x0c", b"\x1c", b"\x1d", b"\x1e")
#: A parameter value the fast path reads as the ``email`` package does.
_PLAIN_VALUE = re.compile(r'^(?:"[^"\\;<>]*"|[^"\\;<>\s]*)$')
_CLEAN_BASE64 = re.compile(rb"^[A-Za-z0-9+/]*={0,2}$")
#: Encodings the ``email`` package decodes otherwise (uuencode): refused.
_UUENCODE = {"x-uuencode", "uuencode", "uue", "x-uue"}
#: The only encodings a multipart may declare without a defect.
_MULTIPART_ENCODINGS = {"7bit", "8bit", "binary"}
_MAX_PARTS = 100


class Part:
    """One part (or the whole message) as the ``email`` package's Message answers."""

    __slots__ = ("_headers", "_by_name", "_body", "_children", "defects")

    def __init__(self, headers: list[tuple[str, str]], body: bytes) -> None:
        self._headers = headers
        by_name: dict[str, list[str]] = {}
        for name, value in headers:
            key = name.lower()
            if key in by_name:
                by_name[key].append(value)
            else:
                by_name[key] = [value]
        self._by_name = by_name
        self._body = body
        self._children: list[Part] | None = None
        self.defects: list[Any] = []

    # -- what parsing.py asks ------------------------------------------------------------
    def raw_items(self) -> list[tuple[str, str]]:
        return self._headers

    def by_name(self) -> dict[str, list[str]]:
        """Each header's values in order, by its lower-cased name (not to be changed)."""
        return self._by_name

    def get(self, name: str, failobj: Any = None) -> Any:
        values = self._by_name.get(name.lower())
        return values[0] if values else failobj

    def is_multipart(self) -> bool:
        return self._children is not None

    def get_payload(self, decode: bool = False) -> Any:
        if self._children is not None:
            return None if decode else self._children
        if not decode:
            return self._body.decode("ascii", "surrogateescape")
        # as the email package compares it: lower-cased, not stripped
        encoding = self.get("content-transfer-encoding", "").lower()
        if encoding == "quoted-printable":
            return binascii.a2b_qp(self._body)
        if encoding == "base64":
            return binascii.a2b_base64(b"".join(self._body.splitlines()))
        return self._body

    def get_content_charset(self) -> str | None:
        charset = _params(self.get("content-type", "")).get("charset")
        return charset.lower() if charset is not None else None

    def get_filename(self) -> str | None:
        name = _params(self.get("content-disposition", "")).get("filename")
        if name is None:
            name = _params(self.get("content-type", "")).get("name")
        return name.strip() if name is not None else None


def read(raw: bytes) -> Part | None:
    """The message as :class:`Part` objects, or None when the ``email`` package must
    read it."""
    if raw.startswith(b"From ") or any(odd in raw for odd in _ODD_BREAKS):
        return None
    message = _part(raw)
    if message is None:
        return None
    content_type = message.get("content-type", "")
    main = content_type.split(";", 1)[0].strip().lower()
    if main.startswith("multipart/"):
        if main == "multipart/digest":
            return None  # its parts default to message/rfc822
        encoding = message.get("content-transfer-encoding", "8bit").lower()
        if encoding not in _MULTIPART_ENCODINGS:
            return None  # the email package names a defect
        children = _children(message)
        if children is None:
            return None
        message._children = children
        message._body = b""
    elif not _leaf_is_plain(message):
        return None
    return message


def _part(raw: bytes) -> Part | None:
    """Header lines and body of one part; None for anything but clean header lines
    followed by an empty line."""
    head, separator, body = raw.partition(b"\r\n\r\n")
    # no bare CR or LF in the header: as many of each as of CRLF (counted, not copied)
    crlf = head.count(b"\r\n")
    if not separator or head.count(b"\n") != crlf or head.count(b"\r") != crlf:
        return None
    if not head.isascii():
        return None
    # Every line a header line or a fold of one, checked and split by two regular
    # expressions (in C) rather than line by line.
    text = head.decode("ascii") + "\r\n"
    if _HEAD.fullmatch(text) is None:
        return None
    return Part(_HEADER_LINE.findall(text), body)


#: A header field (RFC 5322 2.2: a name of printable ASCII but ":", a colon) with its
#: folded lines; compat32's value: after the colon, leading blanks dropped, folds kept
#: as CRLF.
_HEADER_LINE = re.compile(r"([\x21-\x39\x3b-\x7e]+):[ \t]*([^\r\n]*(?:\r\n[ \t][^\r\n]*)*)\r\n")
_HEAD = re.compile(r"(?:[\x21-\x39\x3b-\x7e]+:[^\r\n]*\r\n(?:[ \t][^\r\n]*\r\n)*)+")


def _leaf_is_plain(part: Part) -> bool:
    """A leaf whose type, parameters and encoding the fast path reads exactly."""
    content_type = part.get("content-type")
    if content_type is not None:
        main = content_type.split(";", 1)[0].strip().lower()
        if main.count("/") != 1 or main.startswith(("multipart/", "message/")):
            return False
        if _params(content_type) is _UNSURE:
            return False
    disposition = part.get("content-disposition")
    if disposition is not None and _params(disposition) is _UNSURE:
        return False
    encoding = part.get("content-transfer-encoding", "").lower()
    if encoding == "base64":
        joined = b"".join(part._body.splitlines())
        return len(joined) % 4 == 0 and _CLEAN_BASE64.match(joined) is not None
    return encoding not in _UUENCODE


def _children(message: Part) -> list[Part] | None:
    boundary = _params(message.get("content-type", "")).get("boundary")
    if not boundary or _params(message.get("content-type", "")) is _UNSURE:
        return None
    separator = b"--" + boundary.encode("ascii")
    body = message._body
    crlf = body.count(b"\r\n")
    if body.count(b"\n") != crlf or body.count(b"\r") != crlf:
        return None  # a bare CR or LF starts a line where a boundary may stand
    # The first boundary on a line of its own (the preamble before it is not read).
    if body.startswith(separator + b"\r\n"):
        at = 0
    else:
        at = body.find(b"\r\n" + separator + b"\r\n")
        if at < 0:
            return None
        at += 2
        if body.startswith(separator) or b"\r\n" + separator in body[:at]:
            return None  # a line before it that the email package may take for one
    chunks: list[bytes] = []
    start = at + len(separator) + 2
    while True:
        end = body.find(b"\r\n" + separator, start)
        if end < 0:
            return None  # no closing boundary: the email package names the defect
        after = end + 2 + len(separator)
        chunks.append(body[start:end])
        if body.startswith(b"--", after):
            tail = body[after + 2 : after + 4]
            if tail not in (b"", b"\r\n"):
                return None
            break
        if not body.startswith(b"\r\n", after):
            return None  # "--boundary" followed by more: a line the package reads otherwise
        start = after + 2
        if len(chunks) >= _MAX_PARTS:
            return None
    # A boundary line that only starts like ours (e.g. "--zz-more") would have ended a
    # chunk early: refuse any chunk holding a line that starts with the separator.
    children: list[Part] = []
    for chunk in chunks:
        if b"\r\n" + separator in chunk or chunk.startswith(separator):
            return None
        part = _part(chunk) if not chunk.startswith(b"\r\n") else Part([], chunk[2:])
        if part is None or not _leaf_is_plain(part):
            return None
        children.append(part)
    return children or None


class _Unsure(dict):  # type: ignore[type-arg]
    """Parameters the fast path does not read: the caller falls back."""


_UNSURE = _Unsure()


def _params(value: str) -> dict[str, str]:
    """``type/sub; a=b; c="d"`` → ``{a: b, c: d}`` (names lower-cased); ``_UNSURE`` for
    quotes with ``;`` or backslashes, RFC 2231 (``name*``), comments or anything odd."""
    if not value:
        return {}
    out: dict[str, str] = {}
    pieces = value.split(";")
    if '"' in pieces[0]:
        return _UNSURE
    for piece in pieces[1:]:
        piece = piece.strip()
        if not piece:
            continue
        if "\r" in piece or "\n" in piece:
            return _UNSURE  # folded inside a parameter
        name, equals, raw = piece.partition("=")
        name = name.strip().lower()
        raw = raw.strip()
        if not equals or not name or "*" in name or "(" in piece or not _PLAIN_VALUE.match(raw):
            return _UNSURE
        if name in out:
            return _UNSURE
        out[name] = raw[1:-1] if raw.startswith('"') and len(raw) >= 2 else raw
    return out
