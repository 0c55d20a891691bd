"""The rules of the Exchange integration: what a connection may hold, failures in words a
user can act on, how a contact, meeting or task looks on each side, how two sides'
changes are merged (per field, last modified wins), and which occurrences a recurring
meeting has. Pure functions: no exchangelib, no database, no Nameko."""

from __future__ import annotations

import calendar as _calendar
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from services.platform.errors import ValidationFailed
from services.platform.values import is_uuid

# -- connections --------------------------------------------------------------------

AUTHS = ("basic", "oauth2")
VISIBILITIES = ("all", "headers", "none")
EXPORTS = ("none", "all", "mine", "chosen")
DELETIONS = ("keep", "mirror")
SETTINGS_FIELDS = (
    "email",
    "login",
    "auth",
    "ews_url",
    "autodiscover_url",
    "sync_mail",
    "visibility",
    "import_contacts",
    "contact_folders",
    "export_contacts",
    "export_contact_ids",
    "sync_calendar",
    "sync_tasks",
    "deletions",
    "past_days",
    "future_days",
)
SECRET_FIELDS = ("password", "access_token")
OTHER_FIELDS = ("is_shared", "owner_id")

DEFAULTS: dict[str, Any] = {
    "auth": "basic",
    "ews_url": None,
    "autodiscover_url": None,
    "sync_mail": True,
    "visibility": "headers",
    "import_contacts": True,
    "contact_folders": ["contacts"],
    "export_contacts": "mine",
    "export_contact_ids": [],
    "sync_calendar": True,
    "sync_tasks": True,
    "deletions": "keep",
    "past_days": 30,
    "future_days": 180,
}


def _failed(errors: list[dict[str, str]]) -> ValidationFailed:
    return ValidationFailed("The Exchange connection is not valid", errors)


def clean_connection(data: Any, *, creating: bool) -> dict[str, Any]:
    """The connection fields given, checked; ``ValidationFailed`` names every field at
    fault. Creating needs the address and the password or token its ``auth`` needs."""
    if not isinstance(data, dict):
        raise _failed([{"field": "data", "message": "must be an object"}])
    errors: list[dict[str, str]] = []
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key not in SETTINGS_FIELDS + SECRET_FIELDS + OTHER_FIELDS:
            errors.append({"field": str(key), "message": "unknown field"})
            continue

        def bad(message: str, key: str = key) -> None:
            errors.append({"field": key, "message": message})

        if key == "email" or key == "login":
            if value is None and key == "login":
                out[key] = None
            elif not isinstance(value, str) or (key == "email" and "@" not in value):
                bad("must be an email address" if key == "email" else "must be text")
            elif len(value) > 320:
                bad("must be at most 320 characters")
            else:
                out[key] = value.strip().lower() if key == "email" else value.strip()
        elif key in ("ews_url", "autodiscover_url"):
            if value in (None, ""):
                out[key] = None
            elif not isinstance(value, str) or not value.startswith(("https://", "http://")):
                bad("must be an http(s) URL")
            elif len(value) > 2000:
                bad("must be at most 2000 characters")
            else:
                out[key] = value.strip()
        elif key in ("password", "access_token"):
            if not isinstance(value, str) or not value:
                bad("must not be empty")
            elif len(value) > 10000:
                bad("is too long")
            else:
                out[key] = value
        elif key in ("sync_mail", "import_contacts", "sync_calendar", "sync_tasks", "is_shared"):
            if not isinstance(value, bool):
                bad("must be true or false")
            else:
                out[key] = value
        elif key in ("auth", "visibility", "export_contacts", "deletions"):
            options = {
                "auth": AUTHS,
                "visibility": VISIBILITIES,
                "export_contacts": EXPORTS,
                "deletions": DELETIONS,
            }[key]
            if value not in options:
                bad(f"must be one of {', '.join(options)}")
            else:
                out[key] = value
        elif key in ("contact_folders", "export_contact_ids"):
            if not isinstance(value, list) or not all(
                isinstance(v, str) and 0 < len(v) <= 1024 for v in value
            ):
                bad("must be a list of ids")
            elif len(value) > 1000:
                bad("may hold at most 1000 ids")
            else:
                out[key] = list(dict.fromkeys(value))
        elif key in ("past_days", "future_days"):
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 3660:
                bad("must be a whole number of days from 0 to 3660")
            else:
                out[key] = value
        elif key == "owner_id":
            if value is not None and not is_uuid(value):
                bad("must be a user's id (a UUID)")
            else:
                out[key] = value
    auth = out.get("auth", "basic")
    if creating:
        if "email" not in out and not any(e["field"] == "email" for e in errors):
            errors.append({"field": "email", "message": "is required"})
        needed = "access_token" if auth == "oauth2" else "password"
        if needed not in out and not any(e["field"] == needed for e in errors):
            errors.append({"field": needed, "message": "is required"})
    if errors:
        raise _failed(errors)
    return out


