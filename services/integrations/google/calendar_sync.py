"""Meetings both ways between Google Calendar (v3) and Osprey's activities.

Import, per chosen calendar: ``events.list`` from the calendar's sync token (a full list
when there is none or Google answers 410), deleted events included, a page per
transaction. An event becomes a ``meeting`` activity with ``source`` ``google``, owned by
the connection's owner, its attendees mapped to contacts and users by address. A
recurring event is one activity (the series; its recurrence is kept on the link and
written back unchanged); a changed occurrence (an exception: ``recurringEventId``) is an
activity of its own; a cancelled occurrence never seen before is noted on the series'
link. Times are stored in UTC; the event's time zone and whether it is all-day stay on
the link, so an export writes the event back in its own zone.

Deletions: with ``propagate`` an event cancelled in Google deletes its activity and a
meeting deleted in Osprey is deleted in Google; with ``keep`` the other side keeps its
copy and the link stays as a tombstone, so a later change there does not bring it back
to the side that deleted it.

Export: the owner's meetings (and tasks and calls with a start) changed since the last
export go to the first chosen calendar; linked ones are patched with the fields Osprey
changed, new ones inserted. Every write records the event's new etag and the activity's
version on the link, so a round trip never duplicates an event or an activity.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from services.integrations.sync import cursors as cursor_store
from services.platform.events import utcnow

from . import domain, store
from .context import SyncContext
from .dependencies import GoogleError
from .models import cursors

EXPORT_CURSOR = "activities_export"
#: how far back a first full list of a calendar goes
FULL_SYNC_DAYS = 90
EXPORTED_TYPES = ("meeting", "task", "call")


def sync_calendar(ctx: SyncContext) -> None:
    cfg = ctx.settings["calendar"]
    if cfg.get("direction", "off") == "off":
        return
    calendars = cfg.get("calendars") or ["primary"]
    zones: dict[str, str | None] = {}
    if domain.imports(cfg["direction"]):
        for calendar_id in calendars:
            zones[calendar_id] = import_events(ctx, calendar_id)
    if domain.exports(cfg["direction"]):
        export_activities(ctx, calendars[0], zones.get(calendars[0]))
        propagate_crm_deletions(ctx)


def import_events(ctx: SyncContext, calendar_id: str) -> str | None:
    """Sync one calendar in; its time zone."""
    events = ctx.api.client("calendar").events()
    key = f"calendar:{calendar_id}"
    state = cursor_store.read_cursors(ctx.db, cursors, ctx.id).get(key) or {}
    ctx.db.rollback()
    time_zone = state.get("time_zone")
    while ctx.keep_going():
        params: dict[str, Any] = {
            "calendarId": calendar_id,
            "maxResults": ctx.config.page_size,
            "showDeleted": True,
        }
        if state.get("sync_token"):
            params["syncToken"] = state["sync_token"]
        else:
            params["timeMin"] = domain.iso(utcnow() - timedelta(days=FULL_SYNC_DAYS))
        if state.get("page_token"):
            params["pageToken"] = state["page_token"]
        try:
            page = ctx.api.call(events.list(**params))
        except GoogleError as exc:
            if exc.kind != "expired" or not state.get("sync_token"):
                raise
            state = {}
            ctx.count("calendar_full_resyncs")
            continue
        time_zone = page.get("timeZone") or time_zone
        # a series before its exceptions, whatever order the page has
        items = sorted(page.get("items") or [], key=lambda e: bool(e.get("recurringEventId")))
        for event in items:
            if event.get("recurringEventId"):
                ctx.flush()  # the series' links before their exceptions and cancellations
            apply_event(ctx, calendar_id, event, time_zone)
        ctx.flush()  # the page's activities and links before its cursor
        if page.get("nextPageToken"):
            state = {**state, "page_token": page["nextPageToken"], "time_zone": time_zone}
        else:
            state = {
                "sync_token": page.get("nextSyncToken") or state.get("sync_token"),
                "time_zone": time_zone,
            }
        cursor_store.write_cursor(ctx.db, cursors, ctx.id, key, state)
        ctx.commit()
        if "page_token" not in state:
            break
    return time_zone


def _participants(ctx: SyncContext, event: dict[str, Any]) -> list[dict[str, str]]:
    """Attendees (and the organizer) who are Osprey users or contacts, by address."""
    out: list[dict[str, str]] = []
    for address in domain.attendee_addresses(event):
        user_id = ctx.user_ids().get(address)
        if user_id:
            if user_id != ctx.owner["id"]:
                out.append({"type": "user", "id": user_id})
            continue
        page = ctx.sales("list_contacts", {"q": address, "limit": 5})
        for contact in page["items"]:
            if address in domain.contact_values(contact)["emails"]:
                out.append({"type": "contact", "id": contact["id"]})
                break
    unique = {(p["type"], p["id"]): p for p in out}
    return list(unique.values())


def apply_event(
    ctx: SyncContext, calendar_id: str, event: dict[str, Any], time_zone: str | None
) -> None:
    remote_id = f"{calendar_id}/{event['id']}"
    link = store.link_by_remote(ctx.db, ctx.id, "event", remote_id)
    deletions = ctx.settings["calendar"].get("deletions", "keep")
    if domain.is_cancelled(event):
        if link is None:
            if event.get("recurringEventId"):
                _note_cancelled_occurrence(ctx, calendar_id, event, time_zone)
        elif store.is_tombstone(link):
            store.drop_link(ctx.db, ctx.id, "event", remote_id)  # gone on both sides
        elif deletions == "propagate":
            ctx.sales("delete_activity", link.crm_id, missing_ok=True)
            ctx.count("events_deleted")
            store.drop_link(ctx.db, ctx.id, "event", remote_id)
        else:
            store.keep_apart(ctx.db, ctx.id, "event", link)
        return
    if store.is_tombstone(link):
        return  # deleted in Osprey, kept in Google apart
    if link is not None and link.remote_etag == event.get("etag"):
        return
    remote = domain.event_values(event, time_zone)
    keeps = domain.event_keeps(event, time_zone)
    participants = _participants(ctx, event)
    if link is not None:
        activity = ctx.sales("get_activity", link.crm_id, missing_ok=True)
        if activity is None:
            store.drop_link(ctx.db, ctx.id, "event", remote_id)
            return
        _reconcile(
            ctx,
            calendar_id,
            event,
            activity,
            dict(link.snapshot or {}),
            keeps,
            participants,
            time_zone,
        )
        return
    data = {
        "type": "meeting",
        "source": "google",
        **remote,
        "participants": participants,
    }
    etag = event.get("etag")

    def created(activity: dict[str, Any]) -> None:
        ctx.count("events_imported")
        store.save_link(
            ctx.db,
            ctx.id,
            "event",
            remote_id,
            activity["id"],
            remote_etag=etag,
            crm_version=activity["version"],
            snapshot=remote,
            data=keeps,
        )

    ctx.batch.add({"entity": "activity", "op": "create", "data": data}, created)


def _note_cancelled_occurrence(
    ctx: SyncContext, calendar_id: str, event: dict[str, Any], time_zone: str | None
) -> None:
    series = store.link_by_remote(
        ctx.db, ctx.id, "event", f"{calendar_id}/{event['recurringEventId']}"
    )
    if series is None:
        return
    when = domain.iso(domain.event_time(event.get("originalStartTime"), time_zone))
    data = dict(series.data or {})
    cancelled = sorted({*data.get("cancelled_occurrences", []), when} - {None})
    data["cancelled_occurrences"] = cancelled
    store.save_link(
        ctx.db,
        ctx.id,
        "event",
        series.remote_id,
        series.crm_id,
        remote_etag=series.remote_etag,
        crm_version=series.crm_version,
        snapshot=dict(series.snapshot or {}),
        data=data,
    )
    ctx.count("occurrences_cancelled")


def _activity_values(activity: dict[str, Any]) -> dict[str, Any]:
    return {
        "title": activity.get("title") or "",
        "description": activity.get("description") or None,
        "start_at": _utc(activity.get("start_at")),
        "due_at": _utc(activity.get("due_at")),
    }


def _utc(text: str | None) -> str | None:
    return None if not text else domain.iso(domain.parse_time(text))


def _reconcile(
    ctx: SyncContext,
    calendar_id: str,
    event: dict[str, Any],
    activity: dict[str, Any],
    base: dict[str, Any],
    keeps: dict[str, Any],
    participants: list[dict[str, str]],
    time_zone: str | None,
) -> None:
    remote = domain.event_values(event, time_zone)
    crm = _activity_values(activity)
    crm_modified = domain.parse_time(activity["updated_at"]) if activity.get("updated_at") else None
    remote_modified = domain.parse_time(event["updated"]) if event.get("updated") else None
    to_crm, to_remote, found = domain.merge(
        base,
        crm,
        remote,
        crm_modified=crm_modified,
        remote_modified=remote_modified,
        fields=domain.EVENT_FIELDS,
    )
    if to_remote and not domain.exports(ctx.settings["calendar"]["direction"]):
        to_crm.update({k: remote[k] for k in to_remote})
        to_remote = {}
    changes = dict(to_crm)
    known = sorted((p["type"], p["id"]) for p in activity.get("participants") or [])
    if sorted((p["type"], p["id"]) for p in participants) != known:
        changes["participants"] = participants
    if changes:
        activity = _update_activity(ctx, activity, changes)
        ctx.count("events_updated")
    if to_remote:
        event = ctx.api.call(
            ctx.api.client("calendar")
            .events()
            .patch(
                calendarId=calendar_id,
                eventId=event["id"],
                body=domain.event_body(to_remote, keeps),
            )
        )
        ctx.count("events_exported")
    store.log_conflicts(
        ctx.db,
        ctx.id,
        "event",
        activity["id"],
        f"{calendar_id}/{event['id']}",
        found,
        crm_modified=crm_modified,
        remote_modified=remote_modified,
    )
    ctx.count("conflicts", len(found))
    store.save_link(
        ctx.db,
        ctx.id,
        "event",
        f"{calendar_id}/{event['id']}",
        activity["id"],
        remote_etag=event.get("etag"),
        crm_version=activity["version"],
        snapshot={**remote, **to_crm, **to_remote},
        data=keeps,
    )


def _update_activity(
    ctx: SyncContext, activity: dict[str, Any], changes: dict[str, Any]
) -> dict[str, Any]:
    # times move together: an update is checked whole (due ≥ start)
    if "start_at" in changes or "due_at" in changes:
        changes.setdefault("start_at", activity.get("start_at"))
        changes.setdefault("due_at", activity.get("due_at"))
    return ctx.sales("update_activity", activity["id"], changes)


def export_activities(ctx: SyncContext, calendar_id: str, time_zone: str | None) -> None:
    state = cursor_store.read_cursors(ctx.db, cursors, ctx.id).get(EXPORT_CURSOR) or {}
    ctx.db.rollback()
    newest = state.get("since")
    filters: dict[str, Any] = {"owner_id": ctx.owner["id"], "type": list(EXPORTED_TYPES)}
    if state.get("since"):
        filters["updated_at"] = f"{state['since']}.."
    cursor = None
    events = ctx.api.client("calendar").events()
    while ctx.keep_going():
        query: dict[str, Any] = {"filter": filters, "sort": "updated_at", "limit": 200}
        if cursor:
            query["cursor"] = cursor
        page = ctx.sales("list_activities", query)
        for activity in page["items"]:
            newest = max(newest or activity["updated_at"], activity["updated_at"])
            if not activity.get("start_at") or activity.get("type") == "email":
                continue
            link = store.link_by_crm(ctx.db, ctx.id, "event", activity["id"])
            if store.is_tombstone(link):
                continue  # cancelled in Google, kept in Osprey apart
            if link is not None and link.crm_version == activity["version"]:
                continue
            values = _activity_values(activity)
            if link is None:
                keeps = {"time_zone": time_zone or "UTC", "all_day": False}
                body = domain.event_body(values, keeps)
                body["attendees"] = _attendees(ctx, activity)
                event = ctx.api.call(events.insert(calendarId=calendar_id, body=body))
                target = calendar_id
            else:
                keeps = dict(link.data or {})
                base = dict(link.snapshot or {})
                changed = {k: v for k, v in values.items() if not domain._same(base.get(k), v)}
                target, _, event_id = link.remote_id.partition("/")
                if not changed:
                    event = {"id": event_id, "etag": link.remote_etag}
                else:
                    try:
                        event = ctx.api.call(
                            events.patch(
                                calendarId=target,
                                eventId=event_id,
                                body=domain.event_body(changed, keeps),
                            )
                        )
                    except GoogleError as exc:
                        if exc.kind not in ("gone", "not_found"):
                            raise
                        store.drop_link(ctx.db, ctx.id, "event", link.remote_id)
                        ctx.commit()
                        continue
                values = {**base, **values}
            ctx.count("events_exported")
            store.save_link(
                ctx.db,
                ctx.id,
                "event",
                f"{target}/{event['id']}",
                activity["id"],
                remote_etag=event.get("etag"),
                crm_version=activity["version"],
                snapshot=values,
                data=keeps,
            )
            ctx.commit()
        cursor = page.get("next_cursor")
        if not cursor:
            break
    if newest:
        cursor_store.write_cursor(ctx.db, cursors, ctx.id, EXPORT_CURSOR, {"since": newest})
        ctx.commit()


def _attendees(ctx: SyncContext, activity: dict[str, Any]) -> list[dict[str, str]]:
    out = []
    for participant in activity.get("participants") or []:
        if participant["type"] != "contact":
            continue
        contact = ctx.sales("get_contact", participant["id"], missing_ok=True)
        emails = domain.contact_values(contact or {})["emails"]
        if emails:
            out.append({"email": emails[0]})
    return out


def propagate_crm_deletions(ctx: SyncContext) -> None:
    propagate = ctx.settings["calendar"].get("deletions") == "propagate"
    events = ctx.api.client("calendar").events()
    for link in store.crm_deleted_links(ctx.db, ctx.id, "event"):
        if propagate and not store.is_tombstone(link):
            calendar_id, _, event_id = link.remote_id.partition("/")
            try:
                ctx.api.call(events.delete(calendarId=calendar_id, eventId=event_id))
                ctx.count("events_deleted_in_google")
            except GoogleError as exc:
                if exc.kind not in ("gone", "not_found"):
                    raise
            store.drop_link(ctx.db, ctx.id, "event", link.remote_id)
        elif store.is_tombstone(link):
            store.drop_link(ctx.db, ctx.id, "event", link.remote_id)  # gone on both sides
        else:
            store.keep_apart(ctx.db, ctx.id, "event", link)
        ctx.commit()
