"""The steps of a process instance, as plain functions over the session ``db`` and the
engine: start one, take one step, follow what a step implies, cancel one, complete a
user task, write the log.

A step is one transaction: lock the instance's row, load its workflow, change it (a
task completed, a signal caught, a timer due), let the engine run what it can, then
write what follows — the state and its indexed columns, the log, the calls to make
(``action_calls``: one row per idempotency key), the user tasks and their activities,
the events. None of them commits: the part that calls them commits, then sends the
calls the step asked for (:func:`services.processes.calls.dispatch`) with the keys
they return.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from services.platform.db import ServiceSession
from services.platform.events import isoformat, utcnow
from services.platform.ids import new_id

from . import domain, store
from .engine import Engine, StepFailed

#: change(workflow, row) -> log entries (dicts) for the step; may raise to refuse
Change = Callable[[Any, Any], list[dict[str, Any]]]


def entry(
    kind: str,
    *,
    element_id: str | None = None,
    name: str | None = None,
    task_id: str | None = None,
    data: Any = None,
) -> dict[str, Any]:
    """One line of an instance's log, before it is written (:func:`write_log`)."""
    return {
        "kind": kind,
        "element_id": element_id,
        "element_name": name,
        "task_id": task_id,
        "data": data,
    }


def start_instance(
    db: ServiceSession,
    engine: Engine,
    definition: Any,
    version: Any,
    *,
    record_type: str | None,
    record_id: str | None,
    data: dict[str, Any],
    how: tuple[str, str],
    payload: dict[str, Any] | None,
    actor: dict[str, Any] | None,
) -> tuple[str, list[str]]:
    """Create and run an instance of ``version``; ``how`` is (kind, name) of its
    start: ``manual``, ``signal``, ``message`` or ``timer``. Not committed."""
    workflow = engine.new_workflow(
        version.spec, {**data, "record_type": record_type, "record_id": record_id}
    )
    failure = engine.run(workflow)
    kind, name = how
    if failure is None and kind in ("signal", "message"):
        send = engine.send_signal if kind == "signal" else engine.send_message
        send(workflow, name, payload or {})
        failure = engine.run(workflow)
    snapshot = engine.snapshot(workflow, failure)
    now = utcnow()
    instance_id = new_id()
    owner_id, team_id = domain.instance_owner(data, actor)
    row = {
        "id": instance_id,
        "definition_id": definition.id,
        "version_id": version.id,
        "version_number": version.number,
        "name": definition.name,
        "status": snapshot.status,
        "record_type": record_type,
        "record_id": record_id,
        "state": engine.dump(workflow),
        "data": snapshot.data,
        "next_due_at": snapshot.next_due_at,
        "waiting_for": snapshot.waiting_for,
        "current": snapshot.current,
        "error": failure.to_dict() if failure else None,
        "started_by": _uuid_or_none((actor or {}).get("id")),
        "owner_id": owner_id,
        "team_id": team_id,
        "start_event": kind,
        "started_at": now,
        "updated_at": now,
        "ended_at": now if snapshot.status == "completed" else None,
    }
    store.insert_instance(db, row)
    started = entry("started", data={"how": kind, "event": name, "version": version.number})
    keys = follow(
        db, engine, Row(row), workflow, snapshot, failure, [started], actor, previous_status=None
    )
    db.emit(
        "process_instance_started",
        instance_event_data(row, definition.name),
        actor=actor,
    )
    return instance_id, keys


def version_of(db: ServiceSession, engine: Engine, version_id: str) -> Any:
    """A definition version (cached: a saved version never changes what it runs)."""
    cache = engine.versions
    version = cache.get(version_id)
    if version is None:
        version = store.version_by_id(db, version_id)
        if len(cache) > 500:
            cache.clear()
        cache[version_id] = version
    return version