def connection_settings(changes: dict[str, Any], old: dict[str, Any] | None) -> dict[str, Any]:
    """The settings a connection keeps (never a secret): the old ones with the changes
    laid over, defaults for what was never set. A new server forgets the EWS URL that
    autodiscover found."""
    settings = {**DEFAULTS, **(old or {})}
    for key in SETTINGS_FIELDS:
        if key in changes:
            settings[key] = changes[key]
    if any(k in changes for k in ("email", "ews_url", "autodiscover_url", "login")):
        settings.pop("discovered_ews_url", None)
    if not settings.get("login"):
        settings["login"] = settings["email"]
    return settings


FAILURES = {
    "auth": "Exchange refused the sign-in: check the user name and password (or the token).",
    "token": "The OAuth2 token was refused or has expired: connect again with a new token.",
    "mailbox": "Exchange has no mailbox for this address: check the email address.",
    "access": "Exchange refused access to a folder or item of this mailbox.",
    "autodiscover": (
        "Autodiscover found no Exchange server for this address: enter the EWS URL"
        " (https://server/EWS/Exchange.asmx) instead."
    ),
    "unreachable": "The Exchange server could not be reached: check the EWS URL (host and port).",
    "timeout": "The Exchange server did not answer in time; it will be tried again.",
    "tls": "The Exchange server's certificate is not trusted, or it does not speak HTTPS there.",
    "insecure": "OAuth2 tokens are only sent over HTTPS: use an https:// EWS URL.",
    "busy": "Exchange asked Osprey to slow down; the sync goes on where it stopped",
    "folder": (
        "A folder chosen for this connection is no longer in Exchange: choose the folders again."
    ),
    "sync_state": "Exchange no longer knew how far a folder was synced; it is synced again.",
    "protocol": "The Exchange server gave an answer Osprey could not use",
}
#: failures a retry will not fix: the connection waits for its owner
PERMANENT = ("auth", "token", "mailbox", "tls", "insecure", "folder")


def failure_words(kind: str, detail: str = "", back_off: float | None = None) -> str:
    words = FAILURES.get(kind, FAILURES["protocol"])
    if kind == "busy":
        seconds = max(1, round(back_off or 0))
        return f"{words} (in {seconds} s)."
    if (kind == "protocol" or kind not in FAILURES) and detail:
        return f"{words}: {detail[:200]}"
    return words


def may_manage(actor: Any, connection: dict[str, Any]) -> bool:
    return actor.is_admin or (
        not connection["is_shared"] and connection["owner_id"] == getattr(actor, "id", None)
    )


# -- records on both sides ----------------------------------------------------------

CONTACT_FIELDS = ("full_name", "emails", "phones", "job_title", "company")
MEETING_FIELDS = ("title", "start_at", "due_at", "description")
TASK_FIELDS = ("title", "start_at", "due_at", "status", "description")
FIELDS = {"contact": CONTACT_FIELDS, "meeting": MEETING_FIELDS, "task": TASK_FIELDS}

#: EWS task status → activity status, and back
TASK_STATUS_IN = {
    "NotStarted": "not_started",
    "InProgress": "in_progress",
    "Completed": "completed",
    "WaitingOnOthers": "in_progress",
    "Deferred": "not_started",
}
TASK_STATUS_OUT = {
    "not_started": "NotStarted",
    "in_progress": "InProgress",
    "completed": "Completed",
    "cancelled": "Deferred",
}


def contact_fields(contact: dict[str, Any]) -> dict[str, Any]:
    """A CRM contact's synced fields, in the form both sides compare."""
    return {
        "full_name": (contact.get("full_name") or "").strip() or None,
        "emails": sorted({e["email"].lower() for e in contact.get("emails") or []})[:3],
        "phones": sorted({p["phone"] for p in contact.get("phones") or []})[:3],
        "job_title": contact.get("job_title") or None,
        # the name of the contact's account, put on the record by the sync
        "company": contact.get("company") or None,
    }


