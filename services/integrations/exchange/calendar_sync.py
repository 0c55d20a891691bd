"""Meetings (the Calendar folder) and tasks (the Tasks folder) both ways with the CRM's
activities (``source`` ``exchange`` for what came from Exchange).

- A single meeting or a task is one activity; its fields merge as contacts' do (per
  field, last modified wins). Attendees and the organizer become the activity's
  participants (a CRM user, else a contact, with that address); the activity's
  participants are the meeting's attendees when it goes to Exchange (saved without
  sending invitations).
- A recurring series becomes one activity per occurrence within the connection's
  window (``past_days`` back, ``future_days`` ahead), keyed by the series' item and the
  occurrence's original start: occurrences keep their wall-clock time in the series'
  time zone, a moved occurrence comes at its new time (subject and notes). An
  occurrence's activity and the occurrence merge as a single meeting does (per field,
  last modified wins): a change made in the CRM is written to that occurrence alone —
  named by its ``OccurrenceItemId`` (the series and its instance index), or by its own
  item id once it is an exception — so Exchange keeps it as the series' exception and
  the round trip makes no second meeting. An occurrence cancelled on one side is
  deleted on the other with deletions ``mirror``; with ``keep`` the other side keeps
  it, unlinked (a tombstone link keeps a later change from putting it back on the
  side that deleted it). The series itself (its pattern, its other occurrences) is Exchange's.
- An activity made in Osprey (a meeting with a start and an end, or a task) by the
  connection's owner goes to Exchange once and is linked, so the round trip never
  makes a second one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from exchangelib import CalendarItem, Task

from services.platform.errors import NotFound

from . import domain, items, store
from .dependencies import MEETING_FIELDS, TASK_FIELDS
from .sync import (
    Context,
    addresses_of,
    apply_crm_deletions,
    changed_items,
    folder_pages,
    participant_for,
    request_key,
)

log = logging.getLogger(__name__)

#: what is read of one occurrence of a series
OCCURRENCE_FIELDS = ["subject", "text_body", "start", "end", "last_modified_time"]
TIMES = ("start_at", "due_at")


def _when(value: Any) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def sync_calendar(ctx: Context) -> None:
    _sync_folder(ctx, "calendar", "meeting")


def sync_tasks(ctx: Context) -> None:
    _sync_folder(ctx, "tasks", "task")


def _sync_folder(ctx: Context, key: str, kind: str) -> None:
    apply_crm_deletions(ctx, (kind,))

    def read() -> None:
        folder_pages(ctx, key, key, lambda page: _import_page(ctx, page, kind))

    read()
    written = ctx.result.meetings_out + ctx.result.tasks_out
    export_activities(ctx, kind)
    if ctx.result.meetings_out + ctx.result.tasks_out > written:
        # the folder once more past Osprey's own writes: Exchange reports an item to a
        # sync state taken before it was made, and one made and deleted in Outlook
        # before the next read would never be reported at all (nor its deletion)
        read()


def _import_page(ctx: Context, page: Any, kind: str) -> None:
    fields = MEETING_FIELDS if kind == "meeting" else TASK_FIELDS
    for item in ctx.ews.fetch(changed_items(ctx, kind, page.changes), fields):
        if kind == "meeting" and item.recurrence is not None:
            import_series(ctx, item)
        else:
            import_one(ctx, item, kind)
    for change in page.changes:
        if change.kind == "delete":
            for link in store.links_of_series(ctx.db, ctx.id, change.item_id):
                _forget(ctx, link, delete_crm=ctx.options.get("deletions") == "mirror")


def _remote_fields(item: Any, kind: str) -> dict[str, Any]:
    return items.meeting_fields(item) if kind == "meeting" else items.task_fields(item)


def _participants(ctx: Context, item: Any, kind: str) -> list[dict[str, str]] | None:
    if kind != "meeting":
        return None
    own = ctx.options.get("email")
    found = [participant_for(ctx, a) for a in items.attendees(item) if a != own]
    unique = {(p["type"], p["id"]): p for p in found if p is not None}
    return list(unique.values())


def _activity_data(fields: dict[str, Any], kind: str) -> dict[str, Any]:
    data = {k: v for k, v in fields.items() if k in domain.FIELDS[kind]}
    for name in ("start_at", "due_at"):
        if data.get(name) and len(data[name]) == 10:  # a task's day
            data[name] = f"{data[name]}T00:00:00Z"
    if "title" in data:
        data["title"] = (data["title"] or "(no subject)")[:300]
    return data


def import_one(ctx: Context, item: Any, kind: str) -> None:
    remote = _remote_fields(item, kind)
    link = store.link_of(ctx.db, ctx.id, kind, item.id)
    people = _participants(ctx, item, kind)
    if link is not None and link.snapshot.get("tombstone"):
        return
    if link is None:
        change_key, modified = item.changekey, items.modified_at(item)

        def created(activity: dict[str, Any]) -> None:
            store.save_link(
                ctx.db,
                ctx.id,
                kind,
                item.id,
                activity["id"],
                change_key=change_key,
                crm_version=activity["version"],
                remote_modified_at=modified,
                snapshot=domain.activity_fields(activity, kind),
            )
            _count_in(ctx, kind)

        _create_activity(ctx, kind, remote, people, f"{item.id}:{item.changekey}", created)
        return
    try:
        crm = ctx.remote.sales.get_activity(link.crm_id, actor=ctx.actor)
    except NotFound:
        if ctx.options.get("deletions") == "mirror":
            ctx.ews.delete(item)
            store.drop_link(ctx.db, ctx.id, kind, item.id)
            ctx.result.deleted += 1
        else:
            store.save_link(
                ctx.db, ctx.id, kind, item.id, link.crm_id, snapshot={"tombstone": True}
            )
        return
    _merge(ctx, item, kind, remote, crm, dict(link.snapshot), people)


def _create_activity(
    ctx: Context,
    kind: str,
    fields: dict[str, Any],
    people: list[dict[str, str]] | None,
    key: str,
    done: Callable[[dict[str, Any]], None],
) -> None:
    """Create the activity in the page's batch; ``done(activity)`` once sales answers."""
    data = {
        **_activity_data(fields, kind),
        "type": kind,
        "source": "exchange",
        "owner_id": ctx.connection["owner_id"],
    }
    if data.get("start_at") and data.get("due_at") and data["due_at"] < data["start_at"]:
        data["due_at"] = data["start_at"]
    if people:
        data["participants"] = people
    if kind == "meeting" and "status" not in data:
        data["status"] = "not_started"
    # a page read again after a crash gets the same activity back, not another (the
    # item's change key in the key: a later version that must be created again is new)
    operation = {
        "entity": "activity",
        "op": "create",
        "data": data,
        "idempotency_key": request_key(ctx, kind, key),
    }
    ctx.batch.add(operation, done)


