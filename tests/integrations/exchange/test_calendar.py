"""Meetings and tasks both ways between Exchange and the CRM's activities, through the
real exchangelib and the real sales and identity services: attendees mapped to contacts
and users, a recurring series with a moved and a deleted occurrence in its own time
zone across daylight saving, activities saying they came from Exchange, and no meeting
or task duplicated by round trips."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from services.platform.access import Actor

from ..conftest import call, wait_for
from .conftest import connect, sync

SYSTEM = Actor.system().to_dict()

#: a weekly Monday 09:00 Berlin meeting, 1 March – 12 April 2027 (Europe moves to
#: summer time on 28 March: 08:00 UTC before, 07:00 UTC after), as EWS shows it
SERIES = {
    "ItemClass": "IPM.Appointment",
    "Subject": "Weekly pipeline review",
    "Start": "2027-03-01T08:00:00Z",
    "End": "2027-03-01T09:00:00Z",
    "IsAllDayEvent": "false",
    "LegacyFreeBusyStatus": "Busy",
    "Location": "Room 4",
    "CalendarItemType": "RecurringMaster",
    "Organizer": "<t:Mailbox><t:Name>Maria</t:Name>"
    "<t:EmailAddress>maria@contoso.test</t:EmailAddress>"
    "<t:RoutingType>SMTP</t:RoutingType></t:Mailbox>",
    "RequiredAttendees": "<t:Attendee><t:Mailbox><t:Name>Dana Buyer</t:Name>"
    "<t:EmailAddress>dana@buyer.test</t:EmailAddress><t:RoutingType>SMTP</t:RoutingType>"
    "</t:Mailbox><t:ResponseType>Accept</t:ResponseType></t:Attendee>",
    "Recurrence": "<t:WeeklyRecurrence><t:Interval>1</t:Interval>"
    "<t:DaysOfWeek>Monday</t:DaysOfWeek><t:FirstDayOfWeek>Monday</t:FirstDayOfWeek>"
    "</t:WeeklyRecurrence><t:EndDateRecurrence><t:StartDate>2027-03-01</t:StartDate>"
    "<t:EndDate>2027-04-12</t:EndDate></t:EndDateRecurrence>",
    "StartTimeZone": '<t:Periods><t:Period Bias="-PT1H" Name="Standard" Id="std"/></t:Periods>',
}


def activities(stack, actor, kind="meeting") -> list[dict]:
    query = {"limit": 200, "sort": "start_at", "filter": {"type": [kind]}}
    return call(stack["sales"], "list_activities", query, actor=actor)["items"]


def put_series(ews):
    mailbox = ews.mailbox
    series = mailbox.put("calendar", SERIES)
    # Exchange names the zone by its Windows id on the element itself
    series.props["StartTimeZone"].set("Id", "W. Europe Standard Time")
    series.props["StartTimeZone"].set("Name", "(UTC+01:00) Amsterdam, Berlin, Rome")
    moved = mailbox.put(
        "calendar",
        {
            "ItemClass": "IPM.Appointment",
            "Subject": "Pipeline review (moved)",
            "Start": "2027-03-23T10:00:00Z",
            "End": "2027-03-23T11:00:00Z",
            "CalendarItemType": "Exception",
        },
    )
    # an exception is no item of the folder's own: GetItem finds it by the id the
    # master lists
    mailbox.items.pop(moved.id)
    mailbox.folder("calendar").log.pop()
    ews.occurrences[moved.id] = moved
    mailbox.put(
        "calendar",
        {
            "ModifiedOccurrences": f'<t:Occurrence><t:ItemId Id="{moved.id}" ChangeKey="CK1"/>'
            "<t:Start>2027-03-23T10:00:00Z</t:Start><t:End>2027-03-23T11:00:00Z</t:End>"
            "<t:OriginalStart>2027-03-22T08:00:00Z</t:OriginalStart></t:Occurrence>",
            "DeletedOccurrences": "<t:DeletedOccurrence><t:Start>2027-03-15T08:00:00Z"
            "</t:Start></t:DeletedOccurrence>",
        },
        item_id=series.id,
    )
    return series


def test_a_recurring_meeting_becomes_its_occurrences_in_its_time_zone(stack, ews, db_engine):
    sales, owner = stack["sales"], stack["owner"]
    dana = call(
        sales,
        "create_contact",
        {"full_name": "Dana Buyer", "emails": [{"email": "dana@buyer.test"}]},
        actor=owner,
    )
    put_series(ews)
    connection = connect(
        stack,
        ews,
        sync_mail=False,
        import_contacts=False,
        export_contacts="none",
        sync_tasks=False,
        past_days=3660,
        future_days=3660,
    )
    sync(stack, connection["id"])
    found = activities(stack, owner)
    assert [(a["title"], a["start_at"]) for a in found] == [
        ("Weekly pipeline review", "2027-03-01T08:00:00Z"),
        ("Weekly pipeline review", "2027-03-08T08:00:00Z"),
        ("Pipeline review (moved)", "2027-03-23T10:00:00Z"),
        # summer time: still 09:00 in Berlin
        ("Weekly pipeline review", "2027-03-29T07:00:00Z"),
        ("Weekly pipeline review", "2027-04-05T07:00:00Z"),
        ("Weekly pipeline review", "2027-04-12T07:00:00Z"),
    ]
    assert all(a["source"] == "exchange" and a["owner_id"] == owner["id"] for a in found)
    assert {"type": "contact", "id": dana["id"]} in found[0]["participants"]

    # again and again: no duplicates, in the CRM or in Exchange
    for _ in range(2):
        again = sync(stack, connection["id"])["last_sync"]
        assert again["meetings_in"] == again["meetings_out"] == 0
    assert len(activities(stack, owner)) == 6
    assert sum(1 for i in ews.mailbox.items.values() if i.tag == "CalendarItem") == 1

    # the links and cursors of that sync lost (a crash before they committed): reading
    # the calendar again creates nothing twice (each create carries an idempotency key)
    with db_engine.begin() as conn:
        for table in ("item_links", "cursors"):
            conn.execute(
                sa.text(f"DELETE FROM exchange.{table} WHERE connection_id = :id"),
                {"id": connection["id"]},
            )
    sync(stack, connection["id"])
    assert len(activities(stack, owner)) == 6


def test_meetings_and_tasks_made_on_either_side_go_round_once(stack, ews):
    sales, identity, owner = stack["sales"], stack["identity"], stack["owner"]
    ivan = call(
        identity,
        "create_user",
        {"email": "ivan@contoso.test", "full_name": "Ivan Petrov", "password": "Kx9!vorpal-1"},
        actor=SYSTEM,
    )
    dana = call(
        sales,
        "create_contact",
        {"full_name": "Dana Buyer", "emails": [{"email": "dana@buyer.test"}]},
        actor=owner,
    )
    ews.mailbox.put(
        "calendar",
        {
            "ItemClass": "IPM.Appointment",
            "Subject": "Demo at Buyer Ltd",
            "Start": "2027-01-12T13:00:00Z",
            "End": "2027-01-12T14:30:00Z",
            "CalendarItemType": "Single",
            "RequiredAttendees": "<t:Attendee><t:Mailbox><t:EmailAddress>ivan@contoso.test"
            "</t:EmailAddress></t:Mailbox></t:Attendee>"
            "<t:Attendee><t:Mailbox><t:EmailAddress>stranger@else.test</t:EmailAddress>"
            "</t:Mailbox></t:Attendee>",
        },
    )
    ews.mailbox.put(
        "tasks",
        {
            "ItemClass": "IPM.Task",
            "Subject": "Send the price list",
            "DueDate": "2027-01-10T17:00:00Z",
            "Status": "InProgress",
        },
    )
    made_here = call(
        sales,
        "create_activity",
        {
            "type": "meeting",
            "title": "Contract signing",
            "start_at": "2027-01-20T10:00:00Z",
            "due_at": "2027-01-20T11:00:00Z",
            "participants": [{"type": "contact", "id": dana["id"]}],
        },
        actor=owner,
    )
    task_here = call(
        sales,
        "create_activity",
        {"type": "task", "title": "Call back Dana", "due_at": "2027-01-15T09:00:00Z"},
        actor=owner,
    )
    connection = connect(stack, ews, sync_mail=False, import_contacts=False, export_contacts="none")
    first = sync(stack, connection["id"])["last_sync"]
    assert first["meetings_in"] == 1 and first["meetings_out"] == 1
    assert first["tasks_in"] == 1 and first["tasks_out"] == 1

    demo = next(a for a in activities(stack, owner) if a["title"] == "Demo at Buyer Ltd")
    assert demo["source"] == "exchange" and demo["due_at"] == "2027-01-12T14:30:00Z"
    assert demo["participants"] == [{"type": "user", "id": ivan["id"]}]
    task = next(a for a in activities(stack, owner, "task") if a["source"] == "exchange")
    assert task["title"] == "Send the price list" and task["status"] == "in_progress"

    calendar = {
        i.props["Subject"].text: i for i in ews.mailbox.items.values() if i.tag == "CalendarItem"
    }
    signing = calendar["Contract signing"]
    assert signing.props["Start"].text == "2027-01-20T10:00:00Z"
    assert "dana@buyer.test" in signing.props["RequiredAttendees"].findtext(".//{*}EmailAddress")
    tasks = {i.props["Subject"].text: i for i in ews.mailbox.items.values() if i.tag == "Task"}
    # Exchange tasks are due on a day
    assert tasks["Call back Dana"].props["DueDate"].text.startswith("2027-01-15")

    # changes go across: the CRM renames its meeting and completes its task, Outlook
    # moves the demo
    call(sales, "update_activity", made_here["id"], {"title": "Contract signing (final)"}, owner)
    call(sales, "complete_activity", task_here["id"], None, owner)
    demo_item = calendar["Demo at Buyer Ltd"]
    ews.mailbox.put(
        "calendar",
        {"Start": "2027-01-13T13:00:00Z", "End": "2027-01-13T14:00:00Z"},
        item_id=demo_item.id,
    )
    sync(stack, connection["id"])
    assert signing.props["Subject"].text == "Contract signing (final)"
    assert tasks["Call back Dana"].props["Status"].text == "Completed"
    demo = call(sales, "get_activity", demo["id"], actor=owner)
    assert (demo["start_at"], demo["due_at"]) == ("2027-01-13T13:00:00Z", "2027-01-13T14:00:00Z")

    # Outlook completes the task that came from it: the CRM completes it too
    ews.mailbox.put(
        "tasks",
        {"Status": "Completed", "PercentComplete": "100"},
        item_id=tasks["Send the price list"].id,
    )
    sync(stack, connection["id"])
    done = call(sales, "get_activity", task["id"], actor=owner)
    assert done["status"] == "completed" and done["completed_at"]

    for _ in range(2):
        again = sync(stack, connection["id"])["last_sync"]
        assert again["meetings_in"] + again["meetings_out"] == 0
        assert again["tasks_in"] + again["tasks_out"] == 0
    assert len(activities(stack, owner)) == 2 and len(activities(stack, owner, "task")) == 2
    assert sum(1 for i in ews.mailbox.items.values() if i.tag == "CalendarItem") == 2
    assert sum(1 for i in ews.mailbox.items.values() if i.tag == "Task") == 2


def _master(ews):
    (master,) = [i for i in ews.mailbox.items.values() if i.tag == "CalendarItem"]
    return master


def _exceptions(master) -> dict[str, tuple[str, str]]:
    """The master's ModifiedOccurrences: original start → (item id, start)."""
    listed = master.props.get("ModifiedOccurrences")
    return {
        o.findtext("{*}OriginalStart"): (o.find("{*}ItemId").get("Id"), o.findtext("{*}Start"))
        for o in (listed if listed is not None else [])
    }


