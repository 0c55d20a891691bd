"""Contact name keys get a ``seq`` and notify on commit, for the in-memory name index.

The similar-contacts search counts shared trigrams in memory
(services/platform/name_index.py); each sales process keeps its index current from
the keys' seqs the trigger now sends with ``pg_notify`` when a transaction adds keys.

Revision ID: sales_0006
Revises: sales_0005
Create Date: 2026-11-27
"""

from services.platform.migration_ops import add_name_key_seq, drop_name_key_seq

revision = "sales_0006"
down_revision = "sales_0005"
branch_labels = None
depends_on = None

SCHEMA = "sales"


def upgrade() -> None:
    add_name_key_seq(SCHEMA, "contact_name_keys", "add_contact_name_keys")


def downgrade() -> None:
    drop_name_key_seq(SCHEMA, "contact_name_keys", "add_contact_name_keys")
