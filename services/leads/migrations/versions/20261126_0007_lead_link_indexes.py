"""Indexes on a lead's links to sales (contact, account, opportunity), so following a
merged contact or account, or finding a deal's lead, does not scan every lead.

Revision ID: leads_0007
Revises: leads_0006
Create Date: 2026-11-27
"""

from alembic import op

revision = "leads_0007"
down_revision = "leads_0006"
branch_labels = None
depends_on = None

SCHEMA = "leads"
COLUMNS = ("contact_id", "account_id", "opportunity_id")


def upgrade() -> None:
    for column in COLUMNS:
        op.create_index(f"ix_leads_{column}", "leads", [column], schema=SCHEMA)


def downgrade() -> None:
    for column in COLUMNS:
        op.drop_index(f"ix_leads_{column}", "leads", schema=SCHEMA)