def test_a_change_to_one_occurrence_in_the_crm_becomes_its_exception_in_exchange(
    stack, ews, db_engine
):
    import base64

    from ..ews_peer_occurrences import edit_exception

    sales, exchange, owner = stack["sales"], stack["exchange"], stack["owner"]
    put_series(ews)
    connection = connect(
        stack,
        ews,
        sync_mail=False,
        import_contacts=False,
        export_contacts="none",
        sync_tasks=False,
        past_days=3660,
        future_days=3660,
    )
    sync(stack, connection["id"])
    by_start = {a["start_at"]: a for a in activities(stack, owner)}
    assert len(by_start) == 6
    master = _master(ews)
    (moved_id, _) = _exceptions(master)["2027-03-22T08:00:00Z"]

    # the CRM moves the second meeting (8 March, untouched in Exchange) by a day and
    # renames it, and adds notes to the one Outlook had moved already
    second = by_start["2027-03-08T08:00:00Z"]
    call(
        sales,
        "update_activity",
        second["id"],
        {
            "title": "Pipeline review with legal",
            "start_at": "2027-03-09T08:00:00Z",
            "due_at": "2027-03-09T09:00:00Z",
        },
        owner,
    )
    moved = by_start["2027-03-23T10:00:00Z"]
    call(sales, "update_activity", moved["id"], {"description": "Bring the forecast"}, owner)
    before = len(ews.requests)
    written = sync(stack, connection["id"])["last_sync"]
    assert written["meetings_out"] == 2 and written["meetings_in"] == 0
    assert "UpdateItem" in ews.requests[before:] and "CreateItem" not in ews.requests[before:]

    # Exchange holds one series still, with the 8 March meeting now its exception,
    # named by the id EWS gave the series' second occurrence
    master = _master(ews)
    assert master.props["Subject"].text == "Weekly pipeline review"
    exceptions = _exceptions(master)
    assert set(exceptions) == {"2027-03-08T08:00:00Z", "2027-03-22T08:00:00Z"}
    new_id, new_start = exceptions["2027-03-08T08:00:00Z"]
    assert new_start == "2027-03-09T08:00:00Z"
    assert base64.b64decode(new_id).decode() == f"O|{master.id}|2"
    exception = ews.occurrences[new_id]
    assert exception.props["Subject"].text == "Pipeline review with legal"
    assert exception.props["CalendarItemType"].text == "Exception"
    assert (exception.props["Start"].text, exception.props["End"].text) == (
        "2027-03-09T08:00:00Z",
        "2027-03-09T09:00:00Z",
    )
    assert "Bring the forecast" in etree_text(ews.occurrences[moved_id].props["Body"])

    # the series comes back changed (its master was): nothing duplicated, nothing undone
    for _ in range(2):
        again = sync(stack, connection["id"])["last_sync"]
        assert again["meetings_in"] == again["meetings_out"] == 0, again
    found = activities(stack, owner)
    assert len(found) == 6
    assert [(a["title"], a["start_at"]) for a in found][:3] == [
        ("Weekly pipeline review", "2027-03-01T08:00:00Z"),
        ("Pipeline review with legal", "2027-03-09T08:00:00Z"),
        ("Pipeline review (moved)", "2027-03-23T10:00:00Z"),
    ]
    assert call(sales, "get_activity", moved["id"], actor=owner)["description"] == (
        "Bring the forecast"
    )
    assert len([i for i in ews.mailbox.items.values() if i.tag == "CalendarItem"]) == 1

    # Outlook renames that exception: the activity follows
    edit_exception(ews, new_id, {"Subject": "Legal review"})
    changed = sync(stack, connection["id"])["last_sync"]
    assert changed["meetings_in"] == 1 and changed["meetings_out"] == 0
    assert call(sales, "get_activity", second["id"], actor=owner)["title"] == "Legal review"

    # deletions mirror: an occurrence deleted in the CRM is cancelled in Exchange alone
    call(exchange, "update_exchange_connection", connection["id"], {"deletions": "mirror"}, owner)
    last = by_start["2027-04-12T07:00:00Z"]
    call(sales, "delete_activity", last["id"], actor=owner)

    def marked():
        with db_engine.connect() as conn:
            return conn.execute(
                sa.text(
                    "SELECT count(*) FROM exchange.item_links"
                    " WHERE crm_id = :id AND snapshot ? 'crm_deleted'"
                ),
                {"id": last["id"]},
            ).scalar()

    wait_for(marked, what="activity_deleted to reach the exchange service")
    sync(stack, connection["id"])
    cancelled = _master(ews).props["DeletedOccurrences"]
    assert {d.findtext("{*}Start") for d in cancelled} == {
        "2027-03-15T08:00:00Z",
        "2027-04-12T07:00:00Z",
    }
    # … and one cancelled in Outlook leaves the CRM
    ews.mailbox.put(
        "calendar",
        {"DeletedOccurrences": etree_with(cancelled, "2027-04-05T07:00:00Z")},
        item_id=_master(ews).id,
    )
    sync(stack, connection["id"])
    starts = [a["start_at"] for a in activities(stack, owner)]
    assert starts == [
        "2027-03-01T08:00:00Z",
        "2027-03-09T08:00:00Z",
        "2027-03-23T10:00:00Z",
        "2027-03-29T07:00:00Z",
    ]
    for _ in range(2):
        again = sync(stack, connection["id"])["last_sync"]
        assert again["meetings_in"] + again["meetings_out"] + again["deleted"] == 0, again
    assert len(activities(stack, owner)) == 4
    assert len([i for i in ews.mailbox.items.values() if i.tag == "CalendarItem"]) == 1


