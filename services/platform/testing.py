"""Shared pytest fixtures: a real PostgreSQL database migrated afresh, a real RabbitMQ vhost.

Load with ``pytest_plugins = ["services.platform.testing"]``. The database is
``OSPREY_TEST_DATABASE_URL`` (default ``.../osprey_test``); each test starts with
every service table empty. RabbitMQ comes from Nameko's own fixtures
(``rabbit_config`` makes a fresh vhost per test through the management API).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from .db import create_db_engine
from .migrations import create_database, migrate
from .registry import SERVICES

DEFAULT_TEST_DB = "postgresql://postgres@127.0.0.1:5432/osprey_test"
_TEMPLATE_LOCK = 0x05B1E8  # guards the making of the migrated template database


def test_database_url() -> str:
    return os.environ.get("OSPREY_TEST_DATABASE_URL", DEFAULT_TEST_DB)


def migrations_digest() -> str:
    """A digest of every service's migration files: it changes when any of them does."""
    digest = hashlib.sha256()
    for info in SERVICES:
        digest.update(info.name.encode())
        for path in sorted(info.migrations.rglob("*.py")):
            digest.update(path.relative_to(info.migrations).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _admin_engine(url: str) -> sa.Engine:
    return create_db_engine(
        sa.make_url(url).set(database="postgres"),
        poolclass=sa.pool.NullPool,
        isolation_level="AUTOCOMMIT",
    )


def fresh_migrated_database(url: str) -> str:
    """``url``'s database made afresh, every service schema at its newest migration.

    Migrating the hundred-odd tables from nothing takes seconds, and the suite wants a
    fresh database for each of its stacks; so the first call migrates a template
    database named after :func:`migrations_digest` and every call copies it
    (``CREATE DATABASE ... TEMPLATE``, a fraction of a second). A changed migration
    makes a new template; older ones are dropped. Several pytest processes share the
    template, its making guarded by an advisory lock.
    """
    template = f"osprey_template_{migrations_digest()}"
    target = sa.make_url(url).database
    admin = _admin_engine(url)
    try:
        with admin.connect() as conn:
            conn.execute(sa.text("SELECT pg_advisory_lock(:k)"), {"k": _TEMPLATE_LOCK})
            try:
                names = set(conn.execute(sa.text("SELECT datname FROM pg_database")).scalars())
                if template not in names:
                    made = sa.make_url(url).set(database=template)
                    create_database(made.render_as_string(hide_password=False))
                    migrate(made.render_as_string(hide_password=False))
                    for name in names:
                        if name.startswith("osprey_template_"):
                            conn.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)'))
                conn.execute(sa.text(f'CREATE DATABASE "{target}" TEMPLATE "{template}"'))
            finally:
                conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": _TEMPLATE_LOCK})
    finally:
        admin.dispose()
    return url


def sibling_database_url(suffix: str) -> str:
    """The test database's URL with ``_<suffix>`` added to the database name."""
    url = sa.make_url(test_database_url())
    return url.set(database=f"{url.database}_{suffix}").render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def migrated_database() -> Iterator[str]:
    """A database with every service schema dropped and migrated afresh."""
    yield fresh_migrated_database(test_database_url())


def truncate_all(url: str) -> None:
    """Empty every service table, as a fresh migration leaves them.

    Only the tables that hold rows are emptied (one query finds them), with DELETE and
    the foreign-key triggers off for the transaction, and their sequences restarted: a
    TRUNCATE of all hundred tables replaces every table's and index's files and cost
    0.3–1.5 s per test, much of the suite's time; this costs a few milliseconds.
    """
    engine = _engine(url)
    with engine.begin() as conn:
        tables, sequences = _layout(url, conn)
        if not tables:
            return
        probe = " UNION ALL ".join(
            f"SELECT {i} AS i WHERE EXISTS (SELECT 1 FROM {name})" for i, name in enumerate(tables)
        )
        filled = [tables[row.i] for row in conn.execute(sa.text(probe))]
        if filled:
            conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
            for name in filled:
                conn.execute(sa.text(f"DELETE FROM {name}"))
        # a sequence moves without rows too (a rolled-back insert): restart each
        for owned in sequences.values():
            for sequence in owned:
                conn.execute(sa.text(f"ALTER SEQUENCE {sequence} RESTART"))


_ENGINES: dict[str, sa.Engine] = {}
_LAYOUTS: dict[str, tuple[str, list[str], dict[str, list[str]]]] = {}


def _engine(url: str) -> sa.Engine:
    if url not in _ENGINES:
        _ENGINES[url] = create_db_engine(url, pool_size=1, max_overflow=0)
    return _ENGINES[url]


def _layout(url: str, conn: sa.Connection) -> tuple[list[str], dict[str, list[str]]]:
    """The service tables (quoted names) and the sequences each owns, read again
    whenever the set of tables changed (a migration test moves between revisions)."""
    names = [info.name for info in SERVICES]
    fingerprint = conn.execute(
        sa.text(
            "SELECT count(*)::text || ':' || coalesce(max(c.oid)::text, '') FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind IN ('r', 'S') AND n.nspname = ANY(:s)"
        ),
        {"s": names},
    ).scalar_one()
    if _LAYOUTS.get(url, (None,))[0] != fingerprint:
        rows = conn.execute(
            sa.text(
                "SELECT schemaname, tablename FROM pg_tables "
                "WHERE schemaname = ANY(:s) AND tablename <> 'alembic_version' "
                "ORDER BY schemaname, tablename"
            ),
            {"s": names},
        ).all()
        tables = [f'"{r.schemaname}"."{r.tablename}"' for r in rows]
        owned = conn.execute(
            sa.text(
                "SELECT format('%I.%I', tn.nspname, t.relname) AS tab, "
                "format('%I.%I', sn.nspname, s.relname) AS seq "
                "FROM pg_depend d "
                "JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S' "
                "JOIN pg_namespace sn ON sn.oid = s.relnamespace "
                "JOIN pg_class t ON t.oid = d.refobjid "
                "JOIN pg_namespace tn ON tn.oid = t.relnamespace "
                "WHERE d.deptype IN ('a', 'i') AND tn.nspname = ANY(:s)"
            ),
            {"s": names},
        ).all()
        sequences: dict[str, list[str]] = {}
        for row in owned:
            schema, table = row.tab.split(".", 1)
            key = f'"{schema.strip(chr(34))}"."{table.strip(chr(34))}"'
            sequences.setdefault(key, []).append(row.seq)
        _LAYOUTS[url] = (fingerprint, tables, sequences)
    return _LAYOUTS[url][1:]


@pytest.fixture
def database_url(migrated_database: str) -> str:
    """The migrated test database, emptied before this test."""
    truncate_all(migrated_database)
    return migrated_database


@pytest.fixture
def db_engine(database_url: str) -> Iterator[sa.Engine]:
    engine = create_db_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def service_config(rabbit_config: dict, database_url: str) -> dict:
    """Nameko config for ``container_factory``/``runner_factory``: fresh vhost, test DB."""
    config = dict(rabbit_config)
    config.update(
        DATABASE_URL=database_url,
        OUTBOX_RELAY=True,
        OUTBOX_POLL_SECONDS=0.2,
        serializer="json",
    )
    return config
