"""Timers fire on time, once, whichever replica wakes them; a boundary timer escalates a
user task nobody did and cancels its activity; messages start and continue instances."""

from __future__ import annotations

from datetime import datetime

import pytest

from services.platform.errors import NotFound, PermissionDenied
from services.processes.service import ProcessesService

from .conftest import ADMIN, OTHER_REP, REP, call, fixture_xml, rows, wait_for


def deployed(processes, name: str) -> dict:
    definition = call(processes, "create_process_definition", fixture_xml(name), actor=ADMIN)
    return call(processes, "deploy_process_definition", definition["id"], actor=ADMIN)


def test_a_timer_fires_on_time_and_once(processes, db_engine):
    timer = deployed(processes, "timer_then_post.bpmn")
    started = call(
        processes,
        "start_process_instance",
        {"definition_id": timer["id"], "data": {"delay": "PT1S"}},
        actor=REP,
    )
    due = datetime.fromisoformat(started["next_due_at"].replace("Z", "+00:00"))

    def done() -> dict | None:
        found = call(processes, "get_process_instance", started["id"], actor=REP)
        return found if found["state"] == "completed" else None

    finished = wait_for(done, timeout=20, what="the timer")
    fired = [e for e in finished["log"] if e["kind"] == "timer_fired"]
    assert len(fired) == 1
    late = (datetime.fromisoformat(fired[0]["at"].replace("Z", "+00:00")) - due).total_seconds()
    assert 0 <= late < 5, late


def test_two_replicas_share_the_timers_and_fire_each_once(container_factory, config, db_engine):
    first = container_factory(ProcessesService, config)
    second = container_factory(ProcessesService, config)
    first.start()
    second.start()
    timer = deployed(first, "timer_then_post.bpmn")
    ids = [
        call(
            first,
            "start_process_instance",
            {"definition_id": timer["id"], "data": {"delay": "PT2S"}},
            actor=REP,
        )["id"]
        for _ in range(30)
    ]

    def all_done() -> bool:
        found = rows(
            db_engine, "SELECT count(*) AS n FROM processes.instances WHERE status = 'completed'"
        )
        return found[0].n == len(ids)

    wait_for(all_done, timeout=60, what="every timer to fire")
    fired = rows(
        db_engine,
        "SELECT instance_id, count(*) AS n FROM processes.process_log"
        " WHERE kind = 'timer_fired' GROUP BY instance_id",
    )
    assert len(fired) == len(ids) and all(r.n == 1 for r in fired)


def test_a_boundary_timer_escalates_a_task_nobody_did(processes, crm, db_engine):
    deadline = deployed(processes, "call_with_deadline.bpmn")
    started = call(
        processes,
        "start_process_instance",
        {"definition_id": deadline["id"], "data": {"assignee": REP["id"], "deadline": "PT2S"}},
        actor=REP,
    )
    task = wait_for(
        lambda: rows(
            db_engine,
            "SELECT * FROM processes.process_tasks"
            " WHERE instance_id = :i AND activity_id IS NOT NULL",
            i=started["id"],
        ),
        what="the call's activity",
    )[0]
    assert task.assignee_id == REP["id"] and task.form == [
        {"name": "reached", "type": "boolean"},
        {"name": "result", "type": "string"},
    ]

    def ended() -> dict | None:
        found = call(processes, "get_process_instance", started["id"], actor=REP)
        return found if found["state"] == "completed" else None

    finished = wait_for(ended, timeout=30, what="the escalation")
    assert finished["data"].get("escalated") is True
    assert call(processes, "get_process_task", task.id, actor=REP)["state"] == "cancelled"
    # told to the others (analytics counts it open and overdue no more)
    (told,) = rows(
        db_engine,
        "SELECT envelope FROM processes.outbox WHERE type = 'process_task_cancelled'",
    )
    assert told.envelope["data"]["id"] == task.id
    assert told.envelope["data"]["state"] == "cancelled" and told.envelope["data"]["completed_at"]
    activity = wait_for(
        lambda: (
            (a := call(crm["sales"], "get_activity", task.activity_id, actor=REP))["status"]
            == "cancelled"
            and a
        ),
        what="the activity to be cancelled",
    )
    assert activity["status"] == "cancelled"


def test_a_task_completed_with_its_form_moves_on_and_closes_its_activity(processes, crm, db_engine):
    deadline = deployed(processes, "call_with_deadline.bpmn")
    started = call(
        processes,
        "start_process_instance",
        {"definition_id": deadline["id"], "data": {"assignee": REP["id"], "deadline": "P1D"}},
        actor=REP,
    )
    task = wait_for(
        lambda: rows(
            db_engine,
            "SELECT * FROM processes.process_tasks"
            " WHERE instance_id = :i AND activity_id IS NOT NULL",
            i=started["id"],
        ),
        what="the call's activity",
    )[0]
    mine = call(
        processes, "list_process_tasks", {"mine": True, "filter": {"state": ["open"]}}, actor=REP
    )
    assert task.id in {t["id"] for t in mine["items"]}
    # another rep neither lists nor reads it, nor completes it
    others = call(processes, "list_process_tasks", None, actor=OTHER_REP)["items"]
    assert task.id not in {t["id"] for t in others}
    with pytest.raises(NotFound):
        call(processes, "get_process_task", task.id, actor=OTHER_REP)
    with pytest.raises(PermissionDenied):
        call(processes, "complete_process_task", task.id, {"reached": False}, actor=OTHER_REP)
    done = call(
        processes,
        "complete_process_task",
        task.id,
        {"reached": True, "result": "Spoke to her"},
        actor=REP,
    )
    assert done["state"] == "completed" and done["completed_by"] == REP["id"]
    finished = call(processes, "get_process_instance", started["id"], actor=REP)
    assert finished["state"] == "completed" and finished["data"]["reached"] is True
    activity = wait_for(
        lambda: (
            (a := call(crm["sales"], "get_activity", task.activity_id, actor=REP))["status"]
            == "completed"
            and a
        ),
        what="the activity to be completed",
    )
    assert activity["result"] == "Spoke to her"


def test_messages_start_and_continue_instances(processes):
    deployed(processes, "messages.bpmn")
    sent = call(
        processes,
        "send_process_message",
        "partner_order",
        {"number": "P-1"},
        actor=ADMIN,
        record_type="order",
        record_id="0190a3c5-0000-7000-8000-000000000001",
    )
    (instance_id,) = sent["started"]
    assert call(processes, "get_process_instance", instance_id, actor=ADMIN)["waiting_for"] == [
        "message:partner_paid"
    ]
    paid = call(
        processes,
        "send_process_message",
        "partner_paid",
        {},
        actor=ADMIN,
        record_type="order",
        record_id="0190a3c5-0000-7000-8000-000000000001",
    )
    assert paid["continued"] == [instance_id]
    assert call(processes, "get_process_instance", instance_id, actor=ADMIN)["state"] == "completed"
