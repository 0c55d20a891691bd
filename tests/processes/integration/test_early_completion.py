"""A user task's activity completed before the answer that names it reaches the task
(issue 17): the completion is not lost, whichever comes first."""

from __future__ import annotations

import json

import eventlet
import kombu
import sqlalchemy as sa

from services.platform.ids import new_id
from tests.platform.keyed_requests import waiting_on_locks

from .conftest import ADMIN, REP, call, fixture_xml, rows, wait_for


def start_call(processes) -> dict:
    definition = call(
        processes, "create_process_definition", fixture_xml("call_with_deadline.bpmn"), actor=ADMIN
    )
    call(processes, "deploy_process_definition", definition["id"], actor=ADMIN)
    return call(
        processes,
        "start_process_instance",
        {"definition_id": definition["id"], "data": {"assignee": REP["id"], "deadline": "PT1H"}},
        actor=REP,
    )


def asked_for(db_engine) -> list:
    return rows(
        db_engine,
        "SELECT instance_id FROM processes.action_calls"
        " WHERE operation = 'create_activity' AND state = 'sent'",
    )


def event_waiting(db_engine) -> bool:
    """Whether the activity_completed handler waits for the answers still to come."""
    return bool(
        rows(
            db_engine,
            "SELECT 1 FROM pg_stat_activity WHERE datname = current_database()"
            " AND wait_event_type = 'Lock' AND query LIKE '%purpose%FOR UPDATE%'",
        )
    )


def instance_of(processes, instance_id: str) -> dict:
    return call(processes, "get_process_instance", instance_id, actor=REP)


def test_a_completion_while_the_answer_is_being_stored_waits_for_it(
    container_factory, config, db_engine
):
    """Sales answers with the activity, but storing that answer is held up (a lock on
    its ledger row); the rep completes the activity meanwhile. The event waits for the
    answer being stored, then finds the task and completes it."""
    from services.processes.service import ProcessesService
    from services.sales.service import SalesService

    stopped = container_factory(SalesService, config)
    stopped.start()
    stopped.stop()  # its queue stays: the request waits there
    processes = container_factory(ProcessesService, config)
    processes.start()
    # the start waits for the activity's answer (up to the action timeout) meanwhile
    starting = eventlet.spawn(start_call, processes)
    (sent,) = wait_for(lambda: asked_for(db_engine), what="the activity to be asked for")
    with db_engine.connect() as holder:
        holder.execute(
            sa.text("SELECT 1 FROM processes.action_calls WHERE instance_id = :i FOR UPDATE"),
            {"i": sent.instance_id},
        )
        sales = container_factory(SalesService, config)
        sales.start()
        (activity,) = wait_for(
            lambda: rows(db_engine, "SELECT id FROM sales.activities"), what="the activity"
        )
        wait_for(lambda: waiting_on_locks(db_engine) >= 1, what="the answer to wait")
        call(sales, "complete_activity", activity.id, {"result": "reached"}, actor=REP)
        wait_for(lambda: event_waiting(db_engine), what="the event to wait for the answer")
        holder.rollback()
    started = starting.wait()

    def completed() -> dict | None:
        instance = instance_of(processes, started["id"])
        return instance if instance["state"] == "completed" else None

    done = wait_for(completed, what="the instance to complete")
    (task,) = rows(
        db_engine,
        "SELECT state, activity_id, data FROM processes.process_tasks WHERE instance_id = :i",
        i=started["id"],
    )
    assert task.state == "completed" and task.activity_id == activity.id
    assert task.data == {"result": "reached"}
    assert "task_completed" in [e["kind"] for e in done["log"]]
    assert rows(db_engine, "SELECT * FROM processes.parked_completions") == []


def test_a_completion_that_comes_before_the_answer_is_parked_for_it(
    container_factory, config, db_engine
):
    """The activity_completed event arrives while the request is still unanswered (sales
    made and completed the activity; its reply is later): the completion is parked, and
    the answer, when it comes, completes the task with it."""
    from services.processes.service import ProcessesService
    from services.sales.service import SalesService

    stopped = container_factory(SalesService, config)
    stopped.start()
    stopped.stop()
    processes = container_factory(ProcessesService, config)
    processes.start()
    starting = eventlet.spawn(start_call, processes)
    (sent,) = wait_for(lambda: asked_for(db_engine), what="the activity to be asked for")
    activity_id = new_id()
    with kombu.Connection(config["AMQP_URI"]) as connection:
        channel = connection.channel()
        request = wait_for(
            lambda: channel.basic_get(queue="rpc-sales", no_ack=True), what="the request"
        )
        assert request.delivery_info["routing_key"] == "sales.create_activity"
        # sales' event first, as its outbox would publish it
        events = kombu.Exchange("sales.events", type="topic", durable=True)
        kombu.Producer(channel, exchange=events).publish(
            {
                "id": new_id(),
                "type": "activity_completed",
                "occurred_at": "2026-12-07T00:00:00Z",
                "actor": {"id": REP["id"], "email": REP["email"]},
                "source": "sales",
                "data": {"id": activity_id, "status": "completed", "result": "no answer"},
            },
            routing_key="activity_completed",
            serializer="json",
        )
        wait_for(
            lambda: rows(
                db_engine,
                "SELECT 1 FROM processes.parked_completions WHERE activity_id = :a",
                a=activity_id,
            ),
            what="the completion to be parked",
        )
        (task,) = rows(
            db_engine,
            "SELECT state FROM processes.process_tasks WHERE instance_id = :i",
            i=sent.instance_id,
        )
        assert task.state == "open"
        # then its answer
        body = json.loads(request.body)
        assert body["kwargs"].get("idempotency_key")
        kombu.Producer(channel, exchange=kombu.Exchange("nameko-rpc", type="topic")).publish(
            {"result": {"id": activity_id, "status": "open"}, "error": None},
            routing_key=request.properties["reply_to"],
            correlation_id=request.properties["correlation_id"],
            serializer="json",
        )
        started = starting.wait()

    def completed() -> dict | None:
        instance = instance_of(processes, started["id"])
        return instance if instance["state"] == "completed" else None

    wait_for(completed, what="the instance to complete")
    (task,) = rows(
        db_engine,
        "SELECT state, activity_id, data FROM processes.process_tasks WHERE instance_id = :i",
        i=started["id"],
    )
    assert task.state == "completed" and task.activity_id == activity_id
    assert task.data == {"result": "no answer"}
    assert rows(db_engine, "SELECT * FROM processes.parked_completions") == []
