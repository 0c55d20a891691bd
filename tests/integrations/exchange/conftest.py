"""The Exchange service's test fixtures (beside the mail ones of ../conftest.py): a local
EWS peer over HTTPS (its own certificate, trusted through ``EXCHANGE_CA_FILE``), the
services a sync talks to in Nameko containers on the test database and broker, and
helpers that put items into the peer the way Outlook would (EWS properties as the
reference documents them)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from services.identity.service import IdentityService
from services.integrations.exchange.service import ExchangeService
from services.integrations.mail.service import MailService
from services.platform.ids import new_id
from services.sales.service import SalesService

from ..conftest import call, person
from ..ews_peer import EwsPeer

ADDRESS = "maria@contoso.test"
PASSWORD = "Secr3t!"


@pytest.fixture
def ews(tmp_path) -> Iterator[EwsPeer]:
    with EwsPeer(ADDRESS, PASSWORD, tls_dir=str(tmp_path)) as peer:
        yield peer


@pytest.fixture
def exchange_config(mail_config: dict, ews: EwsPeer) -> dict:
    return {
        **mail_config,
        "EXCHANGE_SYNC": "0",
        "EXCHANGE_PAGE_SIZE": 5,
        "EXCHANGE_TIMEOUT_SECONDS": 10.0,
        "EXCHANGE_CA_FILE": ews.ca_file,
    }


@pytest.fixture
def stack(container_factory, exchange_config) -> dict[str, Any]:
    """identity, sales, mail and exchange running; ``owner``: the connecting user."""
    started = {}
    for name, cls in (
        ("identity", IdentityService),
        ("sales", SalesService),
        ("mail", MailService),
        ("exchange", ExchangeService),
    ):
        container = container_factory(cls, exchange_config)
        container.start()
        started[name] = container
    started["owner"] = person(ADDRESS, "sales_manager", new_id())
    return started


def connection_data(peer: EwsPeer, **extra: Any) -> dict[str, Any]:
    return {"email": ADDRESS, "password": PASSWORD, "ews_url": peer.url, **extra}


def connect(stack: dict[str, Any], peer: EwsPeer, **extra: Any) -> dict[str, Any]:
    return call(
        stack["exchange"],
        "create_exchange_connection",
        connection_data(peer, **extra),
        actor=stack["owner"],
    )


def sync(stack: dict[str, Any], connection_id: str) -> dict[str, Any]:
    return call(
        stack["exchange"], "sync_exchange_connection", connection_id, stack["owner"], wait=True
    )


def mime(subject: str, sender: str = "Dana Buyer <dana@buyer.test>", to: str = ADDRESS) -> bytes:
    mid = f"{new_id()}@buyer.test"
    return (
        f"From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\n"
        f"Date: Mon, 07 Dec 2026 10:00:00 +0000\r\nMessage-ID: <{mid}>\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello\r\n"
    ).encode()


def put_message(peer: EwsPeer, folder: str, subject: str, **kwargs: Any) -> Any:
    raw = mime(subject, **kwargs)
    return peer.mailbox.put(
        folder,
        {"ItemClass": "IPM.Note", "Subject": subject, "DateTimeSent": "2026-12-07T10:00:00Z"},
        mime=raw,
    )


def contact_props(name: str, *emails: str, job: str | None = None) -> dict[str, Any]:
    given, _, surname = name.partition(" ")
    props: dict[str, Any] = {
        "ItemClass": "IPM.Contact",
        "DisplayName": name,
        "GivenName": given,
        "Surname": surname,
    }
    if emails:
        props["EmailAddresses"] = "".join(
            f'<t:Entry Key="EmailAddress{i}">{e}</t:Entry>' for i, e in enumerate(emails, 1)
        )
    if job:
        props["JobTitle"] = job
    return props
