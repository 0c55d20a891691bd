"""Reading a message as it came from the server, whatever state it is in.

Pure: bytes in, a :class:`Parsed` out, no I/O. Bad mail never raises: malformed MIME,
unknown or wrong charsets, 8-bit headers, deep nesting and thousands of recipients are
read as well as they can be, and each thing that was not quite right is named in
``problems`` (stored with the message and counted in its mailbox's health).
"""

from __future__ import annotations

import email.header
import email.utils
import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import Message
from email.parser import BytesParser
from email.policy import compat32
from typing import Any

from . import mime_fast

#: Parts nested deeper than this are not read (a bomb of nested multiparts).
MAX_DEPTH = 30
#: Parts past this many are not read.
MAX_PARTS = 500
#: Recipients past this many (To and Cc each) are not kept.
MAX_RECIPIENTS = 2000
#: Text kept of a body (the rest is cut, and the cut is named).
MAX_BODY_CHARS = 1_000_000
SNIPPET_CHARS = 200
#: A column of 200 characters holds a key; longer Message-IDs are hashed.
MAX_KEY_CHARS = 190

_PARSER = BytesParser(policy=compat32)
#: Whether plain mail goes through :mod:`.mime_fast` (tests compare both ways).
FAST = True
_SPACES = re.compile(r"\s+")
_MSGID = re.compile(r"<([^<>\s]+)>")
_TAGS = re.compile(r"<(script|style)\b.*?</\1\s*>|<[^>]+>", re.IGNORECASE | re.DOTALL)


@dataclass
class Attachment:
    filename: str | None
    content_type: str
    size: int
    content: bytes | None  # None: over the size kept


@dataclass
class Parsed:
    message_id: str | None
    subject: str
    from_address: str | None
    from_name: str | None
    to: list[dict[str, str]]
    cc: list[dict[str, str]]
    in_reply_to: str | None
    references: list[str]
    sent_at: datetime | None
    body_text: str | None
    body_html: str | None
    attachments: list[Attachment] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    size: int = 0
    key: str = ""
    thread_key: str = ""

    @property
    def snippet(self) -> str:
        # the start is enough: a snippet of a long body costs no more than of a short one
        text = (self.body_text or html_to_text((self.body_html or "")[:20_000]))[:2_000]
        # str.split() splits where \s matches, in C: the same as collapsing with the
        # regular expression and stripping, at a fraction of its cost
        words = text[: 2 * SNIPPET_CHARS].split()
        # The first 400 characters mostly hold the snippet: every word but the last
        # (which the cut may have shortened) is a word of the whole text.
        head = " ".join(words[:-1])
        if len(head) >= SNIPPET_CHARS:
            return head[:SNIPPET_CHARS]
        return " ".join(text.split())[:SNIPPET_CHARS]

    def participants(self) -> list[str]:
        """Every address on the message: sender, then To, then Cc (no repeats)."""
        seen: dict[str, None] = {}
        if self.from_address:
            seen[self.from_address] = None
        for entry in (*self.to, *self.cc):
            seen.setdefault(entry["address"], None)
        return list(seen)


def parse_message(
    raw: bytes,
    *,
    keep_attachment_bytes: int = 10 * 1024 * 1024,
    headers_only: bool = False,
    size: int | None = None,
) -> Parsed:
    """Read ``raw`` (a whole message, or only its header when ``headers_only``: a
    message too large to download). Attachments larger than
    ``keep_attachment_bytes`` are listed without their content."""
    problems: list[str] = []
    try:
        # plain mail through the quick reader, the rest through the email package
        msg: Any = (mime_fast.read(raw) if FAST else None) or _PARSER.parsebytes(raw)
    except Exception as exc:  # noqa: BLE001 - the parser is lenient; this is the last guard
        problems.append(f"unreadable message: {type(exc).__name__}")
        msg = Message()
    for defect in getattr(msg, "defects", []) or []:
        problems.append(f"header: {type(defect).__name__}")

    # Read once into a dict: Message.get scans every header on each call.
    headers: dict[str, list[str]]
    if isinstance(msg, mime_fast.Part):
        headers = msg.by_name()
    else:
        headers = {}
        for key, value in msg.raw_items():
            headers.setdefault(key.lower(), []).append(value)
    message_id = first_message_id(_header(headers, "Message-ID", problems))
    in_reply_to = first_message_id(_header(headers, "In-Reply-To", problems))
    references = message_ids(_header(headers, "References", problems))
    subject = _SPACES.sub(" ", decode_words(_header(headers, "Subject", problems), problems))
    subject = subject.strip()
    from_list = _addresses(headers, "From", problems)
    to = _addresses(headers, "To", problems)
    cc = _addresses(headers, "Cc", problems)
    sent_at = _date(_header(headers, "Date", problems), problems)

    body_text: str | None = None
    body_html: str | None = None
    attachments: list[Attachment] = []
    if headers_only:
        problems.append("too large: only the header was downloaded")
    else:
        body_text, body_html, attachments = _bodies(msg, keep_attachment_bytes, problems)

    parsed = Parsed(
        message_id=message_id,
        subject=subject,
        from_address=from_list[0]["address"] if from_list else None,
        from_name=(from_list[0].get("name") or None) if from_list else None,
        to=to,
        cc=cc,
        in_reply_to=in_reply_to,
        references=references,
        sent_at=sent_at,
        body_text=body_text,
        body_html=body_html,
        attachments=attachments,
        problems=list(dict.fromkeys(problems)),
        size=size if size is not None else len(raw),
    )
    parsed.key = message_key(message_id, raw)
    parsed.thread_key = thread_key(parsed)
    return parsed