def test_an_occurrence_cancelled_in_outlook_stays_in_the_crm_with_deletions_kept(stack, ews):
    owner = stack["owner"]
    series = put_series(ews)
    connection = connect(
        stack,
        ews,
        sync_mail=False,
        import_contacts=False,
        export_contacts="none",
        sync_tasks=False,
        past_days=3660,
        future_days=3660,
    )
    sync(stack, connection["id"])
    ews.mailbox.put(
        "calendar",
        {
            "DeletedOccurrences": etree_with(
                series.props["DeletedOccurrences"], "2027-03-01T08:00:00Z"
            )
        },
        item_id=series.id,
    )
    sync(stack, connection["id"])
    found = activities(stack, owner)
    assert len(found) == 6 and found[0]["start_at"] == "2027-03-01T08:00:00Z"
    # unlinked: a change to it in the CRM goes nowhere, and nothing comes twice
    call(stack["sales"], "update_activity", found[0]["id"], {"title": "Held anyway"}, owner)
    for _ in range(2):
        again = sync(stack, connection["id"])["last_sync"]
        assert again["meetings_in"] + again["meetings_out"] == 0, again
    assert len(activities(stack, owner)) == 6
    assert series.props["Subject"].text == "Weekly pipeline review"
    assert set(_exceptions(series)) == {"2027-03-22T08:00:00Z"}  # Outlook's own, only


