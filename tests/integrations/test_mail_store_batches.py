"""Storing a batch of synced mail: the COPY of new messages stores exactly what the
INSERT ... ON CONFLICT stores, whatever the text holds, and a message another
instance stored meanwhile makes the batch fall back to that INSERT with nothing lost
or doubled."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from services.integrations.mail import storing as store
from services.integrations.mail.models import connections, messages, metadata
from services.integrations.mail.parsing import parse_message
from services.platform.db import make_sessionmaker
from services.platform.ids import new_id

ODD = "tab\there, back\\slash \\N, new\nline, cr\r, quote \" ' and ünïcödé €"


def raw(n: int, *, subject: str = "Hello", body: str = "Hi") -> bytes:
    return (
        f"From: Odd {n} <odd{n}@customer.test>\r\nTo: ann@osprey.test\r\n"
        f"Subject: {subject}\r\nMessage-ID: <batch-{n}-{new_id()}@customer.test>\r\n"
        "Date: Mon, 07 Dec 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        f"{body}\r\n"
    ).encode()


def add_mailbox(db_engine: sa.Engine) -> str:
    mailbox_id = new_id()
    now = datetime.now(UTC)
    with db_engine.begin() as conn:
        conn.execute(
            connections.insert().values(
                id=mailbox_id,
                kind="imap",
                name="ann@osprey.test",
                settings={"email": "ann@osprey.test"},
                next_sync_at=now,
                created_at=now,
                updated_at=now,
            )
        )
    return mailbox_id


def stored(db_engine: sa.Engine) -> dict[str, dict]:
    columns = [c for c in messages.c if c.name not in ("id", "created_at", "mailbox_id")]
    with db_engine.connect() as conn:
        rows = conn.execute(sa.select(*columns)).mappings().all()
    return {row["message_key"]: dict(row) for row in rows}


def store_batch(db_engine: sa.Engine, mailbox_id: str, items: list) -> list[dict]:
    Mail = make_sessionmaker(db_engine, metadata, "mail")  # noqa: N806
    with Mail() as db:
        received = store.store_messages(
            db,
            mailbox_id=mailbox_id,
            folder="INBOX",
            uidvalidity=1,
            items=items,
            direction="incoming",
        )
        db.commit()
    return received


def test_copied_messages_read_back_as_the_insert_stores_them(db_engine, monkeypatch):
    mailbox_id = add_mailbox(db_engine)
    bodies = [ODD, "\\", "\t", "\r\n\r\n", "\\t\\n", "plain"]
    parsed = [parse_message(raw(n, subject=f"S {n} \\ \t x", body=b)) for n, b in enumerate(bodies)]
    parsed[1].body_html = "<p>a\\b\tc</p>"
    parsed[2].from_name = None
    parsed[3].sent_at = None
    received = store_batch(db_engine, mailbox_id, [(n + 1, p) for n, p in enumerate(parsed)])
    assert len(received) == len(parsed)
    copied = stored(db_engine)

    # the same messages through the INSERT, into a clean table
    with db_engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM mail.messages"))
    monkeypatch.setattr(store, "_copy_messages", lambda db, rows: False)
    assert len(store_batch(db_engine, mailbox_id, [(n + 1, p) for n, p in enumerate(parsed)])) == 6
    inserted = stored(db_engine)
    assert copied == inserted
    assert copied[parsed[0].key]["body_text"] == parsed[0].body_text == ODD + "\r\n"
    assert copied[parsed[3].key]["sent_at"] is None


def test_a_message_stored_meanwhile_by_another_instance_is_not_stored_twice(db_engine, monkeypatch):
    mailbox_id = add_mailbox(db_engine)
    parsed = [parse_message(raw(n)) for n in range(5)]
    # Another instance stores message 2 between this batch's look-up and its COPY.
    other = parsed[2]
    real_known = store.known_keys

    def known_then_stored_elsewhere(db, keys):
        found = real_known(db, keys)
        monkeypatch.setattr(store, "known_keys", real_known)  # once
        with db_engine.begin() as conn:
            conn.execute(
                messages.insert().values(
                    store.message_row(other, direction="incoming", now=datetime.now(UTC))
                )
            )
        return found

    monkeypatch.setattr(store, "known_keys", known_then_stored_elsewhere)
    received = store_batch(db_engine, mailbox_id, [(n + 1, p) for n, p in enumerate(parsed)])

    assert sorted(r["message_id"] for r in received) == sorted(
        p.message_id for p in parsed if p is not other
    )
    with db_engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM mail.messages")).scalar_one() == 5
        # every message found its place in the folder, the other instance's one too
        assert (
            conn.execute(sa.text("SELECT count(*) FROM mail.message_locations")).scalar_one() == 5
        )
        events = conn.execute(
            sa.text("SELECT count(*) FROM mail.outbox WHERE type = 'email_received'")
        ).scalar_one()
    assert events == 4
