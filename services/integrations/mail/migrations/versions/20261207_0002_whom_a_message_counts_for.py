"""Whom a message counts for, kept on the message when it is first stored: the mailbox
that stored it, and its owner and team (for mail sent through Osprey: the sender and
their team). The events said so already; now the export for analytics' rebuild can say
the same. Messages stored before: their first mailbox by id and its owner and team
(an email sent through Osprey: its sender).

Revision ID: mail_0002
Revises: mail_0001
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "mail_0002"
down_revision = "mail_0001"
branch_labels = None
depends_on = None

SCHEMA = "mail"


def upgrade() -> None:
    for column in ("mailbox_id", "user_id", "team_id"):
        op.add_column("messages", sa.Column(column, sa.UUID(as_uuid=False)), schema=SCHEMA)
    op.execute(
        f"""
        UPDATE {SCHEMA}.messages m SET mailbox_id = first.connection_id,
            user_id = c.owner_id, team_id = c.team_id
        FROM (SELECT message_id, min(connection_id::text)::uuid AS connection_id
              FROM {SCHEMA}.message_locations GROUP BY message_id) first
        JOIN {SCHEMA}.connections c ON c.id = first.connection_id
        WHERE first.message_id = m.id
        """
    )
    op.execute(
        f"""
        UPDATE {SCHEMA}.messages m SET user_id = s.created_by
        FROM {SCHEMA}.sends s WHERE s.message_id = m.id AND s.created_by IS NOT NULL
        """
    )


def downgrade() -> None:
    for column in ("team_id", "user_id", "mailbox_id"):
        op.drop_column("messages", column, schema=SCHEMA)
