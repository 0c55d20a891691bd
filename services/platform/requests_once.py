"""Requests that act once: an RPC called again with the same ``idempotency_key`` gets
the first call's answer instead of acting again.

A caller that lost an answer (a timeout, a crash, a dropped connection) cannot tell
whether its request happened; with a key it may simply send it again. The service
keeps each key in its own ``applied_requests`` table, in the same transaction as the
request's effect: a crash keeps neither or both, and a failed request keeps nothing,
so sending it again acts afresh.

An RPC method that takes a key claims it first and keeps its answer just before it
commits::

    replay = requests_once.claim_request(self.db, idempotency_key, "create_lead", actor)
    if replay is not None:
        return replay.answer
    ...  # act
    requests_once.keep_answer(self.db, idempotency_key, result)
    self.db.commit()
    return result

The claim is an ``INSERT ... ON CONFLICT DO NOTHING``: a duplicate sent while the first
is still at work waits on the first's uncommitted row, then reads its answer (or, if
the first failed and rolled back, claims the key and acts itself). A call without a
key acts as it always did.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, UUID, insert

from .db import ServiceSession
from .errors import Conflict, ValidationFailed

TABLE = "applied_requests"
#: the longest key taken (the processes service's are ``<uuid>:<task uuid>:<purpose>``)
KEY_MAX = 200


def applied_requests_table(metadata: sa.MetaData) -> sa.Table:
    """Declare ``<schema>.applied_requests`` on a service's metadata (its models.py)."""
    return sa.Table(
        TABLE,
        metadata,
        sa.Column("key", sa.String(KEY_MAX), primary_key=True),
        sa.Column("method", sa.String(100), nullable=False),
        sa.Column("actor_id", UUID(as_uuid=False)),
        sa.Column("answer", JSONB),
        sa.Column(
            "applied_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
    )


def create_applied_requests(schema: str) -> None:
    """The Alembic operation that makes the table (in a service's migration)."""
    from alembic import op

    op.create_table(
        TABLE,
        sa.Column("key", sa.String(KEY_MAX), nullable=False),
        sa.Column("method", sa.String(100), nullable=False),
        sa.Column("actor_id", UUID(as_uuid=False)),
        sa.Column("answer", JSONB),
        sa.Column(
            "applied_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.PrimaryKeyConstraint("key", name=f"pk_{TABLE}"),
        schema=schema,
    )


def drop_applied_requests(schema: str) -> None:
    from alembic import op

    op.drop_table(TABLE, schema=schema)


@dataclass(frozen=True)
class Replay:
    """The answer a request with this key already got."""

    answer: Any


def claim_request(
    db: ServiceSession, key: str | None, method: str, actor: dict[str, Any] | None
) -> Replay | None:
    """``None``: act, then :func:`keep_answer` before committing. A :class:`Replay`: the
    key was applied already; return its answer and do nothing else.

    Raises ``ValidationFailed`` for a key that is not a string of 1 to 200 characters,
    ``Conflict`` when the key was used for another method or by another caller.
    """
    if key is None:
        return None
    if not isinstance(key, str) or not key or len(key) > KEY_MAX:
        raise ValidationFailed(
            "idempotency_key must be a string of 1 to 200 characters",
            [{"field": "idempotency_key", "message": f"1 to {KEY_MAX} characters"}],
        )
    table = _table(db)
    actor_id = (actor or {}).get("id")
    claimed = db.execute(
        insert(table)
        .values(key=key, method=method, actor_id=actor_id)
        .on_conflict_do_nothing()
        .returning(table.c.key)
    ).first()
    if claimed is not None:
        return None
    # Committed by the first request (the INSERT waited for it): read what it answered.
    first = db.execute(
        sa.select(table.c.method, table.c.actor_id, table.c.answer).where(table.c.key == key)
    ).one()
    db.rollback()
    if first.method != method or first.actor_id != actor_id:
        raise Conflict(
            "This idempotency_key was used for another request",
            [{"field": "idempotency_key", "message": f"used for {first.method}"}],
        )
    return Replay(first.answer)


def keep_answer(db: ServiceSession, key: str | None, answer: Any) -> None:
    """Keep the answer of the request claimed under ``key`` (in this transaction)."""
    if key is None:
        return
    table = _table(db)
    db.execute(sa.update(table).where(table.c.key == key).values(answer=answer))


def _table(db: ServiceSession) -> sa.Table:
    return _table_of(db.outbox.schema)


@functools.cache
def _table_of(schema: str) -> sa.Table:
    # A table object of its own: the platform does not import the service's models.
    return applied_requests_table(sa.MetaData(schema=schema))
