"""The shipped "Opportunity management" process against the real sales and feed
services: a new deal gets its proposal task; each stage it enters gets a task; a win is
announced and ends the process. Record events reach only the instance of their deal."""

from __future__ import annotations

from typing import Any

from .conftest import ADMIN, REP, call, rows, wait_for


def instance_of(engine: Any, deal_id: str) -> Any:
    found = rows(engine, "SELECT * FROM processes.instances WHERE record_id = :r", r=deal_id)
    return found[0] if found else None


def test_a_deal_is_worked_stage_by_stage_until_it_is_won(processes, crm, db_engine):
    call(processes, "ensure_shipped_process_definitions", actor=ADMIN)
    deal = call(crm["sales"], "create_opportunity", {"title": "Fleet renewal"}, actor=REP)
    other = call(crm["sales"], "create_opportunity", {"title": "Another deal"}, actor=REP)
    instance = wait_for(lambda: instance_of(db_engine, deal["id"]), what="the deal's process")
    wait_for(lambda: instance_of(db_engine, other["id"]), what="the other deal's process")

    proposal = wait_for(
        lambda: rows(
            db_engine,
            "SELECT * FROM processes.process_tasks"
            " WHERE instance_id = :i AND activity_id IS NOT NULL",
            i=instance.id,
        ),
        what="the proposal task",
    )[0]
    assert proposal.name == "Prepare and send a proposal" and proposal.assignee_id == REP["id"]
    call(crm["sales"], "complete_activity", proposal.activity_id, {"result": "sent"}, actor=REP)
    wait_for(
        lambda: "signal:opportunity_won" in (instance_of(db_engine, deal["id"]).waiting_for or []),
        what="the process to wait for what happens next",
    )

    stages = call(crm["sales"], "list_opportunity_stages", actor=REP)
    open_stages = [s for s in stages if not s["is_final"]]
    call(crm["sales"], "move_opportunity", deal["id"], open_stages[1]["id"], actor=REP)

    def stage_activities() -> list:
        found = call(
            crm["sales"],
            "list_activities",
            {"filter": {"related_id": [deal["id"]]}},
            actor=REP,
        )["items"]
        return [a for a in found if a["title"].startswith("Work the deal in its new stage")]

    (planned,) = wait_for(stage_activities, what="the new stage's task")
    assert planned["owner_id"] == REP["id"] and planned["due_at"]

    call(crm["sales"], "win_opportunity", deal["id"], actor=REP)
    done = wait_for(
        lambda: (i := instance_of(db_engine, deal["id"])).status in ("completed", "failed") and i,
        timeout=45,
        what="the process to end with the win",
    )
    assert done.status == "completed", done.error
    posts = call(crm["feed"], "list_record_posts", "opportunity", deal["id"], actor=REP)["items"]
    assert any("Deal won" in p["text"] for p in posts)
    # the other deal heard nothing of this one
    assert instance_of(db_engine, other["id"]).status == "waiting"
