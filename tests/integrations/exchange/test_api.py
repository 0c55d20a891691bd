"""The Exchange routes through the real gateway and every service as its own process
(tests/support/stack.py), against the local EWS peer over HTTPS: test and connect (a
refusal is a 422 on the field in the user's words, the password never comes back), the
background sync brings the mail and a meeting in, sync now, conflicts, disconnect."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from cryptography.fernet import Fernet

from services.platform.testing import fresh_migrated_database, sibling_database_url
from tests.support.stack import Stack

from ...integrations.conftest import wait_for
from ..ews_peer import EwsPeer
from .conftest import ADDRESS, PASSWORD, put_message


@pytest.fixture(scope="module")
def peer(tmp_path_factory) -> Iterator[EwsPeer]:
    with EwsPeer(ADDRESS, PASSWORD, tls_dir=str(tmp_path_factory.mktemp("ews"))) as running:
        yield running


@pytest.fixture(scope="module")
def stack(peer: EwsPeer) -> Iterator[Stack]:
    env = {
        "OSPREY_SECRET_KEYS": Fernet.generate_key().decode(),
        "OSPREY_EXCHANGE_CA_FILE": peer.ca_file,
        "OSPREY_EXCHANGE_POLL_SECONDS": "1",
    }
    database = fresh_migrated_database(sibling_database_url("exchange_stack"))
    with Stack(database, env=env) as running:
        yield running


@pytest.fixture
def admin(stack: Stack) -> Iterator[httpx.Client]:
    token = httpx.post(
        f"{stack.base_url}/api/v1/auth/login", json=stack.admin_credentials, timeout=15
    )
    assert token.status_code == 200, token.text
    with httpx.Client(
        base_url=f"{stack.base_url}/api/v1",
        headers={"Authorization": f"Bearer {token.json()['token']}"},
        timeout=60,
    ) as client:
        yield client


def test_connect_sync_and_disconnect_through_the_api(admin, peer):
    settings = {"email": ADDRESS, "ews_url": peer.url}
    wrong = admin.post("/exchange-connections/test-connection", json={**settings, "password": "x"})
    assert wrong.status_code == 200 and wrong.json()["ok"] is False
    assert "check the user name and password" in wrong.json()["error"]
    refused = admin.post("/exchange-connections", json={**settings, "password": "x"})
    assert refused.status_code == 422
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["errors"][0]["field"] == "password"
    bad = admin.post("/exchange-connections", json={**settings, "password": PASSWORD, "auth": 1})
    assert bad.status_code == 422
    unknown = admin.post(
        "/exchange-connections", json={**settings, "password": PASSWORD, "deletions": "maybe"}
    )
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "deletions"

    dana = admin.post(
        "/contacts", json={"full_name": "Dana Buyer", "emails": [{"email": "dana@buyer.test"}]}
    ).json()
    put_message(peer, "inbox", "Order for 40 boilers")
    peer.mailbox.put(
        "calendar",
        {
            "ItemClass": "IPM.Appointment",
            "Subject": "Site visit",
            "Start": "2027-02-02T09:00:00Z",
            "End": "2027-02-02T10:00:00Z",
            "CalendarItemType": "Single",
        },
    )
    created = admin.post(
        "/exchange-connections", json={**settings, "password": PASSWORD, "visibility": "all"}
    )
    assert created.status_code == 201, created.text
    connection = created.json()
    assert "password" not in connection and connection["has_secret"] is True
    assert created.headers["Location"] == f"/api/v1/exchange-connections/{connection['id']}"

    def synced():
        got = admin.get(f"/exchange-connections/{connection['id']}").json()
        return got if got["last_synced_at"] else None

    health = wait_for(synced, timeout=60, what="the background sync")
    assert health["state"] == "active" and health["health"]["counts"]["messages"] == 1
    # the admin's own contact went to Exchange, the meeting came from it
    assert health["linked"] == {"contact": 1, "meeting": 1}
    names = [i.props["DisplayName"].text for i in peer.mailbox.items.values() if i.tag == "Contact"]
    assert names == ["Dana Buyer"]

    def linked():
        emails = admin.get("/emails").json()["items"]
        return emails if emails and emails[0]["links"] else None

    emails = wait_for(linked, what="the mail to be linked")
    assert [e["subject"] for e in emails] == ["Order for 40 boilers"]
    assert {"type": "contact", "id": dana["id"]}.items() <= emails[0]["links"][0].items()
    meetings = admin.get("/activities", params={"filter[source]": "exchange"}).json()["items"]
    assert [(m["title"], m["type"]) for m in meetings] == [("Site visit", "meeting")]

    now = admin.post(f"/exchange-connections/{connection['id']}/sync")
    assert now.status_code == 202
    folders = admin.get(f"/exchange-connections/{connection['id']}/folders")
    assert folders.status_code == 200 and folders.json()[0] == {
        "id": "contacts",
        "name": "Contacts",
    }
    conflicts = admin.get(f"/exchange-connections/{connection['id']}/conflicts")
    assert conflicts.status_code == 200 and conflicts.json()["items"] == []
    stale = admin.patch(
        f"/exchange-connections/{connection['id']}",
        json={"export_contacts": "none"},
        headers={"If-Match": '"999"'},
    )
    assert stale.status_code == 409
    current = admin.get(f"/exchange-connections/{connection['id']}")
    changed = admin.patch(
        f"/exchange-connections/{connection['id']}",
        json={"export_contacts": "none"},
        headers={"If-Match": current.headers["ETag"]},
    )
    assert changed.status_code == 200 and changed.json()["export_contacts"] == "none"
    assert admin.delete(f"/exchange-connections/{connection['id']}").status_code == 204
    assert admin.get(f"/exchange-connections/{connection['id']}").status_code == 404
    # the mail linked to a record stays: it is the record's history
    on_dana = admin.get(
        "/emails", params={"filter[record_type]": "contact", "filter[record_id]": dana["id"]}
    ).json()["items"]
    assert [e["subject"] for e in on_dana] == ["Order for 40 boilers"]
