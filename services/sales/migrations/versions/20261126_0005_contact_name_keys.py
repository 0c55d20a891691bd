"""Contact name keys: the duplicate search looks for like names among the distinct ones.

pg_trgm's similarity of two names depends only on the set of their lower-cased words,
so ``sales.name_key(full_name)`` (those words, distinct and sorted) has exactly the
trigrams of the name. ``contacts.name_key`` stores it; ``contact_name_keys`` holds
every key in use (a statement trigger adds the keys of inserted and renamed contacts;
a key whose contacts are all gone stays, harmless, so concurrent writers never lose
one) with its own trigram index, far smaller than the contacts' one: the most common
names are one row each.

Revision ID: sales_0005
Revises: sales_0004
Create Date: 2026-11-26
"""

from services.platform.migration_ops import create_name_keys, drop_name_keys

revision = "sales_0005"
down_revision = "sales_0004"
branch_labels = None
depends_on = None

SCHEMA = "sales"


def upgrade() -> None:
    create_name_keys(SCHEMA, "contacts", "full_name", "contact")


def downgrade() -> None:
    drop_name_keys(SCHEMA, "contacts", "contact")
