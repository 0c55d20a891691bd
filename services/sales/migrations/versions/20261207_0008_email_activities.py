"""Mail on the timeline: the message an email activity records, and the records it shows on.

``activity_emails`` holds, per ``email`` activity the mail service's ``email_linked`` and
``email_sent`` made, the mail service's id of the message (one activity per message:
unique), its Message-ID, thread key (the timeline threads by it), direction and what
colleagues may see of it. ``activity_links`` lists every record the activity shows on
(a message linked to a contact, its account and a deal shows on all three), looked up
by record.

Revision ID: sales_0008
Revises: sales_0007
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision = "sales_0008"
down_revision = "sales_0007"
branch_labels = None
depends_on = None

SCHEMA = "sales"


def upgrade() -> None:
    op.create_table(
        "activity_emails",
        sa.Column("activity_id", UUID(as_uuid=False), nullable=False),
        sa.Column("email_id", UUID(as_uuid=False), nullable=False),
        sa.Column("message_id", sa.Text(), nullable=True),
        sa.Column("thread_key", sa.String(200), nullable=False),
        sa.Column("direction", sa.String(10), nullable=False),
        sa.Column("visibility", sa.String(10), nullable=False),
        sa.CheckConstraint(
            "direction IN ('incoming', 'outgoing')", name="ck_activity_emails_direction"
        ),
        sa.CheckConstraint(
            "visibility IN ('all', 'headers', 'none')", name="ck_activity_emails_visibility"
        ),
        sa.ForeignKeyConstraint(
            ["activity_id"],
            [f"{SCHEMA}.activities.id"],
            name="fk_activity_emails_activity_id_activities",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("activity_id", name="pk_activity_emails"),
        sa.UniqueConstraint("email_id", name="uq_activity_emails_email_id"),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_activity_emails_thread_key", "activity_emails", ["thread_key"], schema=SCHEMA
    )
    op.create_table(
        "activity_links",
        sa.Column("activity_id", UUID(as_uuid=False), nullable=False),
        sa.Column("record_type", sa.String(20), nullable=False),
        sa.Column("record_id", UUID(as_uuid=False), nullable=False),
        sa.ForeignKeyConstraint(
            ["activity_id"],
            [f"{SCHEMA}.activities.id"],
            name="fk_activity_links_activity_id_activities",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "activity_id", "record_type", "record_id", name="pk_activity_links"
        ),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_activity_links_record",
        "activity_links",
        ["record_type", "record_id"],
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_table("activity_links", schema=SCHEMA)
    op.drop_table("activity_emails", schema=SCHEMA)
