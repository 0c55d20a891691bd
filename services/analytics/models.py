"""Tables of the analytics service (schema ``analytics``): read models, never the
owning services' tables.

``records`` holds the last state of every record of the entities reported on, as the
owning service's events carry it (``data``), with the columns every report filters or
groups by pulled out: owner, team, times, and the record's ``version`` so an event that
arrives late never overwrites a newer state. A deleted record stays as a tombstone
(``deleted``), so a late update cannot bring it back; reports skip tombstones.

``stage_periods`` is each stay of a lead or a deal in a stage (entered, left), from the
stage-change events: the funnel, conversion rates and time in stage come from it.
``reports`` and ``dashboards`` are what users save.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, UUID

from services.platform.db import service_metadata

metadata = service_metadata("analytics")

ID = UUID(as_uuid=False)
TS = sa.DateTime(timezone=True)

records = sa.Table(
    "records",
    metadata,
    sa.Column("entity", sa.String(30), primary_key=True),
    sa.Column("id", ID, primary_key=True),
    sa.Column("version", sa.Integer, nullable=False, server_default="0"),
    sa.Column("owner_id", ID, nullable=True),
    sa.Column("team_id", ID, nullable=True),
    sa.Column("created_at", TS, nullable=True),
    sa.Column("updated_at", TS, nullable=True),
    sa.Column("deleted", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("data", JSONB, nullable=False),
    sa.Index("ix_records_entity_created_at", "entity", "created_at"),
    sa.Index("ix_records_entity_owner_id", "entity", "owner_id"),
)

stage_periods = sa.Table(
    "stage_periods",
    metadata,
    sa.Column("entity", sa.String(30), primary_key=True),
    sa.Column("record_id", ID, primary_key=True),
    sa.Column("stage", sa.String(100), primary_key=True),
    sa.Column("entered_at", TS, primary_key=True),
    sa.Column("left_at", TS, nullable=True),
    sa.Index("ix_stage_periods_entity_stage", "entity", "stage"),
)

reports = sa.Table(
    "reports",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("spec", JSONB, nullable=False),
    sa.Column("owner_id", ID, nullable=False),
    sa.Column("team_id", ID, nullable=True),
    sa.Column("shared_with_team", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("version", sa.Integer, nullable=False, server_default="1"),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("updated_at", TS, nullable=False),
    sa.Index("ix_reports_owner_id", "owner_id"),
)

dashboards = sa.Table(
    "dashboards",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    # [{id, kind ∈ number, chart, list; report: spec; x, y, w, h}]
    sa.Column("widgets", JSONB, nullable=False),
    sa.Column("owner_id", ID, nullable=False),
    sa.Column("team_id", ID, nullable=True),
    # the team's default Results page, shared by a manager or an administrator
    sa.Column("is_team_default", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("version", sa.Integer, nullable=False, server_default="1"),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("updated_at", TS, nullable=False),
    sa.Index("ix_dashboards_owner_id", "owner_id"),
)
