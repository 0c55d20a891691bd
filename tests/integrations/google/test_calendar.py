"""Meetings both ways with Google Calendar: events become activities that say they came
from Google, attendees map to contacts and users, time zones and all-day events hold,
a recurring series and its exceptions, Osprey's meetings go to the calendar, repeated
syncs and an expired sync token (410) duplicate nothing, and deletions."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from ..google_support import configure, connect, person, sync

OWNER = person("olga@osprey.test")
ADMIN = person("root@osprey.test", "admin")
OFF = {"direction": "off"}


def activities(crm) -> dict[str, dict]:
    page = crm("sales", "list_activities", {"limit": 500}, actor=ADMIN)
    return {a["title"]: a for a in page["items"]}


def test_events_and_meetings_round_trip_without_duplicates(crm, peer):
    carla = crm(
        "sales",
        "create_contact",
        {"full_name": "Carla Customer", "emails": [{"email": "carla@customer.test"}]},
        actor=OWNER,
    )
    colleague = crm(
        "identity",
        "create_user",
        {
            "email": "vera@osprey.test",
            "full_name": "Vera Colleague",
            "password": "Plover-Zebra-Quartz-91",
        },
        actor=ADMIN,
    )
    # 10:00 in New York on 15 January is 15:00 UTC
    peer.put_event(
        summary="Demo for Customer",
        description="Show the pipeline",
        start={"dateTime": "2027-01-15T10:00:00-05:00", "timeZone": "America/New_York"},
        end={"dateTime": "2027-01-15T11:00:00-05:00", "timeZone": "America/New_York"},
        attendees=[
            {"email": "carla@customer.test", "responseStatus": "accepted"},
            {"email": "Vera@Osprey.test", "responseStatus": "needsAction"},
            {"email": "room-1@resource.calendar.google.com", "resource": True},
        ],
        organizer={"email": peer.email, "self": True},
    )
    peer.put_event(summary="Trade fair", start={"date": "2027-02-01"}, end={"date": "2027-02-03"})
    series = peer.put_event(
        summary="Weekly sync",
        start={"dateTime": "2027-01-04T09:00:00+01:00", "timeZone": "Europe/Berlin"},
        end={"dateTime": "2027-01-04T09:30:00+01:00", "timeZone": "Europe/Berlin"},
        recurrence=["RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=10"],
    )
    # one occurrence moved (an exception), one cancelled
    peer.put_event(
        id=f"{series['id']}_20270111T080000Z",
        summary="Weekly sync (moved)",
        recurringEventId=series["id"],
        originalStartTime={"dateTime": "2027-01-11T09:00:00+01:00", "timeZone": "Europe/Berlin"},
        start={"dateTime": "2027-01-12T09:00:00+01:00", "timeZone": "Europe/Berlin"},
        end={"dateTime": "2027-01-12T09:30:00+01:00", "timeZone": "Europe/Berlin"},
    )
    peer.put_event(
        id=f"{series['id']}_20270118T080000Z",
        status="cancelled",
        recurringEventId=series["id"],
        originalStartTime={"dateTime": "2027-01-18T09:00:00+01:00", "timeZone": "Europe/Berlin"},
    )
    mine = crm(
        "sales",
        "create_activity",
        {
            "type": "meeting",
            "title": "Contract review",
            "start_at": "2027-01-20T13:00:00Z",
            "due_at": "2027-01-20T14:00:00Z",
            "participants": [{"type": "contact", "id": carla["id"]}],
        },
        actor=OWNER,
    )
    connection = connect(crm, peer, OWNER)
    configure(crm, connection, OWNER, contacts=OFF, mail={"enabled": False})
    first = sync(crm, connection, OWNER)
    assert first["last_error"] is None, first["last_error"]
    assert first["last_sync"]["events_imported"] == 4
    assert first["last_sync"]["events_exported"] == 1
    found = activities(crm)
    demo = found["Demo for Customer"]
    assert demo["type"] == "meeting" and demo["source"] == "google"
    assert demo["start_at"].startswith("2027-01-15T15:00:00")
    assert demo["due_at"].startswith("2027-01-15T16:00:00")
    assert demo["participants"] == [
        {"type": "contact", "id": carla["id"]},
        {"type": "user", "id": colleague["id"]},
    ]
    assert demo["owner_id"] == OWNER["id"] and demo["description"] == "Show the pipeline"
    # all-day in the calendar's zone (Europe/Berlin): midnight there
    assert found["Trade fair"]["start_at"].startswith("2027-01-31T23:00:00")
    assert "Weekly sync" in found and "Weekly sync (moved)" in found  # series + exception
    assert found["Contract review"]["source"] is None  # made in Osprey
    assert len(found) == 5
    exported = [e for e in peer.live_events() if e["summary"] == "Contract review"]
    assert len(exported) == 1
    assert exported[0]["start"] == {
        "dateTime": "2027-01-20T14:00:00+01:00",
        "timeZone": "Europe/Berlin",
    }
    assert exported[0]["attendees"] == [{"email": "carla@customer.test"}]

    again = sync(crm, connection, OWNER)["last_sync"]
    assert not again, again
    assert len(activities(crm)) == 5 and len(peer.live_events()) == 5

    # Osprey moves its meeting and renames Google's; both reach the calendar, in the
    # event's own time zone
    crm(
        "sales",
        "update_activity",
        mine["id"],
        {"start_at": "2027-01-20T15:00:00Z", "due_at": "2027-01-20T16:00:00Z"},
        actor=OWNER,
    )
    crm("sales", "update_activity", demo["id"], {"title": "Demo for Customer Inc"}, actor=OWNER)
    counts = sync(crm, connection, OWNER)["last_sync"]
    assert counts["events_exported"] == 2
    events = {e["summary"]: e for e in peer.live_events()}
    assert events["Contract review"]["start"]["dateTime"] == "2027-01-20T16:00:00+01:00"
    renamed = events["Demo for Customer Inc"]
    assert renamed["start"]["timeZone"] == "America/New_York"
    assert len(peer.live_events()) == 5

    # Google moves the demo; the activity follows
    peer.put_event(
        id=renamed["id"],
        start={"dateTime": "2027-01-15T12:00:00-05:00", "timeZone": "America/New_York"},
        end={"dateTime": "2027-01-15T13:00:00-05:00", "timeZone": "America/New_York"},
    )
    assert sync(crm, connection, OWNER)["last_sync"]["events_updated"] == 1
    moved = crm("sales", "get_activity", demo["id"], actor=OWNER)
    assert moved["start_at"].startswith("2027-01-15T17:00:00")

    # the sync token expired (410): a full list again, nothing duplicated either side
    peer.expire_sync_tokens()
    counts = sync(crm, connection, OWNER)["last_sync"]
    assert counts["calendar_full_resyncs"] == 1
    assert "events_imported" not in counts and "events_exported" not in counts
    assert len(activities(crm)) == 5 and len(peer.live_events()) == 5

    # cancelled in Google: with deletions propagated, the activity goes
    configure(crm, connection, OWNER, calendar={"deletions": "propagate"})
    peer.cancel_event("primary", renamed["id"])
    assert sync(crm, connection, OWNER)["last_sync"]["events_deleted"] == 1
    assert "Demo for Customer Inc" not in activities(crm)


def test_the_series_keeps_its_recurrence_and_notes_cancelled_occurrences(crm, peer, db_engine):
    from ..google_support import rows

    series = peer.put_event(
        summary="Standup",
        start={"dateTime": "2027-03-01T09:00:00", "timeZone": "Europe/Berlin"},
        end={"dateTime": "2027-03-01T09:15:00", "timeZone": "Europe/Berlin"},
        recurrence=["RRULE:FREQ=DAILY;COUNT=5"],
    )
    connection = connect(crm, peer, OWNER)
    configure(crm, connection, OWNER, contacts=OFF, mail={"enabled": False})
    sync(crm, connection, OWNER)
    peer.put_event(
        id=f"{series['id']}_20270302T080000Z",
        status="cancelled",
        recurringEventId=series["id"],
        originalStartTime={"dateTime": "2027-03-02T09:00:00", "timeZone": "Europe/Berlin"},
    )
    counts = sync(crm, connection, OWNER)["last_sync"]
    assert counts["occurrences_cancelled"] == 1
    (link,) = rows(db_engine, "SELECT data FROM google.links WHERE kind = 'event'")
    assert link.data["recurrence"] == ["RRULE:FREQ=DAILY;COUNT=5"]
    assert link.data["cancelled_occurrences"] == ["2027-03-02T08:00:00Z"]
    standup = activities(crm)["Standup"]
    start = standup["start_at"].replace("Z", "+00:00")
    from datetime import datetime

    local = datetime.fromisoformat(start).astimezone(ZoneInfo("Europe/Berlin"))
    assert (local.hour, local.minute) == (9, 0)
    # renamed in Osprey: the series is patched, its recurrence untouched
    crm("sales", "update_activity", standup["id"], {"title": "Daily standup"}, actor=OWNER)
    sync(crm, connection, OWNER)
    there = peer.event("primary", series["id"])
    assert there["summary"] == "Daily standup"
    assert there["recurrence"] == ["RRULE:FREQ=DAILY;COUNT=5"]


def test_a_change_to_one_instance_in_osprey_patches_that_instance_alone(crm, peer, db_engine):
    """A moved occurrence (an instance with ``recurringEventId``) is an activity of its
    own: changed in Osprey, the instance is patched by its instance id — its series,
    ``recurringEventId`` and ``originalStartTime`` untouched — and nothing is duplicated
    when it comes back; deleted in Osprey (deletions propagated) the instance alone is
    cancelled."""
    from ..conftest import wait_for
    from ..google_support import rows

    series = peer.put_event(
        summary="Weekly sync",
        start={"dateTime": "2027-01-04T09:00:00+01:00", "timeZone": "Europe/Berlin"},
        end={"dateTime": "2027-01-04T09:30:00+01:00", "timeZone": "Europe/Berlin"},
        recurrence=["RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=10"],
    )
    instance_id = f"{series['id']}_20270111T080000Z"
    original = {"dateTime": "2027-01-11T09:00:00+01:00", "timeZone": "Europe/Berlin"}
    peer.put_event(
        id=instance_id,
        summary="Weekly sync (moved)",
        recurringEventId=series["id"],
        originalStartTime=original,
        start={"dateTime": "2027-01-12T09:00:00+01:00", "timeZone": "Europe/Berlin"},
        end={"dateTime": "2027-01-12T09:30:00+01:00", "timeZone": "Europe/Berlin"},
    )
    connection = connect(crm, peer, OWNER)
    configure(crm, connection, OWNER, contacts=OFF, mail={"enabled": False})
    assert sync(crm, connection, OWNER)["last_sync"]["events_imported"] == 2
    moved = activities(crm)["Weekly sync (moved)"]
    assert moved["start_at"].startswith("2027-01-12T08:00:00")

    crm(
        "sales",
        "update_activity",
        moved["id"],
        {
            "title": "Weekly sync with finance",
            "start_at": "2027-01-13T08:00:00Z",
            "due_at": "2027-01-13T08:30:00Z",
        },
        actor=OWNER,
    )
    before = len(peer.requests)
    counts = sync(crm, connection, OWNER)["last_sync"]
    assert counts["events_exported"] == 1 and "events_imported" not in counts
    writes = [(m, p) for m, p in peer.requests[before:] if m != "GET"]
    assert writes == [("PATCH", f"/calendar/v3/calendars/primary/events/{instance_id}")]
    there = peer.event("primary", instance_id)
    assert there["summary"] == "Weekly sync with finance"
    assert there["start"] == {"dateTime": "2027-01-13T09:00:00+01:00", "timeZone": "Europe/Berlin"}
    assert there["recurringEventId"] == series["id"]
    assert there["originalStartTime"] == original
    untouched = peer.event("primary", series["id"])
    assert untouched["summary"] == "Weekly sync" and untouched["etag"] == series["etag"]
    assert untouched["recurrence"] == ["RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=10"]

    for _ in range(2):
        assert not sync(crm, connection, OWNER)["last_sync"]
    assert sorted(activities(crm)) == ["Weekly sync", "Weekly sync with finance"]
    assert len(peer.live_events()) == 2

    # deleted in Osprey, deletions propagated: that instance alone is cancelled
    configure(crm, connection, OWNER, calendar={"deletions": "propagate"})
    crm("sales", "delete_activity", moved["id"], actor=OWNER)
    wait_for(
        lambda: rows(db_engine, "SELECT 1 FROM google.links WHERE crm_deleted"),
        what="activity_deleted to reach the google service",
    )
    assert sync(crm, connection, OWNER)["last_sync"]["events_deleted_in_google"] == 1
    assert peer.event("primary", instance_id)["status"] == "cancelled"
    assert peer.event("primary", series["id"])["status"] == "confirmed"
    assert sorted(activities(crm)) == ["Weekly sync"]
    sync(crm, connection, OWNER)
    assert sorted(activities(crm)) == ["Weekly sync"] and len(peer.live_events()) == 1


def test_deletions_kept_apart_leave_each_side_its_copy_for_good(crm, peer, db_engine):
    """Deletions ``keep``: an event cancelled in Google stays in Osprey (and one made in
    Osprey too), a meeting deleted in Osprey stays in Google; later edits on the side
    that kept it bring none of them back to the side that deleted it."""
    from ..conftest import wait_for
    from ..google_support import rows

    def when(day: int, hour: int) -> dict[str, str]:
        at = f"2027-02-{day:02d}T{hour:02d}:00:00+01:00"
        return {"dateTime": at, "timeZone": "Europe/Berlin"}

    there = peer.put_event(summary="Cancelled there", start=when(1, 10), end=when(1, 11))
    peer.put_event(summary="Deleted here", start=when(2, 10), end=when(2, 11))
    mine = crm(
        "sales",
        "create_activity",
        {
            "type": "meeting",
            "title": "Made here, cancelled there",
            "start_at": "2027-02-03T09:00:00Z",
            "due_at": "2027-02-03T10:00:00Z",
        },
        actor=OWNER,
    )
    connection = connect(crm, peer, OWNER)
    configure(crm, connection, OWNER, contacts=OFF, mail={"enabled": False})
    sync(crm, connection, OWNER)
    found = activities(crm)
    assert set(found) == {"Cancelled there", "Deleted here", "Made here, cancelled there"}
    events = {e["summary"]: e for e in peer.live_events()}
    assert set(events) == set(found)

    peer.cancel_event("primary", there["id"])
    peer.cancel_event("primary", events["Made here, cancelled there"]["id"])
    crm("sales", "delete_activity", found["Deleted here"]["id"], actor=OWNER)
    wait_for(
        lambda: rows(db_engine, "SELECT 1 FROM google.links WHERE crm_deleted"),
        what="activity_deleted to reach the google service",
    )
    counts = sync(crm, connection, OWNER)["last_sync"]
    assert "events_deleted" not in counts and "events_deleted_in_google" not in counts
    assert set(activities(crm)) == {"Cancelled there", "Made here, cancelled there"}
    assert [e["summary"] for e in peer.live_events()] == ["Deleted here"]

    crm("sales", "update_activity", mine["id"], {"title": "Made here, edited"}, actor=OWNER)
    crm(
        "sales",
        "update_activity",
        found["Cancelled there"]["id"],
        {"description": "Held anyway"},
        actor=OWNER,
    )
    peer.put_event(id=events["Deleted here"]["id"], summary="Deleted here, edited there")
    for _ in range(2):
        counts = sync(crm, connection, OWNER)["last_sync"]
        assert not {"events_imported", "events_exported", "events_updated"} & set(counts), counts
    assert set(activities(crm)) == {"Cancelled there", "Made here, edited"}
    assert [e["summary"] for e in peer.live_events()] == ["Deleted here, edited there"]
