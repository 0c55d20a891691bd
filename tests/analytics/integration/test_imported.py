"""Leads created in bulk (``leads_imported``, a thousand leads an event) reach the read
models as single creates do: reports and the funnel count them, through the broker
from the real leads service; the event again, or late, changes nothing."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from .conftest import ADMIN, ANN, BOB, call, event, wait_for
from .test_read_models import kept, report


def stays(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(
            sa.text("SELECT count(*) FROM analytics.stage_periods WHERE entity = 'lead'")
        ).scalar_one()


def test_bulk_created_leads_are_reported_and_in_the_funnel(analytics, crm, db_engine):
    leads = crm["leads"]
    rows: list[dict[str, Any]] = [
        {"contact_name": f"Lead {n}", "source": "fair" if n % 3 else "web"} for n in range(1500)
    ]
    call(leads, "create_leads_in_bulk", rows, ANN, match_on=[])
    call(leads, "create_leads_in_bulk", [{"contact_name": "Bob's", "source": "web"}], BOB)
    wait_for(lambda: kept(db_engine, "lead") == 1501, what="1,501 leads kept")
    wait_for(lambda: stays(db_engine) == 1501, what="their first stays")
    assert report(analytics, ADMIN, entity="leads", group_by=["source"]) == [
        {"source": "fair", "count": 1000},
        {"source": "web", "count": 501},
    ]
    assert report(analytics, BOB, entity="leads") == [{"count": 1}]  # the team's only
    funnel = {r["stage"]: r for r in call(analytics, "lead_funnel", actor=ADMIN)["stages"]}
    assert funnel["qualification"]["count"] == 1501

    # a lead changed since: the batch event again (redelivered, or late) leaves it
    with db_engine.connect() as conn:
        envelope = conn.execute(
            sa.text("SELECT envelope FROM leads.outbox WHERE type = 'leads_imported' LIMIT 1")
        ).scalar_one()
    first = {**envelope["data"]["defaults"], **envelope["data"]["leads"][0]}
    changed = {**first, "source": "phone", "version": 2}
    call(analytics, "handle_leads_lead_updated", event("lead_updated", changed))
    call(analytics, "handle_leads_leads_imported", envelope)
    call(analytics, "handle_leads_leads_imported", {**envelope, "id": "again"})
    assert kept(db_engine, "lead") == 1501 and stays(db_engine) == 1501
    by_source = report(analytics, ADMIN, entity="leads", group_by=["source"])
    assert {"source": "phone", "count": 1} in by_source


def test_bulk_deleted_leads_leave_the_reports_and_the_funnel(analytics, crm, db_engine):
    leads = crm["leads"]
    rows = [{"contact_name": f"Gone {n}", "source": "fair"} for n in range(1200)]
    answer = call(leads, "create_leads_in_bulk", rows, ANN, match_on=[])
    call(leads, "create_leads_in_bulk", [{"contact_name": "Stays", "source": "web"}], ANN)
    ids = [row["lead_id"] for row in answer["rows"]]
    wait_for(lambda: kept(db_engine, "lead") == 1201, what="1,201 leads kept")
    wait_for(lambda: stays(db_engine) == 1201, what="their first stays")

    assert call(leads, "delete_leads_in_bulk", ids, ANN)["deleted"] == 1200
    wait_for(lambda: kept(db_engine, "lead") == 1, what="the deleted leads tombstoned")
    wait_for(lambda: stays(db_engine) == 1, what="their stays gone")
    assert report(analytics, ADMIN, entity="leads", group_by=["source"]) == [
        {"source": "web", "count": 1}
    ]
    funnel = {r["stage"]: r for r in call(analytics, "lead_funnel", actor=ADMIN)["stages"]}
    assert funnel["qualification"]["count"] == 1

    # the import's event late (after the deletion) or again brings none back
    with db_engine.connect() as conn:
        imported, deleted = (
            conn.execute(
                sa.text(
                    "SELECT envelope FROM leads.outbox WHERE type = :t ORDER BY occurred_at LIMIT 1"
                ),
                {"t": kind},
            ).scalar_one()
            for kind in ("leads_imported", "leads_deleted")
        )
    call(analytics, "handle_leads_leads_imported", {**imported, "id": "late"})
    call(analytics, "handle_leads_leads_deleted", {**deleted, "id": "again"})
    assert kept(db_engine, "lead") == 1 and stays(db_engine) == 1
