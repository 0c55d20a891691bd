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

import sqlalchemy as sa
from alembic import op

revision = "sales_0005"
down_revision = "sales_0004"
branch_labels = None
depends_on = None

SCHEMA = "sales"


def upgrade() -> None:
    op.execute(
        """
        CREATE FUNCTION sales.name_key(name text) RETURNS text
        LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
            SELECT array_to_string(ARRAY(
                SELECT DISTINCT word
                FROM regexp_split_to_table(lower(name), '[^[:alnum:]]+') AS word
                WHERE word <> '' ORDER BY word), ' ')
        $$
        """
    )
    op.add_column(
        "contacts",
        sa.Column(
            "name_key",
            sa.Text,
            sa.Computed("sales.name_key((full_name)::text)", persisted=True),
            nullable=True,
        ),
        schema=SCHEMA,
    )
    op.create_index("ix_contacts_name_key", "contacts", ["name_key", "id"], schema=SCHEMA)
    op.create_table(
        "contact_name_keys",
        sa.Column("key", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_contact_name_keys"),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_contact_name_keys_key_trgm",
        "contact_name_keys",
        ["key"],
        schema=SCHEMA,
        postgresql_using="gin",
        postgresql_ops={"key": "gin_trgm_ops"},
    )
    op.execute(
        "INSERT INTO sales.contact_name_keys (key)"
        " SELECT DISTINCT name_key FROM sales.contacts ON CONFLICT DO NOTHING"
    )
    op.execute(
        """
        CREATE FUNCTION sales.add_contact_name_keys() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO sales.contact_name_keys (key)
            SELECT DISTINCT name_key FROM written ORDER BY name_key
            ON CONFLICT DO NOTHING;
            RETURN NULL;
        END
        $$
        """
    )
    for event in ("INSERT", "UPDATE"):
        op.execute(
            f"CREATE TRIGGER contact_name_keys_on_{event.lower()} AFTER {event}"
            " ON sales.contacts REFERENCING NEW TABLE AS written"
            " FOR EACH STATEMENT EXECUTE FUNCTION sales.add_contact_name_keys()"
        )


def downgrade() -> None:
    for event in ("insert", "update"):
        op.execute(f"DROP TRIGGER contact_name_keys_on_{event} ON sales.contacts")
    op.execute("DROP FUNCTION sales.add_contact_name_keys()")
    op.drop_table("contact_name_keys", schema=SCHEMA)
    op.drop_index("ix_contacts_name_key", "contacts", schema=SCHEMA)
    op.drop_column("contacts", "name_key", schema=SCHEMA)
    op.execute("DROP FUNCTION sales.name_key(text)")
