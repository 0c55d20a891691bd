"""A user's password to be changed at the next sign-in: set when Osprey made a temporary
password for them (an invitation, a reset) or when an administrator asks for it;
cleared when the user sets their own.

Revision ID: identity_0010
Revises: identity_0009
Create Date: 2026-12-07 18:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "identity_0010"
down_revision = "identity_0009"
branch_labels = None
depends_on = None

SCHEMA = "identity"


def upgrade() -> None:
    op.add_column(
        "users",
        sa.Column(
            "password_change_required", sa.Boolean, server_default=sa.false(), nullable=False
        ),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_column("users", "password_change_required", schema=SCHEMA)
