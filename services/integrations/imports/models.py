"""Tables of the imports service (schema ``imports``): import and export jobs, the
files they read and wrote, what each imported row became, and bulk actions' jobs.

``jobs`` is one import or export: its file's kind, columns and mapping, the options, its
state and progress ``{total, done, failed}``. ``blobs`` keeps a job's files in pieces
(the upload, the export's result) so any instance of the service can read them.
``job_rows`` keeps, for each row an import wrote or refused, what it became: the record
made or changed (with the record as it was, for a rollback) or the reasons per cell.
``bulk_actions`` is one bulk action run as a job, ``bulk_records`` its selection with
each record's result.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import BYTEA, JSONB, UUID

from services.platform.db import service_metadata

metadata = service_metadata("imports")

ID = UUID(as_uuid=False)
TS = sa.DateTime(timezone=True)

jobs = sa.Table(
    "jobs",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("kind", sa.String(10), nullable=False),  # import, export
    sa.Column("entity", sa.String(30), nullable=False),
    # uploading, ready, queued, running, done, failed, rollback_queued, rolling_back,
    # rolled_back
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("file_name", sa.String(300), nullable=False),
    sa.Column("format", sa.String(10)),
    sa.Column("encoding", sa.String(20)),
    sa.Column("delimiter", sa.String(2)),
    sa.Column("size", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("columns", JSONB, nullable=False, server_default="[]"),
    sa.Column("mapping", JSONB, nullable=False, server_default="[]"),
    sa.Column("options", JSONB, nullable=False, server_default="{}"),
    # an export: the list query and columns
    sa.Column("query", JSONB, nullable=False, server_default="{}"),
    sa.Column("total", sa.Integer, nullable=False, server_default="0"),
    sa.Column("done", sa.Integer, nullable=False, server_default="0"),
    sa.Column("failed", sa.Integer, nullable=False, server_default="0"),
    # {created, updated, skipped, rolled_back}
    sa.Column("counts", JSONB, nullable=False, server_default="{}"),
    # rows of the file read so far (the next batch starts after them)
    sa.Column("position", sa.Integer, nullable=False, server_default="0"),
    sa.Column("error", sa.Text),
    # who started it: the job runs with their rights
    sa.Column("actor", JSONB, nullable=False),
    sa.Column("owner_id", ID, nullable=False),
    sa.Column("leased_until", TS),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("started_at", TS),
    sa.Column("finished_at", TS),
    sa.Index("ix_jobs_owner_created", "owner_id", "created_at"),
    sa.Index(
        "ix_jobs_waiting",
        "status",
        postgresql_where=sa.text(
            "status IN ('queued', 'running', 'rollback_queued', 'rolling_back')"
        ),
    ),
)

blobs = sa.Table(
    "blobs",
    metadata,
    sa.Column("job_id", ID, sa.ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("part", sa.String(10), primary_key=True),  # upload, result
    sa.Column("seq", sa.Integer, primary_key=True),
    sa.Column("data", BYTEA, nullable=False),
)

job_rows = sa.Table(
    "job_rows",
    metadata,
    sa.Column("job_id", ID, sa.ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("row_no", sa.Integer, primary_key=True),  # 1 = the header's next row
    # created, updated, skipped, failed; rolled_back after a rollback
    sa.Column("status", sa.String(12), nullable=False),
    sa.Column("record_id", ID),
    # the record's entity when it is not the job's (an account a contact's row made)
    sa.Column("entity", sa.String(30)),
    # an update: the fields it changed as they were before
    sa.Column("before", JSONB),
    # a refused row: its cells and the reasons ({field, column, message})
    sa.Column("cells", JSONB),
    sa.Column("errors", JSONB),
)

# A bulk action's job (gateway/routers/bulk.py gives the larger selections here): who
# asked and as whom it runs, what it does, and its progress. ``query`` is the list's
# filter and search when the selection is all that they match; its records are read
# once into ``bulk_records`` (``total`` set in the same commit), so a resumed job never
# reads the list again.
bulk_actions = sa.Table(
    "bulk_actions",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("owner_id", ID, nullable=False),
    # the caller: each record is done with their rights
    sa.Column("actor", JSONB, nullable=False),
    sa.Column("entity", sa.String(30), nullable=False),
    sa.Column("action", sa.String(10), nullable=False),  # assign, update, delete, post
    sa.Column("changes", JSONB, nullable=False, server_default="{}"),
    sa.Column("text", sa.Text),
    sa.Column("query", JSONB),
    sa.Column("status", sa.String(10), nullable=False),  # queued, running, done, failed
    sa.Column("total", sa.Integer),
    sa.Column("done", sa.Integer, nullable=False, server_default="0"),
    sa.Column("refused", sa.Integer, nullable=False, server_default="0"),
    sa.Column("error", sa.Text),
    sa.Column("leased_until", TS),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("started_at", TS),
    sa.Column("finished_at", TS),
    sa.Index(
        "ix_bulk_actions_waiting",
        "created_at",
        postgresql_where=sa.text("status IN ('queued', 'running')"),
    ),
    sa.Index("ix_bulk_actions_finished", "finished_at"),
)

# Each selected record of a bulk action, in selection order, with the version the
# caller saw and, once done, its result (stored before the runner moves on).
bulk_records = sa.Table(
    "bulk_records",
    metadata,
    sa.Column("job_id", ID, sa.ForeignKey("bulk_actions.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("seq", sa.Integer, primary_key=True),
    sa.Column("record_id", ID, nullable=False),
    sa.Column("version", sa.BigInteger),
    sa.Column("outcome", sa.String(8)),  # done, refused; null until done
    sa.Column("status", sa.Integer),
    sa.Column("reason", sa.Text),
    sa.Index(
        "ix_bulk_records_pending", "job_id", "seq", postgresql_where=sa.text("outcome IS NULL")
    ),
)
