"""The platform's promises with a real RabbitMQ and PostgreSQL: events leave only with
their commit, reach plain ``@event_handler`` consumers, and take effect exactly once."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from nameko.events import event_handler
from nameko.rpc import rpc
from nameko.standalone.events import event_dispatcher
from nameko.testing.services import entrypoint_hook, entrypoint_waiter

from services.platform.db import Database, service_metadata
from services.platform.errors import EXPECTED, ValidationFailed
from services.platform.idempotency import idempotent
from services.platform.ids import new_id

metadata = service_metadata("platform_test")
things = sa.Table(
    "things",
    metadata,
    sa.Column("id", sa.String, primary_key=True),
    sa.Column("name", sa.String, nullable=False),
)
received = sa.Table(
    "received",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("event_id", sa.String, nullable=False),
    sa.Column("name", sa.String, nullable=False),
)


class ThingsService:
    name = "things"
    db = Database(metadata)

    @rpc(expected_exceptions=EXPECTED)
    def create_thing(self, name: str, fail_after_emit: bool = False) -> dict:
        thing = {"id": new_id(), "name": name}
        self.db.execute(things.insert().values(**thing))
        self.db.emit("thing_created", thing, actor={"id": "u1", "email": "a@b.c"})
        if fail_after_emit:
            raise ValidationFailed("name: rejected", [{"field": "name", "message": "rejected"}])
        self.db.commit()
        return thing


class WatcherService:
    name = "watcher"
    db = Database(metadata, relay=False)

    @event_handler("things", "thing_created")
    @idempotent
    def handle_thing_created(self, event: dict) -> None:
        self.db.execute(received.insert().values(event_id=event["id"], name=event["data"]["name"]))
        self.db.commit()


@pytest.fixture
def schema(db_engine):
    with db_engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA IF EXISTS platform_test CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA platform_test"))
    metadata.create_all(db_engine)
    yield db_engine
    with db_engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA IF EXISTS platform_test CASCADE"))


def test_committed_event_reaches_consumer_once_and_is_marked_sent(
    container_factory, service_config, schema
):
    watcher = container_factory(WatcherService, service_config)
    watcher.start()
    things_container = container_factory(ThingsService, service_config)
    things_container.start()

    with (
        entrypoint_waiter(watcher, "handle_thing_created"),
        entrypoint_hook(things_container, "create_thing") as create_thing,
    ):
        thing = create_thing("first")

    with schema.connect() as conn:
        rows = conn.execute(sa.select(received.c.name, received.c.event_id)).all()
        outbox = conn.execute(sa.text("SELECT envelope, sent_at FROM platform_test.outbox")).all()
    assert [r.name for r in rows] == ["first"]
    assert len(outbox) == 1
    envelope, sent_at = outbox[0]
    assert sent_at is not None
    assert set(envelope) == {"id", "type", "occurred_at", "actor", "source", "data"}
    assert envelope["type"] == "thing_created" and envelope["source"] == "things"
    assert envelope["data"] == thing
    assert rows[0].event_id == envelope["id"]


def test_rolled_back_change_publishes_nothing(container_factory, service_config, schema):
    things_container = container_factory(ThingsService, service_config)
    things_container.start()
    with (
        entrypoint_hook(things_container, "create_thing") as create_thing,
        pytest.raises(ValidationFailed),
    ):
        create_thing("bad", fail_after_emit=True)
    with schema.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM platform_test.outbox")).scalar() == 0
        assert conn.execute(sa.text("SELECT count(*) FROM platform_test.things")).scalar() == 0


def test_redelivered_event_takes_effect_once(container_factory, service_config, schema):
    watcher = container_factory(WatcherService, service_config)
    watcher.start()
    dispatch = event_dispatcher(service_config)
    event = {
        "id": new_id(),
        "type": "thing_created",
        "occurred_at": "2026-01-01T00:00:00Z",
        "actor": None,
        "source": "things",
        "data": {"id": new_id(), "name": "twice"},
    }
    for _ in range(3):
        with entrypoint_waiter(watcher, "handle_thing_created"):
            dispatch("things", "thing_created", event)

    with schema.connect() as conn:
        names = conn.execute(sa.select(received.c.name)).scalars().all()
    assert names == ["twice"]
