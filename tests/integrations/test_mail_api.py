"""The mail routes through the real gateway and every service as its own process
(tests/support/stack.py), against the real Dovecot and Postfix: connect a mailbox, see
synced mail on a contact's Emails tab, link what waits by hand, reply."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from cryptography.fernet import Fernet

from services.platform.testing import fresh_migrated_database, sibling_database_url
from tests.support.stack import Stack

from .conftest import PASSWORD, append, message, wait_for


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    env = {
        "OSPREY_SECRET_KEYS": Fernet.generate_key().decode(),
        "OSPREY_MAIL_POLL_SECONDS": "1",
        "OSPREY_MAIL_IDLE_SECONDS": "5",
    }
    with Stack(fresh_migrated_database(sibling_database_url("mail_stack")), env=env) as running:
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
        timeout=30,
    ) as client:
        yield client


def test_connect_sync_link_and_reply_through_the_api(admin, stack, dovecot, postfix, mail_user):
    settings = {
        "email": mail_user,
        "imap_host": "127.0.0.1",
        "imap_port": dovecot.imap_port,
        "security": "none",
        "smtp_host": "127.0.0.1",
        "smtp_port": postfix.smtp_port,
        "smtp_security": "none",
    }
    wrong = admin.post("/mailboxes/test-connection", json={**settings, "password": "nope"})
    assert wrong.status_code == 200 and wrong.json()["ok"] is False
    assert "check the user name and password" in wrong.json()["error"]
    refused = admin.post("/mailboxes", json={**settings, "password": "nope"})
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "password"

    contact = admin.post(
        "/contacts",
        json={"full_name": "Carla Customer", "emails": [{"email": "carla@customer.test"}]},
    ).json()
    append(
        dovecot,
        mail_user,
        "INBOX",
        message(
            sender="Carla <carla@customer.test>",
            to=mail_user,
            subject="Quote please",
            message_id="api-q@customer.test",
        ),
        message(sender="x@nobody.test", to=mail_user, subject="Who is this"),
    )
    created = admin.post("/mailboxes", json={**settings, "password": PASSWORD, "visibility": "all"})
    assert created.status_code == 201, created.text
    mailbox = created.json()
    assert "password" not in mailbox and mailbox["has_password"] is True
    assert created.headers["Location"] == f"/api/v1/mailboxes/{mailbox['id']}"
    assert admin.post(f"/mailboxes/{mailbox['id']}/sync").status_code == 202

    def on_the_contact() -> list[dict]:
        page = admin.get(
            "/emails", params={"filter[record_type]": "contact", "filter[record_id]": contact["id"]}
        ).json()
        return page["items"]

    (quote,) = wait_for(
        on_the_contact, timeout=30, what="the synced mail on the contact's Emails tab"
    )
    assert quote["subject"] == "Quote please" and quote["links"][0]["rule"] == "sender"
    assert quote["from"] == "carla@customer.test"

    waiting = wait_for(
        lambda: admin.get("/emails", params={"filter[needs_processing]": "true"}).json()["items"],
        timeout=30,
        what="the unmatched mail in needs processing",
    )
    assert [e["subject"] for e in waiting] == ["Who is this"]
    linked = admin.post(
        f"/emails/{waiting[0]['id']}/links", json={"type": "contact", "id": contact["id"]}
    )
    assert linked.status_code == 200 and linked.json()["needs_processing"] is False

    health = admin.get(f"/mailboxes/{mailbox['id']}").json()
    assert (
        health["messages_synced"] == 2 and health["last_error"] is None and health["last_synced_at"]
    )

    sent = admin.post(
        "/emails/send",
        json={
            "mailbox_id": mailbox["id"],
            "to": ["carla@customer.test"],
            "body": "Here it is.",
            "reply_to_id": quote["id"],
            "related": {"type": "contact", "id": contact["id"]},
        },
    )
    assert sent.status_code == 201, sent.text
    reply = sent.json()
    assert reply["subject"] == "Re: Quote please" and reply["saved_to_sent"] is True
    detail = admin.get(f"/emails/{reply['id']}").json()
    assert (
        detail["body_text"].strip() == "Here it is." and detail["thread_key"] == quote["thread_key"]
    )
    assert admin.get("/emails/not-an-id").status_code == 404


def test_dismiss_and_download_an_attachment_through_the_api(admin, dovecot, mail_user):
    raw = (
        f"From: stranger@nobody.test\r\nTo: {mail_user}\r\nSubject: Price list\r\n"
        "Message-ID: <api-att@nobody.test>\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="b1"\r\n\r\n'
        "--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSee attached.\r\n"
        '--b1\r\nContent-Type: text/csv; name="prices.csv"\r\n'
        'Content-Disposition: attachment; filename="prices.csv"\r\n'
        "Content-Transfer-Encoding: base64\r\n\r\n"
        "c2t1LHByaWNlCkEtMSwxMC4wMAo=\r\n--b1--\r\n"
    ).encode()
    append(dovecot, mail_user, "INBOX", raw)
    mailbox = admin.post(
        "/mailboxes",
        json={
            "email": mail_user,
            "imap_host": "127.0.0.1",
            "imap_port": dovecot.imap_port,
            "security": "none",
            "password": PASSWORD,
        },
    ).json()

    def waiting() -> list[dict]:
        page = admin.get(
            "/emails",
            params={"filter[needs_processing]": "true", "filter[mailbox_id]": mailbox["id"]},
        ).json()
        return page["items"]

    (email,) = wait_for(waiting, timeout=30, what="the stranger's mail in needs processing")
    detail = admin.get(f"/emails/{email['id']}").json()
    (attachment,) = detail["attachments"]
    assert attachment["filename"] == "prices.csv" and attachment["kept"] is True

    download = admin.get(f"/emails/{email['id']}/attachments/{attachment['id']}")
    assert download.status_code == 200
    assert download.content == b"sku,price\nA-1,10.00\n"
    assert download.headers["content-disposition"].startswith('attachment; filename="prices.csv"')
    assert download.headers["x-content-type-options"] == "nosniff"
    other = admin.get(f"/emails/{email['id']}/attachments/{email['id']}")
    assert other.status_code == 404 and other.json()["errors"][0]["field"] == "attachment_id"

    dismissed = admin.post(f"/emails/{email['id']}/dismiss")
    assert dismissed.status_code == 200, dismissed.text
    assert dismissed.json()["needs_processing"] is False and dismissed.json()["links"] == []
    assert waiting() == []
    assert admin.post("/emails/not-an-id/dismiss").status_code == 404
