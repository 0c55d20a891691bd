"""SQL of the imports service: jobs, their files in pieces, and their rows."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from services.platform.access import Actor
from services.platform.errors import NotFound, PermissionDenied
from services.platform.fields import failed
from services.platform.values import is_uuid

from .models import blobs, job_rows, jobs

#: How long a runner holds a job before another instance may take it over.
LEASE = timedelta(seconds=60)
PIECE_BYTES = 1024 * 1024


def dump_job(row: Any) -> dict[str, Any]:
    """A job as the API shows it."""
    return {
        "id": row.id,
        "kind": row.kind,
        "entity": row.entity,
        "status": row.status,
        "file_name": row.file_name,
        "format": row.format,
        "encoding": row.encoding,
        "delimiter": row.delimiter,
        "size": row.size,
        "columns": row.columns,
        "mapping": row.mapping,
        "options": row.options,
        "progress": {"total": row.total, "done": row.done, "failed": row.failed},
        "counts": row.counts,
        "error": row.error,
        "owner_id": row.owner_id,
        "created_at": row.created_at.isoformat(),
        "started_at": row.started_at.isoformat() if row.started_at else None,
        "finished_at": row.finished_at.isoformat() if row.finished_at else None,
    }


def insert_job(db: Any, values: dict[str, Any]) -> Any:
    db.execute(jobs.insert().values(**values))
    return load_job(db, values["id"])


def load_job(db: Any, job_id: str, caller: Actor | None = None, for_update: bool = False) -> Any:
    """The job; NotFound when missing or (given a caller) neither theirs nor an admin's."""
    from services.platform.values import is_uuid

    if not is_uuid(job_id):
        raise NotFound("No such job")
    query = sa.select(jobs).where(jobs.c.id == job_id)
    if for_update:
        query = query.with_for_update()
    row = db.execute(query).first()
    if row is None or (caller is not None and not can_see(caller, row)):
        raise NotFound("No such job")
    return row


def can_see(caller: Actor, row: Any) -> bool:
    return caller.is_admin or row.owner_id == caller.id


def require_owner(caller: Actor, row: Any) -> None:
    if not can_see(caller, row):
        raise PermissionDenied("Only who made the job may change it")


def update_job(db: Any, job_id: str, **values: Any) -> None:
    db.execute(jobs.update().where(jobs.c.id == job_id).values(**values))


def list_jobs(db: Any, caller: Actor, kind: str, limit: int, before: str | None) -> list[Any]:
    """A page of the caller's jobs of ``kind``, newest first, after the cursor ``before``
    (a job's id). Raises ``ValidationFailed`` for a cursor that is no job id."""
    if before is not None and not is_uuid(before):
        raise failed("cursor", "not a cursor of this list")
    query = sa.select(jobs).where(jobs.c.kind == kind)
    if not caller.is_admin:
        query = query.where(jobs.c.owner_id == caller.id)
    if before:
        query = query.where(jobs.c.id < before)
    return db.execute(query.order_by(jobs.c.id.desc()).limit(limit)).all()


def add_piece(db: Any, job_id: str, part: str, seq: int, data: bytes) -> None:
    db.execute(blobs.insert().values(job_id=job_id, part=part, seq=seq, data=data))


def next_seq(db: Any, job_id: str, part: str) -> int:
    return db.execute(
        sa.select(sa.func.coalesce(sa.func.max(blobs.c.seq) + 1, 0)).where(
            blobs.c.job_id == job_id, blobs.c.part == part
        )
    ).scalar_one()


def pieces(db: Any, job_id: str, part: str) -> Iterator[bytes]:
    """The file's pieces in order, one at a time (never the whole file in memory)."""
    seq = 0
    while True:
        data = db.execute(
            sa.select(blobs.c.data).where(
                blobs.c.job_id == job_id, blobs.c.part == part, blobs.c.seq == seq
            )
        ).scalar()
        if data is None:
            return
        yield bytes(data)
        seq += 1


