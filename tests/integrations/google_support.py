"""Fixtures of the google service's tests: the local Google peer, the google, sales,
mail and identity services in Nameko containers on the test database and broker, and
connecting an account through the real authorization-code flow."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from services.identity.service import IdentityService
from services.integrations.google.service import GoogleService
from services.integrations.mail.service import MailService
from services.platform.ids import new_id
from services.sales.service import SalesService

from .conftest import call
from .google_peer import GooglePeer, authorize

CLIENT_ID = "osprey-test.apps.googleusercontent.com"
CLIENT_SECRET = "GOCSPX-test-secret"
TEAM = new_id()


def person(email: str, role: str = "sales_rep") -> dict[str, Any]:
    return {
        "id": new_id(),
        "email": email,
        "full_name": email.split("@")[0].title(),
        "roles": [role],
        "team_id": TEAM,
        "permissions": [],
    }


@pytest.fixture
def peer() -> Iterator[GooglePeer]:
    with GooglePeer() as server:
        server.add_client(CLIENT_ID, CLIENT_SECRET)
        yield server


@pytest.fixture
def google_config(service_config: dict, secret_keys: list[str], peer: GooglePeer) -> dict:
    return {
        **service_config,
        "SECRET_KEYS": secret_keys,
        "MAIL_SYNC": "0",
        "GOOGLE_SYNC": "0",
        "GOOGLE_CLIENT_ID": CLIENT_ID,
        "GOOGLE_CLIENT_SECRET": CLIENT_SECRET,
        "GOOGLE_API_ROOT": peer.url,
        "GOOGLE_AUTH_URI": peer.url + "o/oauth2/auth",
        "GOOGLE_TOKEN_URI": peer.url + "token",
        "GOOGLE_REDIRECT_URI": "http://127.0.0.1:8000/settings/google/callback",
        "GOOGLE_PAGE_SIZE": 3,
        "GOOGLE_TIMEOUT": 10,
    }


class Crm:
    def __init__(self, containers: dict[str, Any]):
        self.containers = containers

    def __call__(self, service: str, method: str, *args: Any, **kwargs: Any) -> Any:
        return call(self.containers[service], method, *args, **kwargs)


@pytest.fixture
def crm(container_factory, google_config) -> Crm:
    started = {}
    for name, cls in (
        ("identity", IdentityService),
        ("sales", SalesService),
        ("mail", MailService),
        ("google", GoogleService),
    ):
        container = container_factory(cls, google_config)
        container.start()
        started[name] = container
    return Crm(started)


def connect(crm: Crm, peer: GooglePeer, owner: dict[str, Any], **data: Any) -> dict[str, Any]:
    """The owner clicks Connect, allows access on Google's consent screen, and comes back."""
    started = crm("google", "start_google_authorization", data, actor=owner)
    back = authorize(peer, started["authorization_url"])
    return crm(
        "google",
        "complete_google_authorization",
        {"state": back["state"], "code": back["code"]},
        actor=owner,
    )


def configure(crm: Crm, connection: dict[str, Any], owner: dict[str, Any], **parts: Any) -> dict:
    return crm("google", "update_google_connection", connection["id"], parts, actor=owner)


def sync(crm: Crm, connection: dict[str, Any], owner: dict[str, Any]) -> dict[str, Any]:
    return crm("google", "sync_google_connection", connection["id"], owner, wait=True)


def rows(engine: sa.Engine, sql: str, **params: Any) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(sa.text(sql), params))
