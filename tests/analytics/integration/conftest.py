"""The analytics service beside the services whose events it keeps (leads, sales), each
a real Nameko container on the test database and a fresh RabbitMQ vhost."""

from __future__ import annotations

import time
from typing import Any

import pytest
from nameko.testing.services import entrypoint_hook

from services.analytics.service import AnalyticsService
from services.leads.service import LeadsService
from services.platform.ids import new_id
from services.sales.service import SalesService

TEAM_A, TEAM_B = new_id(), new_id()


def person(email: str, role: str, team: str | None) -> dict[str, Any]:
    return {
        "id": new_id(),
        "email": email,
        "full_name": email.split("@")[0],
        "roles": [role],
        "team_id": team,
    }


ADMIN = person("root@osprey.test", "admin", None)
MANAGER_A = person("max@osprey.test", "sales_manager", TEAM_A)
ANN = person("ann@osprey.test", "sales_rep", TEAM_A)
BOB = person("bob@osprey.test", "sales_rep", TEAM_B)


def call(container: Any, method: str, *args: Any, **kwargs: Any) -> Any:
    with entrypoint_hook(container, method) as entrypoint:
        return entrypoint(*args, **kwargs)


def wait_for(check: Any, timeout: float = 30.0, what: str = "the condition") -> Any:
    """Poll ``check`` until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def event(event_type: str, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": new_id(),
        "type": event_type,
        "occurred_at": "2026-12-07T00:00:00Z",
        "actor": None,
        "source": "test",
        "data": data,
    }


@pytest.fixture
def config(service_config: dict) -> dict:
    return {**service_config, "max_workers": 20, "NAME_INDEX": False}


@pytest.fixture
def analytics(container_factory: Any, config: dict) -> Any:
    container = container_factory(AnalyticsService, config)
    container.start()
    return container


@pytest.fixture
def crm(container_factory: Any, config: dict) -> dict[str, Any]:
    running = {}
    for cls in (SalesService, LeadsService):
        container = container_factory(cls, config)
        container.start()
        running[cls.name] = container
    return running