def take_step(
    db: ServiceSession,
    engine: Engine,
    instance_id: str,
    change: Change | None,
    actor: dict[str, Any] | None,
    *,
    failure_of_change: StepFailed | None = None,
    skip_locked: bool = False,
    locked: Any = None,
) -> list[str]:
    """Lock, load, change, run, save one instance (not committed); the call keys
    to send after commit. With ``skip_locked`` an instance another worker holds is
    left alone (returns []); ``locked`` is its row when this transaction holds it."""
    row = locked or store.instance(db, instance_id, for_update=True, skip_locked=skip_locked)
    if row is None or row.status in ("completed", "cancelled"):
        return []  # an ended instance takes no more steps (a late answer, a late event)
    version = version_of(db, engine, row.version_id)
    workflow = engine.load(version.spec, row.state)
    try:
        entries = change(workflow, row) if change is not None else []
    except StepFailed as exc:
        entries, failure_of_change = [], exc
    failure = failure_of_change or engine.run(workflow)
    if failure_of_change is not None:
        # the failed task stays failed; the other branches still run
        engine.run(workflow)
    snapshot = engine.snapshot(workflow, failure)
    values = {
        "status": snapshot.status,
        "state": engine.dump(workflow),
        "data": snapshot.data,
        "next_due_at": snapshot.next_due_at,
        "waiting_for": snapshot.waiting_for,
        "current": snapshot.current,
        "error": failure.to_dict()
        if failure
        else (row.error if snapshot.status == "failed" else None),
        "updated_at": utcnow(),
    }
    if snapshot.status == "completed" and row.ended_at is None:
        values["ended_at"] = values["updated_at"]
    store.save_instance(db, instance_id, values)
    merged = Row({**row._mapping, **values})
    keys = follow(
        db,
        engine,
        merged,
        workflow,
        snapshot,
        failure,
        entries,
        actor,
        previous_status=row.status,
        user_tasks=bool(version.summary.get("user_tasks")),
    )
    if snapshot.status == "waiting" and row.inbox:
        keys += read_inbox(db, engine, instance_id, list(row.inbox), snapshot.waiting_for)
    return keys


def read_inbox(
    db: ServiceSession, engine: Engine, instance_id: str, inbox: list[dict], waiting_for: list[str]
) -> list[str]:
    """Deliver the oldest kept event the instance now waits for; those before it
    that it does not wait for are dropped (as a signal nobody waits for is)."""
    while inbox:
        kept = inbox.pop(0)
        if f"signal:{kept['name']}" in waiting_for:
            store.set_inbox(db, instance_id, inbox)
            deliver = deliver_signal(engine, kept["name"], kept["data"], kept=True)
            return take_step(db, engine, instance_id, deliver, kept.get("actor"))
    store.set_inbox(db, instance_id, [])
    return []


def deliver_signal(
    engine: Engine, name: str, process_data: dict[str, Any], kept: bool = False
) -> Change:
    """The change that hands a record event (or one ``kept`` in the inbox) to the
    instance's tasks waiting for the signal ``name``."""

    def deliver(workflow: Any, _row: Any) -> list[dict[str, Any]]:
        # the waiting tasks see the record as the event carries it now
        engine.put_data(workflow, process_data)
        caught = engine.send_signal(workflow, name, process_data)
        data = {"event": name, "caught": caught, **({"kept": True} if kept else {})}
        return [entry("event_caught", data=data)]

    return deliver


