"""Scoring rules and scores in a real leads container (PostgreSQL, RabbitMQ)."""

from __future__ import annotations

import time
from typing import Any

import eventlet
import pytest
import sqlalchemy as sa
from nameko.testing.services import entrypoint_hook, entrypoint_waiter

from services.leads import scoring, scoring_store
from services.leads.service import LeadsService
from services.platform.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from services.platform.ids import new_id

from .test_leads_service import (
    ADMIN,
    MANAGER_A,
    REP_A,
    REP_B,
    call,
    create,
    error_fields,
    outbox_types,
)


@pytest.fixture
def leads(container_factory, service_config, db_engine):
    container = container_factory(LeadsService, service_config)
    container.start()
    yield container
    # Let the recomputes the test started finish before the container stops: a worker
    # killed mid-transaction would keep its connection (and locks) to the next test.
    deadline = time.monotonic() + 30
    while pending_recomputes(db_engine):
        assert time.monotonic() < deadline, "a background recompute never finished"
        eventlet.sleep(0.05)


def pending_recomputes(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(
            sa.text(
                "SELECT count(*) FROM leads.outbox o WHERE o.type = 'scoring_rules_changed' "
                "AND NOT EXISTS (SELECT 1 FROM leads.processed_events p "
                "WHERE p.event_id = o.id AND p.handler = :handler)"
            ),
            {"handler": scoring._FINISH_HANDLER},
        ).scalar_one()


def scoring_rule(container, actor: dict = MANAGER_A, **data: Any) -> dict:
    data.setdefault("name", f"{data['field']} {data['operator']}")
    return call(container, "create_scoring_rule", data, actor=actor)


def stored_scores(engine: sa.Engine) -> dict[str, tuple[int | None, list]]:
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT id::text, score, score_reasons FROM leads.leads"))
        return {r.id: (r.score, r.score_reasons) for r in rows}


def set_rules_quietly(engine: sa.Engine, *rules: dict[str, Any]) -> None:
    """Rules written straight to the table: no event, so no recompute starts by itself."""
    with engine.begin() as conn:
        for rule in rules:
            conn.execute(
                sa.text(
                    "INSERT INTO leads.scoring_rules (id, name, field, operator, value, points,"
                    " created_at, updated_at) VALUES (:id, :name, :field, :operator,"
                    " CAST(:value AS jsonb), :points, now(), now())"
                ),
                {"id": new_id(), **rule},
            )


def rules_changed_event() -> dict[str, Any]:
    return {"id": new_id(), "type": "scoring_rules_changed", "actor": None, "data": {}}


# --- the score as leads are saved -------------------------------------------------------------


def test_a_lead_is_scored_on_create_and_on_every_change(leads, db_engine):
    web = scoring_rule(leads, field="source", operator="equals", value="web", points=30)
    email = scoring_rule(leads, field="email", operator="is_set", points=20)
    scoring_rule(leads, field="need_type", operator="in", value=["ERP", "CRM"], points=40)
    spam = scoring_rule(leads, field="contact_name", operator="contains", value="test", points=-90)

    lead = create(leads, REP_A, contact_name="Ann Lee", source="Web", email="ann@acme.io")
    assert lead["score"] == 50
    assert lead["score_reasons"] == [
        {"rule_id": web["id"], "name": web["name"], "points": 30},
        {"rule_id": email["id"], "name": email["name"], "points": 20},
    ]
    changed = call(leads, "update_lead", lead["id"], {"need_type": "crm"}, actor=REP_A)
    assert changed["score"] == 90 and len(changed["score_reasons"]) == 3
    assert call(leads, "explain_score", lead["id"], actor=REP_A) == {
        "lead_id": lead["id"],
        "score": 90,
        "reasons": changed["score_reasons"],
    }
    # 90 + 20 (a second, clamped) ... and a negative rule takes away, never below 0
    low = call(leads, "update_lead", lead["id"], {"contact_name": "Test Test"}, actor=REP_A)
    assert low["score"] == 0 and low["score_reasons"][-1]["rule_id"] == spam["id"]
    with db_engine.connect() as conn:
        data = conn.execute(
            sa.text(
                "SELECT envelope->'data' FROM leads.outbox WHERE type = 'lead_updated' "
                "ORDER BY id DESC LIMIT 1"
            )
        ).scalar_one()
    assert data["score"] == 0 and "score" in data["changed_fields"]


def test_rules_set_the_score_while_active_without_rules_a_typed_score_stays(leads):
    lead = create(leads, REP_A, contact_name="Ann", score=35)
    assert lead["score"] == 35 and lead["score_reasons"] == []
    assert call(leads, "update_lead", lead["id"], {"score": 40}, actor=REP_A)["score"] == 40
    rule = scoring_rule(leads, field="contact_name", operator="is_set", points=15)
    assert call(leads, "update_lead", lead["id"], {"notes": "x"}, actor=REP_A)["score"] == 15
    assert call(leads, "update_lead", lead["id"], {"score": 80}, actor=REP_A)["score"] == 15
    call(leads, "update_scoring_rule", rule["id"], {"is_active": False}, actor=MANAGER_A)
    after = call(leads, "update_lead", lead["id"], {"notes": "y"}, actor=REP_A)
    assert after["score"] == 15 and after["score_reasons"] == []  # kept, no reasons


def test_a_rule_on_dates_and_on_enumerations(leads):
    scoring_rule(leads, field="created_at", operator="gte", value="2000-01-01", points=10)
    scoring_rule(leads, field="need_maturity", operator="equals", value="ready", points=50)
    lead = create(leads, REP_A, contact_name="Ann", need_maturity="ready")
    assert lead["score"] == 60


# --- the rules ---------------------------------------------------------------------------


def test_only_managers_change_rules_everyone_reads_them(leads, db_engine):
    with pytest.raises(PermissionDenied):
        scoring_rule(leads, actor=REP_A, field="email", operator="is_set", points=5)
    made = scoring_rule(leads, actor=ADMIN, field="email", operator="is_set", points=5)
    assert made["version"] == 1 and made["is_active"] and made["value"] is None
    assert call(leads, "list_scoring_rules", actor=REP_B) == [made]
    with pytest.raises(PermissionDenied):
        call(leads, "update_scoring_rule", made["id"], {"points": 6}, actor=REP_A)
    with pytest.raises(PermissionDenied):
        call(leads, "delete_scoring_rule", made["id"], actor=REP_A)
    with pytest.raises(Conflict):
        call(
            leads, "update_scoring_rule", made["id"], {"points": 6}, actor=ADMIN, expected_version=3
        )
    with pytest.raises(ValidationFailed) as exc:
        call(leads, "update_scoring_rule", made["id"], {"operator": "in"}, actor=ADMIN)
    assert error_fields(exc) == {"value"}
    changed = call(
        leads, "update_scoring_rule", made["id"], {"points": 6}, actor=ADMIN, expected_version=1
    )
    assert changed["version"] == 2 and changed["points"] == 6
    same = call(leads, "update_scoring_rule", made["id"], {"points": 6}, actor=ADMIN)
    assert same["version"] == 2
    with pytest.raises(NotFound):
        call(leads, "delete_scoring_rule", "nope", actor=ADMIN)
    call(leads, "delete_scoring_rule", made["id"], actor=MANAGER_A, expected_version=2)
    assert call(leads, "list_scoring_rules", actor=ADMIN) == []
    types = outbox_types(db_engine)
    for kind in ("created", "updated", "deleted"):
        assert types.count(f"scoring_rule_{kind}") == 1
    assert types.count("scoring_rules_changed") == 3


def test_bad_rules_write_nothing(leads, db_engine):
    with pytest.raises(ValidationFailed) as exc:
        call(
            leads,
            "create_scoring_rule",
            {"name": "x", "field": "score", "operator": "between", "points": 500},
            actor=ADMIN,
        )
    assert error_fields(exc) == {"field", "operator", "points"}
    with pytest.raises(ValidationFailed) as exc:
        scoring_rule(leads, field="source", operator="in", value="web", points=5)
    assert error_fields(exc) == {"value"}
    assert call(leads, "list_scoring_rules", actor=ADMIN) == []
    assert outbox_types(db_engine) == []


def test_explain_score_needs_a_lead_the_caller_can_read(leads):
    lead = create(leads, REP_A, contact_name="Ann")
    with pytest.raises(NotFound):
        call(leads, "explain_score", lead["id"], actor=REP_B)
    assert call(leads, "explain_score", lead["id"], actor=ADMIN)["reasons"] == []


# --- every lead scored again when the rules change ------------------------------------------


def test_a_rule_change_rescores_every_lead_in_the_background(leads, db_engine, monkeypatch):
    monkeypatch.setattr(scoring_store, "RESCORE_BATCH", 3)  # several batches
    made = [
        create(leads, REP_A, contact_name=f"Lead {i}", source="web" if i % 2 else "fair")
        for i in range(8)
    ]
    assert {s for s, _ in stored_scores(db_engine).values()} == {None}

    with entrypoint_waiter(leads, "handle_scoring_rules_changed", timeout=30):
        rule = scoring_rule(leads, field="source", operator="equals", value="web", points=25)
    scores = stored_scores(db_engine)
    for lead in made:
        score, reasons = scores[lead["id"]]
        if lead["source"] == "web":
            assert score == 25 and [r["rule_id"] for r in reasons] == [rule["id"]]
        else:
            assert score == 0 and reasons == []
    # a version is not bumped and no per-lead event is sent; one summary is
    assert {call(leads, "get_lead", x["id"], actor=REP_A)["version"] for x in made} == {1}
    assert "lead_updated" not in outbox_types(db_engine)
    with db_engine.connect() as conn:
        summary = conn.execute(
            sa.text(
                "SELECT envelope->'data' FROM leads.outbox WHERE type = 'lead_scores_recomputed'"
            )
        ).scalar_one()
    assert summary["scanned"] == 8 and summary["changed"] == 8

    with entrypoint_waiter(leads, "handle_scoring_rules_changed", timeout=30):
        call(leads, "update_scoring_rule", rule["id"], {"points": 60}, actor=ADMIN)
    assert {s for s, _ in stored_scores(db_engine).values()} == {0, 60}
    with entrypoint_waiter(leads, "handle_scoring_rules_changed", timeout=30):
        call(leads, "delete_scoring_rule", rule["id"], actor=ADMIN)
    # no rules: scores stay, reasons go
    assert {(s, len(r)) for s, r in stored_scores(db_engine).values()} == {(0, 0), (60, 0)}


def test_a_second_run_is_harmless_and_a_redelivered_event_is_skipped(leads, db_engine):
    for i in range(4):
        create(leads, REP_A, contact_name=f"Lead {i}", email=f"l{i}@acme.io" if i % 2 else None)
    set_rules_quietly(
        db_engine,
        {"name": "Email", "field": "email", "operator": "is_set", "value": "null", "points": 30},
    )
    event = rules_changed_event()
    with entrypoint_hook(leads, "handle_scoring_rules_changed") as handle:
        handle(event)
    first = stored_scores(db_engine)
    assert sorted(s for s, _ in first.values()) == [0, 0, 30, 30]
    with entrypoint_hook(leads, "handle_scoring_rules_changed") as handle:
        handle(event)  # the same event again: skipped
        handle(rules_changed_event())  # a new one: runs, changes nothing
    assert stored_scores(db_engine) == first
    with db_engine.connect() as conn:
        summaries = (
            conn.execute(
                sa.text(
                    "SELECT envelope->'data' FROM leads.outbox "
                    "WHERE type = 'lead_scores_recomputed' ORDER BY id"
                )
            )
            .scalars()
            .all()
        )
    assert [(s["scanned"], s["changed"]) for s in summaries] == [(4, 4), (4, 0)]


def test_a_lead_locked_during_the_recompute_is_scored_once_it_is_free(leads, db_engine):
    lead = create(leads, REP_A, contact_name="Ann", email="ann@acme.io")
    set_rules_quietly(
        db_engine,
        {"name": "Email", "field": "email", "operator": "is_set", "value": "null", "points": 30},
    )
    with db_engine.connect() as holder:
        holder.execute(
            sa.text("SELECT 1 FROM leads.leads WHERE id = :id FOR UPDATE"), {"id": lead["id"]}
        )

        def run() -> None:
            with entrypoint_hook(leads, "handle_scoring_rules_changed") as handle:
                handle(rules_changed_event())

        running = eventlet.spawn(run)
        eventlet.sleep(0.5)  # the recompute meets the lock and comes back later
        assert stored_scores(db_engine)[lead["id"]][0] is None
        holder.commit()
    running.wait()
    assert stored_scores(db_engine)[lead["id"]][0] == 30
