"""The runner: imports and rollbacks done in the background, a batch at a time — a part
of the imports service.

A timer claims a waiting job (``FOR UPDATE SKIP LOCKED`` with a lease, so several
instances share the jobs and one that dies is taken over) and works on it for a slice
of time (``OSPREY_IMPORT_SLICE_SECONDS``). Each batch of rows is written through the
owning service, then what each row became and the progress are committed together:
a restart resumes after the last committed batch. The file stays open in this process
between slices (a workbook is loaded once); memory holds one batch and the reader's
state, never the file's rows.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import Iterator
from itertools import islice
from typing import Any

import eventlet
from nameko.timer import timer

from services.platform.events import utcnow

from . import domain, reading, store
from .dependencies import ImportsBase
from .entities import Batch, Row, Writer
from .exports import run_export

log = logging.getLogger(__name__)
TICK_SECONDS = 0.5
#: rows undone a step: a leads import's created leads go to the bulk delete 5,000 a
#: call; other records are deleted one RPC each, side by side
UNDO_BATCH = 200
UNDO_LEAD_BATCH = 5000
#: the longest pause between two batches (a stopping service waits for it)
MAX_PAUSE_SECONDS = 10.0


class Pace:
    """A duty cycle: an import is background work and leaves the owning service and
    PostgreSQL to people's requests most of the time. :meth:`step` is called before each
    batch is sent; it pauses so that the work since the last step (t seconds) was at
    most ``duty`` of the time: t × (1 − duty) / duty."""

    def __init__(self, duty: float, sleep: Any = eventlet.sleep, clock: Any = time.monotonic):
        self.duty = duty
        self.sleep = sleep
        self.clock = clock
        self.since = clock()
        self.paused = 0.0
        self.carried = 0.0

    def stop(self) -> None:
        """The end of a slice: the work since the last step is carried to the next."""
        self.carried = self.clock() - self.since

    def resume(self) -> None:
        """A new slice: the work carried from the last one counts."""
        self.since = self.clock() - self.carried
        self.carried = 0.0

    def step(self) -> None:
        busy = self.clock() - self.since
        if self.duty < 1.0 and busy > 0:
            pause = min(MAX_PAUSE_SECONDS, busy * (1.0 - self.duty) / self.duty)
            self.sleep(pause)
            self.paused += pause
        self.since = self.clock()


def data_rows(path: str, info: reading.FileInfo) -> Iterator[list[Any]]:
    """The rows after the header (blank rows included, so positions stay stable)."""
    seen_header = False
    for row in reading.rows(path, info):
        if not seen_header:
            if not domain.is_blank_row(row):
                seen_header = True
            continue
        yield row


class RunnerRpc(ImportsBase):
    """The background work of the imports service."""

    @timer(interval=TICK_SECONDS)
    def run_import_jobs(self) -> None:
        """Claim a job and work on it for one slice."""
        now = utcnow()
        job = store.claim_job(self.db, now, held=[])
        self.db.commit()
        if job is None:
            return
        try:
            if job.kind == "export":
                run_export(self, job)
            elif job.status == "rolling_back":
                self._undo_slice(job)
            else:
                self._import_slice(job)
        except Exception as exc:  # noqa: BLE001 - a job that breaks must not block the rest
            log.exception("import %s failed", job.id)
            self.db.rollback()
            self._close(job.id)
            status = "failed" if job.status == "running" else "done"
            store.update_job(
                self.db, job.id, status=status, error=f"{type(exc).__name__}: {exc}"[:500],
                finished_at=utcnow(), leased_until=None,
            )  # fmt: skip
            self.db.commit()

    # --- importing -------------------------------------------------------------------
    def _open(self, job: Any) -> tuple[Iterator[list[Any]], Writer]:
        state = self.open_files.get(job.id)
        if state is not None and state["position"] == job.position:
            return state["rows"], state["writer"]
        self._close(job.id)
        path = store.write_temp_file(self.db, job.id, "upload")
        info = reading.FileInfo(job.format, job.encoding, job.delimiter)
        if job.total == 0:
            total = sum(1 for row in data_rows(path, info) if not domain.is_blank_row(row))
            store.update_job(self.db, job.id, total=total)
        rows = data_rows(path, info)
        for _ in islice(rows, job.position):  # what an earlier slice wrote
            pass
        writer = Writer(self.owners(), job.entity, job.id, job.actor, job.options)
        self.open_files[job.id] = {
            "path": path, "rows": rows, "writer": writer, "position": job.position,
        }  # fmt: skip
        return rows, writer

    def _close(self, job_id: str) -> None:
        state = self.open_files.pop(job_id, None)
        if state is not None:
            with contextlib.suppress(OSError):
                os.unlink(state["path"])

    def _import_slice(self, job: Any) -> None:
        rows, writer = self._open(job)
        mapping = job.mapping
        deadline = time.monotonic() + self.settings.slice_seconds
        position, done, failed_count = job.position, job.done, job.failed
        counts = dict(job.counts or {})
        finished = False
        size = self.settings.batch_rows * self.settings.parallel
        if job.entity == "leads":
            size = self.settings.lead_batch_rows
        # One batch in the owning service's hands while the next is read and converted
        # here: the two processes work side by side. Its answer is recorded before the
        # next batch is sent, so each batch's duplicate check sees the ones before.
        pending: tuple[list[Row], int, Any] | None = None
        read_to = position
        pace = self.open_files[job.id].setdefault("pace", Pace(self.settings.duty))
        pace.resume()
        while True:
            batch: list[Row] = []
            read = 0
            if time.monotonic() < deadline:
                for cells in islice(rows, size):
                    read += 1
                    if domain.is_blank_row(cells):
                        continue
                    values, errors = domain.convert_row(job.entity, mapping, cells)
                    batch.append(Row(read_to + read, cells, values, errors))
                finished = read == 0
            answered = pending[2]() if pending is not None else None
            if read:
                pace.step()  # people's requests first: the import takes its share
            sent = (batch, read, writer.send(batch)) if read else None
            if pending is not None and answered is not None:
                position, done, failed_count = self._record(
                    job.id, pending[0], pending[1], answered, counts,
                    (position, done, failed_count),
                )  # fmt: skip
            pending, read_to = sent, read_to + read
            if pending is None:
                break
        pace.stop()
        if finished:
            self._close(job.id)
            store.update_job(
                self.db, job.id, status="done", finished_at=utcnow(), leased_until=None
            )
            self.db.emit("import_finished", store.dump_job(store.load_job(self.db, job.id)))
            self.db.commit()
        else:
            # let the next tick (of this or another instance) take it up again
            store.update_job(self.db, job.id, leased_until=utcnow())
            self.db.commit()

    def _record(
        self,
        job_id: str,
        batch: list[Row],
        read: int,
        result: Batch,
        counts: dict[str, int],
        progress: tuple[int, int, int],
    ) -> tuple[int, int, int]:
        """What a batch's rows became and the progress, committed together."""
        position, done, failed_count = progress
        store.add_rows(self.db, job_id, result.entries)
        for number, side in enumerate(result.side_records, start=1):
            store.add_rows(self.db, job_id, [{
                "row_no": -(counts.get("side", 0) + number), "status": "created", **side,
            }])  # fmt: skip
        counts["side"] = counts.get("side", 0) + len(result.side_records)
        for entry in result.entries:
            counts[entry["status"]] = counts.get(entry["status"], 0) + 1
        position += read
        done += len(batch)
        failed_count += sum(1 for e in result.entries if e["status"] == "failed")
        store.update_job(
            self.db, job_id, position=position, done=done, failed=failed_count,
            counts=counts, leased_until=utcnow() + store.LEASE,
        )  # fmt: skip
        self.db.commit()
        self.open_files[job_id]["position"] = position
        return position, done, failed_count

    # --- rolling back ----------------------------------------------------------------
    def _undo_slice(self, job: Any) -> None:
        writer = Writer(self.owners(), job.entity, job.id, job.actor, job.options)
        deadline = time.monotonic() + self.settings.slice_seconds
        counts = dict(job.counts or {})
        size = UNDO_LEAD_BATCH if job.entity == "leads" else UNDO_BATCH
        pace = Pace(self.settings.duty)
        while time.monotonic() < deadline:
            pace.step()
            entries = store.rows_to_undo(self.db, job.id, size)
            if not entries:
                store.update_job(
                    self.db, job.id, status="rolled_back", counts=counts,
                    finished_at=utcnow(), leased_until=None,
                )  # fmt: skip
                self.db.emit("import_rolled_back", store.dump_job(store.load_job(self.db, job.id)))
                self.db.commit()
                return
            writer.undo_all(entries)
            store.mark_rows(self.db, job.id, [e.row_no for e in entries], "rolled_back")
            counts["rolled_back"] = counts.get("rolled_back", 0) + len(entries)
            store.update_job(self.db, job.id, counts=counts, leased_until=utcnow() + store.LEASE)
            self.db.commit()
        store.update_job(self.db, job.id, leased_until=utcnow())
        self.db.commit()
