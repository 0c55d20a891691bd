"""Alembic operations every service's first migration runs: its outbox and inbox tables."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID


def create_platform_tables(schema: str) -> None:
    op.create_table(
        "outbox",
        sa.Column("id", UUID(as_uuid=False), primary_key=True),
        sa.Column("type", sa.String(100), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("envelope", JSONB, nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True)),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("id", name="pk_outbox"),
        schema=schema,
    )
    op.create_index(
        "ix_outbox_unsent",
        "outbox",
        ["id"],
        schema=schema,
        postgresql_where=sa.text("sent_at IS NULL"),
    )
    op.create_table(
        "processed_events",
        sa.Column("event_id", UUID(as_uuid=False), nullable=False),
        sa.Column("handler", sa.String(200), nullable=False),
        sa.Column(
            "processed_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.PrimaryKeyConstraint("event_id", "handler", name="pk_processed_events"),
        schema=schema,
    )


def drop_platform_tables(schema: str) -> None:
    op.drop_table("processed_events", schema=schema)
    op.drop_table("outbox", schema=schema)


def _name_key_function(function: str, keys_table: str, notify: bool) -> str:
    """The statement trigger function that adds the name keys of written records to
    ``keys_table``; with ``notify``, it also tells the in-memory name indexes
    (services/platform/name_index.py) which keys it added, when the transaction
    commits: their seqs, or ``rebuild`` after a bulk load."""
    if not notify:
        return f"""
        CREATE OR REPLACE FUNCTION {function}() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO {keys_table} (key)
            SELECT DISTINCT name_key FROM written ORDER BY name_key
            ON CONFLICT DO NOTHING;
            RETURN NULL;
        END
        $$
        """
    channel = keys_table.replace(".", "_")
    return f"""
        CREATE OR REPLACE FUNCTION {function}() RETURNS trigger
        LANGUAGE plpgsql AS $$
        DECLARE
            added bigint[];
        BEGIN
            -- Only keys not there yet: ON CONFLICT alone would use up a seq per row.
            WITH inserted AS (
                INSERT INTO {keys_table} (key)
                SELECT DISTINCT w.name_key FROM written AS w
                WHERE NOT EXISTS (SELECT 1 FROM {keys_table} AS k WHERE k.key = w.name_key)
                ORDER BY w.name_key
                ON CONFLICT DO NOTHING
                RETURNING seq
            )
            SELECT array_agg(seq) INTO added FROM inserted;
            IF cardinality(added) > {NAME_KEY_NOTIFY_LIMIT} THEN
                PERFORM pg_notify('{channel}', 'rebuild');
            ELSIF cardinality(added) > 0 THEN
                PERFORM pg_notify('{channel}', array_to_string(added, ','));
            END IF;
            RETURN NULL;
        END
        $$
        """


#: Keep in step with services.platform.name_index.NOTIFY_LIMIT (imported there
#: would pull numpy into every migration).
NAME_KEY_NOTIFY_LIMIT = 500


def add_name_key_seq(schema: str, keys_table: str, function: str) -> None:
    """Give a name-key table its ``seq`` (identity) and make its trigger function
    notify the in-memory name indexes."""
    op.add_column(
        keys_table,
        sa.Column("seq", sa.BigInteger, sa.Identity(always=True), nullable=False),
        schema=schema,
    )
    op.create_index(f"uq_{keys_table}_seq", keys_table, ["seq"], unique=True, schema=schema)
    op.execute(_name_key_function(f"{schema}.{function}", f"{schema}.{keys_table}", notify=True))


def drop_name_key_seq(schema: str, keys_table: str, function: str) -> None:
    op.execute(_name_key_function(f"{schema}.{function}", f"{schema}.{keys_table}", notify=False))
    op.drop_index(f"uq_{keys_table}_seq", keys_table, schema=schema)
    op.drop_column(keys_table, "seq", schema=schema)


def create_name_keys(schema: str, records: str, name_column: str, singular: str) -> None:
    """The name keys of one table of records (docs/architecture.md, "Duplicate search at
    a million rows"): ``<schema>.name_key(name)`` (a name's lower-cased words, distinct
    and sorted: exactly its trigrams), the records' stored ``name_key`` indexed with
    ``id``, and ``<singular>_name_keys`` — every key in use, trigram-indexed — kept by
    statement triggers on insert and update (``add_<singular>_name_keys()``)."""
    keys_table = f"{singular}_name_keys"
    op.execute(
        f"""
        CREATE FUNCTION {schema}.name_key(name text) RETURNS text
        LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
            SELECT array_to_string(ARRAY(
                SELECT DISTINCT word
                FROM regexp_split_to_table(lower(name), '[^[:alnum:]]+') AS word
                WHERE word <> '' ORDER BY word), ' ')
        $$
        """
    )
    op.add_column(
        records,
        sa.Column(
            "name_key",
            sa.Text,
            sa.Computed(f"{schema}.name_key(({name_column})::text)", persisted=True),
            nullable=True,
        ),
        schema=schema,
    )
    op.create_index(f"ix_{records}_name_key", records, ["name_key", "id"], schema=schema)
    op.create_table(
        keys_table,
        sa.Column("key", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("key", name=f"pk_{keys_table}"),
        schema=schema,
    )
    op.create_index(
        f"ix_{keys_table}_key_trgm",
        keys_table,
        ["key"],
        schema=schema,
        postgresql_using="gin",
        postgresql_ops={"key": "gin_trgm_ops"},
    )
    op.execute(
        f"INSERT INTO {schema}.{keys_table} (key)"
        f" SELECT DISTINCT name_key FROM {schema}.{records} ON CONFLICT DO NOTHING"
    )
    function = f"{schema}.add_{singular}_name_keys"
    op.execute(_name_key_function(function, f"{schema}.{keys_table}", notify=False))
    for event in ("INSERT", "UPDATE"):
        op.execute(
            f"CREATE TRIGGER {singular}_name_keys_on_{event.lower()} AFTER {event}"
            f" ON {schema}.{records} REFERENCING NEW TABLE AS written"
            f" FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
        )


def drop_name_keys(schema: str, records: str, singular: str) -> None:
    for event in ("insert", "update"):
        op.execute(f"DROP TRIGGER {singular}_name_keys_on_{event} ON {schema}.{records}")
    op.execute(f"DROP FUNCTION {schema}.add_{singular}_name_keys()")
    op.drop_table(f"{singular}_name_keys", schema=schema)
    op.drop_index(f"ix_{records}_name_key", records, schema=schema)
    op.drop_column(records, "name_key", schema=schema)
    op.execute(f"DROP FUNCTION {schema}.name_key(text)")
