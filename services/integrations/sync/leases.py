"""Leases: several instances of a service share the connections, and one connection is
synced by one instance at a time.

An instance claims due connections with ``FOR UPDATE SKIP LOCKED`` (two instances
claiming at once take different rows, neither waits) and writes its name and an expiry
into them; while it syncs it renews the lease. An instance that dies leaves a lease
that expires, and another takes the connection over then. Every write of a holder is
guarded by its name, so one whose lease was taken over (it stalled past the expiry)
cannot overwrite the new holder's state.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY

from services.platform.events import utcnow

from .backoff import retry_delay


def claim_due(
    db: Any,
    connections: sa.Table,
    holder: str,
    *,
    lease_seconds: float,
    limit: int,
    now: datetime | None = None,
) -> list[str]:
    """Lease up to ``limit`` active connections that are due and not leased (or whose
    lease expired) to ``holder``; their ids, oldest due first. The caller commits."""
    now = now or utcnow()
    c = connections
    due = (
        sa.select(c.c.id)
        .where(
            c.c.state == "active",
            c.c.next_sync_at <= now,
            sa.or_(c.c.lease_expires_at.is_(None), c.c.lease_expires_at < now),
        )
        .order_by(c.c.next_sync_at, c.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    ids = list(db.scalars(due))
    if ids:
        db.execute(
            c.update()
            .where(c.c.id.in_(ids))
            .values(lease_owner=holder, lease_expires_at=now + timedelta(seconds=lease_seconds))
        )
    return ids


def claim_one(
    db: Any,
    connections: sa.Table,
    connection_id: str,
    holder: str,
    *,
    lease_seconds: float,
    now: datetime | None = None,
) -> bool:
    """Lease one connection now whether or not it is due (a user's "sync now"); False
    when another holder's lease is still running."""
    now = now or utcnow()
    c = connections
    row = db.execute(
        c.update()
        .where(
            c.c.id == connection_id,
            sa.or_(
                c.c.lease_expires_at.is_(None),
                c.c.lease_expires_at < now,
                c.c.lease_owner == holder,
            ),
        )
        .values(lease_owner=holder, lease_expires_at=now + timedelta(seconds=lease_seconds))
        .returning(c.c.id)
    ).first()
    return row is not None


def renew(
    db: Any, connections: sa.Table, connection_id: str, holder: str, lease_seconds: float
) -> bool:
    """Extend a lease this holder still has; False when it lost it."""
    c = connections
    row = db.execute(
        c.update()
        .where(c.c.id == connection_id, c.c.lease_owner == holder)
        .values(lease_expires_at=utcnow() + timedelta(seconds=lease_seconds))
        .returning(c.c.id)
    ).first()
    return row is not None


def release_success(
    db: Any,
    connections: sa.Table,
    connection_id: str,
    holder: str,
    *,
    next_in_seconds: float,
    counts: dict[str, int] | None = None,
    now: datetime | None = None,
) -> bool:
    """End a lease after a sync that worked: healthy again, due in ``next_in_seconds``,
    ``counts`` added to the connection's. False when the lease was lost meanwhile."""
    now = now or utcnow()
    c = connections
    values: dict[str, Any] = {
        "lease_owner": None,
        "lease_expires_at": None,
        "next_sync_at": now + timedelta(seconds=next_in_seconds),
        "failures": 0,
        "last_synced_at": now,
        "last_error": None,
    }
    if counts:
        values["counts"] = _add_counts(c.c.counts, counts)
    row = db.execute(
        c.update()
        .where(c.c.id == connection_id, c.c.lease_owner == holder)
        .values(**values)
        .returning(c.c.id)
    ).first()
    return row is not None


def release_failure(
    db: Any,
    connections: sa.Table,
    connection_id: str,
    holder: str,
    *,
    error: str,
    permanent: bool = False,
    counts: dict[str, int] | None = None,
    now: datetime | None = None,
) -> dict[str, Any] | None:
    """End a lease after a failed sync: the error in the user's words is kept, the next
    try backs off (:func:`backoff.retry_delay`); a ``permanent`` failure (a wrong
    password) stops syncing until the connection is changed. The connection's
    ``{failures, next_sync_at, state}``, or None when the lease was lost meanwhile."""
    now = now or utcnow()
    c = connections
    failures = db.scalar(
        sa.select(c.c.failures).where(c.c.id == connection_id, c.c.lease_owner == holder)
    )
    if failures is None:
        return None
    failures += 1
    values: dict[str, Any] = {
        "lease_owner": None,
        "lease_expires_at": None,
        "failures": failures,
        "next_sync_at": now + timedelta(seconds=retry_delay(failures)),
        "last_error": error,
        "last_error_at": now,
    }
    if permanent:
        values["state"] = "needs_attention"
    if counts:
        values["counts"] = _add_counts(c.c.counts, counts)
    db.execute(c.update().where(c.c.id == connection_id).values(**values))
    return {
        "failures": failures,
        "next_sync_at": values["next_sync_at"],
        "state": values.get("state", "active"),
    }


def _add_counts(column: Any, counts: dict[str, int]) -> Any:
    """``column`` (a JSONB object of counters) with ``counts`` added, in one UPDATE."""
    expr = column
    for key, value in counts.items():
        if not value:
            continue
        current = sa.func.coalesce(sa.cast(column[key].astext, sa.BigInteger), 0)
        expr = sa.func.jsonb_set(
            expr, sa.literal([key], ARRAY(sa.Text)), sa.func.to_jsonb(current + int(value))
        )
    return expr
