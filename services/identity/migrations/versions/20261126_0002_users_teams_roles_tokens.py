"""Users, teams, roles (seeded: admin, sales_manager, sales_rep), user roles and tokens.

Revision ID: identity_0002
Revises: identity_0001
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, TSVECTOR, UUID

revision = "identity_0002"
down_revision = "identity_0001"
branch_labels = None
depends_on = None

SCHEMA = "identity"
# Written out, not imported: a migration must keep meaning what it meant when written.
SEARCH_EXPRESSION = (
    "to_tsvector('simple', coalesce(full_name, '') || ' ' || email"
    " || ' ' || translate(email, '@.', '  '))"
)
ROLES = (
    (
        "00000000-0000-7000-8000-000000000001",
        "admin",
        [
            "users.read",
            "users.manage",
            "teams.manage",
            "roles.read",
            "records.read_all",
            "records.change_all",
            "records.assign",
            "processes.manage",
            "imports.run",
            "reports.manage",
            "settings.manage",
        ],
    ),
    (
        "00000000-0000-7000-8000-000000000002",
        "sales_manager",
        [
            "users.read",
            "roles.read",
            "records.read_team",
            "records.change_team",
            "records.assign",
            "imports.run",
            "reports.manage",
        ],
    ),
    (
        "00000000-0000-7000-8000-000000000003",
        "sales_rep",
        ["users.read", "roles.read", "records.read_team", "records.change_own"],
    ),
)


def upgrade() -> None:
    op.create_table(
        "teams",
        sa.Column("id", UUID(as_uuid=False), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("manager_id", UUID(as_uuid=False)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_teams"),
        schema=SCHEMA,
    )
    op.create_index(
        "uq_teams_lower_name", "teams", [sa.text("lower(name)")], unique=True, schema=SCHEMA
    )
    op.create_table(
        "users",
        sa.Column("id", UUID(as_uuid=False), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("full_name", sa.String(200), nullable=False),
        sa.Column("password_hash", sa.Text, nullable=False),
        sa.Column("team_id", UUID(as_uuid=False)),
        sa.Column("is_active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("locale", sa.String(8), nullable=False, server_default="en"),
        sa.Column("theme", sa.String(8), nullable=False, server_default="light"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "search", TSVECTOR, sa.Computed(SEARCH_EXPRESSION, persisted=True), nullable=True
        ),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("email", name="uq_users_email"),
        sa.ForeignKeyConstraint(
            ["team_id"],
            [f"{SCHEMA}.teams.id"],
            name="fk_users_team_id_teams",
            ondelete="SET NULL",
        ),
        sa.CheckConstraint("email = lower(email)", name="ck_users_email_lower"),
        sa.CheckConstraint("locale IN ('en', 'ru')", name="ck_users_locale"),
        sa.CheckConstraint("theme IN ('light', 'dark')", name="ck_users_theme"),
        schema=SCHEMA,
    )
    op.create_index("ix_users_team_id", "users", ["team_id"], schema=SCHEMA)
    op.create_index("ix_users_created_at_id", "users", ["created_at", "id"], schema=SCHEMA)
    op.create_index("ix_users_search", "users", ["search"], schema=SCHEMA, postgresql_using="gin")
    op.create_foreign_key(
        "fk_teams_manager_id_users",
        "teams",
        "users",
        ["manager_id"],
        ["id"],
        source_schema=SCHEMA,
        referent_schema=SCHEMA,
        ondelete="SET NULL",
    )
    roles = op.create_table(
        "roles",
        sa.Column("id", UUID(as_uuid=False), nullable=False),
        sa.Column("name", sa.String(50), nullable=False),
        sa.Column("permissions", ARRAY(sa.String(100)), nullable=False, server_default="{}"),
        sa.PrimaryKeyConstraint("id", name="pk_roles"),
        sa.UniqueConstraint("name", name="uq_roles_name"),
        schema=SCHEMA,
    )
    op.create_table(
        "user_roles",
        sa.Column("user_id", UUID(as_uuid=False), nullable=False),
        sa.Column("role_id", UUID(as_uuid=False), nullable=False),
        sa.PrimaryKeyConstraint("user_id", "role_id", name="pk_user_roles"),
        sa.ForeignKeyConstraint(
            ["user_id"],
            [f"{SCHEMA}.users.id"],
            name="fk_user_roles_user_id_users",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["role_id"],
            [f"{SCHEMA}.roles.id"],
            name="fk_user_roles_role_id_roles",
            ondelete="CASCADE",
        ),
        schema=SCHEMA,
    )
    op.create_index("ix_user_roles_role_id", "user_roles", ["role_id"], schema=SCHEMA)
    op.create_table(
        "tokens",
        sa.Column("id", UUID(as_uuid=False), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("user_id", UUID(as_uuid=False), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
        sa.Column("last_used_at", sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint("id", name="pk_tokens"),
        sa.UniqueConstraint("token_hash", name="uq_tokens_token_hash"),
        sa.ForeignKeyConstraint(
            ["user_id"],
            [f"{SCHEMA}.users.id"],
            name="fk_tokens_user_id_users",
            ondelete="CASCADE",
        ),
        schema=SCHEMA,
    )
    op.create_index("ix_tokens_user_id", "tokens", ["user_id"], schema=SCHEMA)
    op.bulk_insert(
        roles, [{"id": rid, "name": name, "permissions": perms} for rid, name, perms in ROLES]
    )


def downgrade() -> None:
    op.drop_table("tokens", schema=SCHEMA)
    op.drop_table("user_roles", schema=SCHEMA)
    op.drop_table("roles", schema=SCHEMA)
    op.drop_constraint("fk_teams_manager_id_users", "teams", schema=SCHEMA, type_="foreignkey")
    op.drop_table("users", schema=SCHEMA)
    op.drop_table("teams", schema=SCHEMA)
