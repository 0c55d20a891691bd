"""Leads created in bulk (``leads_imported``) in the feed as single creates are: each
lead's owner follows it and its posts are as private as the lead — through the broker
from the real leads service; the event again changes nothing."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from services.leads.service import LeadsService
from services.platform.errors import NotFound

from .conftest import ANN, BOB, call
from .test_events import follows


@pytest.fixture
def leads(container_factory, service_config):
    container = container_factory(LeadsService, {**service_config, "NAME_INDEX": False})
    container.start()
    return container


def refs(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(
            sa.text("SELECT count(*) FROM feed.record_refs WHERE type = 'lead'")
        ).scalar_one()


def test_owners_follow_their_imported_leads(feed, leads, db_engine) -> None:
    rows = [{"contact_name": f"Imported {n}"} for n in range(1100)]
    answer = call(leads, "create_leads_in_bulk", rows, ANN, match_on=[])
    ids = [r["lead_id"] for r in answer["rows"]]
    deadline = time.monotonic() + 30
    while refs(db_engine) < 1100 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert refs(db_engine) == 1100
    mine = follows(feed, ANN)
    assert {("lead", ids[0]), ("lead", ids[-1])} <= mine
    with db_engine.connect() as conn:
        title = conn.execute(
            sa.text("SELECT title FROM feed.record_refs WHERE id = :i"), {"i": ids[5]}
        ).scalar_one()
    assert title == "Imported 5"
    # the lead's posts are the team's: Bob (another team) may not read them
    with pytest.raises(NotFound):
        call(feed, "list_record_posts", "lead", ids[0], actor=BOB)

    # redelivered after Ann stopped following one of them: she does not follow it again
    with db_engine.connect() as conn:
        envelope = conn.execute(
            sa.text("SELECT envelope FROM leads.outbox WHERE type = 'leads_imported' LIMIT 1")
        ).scalar_one()
    first = envelope["data"]["leads"][0]["id"]
    (subscription,) = [
        s
        for s in call(feed, "list_subscriptions", actor=ANN)["items"]
        if s["target"]["id"] == first
    ]
    call(feed, "unfollow", subscription["id"], actor=ANN)
    call(feed, "handle_leads_imported", envelope)
    assert ("lead", first) not in follows(feed, ANN)
    assert refs(db_engine) == 1100


def test_bulk_deleted_leads_leave_no_follow_and_no_ref_without_posts(feed, leads, db_engine):
    rows = [{"contact_name": f"Rolled back {n}"} for n in range(1050)]
    ids = [
        r["lead_id"] for r in call(leads, "create_leads_in_bulk", rows, ANN, match_on=[])["rows"]
    ]
    deadline = time.monotonic() + 30
    while refs(db_engine) < 1050 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert refs(db_engine) == 1050
    call(
        feed,
        "create_post",
        {"text": "About this one", "related": {"type": "lead", "id": ids[3]}},
        actor=ANN,
    )

    assert call(leads, "delete_leads_in_bulk", ids, ANN)["deleted"] == 1050
    deadline = time.monotonic() + 30
    while refs(db_engine) > 1 and time.monotonic() < deadline:
        time.sleep(0.1)
    # only the lead with a post keeps its ref (its post stays as private as the lead)
    with db_engine.connect() as conn:
        kept = conn.execute(
            sa.text("SELECT id::text, owner_id::text FROM feed.record_refs WHERE type = 'lead'")
        ).all()
        following = conn.execute(
            sa.text("SELECT count(*) FROM feed.subscriptions WHERE target_type = 'lead'")
        ).scalar_one()
    assert [tuple(row) for row in kept] == [(ids[3], ANN["id"])]
    assert following == 0
    with pytest.raises(NotFound):
        call(feed, "list_record_posts", "lead", ids[3], actor=BOB)
