"""Tables of the audit service (schema ``audit``): the trail, never the owning services'
tables.

``entries`` holds one row per change of a record, keyed by ``(entity, record_id,
version, phase)``: ``phase`` 0 is the state a create or change left (its ``state`` is the
record after it, as the event carried it), 1 the record's end (deleted, or merged into
another). An event delivered twice or out of order finds its row taken; the changes of
each row are computed against the nearest lower version kept. Records without a
``version`` (identity's users and teams) are ordered by the event's time instead.
``owner_id`` and ``team_id`` come from the state, so a list shows a caller only the
entries of records they may read; ``admin_only`` marks users and teams.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, UUID

from services.platform.db import service_metadata

metadata = service_metadata("audit")

ID = UUID(as_uuid=False)
TS = sa.DateTime(timezone=True)

entries = sa.Table(
    "entries",
    metadata,
    sa.Column("id", ID, nullable=False, unique=True),
    sa.Column("entity", sa.String(30), primary_key=True),
    sa.Column("record_id", ID, primary_key=True),
    sa.Column("version", sa.BigInteger, primary_key=True),
    sa.Column("phase", sa.SmallInteger, primary_key=True),
    sa.Column("action", sa.String(20), nullable=False),
    sa.Column("event", sa.String(60), nullable=False),
    sa.Column("event_id", sa.String(60), nullable=False),
    sa.Column("actor_id", sa.String(60), nullable=True),
    sa.Column("actor_email", sa.String(320), nullable=True),
    sa.Column("source", sa.String(20), nullable=False),
    sa.Column("at", TS, nullable=False),
    # {field: [old, new]}
    sa.Column("changes", JSONB, nullable=False),
    # False when the record was first seen on a change: the old values are not known
    sa.Column("old_known", sa.Boolean, nullable=False),
    sa.Column("state", JSONB, nullable=False),
    sa.Column("owner_id", ID, nullable=True),
    sa.Column("team_id", ID, nullable=True),
    sa.Column("admin_only", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Index("ix_entries_at", "at"),
    sa.Index("ix_entries_actor_id_at", "actor_id", "at"),
    sa.Index("ix_entries_entity_at", "entity", "at"),
)
