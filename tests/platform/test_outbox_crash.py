"""The outbox promise with real processes: a `lead_created` event reaches its consumer
exactly once, even when the leads service dies between commit and publish, or after
publishing but before marking the event sent.

The leads service runs as its own process (``python -m services.platform.run leads``),
killed at a failpoint (``OSPREY_FAILPOINTS``) and started again; the consumer is a
plain ``@event_handler`` with the idempotent helper, in this test process.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from nameko.events import event_handler
from nameko.exceptions import RpcTimeout, UnknownService
from nameko.standalone.rpc import ClusterRpcProxy

from services.platform.db import Database, create_db_engine, service_metadata
from services.platform.idempotency import idempotent
from services.platform.ids import new_id
from services.platform.migrations import create_database, migrate
from services.platform.registry import SERVICES
from services.platform.testing import test_database_url as shared_database_url
from services.platform.testing import truncate_all

ROOT = Path(__file__).resolve().parents[2]

metadata = service_metadata("outbox_crash_test")
effects = sa.Table(
    "effects",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("event_id", sa.String, nullable=False),
    sa.Column("lead_id", sa.String, nullable=False),
)
deliveries: list[str] = []  # every delivery, before the idempotency check


class LeadWatcherService:
    name = "lead_watcher"
    db = Database(metadata, relay=False)

    @event_handler("leads", "lead_created")
    def handle_lead_created(self, event: dict) -> None:
        deliveries.append(event["id"])
        self.apply(event)

    @idempotent
    def apply(self, event: dict) -> None:
        self.db.execute(effects.insert().values(event_id=event["id"], lead_id=event["data"]["id"]))
        self.db.commit()


ADMIN = {"id": new_id(), "email": "admin@osprey.test", "roles": ["admin"], "team_id": None}


@pytest.fixture(scope="module")
def crash_database() -> str:
    """A database of its own: the session-wide end-to-end stack runs a leads service
    on the shared test database, and its relay would publish this test's events."""
    url = sa.make_url(shared_database_url())
    url = url.set(database=f"{url.database}_outbox_crash").render_as_string(hide_password=False)
    create_database(url)
    engine = create_db_engine(url, poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        for info in SERVICES:
            conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{info.name}" CASCADE'))
    engine.dispose()
    migrate(url)
    return url


@pytest.fixture
def crash_config(rabbit_config: dict, crash_database: str) -> dict:
    truncate_all(crash_database)
    return {**rabbit_config, "DATABASE_URL": crash_database, "serializer": "json"}


@pytest.fixture
def watcher_schema(crash_database: str) -> Iterator[sa.Engine]:
    db_engine = create_db_engine(crash_database)
    with db_engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA IF EXISTS outbox_crash_test CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA outbox_crash_test"))
    metadata.create_all(db_engine)
    deliveries.clear()
    yield db_engine
    with db_engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA IF EXISTS outbox_crash_test CASCADE"))
    db_engine.dispose()


class LeadsProcess:
    """The leads service as a real process, with optional failpoints."""

    def __init__(self, config: dict, log_dir: Path):
        self.config = config
        self.log_dir = log_dir
        self.proc: subprocess.Popen | None = None
        self.runs = 0

    def start(self, failpoints: str = "") -> None:
        self.runs += 1
        env = dict(os.environ)
        env.update(
            OSPREY_DATABASE_URL=self.config["DATABASE_URL"],
            OSPREY_AMQP_URI=self.config["AMQP_URI"],
            OSPREY_OUTBOX_POLL_SECONDS="0.2",
            OSPREY_FAILPOINTS=failpoints,
        )
        log = open(self.log_dir / f"leads-{self.runs}.log", "wb")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "services.platform.run", "leads"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def wait_exit(self, timeout: float = 60) -> int:
        assert self.proc is not None
        return self.proc.wait(timeout=timeout)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def logs(self) -> str:
        return "\n".join(p.read_text(errors="replace")[-3000:] for p in self.log_dir.glob("*.log"))


@pytest.fixture
def leads_process(crash_config: dict, tmp_path: Path) -> Iterator[LeadsProcess]:
    process = LeadsProcess(crash_config, tmp_path)
    yield process
    process.stop()


def create_lead_when_ready(config: dict, engine: sa.Engine, timeout: float = 30) -> str:
    """Create a lead once the service listens; return its id as the outbox recorded it.

    The process may die at its failpoint before the reply leaves (the relay can
    poll between commit and reply), so the id is read from the committed event.
    """
    deadline = time.monotonic() + timeout
    with ClusterRpcProxy(config, timeout=5) as rpc:
        while True:
            try:
                rpc.leads.create_lead({"contact_name": "Crash Test"}, actor=ADMIN)
                break
            except UnknownService:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
            except RpcTimeout:
                break
    with engine.connect() as conn:
        query = sa.text("SELECT envelope->'data'->>'id' FROM leads.outbox")
        return conn.execute(query).scalar_one()


def wait_until(predicate, timeout: float = 60, message: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {message}")
        time.sleep(0.05)


def outbox_state(engine: sa.Engine) -> list[tuple[str, object]]:
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT type, sent_at FROM leads.outbox")).all()


def effect_rows(engine: sa.Engine) -> list[str]:
    with engine.connect() as conn:
        return conn.execute(sa.select(effects.c.lead_id)).scalars().all()


def test_service_killed_between_commit_and_publish(
    container_factory, crash_config, watcher_schema, leads_process
):
    watcher = container_factory(LeadWatcherService, crash_config)
    watcher.start()

    leads_process.start(failpoints="outbox.before_publish=exit")
    lead_id = create_lead_when_ready(crash_config, watcher_schema)
    assert leads_process.wait_exit() == 86, leads_process.logs()  # died at the failpoint

    # The lead is committed, its event is still in the outbox, nobody heard of it.
    [(event_type, sent_at)] = outbox_state(watcher_schema)
    assert (event_type, sent_at) == ("lead_created", None)
    assert deliveries == []

    leads_process.start()
    wait_until(lambda: effect_rows(watcher_schema), message="the event after restart")
    wait_until(lambda: outbox_state(watcher_schema)[0][1] is not None, message="sent_at")
    assert effect_rows(watcher_schema) == [lead_id]
    assert len(deliveries) == 1


def test_relay_killed_after_publish_before_marking_sent(
    container_factory, crash_config, watcher_schema, leads_process
):
    watcher = container_factory(LeadWatcherService, crash_config)
    watcher.start()

    leads_process.start(failpoints="outbox.after_publish=exit")
    lead_id = create_lead_when_ready(crash_config, watcher_schema)
    assert leads_process.wait_exit() == 86, leads_process.logs()
    wait_until(lambda: effect_rows(watcher_schema), message="the first delivery")
    [(_, sent_at)] = outbox_state(watcher_schema)
    assert sent_at is None  # published, but the relay died before it could say so

    leads_process.start()
    wait_until(lambda: len(deliveries) == 2, message="the redelivery after restart")
    wait_until(lambda: outbox_state(watcher_schema)[0][1] is not None, message="sent_at")
    # Delivered twice, applied once.
    assert deliveries[0] == deliveries[1]
    assert effect_rows(watcher_schema) == [lead_id]
