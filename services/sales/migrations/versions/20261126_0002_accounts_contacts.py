"""The accounts and contacts tables: fields, links, checks, keyset and search indexes.

Revision ID: sales_0002
Revises: sales_0001
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, TSVECTOR, UUID

revision = "sales_0002"
down_revision = "sales_0001"
branch_labels = None
depends_on = None

SCHEMA = "sales"
ACCOUNT_TYPES = ("customer", "partner", "competitor", "supplier", "our_company")
# Written out, not imported: a migration must keep meaning what it meant when written.
ACCOUNT_SEARCH_EXPRESSION = (
    "to_tsvector('simple', coalesce(name, '') || ' ' || coalesce(industry, '')"
    " || ' ' || coalesce(email, '') || ' ' || translate(coalesce(email, ''), '@.', '  ')"
    " || ' ' || coalesce(web, '') || ' ' || translate(coalesce(web, ''), './:', '   '))"
)
CONTACT_SEARCH_EXPRESSION = (
    "to_tsvector('simple', coalesce(full_name, '') || ' ' || coalesce(job_title, ''))"
)


def _in(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)


def _record_tail() -> list[sa.Column]:
    return [
        sa.Column("owner_id", UUID(as_uuid=False)),
        sa.Column("team_id", UUID(as_uuid=False)),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", UUID(as_uuid=False), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("id", UUID(as_uuid=False), nullable=False),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("type", sa.String(20)),
        sa.Column("industry", sa.String(100)),
        sa.Column("parent_id", UUID(as_uuid=False)),
        sa.Column("web", sa.String(2000)),
        sa.Column("phone", sa.String(16)),
        sa.Column("email", sa.String(254)),
        sa.Column("addresses", JSONB, nullable=False, server_default="[]"),
        *_record_tail(),
        sa.Column(
            "search",
            TSVECTOR,
            sa.Computed(ACCOUNT_SEARCH_EXPRESSION, persisted=True),
            nullable=True,
        ),
        sa.PrimaryKeyConstraint("id", name="pk_accounts"),
        sa.ForeignKeyConstraint(
            ["parent_id"], [f"{SCHEMA}.accounts.id"], name="fk_accounts_parent_id_accounts"
        ),
        sa.CheckConstraint(f"type IN ({_in(ACCOUNT_TYPES)})", name="ck_accounts_type"),
        sa.CheckConstraint("parent_id <> id", name="ck_accounts_parent_not_self"),
        sa.CheckConstraint("version >= 1", name="ck_accounts_version"),
        schema=SCHEMA,
    )
    op.create_table(
        "contacts",
        sa.Column("id", UUID(as_uuid=False), nullable=False),
        sa.Column("full_name", sa.String(300), nullable=False),
        sa.Column("emails", JSONB, nullable=False, server_default="[]"),
        sa.Column("phones", JSONB, nullable=False, server_default="[]"),
        sa.Column("account_id", UUID(as_uuid=False)),
        sa.Column("job_title", sa.String(200)),
        *_record_tail(),
        sa.Column(
            "search",
            TSVECTOR,
            sa.Computed(CONTACT_SEARCH_EXPRESSION, persisted=True),
            nullable=True,
        ),
        sa.PrimaryKeyConstraint("id", name="pk_contacts"),
        sa.ForeignKeyConstraint(
            ["account_id"], [f"{SCHEMA}.accounts.id"], name="fk_contacts_account_id_accounts"
        ),
        sa.CheckConstraint("version >= 1", name="ck_contacts_version"),
        schema=SCHEMA,
    )
    for table, name, columns in (
        ("accounts", "ix_accounts_created_at_id", ["created_at", "id"]),
        ("accounts", "ix_accounts_updated_at_id", ["updated_at", "id"]),
        ("accounts", "ix_accounts_owner_id", ["owner_id"]),
        ("accounts", "ix_accounts_team_id", ["team_id"]),
        ("accounts", "ix_accounts_parent_id", ["parent_id"]),
        ("contacts", "ix_contacts_created_at_id", ["created_at", "id"]),
        ("contacts", "ix_contacts_updated_at_id", ["updated_at", "id"]),
        ("contacts", "ix_contacts_owner_id", ["owner_id"]),
        ("contacts", "ix_contacts_team_id", ["team_id"]),
        ("contacts", "ix_contacts_account_id", ["account_id"]),
    ):
        op.create_index(name, table, columns, schema=SCHEMA)
    for table, column in (("accounts", "name"), ("contacts", "full_name")):
        op.create_index(
            f"ix_{table}_search", table, ["search"], schema=SCHEMA, postgresql_using="gin"
        )
        # pg_trgm is created by `osprey migrate` before any service's history runs.
        op.create_index(
            f"ix_{table}_{column}_trgm",
            table,
            [column],
            schema=SCHEMA,
            postgresql_using="gin",
            postgresql_ops={column: "gin_trgm_ops"},
        )


def downgrade() -> None:
    op.drop_table("contacts", schema=SCHEMA)
    op.drop_table("accounts", schema=SCHEMA)