def follow(
    db: ServiceSession,
    engine: Engine,
    row: Any,
    workflow: Any,
    snapshot: Any,
    failure: StepFailed | None,
    entries: list[dict[str, Any]],
    actor: dict[str, Any] | None,
    *,
    previous_status: str | None,
    user_tasks: bool = True,
) -> list[str]:
    """Everything a step implies besides the state: calls, tasks, log, events.
    (``user_tasks`` false: the version has none, so there are none to look up.)"""
    now = utcnow()
    keys: list[str] = []
    names = {c["element_id"]: c.get("name") for c in snapshot.current}
    for call in snapshot.calls:
        key = domain.idempotency_key(row.id, call["task_id"], "action")
        if store.request_call(
            db,
            {
                "key": key,
                "instance_id": row.id,
                "task_id": call["task_id"],
                "element_id": call["element_id"],
                "operation": call["operation"],
                "params": call["params"],
                "purpose": "service_task",
            },
        ):
            keys.append(key)
            entries.append(
                entry(
                    "action_requested",
                    element_id=call["element_id"],
                    name=call["name"],
                    task_id=call["task_id"],
                    data={"operation": call["operation"], "params": call["params"], "key": key},
                )
            )
    known = store.task_ids_of(db, row.id) if user_tasks or snapshot.user_tasks else {}
    for task in snapshot.user_tasks:
        if task["task_id"] in known:
            continue
        plan = domain.user_task_plan(task, row._mapping, now)
        task_row_id = new_id()
        store.insert_task(
            db,
            {
                "id": task_row_id,
                "instance_id": row.id,
                "task_id": task["task_id"],
                "element_id": task["element_id"],
                "name": task["name"][:300],
                "assignee_id": plan["assignee_id"],
                "candidate_role": plan["candidate_role"],
                "state": "open",
                "form": plan["form"],
                "record_type": row.record_type,
                "record_id": row.record_id,
                "due_at": plan["due_at"],
                "created_at": now,
            },
        )
        key = domain.idempotency_key(row.id, task["task_id"], "activity")
        if store.request_call(
            db,
            {
                "key": key,
                "instance_id": row.id,
                "task_id": task["task_id"],
                "element_id": task["element_id"],
                "operation": "create_activity",
                "params": {"data": plan["activity"]},
                "purpose": "user_task",
            },
        ):
            keys.append(key)
        entries.append(
            entry(
                "task_created",
                element_id=task["element_id"],
                name=task["name"],
                task_id=task["task_id"],
                data={
                    "assignee_id": plan["assignee_id"],
                    "candidate_role": plan["candidate_role"],
                },
            )
        )
        db.emit(
            "process_task_created",
            {
                "id": task_row_id,
                "instance_id": row.id,
                "task_id": task["task_id"],
                "name": task["name"],
                "assignee_id": plan["assignee_id"],
                "candidate_role": plan["candidate_role"],
                "record_type": row.record_type,
                "record_id": row.record_id,
                "state": "open",
                "due_at": isoformat(plan["due_at"]),
                "created_at": isoformat(now),
                "team_id": row.team_id,
            },
        )
    # User tasks that ended without a person (a boundary timer, a cancel): close them.
    open_tasks = {k: v for k, v in known.items() if v.state == "open"}
    for task_id in engine.finished_task_ids(workflow, list(open_tasks)):
        task_row = open_tasks[task_id]
        store.update_task(db, task_row.id, {"state": "cancelled", "completed_at": now})
        emit_task_cancelled(db, task_row, now)
        entries.append(
            entry(
                "task_cancelled",
                element_id=task_row.element_id,
                name=task_row.name,
                task_id=task_id,
            )
        )
        if task_row.activity_id:
            key = domain.idempotency_key(row.id, task_id, "cancel")
            if store.request_call(
                db,
                {
                    "key": key,
                    "instance_id": row.id,
                    "task_id": task_id,
                    "element_id": task_row.element_id,
                    "operation": "cancel_activity",
                    "params": {"activity_id": task_row.activity_id},
                    "purpose": "cleanup",
                },
            ):
                keys.append(key)
    if failure is not None:
        entries.append(
            entry(
                "step_failed",
                element_id=failure.element_id,
                name=names.get(failure.element_id),
                task_id=failure.task_id,
                data=failure.to_dict(),
            )
        )
    if snapshot.status != previous_status:
        if snapshot.status == "completed":
            entries.append(entry("completed"))
            db.emit(
                "process_instance_completed",
                instance_event_data(row._mapping, row.name),
                actor=actor,
            )
        elif snapshot.status == "failed":
            db.emit(
                "process_instance_failed",
                {
                    **instance_event_data(row._mapping, row.name),
                    "error": failure.to_dict() if failure else None,
                },
                actor=actor,
            )
    write_log(db, row.id, entries, actor, now)
    return keys


def cancel_instance(
    db: ServiceSession,
    engine: Engine,
    instance_id: str,
    actor: dict[str, Any] | None,
    reason: str | None,
) -> list[str]:
    """End an open instance: its waiting tasks cancelled, their activities too."""
    now = utcnow()
    row = store.instance(db, instance_id, for_update=True)
    domain.check_open(row.status)
    version = version_of(db, engine, row.version_id)
    workflow = engine.load(version.spec, row.state)
    engine.cancel(workflow)
    values = {
        "status": "cancelled",
        "state": engine.dump(workflow),
        "next_due_at": None,
        "waiting_for": [],
        "current": [],
        "updated_at": now,
        "ended_at": now,
    }
    store.save_instance(db, instance_id, values)
    keys = []
    entries = []
    for task_id, task_row in store.task_ids_of(db, instance_id, "open").items():
        store.update_task(db, task_row.id, {"state": "cancelled", "completed_at": now})
        emit_task_cancelled(db, task_row, now)
        entries.append(
            entry(
                "task_cancelled",
                element_id=task_row.element_id,
                name=task_row.name,
                task_id=task_id,
            )
        )
        if task_row.activity_id:
            key = domain.idempotency_key(instance_id, task_id, "cancel")
            if store.request_call(
                db,
                {
                    "key": key,
                    "instance_id": instance_id,
                    "task_id": task_id,
                    "element_id": task_row.element_id,
                    "operation": "cancel_activity",
                    "params": {"activity_id": task_row.activity_id},
                    "purpose": "cleanup",
                },
            ):
                keys.append(key)
    entries.append(entry("cancelled", data={"reason": reason}))
    write_log(db, instance_id, entries, actor, now)
    db.emit(
        "process_instance_cancelled",
        {**instance_event_data({**row._mapping, **values}, row.name), "reason": reason},
        actor=actor,
    )
    return keys