def _merge(
    ctx: Context,
    item: Any,
    kind: str,
    remote: dict[str, Any],
    crm: dict[str, Any],
    snapshot: dict[str, Any] | None,
    people: list[dict[str, str]] | None,
) -> None:
    merged = domain.merge(
        domain.FIELDS[kind],
        snapshot,
        domain.activity_fields(crm, kind),
        remote,
        crm_modified_at=_when(crm.get("updated_at")),
        remote_modified_at=items.modified_at(item),
    )
    version = crm["version"]
    update = _activity_data(merged.to_crm, kind)
    remote_changed = snapshot is not None and any(
        remote.get(k) != snapshot.get(k) for k in domain.FIELDS[kind]
    )
    if people is not None and remote_changed:
        current = {(p["type"], p["id"]) for p in crm.get("participants") or []}
        if current != {(p["type"], p["id"]) for p in people}:
            update["participants"] = people
    completing = update.get("status") == "completed"
    if completing:
        del update["status"]  # completing is its own action (completed_at, the event)
    if update:
        updated = ctx.remote.sales.update_activity(crm["id"], update, actor=ctx.actor)
        version = updated["version"]
        _count_in(ctx, kind)
    if completing:
        updated = ctx.remote.sales.complete_activity(crm["id"], None, actor=ctx.actor)
        version = updated["version"]
        _count_in(ctx, kind)
    change_key = item.changekey
    if merged.to_remote:
        if kind == "meeting":
            invitees = addresses_of(ctx, crm.get("participants") or [])
            changed = items.apply_meeting(item, merged.to_remote, items.zone_of(item), invitees)
        else:
            changed = items.apply_task(item, merged.to_remote)
        saved = ctx.ews.save(item, changed)
        change_key = getattr(saved, "changekey", None) or change_key
        _count_out(ctx, kind)
    store.log_conflicts(ctx.db, ctx.id, kind, crm["id"], item.id, merged.conflicts)
    ctx.result.conflicts += len(merged.conflicts)
    store.save_link(
        ctx.db,
        ctx.id,
        kind,
        item.id,
        crm["id"],
        change_key=change_key,
        crm_version=version,
        remote_modified_at=items.modified_at(item),
        snapshot=merged.snapshot,
    )


