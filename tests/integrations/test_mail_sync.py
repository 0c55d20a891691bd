"""The mail service against a real Dovecot: connecting, first and later syncs, Sent,
one message in two folders, a new UIDVALIDITY, the server stopped mid-sync."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from services.integrations.mail.dependencies import ImapAdapter, ImapConnection, MailServers
from services.integrations.mail.service import MailService
from services.platform.errors import ValidationFailed

from .conftest import PASSWORD, append, call, imap, mailbox_data, message, person


@pytest.fixture
def mail(container_factory, mail_config):
    container = container_factory(MailService, mail_config)
    container.start()
    return container


def scalar(engine: sa.Engine, sql: str, **params) -> object:
    with engine.connect() as conn:
        return conn.execute(sa.text(sql), params).scalar_one()


def test_a_wrong_password_is_refused_in_words_and_nothing_is_stored(
    mail, dovecot, mail_user, db_engine
):
    owner = person(mail_user)
    tried = call(
        mail,
        "test_mailbox_connection",
        mailbox_data(dovecot, mail_user, password="wrong"),
        actor=owner,
    )
    assert tried["ok"] is False
    assert "check the user name and password" in tried["error"]

    with pytest.raises(ValidationFailed) as caught:
        call(
            mail, "create_mailbox", mailbox_data(dovecot, mail_user, password="wrong"), actor=owner
        )
    assert caught.value.errors[0]["field"] == "password"
    assert scalar(db_engine, "SELECT count(*) FROM mail.connections") == 0

    closed = call(
        mail, "test_mailbox_connection", mailbox_data(dovecot, mail_user, imap_port=1), actor=owner
    )
    assert closed["ok"] is False and "could not be reached" in closed["error"]

    good = call(mail, "test_mailbox_connection", mailbox_data(dovecot, mail_user), actor=owner)
    assert good["ok"] is True and "INBOX" in good["folders"] and good["sent_folder"] == "Sent"


def test_a_server_that_never_answers_is_told_before_the_gateway_gives_up(mail, dovecot, mail_user):
    """A port that takes the connection and never greets: the try answers in words
    within the mail service's cap (TRY_SECONDS), under the gateway's 10 s RPC timeout —
    the fuzzer saw a 504 when the try waited 15 s."""
    import socket
    import time

    from services.integrations.mail.mailboxes import TRY_SECONDS

    with socket.create_server(("127.0.0.1", 0)) as silent:
        port = silent.getsockname()[1]
        started = time.monotonic()
        tried = call(
            mail,
            "test_mailbox_connection",
            mailbox_data(dovecot, mail_user, imap_port=port),
            actor=person(mail_user),
        )
        took = time.monotonic() - started
    assert tried["ok"] is False and tried["error"]
    assert TRY_SECONDS < 10 and took < TRY_SECONDS + 2


def test_the_password_is_encrypted_at_rest_and_never_returned(mail, dovecot, mail_user, db_engine):
    owner = person(mail_user)
    mailbox = call(mail, "create_mailbox", mailbox_data(dovecot, mail_user), actor=owner)
    assert "password" not in mailbox and mailbox["has_password"] is True
    stored = scalar(db_engine, "SELECT secret FROM mail.connections WHERE id = :i", i=mailbox["id"])
    assert PASSWORD.encode() not in bytes(stored)
    assert PASSWORD not in str(call(mail, "list_mailboxes", None, actor=owner))
    # the stored password opens the server again: its folders to pick from
    folders = call(mail, "list_mailbox_folders", mailbox["id"], actor=owner)
    assert "INBOX" in folders and "Sent" in folders


def test_first_sync_then_only_what_is_new(mail, dovecot, mail_user, db_engine):
    owner = person(mail_user)
    append(
        dovecot,
        mail_user,
        "INBOX",
        *(message(subject=f"Quote {i}", to=mail_user) for i in range(12)),
    )
    append(dovecot, mail_user, "INBOX", message(subject="Too old", to=mail_user), days_ago=400)
    append(
        dovecot,
        mail_user,
        "Sent",
        message(sender=mail_user, to="carla@customer.test", subject="Our offer"),
    )
    mailbox = call(mail, "create_mailbox", mailbox_data(dovecot, mail_user), actor=owner)

    first = call(mail, "sync_mailbox", mailbox["id"], actor=owner, wait=True)
    assert first["last_sync"]["messages"] == 13  # 12 in INBOX, 1 in Sent; not the old one
    assert first["health"]["last_error"] is None and first["last_synced_at"]
    emails = call(
        mail, "list_emails", {"filter": {"mailbox_id": [mailbox["id"]]}, "limit": 100}, actor=owner
    )
    subjects = {e["subject"] for e in emails["items"]}
    assert "Too old" not in subjects and "Our offer" in subjects and "Quote 11" in subjects
    sent = next(e for e in emails["items"] if e["subject"] == "Our offer")
    assert sent["direction"] == "outgoing" and sent["folder"] == "Sent"

    again = call(mail, "sync_mailbox", mailbox["id"], actor=owner, wait=True)
    assert again["last_sync"]["messages"] == 0

    append(dovecot, mail_user, "INBOX", message(subject="One more", to=mail_user))
    later = call(mail, "sync_mailbox", mailbox["id"], actor=owner, wait=True)
    assert later["last_sync"]["messages"] == 1
    assert later["messages_synced"] == 14
    assert scalar(db_engine, "SELECT count(*) FROM mail.messages") == 14
    assert scalar(db_engine, "SELECT count(*) FROM mail.outbox WHERE type = 'email_received'") == 14


def test_one_message_in_two_folders_is_stored_once(mail, dovecot, mail_user, db_engine):
    owner = person(mail_user)
    same = message(subject="Contract draft", to=mail_user, message_id="contract-1@customer.test")
    no_id = (
        b"From: x@customer.test\r\nTo: "
        + mail_user.encode()
        + b"\r\nSubject: no id\r\n\r\nbody\r\n"
    )
    append(dovecot, mail_user, "INBOX", same, no_id)
    append(dovecot, mail_user, "Projects", same, no_id)
    mailbox = call(
        mail, "create_mailbox", mailbox_data(dovecot, mail_user, folders=["Projects"]), actor=owner
    )
    result = call(mail, "sync_mailbox", mailbox["id"], actor=owner, wait=True)
    assert result["last_sync"]["messages"] == 2
    assert result["last_sync"]["duplicates"] == 2
    assert scalar(db_engine, "SELECT count(*) FROM mail.messages") == 2
    assert scalar(db_engine, "SELECT count(*) FROM mail.message_locations") == 4


def test_a_new_uidvalidity_resyncs_the_folder_without_duplicates(
    mail, dovecot, mail_user, db_engine
):
    owner = person(mail_user)
    raws = [message(subject=f"Archived {i}", to=mail_user) for i in range(3)]
    append(dovecot, mail_user, "Archive", *raws)
    mailbox = call(
        mail, "create_mailbox", mailbox_data(dovecot, mail_user, folders=["Archive"]), actor=owner
    )
    call(mail, "sync_mailbox", mailbox["id"], actor=owner, wait=True)
    with imap(dovecot, mail_user) as client:
        before = client.folder_status("Archive", [b"UIDVALIDITY"])[b"UIDVALIDITY"]
        client.delete_folder("Archive")
    append(dovecot, mail_user, "Archive", *raws, message(subject="Archived new", to=mail_user))
    with imap(dovecot, mail_user) as client:
        assert client.folder_status("Archive", [b"UIDVALIDITY"])[b"UIDVALIDITY"] != before

    result = call(mail, "sync_mailbox", mailbox["id"], actor=owner, wait=True)
    assert result["last_sync"]["uidvalidity_resets"] == 1
    assert result["last_sync"]["messages"] == 1  # only the new one is new
    assert scalar(db_engine, "SELECT count(*) FROM mail.messages") == 4
    assert scalar(db_engine, "SELECT count(*) FROM mail.message_locations") == 4


class StopsServer(ImapConnection):
    """Stops the real Dovecot when the third batch is fetched (the server going away
    in the middle of a first sync)."""

    dovecot = None
    fetches = 0

    def fetch(self, folder, uids, *, max_bytes):
        type(self).fetches += 1
        if type(self).fetches == 3:
            type(self).dovecot.crash()
        return super().fetch(folder, uids, max_bytes=max_bytes)


class StoppingAdapter(ImapAdapter):
    def connect(self, endpoint):
        connection = super().connect(endpoint)
        connection.__class__ = StopsServer
        return connection


def test_the_server_stopped_mid_sync_loses_nothing_and_stores_nothing_twice(
    container_factory, mail_config, dovecot, mail_user, db_engine, monkeypatch
):
    owner = person(mail_user)
    append(
        dovecot,
        mail_user,
        "INBOX",
        *(message(subject=f"Order {i}", to=mail_user) for i in range(40)),
    )
    monkeypatch.setattr(MailServers, "imap_adapter", StoppingAdapter)
    StopsServer.dovecot, StopsServer.fetches = dovecot, 0
    container = container_factory(MailService, {**mail_config, "MAIL_BATCH_SIZE": 10})
    container.start()
    mailbox = call(container, "create_mailbox", mailbox_data(dovecot, mail_user), actor=owner)
    try:
        failed = call(container, "sync_mailbox", mailbox["id"], actor=owner, wait=True)
    finally:
        dovecot.start()
    assert "connection to the server was lost" in failed["last_error"]
    assert failed["health"]["failures"] == 1
    stored_before = scalar(db_engine, "SELECT count(*) FROM mail.messages")
    assert 0 < stored_before < 40
    assert (
        scalar(db_engine, "SELECT count(*) FROM mail.outbox WHERE type = 'mailbox_sync_failed'")
        == 1
    )

    done = call(container, "sync_mailbox", mailbox["id"], actor=owner, wait=True)
    assert done["last_error"] is None and done["health"]["failures"] == 0
    assert scalar(db_engine, "SELECT count(*) FROM mail.messages") == 40
    assert scalar(db_engine, "SELECT count(DISTINCT subject) FROM mail.messages") == 40
    assert scalar(db_engine, "SELECT count(*) FROM mail.message_locations") == 40
    assert scalar(db_engine, "SELECT count(*) FROM mail.outbox WHERE type = 'email_received'") == 40


def test_a_colleague_sees_what_the_mailbox_shows(mail, dovecot, mail_user):
    owner = person(mail_user)
    append(
        dovecot, mail_user, "INBOX", message(subject="Private talk", to=mail_user, body="the body")
    )
    mailbox = call(
        mail, "create_mailbox", mailbox_data(dovecot, mail_user, visibility="headers"), actor=owner
    )
    call(mail, "sync_mailbox", mailbox["id"], actor=owner, wait=True)
    mine = call(mail, "list_emails", {"filter": {"mailbox_id": [mailbox["id"]]}}, actor=owner)[
        "items"
    ]
    email_id = mine[0]["id"]
    assert call(mail, "get_email", email_id, actor=owner)["body_text"].strip() == "the body"

    colleague = person("colleague@osprey.test")
    seen = call(mail, "get_email", email_id, actor=colleague)
    assert (
        seen["view"] == "headers" and "body_text" not in seen and seen["subject"] == "Private talk"
    )

    call(mail, "update_mailbox", mailbox["id"], {"visibility": "none"}, actor=owner)
    from services.platform.errors import NotFound

    with pytest.raises(NotFound):
        call(mail, "get_email", email_id, actor=colleague)


def test_keys_rotate_without_asking_anyone_for_their_password_again(
    container_factory, mail_config, dovecot, mail_user
):
    from cryptography.fernet import Fernet

    owner = person(mail_user)
    admin = person("boss@osprey.test", "admin")
    old_key, new_key = mail_config["SECRET_KEYS"][0], Fernet.generate_key().decode()
    before = container_factory(MailService, mail_config)
    before.start()
    mailbox = call(before, "create_mailbox", mailbox_data(dovecot, mail_user), actor=owner)
    before.stop()

    both = container_factory(MailService, {**mail_config, "SECRET_KEYS": [new_key, old_key]})
    both.start()
    assert call(both, "rotate_mailbox_secrets", actor=admin) == {"rotated": 1}
    both.stop()

    after = container_factory(MailService, {**mail_config, "SECRET_KEYS": [new_key]})
    after.start()
    synced = call(after, "sync_mailbox", mailbox["id"], actor=owner, wait=True)
    assert synced["last_error"] is None and synced["last_synced_at"]


def test_without_keys_the_service_runs_and_says_what_to_set(
    container_factory, mail_config, dovecot, mail_user
):
    from services.platform.errors import Unavailable

    container = container_factory(MailService, {**mail_config, "SECRET_KEYS": []})
    container.start()
    owner = person(mail_user)
    assert call(container, "list_mailboxes", None, actor=owner)["items"] == []
    with pytest.raises(Unavailable) as caught:
        call(container, "create_mailbox", mailbox_data(dovecot, mail_user), actor=owner)
    assert "OSPREY_SECRET_KEYS is not set" in caught.value.message


def test_tls_to_a_plain_port_and_a_server_without_imap4rev1_are_named(mail, dovecot, mail_user):
    import socket
    import threading

    owner = person(mail_user)
    tls = call(
        mail,
        "test_mailbox_connection",
        mailbox_data(dovecot, mail_user, security="ssl"),
        actor=owner,
    )
    assert tls["ok"] is False and tls["error_kind"] == "tls"
    assert "certificate is not trusted, or it does not speak TLS" in tls["error"]

    # an IMAP2bis-era server: its CAPABILITY lacks IMAP4rev1
    old = socket.socket()
    old.bind(("127.0.0.1", 0))
    old.listen(5)

    def serve() -> None:
        conn, _ = old.accept()
        with conn:
            conn.sendall(b"* OK ancient server ready\r\n")
            tag = conn.recv(1024).split(b" ", 1)[0]  # its CAPABILITY command
            conn.sendall(b"* CAPABILITY IMAP2 AUTH=PLAIN\r\n" + tag + b" OK done\r\n")
            conn.recv(1024)

    threading.Thread(target=serve, daemon=True).start()
    try:
        answer = call(
            mail,
            "test_mailbox_connection",
            mailbox_data(dovecot, mail_user, imap_port=old.getsockname()[1]),
            actor=owner,
        )
    finally:
        old.close()
    assert answer["ok"] is False and answer["error_kind"] == "capability"
    assert "IMAP4rev1" in answer["error"]
