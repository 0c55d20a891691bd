"""Mail sync against a real Dovecot: the first sync of a mailbox of 10,000 messages and an
incremental sync with one new message, beside the floor — a plain ``imapclient`` fetch of
the same messages in the same run.

What is measured (each on a private Dovecot started here, tests/integrations/mailservers.py,
and a database of its own, ``<OSPREY_DATABASE_URL's name>_bench_mail``, migrated afresh):

* **floor**: log in, SELECT INBOX, SEARCH, FETCH ``BODY.PEEK[]`` of every message in
  batches of the sync's batch size, and nothing else (the bytes are only counted).
* **first sync**: :func:`services.integrations.mail.sync.sync_mailbox` exactly as the
  service runs it — STATUS, SEARCH SINCE, RFC822.SIZE and the bodies per batch, parsing
  every message, storing messages, locations, attachments and one ``email_received``
  event each, with the cursor, one transaction per batch — into a fresh mailbox.
  Also: how long until the first batch (the newest mail) was committed.
* **incremental**: one new message APPENDed, then connect, log in, sync every folder,
  log out (what the background sync does when IDLE wakes it); and the same with nothing
  new. The median of several runs, at 1,000 and at 10,000 messages. Its floor: a plain
  client fetching one new message (log in, SELECT, UID SEARCH, FETCH, log out) after an
  APPEND of its own — Dovecot rescans a maildir that changed, which a larger folder
  makes slower for every client.

Targets (issue 14): first sync ≥ 1,000 messages/s and ≥ 50% of the floor; incremental
under 100 ms, the same at 1,000 and 10,000 messages.

    .venv/bin/python -m bench.mail_sync [--messages 10000] [--small 1000] [--runs 7] [--out FILE]

Needs Dovecot (``deploy/local/install-mail.sh``) and PostgreSQL. The messages are
written into the maildir before Dovecot first looks at it (Dovecot indexes them on the
first SELECT, outside every timing); about one in ten has a small PDF attached.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# Run as a script from anywhere: the project's packages (and tests', for the mail
# servers) come from the checkout.
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from cryptography.fernet import Fernet  # noqa: E402
from imapclient import IMAPClient  # noqa: E402

from services.integrations.mail.dependencies import Endpoint, ImapAdapter, load_settings  # noqa: E402
from services.integrations.mail.models import connections, metadata  # noqa: E402
from services.integrations.mail.sync import sync_mailbox  # noqa: E402
from services.integrations.sync.crypto import SecretBox  # noqa: E402
from services.platform.config import settings as platform_settings  # noqa: E402
from services.platform.db import create_db_engine, make_sessionmaker  # noqa: E402
from services.platform.events import utcnow  # noqa: E402
from services.platform.ids import new_id  # noqa: E402
from services.platform.testing import fresh_migrated_database  # noqa: E402
from tests.integrations.mailservers import Dovecot  # noqa: E402

PASSWORD = "bench-pass"
PDF = b"%PDF-1.4\n" + bytes(random.Random(1).getrandbits(8) for _ in range(3000))


def make_message(i: int, to: str, when: datetime) -> bytes:
    """A customer's message, different for every ``i`` and mailbox ``to``."""
    rand = random.Random(i)
    company = f"customer{rand.randrange(400)}.test"
    sender = f"person{rand.randrange(50)}@{company}"
    body = " ".join(rand.choice(WORDS) for _ in range(rand.randrange(60, 400)))
    head = (
        f"From: Person {i % 97} <{sender}>\r\nTo: {to}\r\nCc: other{i % 13}@{company}\r\n"
        f"Subject: Order {i}: {' '.join(rand.choice(WORDS) for _ in range(5))}\r\n"
        f"Date: {format_datetime(when)}\r\n"
        f"Message-ID: <bench-{i}-{to.split('@')[0]}-{rand.getrandbits(32)}@{company}>\r\n"
        "MIME-Version: 1.0\r\n"
    )
    if i % 10:
        return (head + f"Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n").encode()
    import base64

    pdf = base64.encodebytes(PDF).decode().replace("\n", "\r\n")
    return (
        head
        + "Content-Type: multipart/mixed; boundary=zz\r\n\r\n--zz\r\n"
        + f"Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n--zz\r\n"
        + "Content-Type: application/pdf\r\nContent-Disposition: attachment; filename=q.pdf\r\n"
        + f"Content-Transfer-Encoding: base64\r\n\r\n{pdf}--zz--\r\n"
    ).encode()


