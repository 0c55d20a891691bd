"""SQL of the outbound webhooks: subscriptions, deliveries and their attempts."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from services.platform.errors import NotFound
from services.platform.events import isoformat, utcnow
from services.platform.ids import new_id

from .models import deliveries, delivery_attempts, subscriptions
from .store import UUID_TEXT

LEASE = timedelta(seconds=120)


def subscription_row(db: Any, subscription_id: str, *, lock: bool = False) -> Any:
    if not isinstance(subscription_id, str) or not UUID_TEXT.match(subscription_id):
        raise NotFound("No such webhook")
    query = sa.select(subscriptions).where(subscriptions.c.id == subscription_id)
    if lock:
        query = query.with_for_update()
    row = db.execute(query).first()
    if row is None:
        raise NotFound("No such webhook")
    return row


def list_subscriptions(db: Any) -> list[Any]:
    return db.execute(sa.select(subscriptions).order_by(subscriptions.c.created_at)).all()


def insert_subscription(db: Any, values: dict[str, Any]) -> Any:
    now = utcnow()
    return db.execute(
        subscriptions.insert().values(created_at=now, updated_at=now, **values)
        .returning(subscriptions)
    ).one()  # fmt: skip


def update_subscription(db: Any, subscription_id: str, values: dict[str, Any]) -> Any:
    return db.execute(
        subscriptions.update()
        .where(subscriptions.c.id == subscription_id)
        .values(updated_at=utcnow(), version=subscriptions.c.version + 1, **values)
        .returning(subscriptions)
    ).one()


def delete_subscription(db: Any, subscription_id: str) -> None:
    db.execute(subscriptions.delete().where(subscriptions.c.id == subscription_id))


def counts_by_subscription(db: Any) -> dict[str, dict[str, int]]:
    rows = db.execute(
        sa.select(deliveries.c.subscription_id, deliveries.c.status, sa.func.count())
        .group_by(deliveries.c.subscription_id, deliveries.c.status)
    ).all()  # fmt: skip
    out: dict[str, dict[str, int]] = {}
    for subscription_id, status, n in rows:
        out.setdefault(subscription_id, {})[status] = n
    return out


def dump_subscription(row: Any, counts: dict[str, int] | None = None) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "url": row.url,
        "events": list(row.events or []),
        "is_active": row.is_active,
        "deliveries": {"pending": 0, "delivered": 0, "failed": 0, **(counts or {})},
        "version": row.version,
        "created_at": isoformat(row.created_at),
        "updated_at": isoformat(row.updated_at),
    }


# --- deliveries ---------------------------------------------------------------------------

WANTS = "SELECT 1 FROM social.subscriptions WHERE is_active AND events ? :type LIMIT 1"


WANTED = (
    "SELECT DISTINCT jsonb_array_elements_text(events) AS type"
    " FROM social.subscriptions WHERE is_active"
)


def wanted_events(db: Any) -> set[str]:
    """The event types an active webhook chose."""
    return {row.type for row in db.execute(sa.text(WANTED))}


def anyone_wants(db: Any, event_type: str) -> bool:
    return bool(db.read(sa.text(WANTS), {"type": event_type}))


def enqueue(db: Any, event: dict[str, Any], body: str) -> int:
    """One pending delivery of ``event`` per active subscription that wants its type."""
    wanting = db.execute(
        sa.select(subscriptions.c.id).where(
            subscriptions.c.is_active, subscriptions.c.events.has_key(event["type"])
        )
    ).scalars().all()  # fmt: skip
    now = utcnow()
    for subscription_id in wanting:
        db.execute(
            insert(deliveries)
            .values(
                id=new_id(),
                subscription_id=subscription_id,
                event_id=event["id"],
                event_type=event["type"],
                body=body,
                status="pending",
                next_attempt_at=now,
                created_at=now,
            )
            .on_conflict_do_nothing()
        )
    return len(wanting)


def claim_due(db: Any, limit: int, now: datetime | None = None) -> list[str]:
    """Lease due pending deliveries (``FOR UPDATE SKIP LOCKED``: instances share them)."""
    now = now or utcnow()
    due = (
        sa.select(deliveries.c.id)
        .where(
            deliveries.c.status == "pending",
            deliveries.c.next_attempt_at <= now,
            sa.or_(deliveries.c.lease_until.is_(None), deliveries.c.lease_until < now),
        )
        .order_by(deliveries.c.next_attempt_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    ids = list(db.scalars(due))
    if ids:
        db.execute(
            deliveries.update().where(deliveries.c.id.in_(ids)).values(lease_until=now + LEASE)
        )
    return ids


def delivery_row(db: Any, delivery_id: str, *, lock: bool = False) -> Any:
    if not isinstance(delivery_id, str) or not UUID_TEXT.match(delivery_id):
        raise NotFound("No such delivery")
    query = sa.select(deliveries).where(deliveries.c.id == delivery_id)
    if lock:
        query = query.with_for_update()
    row = db.execute(query).first()
    if row is None:
        raise NotFound("No such delivery")
    return row


def record_attempt(
    db: Any,
    row: Any,
    *,
    at: datetime,
    status_code: int | None,
    response: str,
    error: str | None,
    duration_ms: int,
    by_hand: bool,
    values: dict[str, Any],
) -> Any:
    attempt = row.attempts + 1
    db.execute(
        delivery_attempts.insert().values(
            delivery_id=row.id,
            attempt=attempt,
            at=at,
            by_hand=by_hand,
            status_code=status_code,
            response=response,
            error=error,
            duration_ms=duration_ms,
        )
    )
    return db.execute(
        deliveries.update()
        .where(deliveries.c.id == row.id)
        .values(
            attempts=attempt,
            last_attempt_at=at,
            last_status_code=status_code,
            last_error=error,
            lease_until=None,
            **values,
        )
        .returning(deliveries)
    ).one()


def list_deliveries(
    db: Any, subscription_id: str, limit: int, status: str | None, before: datetime | None
) -> list[Any]:
    query = sa.select(deliveries).where(deliveries.c.subscription_id == subscription_id)
    if status:
        query = query.where(deliveries.c.status == status)
    if before is not None:
        query = query.where(deliveries.c.created_at < before)
    return db.execute(
        query.order_by(deliveries.c.created_at.desc(), deliveries.c.id.desc()).limit(limit)
    ).all()


def attempts_of(db: Any, delivery_ids: list[str]) -> dict[str, list[Any]]:
    if not delivery_ids:
        return {}
    rows = db.execute(
        sa.select(delivery_attempts)
        .where(delivery_attempts.c.delivery_id.in_(delivery_ids))
        .order_by(delivery_attempts.c.delivery_id, delivery_attempts.c.attempt)
    ).all()
    out: dict[str, list[Any]] = {}
    for row in rows:
        out.setdefault(row.delivery_id, []).append(row)
    return out


def dump_attempt(row: Any) -> dict[str, Any]:
    return {
        "attempt": row.attempt,
        "at": isoformat(row.at),
        "by_hand": row.by_hand,
        "status_code": row.status_code,
        "response": row.response,
        "error": row.error,
        "duration_ms": row.duration_ms,
    }


def dump_delivery(row: Any, attempts: list[Any]) -> dict[str, Any]:
    return {
        "id": row.id,
        "subscription_id": row.subscription_id,
        "event_id": row.event_id,
        "event_type": row.event_type,
        "status": row.status,
        "attempts": row.attempts,
        "next_attempt_at": isoformat(row.next_attempt_at) if row.status == "pending" else None,
        "last_status_code": row.last_status_code,
        "last_error": row.last_error,
        "created_at": isoformat(row.created_at),
        "last_attempt_at": isoformat(row.last_attempt_at),
        "delivered_at": isoformat(row.delivered_at),
        "body": row.body,
        "log": [dump_attempt(a) for a in attempts],
    }


#: The settled deliveries (delivered or failed: a pending one is still to be sent) whose
#: last try (or making) is older than the cutoff, a batch at a time; their tries go with
#: them (ON DELETE CASCADE). Instances pruning at once skip each other's rows.
_PRUNE = sa.text(
    f"""
    DELETE FROM {deliveries.fullname} WHERE id IN (
        SELECT id FROM {deliveries.fullname}
        WHERE status <> 'pending' AND COALESCE(last_attempt_at, created_at) < :cutoff
        LIMIT :batch FOR UPDATE SKIP LOCKED
    )
    """
)


def prune_deliveries(db: Any, cutoff: datetime, batch: int) -> int:
    """Delete up to ``batch`` settled deliveries last tried before ``cutoff``; how many."""
    return db.execute(_PRUNE, {"cutoff": cutoff, "batch": batch}).rowcount
