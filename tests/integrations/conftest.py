"""Real Dovecot and Postfix for the mail tests (tests/integrations/mailservers.py), the
mail service in a Nameko container on the test database and broker, and helpers to put
mail on the server the way other programs do (IMAP APPEND, SMTP through Postfix)."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest
from cryptography.fernet import Fernet
from imapclient import IMAPClient
from nameko.testing.services import entrypoint_hook

from services.platform.ids import new_id

from .mailservers import Dovecot, MailServerMissing, Postfix

PASSWORD = "s3cret-pass"
_users = itertools.count(1)


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Dovecot]:
    try:
        server = Dovecot()
    except MailServerMissing as exc:
        pytest.fail(f"{exc} (make mailservers)")
    with server:
        yield server


@pytest.fixture(scope="session")
def postfix(dovecot: Dovecot) -> Iterator[Postfix]:
    with Postfix(dovecot) as server:
        yield server


@pytest.fixture
def mail_user(dovecot: Dovecot) -> str:
    """A fresh mail user on the Dovecot (``<name>@osprey.test``), with an empty mailbox."""
    name = f"user{next(_users)}x{new_id()[-6:]}"
    dovecot.add_user(name, PASSWORD)
    return f"{name}@osprey.test"


def imap(dovecot: Dovecot, address: str) -> IMAPClient:
    client = IMAPClient("127.0.0.1", port=dovecot.imap_port, ssl=False, timeout=10)
    client.login(address, PASSWORD)
    return client


def message(
    *,
    sender: str = "Carla Customer <carla@customer.test>",
    to: str = "me@osprey.test",
    subject: str = "Hello",
    body: str = "Hi there",
    message_id: str | None = None,
    date: datetime | None = None,
    headers: str = "",
) -> bytes:
    """A plain message's bytes, written out by hand as a mail program would."""
    when = format_datetime(date or datetime.now(UTC))
    mid = message_id or f"{new_id()}@customer.test"
    return (
        f"From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\nDate: {when}\r\n"
        f"Message-ID: <{mid}>\r\n{headers}MIME-Version: 1.0\r\n"
        f"Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    ).encode()


def append(dovecot: Dovecot, address: str, folder: str, *raws: bytes, days_ago: int = 0) -> None:
    with imap(dovecot, address) as client:
        if not client.folder_exists(folder):
            client.create_folder(folder)
        when = datetime.now(UTC) - timedelta(days=days_ago)
        for raw in raws:
            client.append(folder, raw, msg_time=when)


@pytest.fixture
def secret_keys() -> list[str]:
    return [Fernet.generate_key().decode()]


@pytest.fixture
def mail_config(service_config: dict, secret_keys: list[str]) -> dict:
    return {
        **service_config,
        "SECRET_KEYS": secret_keys,
        "MAIL_SYNC": "0",
        "MAIL_BATCH_SIZE": 50,
        "MAIL_TIMEOUT_SECONDS": 5.0,
    }


def call(container: Any, method: str, *args: Any, **kwargs: Any) -> Any:
    with entrypoint_hook(container, method) as entrypoint:
        return entrypoint(*args, **kwargs)


def wait_for(check: Callable[[], Any], timeout: float = 20.0, what: str = "it") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def person(email: str, role: str = "sales_rep", team: str | None = None) -> dict[str, Any]:
    return {
        "id": new_id(),
        "email": email,
        "full_name": email.split("@")[0].title(),
        "roles": [role],
        "team_id": team,
    }


def mailbox_data(dovecot: Dovecot, address: str, **extra: Any) -> dict[str, Any]:
    return {
        "email": address,
        "imap_host": "127.0.0.1",
        "imap_port": dovecot.imap_port,
        "security": "none",
        "password": PASSWORD,
        **extra,
    }
