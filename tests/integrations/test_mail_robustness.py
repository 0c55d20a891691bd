"""Bad mail never stops a sync, a failing mailbox never delays the others, and IDLE
brings new mail in near real time — against the real Dovecot, with the background
sync running as in production."""

from __future__ import annotations

import email
import socket
from pathlib import Path

import pytest
import sqlalchemy as sa

from services.integrations.mail.service import MailService

from .conftest import append, call, mailbox_data, message, person, wait_for

#: CPython's own corpus of odd and broken messages (its email package's test data),
#: shipped with the interpreter: mail made by other tools than ours.
CPYTHON_CORPUS = Path(email.__file__).resolve().parent.parent / "test" / "test_email" / "data"


def hand_made_corpus(to: str) -> dict[str, bytes]:
    """Broken messages written out byte by byte, each a kind of bad mail seen in the wild."""
    deep = b"".join(
        f"--b{i}\r\nContent-Type: multipart/mixed; boundary=b{i + 1}\r\n\r\n".encode()
        for i in range(200)
    )
    recipients = ", ".join(f"r{i}@many.test" for i in range(5000))
    head = f"From: bulk@sender.test\r\nTo: {to}\r\n"
    return {
        "latin1-header": head.encode() + b"Subject: Caf\xe9 cr\xe8me\r\n\r\nbody\r\n",
        "utf8-header": head.encode() + "Subject: Счёт на оплату\r\n\r\nтело\r\n".encode(),
        "wrong-charset": head.encode()
        + b"Subject: wrong charset\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        + b"\xff\xfe caf\xe9\r\n",
        "unknown-charset": head.encode()
        + b"Subject: =?x-klingon?q?qapla?=\r\n"
        + b"Content-Type: text/plain; charset=x-klingon\r\n\r\nqapla\r\n",
        "broken-base64": head.encode()
        + b"Subject: broken base64\r\nContent-Type: text/plain\r\n"
        + b"Content-Transfer-Encoding: base64\r\n\r\n!!!not base64***\r\n",
        "no-closing-boundary": head.encode()
        + b"Subject: unterminated\r\nContent-Type: multipart/mixed; boundary=zz\r\n\r\n"
        + b"--zz\r\nContent-Type: text/plain\r\n\r\nstart\r\n",
        "deep-nesting": head.encode()
        + b"Subject: deep\r\nContent-Type: multipart/mixed; boundary=b0\r\n\r\n"
        + deep,
        "many-recipients": (
            f"From: bulk@sender.test\r\nTo: {to}\r\nCc: {recipients}\r\nSubject: many\r\n\r\nhi\r\n"
        ).encode(),
        "no-headers-at-all": b"\r\njust a body\r\n",
        "binary-garbage": head.encode() + b"Subject: garbage\r\n\r\n" + bytes(range(256)) * 4,
        "bad-date": head.encode() + b"Subject: bad date\r\nDate: the 31st of Smarch\r\n\r\nx\r\n",
        "huge": head.encode()
        + b"Subject: huge\r\nContent-Type: text/plain\r\n\r\n"
        + b"x" * 300_000
        + b"\r\n",
    }


@pytest.fixture
def mail(container_factory, mail_config):
    container = container_factory(MailService, {**mail_config, "MAIL_MAX_MESSAGE_BYTES": 200_000})
    container.start()
    return container


