"""Exports of a list to xlsx or csv as a job — a part of the imports service.

The gateway streams a list of up to :data:`.domain.EXPORT_STREAM_MAX` rows at once; a
longer one is a job: ``create_export`` queues it, the runner (:mod:`.runner`) pages
through the owning service's list RPC with the caller's rights, filter and sort
(keyset cursor, 500 rows a page), writes the file a row at a time and keeps it in
pieces; ``get_export`` gives the progress, ``read_export_piece`` the file.
"""

from __future__ import annotations

import base64
import contextlib
import os
import tempfile
from typing import Any

import sqlalchemy as sa

from services.platform import tabular
from services.platform.access import Actor
from services.platform.errors import EXPECTED, Conflict
from services.platform.events import utcnow
from services.platform.fields import failed
from services.platform.ids import new_id
from services.platform.rpc import rpc

from . import domain, store
from .dependencies import ImportsBase
from .models import blobs


class ExportsRpc(ImportsBase):
    """Export jobs."""

    @rpc(expected_exceptions=EXPECTED)
    def create_export(self, data: dict[str, Any], actor: dict[str, Any]) -> dict[str, Any]:
        """Queue an export of ``{resource, query: {filter, sort, q}, columns, format}``.
        Raises ``ValidationFailed`` naming the bad field."""
        caller = Actor.from_dict(actor)
        try:
            spec = domain.check_export(data)
        except ValueError as error:
            field, _, message = str(error).partition(": ")
            raise failed(field, message) from error
        stamp = utcnow()
        row = store.insert_job(
            self.db,
            {
                "id": new_id(),
                "kind": "export",
                "entity": spec["resource"],
                "status": "queued",
                "file_name": f"{spec['resource']}-{stamp:%Y%m%d-%H%M}.{spec['format']}",
                "format": spec["format"],
                "columns": spec["columns"],
                "query": spec["query"],
                "actor": actor,
                "owner_id": caller.id,
                "created_at": stamp,
            },
        )
        self.db.commit()
        return store.dump_job(row)

    @rpc(expected_exceptions=EXPECTED)
    def get_export(self, job_id: str, actor: dict[str, Any]) -> dict[str, Any]:
        """The export with its progress; ``NotFound`` when it is not the caller's."""
        job = store.load_job(self.db, job_id, Actor.from_dict(actor))
        if job.kind != "export":
            raise failed("id", "not an export")
        return store.dump_job(job)

    @rpc(expected_exceptions=EXPECTED)
    def list_exports(self, query: dict[str, Any] | None, actor: dict[str, Any]) -> dict[str, Any]:
        """The caller's exports, newest first."""
        caller = Actor.from_dict(actor)
        query = query or {}
        limit = max(1, min(200, int(query.get("limit") or 50)))
        rows = store.list_jobs(self.db, caller, "export", limit + 1, query.get("cursor") or None)
        self.db.commit()
        items = [store.dump_job(r) for r in rows[:limit]]
        return {"items": items, "next_cursor": items[-1]["id"] if len(rows) > limit else None}

    @rpc(expected_exceptions=EXPECTED)
    def read_export_piece(self, job_id: str, seq: int, actor: dict[str, Any]) -> dict[str, Any]:
        """Piece ``seq`` of the finished export's file: ``{data (base64), last}``.
        Raises ``Conflict`` until it is done."""
        job = store.load_job(self.db, job_id, Actor.from_dict(actor))
        if job.kind != "export" or job.status != "done":
            raise Conflict("The export is not ready yet")
        rows = self.db.execute(
            sa.select(blobs.c.seq, blobs.c.data)
            .where(blobs.c.job_id == job_id, blobs.c.part == "result", blobs.c.seq >= int(seq))
            .order_by(blobs.c.seq)
            .limit(2)
        ).all()
        self.db.commit()
        if not rows or rows[0].seq != int(seq):
            return {"data": "", "last": True}
        return {"data": base64.b64encode(bytes(rows[0].data)).decode("ascii"),
                "last": len(rows) == 1}  # fmt: skip


def run_export(base: ImportsBase, job: Any) -> None:
    """Write the whole export (the runner's step for an export job)."""
    service, method = domain.EXPORTABLE[job.entity]
    proxy = base.owners()[service]
    columns = list(job.columns)
    handle, path = tempfile.mkstemp(prefix="osprey-export-", suffix="." + job.format)
    os.close(handle)
    try:
        xlsx = tabular.XlsxRows(path, columns) if job.format == "xlsx" else None
        out = None if xlsx else open(path, "wb")  # noqa: SIM115 - closed below
        if out is not None:
            out.write(tabular.csv_bytes([columns], first=True))
        cursor: str | None = None
        done = 0
        while True:
            purpose = {"purpose": "export"} if job.entity in domain.EXPORT_RIGHT_CHECKED else {}
            query = {**job.query, **purpose, "limit": domain.EXPORT_PAGE, "cursor": cursor}
            page = getattr(proxy, method)(query, job.actor)
            if cursor is None and page.get("total") is not None:
                store.update_job(base.db, job.id, total=page["total"])
            rows = [tabular.row_cells(record, columns) for record in page["items"]]
            if xlsx is not None:
                for cells in rows:
                    xlsx.add(cells)
            else:
                out.write(tabular.csv_bytes(rows))
            done += len(rows)
            store.update_job(
                base.db, job.id, done=done, position=done, leased_until=utcnow() + store.LEASE
            )
            base.db.commit()
            cursor = page.get("next_cursor")
            if not cursor:
                break
        if xlsx is not None:
            xlsx.close()
        else:
            out.close()
        size = store.save_file(base.db, job.id, "result", path)
        store.update_job(
            base.db, job.id, status="done", total=done, size=size, finished_at=utcnow(),
            leased_until=None,
        )  # fmt: skip
        base.db.commit()
    finally:
        with contextlib.suppress(OSError):
            os.unlink(path)
