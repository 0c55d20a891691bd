"""``osprey demo-data``: the demo data of every service, loaded in the order they
build on each other.

The people come first, straight into the identity schema (:mod:`osprey.identity`);
then each service's own ``demo.py`` loads its records through the running service
by RPC, like any client, so the events flow as they would: leads, then sales
(accounts, contacts, deals, activities, plans), then orders (made from the deals
sales won), then the feed. Each loader is safe to run again: what exists is kept.

``osprey demo-mail`` (``make up`` runs it after the demo data) gives the demo a
mailbox: a private Dovecot kept under ``.run/mail/`` (:mod:`osprey.mailserver`), a few
letters from the demo contacts delivered to Maria's mailbox and one from an unknown
sender to the shared sales@ mailbox, both mailboxes connected through the mail service,
which syncs and links them onto the records' timelines (and makes a lead of the
stranger).
"""

from __future__ import annotations

import smtplib
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from imapclient import IMAPClient

from services.feed import demo as feed_demo
from services.identity import sessions_store as identity_sessions
from services.leads import demo as leads_demo
from services.orders import demo as orders_demo
from services.platform.config import settings
from services.sales import demo as sales_demo

from . import mailserver
from .identity import demo_people, identity_session


class ServiceNotAnswering(Exception):
    """A service the demo data goes through does not answer (not started, or stuck)."""

    def __init__(self, service: str, note: str = "") -> None:
        self.service = service
        super().__init__(
            f"the {service} service does not answer; start it (osprey run {service}) and "
            f"run demo-data again.{note}"
        )


@dataclass(frozen=True)
class DemoLoaded:
    """What one run created: the people's logins and how many records each service made
    (0: its demo data was there already)."""

    people: dict[str, Any]
    leads: int
    sales: int
    orders: int
    feed: int
    processes: list[str]


def load_demo() -> DemoLoaded:
    """Create whatever demo data is missing. Raises :class:`ServiceNotAnswering` when a
    service does not answer (what was loaded before it stays)."""
    with identity_session() as db:
        people = demo_people(db)
    actor, owner_ids, team_id = people["admin_actor"], people["owner_ids"], people["team_id"]
    leads = _through(
        "leads",
        lambda cluster: leads_demo.load_demo(cluster.leads, actor, owner_ids, team_id),
        note=" The demo users were created.",
    )
    sales = _through(
        "sales",
        lambda cluster: sales_demo.load_demo(cluster.sales, actor, owner_ids, team_id),
    )
    orders = _through(
        "orders",
        lambda cluster: orders_demo.load_demo(cluster.orders, cluster.sales, actor),
    )
    feed = _through(
        "feed",
        lambda cluster: feed_demo.load_demo(cluster.feed, actor, people["people"]),
    )
    # Last, so the shipped processes start for the leads and deals users make from now
    # on, not for the demo's own (a process users already have is left as it is).
    processes = _through(
        "processes",
        lambda cluster: [d["name"] for d in cluster.processes.ensure_shipped_process_definitions()],
    )
    return DemoLoaded(people, leads, sales, orders, feed, processes)


def _through(service: str, load: Callable[[Any], Any], note: str = "") -> Any:
    """Run ``load`` with an RPC cluster proxy; a service that does not answer becomes
    :class:`ServiceNotAnswering` naming ``service``."""
    # Imported here: only demo-data talks RPC, and the other commands start faster.
    from nameko.exceptions import RpcTimeout, UnknownService
    from nameko.standalone.rpc import ClusterRpcProxy

    s = settings()
    config = {"AMQP_URI": s.amqp_uri, "serializer": "json"}
    try:
        with ClusterRpcProxy(config, timeout=s.rpc_timeout) as cluster:
            return load(cluster)
    except (UnknownService, RpcTimeout):
        raise ServiceNotAnswering(service, note) from None


# --- the demo mailbox (``osprey demo-mail``, run by ``make up``) -------------------------------

#: Maria's own mailbox, and the shared one an unknown sender writes to (a lead is made).
DEMO_MAILBOX = "maria.ivanova@osprey.local"
DEMO_SHARED_MAILBOX = "sales@osprey.local"
DEMO_NEW_SENDER = "jordan.lee@bluebird-cafe.example"


