"""An orders container on the test database and a fresh vhost; people with roles."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from nameko.testing.services import entrypoint_hook

from services.orders.service import OrdersService
from services.platform.ids import new_id

TEAM_A, TEAM_B = new_id(), new_id()


def person(email: str, role: str, team: str | None) -> dict[str, Any]:
    return {"id": new_id(), "email": email, "roles": [role], "team_id": team}


REP_A = person("ann@osprey.test", "sales_rep", TEAM_A)
REP_A2 = person("abe@osprey.test", "sales_rep", TEAM_A)
REP_B = person("bob@osprey.test", "sales_rep", TEAM_B)
MANAGER_A = person("max@osprey.test", "sales_manager", TEAM_A)
ADMIN = person("root@osprey.test", "admin", None)


@pytest.fixture
def orders(container_factory, service_config):
    container = container_factory(OrdersService, {**service_config, "max_workers": 20})
    container.start()
    return container


def call(container, method: str, *args: Any, **kwargs: Any) -> Any:
    with entrypoint_hook(container, method) as entrypoint:
        return entrypoint(*args, **kwargs)


def outbox(engine: sa.Engine) -> list[tuple[str, dict]]:
    with engine.connect() as conn:
        return [
            (t, e["data"])
            for t, e in conn.execute(
                sa.text("SELECT type, envelope FROM orders.outbox ORDER BY occurred_at, id")
            )
        ]


def error_fields(exc: pytest.ExceptionInfo) -> set[str]:
    return {e["field"] for e in exc.value.errors}


def make_product(container, actor: dict = MANAGER_A, **data: Any) -> dict:
    return call(
        container,
        "create_product",
        {"code": f"P-{new_id()[-12:]}", "name": "Bolt", **data},
        actor=actor,
    )
