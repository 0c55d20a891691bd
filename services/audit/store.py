"""SQL of the audit trail, as functions that take the session ``db``."""

from __future__ import annotations

import base64
import binascii
import functools
import json
import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from services.platform.access import Actor
from services.platform.events import isoformat
from services.platform.ids import new_id
from services.platform.list_filters import readable_by

from . import domain
from .models import entries


def _uuid_or_none(value: Any) -> str | None:
    try:
        return str(uuid.UUID(str(value))) if value else None
    except ValueError:
        return None


def _state_below(db: Any, entity: str, record_id: str, order: int) -> dict[str, Any] | None:
    row = db.execute(
        sa.select(entries.c.state)
        .where(
            entries.c.entity == entity,
            entries.c.record_id == record_id,
            entries.c.phase == domain.STATE,
            entries.c.version < order,
        )
        .order_by(entries.c.version.desc())
        .limit(1)
    ).first()
    return row.state if row else None


def lock_record(db: Any, entity: str, record_id: str) -> None:
    """Events of one record handled at the same time (several workers, several replicas)
    would each miss the other's state: one at a time per record, until commit."""
    db.execute(_LOCK, {"k": f"audit:{entity}:{record_id}"})


_LOCK = sa.text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))")


def claim_and_lock(db: Any, event_id: str, handler: str, entity: str, record_id: str) -> bool:
    """Claim the event for ``handler`` (as :func:`~services.platform.idempotency.
    claim_event`) and take the record's lock (:func:`lock_record`) in one round trip;
    False when the event was handled before. The lock comes before any read of the
    trail, which begins with the next statement."""
    row = db.execute(
        _claim_and_lock(db.processed_events),
        {"e": event_id, "h": handler, "k": f"audit:{entity}:{record_id}"},
    ).first()
    return bool(row.claimed)


@functools.cache
def _claim_and_lock(processed_events: sa.Table) -> sa.TextClause:
    return sa.text(
        f"""
        WITH claimed AS (
            INSERT INTO {processed_events.fullname} (event_id, handler) VALUES (:e, :h)
            ON CONFLICT DO NOTHING RETURNING event_id
        )
        SELECT (SELECT count(*) FROM claimed) > 0 AS claimed,
               pg_advisory_xact_lock(hashtextextended(:k, 0)) IS NULL AS locked
        """
    )


# The entry, and the next higher state of the record when one arrived first (its changes
# are then computed again from this one): one statement. A stage change comes before the
# action's own event, with the same state: the entry keeps the action's name
# (lead_qualified rather than lead_stage_changed).
_INSERT_ENTRY = sa.text(
    f"""
    WITH kept AS (
        INSERT INTO {entries.fullname} AS e
            (id, entity, record_id, version, phase, action, event, event_id, actor_id,
             actor_email, source, at, changes, old_known, state, owner_id, team_id,
             admin_only)
        VALUES (:id, :entity, :record_id, :version, :phase, :action, :event, :event_id,
                :actor_id, :actor_email, :source, COALESCE(CAST(:at AS timestamptz), now()),
                CAST(:changes AS jsonb), :old_known, CAST(:state AS jsonb), :owner_id,
                :team_id, :admin_only)
        ON CONFLICT (entity, record_id, version, phase) DO UPDATE SET event = EXCLUDED.event
        WHERE e.event LIKE '%stage_changed' AND EXCLUDED.event NOT LIKE '%stage_changed'
        RETURNING e.id
    )
    SELECT (SELECT id FROM kept) AS inserted,
           above.version, above.action, above.state, above.changes
    FROM (SELECT 1) AS one
    LEFT JOIN LATERAL (
        SELECT version, action, state, changes FROM {entries.fullname}
        WHERE CAST(:with_above AS boolean) AND entity = :entity AND record_id = :record_id
          AND phase = {domain.STATE} AND version > :version
        ORDER BY version LIMIT 1
    ) AS above ON true
    """
)


def record_entry(
    db: Any,
    *,
    entity: str,
    state: dict[str, Any],
    order: int,
    phase: int,
    action: str,
    event: dict[str, Any],
    changes: dict[str, list[Any]] | None = None,
    locked: bool = False,
) -> bool:
    """Keep one entry (no commit); False when its key was taken (a redelivery, or another
    event of the same change). A state entry's changes are computed against the nearest
    lower state kept, and the next higher state's are computed again against it, so the
    order events arrive in makes no difference. ``locked``: the caller holds the
    record's lock (:func:`claim_and_lock`)."""
    record_id = str(state["id"])
    if not locked:
        lock_record(db, entity, record_id)
    changed_fields = (event.get("data") or {}).get("changed_fields")
    old_known = True
    if changes is None:
        if action == "created":
            changes = domain.changes_between(None, state)
        else:
            previous = _state_below(db, entity, record_id, order)
            old_known = previous is not None
            changes = domain.changes_between(previous, state, changed_fields)
    actor = event.get("actor") or {}
    at = domain.parse_time(event.get("occurred_at"))
    row = db.execute(
        _INSERT_ENTRY,
        {
            "id": new_id(),
            "entity": entity,
            "record_id": record_id,
            "version": order,
            "phase": phase,
            "action": action,
            "event": event.get("type") or "",
            "event_id": str(event.get("id") or ""),
            "actor_id": actor.get("id"),
            "actor_email": actor.get("email"),
            "source": domain.source_of(event.get("actor")),
            "at": at,
            "changes": json.dumps(changes),
            "old_known": old_known,
            "state": json.dumps(state),
            "owner_id": _uuid_or_none(state.get("owner_id")),
            "team_id": _uuid_or_none(state.get("team_id")),
            "admin_only": entity in domain.ADMIN_ONLY,
            "with_above": phase == domain.STATE,
        },
    ).first()
    if row.inserted is None:
        return False
    if row.version is not None and row.action != "created":
        _recompute_above(db, entity, record_id, state, row)
    return True