# --- identity of a message --------------------------------------------------------------


def _short(value: str, prefix: str) -> str:
    key = f"{prefix}:{value}"
    if len(key) <= MAX_KEY_CHARS:
        return key
    return f"{prefix}#sha256:{hashlib.sha256(value.encode('utf-8', 'surrogatepass')).hexdigest()}"


def message_key(message_id: str | None, raw: bytes) -> str:
    """What makes two copies one message: the Message-ID, else the bytes' SHA-256 (a
    message without an id copied to two folders has the same bytes in both)."""
    if message_id:
        return _short(message_id, "mid")
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def thread_key(parsed: Parsed) -> str:
    """The thread a message belongs to: the first message its References name (the
    thread's root, as mail programs write them), else the one it replies to, else
    itself. The same whichever order the messages arrive in."""
    root = (parsed.references[0] if parsed.references else None) or parsed.in_reply_to
    if root:
        return _short(root, "mid")
    return parsed.key


def first_message_id(value: str | None) -> str | None:
    ids = message_ids(value)
    if ids:
        return ids[0]
    value = (value or "").strip().strip("<>").strip()
    return value[:998] if value and " " not in value else None


def message_ids(value: str | None) -> list[str]:
    return list(dict.fromkeys(_MSGID.findall(value or "")))[:100]


# --- headers ----------------------------------------------------------------------------


def _header(headers: dict[str, list[str]], name: str, problems: list[str]) -> str | None:
    """The first ``name`` header as text (folded lines joined, 8-bit bytes decoded)."""
    values = headers.get(name.lower())
    if not values:
        return None
    return _header_text(values[0], name, problems).replace("\r\n", "").replace("\n", "")


def _header_text(value: Any, name: str, problems: list[str]) -> str:
    if isinstance(value, email.header.Header):
        problems.append(f"{name}: 8-bit header")
        return "".join(
            chunk if isinstance(chunk, str) else _decode_bytes(chunk, None, name, None)
            for chunk, _charset in email.header.decode_header(value)
        )
    return _undo_surrogates(str(value), name, problems)


def _undo_surrogates(value: str, name: str, problems: list[str]) -> str:
    """8-bit bytes in a header reach us as surrogates (the parser reads headers as
    ASCII): read them as UTF-8, which is what sends them, else as Latin-1."""
    if value.isascii():
        return value
    try:
        value.encode("utf-8")
        return value
    except UnicodeEncodeError:
        pass
    raw = value.encode("ascii", "surrogateescape")
    try:
        text = raw.decode("utf-8")
        problems.append(f"{name}: 8-bit header")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
        problems.append(f"{name}: 8-bit header, not UTF-8")
    return text


def decode_words(value: str | None, problems: list[str] | None = None) -> str:
    """An RFC 2047 header (``=?utf-8?b?...?=``) as text; a word in an unknown or wrong
    charset is read as UTF-8, else Latin-1, and named in ``problems``."""
    if not value:
        return ""
    if "=?" not in value:  # most headers: nothing encoded
        return value.replace("\r", "").replace("\n", "")
    try:
        parts = email.header.decode_header(value)
    except Exception:  # noqa: BLE001
        if problems is not None:
            problems.append("header: malformed encoded word")
        return value
    out: list[str] = []
    for chunk, charset in parts:
        if isinstance(chunk, str):
            out.append(chunk)
            continue
        out.append(_decode_bytes(chunk, charset, "header", problems))
    # plain chunks keep their own spaces; adjacent encoded words join without one
    return "".join(out).replace("\r", "").replace("\n", "")