def etree_text(element) -> str:
    return "".join(element.itertext())


def etree_with(collection, start: str):
    """A copy of a series' DeletedOccurrences with the occurrence of ``start`` added, as
    Outlook cancels one."""
    from lxml import etree

    from ..ews_peer import T

    copied = etree.fromstring(etree.tostring(collection))
    entry = etree.SubElement(copied, f"{{{T}}}DeletedOccurrence")
    etree.SubElement(entry, f"{{{T}}}Start").text = start
    return copied


@pytest.mark.parametrize("deletions", ["mirror", "keep"])
def test_meetings_and_tasks_deleted_on_either_side_as_the_user_chose(
    stack, ews, db_engine, deletions
):
    sales, owner = stack["sales"], stack["owner"]
    for subject in ("Gone There", "Made There"):
        ews.mailbox.put(
            "calendar",
            {
                "ItemClass": "IPM.Appointment",
                "Subject": subject,
                "Start": "2027-02-01T10:00:00Z",
                "End": "2027-02-01T11:00:00Z",
                "CalendarItemType": "Single",
            },
        )
    ews.mailbox.put("tasks", {"ItemClass": "IPM.Task", "Subject": "Task There"})
    for title in ("Gone Here", "Made Here"):
        call(
            sales,
            "create_activity",
            {
                "type": "meeting",
                "title": title,
                "start_at": "2027-02-02T10:00:00Z",
                "due_at": "2027-02-02T11:00:00Z",
            },
            actor=owner,
        )
    call(sales, "create_activity", {"type": "task", "title": "Task Here"}, actor=owner)
    connection = connect(
        stack,
        ews,
        sync_mail=False,
        import_contacts=False,
        export_contacts="none",
        deletions=deletions,
    )
    sync(stack, connection["id"])

    def crm_titles() -> set[str]:
        return {a["title"] for kind in ("meeting", "task") for a in activities(stack, owner, kind)}

    def remote() -> dict[str, object]:
        return {i.props["Subject"].text: i for i in ews.mailbox.items.values()}

    assert crm_titles() == set(remote()) == {
        "Gone There", "Made There", "Task There", "Gone Here", "Made Here", "Task Here"
    }  # fmt: skip
    crm = {a["title"]: a for k in ("meeting", "task") for a in activities(stack, owner, k)}
    # Outlook deletes one of its meetings, its task and a meeting made in Osprey; Osprey
    # deletes one of its meetings, its task and a meeting that came from Exchange
    for subject in ("Gone There", "Task There", "Made Here"):
        ews.mailbox.remove(remote()[subject].id)
    for title in ("Gone Here", "Task Here", "Made There"):
        call(sales, "delete_activity", crm[title]["id"], actor=owner)

    def marked():
        with db_engine.connect() as conn:
            return (
                conn.execute(
                    sa.text(
                        "SELECT count(*) FROM exchange.item_links WHERE snapshot ? 'crm_deleted'"
                    )
                ).scalar()
                == 3
            )

    wait_for(marked, what="activity_deleted to reach the exchange service")
    sync(stack, connection["id"])
    if deletions == "mirror":
        assert crm_titles() == set(remote()) == set()
    else:
        assert crm_titles() == {"Gone There", "Task There", "Made Here"}
        assert set(remote()) == {"Gone Here", "Task Here", "Made There"}
        # edits on either side bring none of them back to the side that deleted it
        call(sales, "update_activity", crm["Made Here"]["id"], {"title": "Made Here 2"}, owner)
        call(sales, "update_activity", crm["Gone There"]["id"], {"title": "Gone There 2"}, owner)
        ews.mailbox.put("calendar", {"Subject": "Gone Here 2"}, item_id=remote()["Gone Here"].id)
        ews.mailbox.put("tasks", {"Subject": "Task Here 2"}, item_id=remote()["Task Here"].id)
    for _ in range(2):
        again = sync(stack, connection["id"])["last_sync"]
        assert sum(again[k] for k in ("meetings_in", "meetings_out", "tasks_in", "tasks_out")) == 0
    if deletions == "keep":
        assert crm_titles() == {"Gone There 2", "Task There", "Made Here 2"}
        assert set(remote()) == {"Gone Here 2", "Task Here 2", "Made There"}


