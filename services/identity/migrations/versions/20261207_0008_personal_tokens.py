"""Personal API tokens beside sign-in sessions: a token's kind, and a personal token's
name, scopes and recognisable prefix.

Revision ID: identity_0008
Revises: identity_0007
Create Date: 2026-12-07 12:00:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY

revision = "identity_0008"
down_revision = "identity_0007"
branch_labels = None
depends_on = None

SCHEMA = "identity"


def upgrade() -> None:
    # every existing row is a sign-in session
    op.add_column(
        "tokens",
        sa.Column("kind", sa.String(16), server_default="session", nullable=False),
        schema=SCHEMA,
    )
    op.add_column("tokens", sa.Column("name", sa.String(100), nullable=True), schema=SCHEMA)
    op.add_column("tokens", sa.Column("scopes", ARRAY(sa.String(50)), nullable=True), schema=SCHEMA)
    op.add_column("tokens", sa.Column("prefix", sa.String(16), nullable=True), schema=SCHEMA)
    op.create_check_constraint(
        op.f("ck_tokens_kind"),
        "tokens",
        "kind = 'session' OR (kind = 'personal' AND name IS NOT NULL"
        " AND scopes IS NOT NULL AND prefix IS NOT NULL)",
        schema=SCHEMA,
    )
    op.create_index("ix_tokens_user_id_kind", "tokens", ["user_id", "kind"], schema=SCHEMA)
    op.drop_index("ix_tokens_user_id", table_name="tokens", schema=SCHEMA)


def downgrade() -> None:
    op.create_index("ix_tokens_user_id", "tokens", ["user_id"], schema=SCHEMA)
    op.drop_index("ix_tokens_user_id_kind", table_name="tokens", schema=SCHEMA)
    # personal tokens cannot be told from sessions once the kind is gone
    op.execute(f"DELETE FROM {SCHEMA}.tokens WHERE kind = 'personal'")
    op.drop_constraint("ck_tokens_kind", "tokens", schema=SCHEMA, type_="check")
    for column in ("prefix", "scopes", "name", "kind"):
        op.drop_column("tokens", column, schema=SCHEMA)
