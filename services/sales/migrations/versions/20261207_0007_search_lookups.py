"""The search box looks emails, phone numbers and names up through their own indexes.

What is typed decides the index (services/platform/listing.py): an email or its start
(it has an ``@``), a phone number, or other words — the start of a name or company.

Accounts: ``ix_accounts_email`` is built again with ``text_pattern_ops``, so an email's
start is a prefix the index looks up (``=`` still uses it); ``phone_key`` — the phone's
significant digits (no leading zeros, no trunk 8 of an 11-digit Russian number)
reversed, a stored generated column — makes "the stored number ends with what was
typed" a prefix in ``ix_accounts_phone_key``; ``ix_accounts_name_prefix`` is the start
of the name (and a contact's company).

Contacts keep several emails and phones in JSON arrays, which a btree cannot index
one by one, so ``contact_search_terms`` holds one row per contact and term —
``e:<email>`` or ``p:<phone key>`` (``sales.contact_terms(emails, phones)``) — with a
``text_pattern_ops`` index on the term. Statement triggers keep it: on insert (a COPY
too, in one statement), and on update for the contacts whose emails or phones
changed; deleting a contact deletes its terms (foreign key, cascade). The start of a
contact's name and of its surname (the name from its second word on) have their own
indexes.

The email and name indexes also hold the id, owner, team and creation time (a name
index its name too), so a search's page of ids, newest first, and its total are read
from the index alone, whoever asks — the contacts of the accounts found too
(``ix_contacts_account_id`` is built again holding them, and the name). The name indexes have finer
statistics (1,000), for the planner to tell a rare prefix from a common one.

The full-text ``search`` columns of accounts and contacts and their GIN indexes go:
word prefixes over them cost tens to hundreds of milliseconds at a million contacts,
and nothing else used them.

Revision ID: sales_0007
Revises: sales_0006
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import TSVECTOR, UUID

revision = "sales_0007"
down_revision = "sales_0006"
branch_labels = None
depends_on = None

SCHEMA = "sales"


# Written out, not imported: a migration must keep meaning what it meant when written
# (services.platform.listing.phone_key_sql(value) when written).
def _phone_key(value: str) -> str:
    return (
        f"reverse(regexp_replace(ltrim(regexp_replace({value}, '[^0-9]', '', 'g'), '0'),"
        " '^8([0-9]{10})$', '\\1'))"
    )


PREFIXES = {
    "ix_accounts_name_prefix": ("accounts", "lower((name)::text)", "name"),
    "ix_contacts_full_name_prefix": ("contacts", "lower((full_name)::text)", "full_name"),
    "ix_contacts_surname_prefix": (
        "contacts",
        "lower(regexp_replace((full_name)::text, '^\\S+\\s+'::text, ''::text))",
        "full_name",
    ),
}
# What each lookup's index also holds (services.platform.listing.LOOKUP_INCLUDE)
INCLUDE = ["id", "owner_id", "team_id", "created_at"]
ACCOUNT_SEARCH_EXPRESSION = (
    "to_tsvector('simple', coalesce(name, '') || ' ' || coalesce(industry, '')"
    " || ' ' || coalesce(email, '') || ' ' || translate(coalesce(email, ''), '@.', '  ')"
    " || ' ' || coalesce(web, '') || ' ' || translate(coalesce(web, ''), './:', '   '))"
)
CONTACT_SEARCH_EXPRESSION = (
    "to_tsvector('simple', coalesce(full_name, '') || ' ' || coalesce(job_title, ''))"
)

TERMS_FUNCTION = f"""
CREATE FUNCTION {SCHEMA}.contact_terms(emails jsonb, phones jsonb) RETURNS SETOF text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT 'e:' || lower(item ->> 'email')
    FROM jsonb_array_elements(
        CASE jsonb_typeof(emails) WHEN 'array' THEN emails ELSE '[]' END) AS item
    WHERE coalesce(item ->> 'email', '') <> ''
    UNION
    SELECT 'p:' || key
    FROM (
        SELECT {_phone_key("(item ->> 'phone')")} AS key
        FROM jsonb_array_elements(
            CASE jsonb_typeof(phones) WHEN 'array' THEN phones ELSE '[]' END) AS item
    ) AS keys
    WHERE coalesce(key, '') <> ''