def _decode_bytes(data: bytes, charset: str | None, where: str, problems: list[str] | None) -> str:
    charset = (charset or "").strip().lower() or None
    if charset in ("unknown-8bit", "x-unknown", "8bit", "default"):
        charset = None
    if charset:
        try:
            return data.decode(charset)
        except LookupError:
            if problems is not None:
                problems.append(f"{where}: unknown charset {charset[:40]}")
        except UnicodeDecodeError:
            if problems is not None:
                problems.append(f"{where}: not {charset[:40]} as declared")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        if charset is None and problems is not None:
            problems.append(f"{where}: undeclared 8-bit text")
        return data.decode("cp1252", errors="replace")


def _addresses(
    headers: dict[str, list[str]], name: str, problems: list[str]
) -> list[dict[str, str]]:
    values = headers.get(name.lower()) or []
    texts = [_header_text(v, name, problems) for v in values]
    pairs = _simple_addresses(texts)
    if pairs is None:
        try:
            pairs = email.utils.getaddresses(texts)
        except Exception:  # noqa: BLE001
            problems.append(f"{name}: malformed addresses")
            return []
    out: list[dict[str, str]] = []
    seen: set[str] = set()
    for display, address in pairs:
        address = normalize_address(address)
        if not address or address in seen:
            continue
        if len(out) >= MAX_RECIPIENTS:
            problems.append(f"{name}: more than {MAX_RECIPIENTS} addresses, the rest not kept")
            break
        seen.add(address)
        out.append({"address": address, "name": decode_words(display, problems).strip()[:300]})
    return out


_ADDRESS = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_SIMPLE_ADDRESS = re.compile(r"^\s*(?:([^<>]*?)\s*<([^<>\s]+)>|([^<>\s]+))\s*$")
_NOT_SIMPLE = re.compile(r'["()\\;:]|=\?')


def _simple_addresses(texts: list[str]) -> list[tuple[str, str]] | None:
    """``Name <a@b>, c@d`` read without getaddresses (its parser costs more than the rest
    of a message); None for anything with quotes, comments, groups or encoded words,
    which getaddresses reads."""
    pairs: list[tuple[str, str]] = []
    for text in texts:
        if _NOT_SIMPLE.search(text):
            return None
        for item in text.split(","):
            if not item.strip():
                continue
            match = _SIMPLE_ADDRESS.match(item)
            if match is None:
                return None
            name, bracketed, bare = match.groups()
            pairs.append((name or "", bracketed or bare))
    return pairs


def normalize_address(value: str | None) -> str | None:
    """An address as stored and compared: trimmed, lower-case, with one ``@`` and no
    spaces; None for anything else."""
    value = (value or "").strip().strip("<>").strip().lower()
    if len(value) > 320 or not _ADDRESS.match(value):
        return None
    return value


#: The Date most mail carries (RFC 5322 3.3: ``Tue, 8 Dec 2026 03:32:29 +0000``), read
#: without the email package's general parser; anything else goes to it.
_PLAIN_DATE = re.compile(
    r"\s*(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), )?(\d{1,2}) "
    r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (\d{4}) "
    r"(\d\d):(\d\d):(\d\d) ([+-])(\d\d)(\d\d)\s*"
)
_MONTHS = {
    name: number
    for number, name in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}


def _plain_date(value: str) -> datetime | None:
    match = _PLAIN_DATE.fullmatch(value)
    if match is None:
        return None
    day, month, year, hour, minute, second, sign, zone_h, zone_m = match.groups()
    if sign == "-" and zone_h == "00" and zone_m == "00":
        return None  # -0000: "no zone information", which the email package reads
    try:
        when = datetime(
            int(year), _MONTHS[month], int(day), int(hour), int(minute), int(second), tzinfo=UTC
        )
    except ValueError:
        return None  # out of range: the email package says how
    offset = (int(zone_h) * 60 + int(zone_m)) * 60
    if offset >= 24 * 60 * 60:
        return None  # no such zone: the email package says how
    return when - timedelta(seconds=offset if sign == "+" else -offset)


