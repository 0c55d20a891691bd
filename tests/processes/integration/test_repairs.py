"""A failed step shows its error; an administrator retries it, skips it or cancels the
instance; a failed action is asked again under the same idempotency key."""

from __future__ import annotations

import pytest

from services.platform.errors import Conflict, PermissionDenied, ValidationFailed
from services.platform.ids import new_id

from .conftest import ADMIN, REP, call, fixture_xml, rows, wait_for


def deployed(processes, name: str) -> dict:
    definition = call(processes, "create_process_definition", fixture_xml(name), actor=ADMIN)
    return call(processes, "deploy_process_definition", definition["id"], actor=ADMIN)


def test_gateways_route_on_process_data(processes):
    divide = deployed(processes, "divide.bpmn")
    large = call(
        processes,
        "start_process_instance",
        {"definition_id": divide["id"], "data": {"budget": 90000, "people": 3}},
        actor=REP,
    )
    small = call(
        processes,
        "start_process_instance",
        {"definition_id": divide["id"], "data": {"budget": 900, "people": 3}},
        actor=REP,
    )
    assert large["state"] == small["state"] == "completed"
    assert large["data"]["size"] == "large" and small["data"]["size"] == "small"
    assert large["data"]["counted"] == 3 and large["data"]["share"] == 30000


def test_a_failed_step_is_shown_retried_and_skipped(processes, db_engine):
    divide = deployed(processes, "divide.bpmn")
    failed = call(
        processes,
        "start_process_instance",
        {"definition_id": divide["id"], "data": {"budget": 10, "people": 0}},
        actor=REP,
    )
    assert failed["state"] == "failed"
    assert (
        failed["error"]["element_id"] == "Divide"
        and "ZeroDivisionError" in failed["error"]["message"]
    )

    with pytest.raises(PermissionDenied):
        call(processes, "retry_process_instance", failed["id"], actor=REP)
    again = call(processes, "retry_process_instance", failed["id"], actor=ADMIN)
    assert again["state"] == "failed"

    # a step the instance does not have (found by bench/fuzz_api.py: it was a 500)
    with pytest.raises(ValidationFailed) as unknown:
        call(processes, "skip_process_step", failed["id"], actor=ADMIN, task_id=new_id())
    assert unknown.value.errors[0]["field"] == "task_id"
    skipped = call(processes, "skip_process_step", failed["id"], actor=ADMIN, data={"share": 0})
    assert skipped["state"] == "completed" and skipped["data"]["size"] == "small"
    log = call(processes, "get_process_instance", failed["id"], actor=REP)["log"]
    kinds = [e["kind"] for e in log]
    assert (
        kinds.count("step_failed") == 2
        and "retried" in kinds
        and kinds[-2:] == ["skipped", "completed"]
    )
    skip = next(e for e in log if e["kind"] == "skipped")
    assert skip["actor_id"] == ADMIN["id"] and skip["at"]
    with pytest.raises(Conflict):
        call(processes, "retry_process_instance", failed["id"], actor=ADMIN)


def test_cancel_ends_a_waiting_instance(processes):
    timer = deployed(processes, "timer_then_post.bpmn")
    waiting = call(
        processes,
        "start_process_instance",
        {"definition_id": timer["id"], "data": {"delay": "PT1H"}},
        actor=REP,
    )
    assert waiting["state"] == "waiting" and waiting["next_due_at"]
    cancelled = call(
        processes, "cancel_process_instance", waiting["id"], actor=ADMIN, reason="not needed"
    )
    assert (
        cancelled["state"] == "cancelled"
        and cancelled["next_due_at"] is None
        and cancelled["ended_at"]
    )
    with pytest.raises(Conflict):
        call(processes, "cancel_process_instance", waiting["id"], actor=ADMIN)


def test_a_failed_action_fails_its_step_and_a_retry_asks_again_under_its_key(
    processes, crm, db_engine
):
    change = deployed(processes, "change_lead.bpmn")
    missing = {"record_type": "lead", "record_id": new_id()}
    started = call(
        processes,
        "start_process_instance",
        {"definition_id": change["id"], **missing, "data": {"note": "call back"}},
        actor=REP,
    )

    def state() -> str:
        return call(processes, "get_process_instance", started["id"], actor=REP)["state"]

    wait_for(lambda: state() == "failed", what="the action to fail")
    instance = call(processes, "get_process_instance", started["id"], actor=REP)
    assert (
        instance["error"]["element_id"] == "Change"
        and "No such lead" in instance["error"]["message"]
    )
    (failed_call,) = instance["calls"]
    assert failed_call["state"] == "failed" and failed_call["attempts"] == 1

    call(processes, "retry_process_instance", started["id"], actor=ADMIN)
    wait_for(lambda: state() == "failed", what="the retried action to fail again")
    (again,) = call(processes, "get_process_instance", started["id"], actor=REP)["calls"]
    assert again["key"] == failed_call["key"] and again["attempts"] == 2

    # with a lead that exists the same process runs to its end, each action once
    lead = call(crm["leads"], "create_lead", {"contact_name": "Olga Ray"}, actor=REP)
    ok = call(
        processes,
        "start_process_instance",
        {
            "definition_id": change["id"],
            "record_type": "lead",
            "record_id": lead["id"],
            "data": {"note": "call back"},
        },
        actor=REP,
    )
    finished = wait_for(
        lambda: (
            (i := call(processes, "get_process_instance", ok["id"], actor=REP))["state"]
            in ("completed", "failed")
            and i
        ),
        what="the notes",
    )
    assert finished["state"] == "completed", (finished["error"], finished["calls"])
    assert call(crm["leads"], "get_lead", lead["id"], actor=REP)["notes"] == "call back"
    done = rows(
        db_engine,
        "SELECT operation, attempts FROM processes.action_calls WHERE instance_id = :i",
        i=ok["id"],
    )
    assert sorted((r.operation, r.attempts) for r in done) == [
        ("change_record", 1),
        ("post_to_feed", 1),
    ]


def test_cancelling_an_instance_cancels_its_open_task_and_tells_so(processes, crm, db_engine):
    deadline = deployed(processes, "call_with_deadline.bpmn")
    started = call(
        processes,
        "start_process_instance",
        {"definition_id": deadline["id"], "data": {"assignee": REP["id"], "deadline": "PT1H"}},
        actor=REP,
    )
    (task,) = wait_for(
        lambda: rows(
            db_engine,
            "SELECT id FROM processes.process_tasks WHERE instance_id = :i",
            i=started["id"],
        ),
        what="the task",
    )
    call(processes, "cancel_process_instance", started["id"], actor=ADMIN, reason="duplicate")
    assert call(processes, "get_process_task", task.id, actor=REP)["state"] == "cancelled"
    (told,) = rows(
        db_engine,
        "SELECT envelope FROM processes.outbox WHERE type = 'process_task_cancelled'",
    )
    assert told.envelope["data"]["id"] == task.id
    assert told.envelope["data"]["state"] == "cancelled"
