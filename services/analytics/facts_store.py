"""Keeping the read models: a record's last state, its tombstone, its stays in stages.

Events of one record arrive in any order (each handler has its own queue) and at least
once; every function here gives the same table whatever the order and however many
times it runs: a state only replaces one of a lower or equal ``version``, a tombstone is
never undone, a stage stay is keyed by its start.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from services.platform.events import utcnow

from . import domain
from .models import records, stage_periods

_UPSERT = sa.text(
    f"""
    INSERT INTO {records.fullname}
        (entity, id, version, owner_id, team_id, created_at, updated_at, deleted, data)
    VALUES (:entity, :id, :version, :owner_id, :team_id, :created_at, :updated_at, false,
            CAST(:data AS jsonb))
    ON CONFLICT (entity, id) DO UPDATE SET
        version = EXCLUDED.version, owner_id = EXCLUDED.owner_id,
        team_id = EXCLUDED.team_id, created_at = EXCLUDED.created_at,
        updated_at = EXCLUDED.updated_at, data = EXCLUDED.data
    WHERE NOT {records.fullname}.deleted
      AND {records.fullname}.version <= EXCLUDED.version
    """
)

# A part of a record laid over what is kept: on the keys both have, the further along
# (higher ``version``) wins; the other only fills what is missing — so the parts
# arriving in any order give the same record.
_PATCH = sa.text(
    f"""
    INSERT INTO {records.fullname}
        (entity, id, version, owner_id, team_id, created_at, updated_at, deleted, data)
    VALUES (:entity, :id, :version, :owner_id, :team_id, :created_at, :updated_at, false,
            CAST(:data AS jsonb))
    ON CONFLICT (entity, id) DO UPDATE SET
        data = CASE WHEN {records.fullname}.version <= EXCLUDED.version
                    THEN {records.fullname}.data || EXCLUDED.data
                    ELSE EXCLUDED.data || {records.fullname}.data END,
        version = GREATEST({records.fullname}.version, EXCLUDED.version),
        owner_id = COALESCE({records.fullname}.owner_id, EXCLUDED.owner_id),
        team_id = COALESCE({records.fullname}.team_id, EXCLUDED.team_id),
        created_at = COALESCE({records.fullname}.created_at, EXCLUDED.created_at),
        updated_at = GREATEST({records.fullname}.updated_at, EXCLUDED.updated_at)
    WHERE NOT {records.fullname}.deleted
    """
)

_TOMBSTONE = sa.text(
    f"""
    INSERT INTO {records.fullname}
        (entity, id, version, owner_id, team_id, created_at, updated_at, deleted, data)
    VALUES (:entity, :id, :version, :owner_id, :team_id, :created_at, :updated_at, true,
            CAST(:data AS jsonb))
    ON CONFLICT (entity, id) DO UPDATE SET
        deleted = true,
        version = GREATEST({records.fullname}.version, EXCLUDED.version)
    """
)


# A new or changed record and, for a record with stages, its first stay, in one
# statement: what an upsert event does, safe to repeat (the version guards the record,
# the stay is made once, never for a record deleted meanwhile) — so it runs alone in
# autocommit, with no claim of the event (services/analytics/handlers.py).
_UPSERT_WITH_FIRST_STAY = sa.text(
    f"""
    WITH kept AS ({_UPSERT.text} RETURNING 1)
    INSERT INTO {stage_periods.fullname} (entity, record_id, stage, entered_at, left_at)
    SELECT :entity, :id, :stage, :at, NULL
    WHERE CAST(:stage AS text) IS NOT NULL
      AND NOT EXISTS (
        SELECT 1 FROM {stage_periods.fullname} WHERE entity = :entity AND record_id = :id
      )
      AND NOT EXISTS (
        SELECT 1 FROM {records.fullname} WHERE entity = :entity AND id = :id AND deleted
      )
    """
)


def _row(entity: str, record: dict[str, Any]) -> dict[str, Any]:
    version = record.get("version")
    return {
        "entity": entity,
        "id": str(record["id"]),
        "version": version if isinstance(version, int) else 0,
        "owner_id": record.get("owner_id"),
        "team_id": record.get("team_id"),
        "created_at": record.get("created_at"),
        "updated_at": record.get("updated_at") or record.get("created_at"),
        "data": json.dumps(domain.kept(entity, record), default=str),
    }


def upsert(db: Any, entity: str, record: dict[str, Any]) -> None:
    """Keep ``record`` unless a newer state (or its deletion) is already kept."""
    db.execute(_UPSERT, _row(entity, record))


def upsert_alone(db: Any, entity: str, record: dict[str, Any]) -> None:
    """:func:`upsert` and :func:`first_stay` as one statement in autocommit, outside
    the handler's transaction (one round trip instead of five with the claim)."""
    first = domain.first_stage(entity, record)
    params = _row(entity, record)
    params["stage"], params["at"] = first if first is not None else (None, None)
    if first is not None:
        params["at"] = params["at"] or utcnow()
    db.run_alone(_UPSERT_WITH_FIRST_STAY, params)


