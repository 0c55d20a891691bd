"""The feed learns the records' shares, and a system post keeps its text without its
record's fields.

``record_shares``: the owning services' shares (``<singular>_shared`` /
``_unshared``), so a record's posts reach whoever it is shared with. ``posts``:
``shows_fields`` (the record's fields a system post's text names), ``plain_text`` and
``plain_html`` (the text without them), for a reader whose role hides any of them.

Revision ID: feed_0004
Revises: feed_0003
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "feed_0004"
down_revision = "feed_0003"
branch_labels = None
depends_on = None

ID = postgresql.UUID(as_uuid=False)


def upgrade() -> None:
    op.create_table(
        "record_shares",
        sa.Column("id", ID, nullable=False),
        sa.Column("type", sa.String(30), nullable=False),
        sa.Column("record_id", ID, nullable=False),
        sa.Column("user_id", ID, nullable=True),
        sa.Column("team_id", ID, nullable=True),
        sa.Column("removed", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_record_shares")),
        schema="feed",
    )
    op.create_index(
        "ix_record_shares_record", "record_shares", ["type", "record_id"], schema="feed"
    )
    op.create_index("ix_record_shares_user_id", "record_shares", ["user_id"], schema="feed")
    op.create_index("ix_record_shares_team_id", "record_shares", ["team_id"], schema="feed")
    op.add_column(
        "posts", sa.Column("shows_fields", postgresql.JSONB, nullable=True), schema="feed"
    )
    op.add_column("posts", sa.Column("plain_text", sa.Text, nullable=True), schema="feed")
    op.add_column("posts", sa.Column("plain_html", sa.Text, nullable=True), schema="feed")


def downgrade() -> None:
    op.drop_column("posts", "plain_html", schema="feed")
    op.drop_column("posts", "plain_text", schema="feed")
    op.drop_column("posts", "shows_fields", schema="feed")
    op.drop_table("record_shares", schema="feed")
