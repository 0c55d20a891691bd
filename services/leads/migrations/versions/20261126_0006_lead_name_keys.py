"""Lead name keys: the duplicate search looks for like names among the distinct ones.

pg_trgm's similarity of two names depends only on the set of their lower-cased words,
so ``leads.name_key(contact_name)`` (those words, distinct and sorted) has exactly the
trigrams of the name. ``leads.name_key`` stores it; ``lead_name_keys`` holds every key
in use (a statement trigger adds the keys of inserted and renamed leads; a key whose
leads are all gone stays, harmless, so concurrent writers never lose one) with its own
trigram index, far smaller than the leads' one: a common name is one row.

Revision ID: leads_0006
Revises: leads_0005
Create Date: 2026-11-26
"""

from services.platform.migration_ops import create_name_keys, drop_name_keys

revision = "leads_0006"
down_revision = "leads_0005"
branch_labels = None
depends_on = None

SCHEMA = "leads"


def upgrade() -> None:
    create_name_keys(SCHEMA, "leads", "contact_name", "lead")


def downgrade() -> None:
    drop_name_keys(SCHEMA, "leads", "lead")
