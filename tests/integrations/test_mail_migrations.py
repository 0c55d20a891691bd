"""The mail service's migrations build exactly the tables its models describe (the
check tests/platform makes for the services under services/<name>/, here for the one
under services/integrations/mail/)."""

from __future__ import annotations

import importlib

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from services.platform.db import create_db_engine
from services.platform.registry import service


def test_mail_migrations_match_its_models(migrated_database: str) -> None:
    info = service("mail")
    metadata = importlib.import_module(f"{info.package}.models").metadata
    engine = create_db_engine(migrated_database, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn,
                opts={
                    "include_schemas": True,
                    "include_name": lambda name, type_, parents: (
                        name == "mail" if type_ == "schema" else True
                    ),
                    "compare_type": True,
                    "version_table_schema": "mail",
                },
            )
            diff = compare_metadata(context, metadata)
    finally:
        engine.dispose()
    assert diff == [], "mail: migrations and models differ:\n" + "\n".join(str(d) for d in diff)