def contact_data(fields: dict[str, Any]) -> dict[str, Any]:
    """What the sales service is given for the synced fields."""
    out: dict[str, Any] = {}
    if "full_name" in fields:
        out["full_name"] = fields["full_name"] or "(no name)"
    if "emails" in fields:
        out["emails"] = [
            {"email": e, "is_primary": i == 0} for i, e in enumerate(fields["emails"] or [])
        ]
    if "phones" in fields:
        out["phones"] = [
            {"phone": p, "is_primary": i == 0} for i, p in enumerate(fields["phones"] or [])
        ]
    if "job_title" in fields:
        out["job_title"] = fields["job_title"]
    return out


def activity_fields(activity: dict[str, Any], kind: str) -> dict[str, Any]:
    """A CRM activity's synced fields (a meeting's or a task's)."""
    out = {
        "title": activity.get("title"),
        "start_at": _iso(activity.get("start_at")),
        "due_at": _iso(activity.get("due_at")),
        "description": activity.get("description") or None,
    }
    if kind == "task":
        # Exchange tasks have dates, not times: tasks compare by day
        out["start_at"] = out["start_at"] and out["start_at"][:10]
        out["due_at"] = out["due_at"] and out["due_at"][:10]
        out["status"] = activity.get("status") or "not_started"
    return out


def _iso(value: Any) -> str | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        when = value
    else:
        when = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso(value: Any) -> str | None:
    """A time as ISO 8601 UTC with ``Z`` (None stays None)."""
    return _iso(value)


@dataclass
class Merged:
    """What to write on each side after comparing them, and the conflicts resolved."""

    to_crm: dict[str, Any] = field(default_factory=dict)
    to_remote: dict[str, Any] = field(default_factory=dict)
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    snapshot: dict[str, Any] = field(default_factory=dict)


def merge(
    fields: tuple[str, ...],
    snapshot: dict[str, Any] | None,
    crm: dict[str, Any],
    remote: dict[str, Any],
    *,
    crm_modified_at: datetime | None,
    remote_modified_at: datetime | None,
) -> Merged:
    """Per field: a change on one side (against ``snapshot``, what both last agreed on)
    goes to the other; a change on both sides is a conflict and the side modified last
    wins (the CRM on a tie). Without a snapshot (two records just matched) a value
    missing on one side is filled from the other, and differing values are conflicts."""
    out = Merged()
    for name in fields:
        c, r = crm.get(name), remote.get(name)
        if c == r:
            out.snapshot[name] = c
            continue
        if snapshot is not None and name in snapshot:
            s = snapshot[name]
            crm_changed, remote_changed = c != s, r != s
        else:
            crm_changed = c not in (None, [], "")
            remote_changed = r not in (None, [], "")
        if crm_changed and not remote_changed:
            out.to_remote[name] = c
            out.snapshot[name] = c
        elif remote_changed and not crm_changed:
            out.to_crm[name] = r
            out.snapshot[name] = r
        else:
            crm_wins = (crm_modified_at or _EPOCH) >= (remote_modified_at or _EPOCH)
            winner = c if crm_wins else r
            (out.to_remote if crm_wins else out.to_crm)[name] = winner
            out.snapshot[name] = winner
            out.conflicts.append(
                {
                    "field": name,
                    "crm_value": c,
                    "remote_value": r,
                    "winner": "crm" if crm_wins else "exchange",
                }
            )
    return out


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def scope_includes(settings: dict[str, Any], contact: dict[str, Any], owner_id: str | None) -> bool:
    """Whether a CRM contact is exported to Exchange by the connection's choice."""
    export = settings.get("export_contacts", "mine")
    if export == "all":
        return True
    if export == "mine":
        return contact.get("owner_id") == owner_id
    if export == "chosen":
        return contact.get("id") in set(settings.get("export_contact_ids") or [])
    return False


# -- recurring meetings -------------------------------------------------------------

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
#: occurrences of one series the CRM keeps at most (a daily meeting over the window)
MAX_OCCURRENCES = 400