def complete_user_task(
    db: ServiceSession, engine: Engine, row: Any, data: dict[str, Any], actor: dict[str, Any] | None
) -> list[str]:
    """Complete the step of an open process task (not committed)."""
    now = utcnow()
    who = (actor or {}).get("id")
    store.update_task(
        db,
        row.id,
        {"state": "completed", "completed_at": now, "completed_by": who, "data": data},
    )

    def complete(workflow: Any, _instance: Any) -> list[dict[str, Any]]:
        try:
            engine.complete_task(workflow, row.task_id, {**data, "completed_by": who})
        except (KeyError, ValueError):
            return [
                entry("task_gone", element_id=row.element_id, name=row.name, task_id=row.task_id)
            ]
        return [
            entry(
                "task_completed",
                element_id=row.element_id,
                name=row.name,
                task_id=row.task_id,
                data=data,
            )
        ]

    keys = take_step(db, engine, row.instance_id, complete, actor)
    db.emit(
        "process_task_completed",
        {
            "id": row.id,
            "instance_id": row.instance_id,
            "task_id": row.task_id,
            "name": row.name,
            "data": data,
            "completed_by": who,
            "assignee_id": row.assignee_id,
            "state": "completed",
            "due_at": isoformat(row.due_at),
            "created_at": isoformat(row.created_at),
            "completed_at": isoformat(now),
        },
        actor=actor,
    )
    return keys


def write_log(
    db: ServiceSession,
    instance_id: str,
    entries: list[dict[str, Any]],
    actor: dict | None,
    now: Any,
) -> None:
    """Add the step's ``entries`` to the instance's log, under the actor who took it."""
    who = actor or {}
    store.add_log(
        db,
        [
            {
                **e,
                "instance_id": instance_id,
                "at": now,
                "actor_id": who.get("id"),
                "actor_name": (who.get("full_name") or who.get("email") or None),
                "data": json_safe(e.get("data")),
            }
            for e in entries
        ],
    )


class Row:
    """A saved instance's values read like a row (``row.id``, ``row._mapping``)."""

    def __init__(self, values: dict[str, Any]):
        self._mapping = values

    def __getattr__(self, name: str) -> Any:
        try:
            return self._mapping[name]
        except KeyError:
            raise AttributeError(name) from None


def _uuid_or_none(value: Any) -> str | None:
    from services.platform.values import is_uuid

    return str(value) if is_uuid(value) else None


def emit_task_cancelled(db: ServiceSession, task_row: Any, now: Any) -> None:
    """``process_task_cancelled``: a user task ended without a person (a boundary timer,
    the instance cancelled), so nobody counts it as open or overdue any more."""
    db.emit(
        "process_task_cancelled",
        {
            "id": task_row.id,
            "instance_id": task_row.instance_id,
            "task_id": task_row.task_id,
            "name": task_row.name,
            "assignee_id": task_row.assignee_id,
            "state": "cancelled",
            "due_at": isoformat(task_row.due_at),
            "created_at": isoformat(task_row.created_at),
            "completed_at": isoformat(now),
        },
    )


def instance_event_data(row: Any, name: str) -> dict[str, Any]:
    get = row.get if isinstance(row, dict) else row.__getitem__
    return {
        "id": get("id"),
        "definition_id": get("definition_id"),
        "version": get("version_number"),
        "name": name,
        "state": get("status"),
        "record_type": get("record_type"),
        "record_id": get("record_id"),
        "started_at": isoformat(get("started_at")),
        "ended_at": isoformat(get("ended_at")),
        # the record's owner and team: who may read the instance (and its figures)
        "owner_id": get("owner_id"),
        "team_id": get("team_id"),
    }


def json_safe(value: Any) -> Any:
    """``value`` as JSON keeps it (times and decimals as text), for the log and results."""
    import json

    if value is None:
        return None
    return json.loads(json.dumps(value, default=str))
