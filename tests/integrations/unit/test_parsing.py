"""Reading a message whatever state it is in (pure: bytes in, a Parsed out)."""

from __future__ import annotations

from datetime import UTC, datetime

from services.integrations.mail.parsing import (
    MAX_DEPTH,
    message_key,
    normalize_address,
    parse_message,
)


def test_a_well_formed_message() -> None:
    raw = (
        b'From: =?utf-8?b?0JDQvdC90LA=?= <Anna@Example.COM>\r\nTo: a@x.test, "B, C" <b@y.test>\r\n'
        b"Cc: a@x.test, c@z.test\r\nSubject: =?iso-8859-1?q?caf=E9?= time\r\n"
        b"Date: Mon, 7 Dec 2026 10:00:00 +0300\r\nMessage-ID: <m1@x.test>\r\n"
        b"In-Reply-To: <p@x.test>\r\nReferences: <root@x.test> <p@x.test>\r\n"
        b"Content-Type: multipart/mixed; boundary=b\r\n\r\n"
        b"--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello\r\n"
        b"--b\r\nContent-Type: application/pdf\r\n"
        b'Content-Disposition: attachment; filename="a.pdf"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\nJVBERi0=\r\n--b--\r\n"
    )
    parsed = parse_message(raw, keep_attachment_bytes=100)
    assert parsed.from_address == "anna@example.com" and parsed.from_name == "Анна"
    assert [a["address"] for a in parsed.to] == ["a@x.test", "b@y.test"]
    assert parsed.to[1]["name"] == "B, C"
    assert [a["address"] for a in parsed.cc] == ["a@x.test", "c@z.test"]
    assert parsed.subject == "café time"
    assert parsed.sent_at == datetime(2026, 12, 7, 7, 0, tzinfo=UTC)
    assert parsed.message_id == "m1@x.test" and parsed.in_reply_to == "p@x.test"
    assert parsed.references == ["root@x.test", "p@x.test"]
    assert parsed.key == "mid:m1@x.test" and parsed.thread_key == "mid:root@x.test"
    assert parsed.body_text.strip() == "Hello" and parsed.snippet == "Hello"
    assert [(a.filename, a.size, a.content) for a in parsed.attachments] == [("a.pdf", 5, b"%PDF-")]
    assert parsed.problems == []
    assert parsed.participants() == ["anna@example.com", "a@x.test", "b@y.test", "c@z.test"]


def test_an_attachment_over_the_limit_is_listed_without_content() -> None:
    raw = (
        b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: image/png\r\n"
        b"Content-Disposition: attachment; filename=p.png\r\n\r\n" + b"x" * 50 + b"\r\n--b--\r\n"
    )
    (attachment,) = parse_message(raw, keep_attachment_bytes=10).attachments
    assert attachment.size == 50 and attachment.content is None
    (kept,) = parse_message(raw, keep_attachment_bytes=50).attachments
    assert kept.content == b"x" * 50


def test_without_a_message_id_the_key_is_the_content_hash() -> None:
    raw = b"From: a@x.test\r\nSubject: s\r\n\r\nbody"
    parsed = parse_message(raw)
    assert parsed.message_id is None and parsed.key.startswith("sha256:")
    assert parse_message(raw).key == parsed.key
    assert parse_message(raw + b"!").key != parsed.key
    assert parsed.thread_key == parsed.key


def test_a_very_long_message_id_is_hashed_to_fit() -> None:
    long_id = "x" * 500 + "@x.test"
    key = message_key(long_id, b"")
    assert key.startswith("mid#sha256:") and len(key) <= 190
    assert message_key("short@x.test", b"") == "mid:short@x.test"


def test_nesting_past_the_limit_is_cut_and_named() -> None:
    depth = MAX_DEPTH + 5
    raw = b"Content-Type: multipart/mixed; boundary=b0\r\n\r\n" + b"".join(
        f"--b{i}\r\nContent-Type: multipart/mixed; boundary=b{i + 1}\r\n\r\n".encode()
        for i in range(depth)
    )
    parsed = parse_message(raw)
    assert any("nested deeper" in p for p in parsed.problems)


def test_headers_only_is_named() -> None:
    parsed = parse_message(
        b"From: a@x.test\r\nSubject: big\r\n\r\n", headers_only=True, size=99_000_000
    )
    assert parsed.body_text is None and parsed.size == 99_000_000
    assert parsed.problems == ["too large: only the header was downloaded"]


def test_addresses_are_normalized_or_dropped() -> None:
    assert normalize_address(" <Ann@X.Test> ") == "ann@x.test"
    for bad in ("", "ann", "a@b", "a b@x.test", "a@@x.test", None):
        assert normalize_address(bad) is None
