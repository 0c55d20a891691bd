"""A feed container on the test database and a fresh vhost; people it knows by events."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from nameko.testing.services import entrypoint_hook

from services.feed.service import FeedService
from services.platform.ids import new_id

TEAM_A, TEAM_B = new_id(), new_id()


def person(email: str, role: str, team: str | None, name: str = "") -> dict[str, Any]:
    return {"id": new_id(), "email": email, "full_name": name, "roles": [role], "team_id": team}


ANN = person("ann@osprey.test", "sales_rep", TEAM_A, "Ann Archer")
ABE = person("abe@osprey.test", "sales_rep", TEAM_A, "Abe Adams")
BOB = person("bob@osprey.test", "sales_rep", TEAM_B, "Bob Baker")
ADMIN = person("root@osprey.test", "admin", None, "Root")
PEOPLE = (ANN, ABE, BOB, ADMIN)


def event(event_type: str, data: dict[str, Any], actor: dict | None = None) -> dict[str, Any]:
    return {
        "id": new_id(),
        "type": event_type,
        "occurred_at": "2026-11-27T00:00:00Z",
        "actor": {"id": actor["id"], "email": actor["email"]} if actor else None,
        "source": "test",
        "data": data,
    }


def call(container, method: str, *args: Any, **kwargs: Any) -> Any:
    with entrypoint_hook(container, method) as entrypoint:
        return entrypoint(*args, **kwargs)


@pytest.fixture
def feed(container_factory, service_config):
    container = container_factory(FeedService, {**service_config, "max_workers": 20})
    container.start()
    call(container, "handle_team_created", event("team_created", {"id": TEAM_A, "name": "Team A"}))
    call(container, "handle_team_created", event("team_created", {"id": TEAM_B, "name": "Team B"}))
    for p in PEOPLE:
        call(
            container,
            "handle_user_created",
            event("user_created", {**p, "is_active": True}),
        )
    return container


def stream(engine: sa.Engine) -> list[Any]:
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT * FROM feed.stream_items ORDER BY seq")).all()
