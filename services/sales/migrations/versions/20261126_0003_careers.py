"""Careers (a contact's places of work) and the indexes duplicate search needs.

Revision ID: sales_0003
Revises: sales_0002
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision = "sales_0003"
down_revision = "sales_0002"
branch_labels = None
depends_on = None

SCHEMA = "sales"
# Written out, not imported: a migration must keep meaning what it meant when written.
ACCOUNT_DOMAIN_EXPRESSION = (
    "lower(regexp_replace(web, '^([a-z][a-z0-9+.-]*://)?(www\\.)?([^/:?#]*).*$', '\\3', 'i'))"
)


def upgrade() -> None:
    op.create_table(
        "careers",
        sa.Column("id", UUID(as_uuid=False), nullable=False),
        sa.Column("contact_id", UUID(as_uuid=False), nullable=False),
        sa.Column("account_id", UUID(as_uuid=False), nullable=False),
        sa.Column("job_title", sa.String(200)),
        sa.Column("is_primary", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("start_date", sa.Date),
        sa.Column("end_date", sa.Date),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_careers"),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            [f"{SCHEMA}.contacts.id"],
            name="fk_careers_contact_id_contacts",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], [f"{SCHEMA}.accounts.id"], name="fk_careers_account_id_accounts"
        ),
        sa.CheckConstraint("end_date >= start_date", name="ck_careers_date_order"),
        schema=SCHEMA,
    )
    op.create_index("ix_careers_contact_id", "careers", ["contact_id"], schema=SCHEMA)
    op.create_index("ix_careers_account_id", "careers", ["account_id"], schema=SCHEMA)
    op.create_index(
        "uq_careers_one_primary",
        "careers",
        ["contact_id"],
        unique=True,
        schema=SCHEMA,
        postgresql_where=sa.text("is_primary"),
    )
    # Duplicate search: exact email / phone inside the contact's lists (@> containment).
    for column in ("emails", "phones"):
        op.create_index(
            f"ix_contacts_{column}",
            "contacts",
            [column],
            schema=SCHEMA,
            postgresql_using="gin",
            postgresql_ops={column: "jsonb_path_ops"},
        )
    op.create_index("ix_accounts_email", "accounts", ["email"], schema=SCHEMA)
    op.create_index("ix_accounts_phone", "accounts", ["phone"], schema=SCHEMA)
    op.create_index(
        "ix_accounts_web_domain", "accounts", [sa.text(ACCOUNT_DOMAIN_EXPRESSION)], schema=SCHEMA
    )


def downgrade() -> None:
    for table, name in (
        ("accounts", "ix_accounts_web_domain"),
        ("accounts", "ix_accounts_phone"),
        ("accounts", "ix_accounts_email"),
        ("contacts", "ix_contacts_phones"),
        ("contacts", "ix_contacts_emails"),
    ):
        op.drop_index(name, table_name=table, schema=SCHEMA)
    op.drop_table("careers", schema=SCHEMA)
