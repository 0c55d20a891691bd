"""The identity schema worked on directly, through the identity service's own rules
and store: a session; a new user and the demo people come from
``services.identity.demo``.

``osprey users create`` and the people of ``osprey demo-data`` go this way so they
work before any service runs; their events wait in the identity outbox until the
identity service's relay publishes them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa

# The command creates users as the demo does (identity's own rules and store).
from services.identity.demo import create_user as create_user
from services.identity.demo import demo_people as demo_people
from services.identity.models import metadata
from services.platform.config import settings
from services.platform.db import ServiceSession, create_db_engine, make_sessionmaker


@contextmanager
def identity_session() -> Iterator[ServiceSession]:
    """A session on the identity schema that writes events into its outbox; commits
    when the block succeeds, rolls back when it raises."""
    engine = create_db_engine(settings().database_url, poolclass=sa.pool.NullPool)
    try:
        with make_sessionmaker(engine, metadata, "identity")() as db:
            yield db
            db.commit()
    finally:
        engine.dispose()
