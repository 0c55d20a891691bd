"""Exchange items (exchangelib objects) read into the plain fields the domain compares,
and those fields written back onto items. The only module besides ``dependencies`` that
knows exchangelib's item classes."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from exchangelib import CalendarItem, Contact, EWSDate, EWSDateTime, EWSTimeZone, Task
from exchangelib.indexed_properties import EmailAddress, PhoneNumber
from exchangelib.properties import Attendee, Mailbox
from exchangelib.recurrence import (
    AbsoluteMonthlyPattern,
    AbsoluteYearlyPattern,
    DailyPattern,
    EndDatePattern,
    NumberedPattern,
    WeeklyPattern,
)

from . import domain

EMAIL_LABELS = ("EmailAddress1", "EmailAddress2", "EmailAddress3")
PHONE_LABELS = ("BusinessPhone", "MobilePhone", "HomePhone")


def _utc(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        # a plain datetime: exchangelib's EWSDateTime takes only its own time zones
        plain = datetime(
            value.year, value.month, value.day, value.hour, value.minute, value.second,
            value.microsecond, tzinfo=value.tzinfo,
        )  # fmt: skip
        return plain.astimezone(UTC) if plain.tzinfo else plain.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    return None


def modified_at(item: Any) -> datetime | None:
    return _utc(getattr(item, "last_modified_time", None))


# -- contacts -------------------------------------------------------------------------


def contact_fields(item: Contact) -> dict[str, Any]:
    name = item.display_name or " ".join(p for p in (item.given_name, item.surname) if p)
    emails = sorted({e.email.lower() for e in item.email_addresses or [] if e.email})
    phones = []
    for phone in item.phone_numbers or []:
        if phone.phone_number:
            phones.append(phone.phone_number)
    return {
        "full_name": (name or "").strip() or None,
        "emails": emails[:3],
        "phones": sorted(set(phones))[:3],
        "job_title": item.job_title or None,
        "company": (item.company_name or "").strip() or None,
    }


def apply_contact(item: Contact, fields: dict[str, Any]) -> list[str]:
    """Set ``fields`` on the item; the exchangelib field names changed."""
    changed = []
    if "full_name" in fields:
        name = fields["full_name"] or ""
        given, _, surname = name.partition(" ")
        item.display_name = name or None
        item.given_name = given or None
        item.surname = surname or None
        changed += ["display_name", "given_name", "surname"]
    if "emails" in fields:
        item.email_addresses = [
            EmailAddress(label=label, email=email)
            for label, email in zip(EMAIL_LABELS, fields["emails"] or [], strict=False)
        ] or None
        changed.append("email_addresses")
    if "phones" in fields:
        item.phone_numbers = [
            PhoneNumber(label=label, phone_number=phone)
            for label, phone in zip(PHONE_LABELS, fields["phones"] or [], strict=False)
        ] or None
        changed.append("phone_numbers")
    if "job_title" in fields:
        item.job_title = fields["job_title"]
        changed.append("job_title")
    if "company" in fields:
        item.company_name = fields["company"]
        changed.append("company_name")
    return changed


# -- meetings -------------------------------------------------------------------------


def zone_of(item: CalendarItem) -> str | None:
    tz = getattr(item, "_start_timezone", None)
    return getattr(tz, "key", None)


def meeting_fields(item: CalendarItem) -> dict[str, Any]:
    return {
        "title": item.subject or "(no subject)",
        "start_at": domain.iso(_utc(item.start)),
        "due_at": domain.iso(_utc(item.end)),
        "description": (item.text_body or "").strip() or None,
    }


def attendees(item: CalendarItem) -> list[str]:
    """Every attendee's and the organizer's address, lower-case."""
    found = []
    for attendee in [*(item.required_attendees or []), *(item.optional_attendees or [])]:
        mailbox = attendee.mailbox
        if mailbox is not None and mailbox.email_address:
            found.append(mailbox.email_address.lower())
    if item.organizer is not None and item.organizer.email_address:
        found.append(item.organizer.email_address.lower())
    return list(dict.fromkeys(found))


def recurrence(item: CalendarItem) -> dict[str, Any] | None:
    """The series' pattern as :func:`domain.occurrences` reads it; None for a single
    meeting."""
    rule = item.recurrence
    if rule is None:
        return None
    pattern = rule.pattern
    out: dict[str, Any] = {"interval": getattr(pattern, "interval", 1) or 1}
    if isinstance(pattern, DailyPattern):
        out["pattern"] = "daily"
    elif isinstance(pattern, WeeklyPattern):
        out["pattern"] = "weekly"
        out["weekdays"] = [domain.WEEKDAYS[d - 1] for d in pattern.weekdays or []]
    elif isinstance(pattern, AbsoluteMonthlyPattern):
        out["pattern"] = "monthly"
        out["day_of_month"] = pattern.day_of_month
    elif isinstance(pattern, AbsoluteYearlyPattern):
        out["pattern"] = "yearly"
        out["day_of_month"] = pattern.day_of_month
        out["month"] = pattern.month
        out["interval"] = 1
    else:
        out["pattern"] = type(pattern).__name__
    boundary = rule.boundary
    out["start_date"] = _day(getattr(boundary, "start", None))
    if isinstance(boundary, EndDatePattern):
        out["end_date"] = _day(boundary.end)
    if isinstance(boundary, NumberedPattern):
        out["count"] = boundary.number
    return out


def _day(value: Any) -> str | None:
    if value is None:
        return None
    return (value.date() if isinstance(value, datetime) else value).isoformat()


def changed_occurrences(
    item: CalendarItem,
) -> tuple[set[str], dict[str, tuple[datetime, datetime]], dict[str, str]]:
    """The series' deleted occurrences (their original starts), moved ones (original
    start → new start and end) and the moved ones' item ids."""
    deleted = {domain.iso(_utc(o.start)) for o in item.deleted_occurrences or []}
    moved: dict[str, tuple[datetime, datetime]] = {}
    ids: dict[str, str] = {}
    for occurrence in item.modified_occurrences or []:
        key = domain.iso(_utc(occurrence.original_start))
        moved[key] = (_utc(occurrence.start), _utc(occurrence.end))
        ids[key] = occurrence.id
    return {d for d in deleted if d}, moved, ids


