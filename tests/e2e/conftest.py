"""Every registered service and the gateway as their own processes, once per test session."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest

from services.platform.testing import fresh_migrated_database, sibling_database_url
from tests.support.stack import Stack


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    """The running stack: ``base_url``, ``admin_credentials``, ``database_url``,
    ``kill(name)`` / ``restart(name)`` for one process, ``log_tails()``.

    It has a database of its own (the test database's name + ``_stack``): its
    processes run until the session ends, and their outbox relays must not publish
    the events the integration tests' containers write into the shared test database.
    """
    with Stack(fresh_migrated_database(sibling_database_url("stack"))) as running:
        yield running


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    running = getattr(item, "funcargs", {}).get("stack")
    if report.failed and isinstance(running, Stack):
        report.sections.append(("osprey process logs", running.log_tails()))


Login = Callable[[str, str], httpx.Client]


@pytest.fixture
def login(stack: Stack) -> Iterator[Login]:
    """``login(email, password)`` → an httpx client sending that user's bearer token."""
    clients: list[httpx.Client] = []

    def sign_in(email: str, password: str) -> httpx.Client:
        response = httpx.post(
            f"{stack.base_url}/api/v1/auth/login",
            json={"email": email, "password": password},
            timeout=15,
        )
        assert response.status_code == 200, response.text
        client = httpx.Client(
            base_url=stack.base_url,
            timeout=15,
            headers={"Authorization": f"Bearer {response.json()['token']}"},
        )
        clients.append(client)
        return client

    yield sign_in
    for client in clients:
        client.close()


@pytest.fixture
def admin(stack: Stack, login: Login) -> httpx.Client:
    return login(stack.admin_email, stack.admin_password)


# Two teams and three reps made through the API, for every e2e module.
from .test_leads_api import world  # noqa: E402, F401
