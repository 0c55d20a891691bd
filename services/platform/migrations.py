"""Alembic, one history per service in its own schema, run by one command.

Each service keeps ``services/<name>/migrations/`` (``env.py`` calls
:func:`run_env`; revisions named by date). :func:`migrate` upgrades every
service under a PostgreSQL advisory lock, so two migrate jobs never race.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from alembic import command, context
from alembic.config import Config

from .db import create_db_engine
from .registry import SERVICES, ServiceInfo

log = logging.getLogger(__name__)

_LOCK_KEY = 0x05B1E7  # any constant shared by every migrate run


def alembic_config(info: ServiceInfo, connection: sa.Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(info.migrations))
    cfg.set_main_option("version_locations", str(info.migrations / "versions"))
    cfg.attributes["connection"] = connection
    cfg.attributes["schema"] = info.name
    return cfg


def run_env(metadata: sa.MetaData) -> None:
    """The body of every service's ``migrations/env.py``."""
    connection = context.config.attributes.get("connection")
    schema = metadata.schema
    if connection is None:
        from .config import settings

        engine = create_db_engine(settings().database_url, poolclass=sa.pool.NullPool)
        with engine.connect() as connection:
            _run(connection, metadata, schema)
    else:
        _run(connection, metadata, schema)


def _run(connection: sa.Connection, metadata: sa.MetaData, schema: str | None) -> None:
    def include_name(name: str | None, type_: str, parent_names: dict) -> bool:
        if type_ == "schema":
            return name == schema
        return True

    context.configure(
        connection=connection,
        target_metadata=metadata,
        version_table_schema=schema,
        include_schemas=True,
        include_name=include_name,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def migrate(database_url: str, revision: str = "head") -> list[str]:
    """Upgrade every service's schema; returns the services migrated."""
    engine = create_db_engine(database_url, poolclass=sa.pool.NullPool)
    done = []
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT pg_advisory_lock(:k)"), {"k": _LOCK_KEY})
            try:
                conn.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
                conn.commit()
                for info in SERVICES:
                    conn.execute(sa.text(f'CREATE SCHEMA IF NOT EXISTS "{info.name}"'))
                    conn.commit()
                    command.upgrade(alembic_config(info, conn), revision)
                    conn.commit()
                    done.append(info.name)
            finally:
                conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": _LOCK_KEY})
                conn.commit()
    finally:
        engine.dispose()
    return done


def create_database(database_url: str) -> bool:
    """Create the database named in the URL if it does not exist yet."""
    url = sa.engine.make_url(database_url)
    admin = create_db_engine(
        url.set(database="postgres"), poolclass=sa.pool.NullPool, isolation_level="AUTOCOMMIT"
    )
    try:
        with admin.connect() as conn:
            exists = conn.execute(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": url.database}
            ).first()
            if exists:
                return False
            conn.execute(sa.text(f'CREATE DATABASE "{url.database}"'))
            return True
    finally:
        admin.dispose()
