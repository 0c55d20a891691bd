"""Failed sign-ins per account and per client address, with their lockout.

Revision ID: identity_0007
Revises: identity_0006
Create Date: 2026-12-07 06:46:30.917366
"""

import sqlalchemy as sa
from alembic import op

revision = "identity_0007"
down_revision = "identity_0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "login_failures",
        sa.Column("key", sa.String(length=400), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("first_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_login_failures")),
        schema="identity",
    )


def downgrade() -> None:
    op.drop_table("login_failures", schema="identity")