def patch(db: Any, entity: str, part: dict[str, Any]) -> None:
    """Lay one event's part of a record over what is kept (see ``_PATCH``)."""
    db.execute(_PATCH, _row(entity, part))


def patch_many(db: Any, entity: str, parts: list[dict[str, Any]]) -> None:
    if parts:
        db.execute(_PATCH, [_row(entity, part) for part in parts])


def upsert_many(db: Any, entity: str, items: list[dict[str, Any]]) -> None:
    if items:
        db.execute(_UPSERT, [_row(entity, record) for record in items])


def tombstone(db: Any, entity: str, record: dict[str, Any]) -> None:
    """The record is gone: reports skip it from now on, whatever arrives later; its
    stays in stages go with it."""
    db.execute(_TOMBSTONE, _row(entity, record))
    forget_stays(db, entity, [str(record["id"])])


def tombstone_ids(
    db: Any, entity: str, ids: list[str], last: dict[str, dict] | None = None
) -> None:
    for record_id in ids:
        record = (last or {}).get(record_id) or {"id": record_id}
        tombstone(db, entity, {**record, "id": record_id})


# --- stays in stages -----------------------------------------------------------------------

_FIRST_STAY = sa.text(
    f"""
    INSERT INTO {stage_periods.fullname} (entity, record_id, stage, entered_at, left_at)
    SELECT :entity, :record_id, :stage, :at, NULL
    WHERE NOT EXISTS (
        SELECT 1 FROM {stage_periods.fullname} WHERE entity = :entity AND record_id = :record_id
    )
    """
)

# Close what is open and began before the move; the new stay ends where a later one
# (an event that overtook this one) begins.
_CLOSE_OPEN = sa.text(
    f"""
    UPDATE {stage_periods.fullname} SET left_at = :at
    WHERE entity = :entity AND record_id = :record_id AND left_at IS NULL
      AND entered_at < :at
    """
)
_NEW_STAY = sa.text(
    f"""
    INSERT INTO {stage_periods.fullname} (entity, record_id, stage, entered_at, left_at)
    VALUES (:entity, :record_id, :stage, :at, (
        SELECT min(entered_at) FROM {stage_periods.fullname}
        WHERE entity = :entity AND record_id = :record_id AND entered_at > :at
    ))
    ON CONFLICT DO NOTHING
    """
)


def first_stay(db: Any, entity: str, record_id: str, stage: str, at: Any) -> None:
    """A new record's first stage, unless its moves arrived first."""
    db.execute(
        _FIRST_STAY,
        {"entity": entity, "record_id": record_id, "stage": stage, "at": at or utcnow()},
    )


def move(
    db: Any,
    entity: str,
    record_id: str,
    from_stage: str | None,
    to_stage: str,
    at: datetime | str | None,
    created_at: Any = None,
) -> None:
    """A move from one stage to another at ``at``."""
    at = at or utcnow()
    params = {"entity": entity, "record_id": record_id, "at": at}
    if from_stage and created_at:
        first_stay(db, entity, record_id, from_stage, created_at)
    db.execute(_CLOSE_OPEN, params)
    db.execute(_NEW_STAY, {**params, "stage": to_stage})


def forget_stays(db: Any, entity: str, ids: list[str]) -> None:
    if ids:
        db.execute(
            sa.delete(stage_periods).where(
                stage_periods.c.entity == entity, stage_periods.c.record_id.in_(ids)
            )
        )
