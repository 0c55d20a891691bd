"""Record sharing: an account, a contact, an opportunity or an activity shared with a
user or a team for reading or editing, beyond the record scope of their roles.

Revision ID: sales_0012
Revises: sales_0011
Create Date: 2026-12-08
"""

from services.platform.record_shares import create_shares_table

revision = "sales_0012"
down_revision = "sales_0011"
branch_labels = None
depends_on = None

SCHEMA = "sales"
SHARED = (
    ("account_shares", "sales.accounts"),
    ("contact_shares", "sales.contacts"),
    ("opportunity_shares", "sales.opportunities"),
    ("activity_shares", "sales.activities"),
)


def upgrade() -> None:
    for name, records in SHARED:
        create_shares_table(SCHEMA, name, records)


def downgrade() -> None:
    from alembic import op

    for name, _records in SHARED:
        op.drop_table(name, schema=SCHEMA)