def occurrences(
    recurrence: dict[str, Any],
    first_start: datetime,
    duration: timedelta,
    zone: str | None,
    *,
    window: tuple[datetime, datetime],
    deleted: set[str] = frozenset(),  # type: ignore[assignment]
    modified: dict[str, tuple[datetime, datetime]] | None = None,
) -> Iterator[tuple[str, datetime, datetime]]:
    """The occurrences of a series inside ``window``: ``(original start ISO, start,
    end)`` in UTC. ``recurrence`` is ``{pattern, interval, weekdays, day_of_month,
    month, start_date, end_date, count}``; occurrences keep their wall-clock time in the
    series' time zone ``zone`` (a meeting at 9:00 Berlin time stays at 9:00 across
    daylight saving). ``deleted`` original starts are left out; ``modified`` ones come
    at their new times."""
    tz = ZoneInfo(zone) if zone else UTC
    local_first = first_start.astimezone(tz)
    modified = modified or {}
    count = 0
    for day in _days(recurrence, local_first.date()):
        count += 1
        if recurrence.get("count") and count > recurrence["count"]:
            return
        start = datetime.combine(day, local_first.timetz().replace(tzinfo=None)).replace(tzinfo=tz)
        start = start.astimezone(UTC)
        if start >= window[1] + duration:
            return
        key = iso(start)
        assert key is not None
        if key in deleted:
            continue
        begin, end = modified.get(key, (start, start + duration))
        if end > window[0] and begin < window[1]:
            yield key, begin, end
        if count >= MAX_OCCURRENCES * 20:
            return


def instance_index(
    recurrence: dict[str, Any], first_start: datetime, zone: str | None, original: str
) -> int | None:
    """The 1-based position of the occurrence that originally started at ``original``
    (ISO, UTC) in its series, as EWS counts an ``OccurrenceItemId``'s ``InstanceIndex``:
    over the pattern from its first occurrence, cancelled ones included. None when the
    series has no occurrence then."""
    tz = ZoneInfo(zone) if zone else UTC
    local_first = first_start.astimezone(tz)
    wanted = datetime.fromisoformat(original.replace("Z", "+00:00"))
    limit = min(int(recurrence.get("count") or MAX_OCCURRENCES * 20), MAX_OCCURRENCES * 20)
    for count, day in enumerate(_days(recurrence, local_first.date()), 1):
        if count > limit:
            return None
        start = datetime.combine(day, local_first.timetz().replace(tzinfo=None)).replace(tzinfo=tz)
        if start.astimezone(UTC) == wanted:
            return count
        if start > wanted:
            return None
    return None


def _days(recurrence: dict[str, Any], first: date) -> Iterator[date]:
    pattern = recurrence.get("pattern")
    interval = max(1, int(recurrence.get("interval") or 1))
    start = max(first, _date(recurrence.get("start_date")) or first)
    end = _date(recurrence.get("end_date"))
    day = start
    if pattern == "daily":
        while end is None or day <= end:
            yield day
            day += timedelta(days=interval)
        return
    if pattern == "weekly":
        wanted = {WEEKDAYS.index(d) for d in recurrence.get("weekdays") or []} or {start.weekday()}
        week = start - timedelta(days=start.weekday())
        while True:
            for offset in sorted(wanted):
                day = week + timedelta(days=offset)
                if day < start:
                    continue
                if end is not None and day > end:
                    return
                yield day
            week += timedelta(weeks=interval)
        return
    if pattern in ("monthly", "yearly"):
        months = interval if pattern == "monthly" else 12 * interval
        day_of_month = int(recurrence.get("day_of_month") or start.day)
        year, month = start.year, start.month
        if pattern == "yearly" and recurrence.get("month"):
            month = int(recurrence["month"])
            if date(year, month, 1) < date(start.year, start.month, 1):
                year += 1
        while True:
            last = _calendar.monthrange(year, month)[1]
            day = date(year, month, min(day_of_month, last))
            if day >= start:
                if end is not None and day > end:
                    return
                yield day
            month += months
            year += (month - 1) // 12
            month = (month - 1) % 12 + 1
        return
    yield start  # a pattern Osprey does not expand: the series' first meeting only


def _date(value: Any) -> date | None:
    if value in (None, ""):
        return None
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def cursors_to_restart(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """The CRM-side cursors a change of settings makes stale, so the next sync walks
    those records again (links keep anything from being made twice): another choice of
    contacts to send (which, the chosen ones, the folder they go to) sends contacts
    again — the export cursor only sees what changed since the last export, and a
    contact chosen now may not have changed for months; the calendar or the tasks
    turned on send the owner's meetings or tasks again."""
    out: list[str] = []
    if (
        any(before.get(key) != after.get(key) for key in ("export_contacts", "export_contact_ids"))
        or (before.get("contact_folders") or ["contacts"])[:1]
        != (after.get("contact_folders") or ["contacts"])[:1]
    ):
        out.append("crm:contacts")
    if after.get("sync_calendar") and not before.get("sync_calendar"):
        out.append("crm:meetings")
    if after.get("sync_tasks") and not before.get("sync_tasks"):
        out.append("crm:tasks")
    return out
