"""Lead name keys get a ``seq`` and notify on commit, for the in-memory name index.

The duplicate check counts shared trigrams in memory (services/platform/name_index.py);
each leads process keeps its index current from the keys' seqs the trigger now sends
with ``pg_notify`` when a transaction adds keys.

Revision ID: leads_0008
Revises: leads_0007
Create Date: 2026-11-27
"""

from services.platform.migration_ops import add_name_key_seq, drop_name_key_seq

revision = "leads_0008"
down_revision = "leads_0007"
branch_labels = None
depends_on = None

SCHEMA = "leads"


def upgrade() -> None:
    add_name_key_seq(SCHEMA, "lead_name_keys", "add_lead_name_keys")


def downgrade() -> None:
    drop_name_key_seq(SCHEMA, "lead_name_keys", "add_lead_name_keys")
