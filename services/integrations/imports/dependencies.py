"""What the imports service's parts are given: its database, the owning services'
RPC (and the feed's, for bulk actions' posts), its settings, and the files of the jobs
this process is running."""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from typing import Any

from nameko.extensions import DependencyProvider
from nameko.rpc import RpcProxy

from services.platform.db import Database

from .models import metadata

DEFAULT_MAX_BYTES = 200 * 1024 * 1024
#: a leads import's batch: a transaction of the leads service, whose new name keys a
#: person's look-alike search reads if the name index has not applied them yet (over
#: 1,000 it marks the index stale and falls back to the table: bench/README.md)
DEFAULT_LEAD_BATCH_ROWS = 500
#: an import is background work: it keeps the owning service busy half the time at most
DEFAULT_DUTY = 0.5


@dataclass(frozen=True)
class Settings:
    #: the largest file an import takes (``OSPREY_IMPORT_MAX_BYTES``)
    max_bytes: int
    #: rows per batch sent to the owning service
    batch_rows: int
    #: rows per batch of a leads import (``leads.create_leads_in_bulk`` takes 5,000; at
    #: most 1,000 new name keys a commit keep the leads processes' name indexes current:
    #: platform.name_index.CATCH_UP_LIMIT)
    lead_batch_rows: int
    #: batches read and written at once (leads: their import calls made together)
    parallel: int
    #: seconds a runner works on a job per timer tick before it looks again
    slice_seconds: float
    #: the share of the time a leads import keeps the leads service and PostgreSQL busy
    #: (``OSPREY_IMPORT_DUTY``, 0.05 to 1): after a batch that took t seconds the runner
    #: pauses t × (1 − duty) / duty before the next, so people's requests come first
    duty: float = 1.0


def read_settings(environ: Any = os.environ) -> Settings:
    def number(name: str, default: float) -> float:
        try:
            return float(environ.get(name) or default)
        except ValueError:
            return default

    return Settings(
        max_bytes=int(number("OSPREY_IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES)),
        batch_rows=max(1, min(500, int(number("OSPREY_IMPORT_BATCH_ROWS", 500)))),
        lead_batch_rows=max(
            1, min(5000, int(number("OSPREY_IMPORT_LEAD_BATCH_ROWS", DEFAULT_LEAD_BATCH_ROWS)))
        ),
        # 1: concurrent lead batches with names in common deadlock on the leads
        # service's name keys (each such call is then made again alone)
        parallel=max(1, min(8, int(number("OSPREY_IMPORT_PARALLEL", 1)))),
        slice_seconds=number("OSPREY_IMPORT_SLICE_SECONDS", 5.0),
        duty=max(0.05, min(1.0, number("OSPREY_IMPORT_DUTY", DEFAULT_DUTY))),
    )


class ImportSettings(DependencyProvider):
    """The settings, read once at start-up."""

    def setup(self) -> None:
        self.settings = read_settings()

    def get_dependency(self, worker_ctx: Any) -> Settings:
        return self.settings


class OpenFiles(DependencyProvider):
    """The jobs this process is reading: ``{job_id: {path, rows, writer, position,
    pace}}``.

    A job is read across timer ticks from the same open file, so a workbook is loaded
    once, not once per batch; another instance that takes the job over opens it again
    and skips to the job's position."""

    def setup(self) -> None:
        self.files: dict[str, Any] = {}

    def get_dependency(self, worker_ctx: Any) -> dict[str, Any]:
        return self.files

    def stop(self) -> None:
        for state in list(self.files.values()):
            with contextlib.suppress(OSError, KeyError, TypeError):
                os.unlink(state["path"])
        self.files.clear()


class ImportsBase:
    """The providers every part of the imports service uses, and nothing else."""

    name = "imports"

    db = Database(metadata)
    settings = ImportSettings()
    open_files = OpenFiles()
    leads_rpc = RpcProxy("leads")
    sales_rpc = RpcProxy("sales")
    orders_rpc = RpcProxy("orders")
    #: a bulk action's posts on each record's feed
    feed_rpc = RpcProxy("feed")

    def owners(self) -> dict[str, Any]:
        return {"leads": self.leads_rpc, "sales": self.sales_rpc, "orders": self.orders_rpc}
