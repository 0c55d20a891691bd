"""The steps every owned sales record shares: insert, lock, change and delete it.

Functions that take the session ``db`` first; none commits (the entrypoint does, so a
change and its outbox event become durable together). Each emits its
``<entity>_created``/``_updated``/``_deleted`` event with the record as sent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from services.platform.access import Actor
from services.platform.entity_access import EntityAccess
from services.platform.errors import Conflict
from services.platform.events import utcnow
from services.platform.ids import new_id

from . import domain
from .domain import Entity
from .schemas import wire


@dataclass(frozen=True)
class Kind:
    """One kind of owned record: its table, its fields, how it goes on the wire and the
    caller's rights on it."""

    model: Any
    entity: Entity
    dump: Callable[[Any], dict[str, Any]]
    access: EntityAccess


@dataclass
class Update:
    """A change about to be made: the record as it was sent, as it would become, and
    the names of the fields that really change (in record order)."""

    current: dict[str, Any]
    values: dict[str, Any]
    changed: list[str]


def new_values(entity: Entity, changes: dict[str, Any], caller: Actor) -> dict[str, Any]:
    """A new record's values with a new id, the time now and the defaults (domain)."""
    return domain.new_record_values(entity, changes, caller, record_id=new_id(), now=utcnow())


def insert(db: Any, kind: Kind, values: dict[str, Any], actor: dict[str, Any]) -> dict[str, Any]:
    """Add the record and emit ``<entity>_created`` with it; the record as sent."""
    record = kind.model(**values)
    db.add(record)
    db.flush()
    result = kind.dump(record)
    db.emit(f"{kind.entity.name}_created", result, actor=actor)
    return result


def load(db: Any, kind: Kind, record_id: Any, caller: Actor) -> Any:
    """The record the caller may read (their roles read the entity, its record scope
    lets them); otherwise ``NotFound`` (the same for both). ``PermissionDenied`` when
    their roles do not read the entity at all."""
    return kind.access.load(db, kind.model, record_id, caller)


def lock(
    db: Any,
    kind: Kind,
    record_id: Any,
    caller: Actor,
    expected_version: Any,
    *,
    op: str = "update",
) -> Any:
    """The record under a row lock, once the caller may ``op`` (update, delete) it and
    expects its version.

    Raises ``ValidationFailed`` (a bad version), ``NotFound``, ``PermissionDenied``,
    ``Conflict`` (stale version).
    """
    return kind.access.load_for_change(db, kind.model, record_id, caller, expected_version, op=op)


def plan_update(kind: Kind, record: Any, changes: dict[str, Any], caller: Actor) -> Update:
    """What ``changes`` would make of the locked ``record``; checked as a whole.

    Raises ``PermissionDenied`` (a non-admin moving it to another team) and
    ``ValidationFailed`` (a required field emptied).
    """
    entity = kind.entity
    current = kind.dump(record)
    domain.clear_lists(entity, changes)
    wire_changes = {name: wire(value) for name, value in changes.items()}
    changed = domain.changed_fields(entity, current, wire_changes)
    domain.check_team_change(entity, changed, caller)
    values = {**current, **changes}
    domain.check_record(entity, values)
    return Update(current, values, changed)


def apply_update(
    db: Any,
    kind: Kind,
    record: Any,
    changes: dict[str, Any],
    update: Update,
    actor: dict[str, Any],
) -> dict[str, Any]:
    """Write the changed fields, a new version, and emit ``<entity>_updated`` with
    ``changed_fields``; the record as sent. Nothing is written or emitted (the record
    is returned as it was) when no value really differs."""
    if not update.changed:
        return update.current
    for name in update.changed:
        setattr(record, name, changes[name])
    record.version = record.version + 1
    record.updated_at = utcnow()
    db.flush()
    result = kind.dump(record)
    db.emit(
        f"{kind.entity.name}_updated", {**result, "changed_fields": update.changed}, actor=actor
    )
    return result


def delete(db: Any, kind: Kind, record: Any, actor: dict[str, Any]) -> None:
    """Delete the locked record and emit ``<entity>_deleted`` with its last state.

    Raises ``Conflict`` when another record still points at it.
    """
    last_state = kind.dump(record)
    db.delete(record)
    try:
        with db.begin_nested():
            db.flush()
    except IntegrityError as exc:
        # Another record still points at this one (a deal at its contact, say).
        table = getattr(getattr(exc.orig, "diag", None), "table_name", None) or "records"
        raise Conflict(
            f"Other {table.replace('_', ' ')} still point at this {kind.entity.name}",
            [{"field": f"{kind.entity.name}_id", "message": f"still used by {table}"}],
        ) from None
    db.emit(f"{kind.entity.name}_deleted", last_state, actor=actor)


def check_exists(db: Any, model: Any, record_id: str | None, field: str, label: str) -> None:
    """A link must name a record that exists (whether the caller may read it or not)."""
    if record_id is None:
        return
    found = db.execute(sa.select(model.id).where(model.id == record_id)).scalar_one_or_none()
    if found is None:
        raise domain.failed(field, f"no such {label}")
