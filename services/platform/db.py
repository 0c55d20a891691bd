"""SQLAlchemy 2 for Nameko services: a session per worker, the outbox relay beside it.

Every service declares its tables on a ``MetaData(schema=<service>)`` made by
:func:`service_metadata`, which also carries the service's ``outbox`` and
``processed_events`` tables. Entrypoints commit explicitly (``self.db.commit()``)
before they return, because Nameko sends the RPC reply before dependency
providers see the result: committing there would answer before the change is
durable. Whatever a worker did not commit is rolled back when it ends.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from nameko.extensions import DependencyProvider
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from .events import envelope

log = logging.getLogger(__name__)


def service_metadata(schema: str) -> sa.MetaData:
    """The metadata of one service's schema, with the platform's tables in it."""
    metadata = sa.MetaData(
        schema=schema,
        naming_convention={
            "ix": "ix_%(table_name)s_%(column_0_N_name)s",
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        },
    )
    sa.Table(
        "outbox",
        metadata,
        sa.Column("id", UUID(as_uuid=False), primary_key=True),
        sa.Column("type", sa.String(100), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("envelope", JSONB, nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True)),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Index("ix_outbox_unsent", "id", postgresql_where=sa.text("sent_at IS NULL")),
    )
    sa.Table(
        "processed_events",
        metadata,
        sa.Column("event_id", UUID(as_uuid=False), primary_key=True),
        sa.Column("handler", sa.String(200), primary_key=True),
        sa.Column(
            "processed_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
    )
    return metadata


#: A pooled connection idle for longer than this is pinged before it is handed out.
PING_AFTER_IDLE_SECONDS = 5.0


def create_db_engine(url: str | sa.URL, **kwargs: Any) -> Engine:
    """An engine on psycopg2, whatever driver the URL names (SQLAlchemy 2.1 would
    pick psycopg 3 for ``postgresql://``, which blocks the eventlet hub).

    A pooled connection is checked before use only when it has been idle for
    :data:`PING_AFTER_IDLE_SECONDS` (a server restart or an idle timeout shows there);
    SQLAlchemy's ``pool_pre_ping`` would ping on every checkout, one round trip more
    on every call a service serves. A connection that breaks while busy is discarded
    by SQLAlchemy's disconnect handling, and the pool makes a new one.
    """
    url = sa.make_url(url)
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg2")
    options: dict[str, Any] = {}
    if "poolclass" not in kwargs:
        options.update(pool_size=10, max_overflow=10)
    options.update(kwargs)
    engine = sa.create_engine(url, **options)
    if engine.dialect.driver == "psycopg2":
        sa.event.listen(engine, "connect", _uuids_as_text)
    if not isinstance(engine.pool, sa.pool.NullPool):
        _ping_when_idle(engine)
    return engine


def _uuids_as_text(dbapi_connection: Any, record: Any) -> None:
    """Read uuid columns as the strings every Osprey model keeps them as
    (``UUID(as_uuid=False)``): SQLAlchemy registers psycopg2's UUID type, which makes a
    ``uuid.UUID`` of every value only for SQLAlchemy to turn it back into a string."""
    import psycopg2.extensions as ext

    as_text = ext.new_type((2950,), "OSPREY_UUID_TEXT", lambda value, _cursor: value)
    ext.register_type(as_text, dbapi_connection)
    ext.register_type(ext.new_array_type((2951,), "OSPREY_UUID_TEXT[]", as_text), dbapi_connection)


def _ping_when_idle(engine: Engine) -> None:
    @sa.event.listens_for(engine, "checkin")
    def checked_in(dbapi_connection: Any, record: Any) -> None:
        record.info["checked_in_at"] = time.monotonic()

    @sa.event.listens_for(engine, "checkout")
    def checked_out(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        since = record.info.get("checked_in_at")
        if since is None or time.monotonic() - since < PING_AFTER_IDLE_SECONDS:
            return
        try:
            with dbapi_connection.cursor() as cursor:
                cursor.execute("SELECT 1")
        except engine.dialect.loaded_dbapi.Error as exc:
            # The pool drops this connection and hands out a new one.
            raise sa.exc.DisconnectionError() from exc


class ServiceSession(Session):
    """A session that can also write events into its service's outbox."""

    outbox: sa.Table
    #: the outbox's INSERT, made once per service (every change emits through it)
    outbox_insert: sa.Insert
    processed_events: sa.Table
    source: str

    #: an engine whose connections are in autocommit (see :meth:`read`)
    read_engine: Engine | None = None

    def read(self, statement: Any, params: dict[str, Any] | None = None) -> list[sa.Row[Any]]:
        """The rows of one read, run outside this session's transaction on a
        connection in autocommit: no BEGIN and no COMMIT around it, two round trips
        fewer. For an entrypoint whose only statement is this read; it sees what is
        committed when it runs."""
        with self.reading() as conn:
            return conn.execute(statement, params or {}).all()

    def run_alone(self, statement: Any, params: dict[str, Any] | None = None) -> None:
        """One statement on its own, outside this session's transaction, committed when
        it ends: on a connection in autocommit, one round trip where BEGIN, the statement
        and COMMIT are three. For an event handler whose whole effect is one statement
        that is atomic and safe to repeat by itself (an upsert guarded by version)."""
        if self.read_engine is not None:
            with self.read_engine.connect() as conn:
                conn.execute(statement, params or {})
        else:
            with self.get_bind().begin() as conn:
                conn.execute(statement, params or {})

    @contextlib.contextmanager
    def reading(self) -> Iterator[sa.Connection]:
        """A connection in autocommit, outside this session's transaction, for an
        entrypoint that only reads (several statements, each seeing what is committed
        when it runs)."""
        engine = self.read_engine or self.get_bind()
        with engine.connect() as conn:
            yield conn

    def emit(self, event_type: str, data: dict[str, Any], actor: dict | None = None) -> dict:
        """Write an event in this transaction; the relay publishes it after commit."""
        event = envelope(event_type, data, actor=actor, source=self.source)
        self.execute(
            self.outbox_insert,
            {
                "id": event["id"],
                "type": event_type,
                "occurred_at": event["occurred_at"],
                "envelope": event,
            },
        )
        self.info.setdefault("outbox_ids", []).append(event["id"])
        return event


def make_sessionmaker(
    engine: Engine, metadata: sa.MetaData, source: str, read_engine: Engine | None = None
) -> sessionmaker:
    cls = type(
        "ServiceSession",
        (ServiceSession,),
        {
            "read_engine": read_engine,
            "outbox": metadata.tables[f"{metadata.schema}.outbox"],
            "outbox_insert": metadata.tables[f"{metadata.schema}.outbox"].insert(),
            "processed_events": metadata.tables[f"{metadata.schema}.processed_events"],
            "source": source,
        },
    )
    return sessionmaker(bind=engine, class_=cls, expire_on_commit=False)


class Database(DependencyProvider):
    """Injects a :class:`ServiceSession` per worker and runs the outbox relay.

    Config: ``DATABASE_URL``; ``OUTBOX_RELAY`` (default on) and
    ``OUTBOX_POLL_SECONDS`` for the relay.
    """

    def __init__(self, metadata: sa.MetaData, relay: bool = True):
        self.metadata = metadata
        self.relay_enabled = relay
        self.engine: Engine | None = None
        self.read_engine: Engine | None = None
        self.sessions: dict[Any, Session] = {}
        self.relay = None

    def setup(self) -> None:
        from .outbox import OutboxRelay  # outbox imports this module

        config = self.container.config
        self.engine = create_db_engine(config["DATABASE_URL"])
        # A pool of its own, always in autocommit: switching a pooled connection
        # back and forth would cost a round trip each time it is returned.
        self.read_engine = create_db_engine(
            config["DATABASE_URL"], isolation_level="AUTOCOMMIT", pool_size=5, max_overflow=10
        )
        self.Session = make_sessionmaker(
            self.engine, self.metadata, self.container.service_name, self.read_engine
        )
        if self.relay_enabled and config.get("OUTBOX_RELAY", True):
            self.relay = OutboxRelay(
                engine=self.engine,
                outbox=self.metadata.tables[f"{self.metadata.schema}.outbox"],
                service_name=self.container.service_name,
                config=config,
                poll_seconds=float(config.get("OUTBOX_POLL_SECONDS", 1.0)),
            )

    def start(self) -> None:
        if self.relay is not None:
            self.container.spawn_managed_thread(self.relay.run, identifier="outbox_relay")

    def stop(self) -> None:
        if self.relay is not None:
            self.relay.stop()
        for engine in (self.engine, self.read_engine):
            if engine is not None:
                engine.dispose()

    def kill(self) -> None:
        # Workers killed mid-way never reach worker_teardown: end their transactions
        # here, or their connections would sit "idle in transaction" holding locks.
        for session in list(self.sessions.values()):
            try:
                session.rollback()
                session.close()
            except Exception:  # noqa: BLE001 - the container is dying; keep going
                pass
        self.sessions.clear()
        self.stop()

    def get_dependency(self, worker_ctx: Any) -> ServiceSession:
        session = self.Session()
        self.sessions[worker_ctx] = session
        return session

    def worker_teardown(self, worker_ctx: Any) -> None:
        session = self.sessions.pop(worker_ctx, None)
        if session is None:
            return
        written = session.info.pop("outbox_ids", None)
        try:
            session.rollback()  # anything the entrypoint did not commit
        finally:
            session.close()
        if written and self.relay is not None:
            # Committed or not: the relay looks them up by id and sends what exists.
            self.relay.wake(written)


def ensure_schema(engine: Engine, schema: str) -> None:
    with engine.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