def apply_meeting(
    item: CalendarItem, fields: dict[str, Any], zone: str | None, invitees: list[str] | None
) -> list[str]:
    changed = []
    tz = EWSTimeZone(zone) if zone else EWSTimeZone("UTC")
    if "title" in fields:
        item.subject = fields["title"]
        changed.append("subject")
    for name, attr in (("start_at", "start"), ("due_at", "end")):
        if name in fields and fields[name]:
            when = datetime.fromisoformat(fields[name].replace("Z", "+00:00"))
            setattr(item, attr, EWSDateTime.from_datetime(when).astimezone(tz))
            changed.append(attr)
    if "description" in fields:
        item.body = fields["description"] or ""
        changed.append("body")
    if invitees is not None:
        item.required_attendees = [
            Attendee(mailbox=Mailbox(email_address=address), response_type="Unknown")
            for address in invitees
        ] or None
        changed.append("required_attendees")
    return changed


# -- tasks ----------------------------------------------------------------------------


def task_fields(item: Task) -> dict[str, Any]:
    return {
        "title": item.subject or "(no subject)",
        "start_at": _day(item.start_date),
        "due_at": _day(item.due_date),
        "status": domain.TASK_STATUS_IN.get(item.status or "NotStarted", "not_started"),
        "description": (item.text_body or "").strip() or None,
    }


def apply_task(item: Task, fields: dict[str, Any]) -> list[str]:
    changed = []
    if "title" in fields:
        item.subject = fields["title"]
        changed.append("subject")
    for name, attr in (("start_at", "start_date"), ("due_at", "due_date")):
        if name in fields:
            value = fields[name]
            setattr(item, attr, EWSDate.fromisoformat(value[:10]) if value else None)
            changed.append(attr)
    if "status" in fields:
        item.status = domain.TASK_STATUS_OUT.get(fields["status"], "NotStarted")
        item.percent_complete = Decimal(100 if item.status == "Completed" else 0)
        changed += ["status", "percent_complete"]
    if "description" in fields:
        item.body = fields["description"] or ""
        changed.append("body")
    return changed