def import_series(ctx: Context, item: Any) -> None:
    """One activity per occurrence of a recurring meeting inside the window."""
    now = datetime.now(UTC)
    window = (
        now - timedelta(days=ctx.options.get("past_days", 30)),
        now + timedelta(days=ctx.options.get("future_days", 180)),
    )
    base = items.meeting_fields(item)
    start, end = _when(base["start_at"]), _when(base["due_at"])
    if start is None or end is None:
        return
    deleted, moved, moved_ids = items.changed_occurrences(item)
    moved_items = {o.id: o for o in ctx.ews.fetch(list(moved_ids.values()), OCCURRENCE_FIELDS)}
    people = _participants(ctx, item, "meeting")
    links = {link.occurrence: link for link in store.links_of_series(ctx.db, ctx.id, item.id)}
    occurrences = list(
        domain.occurrences(
            items.recurrence(item) or {},
            start,
            end - start,
            items.zone_of(item),
            window=window,
            deleted=deleted,
            modified=moved,
        )
    )
    # the linked occurrences' activities in one sales call, not one each
    crm = activities_of(
        ctx,
        [
            links[key].crm_id
            for key, _, _ in occurrences
            if key in links and not links[key].snapshot.get("tombstone")
        ],
    )
    kept: set[str] = set()
    for key, begin, finish in occurrences:
        kept.add(key)
        fields = {
            "title": base["title"],
            "start_at": domain.iso(begin),
            "due_at": domain.iso(finish),
            "description": base["description"],
        }
        modified = items.modified_at(item)
        exception = moved_items.get(moved_ids.get(key, ""))
        if exception is not None:
            # an exception keeps its own subject and notes
            fields = {**items.meeting_fields(exception), **{k: fields[k] for k in TIMES}}
            modified = items.modified_at(exception) or modified
        link = links.get(key)
        found = crm.get(link.crm_id) if link is not None else None
        _import_occurrence(ctx, item, key, fields, people, modified, link, found)
    mirror = ctx.options.get("deletions") == "mirror"
    for link in links.values():  # those made meanwhile are kept
        if link.occurrence and link.occurrence not in kept:
            # cancelled (deleted in the CRM as the user chose), or the series changed:
            # that meeting will not take place; one that left the window into the past
            # stays as history
            start_of = _when(link.occurrence)
            if link.occurrence in deleted:
                _forget(ctx, link, delete_crm=mirror)
            elif start_of and start_of >= window[0]:
                _forget(ctx, link, delete_crm=True)
        elif not link.occurrence:
            # it was a single meeting before it became a series
            _forget(ctx, link, delete_crm=True)


def activities_of(ctx: Context, crm_ids: list[str]) -> dict[str, dict[str, Any] | None]:
    """These activities by id, asked in one ``sales.batch`` (of at most its size); None
    for one gone (or no longer the owner's to read)."""
    found: dict[str, dict[str, Any] | None] = {}

    def done(crm_id: str) -> Callable[[dict[str, Any]], None]:
        return lambda activity: found.__setitem__(crm_id, activity)

    def refused(crm_id: str) -> Callable[[Exception], bool]:
        def gone(error: Exception) -> bool:
            if isinstance(error, NotFound):
                found[crm_id] = None
                return True
            return False

        return gone

    for crm_id in dict.fromkeys(crm_ids):
        operation = {"entity": "activity", "op": "get", "id": crm_id}
        ctx.batch.add(operation, done(crm_id), refused(crm_id))
    ctx.batch.flush()
    return found


