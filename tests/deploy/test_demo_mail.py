"""``osprey demo-mail``, the step ``make up`` runs after the demo data, against a whole
stack of real processes: it starts a kept Dovecot (and Postfix) in a directory of its
own, delivers the demo letters, connects the demo mailboxes through the mail service,
and the synced mail shows linked on the demo contacts' and a new lead's timelines; a
second run adds nothing; ``--stop`` stops the servers. Without Dovecot it does nothing
and says so."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet
from nameko.standalone.rpc import ClusterRpcProxy

from osprey import demo, mailserver
from services.platform.db import create_db_engine
from services.platform.testing import fresh_migrated_database, sibling_database_url
from services.sales.demo import demo_contact_email
from tests.support.stack import Stack


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    """A stack of its own: mailboxes need OSPREY_SECRET_KEYS."""
    env = {"OSPREY_SECRET_KEYS": Fernet.generate_key().decode(), "OSPREY_MAIL_POLL_SECONDS": "1"}
    database = fresh_migrated_database(sibling_database_url("demo_mail_stack"))
    with Stack(database, env=env) as running:
        yield running


def osprey(stack: Stack, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "osprey", *args],
        env=stack.env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def timeline(cluster: Any, admin: dict, record_type: str, record_id: str) -> list[dict]:
    return cluster.sales.list_activities(
        {
            "filter": {
                "related_type": [record_type],
                "related_id": [record_id],
                "type": ["email"],
            },
            "sort": "start_at",
        },
        actor=admin,
    )["items"]


@pytest.fixture
def mail_dir() -> Iterator[Path]:
    """Where the kept servers live: a directory Dovecot's and Postfix's own users can
    reach (pytest's tmp_path is the caller's alone), as .run/ is for make up."""
    path = Path(tempfile.mkdtemp(prefix="osprey-demo-mail-"))
    path.chmod(0o755)
    yield path / "mail"
    shutil.rmtree(path, ignore_errors=True)


def test_demo_mail_is_synced_and_linked_onto_the_demo_records(stack: Stack, mail_dir: Path):
    loaded = osprey(stack, "demo-data")
    assert loaded.returncode == 0, loaded.stderr
    root = mail_dir
    try:
        first = osprey(stack, "demo-mail", "--dir", str(root))
        assert first.returncode == 0, first.stdout + first.stderr
        assert "Delivered 6 demo letters." in first.stdout
        assert "Demo mailboxes connected: maria.ivanova@osprey.local, sales@osprey.local." in (
            first.stdout
        )
        assert (
            "Mail on the records' timelines: 6 email activities; "
            "leads made from the shared mailbox: 1." in first.stdout
        )
        state = root / mailserver.KEPT_STATE
        assert state.stat().st_mode & 0o077 == 0  # it holds the mailboxes' password

        config = {"AMQP_URI": stack.amqp_uri, "serializer": "json"}
        with ClusterRpcProxy(config, timeout=30) as cluster:
            admin = admin_actor(stack)
            anna = contact_by_email(cluster, admin, demo_contact_email(0))
            frank = contact_by_email(cluster, admin, demo_contact_email(5))
            on_anna = timeline(cluster, admin, "contact", anna["id"])
            assert [a["title"] for a in on_anna] == [
                "CRM rollout: how many seats?",
                "Re: CRM rollout: how many seats?",
            ]
            assert len({a["email"]["thread_key"] for a in on_anna}) == 1
            # the web app's Activities tab asks the API the same, and gets the thread
            with httpx.Client(base_url=stack.base_url, timeout=30) as http:
                http.post("/api/v1/auth/login", json=stack.admin_credentials).raise_for_status()
                tab = http.get(
                    "/api/v1/activities",
                    params={
                        "filter[related_type]": "contact",
                        "filter[related_id]": anna["id"],
                        "sort": "start_at",
                    },
                )
            assert tab.status_code == 200, tab.text
            assert [(a["title"], a["email"]["id"]) for a in tab.json()["items"]] == [
                (a["title"], a["email"]["id"]) for a in on_anna
            ]
            [to_frank] = timeline(cluster, admin, "contact", frank["id"])
            assert (to_frank["title"], to_frank["email"]["direction"]) == (
                "Partner reseller terms",
                "outgoing",
            )
            [lead] = cluster.leads.list_leads(
                {"filter": {"email": [demo.DEMO_NEW_SENDER]}}, actor=admin
            )["items"]
            assert lead["source"] == "email"
            [on_lead] = timeline(cluster, admin, "lead", lead["id"])
            assert on_lead["title"] == "Quote request: 12 licences for our cafes"
            mailboxes = {
                m["email"]: m for m in cluster.mail.list_mailboxes(None, actor=admin)["items"]
            }
            assert mailboxes[demo.DEMO_MAILBOX]["state"] == "active"
            assert mailboxes[demo.DEMO_SHARED_MAILBOX]["is_shared"] is True

        # again (make up once more): the same servers' mail, nothing delivered or linked twice
        again = osprey(stack, "demo-mail", "--dir", str(root))
        assert again.returncode == 0, again.stdout + again.stderr
        assert "The demo letters were delivered before; none were added." in again.stdout
        assert "6 email activities; leads made from the shared mailbox: 1." in again.stdout
    finally:
        stopped = osprey(stack, "demo-mail", "--dir", str(root), "--stop")
    assert stopped.returncode == 0 and "Stopped the demo mail servers." in stopped.stdout
    ports = mailserver.stop_kept(root)
    assert ports["imap_port"] and not listening(ports["imap_port"])
    if ports["smtp_port"]:
        assert not listening(ports["smtp_port"])


def admin_actor(stack: Stack) -> dict:
    engine = create_db_engine(stack.database_url)
    try:
        with engine.connect() as conn:
            user_id = conn.execute(
                sa.text("SELECT id FROM identity.users WHERE email = :e"),
                {"e": stack.admin_email},
            ).scalar_one()
    finally:
        engine.dispose()
    return {"id": str(user_id), "email": stack.admin_email, "roles": ["admin"], "team_id": None}


def contact_by_email(cluster: Any, admin: dict, address: str) -> dict:
    [found] = cluster.sales.list_contacts({"q": address}, actor=admin)["items"]
    return found


def test_without_dovecot_demo_mail_says_so_and_does_nothing(monkeypatch, tmp_path: Path):
    monkeypatch.setattr(mailserver, "DOVECOT", str(tmp_path / "no-dovecot"))
    loaded = demo.load_demo_mail(tmp_path / "mail")
    assert loaded.skipped == "dovecot is not installed: deploy/local/install-mail.sh"
    assert loaded.mailboxes == () and loaded.delivered == 0
    assert not (tmp_path / "mail" / mailserver.KEPT_STATE).exists()


def test_the_kept_servers_start_from_make_ups_relative_directory_and_keep_their_ports(
    mail_dir: Path, monkeypatch
):
    mail_dir.parent.chmod(0o755)
    monkeypatch.chdir(mail_dir.parent)
    first = mailserver.start_kept(Path("mail"))
    try:
        assert listening(first.imap_port) and listening(first.lmtp_port)
        again = mailserver.start_kept(Path("mail"))  # make up once more
        assert (again.imap_port, again.smtp_port, again.password) == (
            first.imap_port,
            first.smtp_port,
            first.password,
        )
    finally:
        stopped = osprey_stop(Path("mail"))
    assert "Stopped the demo mail servers." in stopped.stdout, stopped.stderr
    assert not listening(first.imap_port)
    assert "No demo mail servers ran." in osprey_stop(Path("mail")).stdout


def osprey_stop(directory: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "osprey", "demo-mail", "--dir", str(directory), "--stop"],
        capture_output=True,
        text=True,
        timeout=120,
    )
