"""Gmail into the same pipeline as IMAP mail: stored once per Message-ID through the mail
service, linked to the sender's contact, sent mail as outgoing, incremental by history
id, a full list again when the history id is too old (404) without storing anything
twice, and the mailbox's privacy."""

from __future__ import annotations

from ..conftest import message, wait_for
from ..google_support import configure, connect, person, rows, sync

OWNER = person("olga@osprey.test")
OFF = {"direction": "off"}


def stored(engine) -> list:
    return rows(
        engine,
        "SELECT m.message_id, m.direction, m.subject, l.folder FROM mail.messages m "
        "JOIN mail.message_locations l ON l.message_id = m.id ORDER BY m.subject",
    )


def test_gmail_enters_the_mail_pipeline_incrementally_and_once(crm, peer, db_engine):
    carla = crm(
        "sales",
        "create_contact",
        {"full_name": "Carla Customer", "emails": [{"email": "carla@customer.test"}]},
        actor=OWNER,
    )
    peer.deliver(message(subject="Quote request", message_id="q1@customer.test", to=peer.email))
    peer.deliver(message(subject="Follow-up", message_id="q2@customer.test", to=peer.email))
    peer.deliver(
        message(
            sender=f"Olga <{peer.email}>",
            to="carla@customer.test",
            subject="Re: Quote request",
            message_id="r1@gmail.test",
        ),
        labels=("SENT",),
    )
    connection = connect(crm, peer, OWNER)
    configure(crm, connection, OWNER, contacts=OFF, calendar=OFF, mail={"visibility": "all"})
    first = sync(crm, connection, OWNER)
    assert first["last_error"] is None, first["last_error"]
    assert first["last_sync"]["messages"] == 3
    kept = stored(db_engine)
    assert [(r.subject, r.direction, r.folder) for r in kept] == [
        ("Follow-up", "incoming", "INBOX"),
        ("Quote request", "incoming", "INBOX"),
        ("Re: Quote request", "outgoing", "SENT"),
    ]
    mailbox = crm("mail", "get_mailbox", connection["id"], actor=OWNER)
    assert mailbox["kind"] == "google" and mailbox["email"] == peer.email
    assert mailbox["visibility"] == "all"
    # the mail service's own linking pass links it to the sender's contact
    crm("mail", "link_pending_emails")
    linked = wait_for(
        lambda: crm(
            "mail",
            "list_emails",
            {"filter": {"record_type": "contact", "record_id": carla["id"]}},
            actor=OWNER,
        )["items"],
        what="the Gmail messages linked to Carla",
    )
    assert len(linked) == 3

    # a new message: read from the history, nothing else fetched again
    before = len(peer.requests)
    peer.deliver(message(subject="Order", message_id="q3@customer.test", to=peer.email))
    counts = sync(crm, connection, OWNER)["last_sync"]
    assert counts["messages"] == 1
    fetched = [p for m, p in peer.requests[before:] if p.startswith("/gmail/v1/users/me/messages/")]
    assert len(fetched) == 1
    assert ("GET", "/gmail/v1/users/me/history") in peer.requests[before:]

    # the history id is too old: everything is listed again, nothing stored twice
    peer.expire_history()
    counts = sync(crm, connection, OWNER)["last_sync"]
    assert counts["mail_full_resyncs"] == 1 and counts["message_duplicates"] == 4
    assert "messages" not in counts
    assert len(stored(db_engine)) == 4
    assert len(rows(db_engine, "SELECT id FROM mail.messages")) == 4
    received = rows(db_engine, "SELECT id FROM mail.outbox WHERE type = 'email_received'")
    assert len(received) == 4

    # disconnecting removes the mailbox; the mail stays (it is the records' history)
    crm("google", "delete_google_connection", connection["id"], actor=OWNER)
    assert not rows(db_engine, "SELECT id FROM mail.connections")
    assert len(rows(db_engine, "SELECT id FROM mail.messages")) == 4