WORDS = [
    "offer",
    "quote",
    "price",
    "delivery",
    "invoice",
    "contract",
    "meeting",
    "call",
    "tomorrow",
    "please",
    "attached",
    "thanks",
    "regards",
    "order",
    "shipment",
    "warehouse",
    "discount",
    "renewal",
    "licence",
    "support",
    "question",
]


def fill_maildir(dovecot: Dovecot, user: str, count: int) -> None:
    """Write ``count`` messages into the user's maildir ``new/`` (newest last), before
    Dovecot has seen the mailbox: it indexes them at the first SELECT."""
    new = dovecot.maildir(user) / "new"
    for name in ("new", "cur", "tmp"):
        (dovecot.maildir(user) / name).mkdir(parents=True, exist_ok=True)
    start = datetime.now(UTC) - timedelta(days=60)
    for i in range(count):
        when = start + timedelta(seconds=i * 60 * 60 * 24 * 59 / max(count, 1))
        path = new / f"{int(when.timestamp())}.bench{i}.osprey"
        path.write_bytes(make_message(i, f"{user}@osprey.test", when))
        os.utime(path, (when.timestamp(), when.timestamp()))
    for path in dovecot.maildir(user).rglob("*"):
        os.chown(path, dovecot.uid, dovecot.gid)
    os.chown(dovecot.maildir(user), dovecot.uid, dovecot.gid)


def login(dovecot: Dovecot, user: str) -> IMAPClient:
    client = IMAPClient("127.0.0.1", port=dovecot.imap_port, ssl=False, timeout=60)
    client.login(user, PASSWORD)
    return client


def floor(dovecot: Dovecot, user: str, batch: int) -> dict[str, Any]:
    cpu = time.process_time()
    started = time.perf_counter()
    client = login(dovecot, user)
    client.select_folder("INBOX", readonly=True)
    uids = sorted(client.search(["ALL"]), reverse=True)
    total = 0
    for at in range(0, len(uids), batch):
        got = client.fetch(uids[at : at + batch], [b"BODY.PEEK[]"])
        total += sum(len(data[b"BODY[]"]) for data in got.values())
    client.logout()
    seconds = time.perf_counter() - started
    return {
        "messages": len(uids),
        "bytes": total,
        "seconds": round(seconds, 3),
        "per_second": round(len(uids) / seconds),
        # this process's CPU (every thread): what the client side costs whatever the load
        "cpu_seconds": round(time.process_time() - cpu, 3),
    }


class Bench:
    def __init__(self, dovecot: Dovecot, database_url: str):
        self.dovecot = dovecot
        self.engine = create_db_engine(database_url)
        self.Session = make_sessionmaker(self.engine, metadata, "mail")
        self.settings = load_settings({"MAIL_SYNC": "0"})
        self.box = SecretBox([Fernet.generate_key().decode()])
        self.imap = ImapAdapter()

    def add_mailbox(self, user: str) -> dict[str, Any]:
        now = utcnow()
        settings = {
            "kind": "imap",
            "email": f"{user}@osprey.test",
            "login": user,
            "imap_host": "127.0.0.1",
            "imap_port": self.dovecot.imap_port,
            "security": "none",
            "folders": ["INBOX"],
            "sync_since": (now - timedelta(days=365)).date().isoformat(),
            "visibility": "headers",
            "store_internal": False,
        }
        mailbox_id = new_id()
        with self.engine.begin() as conn:
            conn.execute(
                connections.insert().values(
                    id=mailbox_id,
                    kind="imap",
                    name=settings["email"],
                    settings=settings,
                    secret=self.box.encrypt(PASSWORD),
                    next_sync_at=now,
                    created_at=now,
                    updated_at=now,
                )
            )
        return {"id": mailbox_id, "settings": settings}

    def sync(self, mailbox: dict[str, Any], first_batch: list[float] | None = None) -> Any:
        """One sync as the background sync runs it: connect, log in, every folder, log out."""
        endpoint = Endpoint(
            "127.0.0.1",
            self.dovecot.imap_port,
            "none",
            mailbox["settings"]["login"],
            self.box.decrypt(self._secret(mailbox)),
            30.0,
        )
        with self.Session() as db:
            if first_batch is not None:
                started = time.perf_counter()
                commit = db.commit

                def timed_commit() -> None:
                    commit()
                    if not first_batch and db.info.get("outbox_ids"):
                        first_batch.append(time.perf_counter() - started)

                db.commit = timed_commit  # type: ignore[method-assign]
            imap = self.imap.connect(endpoint)
            try:
                return sync_mailbox(db, imap, mailbox, self.settings)
            finally:
                imap.logout()

    def _secret(self, mailbox: dict[str, Any]) -> bytes:
        with self.engine.connect() as conn:
            return conn.execute(
                sa.select(connections.c.secret).where(connections.c.id == mailbox["id"])
            ).scalar_one()


