"""Mail on the timeline: the sales service in a real container records the mail service's
``email_linked`` and ``email_sent`` (sent over real RabbitMQ) as one email activity per
message, on every linked record's timeline, in PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from nameko.standalone.events import event_dispatcher
from nameko.testing.services import entrypoint_hook, entrypoint_waiter

from services.platform.errors import ValidationFailed
from services.platform.events import envelope
from services.platform.ids import new_id
from services.sales.service import SalesService

TEAM_A, TEAM_B = new_id(), new_id()
REP_A = {"id": new_id(), "email": "ann@osprey.test", "roles": ["sales_rep"], "team_id": TEAM_A}
REP_B = {"id": new_id(), "email": "bob@osprey.test", "roles": ["sales_rep"], "team_id": TEAM_B}


@pytest.fixture
def sales(container_factory, service_config):
    container = container_factory(SalesService, service_config)
    container.start()
    return container


@pytest.fixture
def dispatch(service_config):
    return event_dispatcher(service_config)


def call(container, method: str, *args: Any, **kwargs: Any) -> Any:
    with entrypoint_hook(container, method) as entrypoint:
        return entrypoint(*args, **kwargs)


def records(sales) -> dict[str, dict]:
    account = call(sales, "create_account", {"name": "Acme"}, actor=REP_A)
    contact = call(
        sales,
        "create_contact",
        {
            "full_name": "Jane Roe",
            "emails": [{"email": "jane@acme.test"}],
            "account_id": account["id"],
        },
        actor=REP_A,
    )
    deal = call(
        sales,
        "create_opportunity",
        {"title": "Boilers", "account_id": account["id"], "contact_id": contact["id"]},
        actor=REP_A,
    )
    return {"account": account, "contact": contact, "opportunity": deal}


def summary(**data: Any) -> dict[str, Any]:
    """An email's summary as the mail service's events carry it (docs/events.md)."""
    email_id = data.pop("id", None) or new_id()
    return {
        "id": email_id,
        "message_id": f"{email_id}@acme.test",
        "thread_key": f"{email_id}@acme.test",
        "subject": "Boiler quote",
        "from": "jane@acme.test",
        "to": ["ann@osprey.test"],
        "cc": [],
        "sent_at": "2026-12-01T09:30:00+00:00",
        "direction": "incoming",
        "visibility": "headers",
        **data,
    }


def linked(email: dict[str, Any], links: list[tuple[str, str]], **more: Any) -> dict[str, Any]:
    all_links = [{"type": t, "id": i, "rule": "sender"} for t, i in links]
    data = {**email, "links": all_links, "all_links": all_links, **more}
    return envelope("email_linked", data, source="mail")


def send_event(
    dispatch, sales, event: dict[str, Any], handler: str = "handle_email_linked"
) -> None:
    with entrypoint_waiter(sales, handler):
        dispatch("mail", event["type"], event)


def timeline(sales, record_type: str, record_id: str, actor: dict = REP_A) -> list[dict]:
    page = call(
        sales,
        "list_activities",
        {"filter": {"related_type": [record_type], "related_id": [record_id]}, "limit": 100},
        actor=actor,
    )
    return page["items"]


def outbox_types(engine: sa.Engine, activity_id: str) -> list[str]:
    with engine.connect() as conn:
        return [
            t
            for t, e in conn.execute(sa.text("SELECT type, envelope FROM sales.outbox ORDER BY id"))
            if e["data"].get("id") == activity_id
        ]


def test_a_linked_message_is_one_email_activity_on_every_linked_record(sales, dispatch, db_engine):
    made = records(sales)
    email = summary()
    links = [(kind, made[kind]["id"]) for kind in ("contact", "account", "opportunity")]
    send_event(dispatch, sales, linked(email, links))

    [on_contact] = timeline(sales, "contact", made["contact"]["id"])
    assert timeline(sales, "account", made["account"]["id"]) == [on_contact]
    assert timeline(sales, "opportunity", made["opportunity"]["id"]) == [on_contact]
    assert (on_contact["type"], on_contact["status"], on_contact["title"]) == (
        "email",
        "completed",
        "Boiler quote",
    )
    assert on_contact["start_at"] == on_contact["completed_at"] == "2026-12-01T09:30:00Z"
    # the deal is the most specific record it is about; every link is listed
    assert (on_contact["related_type"], on_contact["related_id"]) == (
        "opportunity",
        made["opportunity"]["id"],
    )
    assert on_contact["participants"] == [{"type": "contact", "id": made["contact"]["id"]}]
    assert on_contact["description"] == "From: jane@acme.test\nTo: ann@osprey.test"
    assert on_contact["email"] == {
        "id": email["id"],
        "message_id": email["message_id"],
        "thread_key": email["thread_key"],
        "direction": "incoming",
        "visibility": "headers",
        "links": sorted(({"type": t, "id": i} for t, i in links), key=lambda x: x["type"]),
    }
    # a colleague of another team sees it on the record's timeline too (unowned)
    assert [a["id"] for a in timeline(sales, "contact", made["contact"]["id"], REP_B)] == [
        on_contact["id"]
    ]
    assert call(sales, "get_activity", on_contact["id"], actor=REP_A) == on_contact
    assert outbox_types(db_engine, on_contact["id"]) == ["activity_created"]
    # other records' timelines do not show it; the plain related filter still works
    assert timeline(sales, "contact", new_id()) == []
    with pytest.raises(ValidationFailed) as bad:
        timeline(sales, "contact", "not-a-uuid")
    assert [e["field"] for e in bad.value.errors] == ["filter[related_id]"]


def test_redelivery_changes_nothing_and_later_links_update_the_same_activity(
    sales, dispatch, db_engine
):
    made = records(sales)
    email = summary()
    first = linked(email, [("contact", made["contact"]["id"])])
    send_event(dispatch, sales, first)
    send_event(dispatch, sales, first)  # the broker delivers it again
    [activity] = timeline(sales, "contact", made["contact"]["id"])
    assert activity["related_type"] == "contact" and activity["version"] == 1

    # the linking pass finds the deal later: the same message, one more link
    lead_id = new_id()
    later = linked(
        email,
        [("contact", made["contact"]["id"]), ("lead", lead_id)],
    )
    send_event(dispatch, sales, later)
    [again] = timeline(sales, "contact", made["contact"]["id"])
    assert again["id"] == activity["id"] and again["version"] == 2
    assert (again["related_type"], again["related_id"]) == ("lead", lead_id)
    assert timeline(sales, "lead", lead_id) == [again]
    # an older event arriving last (fewer links) takes no link away
    send_event(dispatch, sales, linked(email, [("contact", made["contact"]["id"])]))
    assert timeline(sales, "lead", lead_id)[0]["id"] == activity["id"]
    assert outbox_types(db_engine, activity["id"]) == ["activity_created", "activity_updated"]
    with db_engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM sales.activity_emails")).scalar() == 1


def test_a_private_mailbox_leaves_no_subject_addresses_or_message_id(sales, dispatch):
    made = records(sales)
    email = summary(subject="Salary talk", visibility="none")
    send_event(dispatch, sales, linked(email, [("contact", made["contact"]["id"])]))
    [activity] = timeline(sales, "contact", made["contact"]["id"])
    assert (activity["title"], activity["description"]) == ("Private email", None)
    assert activity["participants"] == []
    assert activity["email"]["message_id"] is None
    assert "Salary" not in str(activity) and "jane@acme.test" not in str(activity)
    # the mailbox is opened to colleagues later: the subject shows
    send_event(dispatch, sales, linked({**email, "visibility": "headers"}, []))
    [shown] = timeline(sales, "contact", made["contact"]["id"])
    assert shown["title"] == "Salary talk" and shown["email"]["message_id"] == email["message_id"]


def test_an_event_without_visibility_keeps_the_least(sales, dispatch):
    made = records(sales)
    email = summary(subject="Secret")
    del email["visibility"]
    send_event(dispatch, sales, linked(email, [("contact", made["contact"]["id"])]))
    [activity] = timeline(sales, "contact", made["contact"]["id"])
    assert activity["title"] == "Private email"


def test_a_sent_reply_is_outgoing_in_the_same_thread(sales, dispatch, db_engine):
    made = records(sales)
    contact_id = made["contact"]["id"]
    incoming = summary()
    send_event(dispatch, sales, linked(incoming, [("contact", contact_id)]))
    reply = summary(
        subject="Re: Boiler quote",
        thread_key=incoming["thread_key"],
        direction="outgoing",
        sent_at="2026-12-01T10:00:00+00:00",
        **{"from": "ann@osprey.test", "to": ["jane@acme.test"]},
    )
    sent = envelope(
        "email_sent",
        {**reply, "links": [{"type": "contact", "id": contact_id}], "send_id": new_id()},
        actor=REP_A,
        source="mail",
    )
    # the mail service emits email_sent and email_linked of one message together
    both = linked(reply, [("contact", contact_id)])
    with (
        entrypoint_waiter(sales, "handle_email_sent"),
        entrypoint_waiter(sales, "handle_email_linked"),
    ):
        dispatch("mail", "email_sent", sent)
        dispatch("mail", "email_linked", both)
    items = sorted(timeline(sales, "contact", contact_id), key=lambda a: a["start_at"])
    assert [(a["title"], a["email"]["direction"]) for a in items] == [
        ("Boiler quote", "incoming"),
        ("Re: Boiler quote", "outgoing"),
    ]
    assert {a["email"]["thread_key"] for a in items} == {incoming["thread_key"]}
    assert items[1]["created_by"] == REP_A["id"]
    assert items[0]["created_by"] == "00000000-0000-0000-0000-000000000000"


def test_an_event_naming_no_message_is_claimed_and_records_nothing(sales, dispatch, db_engine):
    event = envelope("email_linked", {"subject": "no id", "all_links": []}, source="mail")
    send_event(dispatch, sales, event)
    bad_links = linked(summary(), [("planet", new_id()), ("contact", "x")])
    send_event(dispatch, sales, bad_links)
    with db_engine.connect() as conn:
        claimed = conn.execute(
            sa.text("SELECT count(*) FROM sales.processed_events WHERE event_id IN (:a, :b)"),
            {"a": event["id"], "b": bad_links["id"]},
        ).scalar()
        activities = conn.execute(sa.text("SELECT related_type FROM sales.activities")).all()
        links = conn.execute(sa.text("SELECT count(*) FROM sales.activity_links")).scalar()
    assert claimed == 2
    # the message without usable links is still recorded, about nothing
    assert [tuple(a) for a in activities] == [(None,)] and links == 0


def test_merging_leads_and_contacts_moves_the_emails_links(sales, dispatch):
    made = records(sales)
    kept_lead, merged_lead = new_id(), new_id()
    email = summary()
    send_event(dispatch, sales, linked(email, [("lead", merged_lead)]))
    merged = envelope(
        "leads_merged", {"id": kept_lead, "merged_ids": [merged_lead]}, source="leads"
    )
    with entrypoint_waiter(sales, "handle_leads_merged"):
        dispatch("leads", "leads_merged", merged)
    [activity] = timeline(sales, "lead", kept_lead)
    assert activity["email"]["links"] == [{"type": "lead", "id": kept_lead}]
    assert timeline(sales, "lead", merged_lead) == []

    twin = call(sales, "create_contact", {"full_name": "Max Power"}, actor=REP_A)
    other = summary()
    send_event(dispatch, sales, linked(other, [("contact", twin["id"])]))
    call(sales, "merge_contacts", made["contact"]["id"], twin["id"], actor=REP_A)
    [moved] = timeline(sales, "contact", made["contact"]["id"])
    assert moved["email"]["id"] == other["id"]


def unlinked(email: dict[str, Any], removed: tuple[str, str], left: list[tuple[str, str]]):
    data = {
        **email,
        "links": [{"type": removed[0], "id": removed[1]}],
        "all_links": [{"type": t, "id": i, "rule": "manual"} for t, i in left],
    }
    return envelope("email_unlinked", data, actor=REP_A, source="mail")


def test_a_link_removed_by_hand_leaves_that_timeline_and_the_last_one_deletes_it(
    sales, dispatch, db_engine
):
    made = records(sales)
    contact_id, account_id = made["contact"]["id"], made["account"]["id"]
    email = summary()
    send_event(dispatch, sales, linked(email, [("contact", contact_id), ("account", account_id)]))
    [activity] = timeline(sales, "contact", contact_id)
    assert activity["related_type"] == "account"

    send_event(
        dispatch,
        sales,
        unlinked(email, ("account", account_id), [("contact", contact_id)]),
        "handle_email_unlinked",
    )
    assert timeline(sales, "account", account_id) == []
    [left] = timeline(sales, "contact", contact_id)
    assert left["id"] == activity["id"]
    assert (left["related_type"], left["related_id"]) == ("contact", contact_id)
    assert left["email"]["links"] == [{"type": "contact", "id": contact_id}]

    send_event(
        dispatch, sales, unlinked(email, ("contact", contact_id), []), "handle_email_unlinked"
    )
    assert timeline(sales, "contact", contact_id) == []
    assert outbox_types(db_engine, activity["id"]) == [
        "activity_created",
        "activity_updated",
        "activity_deleted",
    ]
    with db_engine.connect() as conn:
        for table in ("activities", "activity_emails", "activity_links", "activity_participants"):
            assert conn.execute(sa.text(f"SELECT count(*) FROM sales.{table}")).scalar() == 0

    # an unlink about a message never recorded leaves nothing behind
    send_event(
        dispatch, sales, unlinked(summary(), ("contact", contact_id), []), "handle_email_unlinked"
    )
    with db_engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM sales.activities")).scalar() == 0
