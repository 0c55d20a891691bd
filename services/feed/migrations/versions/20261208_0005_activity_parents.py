"""The feed knows which record an activity is for, so the activity's posts show in that
record's feed (docs/architecture.md, "The feed").

``record_refs``: ``parent_type`` and ``parent_id`` — for an activity, the record it is
for (its ``related_type`` / ``related_id``), indexed for a record's feed.

Revision ID: feed_0005
Revises: feed_0004
Create Date: 2026-12-08
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "feed_0005"
down_revision = "feed_0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("record_refs", sa.Column("parent_type", sa.String(30)), schema="feed")
    op.add_column(
        "record_refs", sa.Column("parent_id", postgresql.UUID(as_uuid=False)), schema="feed"
    )
    op.create_index(
        "ix_record_refs_parent",
        "record_refs",
        ["parent_type", "parent_id"],
        schema="feed",
        postgresql_where=sa.text("parent_id IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_record_refs_parent", table_name="record_refs", schema="feed")
    op.drop_column("record_refs", "parent_id", schema="feed")
    op.drop_column("record_refs", "parent_type", schema="feed")
