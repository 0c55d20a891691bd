"""The search box looks emails, phone numbers and names up through their own indexes.

What is typed decides the index (services/platform/listing.py):

- an email or its start (it has an ``@``): a prefix in ``ix_leads_email``, now built with
  ``text_pattern_ops`` so that a prefix ``LIKE`` uses it as well as ``=`` (the
  duplicate check and ``filter[email]``);
- a phone number: ``phone_key``, a stored generated column — the number's significant
  digits (no leading zeros, no trunk 8 of an 11-digit Russian number) reversed, so
  that "the stored number ends with what was typed" (``020 7946 0018`` finding
  ``+442079460018``) is a prefix in ``ix_leads_phone_key``;
- other words: the start of the contact's name, of its surname (the name from its
  second word on) or of the company, each a ``lower(...) text_pattern_ops`` index.
  Their statistics are finer (1,000), for the planner to tell a rare prefix from a
  common one.

The email and name indexes also hold the id, owner, team and creation time (and a
name index the names its search tests), so a search's page of ids, newest first, and
its total are read from the index alone, whoever asks; a phone number matches a
handful of leads, which are read from the table.

The full-text ``search`` column and its GIN index go: word prefixes over it cost tens
to hundreds of milliseconds at a million leads ("Ann B" reads every word starting with
b), and nothing else used them.

Revision ID: leads_0009
Revises: leads_0008
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import TSVECTOR

revision = "leads_0009"
down_revision = "leads_0008"
branch_labels = None
depends_on = None

SCHEMA = "leads"
# Written out, not imported: a migration must keep meaning what it meant when written
# (services.platform.listing.phone_key_sql("phone") and after_first_word when written).
PHONE_KEY_EXPRESSION = (
    "reverse(regexp_replace(ltrim(regexp_replace(phone, '[^0-9]', '', 'g'), '0'),"
    " '^8([0-9]{10})$', '\\1'))"
)
PREFIXES = {
    "ix_leads_contact_name_prefix": ("lower((contact_name)::text)", "contact_name"),
    "ix_leads_contact_surname_prefix": (
        "lower(regexp_replace((contact_name)::text, '^\\S+\\s+'::text, ''::text))",
        "contact_name",
    ),
    "ix_leads_account_name_prefix": ("lower((account_name)::text)", "account_name, contact_name"),
}
# What each lookup's index also holds (services.platform.listing.LOOKUP_INCLUDE)
INCLUDE = ["id", "owner_id", "team_id", "created_at"]
SEARCH_EXPRESSION = (
    "to_tsvector('simple', coalesce(contact_name, '') || ' ' || coalesce(account_name, '')"
    " || ' ' || coalesce(email, '') || ' ' || translate(coalesce(email, ''), '@.', '  ')"
    " || ' ' || coalesce(phone, '') || ' ' || translate(coalesce(phone, ''), '+', ''))"
)


def upgrade() -> None:
    op.drop_index("ix_leads_search", "leads", schema=SCHEMA)
    op.drop_column("leads", "search", schema=SCHEMA)
    op.add_column(
        "leads",
        sa.Column("phone_key", sa.Text, sa.Computed(PHONE_KEY_EXPRESSION, persisted=True)),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_leads_phone_key",
        "leads",
        ["phone_key"],
        schema=SCHEMA,
        postgresql_ops={"phone_key": "text_pattern_ops"},
    )
    op.drop_index("ix_leads_email", "leads", schema=SCHEMA)
    op.create_index(
        "ix_leads_email",
        "leads",
        ["email"],
        schema=SCHEMA,
        postgresql_ops={"email": "text_pattern_ops"},
        postgresql_include=INCLUDE,
    )
    for name, (expression, column) in PREFIXES.items():
        op.execute(
            f"CREATE INDEX {name} ON {SCHEMA}.leads ({expression} text_pattern_ops)"
            f" INCLUDE ({', '.join([column, *INCLUDE])})"
        )
        op.execute(f"ALTER INDEX {SCHEMA}.{name} ALTER COLUMN 1 SET STATISTICS 1000")


def downgrade() -> None:
    for name in PREFIXES:
        op.drop_index(name, "leads", schema=SCHEMA)
    op.drop_index("ix_leads_email", "leads", schema=SCHEMA)
    op.create_index("ix_leads_email", "leads", ["email"], schema=SCHEMA)
    op.drop_index("ix_leads_phone_key", "leads", schema=SCHEMA)
    op.drop_column("leads", "phone_key", schema=SCHEMA)
    op.add_column(
        "leads",
        sa.Column("search", TSVECTOR, sa.Computed(SEARCH_EXPRESSION, persisted=True)),
        schema=SCHEMA,
    )
    op.create_index("ix_leads_search", "leads", ["search"], schema=SCHEMA, postgresql_using="gin")
