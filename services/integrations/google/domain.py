"""The google service's rules: pure functions, no database, no Nameko, no HTTP.

- what a connection syncs (:func:`clean_settings`), and failures in a user's words;
- a Google person ↔ an Osprey contact, an event ↔ an activity (time zones, all-day
  events, recurrence kept beside the activity);
- the conflict rule: per field, against the values both sides last agreed on
  (:func:`merge`): a field changed on one side takes that side's value; a field changed
  on both takes the value of the side modified last, and the loser is logged.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from services.platform.errors import ValidationFailed

#: OAuth 2.0 scopes asked for: contacts, calendar events, Gmail read, and who the
#: account is (its address names the connection)
SCOPES: tuple[str, ...] = (
    "openid",
    "https://www.googleapis.com/auth/userinfo.email",
    "https://www.googleapis.com/auth/contacts",
    "https://www.googleapis.com/auth/calendar.events",
    "https://www.googleapis.com/auth/calendar.readonly",
    "https://www.googleapis.com/auth/gmail.readonly",
)

DIRECTIONS = ("off", "import", "export", "both")
EXPORT_WHICH = ("all", "mine", "chosen")
DELETIONS = ("keep", "propagate")
VISIBILITIES = ("all", "headers", "none")
MAX_CHOSEN = 1000

#: failure kinds → what the owner reads on the connection's card
FAILURES: dict[str, str] = {
    "revoked": "Google no longer accepts Osprey's access to this account (it was revoked "
    "or expired): reconnect the account",
    "throttled": "Google asked Osprey to slow down; syncing resumes where it stopped",
    "unreachable": "Google could not be reached; trying again later",
    "denied": "Google refused access to part of this account: reconnect and allow "
    "contacts, calendar and mail",
    "protocol": "Google answered something Osprey did not expect; trying again later",
    "crm": "Osprey could not store what came from Google; trying again later",
    "not_configured": "Google sign-in is not set up on this server (OSPREY_GOOGLE_CLIENT_ID)",
}
#: failures that stop syncing until the owner acts (reconnects)
PERMANENT = frozenset({"revoked", "denied"})


def failure_words(kind: str) -> str:
    return FAILURES.get(kind, FAILURES["protocol"])


# --- settings ------------------------------------------------------------------------------


def default_settings(today: date) -> dict[str, Any]:
    return {
        "contacts": {
            "direction": "both",
            "groups": [],  # none chosen: every contact ("My Contacts")
            "export": "mine",
            "export_ids": [],
            "deletions": "keep",
        },
        "calendar": {"direction": "both", "calendars": ["primary"], "deletions": "keep"},
        "mail": {
            "enabled": True,
            "visibility": "headers",
            "sync_since": (today - timedelta(days=90)).isoformat(),
        },
    }


def clean_settings(data: Any, current: Mapping[str, Any]) -> dict[str, Any]:
    """``current`` settings with the changes in ``data`` (``{contacts, calendar, mail}``,
    each partial), every problem in one ``ValidationFailed``."""
    if not isinstance(data, Mapping):
        raise ValidationFailed(
            "Invalid settings", [{"field": "settings", "message": "must be an object"}]
        )
    errors: list[dict[str, str]] = []
    out = {k: dict(v) for k, v in current.items()}
    for key in data:
        if key not in ("contacts", "calendar", "mail"):
            errors.append({"field": key, "message": "unknown field"})
    for part, rules in _RULES.items():
        if part not in data:
            continue
        given = data[part]
        if not isinstance(given, Mapping):
            errors.append({"field": part, "message": "must be an object"})
            continue
        for name, value in given.items():
            check = rules.get(name)
            field = f"{part}.{name}"
            if check is None:
                errors.append({"field": field, "message": "unknown field"})
                continue
            problem = check(value)
            if problem:
                errors.append({"field": field, "message": problem})
            else:
                out[part][name] = value
    if errors:
        raise ValidationFailed("Invalid Google sync settings", errors)
    return out


def _one_of(options: tuple[str, ...]) -> Any:
    return lambda v: None if v in options else f"must be one of {', '.join(options)}"


def _strings(v: Any) -> str | None:
    if not isinstance(v, list) or not all(isinstance(s, str) and 0 < len(s) <= 1000 for s in v):
        return "must be a list of ids"
    return f"may hold at most {MAX_CHOSEN}" if len(v) > MAX_CHOSEN else None


_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def _uuids(v: Any) -> str | None:
    problem = _strings(v)
    if problem is None and not all(_UUID.match(s) for s in v):
        return "must be a list of contact ids (UUIDs)"
    return problem


def _day(v: Any) -> str | None:
    try:
        date.fromisoformat(v)
    except (TypeError, ValueError):
        return "must be a date YYYY-MM-DD"
    return None


_RULES: dict[str, dict[str, Any]] = {
    "contacts": {
        "direction": _one_of(DIRECTIONS),
        "groups": _strings,
        "export": _one_of(EXPORT_WHICH),
        "export_ids": _uuids,
        "deletions": _one_of(DELETIONS),
    },
    "calendar": {
        "direction": _one_of(DIRECTIONS),
        "calendars": _strings,
        "deletions": _one_of(DELETIONS),
    },
    "mail": {
        "enabled": lambda v: None if isinstance(v, bool) else "must be true or false",
        "visibility": _one_of(VISIBILITIES),
        "sync_since": _day,
    },
}


def cursors_to_restart(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """The cursors a change of settings makes stale: other groups, or a direction that
    now imports, list the contacts again; another choice of contacts to export, or a
    direction that now exports, sends them again; exports to another calendar start
    over (links keep both from making anything twice)."""
    out: list[str] = []
    old_c, new_c = before.get("contacts") or {}, after.get("contacts") or {}
    if old_c.get("groups") != new_c.get("groups") or (
        imports(new_c.get("direction", "off")) and not imports(old_c.get("direction", "off"))
    ):
        out.append("people")
    if any(old_c.get(k) != new_c.get(k) for k in ("export", "export_ids")) or (
        exports(new_c.get("direction", "off")) and not exports(old_c.get("direction", "off"))
    ):
        out.append("contacts_export")
    old_k, new_k = before.get("calendar") or {}, after.get("calendar") or {}
    if (exports(new_k.get("direction", "off")) and not exports(old_k.get("direction", "off"))) or (
        old_k.get("calendars") or [None]
    )[:1] != (new_k.get("calendars") or [None])[:1]:
        out.append("activities_export")
    return out


def imports(direction: str) -> bool:
    return direction in ("import", "both")


def exports(direction: str) -> bool:
    return direction in ("export", "both")


# --- contacts ------------------------------------------------------------------------------

#: the contact fields synced both ways, and the People fields that hold them
CONTACT_FIELDS = ("full_name", "emails", "phones", "job_title", "company")
PERSON_FIELDS = "names,emailAddresses,phoneNumbers,organizations,memberships,metadata"
UPDATE_PERSON_FIELDS = "names,emailAddresses,phoneNumbers,organizations"


def person_values(person: Mapping[str, Any]) -> dict[str, Any]:
    """A Google person as the contact fields Osprey keeps (compared and merged as is)."""
    names = person.get("names") or [{}]
    name = names[0]
    full = (
        name.get("unstructuredName")
        or name.get("displayName")
        or " ".join(p for p in (name.get("givenName"), name.get("familyName")) if p)
    ).strip()
    emails = [
        e["value"].strip().lower() for e in person.get("emailAddresses") or [] if e.get("value")
    ]
    phones = [p["value"].strip() for p in person.get("phoneNumbers") or [] if p.get("value")]
    title = next(
        (o.get("title") for o in person.get("organizations") or [] if o.get("title")), None
    )
    company = next(
        (o["name"].strip() for o in person.get("organizations") or [] if o.get("name")), None
    )
    if not full:
        full = emails[0] if emails else (phones[0] if phones else "")
    return {
        "full_name": full[:300],
        "emails": list(dict.fromkeys(emails)),
        "phones": list(dict.fromkeys(phones)),
        "job_title": (title or None) and title[:200],
        "company": (company or None) and company[:300],
    }


def contact_values(contact: Mapping[str, Any]) -> dict[str, Any]:
    """An Osprey contact (as sales sends it) as the same fields."""
    return {
        "full_name": contact.get("full_name") or "",
        "emails": [e["email"].lower() for e in contact.get("emails") or [] if e.get("email")],
        "phones": [p["phone"] for p in contact.get("phones") or [] if p.get("phone")],
        "job_title": contact.get("job_title") or None,
        # the name of the contact's account, put on the record by the sync
        "company": contact.get("company") or None,
    }


def contact_data(values: Mapping[str, Any]) -> dict[str, Any]:
    """Fields for ``sales.create_contact`` / ``update_contact`` from synced values."""
    out: dict[str, Any] = {}
    if "full_name" in values:
        out["full_name"] = values["full_name"]
    if "emails" in values:
        out["emails"] = [{"email": e} for e in values["emails"]]
    if "phones" in values:
        out["phones"] = [{"phone": p} for p in values["phones"]]
    if "job_title" in values:
        out["job_title"] = values["job_title"]
    return out


def person_body(values: Mapping[str, Any]) -> dict[str, Any]:
    """A People ``Person`` for createContact / updateContact from contact values."""
    given, _, family = (values.get("full_name") or "").partition(" ")
    body: dict[str, Any] = {
        "names": [
            {
                "givenName": given,
                "familyName": family,
                "unstructuredName": values.get("full_name") or "",
            }
        ],
        "emailAddresses": [{"value": e, "type": "work"} for e in values.get("emails") or []],
        "phoneNumbers": [{"value": p} for p in values.get("phones") or []],
        "organizations": [],
    }
    organization = {
        k: values[v] for k, v in (("name", "company"), ("title", "job_title")) if values.get(v)
    }
    if organization:
        body["organizations"] = [organization]
    return body


def person_modified(person: Mapping[str, Any]) -> datetime | None:
    times = [
        parse_time(s["updateTime"])
        for s in (person.get("metadata") or {}).get("sources") or []
        if s.get("updateTime")
    ]
    return max(times) if times else None


def person_deleted(person: Mapping[str, Any]) -> bool:
    return bool((person.get("metadata") or {}).get("deleted"))


def person_in_groups(person: Mapping[str, Any], groups: list[str]) -> bool:
    """No groups chosen: every contact; else the person belongs to one of them."""
    if not groups:
        return True
    member = {
        (m.get("contactGroupMembership") or {}).get("contactGroupResourceName")
        for m in person.get("memberships") or []
    }
    return bool(member & set(groups))


# --- the conflict rule ---------------------------------------------------------------------


@dataclass(frozen=True)
class Conflict:
    field: str
    crm_value: Any
    remote_value: Any
    winner: str  # crm, google


def merge(
    base: Mapping[str, Any],
    crm: Mapping[str, Any],
    remote: Mapping[str, Any],
    *,
    crm_modified: datetime | None,
    remote_modified: datetime | None,
    fields: tuple[str, ...],
) -> tuple[dict[str, Any], dict[str, Any], list[Conflict]]:
    """Three-way merge per field: ``(changes for Osprey, changes for Google, conflicts)``.

    A field whose value one side changed since ``base`` (what both last agreed on)
    takes that side's value; changed on both to different values, the side modified
    last wins (Google wins a tie: it cannot be asked again without a round trip) and
    the field is listed as a conflict. With no ``base`` (first match of two existing
    records) every differing field is a change on both sides."""
    to_crm: dict[str, Any] = {}
    to_remote: dict[str, Any] = {}
    found: list[Conflict] = []
    for name in fields:
        mine, theirs = crm.get(name), remote.get(name)
        if _same(mine, theirs):
            continue
        crm_changed = name not in base or not _same(base.get(name), mine)
        remote_changed = name not in base or not _same(base.get(name), theirs)
        if remote_changed and not crm_changed:
            to_crm[name] = theirs
        elif crm_changed and not remote_changed:
            to_remote[name] = mine
        else:
            crm_wins = (
                crm_modified is not None
                and remote_modified is not None
                and crm_modified > remote_modified
            ) or (remote_modified is None and crm_modified is not None)
            if crm_wins:
                to_remote[name] = mine
            else:
                to_crm[name] = theirs
            found.append(Conflict(name, mine, theirs, "crm" if crm_wins else "google"))
    return to_crm, to_remote, found


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, list) and isinstance(b, list):
        return sorted(map(str, a)) == sorted(map(str, b))
    return (a or None) == (b or None)


# --- calendar ------------------------------------------------------------------------------

EVENT_FIELDS = ("title", "description", "start_at", "due_at")


def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def event_time(value: Mapping[str, Any] | None, calendar_zone: str | None) -> datetime | None:
    """An event's ``start``/``end`` as an aware UTC time: ``dateTime`` carries its
    offset; an all-day ``date`` is midnight in the event's (else the calendar's) zone."""
    if not value:
        return None
    if value.get("dateTime"):
        moment = datetime.fromisoformat(value["dateTime"].replace("Z", "+00:00"))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=zone(value.get("timeZone") or calendar_zone))
        return moment.astimezone(UTC)
    if value.get("date"):
        tz = zone(value.get("timeZone") or calendar_zone)
        return datetime.combine(date.fromisoformat(value["date"]), time(), tz).astimezone(UTC)
    return None


def iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def event_values(event: Mapping[str, Any], calendar_zone: str | None) -> dict[str, Any]:
    """An event as the activity fields synced both ways (times as ISO UTC text)."""
    start = event_time(event.get("start"), calendar_zone)
    end = event_time(event.get("end"), calendar_zone)
    if start is not None and end is not None and end < start:
        end = start
    return {
        "title": (event.get("summary") or "(no title)")[:300],
        "description": (event.get("description") or None) and event["description"][:10000],
        "start_at": iso(start),
        "due_at": iso(end),
    }


def event_keeps(event: Mapping[str, Any], calendar_zone: str | None) -> dict[str, Any]:
    """What an event has that an activity has no field for, kept on its link and sent
    back on export: the time zone, whether it is all-day, the recurrence, the series
    an exception belongs to."""
    start = event.get("start") or {}
    out: dict[str, Any] = {
        "time_zone": start.get("timeZone") or calendar_zone or "UTC",
        "all_day": bool(start.get("date")),
    }
    if event.get("recurrence"):
        out["recurrence"] = list(event["recurrence"])
    if event.get("recurringEventId"):
        out["recurring_event_id"] = event["recurringEventId"]
        out["original_start"] = event_time(event.get("originalStartTime"), calendar_zone) and iso(
            event_time(event.get("originalStartTime"), calendar_zone)
        )
    return out


def event_body(values: Mapping[str, Any], keeps: Mapping[str, Any]) -> dict[str, Any]:
    """Calendar ``Event`` fields from activity values, in the event's own time zone
    (all-day events stay all-day). Only the fields in ``values`` are written."""
    tz_name = keeps.get("time_zone") or "UTC"
    tz = zone(tz_name)
    body: dict[str, Any] = {}
    if "title" in values:
        body["summary"] = values["title"]
    if "description" in values:
        body["description"] = values["description"] or ""
    for name, key in (("start_at", "start"), ("due_at", "end")):
        if name not in values or values[name] is None:
            continue
        moment = parse_time(values[name]).astimezone(tz)
        if keeps.get("all_day") and moment.time() == time():
            body[key] = {"date": moment.date().isoformat()}
        else:
            body[key] = {"dateTime": moment.isoformat(), "timeZone": tz_name}
    if "start" in body and "end" not in body:
        body["end"] = body["start"]
    return body


def attendee_addresses(event: Mapping[str, Any]) -> list[str]:
    """Everyone on the event but resources (rooms), the organizer included."""
    out = [
        (a.get("email") or "").lower()
        for a in event.get("attendees") or []
        if a.get("email") and not a.get("resource")
    ]
    organizer = (event.get("organizer") or {}).get("email")
    if organizer:
        out.append(organizer.lower())
    return list(dict.fromkeys(out))


def is_cancelled(event: Mapping[str, Any]) -> bool:
    return event.get("status") == "cancelled"