def _import_occurrence(
    ctx: Context,
    item: Any,
    key: str,
    fields: dict[str, Any],
    people: list[dict[str, str]] | None,
    modified: datetime | None,
    link: Any,
    crm: dict[str, Any] | None,
) -> None:
    """One occurrence: created, or merged with its linked activity (``crm``, read for
    the whole series at once; None when it is gone)."""
    if link is not None and link.snapshot.get("tombstone"):
        return
    if link is not None and crm is None:
        store.save_link(
            ctx.db, ctx.id, "meeting", item.id, link.crm_id, occurrence=key,
            snapshot={"tombstone": True},
        )  # fmt: skip
        return
    if crm is None:
        change_key = item.changekey

        def created(activity: dict[str, Any]) -> None:
            store.save_link(
                ctx.db,
                ctx.id,
                "meeting",
                item.id,
                activity["id"],
                occurrence=key,
                change_key=change_key,
                crm_version=activity["version"],
                remote_modified_at=modified,
                snapshot=fields,
            )
            ctx.result.meetings_in += 1

        request = f"{item.id}:{item.changekey}:{key}"
        _create_activity(ctx, "meeting", fields, people, request, created)
        return
    _merge_occurrence(ctx, item, link, crm, fields, modified)


def _merge_occurrence(
    ctx: Context,
    master: Any,
    link: Any,
    crm: dict[str, Any],
    remote: dict[str, Any],
    modified: datetime | None,
) -> None:
    """An occurrence and its activity, merged as a single meeting is: the CRM's changes
    go to that occurrence alone (it becomes the series' exception), Exchange's to the
    activity."""
    merged = domain.merge(
        domain.MEETING_FIELDS,
        dict(link.snapshot),
        domain.activity_fields(crm, "meeting"),
        remote,
        crm_modified_at=_when(crm.get("updated_at")),
        remote_modified_at=modified,
    )
    version = crm["version"]
    update = _activity_data(merged.to_crm, "meeting")
    if update:
        if update.keys() & set(TIMES):  # times move together (due ≥ start is checked)
            for name in TIMES:
                update.setdefault(name, merged.snapshot.get(name))
        version = ctx.remote.sales.update_activity(crm["id"], update, actor=ctx.actor)["version"]
        ctx.result.meetings_in += 1
    if merged.to_remote:
        occurrence = _occurrence(ctx, master, link.occurrence)
        if occurrence is None:
            return  # cancelled meanwhile: the series' next sync says so
        changed = items.apply_meeting(occurrence, merged.to_remote, items.zone_of(master), None)
        ctx.ews.save(occurrence, changed)
        ctx.result.meetings_out += 1
    store.log_conflicts(
        ctx.db, ctx.id, "meeting", crm["id"], f"{master.id}#{link.occurrence}", merged.conflicts
    )
    ctx.result.conflicts += len(merged.conflicts)
    store.save_link(
        ctx.db,
        ctx.id,
        "meeting",
        master.id,
        crm["id"],
        occurrence=link.occurrence,
        change_key=master.changekey,
        crm_version=version,
        remote_modified_at=modified,
        snapshot=merged.snapshot,
    )


def _occurrence(ctx: Context, master: Any, key: str) -> Any | None:
    """One occurrence of a series (the item Exchange answers for it), by its original
    start: an exception by its own id, any other by its instance index."""
    _deleted, _moved, moved_ids = items.changed_occurrences(master)
    if key in moved_ids:
        found = ctx.ews.fetch([moved_ids[key]], OCCURRENCE_FIELDS)
        return found[0] if found else None
    start = _when(items.meeting_fields(master)["start_at"])
    pattern = items.recurrence(master)
    if start is None or pattern is None:
        return None
    index = domain.instance_index(pattern, start, items.zone_of(master), key)
    if index is None:
        return None
    return ctx.ews.fetch_occurrence(master.id, master.changekey, index, OCCURRENCE_FIELDS)


def export_occurrence(ctx: Context, link: Any, activity: dict[str, Any]) -> None:
    """An occurrence's activity changed in the CRM: the change goes to that occurrence."""
    found = ctx.ews.fetch([link.remote_id], MEETING_FIELDS)
    if not found or found[0].recurrence is None:
        return  # the series is gone or no longer one: its next import says so
    master = found[0]
    occurrence = _occurrence(ctx, master, link.occurrence)
    if occurrence is None:
        return  # cancelled in Exchange: the series' next import says so
    remote = items.meeting_fields(occurrence)
    _merge_occurrence(ctx, master, link, activity, remote, items.modified_at(occurrence))
    ctx.db.commit()