def test_bad_mail_is_stored_as_well_as_it_can_be_and_counted(mail, dovecot, mail_user, db_engine):
    owner = person(mail_user)
    corpus = hand_made_corpus(mail_user)
    python_corpus = sorted(CPYTHON_CORPUS.glob("msg_*.txt"))
    assert python_corpus, f"CPython's email test data is missing from {CPYTHON_CORPUS}"
    append(dovecot, mail_user, "INBOX", *corpus.values())
    append(
        dovecot,
        mail_user,
        "Corpus",
        *(p.read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n") for p in python_corpus),
    )
    mailbox = call(
        mail, "create_mailbox", mailbox_data(dovecot, mail_user, folders=["Corpus"]), actor=owner
    )

    result = call(mail, "sync_mailbox", mailbox["id"], actor=owner, wait=True)
    counts = result["last_sync"]
    assert result["last_error"] is None
    total = len(corpus) + len(python_corpus)
    assert counts["messages"] + counts["duplicates"] + counts["skipped"] == total
    assert counts["skipped"] == 0
    assert counts["malformed"] >= 8
    assert result["health"]["counts"]["malformed"] == counts["malformed"]

    with db_engine.connect() as conn:
        rows = {
            r.subject: r
            for r in conn.execute(
                sa.text(
                    "SELECT subject, problems, body_text, cc_addresses, size, sent_at "
                    "FROM mail.messages"
                )
            )
        }
    assert "Café crème" in rows
    assert "Счёт на оплату" in rows
    assert "caf" in rows["wrong charset"].body_text
    assert any("not utf-8 as declared" in p for p in rows["wrong charset"].problems)
    assert any("unknown charset" in p for p in rows["qapla"].problems) or "qapla" in rows
    assert any("nested deeper" in p for p in rows["deep"].problems)
    assert len(rows["many"].cc_addresses) == 2000
    assert any("more than 2000" in p for p in rows["many"].problems)
    assert rows["huge"].body_text is None and rows["huge"].size > 300_000
    assert any("only the header" in p for p in rows["huge"].problems)
    assert any("Date" in p for p in rows["bad date"].problems)
    # without a readable Date, the time the server received it (INTERNALDATE)
    assert rows["bad date"].sent_at is not None


class Blackhole:
    """A port that takes connections and never says a word (a hung server): the kernel
    completes each handshake into the listen backlog, and nobody ever accepts."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(50)
        self.port = self.sock.getsockname()[1]

    def close(self) -> None:
        self.sock.close()


def test_idle_brings_new_mail_and_a_hung_server_delays_no_other_mailbox(
    container_factory, mail_config, dovecot, mail_user, db_engine
):
    owner = person(mail_user)
    hung_user = mail_user.replace("@", "-hung@")
    hung_owner = person(hung_user)
    dovecot.add_user(hung_user.split("@")[0], "s3cret-pass")
    blackhole = Blackhole()
    container = container_factory(
        MailService,
        {
            **mail_config,
            "MAIL_SYNC": "1",
            "MAIL_POLL_SECONDS": 300,
            "MAIL_IDLE_SECONDS": 30,
            "MAIL_TIMEOUT_SECONDS": 20,
        },
    )
    container.start()
    try:
        hung = call(container, "create_mailbox", mailbox_data(dovecot, hung_user), actor=hung_owner)
        with db_engine.begin() as conn:  # its server hangs from now on
            conn.execute(
                sa.text(
                    "UPDATE mail.connections SET settings = "
                    "jsonb_set(settings, '{imap_port}', to_jsonb(:p)) WHERE id = :i"
                ),
                {"p": blackhole.port, "i": hung["id"]},
            )
        append(dovecot, mail_user, "INBOX", message(subject="Before", to=mail_user))
        good = call(container, "create_mailbox", mailbox_data(dovecot, mail_user), actor=owner)

        def stored(subject: str) -> bool:
            with db_engine.connect() as conn:
                return bool(
                    conn.execute(
                        sa.text("SELECT count(*) FROM mail.messages WHERE subject = :s"),
                        {"s": subject},
                    ).scalar()
                )

        wait_for(
            lambda: stored("Before"), timeout=10, what="the first sync while another server hangs"
        )
        with db_engine.connect() as conn:
            assert conn.execute(
                sa.text("SELECT lease_owner FROM mail.connections WHERE id = :i"), {"i": hung["id"]}
            ).scalar()
        # polling is every 300 s here: only IDLE can bring this one in quickly
        append(dovecot, mail_user, "INBOX", message(subject="Arrives during IDLE", to=mail_user))
        wait_for(
            lambda: stored("Arrives during IDLE"), timeout=15, what="IDLE to bring the new message"
        )

        def hung_failed() -> bool:
            return bool(call(container, "get_mailbox", hung["id"], actor=hung_owner)["last_error"])

        wait_for(hung_failed, timeout=40, what="the hung server's timeout")
        assert (
            "did not answer in time"
            in call(container, "get_mailbox", hung["id"], actor=hung_owner)["last_error"]
        )
        assert call(container, "get_mailbox", good["id"], actor=owner)["last_error"] is None
    finally:
        container.stop()  # its syncs end (the hung one is let go) before the port closes
        blackhole.close()