def _recompute_above(
    db: Any, entity: str, record_id: str, state: dict[str, Any], above: Any
) -> None:
    """The next higher state arrived first: its changes now run from this state."""
    changes = domain.changes_between(state, above.state, list(above.changes))
    db.execute(
        entries.update()
        .where(
            entries.c.entity == entity,
            entries.c.record_id == record_id,
            entries.c.version == above.version,
            entries.c.phase == domain.STATE,
        )
        .values(changes=changes, old_known=True)
    )


# --- reading -----------------------------------------------------------------------------


def encode_cursor(at: datetime, entry_id: str) -> str:
    raw = json.dumps({"a": isoformat(at), "i": entry_id}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode_cursor(raw: str) -> tuple[datetime, str] | None:
    try:
        payload = json.loads(base64.urlsafe_b64decode((raw + "=" * (-len(raw) % 4)).encode()))
        at = domain.parse_time(payload["a"])
        entry_id = str(uuid.UUID(payload["i"]))
    except (binascii.Error, ValueError, UnicodeDecodeError, KeyError, TypeError):
        return None
    return (at, entry_id) if at is not None else None


def list_entries(db: Any, query: dict[str, Any], actor: Actor) -> dict[str, Any]:
    """One page, newest first, of the entries ``query`` (checked) selects and ``actor``
    may read: administrators everything, others the entries of records they may read
    (their owner and team as the entry's state had them), never users' and teams'."""
    conditions: list[Any] = []
    for name in ("entity", "record_id", "actor_id"):
        if query.get(name) is not None:
            conditions.append(entries.c[name] == query[name])
    if query.get("field") is not None:
        conditions.append(entries.c.changes.has_key(query["field"]))
    if query.get("from") is not None:
        conditions.append(entries.c.at >= query["from"])
    if query.get("to") is not None:
        conditions.append(entries.c.at < query["to"])
    if not actor.is_admin:
        conditions.append(~entries.c.admin_only)
        conditions.append(readable_by(actor, entries.c.owner_id, entries.c.team_id))
    if query.get("cursor") is not None:
        at, entry_id = query["cursor"]
        conditions.append(sa.tuple_(entries.c.at, entries.c.id) < sa.tuple_(at, entry_id))
    limit = query["limit"]
    statement = (
        sa.select(entries)
        .where(*conditions)
        .order_by(entries.c.at.desc(), entries.c.id.desc())
        .limit(limit + 1)
    )
    rows = db.read(statement)
    page = rows[:limit]
    next_cursor = encode_cursor(page[-1].at, page[-1].id) if len(rows) > limit else None
    return {"items": [dump_entry(row) for row in page], "next_cursor": next_cursor}


def dump_entry(row: Any) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "entity": row.entity,
        "record_id": str(row.record_id),
        "version": row.version if row.version < 1_000_000_000 else None,
        "action": row.action,
        "event": row.event,
        "actor": {"id": row.actor_id, "email": row.actor_email} if row.actor_id else None,
        "source": row.source,
        "at": isoformat(row.at),
        "changes": row.changes,
        "old_known": row.old_known,
    }


def prune_before(db: Any, cutoff: datetime, batch: int) -> int:
    """Delete up to ``batch`` entries older than ``cutoff`` (no commit); how many went.
    A live record's newest state stays, so its next change still shows old values."""
    newer = entries.alias("newer")
    has_newer = (
        sa.select(1)
        .where(
            newer.c.entity == entries.c.entity,
            newer.c.record_id == entries.c.record_id,
            sa.tuple_(newer.c.version, newer.c.phase)
            > sa.tuple_(entries.c.version, entries.c.phase),
        )
        .exists()
    )
    ended = (
        sa.select(1)
        .where(
            newer.c.entity == entries.c.entity,
            newer.c.record_id == entries.c.record_id,
            newer.c.phase == domain.END,
            newer.c.at < cutoff,
        )
        .exists()
    )
    doomed = (
        sa.select(entries.c.id)
        .where(entries.c.at < cutoff, sa.or_(has_newer, ended))
        .limit(batch)
        .scalar_subquery()
    )
    result = db.execute(sa.delete(entries).where(entries.c.id.in_(doomed)))
    return int(result.rowcount or 0)
