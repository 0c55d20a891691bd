"""The audit service beside the leads service whose events it keeps, each a real Nameko
container on the test database and a fresh RabbitMQ vhost."""

from __future__ import annotations

import time
from typing import Any

import pytest
from nameko.testing.services import entrypoint_hook

from services.audit.service import AuditService
from services.leads.service import LeadsService
from services.platform.ids import new_id

TEAM_A, TEAM_B = new_id(), new_id()


def person(email: str, role: str, team: str | None, **extra: Any) -> dict[str, Any]:
    return {
        "id": new_id(),
        "email": email,
        "full_name": email.split("@")[0],
        "roles": [role],
        "team_id": team,
        **extra,
    }


ADMIN = person("root@osprey.test", "admin", None)
ANN = person("ann@osprey.test", "sales_rep", TEAM_A, via="web")
BOB = person("bob@osprey.test", "sales_rep", TEAM_B, via="api")


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


@pytest.fixture
def config(service_config: dict) -> dict:
    return {**service_config, "max_workers": 20, "NAME_INDEX": False}


@pytest.fixture
def audit(container_factory: Any, config: dict) -> Any:
    container = container_factory(AuditService, config)
    container.start()
    return container


@pytest.fixture
def leads(container_factory: Any, config: dict) -> Any:
    container = container_factory(LeadsService, config)
    container.start()
    return container