def delete_occurrence(ctx: Context, link: Any) -> None:
    """An occurrence's activity was deleted in the CRM (deletions ``mirror``): the
    occurrence is cancelled in Exchange, the rest of the series stays."""
    found = ctx.ews.fetch([link.remote_id], MEETING_FIELDS)
    if found and found[0].recurrence is not None:
        occurrence = _occurrence(ctx, found[0], link.occurrence)
        if occurrence is not None:
            ctx.ews.delete(occurrence)
            ctx.result.deleted += 1


def _forget(ctx: Context, link: Any, *, delete_crm: bool) -> None:
    """The Exchange side is gone: the activity too (``delete_crm``), else the activity
    stays with a tombstone link, so a later change in the CRM does not put it back into
    Exchange."""
    if not delete_crm:
        if not link.snapshot.get("tombstone"):
            store.save_link(
                ctx.db, ctx.id, link.kind, link.remote_id, link.crm_id,
                occurrence=link.occurrence, snapshot={"tombstone": True},
            )  # fmt: skip
        return
    store.drop_link(ctx.db, ctx.id, link.kind, link.remote_id, link.occurrence)
    if not link.snapshot.get("tombstone"):
        try:
            ctx.remote.sales.delete_activity(link.crm_id, actor=ctx.actor)
            ctx.result.deleted += 1
        except NotFound:
            pass


def _count_in(ctx: Context, kind: str) -> None:
    if kind == "meeting":
        ctx.result.meetings_in += 1
    else:
        ctx.result.tasks_in += 1


def _count_out(ctx: Context, kind: str) -> None:
    if kind == "meeting":
        ctx.result.meetings_out += 1
    else:
        ctx.result.tasks_out += 1


def export_activities(ctx: Context, kind: str) -> None:
    """The owner's activities of this kind changed since the last export."""
    cursor_key = f"crm:{kind}s"
    while ctx.keep_going():
        since = ctx.cursor(cursor_key).get("since")
        query: dict[str, Any] = {
            "sort": "updated_at",
            "limit": ctx.settings.page_size,
            "filter": {"type": [kind], "owner_id": [ctx.connection["owner_id"]]},
        }
        if since:
            query["filter"]["updated_at"] = [f"{since}.."]
        page = ctx.remote.sales.list_activities(query, actor=ctx.actor)
        rows = page["items"]
        for activity in rows:
            export_activity(ctx, activity, kind)
        newest = rows[-1]["updated_at"] if rows else since
        if newest != since:  # nothing changed since: the cursor stays as it is
            ctx.save_cursor(cursor_key, {"since": newest})
        ctx.db.commit()
        if len(rows) < query["limit"] or newest == since:
            return


def export_activity(ctx: Context, activity: dict[str, Any], kind: str) -> None:
    link = store.link_by_crm(ctx.db, ctx.id, activity["id"])
    if link is not None:
        if link.snapshot.get("tombstone") or link.crm_version == activity["version"]:
            return  # our own write coming back
        if link.occurrence:
            export_occurrence(ctx, link, activity)
            return
        fields = MEETING_FIELDS if kind == "meeting" else TASK_FIELDS
        found = ctx.ews.fetch([link.remote_id], fields)
        if not found:
            return
        item = found[0]
        people = _participants(ctx, item, kind)
        remote = _remote_fields(item, kind)
        _merge(ctx, item, kind, remote, activity, dict(link.snapshot), people)
        return
    if activity.get("source") == "exchange":
        return  # came from another Exchange connection, which keeps it
    fields = domain.activity_fields(activity, kind)
    if kind == "meeting":
        if not (fields["start_at"] and fields["due_at"]):
            return  # a meeting without a time has no place in a calendar
        item = CalendarItem(account=ctx.ews.account, folder=ctx.ews.folder("calendar"))
        invitees = addresses_of(ctx, activity.get("participants") or [])
        items.apply_meeting(item, fields, None, invitees)
    else:
        item = Task(account=ctx.ews.account, folder=ctx.ews.folder("tasks"))
        items.apply_task(item, fields)
    saved = ctx.ews.save(item)
    store.save_link(
        ctx.db,
        ctx.id,
        kind,
        saved.id,
        activity["id"],
        change_key=saved.changekey,
        crm_version=activity["version"],
        snapshot=fields,
    )
    ctx.db.commit()  # the item exists in Exchange now: its link must not wait for the page
    _count_out(ctx, kind)