def floor_incremental(dovecot: Dovecot, user: str, above: int) -> float:
    """A plain client's fetch of what came since ``above``: log in, SELECT, UID SEARCH,
    FETCH, log out. Its seconds."""
    started = time.perf_counter()
    client = login(dovecot, user)
    client.select_folder("INBOX", readonly=True)
    uids = [uid for uid in client.search(["UID", f"{above + 1}:*"]) if uid > above]
    got = client.fetch(uids, [b"BODY.PEEK[]"])
    client.logout()
    assert len(got) == 1, got
    return time.perf_counter() - started


def incremental(bench: Bench, mailbox: dict[str, Any], user: str, runs: int) -> dict[str, Any]:
    new_mail, nothing, plain = [], [], []
    for run in range(runs):
        client = login(bench.dovecot, user)
        client.append(
            "INBOX", make_message(10_000_000 + run, f"{user}@osprey.test", datetime.now(UTC))
        )
        client.logout()
        started = time.perf_counter()
        result = bench.sync(mailbox)
        new_mail.append(time.perf_counter() - started)
        assert result.stored == 1, result
        started = time.perf_counter()
        result = bench.sync(mailbox)
        nothing.append(time.perf_counter() - started)
        assert result.stored == 0, result
        # the floor, after an APPEND of its own (each pays Dovecot's rescan once)
        client = login(bench.dovecot, user)
        above = client.folder_status("INBOX", [b"UIDNEXT"])[b"UIDNEXT"] - 1
        client.append(
            "INBOX", make_message(20_000_000 + run, f"{user}@osprey.test", datetime.now(UTC))
        )
        client.logout()
        plain.append(floor_incremental(bench.dovecot, user, above))
        assert bench.sync(mailbox).stored == 1  # not timed: takes in the floor's message
    return {
        "one_new_ms": round(statistics.median(new_mail) * 1000, 1),
        "one_new_max_ms": round(max(new_mail) * 1000, 1),
        "nothing_new_ms": round(statistics.median(nothing) * 1000, 1),
        "floor_one_new_ms": round(statistics.median(plain) * 1000, 1),
        "runs": runs,
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "mail_sync.json")
    args = parser.parse_args(argv)

    url = sa.make_url(platform_settings().database_url)
    database_url = url.set(database=f"{url.database}_bench_mail").render_as_string(
        hide_password=False
    )
    fresh_migrated_database(database_url)
    results: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "load_average": os.getloadavg()[0],
    }
    with Dovecot(password=PASSWORD) as dovecot:
        bench = Bench(dovecot, database_url)
        try:
            for label, count in (("large", args.messages), ("small", args.small)):
                user = f"bench{label}"
                dovecot.add_user(user, PASSWORD)
                fill_maildir(dovecot, user, count)
                warm = login(dovecot, user)  # Dovecot indexes the new maildir here
                warm.select_folder("INBOX")
                warm.logout()
                floor_result = floor(dovecot, user, bench.settings.batch_size)
                mailbox = bench.add_mailbox(user)
                first_batch: list[float] = []
                cpu = time.process_time()
                started = time.perf_counter()
                result = bench.sync(mailbox, first_batch)
                seconds = time.perf_counter() - started
                cpu = time.process_time() - cpu
                assert result.stored == count, result.counts()
                first = {
                    "messages": result.stored,
                    "seconds": round(seconds, 3),
                    "per_second": round(result.stored / seconds),
                    "share_of_floor": round(
                        (result.stored / seconds) / floor_result["per_second"], 3
                    ),
                    "first_batch_seconds": round(first_batch[0], 3) if first_batch else None,
                    "cpu_seconds": round(cpu, 3),
                }
                results[label] = {
                    "floor": floor_result,
                    "first_sync": first,
                    "incremental": incremental(bench, mailbox, user, args.runs),
                }
                print(json.dumps({label: results[label]}, indent=2), flush=True)
        finally:
            bench.engine.dispose()
    results["load_average_after"] = os.getloadavg()[0]
    if args.out:
        args.out.write_text(json.dumps(results, indent=2) + "\n")
    return results


if __name__ == "__main__":
    main()
