"""Shared pytest fixtures: a real PostgreSQL database migrated once, a real RabbitMQ vhost.

Load with ``pytest_plugins = ["services.platform.testing"]``. The database is
``OSPREY_TEST_DATABASE_URL`` (default ``.../osprey_test``); each test starts with
every service table empty. RabbitMQ comes from Nameko's own fixtures
(``rabbit_config`` makes a fresh vhost per test through the management API).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from .db import create_db_engine
from .migrations import create_database, migrate
from .registry import SERVICES

DEFAULT_TEST_DB = "postgresql://postgres@127.0.0.1:5432/osprey_test"


def test_database_url() -> str:
    return os.environ.get("OSPREY_TEST_DATABASE_URL", DEFAULT_TEST_DB)


def fresh_migrated_database(url: str) -> str:
    """Create ``url``'s database if missing, drop every service schema, migrate afresh."""
    create_database(url)
    engine = create_db_engine(url, poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        for info in SERVICES:
            conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{info.name}" CASCADE'))
    engine.dispose()
    migrate(url)
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
    engine = create_db_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.begin() as conn:
            names = [info.name for info in SERVICES]
            rows = conn.execute(
                sa.text(
                    "SELECT schemaname, tablename FROM pg_tables "
                    "WHERE schemaname = ANY(:s) AND tablename <> 'alembic_version'"
                ),
                {"s": names},
            ).all()
            if rows:
                tables = ", ".join(f'"{r.schemaname}"."{r.tablename}"' for r in rows)
                conn.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    finally:
        engine.dispose()


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
