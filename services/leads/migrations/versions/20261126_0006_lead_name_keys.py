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

import sqlalchemy as sa
from alembic import op

revision = "leads_0006"
down_revision = "leads_0005"
branch_labels = None
depends_on = None

SCHEMA = "leads"


def upgrade() -> None:
    op.execute(
        """
        CREATE FUNCTION leads.name_key(name text) RETURNS text
        LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
            SELECT array_to_string(ARRAY(
                SELECT DISTINCT word
                FROM regexp_split_to_table(lower(name), '[^[:alnum:]]+') AS word
                WHERE word <> '' ORDER BY word), ' ')
        $$
        """
    )
    op.add_column(
        "leads",
        sa.Column(
            "name_key",
            sa.Text,
            sa.Computed("leads.name_key((contact_name)::text)", persisted=True),
            nullable=True,
        ),
        schema=SCHEMA,
    )
    op.create_index("ix_leads_name_key", "leads", ["name_key", "id"], schema=SCHEMA)
    op.create_table(
        "lead_name_keys",
        sa.Column("key", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_lead_name_keys"),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_lead_name_keys_key_trgm",
        "lead_name_keys",
        ["key"],
        schema=SCHEMA,
        postgresql_using="gin",
        postgresql_ops={"key": "gin_trgm_ops"},
    )
    op.execute(
        "INSERT INTO leads.lead_name_keys (key)"
        " SELECT DISTINCT name_key FROM leads.leads ON CONFLICT DO NOTHING"
    )
    op.execute(
        """
        CREATE FUNCTION leads.add_lead_name_keys() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO leads.lead_name_keys (key)
            SELECT DISTINCT name_key FROM written ORDER BY name_key
            ON CONFLICT DO NOTHING;
            RETURN NULL;
        END
        $$
        """
    )
    for event in ("INSERT", "UPDATE"):
        op.execute(
            f"CREATE TRIGGER lead_name_keys_on_{event.lower()} AFTER {event}"
            " ON leads.leads REFERENCING NEW TABLE AS written"
            " FOR EACH STATEMENT EXECUTE FUNCTION leads.add_lead_name_keys()"
        )


def downgrade() -> None:
    for event in ("insert", "update"):
        op.execute(f"DROP TRIGGER lead_name_keys_on_{event} ON leads.leads")
    op.execute("DROP FUNCTION leads.add_lead_name_keys()")
    op.drop_table("lead_name_keys", schema=SCHEMA)
    op.drop_index("ix_leads_name_key", "leads", schema=SCHEMA)
    op.drop_column("leads", "name_key", schema=SCHEMA)
    op.execute("DROP FUNCTION leads.name_key(text)")