def test_exchange_busy_while_meetings_are_written_resumes_without_duplicates(stack, ews):
    """ErrorServerBusy on a CreateItem of the export: the sync stops with the server's
    hint, what was written stays linked, and the next sync writes the rest once."""
    sales, owner = stack["sales"], stack["owner"]
    for n in range(4):
        call(
            sales,
            "create_activity",
            {
                "type": "meeting",
                "title": f"Visit {n}",
                "start_at": f"2027-03-0{n + 1}T10:00:00Z",
                "due_at": f"2027-03-0{n + 1}T11:00:00Z",
            },
            actor=owner,
        )
    connection = connect(
        stack, ews, sync_mail=False, import_contacts=False, export_contacts="none", sync_tasks=False
    )
    original, fired = ews.take_busy, []

    def busy_on_second_create():
        second = ews.requests[-1] == "CreateItem" and ews.requests.count("CreateItem") == 2
        if second and not fired:
            fired.append(True)
            return 4000
        return original()

    ews.take_busy = busy_on_second_create
    throttled = sync(stack, connection["id"])
    assert fired and throttled["last_sync"]["meetings_out"] == 1
    assert "slow down" in throttled["last_error"] and "4 s" in throttled["last_error"]
    assert throttled["state"] == "active" and throttled["health"]["failures"] == 0

    def subjects() -> list[str]:
        return sorted(
            i.props["Subject"].text for i in ews.mailbox.items.values() if i.tag == "CalendarItem"
        )

    assert subjects() == ["Visit 0"]
    resumed = sync(stack, connection["id"])
    assert resumed["last_error"] is None and resumed["last_sync"]["meetings_out"] == 3
    assert subjects() == [f"Visit {n}" for n in range(4)]
    again = sync(stack, connection["id"])["last_sync"]
    assert again["meetings_in"] + again["meetings_out"] == 0
    assert subjects() == [f"Visit {n}" for n in range(4)] and len(activities(stack, owner)) == 4
