"""The shipped "Lead management" process against the real leads, sales and feed
services: a lead created starts it, its qualification call becomes the owner's
activity, completing the activity drives the lead through the leads service's own
actions to a deal; a lead nobody owns is distributed by the rules on the way."""

from __future__ import annotations

import time
from typing import Any

from .conftest import ADMIN, MANAGER, OTHER_REP, REP, call, rows, wait_for


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


def test_an_unowned_lead_is_distributed_by_the_rules_before_its_hand_off(processes, crm, db_engine):
    """Nobody owns the lead: its qualification call is offered to the sales managers,
    and once qualified the process distributes it by the first matching rule (the
    leads service's own ``assign_lead``) before handing it off: the deal goes to the
    owner the rule chose."""
    call(processes, "ensure_shipped_process_definitions", actor=ADMIN)
    rule = call(
        crm["leads"],
        "create_distribution_rule",
        {
            "name": "Web leads in turn",
            "strategy": "round_robin",
            "owner_ids": [OTHER_REP["id"], REP["id"]],
        },
        actor=MANAGER,
    )
    lead = call(
        crm["leads"],
        "create_lead",
        {"contact_name": "Nils Berg", "email": "nils@berg.example", "owner_id": None},
        actor=MANAGER,
    )
    assert lead["owner_id"] is None
    instance = wait_for(lambda: instance_of(db_engine, lead["id"]), what="the process to start")
    task = wait_for(
        lambda: rows(
            db_engine,
            "SELECT * FROM processes.process_tasks"
            " WHERE instance_id = :i AND activity_id IS NOT NULL",
            i=instance.id,
        ),
        what="the task's activity",
    )[0]
    assert task.assignee_id is None and task.candidate_role == "sales_manager"

    call(
        processes,
        "complete_process_task",
        task.id,
        {"qualified": True, "need_type": "Telephony"},
        actor=MANAGER,
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

    after = call(crm["leads"], "get_lead", lead["id"], actor=MANAGER)
    assert after["owner_id"] == OTHER_REP["id"]  # the rule's first turn
    assert after["need_type"] == "Telephony" and after["contact_id"]
    assert after["opportunity_id"] and after["stage"] in ("awaiting_sale", "converted")
    (assignment,) = call(crm["leads"], "list_lead_assignments", lead["id"], actor=MANAGER)
    assert assignment["owner_id"] == OTHER_REP["id"]
    assert assignment["rule_id"] == rule["id"] and assignment["strategy"] == "round_robin"
    deal = call(crm["sales"], "get_opportunity", after["opportunity_id"], actor=MANAGER)
    assert deal["owner_id"] == OTHER_REP["id"] and deal["lead_id"] == lead["id"]

    # qualified, then distributed, then handed off: each action once, in that order
    calls = rows(
        db_engine,
        "SELECT c.operation, c.state, c.attempts FROM processes.action_calls AS c"
        " WHERE c.instance_id = :i AND c.purpose = 'service_task' ORDER BY c.created_at",
        i=done.id,
    )
    assert [c.operation for c in calls] == [
        "qualify_lead",
        "assign_owner",
        "handoff_lead",
        "post_to_feed",
    ]
    assert all(c.state == "done" and c.attempts == 1 for c in calls)
    history = call(crm["leads"], "lead_history", lead["id"], actor=MANAGER)
    moves = [(h["action"], h["to_stage"]) for h in history]
    assert moves.index(("qualify", "distribution")) < moves.index(("assign", "handoff"))


def test_a_changed_lead_process_takes_effect_for_new_leads(processes, crm, db_engine):
    """An administrator renames the qualification task and deploys: a lead created
    before keeps version 1 and its task's name; a lead created after runs version 2."""
    shipped = call(processes, "ensure_shipped_process_definitions", actor=ADMIN)
    lead_process = next(d for d in shipped if d["key"] == "lead_management")
    before = call(
        crm["leads"], "create_lead", {"contact_name": "Old Way", "need_type": "CRM"}, actor=REP
    )
    old = wait_for(lambda: instance_of(db_engine, before["id"]), what="the first process")

    xml = call(processes, "get_process_definition_xml", lead_process["id"], actor=ADMIN)
    assert "Qualify the lead" in xml["bpmn_xml"]
    changed = xml["bpmn_xml"].replace("Qualify the lead", "Call the lead first")
    call(processes, "save_process_definition_version", lead_process["id"], changed, actor=ADMIN)
    call(processes, "deploy_process_definition", lead_process["id"], actor=ADMIN)

    after = call(
        crm["leads"], "create_lead", {"contact_name": "New Way", "need_type": "CRM"}, actor=REP
    )
    new = wait_for(lambda: instance_of(db_engine, after["id"]), what="the second process")
    assert (old.version_number, new.version_number) == (1, 2)

    def task_name(instance_id: str) -> str | None:
        found = rows(
            db_engine,
            "SELECT name FROM processes.process_tasks WHERE instance_id = :i",
            i=instance_id,
        )
        return found[0].name if found else None

    assert wait_for(lambda: task_name(new.id), what="the new task") == "Call the lead first"
    assert wait_for(lambda: task_name(old.id), what="the old task") == "Qualify the lead"


def test_an_event_no_process_hears_is_not_claimed_and_one_it_hears_is(processes, crm, db_engine):
    """Before anything is deployed a new lead starts nothing and leaves no claim (one
    read in autocommit decided it); once the shipped process is deployed the next new
    lead is claimed and starts it."""
    claims = (
        "SELECT count(*) AS n FROM processes.processed_events"
        " WHERE handler LIKE '%handle_lead_created'"
    )
    before = rows(db_engine, claims)[0].n
    quiet = call(crm["leads"], "create_lead", {"contact_name": "Ada Quiet"}, actor=REP)
    # the feed takes the same event from the same exchange: once it has it, the
    # processes service has had it too (half a second more for its one read)
    wait_for(
        lambda: rows(db_engine, "SELECT 1 FROM feed.record_refs WHERE id = :i", i=quiet["id"]),
        what="the feed to hear the lead",
    )
    time.sleep(0.5)
    assert rows(db_engine, claims)[0].n == before
    assert instance_of(db_engine, quiet["id"]) is None

    call(processes, "ensure_shipped_process_definitions", actor=ADMIN)
    heard = call(crm["leads"], "create_lead", {"contact_name": "Bo Heard"}, actor=REP)
    wait_for(lambda: instance_of(db_engine, heard["id"]), what="the process to start")
    assert rows(db_engine, claims)[0].n == before + 1