@dataclass(frozen=True)
class DemoLetter:
    """One demo message: ``contact`` is a demo contact's index (the sender, or with
    ``sent`` the recipient: it is then Maria's, in her Sent folder); None is
    :data:`DEMO_NEW_SENDER` writing to the shared mailbox."""

    key: str
    contact: int | None
    subject: str
    days_ago: int
    body: str
    replies_to: str | None = None
    sent: bool = False


DEMO_LETTERS: tuple[DemoLetter, ...] = (
    DemoLetter(
        "seats",
        0,
        "CRM rollout: how many seats?",
        6,
        "Hello Maria,\n\nwe are counting 40 users for the first phase. Could you send\n"
        "the price for 40 seats and for 60?\n\nAnna",
    ),
    DemoLetter(
        "seats-2",
        0,
        "Re: CRM rollout: how many seats?",
        4,
        "Maria,\n\none more thing: the warehouse team needs read-only access.\n\nAnna",
        replies_to="seats",
    ),
    DemoLetter(
        "scanners",
        2,
        "Warehouse scanners: delivery dates",
        3,
        "Hi,\n\ncan the scanners arrive before the 20th? Our stock count starts then.\n\nChloe",
    ),
    DemoLetter(
        "pilot",
        3,
        "Fleet tracking pilot: NDA signed",
        2,
        "Dear Maria,\n\nthe NDA is signed and attached to our portal. Let us plan\n"
        "the pilot for ten trucks.\n\nDmitri",
    ),
    DemoLetter(
        "reseller",
        5,
        "Partner reseller terms",
        1,
        "Frank,\n\nhere are the draft terms for the reseller agreement: 25% margin,\n"
        "quarterly targets. Let me know what you think.\n\nMaria",
        sent=True,
    ),
    DemoLetter(
        "new-lead",
        None,
        "Quote request: 12 licences for our cafes",
        0,
        "Hello,\n\nwe run six cafes and would like a quote for 12 licences.\n\nJordan Lee\n"
        "Bluebird Cafe",
    ),
)


@dataclass(frozen=True)
class DemoMailLoaded:
    """What ``osprey demo-mail`` did: ``skipped`` says why nothing (no Dovecot); else the
    servers' ports, how many messages were delivered now (0: they were before), the
    mailboxes connected, and what the CRM shows of the mail so far."""

    skipped: str | None = None
    imap_port: int | None = None
    smtp_port: int | None = None
    no_postfix: str | None = None
    delivered: int = 0
    mailboxes: tuple[str, ...] = ()
    email_activities: int = 0
    leads_from_mail: int = 0


def load_demo_mail(root: Path, *, timeout: float = 90.0) -> DemoMailLoaded:
    """Start the kept Dovecot (and Postfix) under ``root``, deliver the demo letters
    once, connect Maria's mailbox and the shared one through the mail service, and wait
    (up to ``timeout`` seconds) until the mail is synced and linked onto the records'
    timelines. Without Dovecot nothing happens (``skipped``). Raises
    :class:`ServiceNotAnswering` when the mail or sales service does not answer."""
    try:
        servers = mailserver.start_kept(root)
    except mailserver.MailServerMissing as exc:
        return DemoMailLoaded(skipped=str(exc))
    marker = root / "delivered"
    delivered = 0
    if not marker.exists():
        delivered = _deliver_letters(servers)
        marker.write_text(f"{delivered} demo letters\n")
    with identity_session() as db:
        people = demo_people(db)
        maria = next(p for p in people["people"] if p["email"] == DEMO_MAILBOX)
        maria_actor = identity_sessions.actor_for(db, maria["id"])
    admin = people["admin_actor"]
    mailboxes = _through(
        "mail", lambda cluster: _connect_mailboxes(cluster.mail, servers, admin, maria_actor)
    )
    # every letter is linked: to a demo contact, or to the lead made of the stranger
    expected = len(DEMO_LETTERS)
    deadline = time.monotonic() + timeout
    while True:
        shown, leads = _through("sales", lambda cluster: _mail_on_records(cluster, admin))
        if (shown >= expected and leads) or time.monotonic() > deadline:
            break
        time.sleep(1)
    return DemoMailLoaded(
        imap_port=servers.imap_port,
        smtp_port=servers.smtp_port,
        no_postfix=servers.no_postfix,
        delivered=delivered,
        mailboxes=mailboxes,
        email_activities=shown,
        leads_from_mail=leads,
    )


