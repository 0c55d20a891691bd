"""SQL of bulk actions' jobs: the job, its selected records and their results."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from services.platform.errors import NotFound
from services.platform.values import is_uuid

from .models import bulk_actions, bulk_records
from .store import LEASE

#: How long an ended job is kept (and answered) before it is pruned.
KEEP = timedelta(hours=1)
#: the API's word for each status
STATES = {"queued": "running", "running": "running", "done": "done", "failed": "failed"}


def view(row: Any, results: list[dict[str, Any]]) -> dict[str, Any]:
    """The job as the API shows it (gateway/routers/bulk.py's ``BulkActionOut``)."""
    return {
        "id": row.id,
        "entity": row.entity,
        "action": row.action,
        "state": STATES[row.status],
        "total": row.total,
        "done": row.done,
        "refused": row.refused,
        "results": results,
        "error": row.error,
        "created_at": row.created_at.isoformat(),
        "finished_at": row.finished_at.isoformat() if row.finished_at else None,
    }


def insert_job(db: Any, values: dict[str, Any]) -> None:
    db.execute(bulk_actions.insert().values(**values))


def add_records(db: Any, job_id: str, picked: list[tuple[str, int | None]]) -> None:
    """The selection, in order (``seq`` from 0)."""
    for start in range(0, len(picked), 1000):
        db.execute(
            bulk_records.insert(),
            [{"job_id": job_id, "seq": start + n, "record_id": record_id, "version": version}
             for n, (record_id, version) in enumerate(picked[start : start + 1000])],
        )  # fmt: skip


def load_job(db: Any, job_id: str, owner_id: str | None, now: datetime) -> Any:
    """The job; ``NotFound`` when missing, not ``owner_id``'s, or ended over an hour ago."""
    if not is_uuid(job_id):
        raise NotFound("No such bulk action")
    row = db.execute(sa.select(bulk_actions).where(bulk_actions.c.id == job_id)).first()
    if (
        row is None
        or (owner_id is not None and row.owner_id != owner_id)
        or (row.finished_at is not None and row.finished_at < now - KEEP)
    ):
        raise NotFound("No such bulk action")
    return row


def results(db: Any, job_id: str) -> list[dict[str, Any]]:
    """Each done record's result, in selection order."""
    rows = db.execute(
        sa.select(bulk_records.c.record_id, bulk_records.c.outcome, bulk_records.c.status,
                  bulk_records.c.reason)
        .where(bulk_records.c.job_id == job_id, bulk_records.c.outcome.is_not(None))
        .order_by(bulk_records.c.seq)
    ).all()  # fmt: skip
    return [{"id": r.record_id, "outcome": r.outcome, "status": r.status, "reason": r.reason}
            for r in rows]  # fmt: skip


def update_job(db: Any, job_id: str, **values: Any) -> None:
    db.execute(bulk_actions.update().where(bulk_actions.c.id == job_id).values(**values))


def claim_job(db: Any, now: datetime) -> Any:
    """A job waiting for a runner (or whose runner stopped renewing its lease), leased
    to this one; None when there is none."""
    row = db.execute(
        sa.select(bulk_actions)
        .where(
            bulk_actions.c.status.in_(("queued", "running")),
            sa.or_(bulk_actions.c.leased_until.is_(None), bulk_actions.c.leased_until < now),
        )
        .order_by(bulk_actions.c.created_at)
        .limit(1)
        .with_for_update(skip_locked=True)
    ).first()
    if row is None:
        return None
    values: dict[str, Any] = {"status": "running", "leased_until": now + LEASE}
    if row.started_at is None:
        values["started_at"] = now
    update_job(db, row.id, **values)
    return db.execute(sa.select(bulk_actions).where(bulk_actions.c.id == row.id)).first()


def pending(db: Any, job_id: str, limit: int) -> list[Any]:
    """The next records without a result, in selection order."""
    return db.execute(
        sa.select(bulk_records.c.seq, bulk_records.c.record_id, bulk_records.c.version)
        .where(bulk_records.c.job_id == job_id, bulk_records.c.outcome.is_(None))
        .order_by(bulk_records.c.seq)
        .limit(limit)
    ).all()


def record_results(
    db: Any, job_id: str, ended: list[tuple[int, dict[str, Any]]], now: datetime
) -> None:
    """Records' results ``(seq, result)`` and the job's counts, in two statements (the
    caller commits them together)."""
    rows = sa.values(
        sa.column("seq", sa.Integer),
        sa.column("outcome", sa.String),
        sa.column("status", sa.Integer),
        sa.column("reason", sa.Text),
        name="ended",
    ).data([(seq, r["outcome"], r["status"], r["reason"]) for seq, r in ended])
    db.execute(
        bulk_records.update()
        .where(bulk_records.c.job_id == job_id, bulk_records.c.seq == rows.c.seq)
        .values(
            outcome=rows.c.outcome,
            status=sa.cast(rows.c.status, sa.Integer),
            reason=sa.cast(rows.c.reason, sa.Text),
        )
    )
    done = sum(1 for _, r in ended if r["outcome"] == "done")
    db.execute(
        bulk_actions.update()
        .where(bulk_actions.c.id == job_id)
        .values(
            done=bulk_actions.c.done + done,
            refused=bulk_actions.c.refused + (len(ended) - done),
            leased_until=now + LEASE,
        )
    )


def prune(db: Any, now: datetime) -> int:
    """Forget the jobs that ended over an hour ago (their records go with them)."""
    return db.execute(bulk_actions.delete().where(bulk_actions.c.finished_at < now - KEEP)).rowcount
