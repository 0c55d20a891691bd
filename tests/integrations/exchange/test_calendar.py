"""Meetings and tasks both ways between Exchange and the CRM's activities, through the
real exchangelib and the real sales and identity services: attendees mapped to contacts
and users, a recurring series with a moved and a deleted occurrence in its own time
zone across daylight saving, activities saying they came from Exchange, and no meeting
or task duplicated by round trips."""

from __future__ import annotations

import sqlalchemy as sa

from services.platform.access import Actor

from ..conftest import call
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
