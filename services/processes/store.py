"""SQL of the processes service: functions that take the session ``db``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, insert

from services.platform.errors import ValidationFailed
from services.platform.events import utcnow
from services.platform.ids import new_id
from services.platform.records import not_found
from services.platform.values import is_uuid

from .models import (
    action_calls,
    definition_versions,
    definitions,
    instances,
    parked_completions,
    process_log,
    process_tasks,
    start_triggers,
)

# --- definitions --------------------------------------------------------------------


def definition(db: Any, definition_id: str, *, for_update: bool = False) -> Any:
    if not is_uuid(definition_id):
        raise not_found("process definition", "definition_id")
    stmt = sa.select(definitions).where(definitions.c.id == definition_id)
    if for_update:
        stmt = stmt.with_for_update()
    row = db.execute(stmt).first()
    if row is None:
        raise not_found("process definition", "definition_id")
    return row


def definition_by_key(db: Any, key: str) -> Any:
    return db.execute(sa.select(definitions).where(definitions.c.key == key)).first()


def list_definitions(db: Any) -> list[Any]:
    return db.execute(sa.select(definitions).order_by(definitions.c.name, definitions.c.id)).all()


def insert_definition(db: Any, values: dict[str, Any]) -> None:
    db.execute(definitions.insert().values(**values))


def update_definition(db: Any, definition_id: str, values: dict[str, Any]) -> None:
    db.execute(
        definitions.update()
        .where(definitions.c.id == definition_id)
        .values(**values, version=definitions.c.version + 1)
    )


def insert_version(db: Any, values: dict[str, Any]) -> None:
    db.execute(definition_versions.insert().values(**values))


def version_row(db: Any, definition_id: str, number: int | None = None) -> Any:
    stmt = sa.select(definition_versions).where(
        definition_versions.c.definition_id == definition_id
    )
    if number is None:
        stmt = stmt.order_by(definition_versions.c.number.desc()).limit(1)
    else:
        stmt = stmt.where(definition_versions.c.number == number)
    row = db.execute(stmt).first()
    if row is None:
        raise ValidationFailed(
            f"No version {number} of this process",
            [{"field": "version", "message": "no such version"}],
        )
    return row


def version_by_id(db: Any, version_id: str) -> Any:
    return db.execute(
        sa.select(definition_versions).where(definition_versions.c.id == version_id)
    ).first()


def list_versions(db: Any, definition_id: str) -> list[Any]:
    cols = [c for c in definition_versions.c if c.name not in ("bpmn_xml", "spec")]
    return db.execute(
        sa.select(*cols)
        .where(definition_versions.c.definition_id == definition_id)
        .order_by(definition_versions.c.number.desc())
    ).all()


def mark_deployed(db: Any, version_id: str, when: datetime) -> None:
    db.execute(
        definition_versions.update()
        .where(definition_versions.c.id == version_id)
        .values(deployed_at=when)
    )


def replace_triggers(db: Any, definition_id: str, version_id: str, triggers: list[dict]) -> None:
    db.execute(start_triggers.delete().where(start_triggers.c.definition_id == definition_id))
    rows = [
        {
            "definition_id": definition_id,
            "version_id": version_id,
            "kind": t["kind"],
            "name": t["name"],
            "start_event_id": t["start_event_id"],
            "condition": t.get("condition"),
        }
        for t in triggers
        if t["kind"] in ("signal", "message")
    ]
    if rows:
        db.execute(start_triggers.insert(), rows)


def start_signal_names(db: Any) -> set[str]:
    """The record events a deployed start is bound to."""
    rows = db.execute(
        sa.select(start_triggers.c.name).where(start_triggers.c.kind == "signal").distinct()
    )
    return {row.name for row in rows}


def triggers_for(db: Any, kind: str, names: list[str]) -> list[Any]:
    """The deployed starts bound to any of ``names``, with their definition and version."""
    return db.execute(
        sa.select(
            start_triggers.c.name,
            start_triggers.c.start_event_id,
            start_triggers.c.condition,
            definitions.c.id.label("definition_id"),
            definitions.c.name.label("definition_name"),
            definition_versions.c.id.label("version_id"),
            definition_versions.c.number,
            definition_versions.c.spec,
            definition_versions.c.triggers,
        )
        .join(definitions, definitions.c.id == start_triggers.c.definition_id)
        .join(definition_versions, definition_versions.c.id == start_triggers.c.version_id)
        .where(start_triggers.c.kind == kind, start_triggers.c.name.in_(names))
        .where(definitions.c.deployed_version_id == start_triggers.c.version_id)
        .order_by(definitions.c.name)
    ).all()


# --- instances ----------------------------------------------------------------------


def instance(
    db: Any, instance_id: str, *, for_update: bool = False, skip_locked: bool = False
) -> Any:
    if not is_uuid(instance_id):
        raise not_found("process instance", "instance_id")
    stmt = sa.select(instances).where(instances.c.id == instance_id)
    if for_update:
        stmt = stmt.with_for_update(skip_locked=skip_locked)
    row = db.execute(stmt).first()
    if row is None and not skip_locked:
        raise not_found("process instance", "instance_id")
    return row


def insert_instance(db: Any, values: dict[str, Any]) -> None:
    db.execute(instances.insert().values(**values))


def save_instance(db: Any, instance_id: str, values: dict[str, Any]) -> None:
    db.execute(
        instances.update()
        .where(instances.c.id == instance_id)
        .values(**values, version=instances.c.version + 1)
    )


def claim_due(db: Any, now: datetime, limit: int) -> list[Any]:
    """Instances whose timer is due, locked for this transaction; rows another replica
    holds are skipped, so no timer fires twice."""
    return db.execute(
        sa.select(instances)
        .where(instances.c.status == "waiting")
        .where(instances.c.next_due_at.is_not(None))
        .where(instances.c.next_due_at <= now)
        .order_by(instances.c.next_due_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()


# Whether an event can start or move anything: one read, in autocommit, before the
# handler claims the event (most record events start nothing and wake nobody).
_LISTENS = sa.text(
    f"""
    SELECT EXISTS (
        SELECT 1 FROM {start_triggers.fullname} t
        JOIN {definitions.fullname} d
          ON d.id = t.definition_id AND d.deployed_version_id = t.version_id
        WHERE t.kind = 'signal' AND t.name = ANY(CAST(:names AS text[]))
    ) OR EXISTS (
        SELECT 1 FROM {instances.fullname} i
        JOIN {definition_versions.fullname} v ON v.id = i.version_id
        WHERE CAST(:record_type AS text) IS NOT NULL
          AND i.record_type = :record_type AND i.record_id = :record_id
          AND ((i.status = 'waiting' AND CAST(i.waiting_for AS text[]) && CAST(:waits AS text[]))
               OR (i.status = 'running' AND v.summary -> 'signals' ?| CAST(:names AS text[])))
    ) AS listens
    """
)


def anything_listens(
    db: Any, names: list[str], record_type: str | None, record_id: str | None
) -> bool:
    """True when a deployed start is bound to one of ``names``, or an open instance about
    the record waits for one of them (or is busy and may catch one): what
    :func:`triggers_for` and :func:`instances_for_event` would find, asked at once."""
    rows = db.read(
        _LISTENS,
        {
            "names": names,
            "waits": [f"signal:{name}" for name in names],
            "record_type": record_type if record_id else None,
            "record_id": record_id,
        },
    )
    return bool(rows[0].listens)


def instances_for_event(db: Any, record_type: str, record_id: str, signal: str) -> list[str]:
    """Open instances about the record that wait for ``signal`` now, or that are busy
    with an action and whose version may catch it later on its way."""
    rows = db.execute(
        sa.select(instances.c.id)
        .join(definition_versions, definition_versions.c.id == instances.c.version_id)
        .where(instances.c.record_type == record_type, instances.c.record_id == record_id)
        .where(
            sa.or_(
                sa.and_(
                    instances.c.status == "waiting",
                    instances.c.waiting_for.any_() == f"signal:{signal}",
                ),
                sa.and_(
                    instances.c.status == "running",
                    definition_versions.c.summary["signals"].contains([signal]),
                ),
            )
        )
        .order_by(instances.c.started_at)
    ).all()
    return [r.id for r in rows]


def keep_in_inbox(db: Any, instance_id: str, event: dict[str, Any]) -> None:
    db.execute(
        instances.update()
        .where(instances.c.id == instance_id)
        .values(inbox=instances.c.inbox + sa.func.jsonb_build_array(sa.cast(event, JSONB)))
    )


def set_inbox(db: Any, instance_id: str, inbox: list[dict[str, Any]]) -> None:
    db.execute(instances.update().where(instances.c.id == instance_id).values(inbox=inbox))


def waiting_instances(db: Any, record_type: str, record_id: str, waits_for: str) -> list[str]:
    rows = db.execute(
        sa.select(instances.c.id)
        .where(instances.c.record_type == record_type, instances.c.record_id == record_id)
        .where(instances.c.status == "waiting")
        .where(instances.c.waiting_for.any_() == waits_for)
        .order_by(instances.c.started_at)
    ).all()
    return [r.id for r in rows]


def instances_waiting_for(db: Any, waits_for: str, limit: int = 500) -> list[str]:
    rows = db.execute(
        sa.select(instances.c.id)
        .where(instances.c.status == "waiting")
        .where(instances.c.waiting_for.any_() == waits_for)
        .order_by(instances.c.started_at)
        .limit(limit)
    ).all()
    return [r.id for r in rows]


def open_timer_starts(db: Any, definition_id: str) -> list[Any]:
    return db.execute(
        sa.select(instances.c.id, instances.c.current, definition_versions.c.triggers)
        .join(definition_versions, definition_versions.c.id == instances.c.version_id)
        .where(instances.c.definition_id == definition_id)
        .where(instances.c.start_event == "timer")
        .where(instances.c.status == "waiting")
    ).all()


_INSTANCE_LIST_COLUMNS = [c for c in instances.c if c.name not in ("state",)]


def list_instances(
    db: Any,
    filters: dict[str, list[str]],
    limit: int,
    after: tuple | None,
    readable: Any = None,
) -> list[Any]:
    stmt = sa.select(*_INSTANCE_LIST_COLUMNS)
    if readable is not None:
        stmt = stmt.where(readable)
    for name, values in filters.items():
        stmt = stmt.where(instances.c[name].in_(values))
    if after is not None:
        stmt = stmt.where(sa.tuple_(instances.c.started_at, instances.c.id) < sa.tuple_(*after))
    stmt = stmt.order_by(instances.c.started_at.desc(), instances.c.id.desc()).limit(limit + 1)
    return db.execute(stmt).all()


# --- the log ------------------------------------------------------------------------


def add_log(db: Any, entries: list[dict[str, Any]]) -> None:
    if entries:
        db.execute(process_log.insert(), entries)


def read_log(db: Any, instance_id: str, limit: int = 500) -> list[Any]:
    return db.execute(
        sa.select(process_log)
        .where(process_log.c.instance_id == instance_id)
        .order_by(process_log.c.id)
        .limit(limit)
    ).all()


# --- the action ledger --------------------------------------------------------------


def request_call(db: Any, values: dict[str, Any]) -> bool:
    """Record a call to make; a key seen before is kept as it is unless it failed (a
    retry asks again). True when the call is (again) pending."""
    stmt = insert(action_calls).values(**values, state="pending", created_at=utcnow())
    stmt = stmt.on_conflict_do_update(
        index_elements=["key"],
        set_={"state": "pending", "params": stmt.excluded.params, "error": None},
        where=action_calls.c.state == "failed",
    ).returning(action_calls.c.key)
    return db.execute(stmt).first() is not None


def claim_calls(db: Any, keys: list[str], now: datetime) -> list[Any]:
    """Mark pending calls sent (each once: two workers never send one call)."""
    if not keys:
        return []
    return db.execute(
        action_calls.update()
        .where(action_calls.c.key.in_(keys), action_calls.c.state == "pending")
        .values(state="sent", sent_at=now, attempts=action_calls.c.attempts + 1)
        .returning(*action_calls.c)
    ).all()


def call(db: Any, key: str, *, for_update: bool = False) -> Any:
    stmt = sa.select(action_calls).where(action_calls.c.key == key)
    if for_update:
        stmt = stmt.with_for_update()
    return db.execute(stmt).first()


def finish_call(
    db: Any, key: str, state: str, now: datetime, result: Any = None, error: Any = None
) -> bool:
    row = db.execute(
        action_calls.update()
        .where(action_calls.c.key == key, action_calls.c.state == "sent")
        .values(state=state, result=result, error=error, done_at=now)
        .returning(action_calls.c.key)
    ).first()
    return row is not None


def stale_calls(
    db: Any, pending_before: datetime, sent_before: datetime, limit: int = 100
) -> list[Any]:
    return db.execute(
        sa.select(action_calls)
        .where(
            sa.or_(
                sa.and_(
                    action_calls.c.state == "pending", action_calls.c.created_at < pending_before
                ),
                sa.and_(action_calls.c.state == "sent", action_calls.c.sent_at < sent_before),
            )
        )
        .order_by(action_calls.c.created_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()


def reset_call(db: Any, key: str) -> None:
    db.execute(action_calls.update().where(action_calls.c.key == key).values(state="pending"))


def fail_call(db: Any, key: str, error: dict[str, Any], now: datetime) -> None:
    db.execute(
        action_calls.update()
        .where(action_calls.c.key == key)
        .values(state="failed", error=error, done_at=now)
    )


def calls_of(db: Any, instance_id: str) -> list[Any]:
    return db.execute(
        sa.select(action_calls)
        .where(action_calls.c.instance_id == instance_id)
        .order_by(action_calls.c.created_at)
    ).all()


# --- user tasks ---------------------------------------------------------------------


def task_ids_of(db: Any, instance_id: str, state: str | None = None) -> dict[str, Any]:
    stmt = sa.select(process_tasks).where(process_tasks.c.instance_id == instance_id)
    if state is not None:
        stmt = stmt.where(process_tasks.c.state == state)
    return {r.task_id: r for r in db.execute(stmt).all()}


def insert_task(db: Any, values: dict[str, Any]) -> bool:
    stmt = (
        insert(process_tasks)
        .values(**{"id": new_id(), **values})
        .on_conflict_do_nothing(index_elements=["instance_id", "task_id"])
        .returning(process_tasks.c.id)
    )
    return db.execute(stmt).first() is not None


def process_task(db: Any, task_id: str, *, for_update: bool = False) -> Any:
    if not is_uuid(task_id):
        raise not_found("process task", "task_id")
    stmt = sa.select(process_tasks).where(process_tasks.c.id == task_id)
    if for_update:
        stmt = stmt.with_for_update()
    row = db.execute(stmt).first()
    if row is None:
        raise not_found("process task", "task_id")
    return row


def task_by_activity(db: Any, activity_id: str) -> Any:
    return db.execute(
        sa.select(process_tasks).where(process_tasks.c.activity_id == activity_id).with_for_update()
    ).first()


def lock_unanswered_task_activities(db: Any) -> bool:
    """Lock the user tasks' activity requests still without an answer (waiting for any
    answer being stored right now); whether there are any."""
    rows = db.execute(
        sa.select(action_calls.c.key)
        .where(
            action_calls.c.purpose == "user_task",
            action_calls.c.state.in_(("pending", "sent")),
        )
        .with_for_update()
    ).all()
    return bool(rows)


def park_completion(
    db: Any, activity_id: str, data: dict[str, Any], actor: Any, now: datetime
) -> None:
    db.execute(
        insert(parked_completions)
        .values(activity_id=activity_id, data=data, actor=actor, parked_at=now)
        .on_conflict_do_nothing(index_elements=["activity_id"])
    )


def take_parked_completion(db: Any, activity_id: str) -> Any:
    return db.execute(
        parked_completions.delete()
        .where(parked_completions.c.activity_id == activity_id)
        .returning(parked_completions.c.data, parked_completions.c.actor)
    ).first()


def drop_parked_completions(db: Any, before: datetime) -> int:
    result = db.execute(parked_completions.delete().where(parked_completions.c.parked_at < before))
    return result.rowcount or 0


def task_of(db: Any, instance_id: str, task_id: str) -> Any:
    return db.execute(
        sa.select(process_tasks)
        .where(process_tasks.c.instance_id == instance_id, process_tasks.c.task_id == task_id)
        .with_for_update()
    ).first()


def update_task(db: Any, row_id: str, values: dict[str, Any]) -> None:
    db.execute(
        process_tasks.update()
        .where(process_tasks.c.id == row_id)
        .values(**values, version=process_tasks.c.version + 1)
    )


def set_task_activity(db: Any, instance_id: str, task_id: str, activity_id: str) -> str | None:
    """Record the task's activity; the task's state (it may be done already)."""
    row = db.execute(
        process_tasks.update()
        .where(process_tasks.c.instance_id == instance_id, process_tasks.c.task_id == task_id)
        .values(activity_id=activity_id)
        .returning(process_tasks.c.state)
    ).first()
    return row.state if row else None


def list_tasks(
    db: Any,
    filters: dict[str, list[str]],
    mine: tuple[str, tuple[str, ...]] | None,
    limit: int,
    after: tuple | None,
) -> list[Any]:
    stmt = sa.select(process_tasks, instances.c.name.label("process_name")).join(
        instances, instances.c.id == process_tasks.c.instance_id
    )
    for name, values in filters.items():
        stmt = stmt.where(process_tasks.c[name].in_(values))
    if mine is not None:
        user_id, roles = mine
        stmt = stmt.where(
            sa.or_(
                process_tasks.c.assignee_id == user_id,
                sa.and_(
                    process_tasks.c.assignee_id.is_(None),
                    process_tasks.c.candidate_role.in_(roles or ("",)),
                ),
            )
        )
    if after is not None:
        stmt = stmt.where(
            sa.tuple_(process_tasks.c.created_at, process_tasks.c.id) < sa.tuple_(*after)
        )
    stmt = stmt.order_by(process_tasks.c.created_at.desc(), process_tasks.c.id.desc()).limit(
        limit + 1
    )
    return db.execute(stmt).all()
