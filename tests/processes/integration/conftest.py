"""The processes service with the services its actions call (leads, sales, feed), each
a real Nameko container on the test database and a fresh RabbitMQ vhost."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from nameko.testing.services import entrypoint_hook

from services.feed.service import FeedService
from services.leads.service import LeadsService
from services.platform.ids import new_id
from services.processes.service import ProcessesService
from services.sales.service import SalesService

TEAM = new_id()
DIAGRAMS = Path(__file__).resolve().parents[3] / "services" / "processes" / "diagrams"
FIXTURES = Path(__file__).resolve().parent / "bpmn"


def person(email: str, role: str, team: str | None = TEAM) -> dict[str, Any]:
    return {
        "id": new_id(),
        "email": email,
        "full_name": email.split("@")[0],
        "roles": [role],
        "team_id": team,
    }


ADMIN = person("root@osprey.test", "admin", None)
MANAGER = person("max@osprey.test", "sales_manager")
REP = person("ann@osprey.test", "sales_rep")
OTHER_REP = person("bob@osprey.test", "sales_rep")


def call(container: Any, method: str, *args: Any, **kwargs: Any) -> Any:
    with entrypoint_hook(container, method) as entrypoint:
        return entrypoint(*args, **kwargs)


def wait_for(check: Any, timeout: float = 30.0, what: str = "the condition") -> Any:
    """Poll ``check`` until it returns something truthy (no sleeps to wait for events)."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def rows(engine: sa.Engine, sql: str, **params: Any) -> list[Any]:
    with engine.connect() as conn:
        return conn.execute(sa.text(sql), params).all()


def event(event_type: str, data: dict[str, Any], actor: dict | None = None) -> dict[str, Any]:
    return {
        "id": new_id(),
        "type": event_type,
        "occurred_at": "2026-12-07T00:00:00Z",
        "actor": actor,
        "source": "test",
        "data": data,
    }


def fixture_xml(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


@pytest.fixture
def config(service_config: dict) -> dict:
    return {
        **service_config,
        "max_workers": 20,
        "NAME_INDEX": False,
        "PROCESS_ACTION_TIMEOUT": 20,
        "PROCESS_PENDING_GRACE": 1,
    }


@pytest.fixture
def processes(container_factory: Any, config: dict) -> Any:
    container = container_factory(ProcessesService, config)
    container.start()
    return container


@pytest.fixture
def crm(container_factory: Any, config: dict) -> dict[str, Any]:
    """leads, sales and feed, running: what the actions call."""
    running = {}
    for cls in (SalesService, LeadsService, FeedService):
        container = container_factory(cls, config)
        container.start()
        running[cls.name] = container
    return running