def _letter_bytes(letter: DemoLetter, now: datetime) -> tuple[str, str, bytes]:
    """(sender, recipient, the message's bytes) of a demo letter."""
    if letter.contact is None:
        sender, to = DEMO_NEW_SENDER, DEMO_SHARED_MAILBOX
    elif letter.sent:
        sender, to = DEMO_MAILBOX, sales_demo.demo_contact_email(letter.contact)
    else:
        sender, to = sales_demo.demo_contact_email(letter.contact), DEMO_MAILBOX
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = letter.subject
    message["Date"] = format_datetime(now - timedelta(days=letter.days_ago, hours=2))
    message["Message-ID"] = f"<demo-{letter.key}@osprey.example>"
    if letter.replies_to:
        message["In-Reply-To"] = f"<demo-{letter.replies_to}@osprey.example>"
        message["References"] = f"<demo-{letter.replies_to}@osprey.example>"
    message.set_content(letter.body)
    return sender, to, message.as_bytes()


def _deliver_letters(servers: mailserver.KeptServers) -> int:
    """Incoming letters through Dovecot's LMTP, as a mail server delivers them; Maria's
    own into her Sent folder over IMAP, as her mail program keeps them."""
    now = datetime.now(UTC)
    count = 0
    with smtplib.LMTP("127.0.0.1", servers.lmtp_port, timeout=30) as lmtp:
        for letter in DEMO_LETTERS:
            if letter.sent:
                continue
            sender, to, raw = _letter_bytes(letter, now)
            lmtp.sendmail(sender, [to], raw)
            count += 1
    with IMAPClient("127.0.0.1", port=servers.imap_port, ssl=False, timeout=30) as imap:
        imap.login(DEMO_MAILBOX, servers.password)
        for letter in DEMO_LETTERS:
            if letter.sent:
                _sender, _to, raw = _letter_bytes(letter, now)
                when = now - timedelta(days=letter.days_ago, hours=2)
                imap.append("Sent", raw, flags=[b"\\Seen"], msg_time=when)
                count += 1
    return count


def _connect_mailboxes(
    mail: Any, servers: mailserver.KeptServers, admin: dict[str, Any], maria: dict[str, Any]
) -> tuple[str, ...]:
    """Maria's mailbox (hers; colleagues see subjects) and the shared one (an admin's),
    connected once; connected before, they get this run's ports and password."""
    server = {
        "imap_host": "127.0.0.1",
        "imap_port": servers.imap_port,
        "security": "none",
        "password": servers.password,
    }
    if servers.smtp_port is not None:
        server.update(smtp_host="127.0.0.1", smtp_port=servers.smtp_port, smtp_security="none")
    existing = {m["email"]: m for m in mail.list_mailboxes(None, actor=admin)["items"]}
    wanted = (
        (DEMO_MAILBOX, maria, {"visibility": "headers"}),
        (DEMO_SHARED_MAILBOX, admin, {"is_shared": True, "visibility": "all"}),
    )
    for address, actor, extra in wanted:
        found = existing.get(address)
        if found is None:
            mail.create_mailbox({"email": address, **server, **extra}, actor=actor)
        else:
            mail.update_mailbox(found["id"], server, actor=admin)
            mail.sync_mailbox(found["id"], actor=admin)
    return tuple(address for address, _actor, _extra in wanted)


def _mail_on_records(cluster: Any, admin: dict[str, Any]) -> tuple[int, int]:
    """(email activities on the records' timelines, leads made from the shared mailbox)."""
    activities = cluster.sales.list_activities(
        {"filter": {"type": ["email"]}, "limit": 100}, actor=admin
    )["items"]
    leads = cluster.leads.list_leads(
        {"filter": {"email": [DEMO_NEW_SENDER]}, "limit": 10}, actor=admin
    )["items"]
    return len(activities), len(leads)