$$
"""

ADD_FUNCTION = f"""
CREATE FUNCTION {SCHEMA}.add_contact_search_terms() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO {SCHEMA}.contact_search_terms (contact_id, term)
    SELECT w.id, t.term
    FROM new_rows AS w, {SCHEMA}.contact_terms(w.emails, w.phones) AS t(term)
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$
"""

CHANGE_FUNCTION = f"""
CREATE FUNCTION {SCHEMA}.change_contact_search_terms() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    -- Only the contacts whose emails or phones changed: most updates touch neither.
    DELETE FROM {SCHEMA}.contact_search_terms AS s
    USING old_rows AS o JOIN new_rows AS w ON w.id = o.id
    WHERE s.contact_id = w.id
      AND (w.emails IS DISTINCT FROM o.emails OR w.phones IS DISTINCT FROM o.phones);
    INSERT INTO {SCHEMA}.contact_search_terms (contact_id, term)
    SELECT w.id, t.term
    FROM old_rows AS o JOIN new_rows AS w ON w.id = o.id,
         {SCHEMA}.contact_terms(w.emails, w.phones) AS t(term)
    WHERE w.emails IS DISTINCT FROM o.emails OR w.phones IS DISTINCT FROM o.phones
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$
"""


def upgrade() -> None:
    for table in ("accounts", "contacts"):
        op.drop_index(f"ix_{table}_search", table, schema=SCHEMA)
        op.drop_column(table, "search", schema=SCHEMA)
    for name, (table, expression, column) in PREFIXES.items():
        op.execute(
            f"CREATE INDEX {name} ON {SCHEMA}.{table} ({expression} text_pattern_ops)"
            f" INCLUDE ({', '.join([column, *INCLUDE])})"
        )
        op.execute(f"ALTER INDEX {SCHEMA}.{name} ALTER COLUMN 1 SET STATISTICS 1000")
    op.add_column(
        "accounts",
        sa.Column("phone_key", sa.Text, sa.Computed(_phone_key("phone"), persisted=True)),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_accounts_phone_key",
        "accounts",
        ["phone_key"],
        schema=SCHEMA,
        postgresql_ops={"phone_key": "text_pattern_ops"},
    )
    op.drop_index("ix_accounts_email", "accounts", schema=SCHEMA)
    op.create_index(
        "ix_accounts_email",
        "accounts",
        ["email"],
        schema=SCHEMA,
        postgresql_ops={"email": "text_pattern_ops"},
        postgresql_include=INCLUDE,
    )
    op.drop_index("ix_contacts_account_id", "contacts", schema=SCHEMA)
    op.create_index(
        "ix_contacts_account_id",
        "contacts",
        ["account_id"],
        schema=SCHEMA,
        postgresql_include=["full_name", *INCLUDE],
    )

    op.create_table(
        "contact_search_terms",
        sa.Column("contact_id", UUID(as_uuid=False), nullable=False),
        sa.Column("term", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("contact_id", "term", name="pk_contact_search_terms"),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            [f"{SCHEMA}.contacts.id"],
            name="fk_contact_search_terms_contact_id_contacts",
            ondelete="CASCADE",
        ),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_contact_search_terms_term",
        "contact_search_terms",
        ["term", "contact_id"],
        schema=SCHEMA,
        postgresql_ops={"term": "text_pattern_ops"},
    )
    op.execute(TERMS_FUNCTION)
    op.execute(
        f"INSERT INTO {SCHEMA}.contact_search_terms (contact_id, term)"
        f" SELECT c.id, t.term FROM {SCHEMA}.contacts AS c,"
        f" {SCHEMA}.contact_terms(c.emails, c.phones) AS t(term)"
    )
    op.execute(ADD_FUNCTION)
    op.execute(CHANGE_FUNCTION)
    op.execute(
        f"CREATE TRIGGER contact_search_terms_on_insert AFTER INSERT ON {SCHEMA}.contacts"
        " REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT"
        f" EXECUTE FUNCTION {SCHEMA}.add_contact_search_terms()"
    )
    op.execute(
        f"CREATE TRIGGER contact_search_terms_on_update AFTER UPDATE ON {SCHEMA}.contacts"
        " REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT"
        f" EXECUTE FUNCTION {SCHEMA}.change_contact_search_terms()"
    )


def downgrade() -> None:
    op.execute(f"DROP TRIGGER contact_search_terms_on_update ON {SCHEMA}.contacts")
    op.execute(f"DROP TRIGGER contact_search_terms_on_insert ON {SCHEMA}.contacts")
    op.execute(f"DROP FUNCTION {SCHEMA}.change_contact_search_terms()")
    op.execute(f"DROP FUNCTION {SCHEMA}.add_contact_search_terms()")
    op.drop_table("contact_search_terms", schema=SCHEMA)
    op.execute(f"DROP FUNCTION {SCHEMA}.contact_terms(jsonb, jsonb)")
    op.drop_index("ix_contacts_account_id", "contacts", schema=SCHEMA)
    op.create_index("ix_contacts_account_id", "contacts", ["account_id"], schema=SCHEMA)
    op.drop_index("ix_accounts_email", "accounts", schema=SCHEMA)
    op.create_index("ix_accounts_email", "accounts", ["email"], schema=SCHEMA)
    op.drop_index("ix_accounts_phone_key", "accounts", schema=SCHEMA)
    op.drop_column("accounts", "phone_key", schema=SCHEMA)
    for name, (table, _expression, _column) in PREFIXES.items():
        op.drop_index(name, table, schema=SCHEMA)
    for table, expression in (
        ("accounts", ACCOUNT_SEARCH_EXPRESSION),
        ("contacts", CONTACT_SEARCH_EXPRESSION),
    ):
        op.add_column(
            table,
            sa.Column("search", TSVECTOR, sa.Computed(expression, persisted=True)),
            schema=SCHEMA,
        )
        op.create_index(
            f"ix_{table}_search", table, ["search"], schema=SCHEMA, postgresql_using="gin"
        )
