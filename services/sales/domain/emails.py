"""Mail on the timeline: what an ``email`` activity records of a linked or sent message.

The mail service's ``email_linked`` and ``email_sent`` carry a message's summary (never
its body), the records it is linked to and ``visibility``: what colleagues may see of
it (``all``, ``headers`` — subject and participants —, ``none``). An activity is read by
colleagues, so it keeps no more than that: with ``none`` neither the subject nor the
addresses nor the Message-ID, only that a message went in or out on that day.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from services.platform.fields import parse_datetime
from services.platform.values import is_uuid

__all__ = [
    "DESCRIPTION_LIMIT",
    "EMAIL_DIRECTIONS",
    "EMAIL_LINK_TYPES",
    "EMAIL_VISIBILITIES",
    "EmailMessage",
    "NO_SUBJECT",
    "PRIVATE_TITLE",
    "RELATED_PREFERENCE",
    "TITLE_LIMIT",
    "email_description",
    "email_participants",
    "email_related",
    "email_title",
    "kept_message_id",
    "read_email_event",
]

#: What the mail service links a message to (docs/events.md, ``email_linked``).
EMAIL_LINK_TYPES: tuple[str, ...] = (
    "contact",
    "account",
    "lead",
    "opportunity",
    "order",
    "invoice",
)
EMAIL_DIRECTIONS: tuple[str, ...] = ("incoming", "outgoing")
EMAIL_VISIBILITIES: tuple[str, ...] = ("all", "headers", "none")
#: Which linked record an email activity is ``related`` to, most specific first (every
#: linked record shows it on its timeline through the activity's links all the same).
RELATED_PREFERENCE: tuple[str, ...] = ("opportunity", "lead", "account", "order", "contact")
PRIVATE_TITLE = "Private email"
NO_SUBJECT = "(no subject)"
TITLE_LIMIT = 300
DESCRIPTION_LIMIT = 10000


@dataclass(frozen=True)
class EmailMessage:
    """One message as an event told it, checked; ``links`` ``[(type, id)]`` sorted."""

    email_id: str
    thread_key: str
    direction: str
    visibility: str
    subject: str | None
    message_id: str | None
    sent_at: datetime | None
    sender: str | None
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    links: tuple[tuple[str, str], ...] = field(default_factory=tuple)


def read_email_event(data: Any, *, links_key: str) -> EmailMessage | None:
    """The message of an ``email_linked`` or ``email_unlinked`` (``links_key``
    ``all_links``: every link it has now) or ``email_sent`` (``links``) event's data,
    with the links under ``links_key``; None when it names no message.

    Links of unknown types or with ids that are not UUIDs are left out; a visibility
    the event does not state is ``none`` (keep the least), a missing direction
    ``incoming``, a time that does not parse none.
    """
    if not isinstance(data, Mapping) or not is_uuid(data.get("id")):
        return None
    email_id = str(uuid.UUID(data["id"]))
    visibility = data.get("visibility")
    if visibility not in EMAIL_VISIBILITIES:
        visibility = "none"
    direction = data.get("direction")
    if direction not in EMAIL_DIRECTIONS:
        direction = "incoming"
    links = _links(data.get(links_key))
    return EmailMessage(
        email_id=email_id,
        thread_key=_text(data.get("thread_key"), 200) or email_id,
        direction=direction,
        visibility=visibility,
        subject=_text(data.get("subject"), TITLE_LIMIT),
        message_id=_text(data.get("message_id"), 998),
        sent_at=_time(data.get("sent_at")),
        sender=_text(data.get("from"), 320),
        to=_addresses(data.get("to")),
        cc=_addresses(data.get("cc")),
        links=tuple(sorted(links)),
    )


def _links(value: Any) -> set[tuple[str, str]]:
    out: set[tuple[str, str]] = set()
    for link in value if isinstance(value, list) else []:
        if not isinstance(link, Mapping):
            continue
        kind, raw_id = link.get("type"), link.get("id")
        if kind in EMAIL_LINK_TYPES and is_uuid(raw_id):
            out.add((kind, str(uuid.UUID(raw_id))))
    return out


def _text(value: Any, limit: int) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    return value.strip()[:limit]


def _addresses(value: Any) -> tuple[str, ...]:
    return tuple(a for a in value if isinstance(a, str) and a) if isinstance(value, list) else ()


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return parse_datetime(value)
    except Exception:  # noqa: BLE001 - a time that does not parse is no time
        return None


def email_title(message: EmailMessage) -> str:
    """The activity's title: the subject, unless colleagues may not see it."""
    if message.visibility == "none":
        return PRIVATE_TITLE
    return message.subject or NO_SUBJECT


def email_description(message: EmailMessage) -> str | None:
    """Who wrote to whom (never the body); nothing when colleagues may not see it."""
    if message.visibility == "none":
        return None
    lines = []
    if message.sender:
        lines.append(f"From: {message.sender}")
    if message.to:
        lines.append("To: " + ", ".join(message.to))
    if message.cc:
        lines.append("Cc: " + ", ".join(message.cc))
    return "\n".join(lines)[:DESCRIPTION_LIMIT] or None


def kept_message_id(message: EmailMessage) -> str | None:
    """The Message-ID the activity keeps (a header: not with visibility ``none``)."""
    return None if message.visibility == "none" else message.message_id


def email_related(
    links: set[tuple[str, str]] | tuple[tuple[str, str], ...],
) -> tuple[str, str] | None:
    """The one linked record the activity is ``related`` to: a deal before a lead, an
    account, an order, a contact (an invoice is no related type); None without one."""
    for kind in RELATED_PREFERENCE:
        ids = sorted(i for k, i in links if k == kind)
        if ids:
            return kind, ids[0]
    return None


def email_participants(
    message: EmailMessage, links: set[tuple[str, str]] | tuple[tuple[str, str], ...]
) -> list[dict[str, str]]:
    """The linked contacts take part (none when colleagues may see nothing of it)."""
    if message.visibility == "none":
        return []
    return [{"type": "contact", "id": i} for k, i in sorted(links) if k == "contact"]