def _date(value: str | None, problems: list[str]) -> datetime | None:
    if not value:
        return None
    plain = _plain_date(value)
    if plain is not None:
        return plain
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        problems.append("Date: unreadable")
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    try:
        return when.astimezone(UTC)
    except (OverflowError, ValueError):
        problems.append("Date: out of range")
        return None


# --- bodies and attachments ----------------------------------------------------------------


def _walk(msg: Message, problems: list[str]) -> list[Message]:
    """Every leaf part, in order, without recursion (Message.walk recurses, and a
    deeply nested message would exhaust the stack)."""
    leaves: list[Message] = []
    stack: list[tuple[Message, int]] = [(msg, 0)]
    seen = 0
    while stack:
        part, depth = stack.pop()
        seen += 1
        if seen > MAX_PARTS:
            problems.append(f"more than {MAX_PARTS} parts, the rest not read")
            break
        if part.is_multipart():
            if depth >= MAX_DEPTH:
                problems.append(f"nested deeper than {MAX_DEPTH} parts, the rest not read")
                continue
            children = part.get_payload()
            if not isinstance(children, list):
                continue
            stack.extend((child, depth + 1) for child in reversed(children))
        else:
            leaves.append(part)
    return leaves


def _bodies(
    msg: Message, keep_bytes: int, problems: list[str]
) -> tuple[str | None, str | None, list[Attachment]]:
    text: list[str] = []
    html: list[str] = []
    attachments: list[Attachment] = []
    for part in _walk(msg, problems):
        # Each header looked up once: Message.get scans all of them every time.
        type_header = str(part.get("Content-Type") or "")
        disposition_header = str(part.get("Content-Disposition") or "")
        content_type = type_header.split(";", 1)[0].strip().lower() or "text/plain"
        if content_type.count("/") != 1:
            content_type = "text/plain"  # RFC 2045: an invalid type is text/plain
        disposition = disposition_header.split(";", 1)[0].strip().lower()
        named = "name" in type_header.lower() or "name" in disposition_header.lower()
        filename = _filename(part, problems) if named else None
        try:
            payload = part.get_payload(decode=True)
        except Exception:  # noqa: BLE001
            payload = None
            problems.append(f"{content_type}: undecodable transfer encoding")
        if payload is None:
            raw_payload = part.get_payload()
            payload = (
                raw_payload.encode("utf-8", "surrogateescape")
                if isinstance(raw_payload, str)
                else b""
            )
        is_body = disposition != "attachment" and not filename
        if is_body and content_type == "text/plain":
            text.append(_decode_bytes(payload, part.get_content_charset(), "body", problems))
        elif is_body and content_type == "text/html":
            html.append(_decode_bytes(payload, part.get_content_charset(), "body", problems))
        elif is_body and content_type.startswith("multipart/"):
            continue  # a multipart with a broken payload: nothing to read in it
        else:
            attachments.append(
                Attachment(
                    filename=filename,
                    content_type=content_type[:200],
                    size=len(payload),
                    content=payload if len(payload) <= keep_bytes else None,
                )
            )
    body_text = _cut("\n".join(text), problems) if text else None
    body_html = _cut("\n".join(html), problems) if html else None
    return body_text, body_html, attachments


def _filename(part: Message, problems: list[str]) -> str | None:
    try:
        name = part.get_filename()
    except Exception:  # noqa: BLE001
        problems.append("attachment: unreadable file name")
        return None
    if not name:
        return None
    name = decode_words(_undo_surrogates(str(name), "filename", problems), problems)
    return name.replace("/", "_").replace("\\", "_").strip()[:255] or None


def _cut(value: str, problems: list[str]) -> str:
    value = value.replace("\x00", "")
    if len(value) > MAX_BODY_CHARS:
        problems.append(f"body longer than {MAX_BODY_CHARS} characters, cut")
        return value[:MAX_BODY_CHARS]
    return value


def html_to_text(html: str) -> str:
    """Plain words of an HTML body, for a snippet (never shown as HTML)."""
    return _TAGS.sub(" ", html)


def as_json(parsed: Parsed) -> dict[str, Any]:
    """The header fields of a parsed message, for tests and logs."""
    return {
        "message_id": parsed.message_id,
        "subject": parsed.subject,
        "from": parsed.from_address,
        "to": [a["address"] for a in parsed.to],
        "cc": [a["address"] for a in parsed.cc],
        "problems": parsed.problems,
    }
