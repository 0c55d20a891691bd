"""Composing and sending a message: MIME built here (pure), sent through SMTP,
APPENDed to the mailbox's Sent folder, stored and linked like synced mail.

The send is written (state ``pending``, its MIME kept) and committed before SMTP is
tried, so a send that fails loses nothing: it stays ``failed`` with the reason, and
``retry_send`` sends the same bytes again.
"""

from __future__ import annotations

import base64
import binascii
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid
from typing import Any

from services.platform.errors import ValidationFailed, field_error
from services.platform.events import utcnow

from .parsing import normalize_address

MAX_RECIPIENTS = 500
MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024


def clean_addresses(value: Any, field: str, *, required: bool) -> list[str]:
    if value in (None, []):
        if required:
            raise field_error(field, "give at least one address")
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or len(value) > MAX_RECIPIENTS:
        raise field_error(field, f"must be a list of up to {MAX_RECIPIENTS} addresses")
    out = []
    for i, item in enumerate(value):
        address = normalize_address(item) if isinstance(item, str) else None
        if address is None:
            raise field_error(f"{field}[{i}]", "is not an email address")
        out.append(address)
    return list(dict.fromkeys(out))


def clean_attachments(value: Any) -> list[tuple[str, str, bytes]]:
    """``[{filename, content_type, content_base64}]`` → ``(filename, type, bytes)``."""
    if value in (None, []):
        return []
    if not isinstance(value, list) or len(value) > 20:
        raise field_error("attachments", "must be a list of up to 20 files")
    out = []
    total = 0
    for i, item in enumerate(value):
        if not isinstance(item, dict) or not isinstance(item.get("filename"), str):
            raise field_error(f"attachments[{i}]", "needs filename and content_base64")
        try:
            content = base64.b64decode(item.get("content_base64") or "", validate=True)
        except (binascii.Error, ValueError):
            raise field_error(f"attachments[{i}].content_base64", "is not base64") from None
        total += len(content)
        if total > MAX_ATTACHMENT_BYTES:
            raise field_error("attachments", f"more than {MAX_ATTACHMENT_BYTES} bytes in all")
        content_type = item.get("content_type") or "application/octet-stream"
        if not isinstance(content_type, str) or content_type.count("/") != 1:
            raise field_error(f"attachments[{i}].content_type", "is not a media type")
        out.append((item["filename"][:255], content_type, content))
    return out


def build_message(
    *,
    sender: str,
    sender_name: str | None,
    to: list[str],
    cc: list[str],
    subject: str,
    body: str,
    attachments: list[tuple[str, str, bytes]],
    replying_to: dict[str, Any] | None,
) -> tuple[bytes, str]:
    """The message's bytes and its Message-ID (without <>). A reply carries
    ``In-Reply-To`` (the parent's id) and ``References`` (the parent's, then the
    parent's id), so every mail program threads it."""
    if not isinstance(subject, str) or len(subject) > 998:
        raise field_error("subject", "must be text of up to 998 characters")
    if not isinstance(body, str) or len(body) > 2_000_000:
        raise field_error("body", "must be text of up to 2,000,000 characters")
    msg = EmailMessage()
    msg["From"] = formataddr((sender_name or "", sender))
    msg["To"] = ", ".join(to)
    if cc:
        msg["Cc"] = ", ".join(cc)
    msg["Subject"] = subject
    msg["Date"] = format_datetime(utcnow())
    message_id = make_msgid(domain=sender.rsplit("@", 1)[-1])
    msg["Message-ID"] = message_id
    if replying_to and replying_to.get("message_id"):
        parent = f"<{replying_to['message_id']}>"
        msg["In-Reply-To"] = parent
        chain = [f"<{r}>" for r in replying_to.get("references") or []]
        msg["References"] = " ".join([*chain, parent])
    msg.set_content(body)
    for filename, content_type, content in attachments:
        maintype, subtype = content_type.split("/")
        msg.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename)
    return msg.as_bytes(), message_id.strip("<>")


def reply_subject(subject: str) -> str:
    return subject if subject.lower().startswith("re:") else f"Re: {subject}"


def check_related(related: Any) -> dict[str, str] | None:
    if related is None:
        return None
    from .domain import RECORD_SERVICES

    if (
        not isinstance(related, dict)
        or related.get("type") not in RECORD_SERVICES
        or not isinstance(related.get("id"), str)
    ):
        raise ValidationFailed(
            "related: must be {type, id}",
            [{"field": "related", "message": "must be {type, id} of a record"}],
        )
    return {"type": related["type"], "id": related["id"]}
