"""Tables of the imports service (schema ``imports``): import and export jobs, the
files they read and wrote, and what each imported row became.

``jobs`` is one import or export: its file's kind, columns and mapping, the options, its
state and progress ``{total, done, failed}``. ``blobs`` keeps a job's files in pieces
(the upload, the export's result) so any instance of the service can read them.
``job_rows`` keeps, for each row an import wrote or refused, what it became: the record
made or changed (with the record as it was, for a rollback) or the reasons per cell.
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
