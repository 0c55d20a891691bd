"""The shipped "Lead management" process against the real leads, sales and feed
services: a lead created starts it, its qualification call becomes the owner's
activity, completing the activity drives the lead through the leads service's own
actions to a deal."""

from __future__ import annotations

from typing import Any

from .conftest import ADMIN, REP, call, rows, wait_for


def instance_of(engine: Any, lead_id: str) -> Any:
    found = rows(engine, "SELECT * FROM processes.instances WHERE record_id = :r", r=lead_id)
    return found[0] if found else None


def test_a_new_lead_runs_the_shipped_process_to_a_deal(processes, crm, db_engine):
    shipped = call(processes, "ensure_shipped_process_definitions", actor=ADMIN)
    assert {d["key"] for d in shipped} == {"lead_management", "opportunity_management"}
    assert all(d["is_deployed"] for d in shipped)

    lead = call(
        crm["leads"],
        "create_lead",
        {"contact_name": "Vera Lind", "email": "vera@lind.example", "need_type": "CRM"},
        actor=REP,
    )
    instance = wait_for(lambda: instance_of(db_engine, lead["id"]), what="the process to start")
    assert instance.record_type == "lead" and instance.version_number == 1

    # The qualification call is the owner's activity, about the lead.
    task = wait_for(
        lambda: rows(
            db_engine,
            "SELECT * FROM processes.process_tasks"
            " WHERE instance_id = :i AND activity_id IS NOT NULL",
            i=instance.id,
        ),
        what="the task's activity",
    )[0]
    assert task.assignee_id == REP["id"] and task.state == "open"
    activity = call(crm["sales"], "get_activity", task.activity_id, actor=REP)
    assert activity["owner_id"] == REP["id"]
    assert activity["related_type"] == "lead" and activity["related_id"] == lead["id"]
    assert activity["type"] == "call" and activity["due_at"]

    call(
        crm["sales"],
        "complete_activity",
        task.activity_id,
        {"result": "Needs a CRM for 20 people"},
        actor=REP,
    )

    done = wait_for(
        lambda: (
            (i := instance_of(db_engine, lead["id"])) is not None
            and i.status in ("completed", "failed")
            and i
        ),
        timeout=60,
        what="the process to end",
    )
    assert done.status == "completed", done.error
    after = call(crm["leads"], "get_lead", lead["id"], actor=REP)
    assert after["opportunity_id"] and after["contact_id"]
    assert after["stage"] in ("awaiting_sale", "converted")
    deal = call(crm["sales"], "get_opportunity", after["opportunity_id"], actor=REP)
    assert deal["lead_id"] == lead["id"] and deal["owner_id"] == REP["id"]

    kinds = [
        r.kind
        for r in rows(
            db_engine,
            "SELECT kind FROM processes.process_log WHERE instance_id = :i ORDER BY id",
            i=done.id,
        )
    ]
    assert kinds[0] == "started" and kinds[-1] == "completed"
    assert "task_completed" in kinds and kinds.count("action_done") >= 3
    # every action was asked once, under its own key
    calls = rows(
        db_engine,
        "SELECT operation, state, attempts FROM processes.action_calls WHERE instance_id = :i",
        i=done.id,
    )
    assert {c.operation for c in calls} >= {
        "create_activity",
        "qualify_lead",
        "handoff_lead",
        "post_to_feed",
    }
    assert all(c.state == "done" and c.attempts == 1 for c in calls)
