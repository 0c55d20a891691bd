"""Figures from records made in the test: the leads and deals services run for real, their
events reach analytics over RabbitMQ, and every count, sum, rate and time in stage is
checked against what was made — for the reader's rights too."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

from services.platform.errors import ValidationFailed
from services.platform.ids import new_id

from .conftest import ADMIN, ANN, BOB, MANAGER_A, call, event, wait_for


def report(analytics: Any, actor: dict, **spec: Any) -> list[dict]:
    return call(analytics, "run_report", spec, actor=actor)["rows"]


def kept(engine: sa.Engine, entity: str) -> int:
    with engine.connect() as conn:
        return conn.execute(
            sa.text("SELECT count(*) FROM analytics.records WHERE entity = :e AND NOT deleted"),
            {"e": entity},
        ).scalar_one()


def test_leads_by_source_and_the_funnel_follow_the_leads_service(analytics, crm, db_engine):
    leads = crm["leads"]
    made = [
        call(leads, "create_lead", {"contact_name": "A1", "source": "web"}, actor=ANN),
        call(leads, "create_lead", {"contact_name": "A2", "source": "web"}, actor=ANN),
        call(leads, "create_lead", {"contact_name": "A3", "source": "phone"}, actor=MANAGER_A),
        call(leads, "create_lead", {"contact_name": "B1", "source": "web"}, actor=BOB),
    ]
    call(leads, "disqualify_lead", made[1]["id"], "no_budget", actor=ANN)
    qualified = call(
        leads,
        "qualify_lead",
        made[0]["id"],
        {"contact": {"full_name": "Alice One"}, "need_type": "purchase", "allow_duplicates": True},
        actor=ANN,
    )
    assert qualified["stage"] == "handoff"
    wait_for(lambda: kept(db_engine, "lead") == 4, what="four leads kept")
    wait_for(
        lambda: (
            {r["stage"]: r for r in call(analytics, "lead_funnel", actor=ADMIN)["stages"]}[
                "handoff"
            ]["count"]
            == 1
        ),
        what="the qualification in the funnel",
    )

    by_source = report(analytics, ADMIN, entity="leads", group_by=["source"])
    assert by_source == [{"source": "phone", "count": 1}, {"source": "web", "count": 3}]
    # A rep reads the team's leads only: Bob's is not counted for Ann
    assert report(analytics, ANN, entity="leads", group_by=["source"]) == [
        {"source": "phone", "count": 1},
        {"source": "web", "count": 2},
    ]
    assert report(analytics, BOB, entity="leads") == [{"count": 1}]
    # filters as lists have them, several values meaning any of them
    by_stage = report(
        analytics, ADMIN, entity="leads", group_by=["stage"], filters={"source": "web,phone"}
    )
    assert by_stage == [
        {"stage": "disqualified", "count": 1},
        {"stage": "handoff", "count": 1},
        {"stage": "qualification", "count": 2},
    ]

    funnel = {r["stage"]: r for r in call(analytics, "lead_funnel", actor=ADMIN)["stages"]}
    assert funnel["qualification"]["count"] == 4
    assert funnel["handoff"]["count"] == 1
    assert funnel["handoff"]["conversion_rate"] is None  # distribution was skipped (owned)
    assert funnel["distribution"]["count"] == 0
    assert funnel["qualification"]["average_seconds"] >= 0  # two stays ended
    ann_funnel = {r["stage"]: r for r in call(analytics, "lead_funnel", actor=ANN)["stages"]}
    assert ann_funnel["qualification"]["count"] == 3


def test_deals_win_rate_cycle_stages_and_loss_reasons(analytics, crm, db_engine):
    sales = crm["sales"]
    stages = {s["name"]: s for s in call(sales, "list_opportunity_stages")}
    deals = [
        call(
            sales,
            "create_opportunity",
            {"title": f"Deal {n}", "amount": amount, "currency": "EUR"},
            actor=ANN,
        )
        for n, amount in enumerate(["1000.00", "2500.50", "400.00", "99.99"])
    ]
    call(sales, "win_opportunity", deals[0]["id"], actor=ANN)
    call(sales, "lose_opportunity", deals[1]["id"], "price", actor=ANN)
    call(sales, "lose_opportunity", deals[2]["id"], "price", actor=ANN)
    second = sorted(stages.values(), key=lambda s: s["position"])[1]
    call(sales, "move_opportunity", deals[3]["id"], second["id"], actor=ANN)

    def summary() -> dict:
        return call(analytics, "deal_summary", actor=ADMIN)

    wait_for(
        lambda: summary()["won"] == 1 and summary()["lost"] == 2 and summary()["open"] == 1,
        what="the deals' outcomes",
    )
    wait_for(
        lambda: {s["stage_id"]: s["deals"] for s in summary()["stages"]}.get(second["id"]) == 1,
        what="the move",
    )
    figures = summary()
    assert figures["win_rate"] == pytest.approx(1 / 3, abs=1e-4)
    assert figures["average_cycle_seconds"] is not None and figures["average_cycle_seconds"] >= 0
    assert figures["lost_reasons"] == [{"reason": "price", "count": 2}]
    first = sorted(stages.values(), key=lambda s: s["position"])[0]
    in_first = {s["stage_id"]: s for s in figures["stages"]}[first["id"]]
    assert in_first["deals"] == 4 and in_first["average_seconds"] >= 0

    amounts = report(
        analytics,
        ADMIN,
        entity="opportunities",
        group_by=["status"],
        aggregates=[
            {"fn": "count"},
            {"fn": "sum", "field": "amount"},
            {"fn": "max", "field": "amount"},
        ],
    )
    assert amounts == [
        {"status": "lost", "count": 2, "sum_amount": "2900.50", "max_amount": "2500.50"},
        {"status": "open", "count": 1, "sum_amount": "99.99", "max_amount": "99.99"},
        {"status": "won", "count": 1, "sum_amount": "1000", "max_amount": "1000"},
    ]
    # a range filter on a number, and the month bucket of the creation date
    month = report(
        analytics,
        ADMIN,
        entity="opportunities",
        filters={"amount": "100..2000"},
        group_by=[{"field": "created_at", "bucket": "month"}],
        aggregates=[{"fn": "sum", "field": "amount"}],
    )
    assert len(month) == 1 and Decimal(month[0]["sum_amount"]) == Decimal("1400")
    assert month[0]["created_at_month"].endswith("-01")
    # Bob (another team) reads none of Ann's deals
    assert call(analytics, "deal_summary", actor=BOB)["won"] == 0


def test_late_and_repeated_events_change_nothing(analytics, db_engine):
    lead = {
        "id": new_id(),
        "contact_name": "Late",
        "source": "web",
        "stage": "qualification",
        "owner_id": ANN["id"],
        "team_id": ANN["team_id"],
        "version": 1,
        "created_at": "2026-12-01T10:00:00+00:00",
        "updated_at": "2026-12-01T10:00:00+00:00",
    }
    newer = {**lead, "source": "phone", "version": 3, "updated_at": "2026-12-02T10:00:00+00:00"}
    call(analytics, "handle_leads_lead_updated", event("lead_updated", newer))
    call(analytics, "handle_leads_lead_created", event("lead_created", lead))  # arrives late
    assert report(analytics, ADMIN, entity="leads", group_by=["source"]) == [
        {"source": "phone", "count": 1}
    ]
    # the same move twice, and the creation after it: one stay per stage
    moved = event(
        "lead_stage_changed",
        {
            "lead_id": lead["id"],
            "from_stage": "qualification",
            "to_stage": "disqualified",
            "changed_at": "2026-12-03T10:00:00+00:00",
            "lead": {**newer, "stage": "disqualified", "version": 4},
        },
    )
    call(analytics, "handle_leads_lead_stage_changed", moved)
    call(analytics, "handle_leads_lead_stage_changed", moved)
    with db_engine.connect() as conn:
        stays = conn.execute(
            sa.text(
                "SELECT stage, entered_at, left_at FROM analytics.stage_periods "
                "WHERE record_id = :id ORDER BY entered_at"
            ),
            {"id": lead["id"]},
        ).all()
    assert [(s.stage, s.left_at is None) for s in stays] == [
        ("qualification", False),
        ("disqualified", True),
    ]
    assert (stays[0].left_at - stays[0].entered_at).days == 2
    # deleted, then an update that overtook the deletion arrives: it stays deleted
    call(analytics, "handle_leads_lead_deleted", event("lead_deleted", {**newer, "version": 4}))
    call(analytics, "handle_leads_lead_updated", event("lead_updated", {**newer, "version": 5}))
    assert report(analytics, ADMIN, entity="leads") == [{"count": 0}]
    # the creation delivered again after the deletion (an upsert event is not claimed):
    # the record stays deleted and gets no stay back
    call(analytics, "handle_leads_lead_created", event("lead_created", lead))
    assert report(analytics, ADMIN, entity="leads") == [{"count": 0}]
    with db_engine.connect() as conn:
        left = conn.execute(
            sa.text("SELECT count(*) FROM analytics.stage_periods WHERE record_id = :id"),
            {"id": lead["id"]},
        ).scalar()
    assert left == 0


def test_a_wrong_report_names_the_field(analytics):
    for spec, field in (
        ({"entity": "secrets"}, "entity"),
        ({"entity": "leads", "group_by": ["password"]}, "group_by[0]"),
        ({"entity": "leads", "group_by": ["score"]}, "group_by[0]"),
        ({"entity": "leads", "aggregates": [{"fn": "sum", "field": "source"}]}, "aggregates[0]"),
        ({"entity": "leads", "filters": {"owner_id": "me"}}, "filters.owner_id"),
        ({"entity": "opportunities", "filters": {"amount": "1e400"}}, "filters.amount"),
        (
            {"entity": "leads", "group_by": [{"field": "created_at", "bucket": "hour"}]},
            "group_by[0]",
        ),
        ({"entity": "leads", "chart": "radar"}, "chart"),
    ):
        with pytest.raises(ValidationFailed) as caught:
            call(analytics, "run_report", spec, actor=ADMIN)
        assert caught.value.errors[0]["field"] == field, spec


def test_saved_reports_are_shared_with_the_team_and_changed_by_their_owner(analytics):
    saved = call(
        analytics,
        "create_report",
        {
            "name": "Web leads by stage",
            "entity": "leads",
            "group_by": ["stage"],
            "filters": {"source": "web"},
            "chart": "bar",
            "shared_with_team": True,
        },
        actor=ANN,
    )
    assert saved["group_by"] == [{"field": "stage"}] and saved["version"] == 1
    assert [r["id"] for r in call(analytics, "list_reports", actor=MANAGER_A)["items"]] == [
        saved["id"]
    ]
    assert call(analytics, "list_reports", actor=BOB)["items"] == []
    assert call(analytics, "run_saved_report", saved["id"], actor=MANAGER_A)["rows"] == []
    from services.platform.errors import Conflict, NotFound, PermissionDenied

    with pytest.raises(PermissionDenied):
        call(analytics, "update_report", saved["id"], {"name": "Mine now"}, actor=MANAGER_A)
    with pytest.raises(NotFound):
        call(analytics, "get_report", saved["id"], actor=BOB)
    changed = call(
        analytics,
        "update_report",
        saved["id"],
        {"chart": "pie", "shared_with_team": False},
        actor=ANN,
        expected_version=1,
    )
    assert changed["chart"] == "pie" and changed["version"] == 2
    with pytest.raises(Conflict):
        call(analytics, "update_report", saved["id"], {"name": "x"}, actor=ANN, expected_version=1)
    assert call(analytics, "list_reports", actor=MANAGER_A)["items"] == []
    call(analytics, "delete_report", saved["id"], actor=ANN)
    assert call(analytics, "list_reports", actor=ANN)["items"] == []


def test_results_page_mine_then_the_team_default_then_osprey_s(analytics):
    built_in = call(analytics, "get_results_page", actor=ANN)
    assert built_in["source"] == "built_in" and len(built_in["widgets"]) >= 4
    widgets = [
        {
            "kind": "number",
            "title": "My open deals",
            "report": {"entity": "opportunities", "filters": {"status": "open"}},
            "x": 0,
            "y": 0,
            "w": 4,
            "h": 2,
        }
    ]
    with pytest.raises(Exception) as refused:
        call(analytics, "save_results_page", {"widgets": widgets}, actor=ANN, team_default=True)
    assert type(refused.value).__name__ == "PermissionDenied"
    team = call(
        analytics, "save_results_page", {"widgets": widgets}, actor=MANAGER_A, team_default=True
    )
    assert team["source"] == "team"
    assert call(analytics, "get_results_page", actor=ANN)["source"] == "team"
    assert call(analytics, "get_results_page", actor=BOB)["source"] == "built_in"
    mine = call(analytics, "save_results_page", {"widgets": widgets[:0]}, actor=ANN)
    assert (
        mine["source"] == "mine" and call(analytics, "get_results_page", actor=ANN)["widgets"] == []
    )
    bad = [{**widgets[0], "x": 10, "w": 4}]
    with pytest.raises(ValidationFailed) as caught:
        call(analytics, "save_results_page", {"widgets": bad}, actor=ANN)
    assert caught.value.errors[0]["field"] == "widgets[0].w"
