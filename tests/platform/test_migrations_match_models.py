"""Each service's migrations build exactly the tables its models describe.

Alembic compares the migrated test database with the models' metadata; any table,
column, type, index or constraint one has and the other lacks is a drift that would
show up only in production.
"""

from __future__ import annotations

import importlib

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from services.platform.db import create_db_engine
from services.platform.registry import SERVICES


@pytest.mark.parametrize("service", [info.name for info in SERVICES])
def test_migrations_match_models(service: str, migrated_database: str) -> None:
    package = next(info.package for info in SERVICES if info.name == service)
    metadata = importlib.import_module(f"{package}.models").metadata
    engine = create_db_engine(migrated_database, poolclass=sa.pool.NullPool)

    def include_name(name: str | None, type_: str, parent_names: dict) -> bool:
        return name == service if type_ == "schema" else True

    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn,
                opts={
                    "include_schemas": True,
                    "include_name": include_name,
                    "compare_type": True,
                    "version_table_schema": service,
                },
            )
            diff = compare_metadata(context, metadata)
    finally:
        engine.dispose()
    assert diff == [], f"{service}: migrations and models differ:\n" + "\n".join(
        str(d) for d in diff
    )