def write_temp_file(db: Any, job_id: str, part: str, suffix: str = "") -> str:
    """The job's file copied to a temporary file (the caller deletes it)."""
    handle, path = tempfile.mkstemp(prefix="osprey-import-", suffix=suffix)
    with os.fdopen(handle, "wb") as out:
        for piece in pieces(db, job_id, part):
            out.write(piece)
    return path


def save_file(db: Any, job_id: str, part: str, path: str) -> int:
    """Store a file of this process as the job's ``part``; its size."""
    db.execute(blobs.delete().where(blobs.c.job_id == job_id, blobs.c.part == part))
    size = 0
    with open(path, "rb") as handle:
        for seq, data in enumerate(iter(lambda: handle.read(PIECE_BYTES), b"")):
            add_piece(db, job_id, part, seq, data)
            size += len(data)
    return size


def claim_job(db: Any, now: datetime, held: Iterable[str] = ()) -> Any:
    """A job waiting for a runner (or whose runner stopped renewing its lease), leased
    to this one; None when there is none. ``held`` are jobs this process already runs."""
    waiting = sa.or_(
        jobs.c.status.in_(("queued", "rollback_queued")),
        sa.and_(
            jobs.c.status.in_(("running", "rolling_back")),
            sa.or_(jobs.c.leased_until.is_(None), jobs.c.leased_until < now),
        ),
    )
    held = list(held)
    if held:
        waiting = sa.or_(waiting, jobs.c.id.in_(held))
    row = db.execute(
        sa.select(jobs)
        .where(
            waiting, jobs.c.status.in_(("queued", "running", "rollback_queued", "rolling_back"))
        )  # fmt: skip
        .order_by(jobs.c.created_at)
        .limit(1)
        .with_for_update(skip_locked=True)
    ).first()
    if row is None:
        return None
    status = {"queued": "running", "rollback_queued": "rolling_back"}.get(row.status, row.status)
    values: dict[str, Any] = {"status": status, "leased_until": now + LEASE}
    if row.started_at is None:
        values["started_at"] = now
    update_job(db, row.id, **values)
    return load_job(db, row.id)


def add_rows(db: Any, job_id: str, entries: list[dict[str, Any]]) -> None:
    if entries:
        # one statement for the batch: every row gives every column
        empty = {"record_id": None, "entity": None, "before": None, "cells": None, "errors": None}
        db.execute(job_rows.insert(), [{"job_id": job_id, **empty, **e} for e in entries])


def failed_rows(db: Any, job_id: str) -> Iterator[Any]:
    """The refused rows in file order, a batch at a time."""
    after = 0
    while True:
        batch = db.execute(
            sa.select(job_rows)
            .where(
                job_rows.c.job_id == job_id,
                job_rows.c.status == "failed",
                job_rows.c.row_no > after,
            )
            .order_by(job_rows.c.row_no)
            .limit(1000)
        ).all()
        if not batch:
            return
        yield from batch
        after = batch[-1].row_no


def rows_to_undo(db: Any, job_id: str, limit: int) -> list[Any]:
    """Created or updated rows not yet undone, the last first."""
    return db.execute(
        sa.select(job_rows)
        .where(job_rows.c.job_id == job_id, job_rows.c.status.in_(("created", "updated")))
        .order_by(job_rows.c.row_no.desc())
        .limit(limit)
    ).all()


def mark_rows(db: Any, job_id: str, row_nos: list[int], status: str) -> None:
    if row_nos:
        db.execute(
            job_rows.update()
            .where(job_rows.c.job_id == job_id, job_rows.c.row_no.in_(row_nos))
            .values(status=status)
        )


def count_rows(db: Any, job_id: str) -> dict[str, int]:
    result = db.execute(
        sa.select(job_rows.c.status, sa.func.count())
        .where(job_rows.c.job_id == job_id)
        .group_by(job_rows.c.status)
    ).all()
    return {status: count for status, count in result}


def jobs_delete(db: Any, job_id: str) -> None:
    """Forget the job, its file and its rows."""
    db.execute(jobs.delete().where(jobs.c.id == job_id))
