"""Exchange sync (issue 15): the first sync of N contacts and of N meetings of one
connection (items per second), and an incremental sync with one change, at two sizes.

Starts the gateway and the identity, sales, mail and exchange services as their own
processes on a fresh database (``OSPREY_BENCH_EXCHANGE_DATABASE_URL``, default
``osprey_bench_exchange``), the exchange service trusting the local EWS peer
(tests/integrations/ews_peer.py, HTTPS, running in this process). For each size the
peer holds a fresh mailbox; it is connected over the API and synced by
``exchange.sync_exchange_connection(wait=True)`` over RPC (the background sync is off,
so nothing else runs meanwhile), with the real exchangelib:

* **contacts**: N contacts in Exchange, contacts only, import: each matched by email
  through the sales duplicate check, then created, with its link.
* **meetings**: N meetings in Exchange (one in ten a weekly series of four), calendar
  only: each occurrence a meeting activity with its link.
* **incremental**: everything on (mail with a few messages, contacts, calendar and
  tasks both ways), one contact changed in Exchange, one sync; the median of several
  runs. A sync with nothing changed is measured the same way.

Target (issue 15): incremental under 200 ms and the same at both sizes.

    .venv/bin/python bench/exchange_sync.py [--small 1000] [--large 10000] [--runs 5]

Results: ``bench/results/exchange_sync.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

import httpx  # noqa: E402
from cryptography.fernet import Fernet  # noqa: E402
from nameko.standalone.rpc import ClusterRpcProxy  # noqa: E402

from bench.api_leads import run_info  # noqa: E402
from bench.load import loadavg  # noqa: E402
from bench.seed import fresh_database  # noqa: E402
from tests.integrations.ews_peer import EwsPeer, Mailbox  # noqa: E402
from tests.support.stack import Stack, StackError, service_command, wait_until  # noqa: E402

DB = "postgresql://postgres@127.0.0.1:5432/osprey_bench_exchange"
SERVICES = ("identity", "sales", "mail", "exchange")
RESULTS = ROOT / "bench" / "results" / "exchange_sync.json"
PASSWORD = "Bench-pass-1"


class ExchangeStack(Stack):
    """The gateway and :data:`SERVICES`; ready once a login works."""

    def __init__(self, url: str, peer: EwsPeer):
        super().__init__(
            url,
            services={name: service_command(name) for name in SERVICES},
            env={
                "OSPREY_LOG_LEVEL": "WARNING",
                "OSPREY_SECRET_KEYS": Fernet.generate_key().decode(),
                "OSPREY_EXCHANGE_SYNC": "0",
                "OSPREY_EXCHANGE_CA_FILE": peer.ca_file or "",
                "OSPREY_EXCHANGE_PAGE_SIZE": "200",
                "OSPREY_MAIL_SYNC": "0",
            },
        )

    def wait_ready(self, timeout: float | None = None) -> None:
        def ready() -> bool:
            dead = [p.name for p in self.processes.values() if not p.alive]
            if dead:
                raise StackError(f"{', '.join(dead)} exited while starting\n{self.log_tails()}")
            try:
                login = httpx.post(
                    f"{self.base_url}/api/v1/auth/login", json=self.admin_credentials, timeout=5
                )
            except httpx.HTTPError:
                return False
            return login.status_code == 200

        wait_until(ready, timeout or self.ready_timeout, "the exchange stack", 0.2)


def fill(peer: EwsPeer, size: int, tag: str) -> list[str]:
    """``size`` contacts and ``size`` meetings (one in ten a weekly series of four) and a
    few messages in the mailbox; the contacts' item ids."""
    box = peer.mailbox
    ids = []
    for n in range(size):
        item = box.put(
            "contacts",
            {
                "ItemClass": "IPM.Contact",
                "DisplayName": f"Person{n} {tag.title()}",
                "GivenName": f"Person{n}",
                "Surname": tag.title(),
                "EmailAddresses": f'<t:Entry Key="EmailAddress1">p{n}@{tag}.test</t:Entry>',
            },
        )
        ids.append(item.id)
        start = f"2027-{1 + n % 12:02d}-{1 + n % 28:02d}T{8 + n % 10:02d}:00:00Z"
        props: dict[str, Any] = {
            "ItemClass": "IPM.Appointment",
            "Subject": f"Meeting {n} {tag}",
            "Start": start,
            "End": start.replace(":00:00Z", ":30:00Z"),
            "CalendarItemType": "Single",
        }
        if n % 10 == 0:
            props["CalendarItemType"] = "RecurringMaster"
            props["Recurrence"] = (
                "<t:WeeklyRecurrence><t:Interval>1</t:Interval>"
                "<t:DaysOfWeek>Monday</t:DaysOfWeek></t:WeeklyRecurrence>"
                f"<t:NumberedRecurrence><t:StartDate>{start[:10]}</t:StartDate>"
                "<t:NumberOfOccurrences>4</t:NumberOfOccurrences></t:NumberedRecurrence>"
            )
        box.put("calendar", props)
    for n in range(5):
        box.put(
            "inbox",
            {"ItemClass": "IPM.Note", "Subject": f"Hello {n}"},
            mime=(
                f"From: someone{n}@{tag}.test\r\nTo: {box.address}\r\nSubject: Hello {n}\r\n"
                f"Message-ID: <m{n}@{tag}.test>\r\nDate: Mon, 7 Dec 2026 10:00:00 +0000\r\n\r\n"
                "Hi\r\n"
            ).encode(),
        )
    return ids


def timed_sync(rpc: Any, connection_id: str, actor: dict[str, Any]) -> tuple[float, dict]:
    started = time.perf_counter()
    out = rpc.exchange.sync_exchange_connection(connection_id, actor, wait=True)
    elapsed = time.perf_counter() - started
    if out["last_error"]:
        raise RuntimeError(out["last_error"])
    return elapsed, out["last_sync"] or {}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", type=int, default=1000)
    parser.add_argument("--large", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    url = os.environ.get("OSPREY_BENCH_EXCHANGE_DATABASE_URL", DB)
    info = {**run_info(), "load_before": loadavg()}
    fresh_database(url)
    results: dict[str, Any] = {}
    with (
        tempfile.TemporaryDirectory() as tls,
        EwsPeer("owner@contoso.test", PASSWORD, tls_dir=tls) as peer,
        ExchangeStack(url, peer) as stack,
    ):
        login = httpx.post(f"{stack.base_url}/api/v1/auth/login", json=stack.admin_credentials)
        token = login.json()["token"]
        with (
            httpx.Client(
                base_url=stack.base_url, timeout=60, headers={"Authorization": f"Bearer {token}"}
            ) as client,
            ClusterRpcProxy({"AMQP_URI": stack.amqp_uri}, timeout=3600) as rpc,
        ):
            me = client.get("/api/v1/me").json()
            actor = {k: me.get(k) for k in ("id", "email", "full_name", "roles", "team_id")}
            actor["permissions"] = me.get("permissions") or []
            for size in (args.small, args.large):
                results[str(size)] = measure(peer, rpc, client, actor, size, args.runs)
                print(size, json.dumps(results[str(size)]), flush=True)
    info["load_after"] = loadavg()
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({**info, "results": results}, indent=2) + "\n")
    print(json.dumps({**info, "results": results}, indent=2))


def measure(
    peer: EwsPeer, rpc: Any, client: httpx.Client, actor: dict, size: int, runs: int
) -> dict:
    tag = f"s{size}"
    address = f"owner-{tag}@contoso.test"
    peer.mailbox = Mailbox(address)
    peer.users = {address: PASSWORD}
    contact_ids = fill(peer, size, tag)
    off = {"sync_mail": False, "import_contacts": False, "export_contacts": "none"}
    connection = client.post(
        "/api/v1/exchange-connections",
        json={
            "email": address,
            "password": PASSWORD,
            "ews_url": peer.url,
            **off,
            "sync_calendar": False,
            "sync_tasks": False,
            "past_days": 3660,
            "future_days": 3660,
        },
    )
    connection.raise_for_status()
    cid = connection.json()["id"]

    def configure(**parts: Any) -> None:
        response = client.patch(f"/api/v1/exchange-connections/{cid}", json=parts)
        response.raise_for_status()

    out: dict[str, Any] = {"items": size}
    configure(import_contacts=True)
    seconds, counts = timed_sync(rpc, cid, actor)
    out["contacts_first_sync"] = {
        "seconds": round(seconds, 2),
        "items_per_s": round(size / seconds, 1),
        "imported": counts.get("contacts_in", 0),
    }
    configure(import_contacts=False, sync_calendar=True)
    seconds, counts = timed_sync(rpc, cid, actor)
    out["meetings_first_sync"] = {
        "seconds": round(seconds, 2),
        "items_per_s": round(size / seconds, 1),
        "activities": counts.get("meetings_in", 0),
    }
    # everything on; the first such sync reads the mail and exports the owner's
    # contacts (none): outside the timings
    configure(sync_mail=True, import_contacts=True, export_contacts="mine", sync_tasks=True)
    timed_sync(rpc, cid, actor)
    idle, changed = [], []
    target = contact_ids[size // 2]
    for run in range(runs):
        idle.append(timed_sync(rpc, cid, actor)[0])
        peer.mailbox.put("contacts", {"JobTitle": f"Buyer {run}"}, item_id=target)
        seconds, counts = timed_sync(rpc, cid, actor)
        assert counts.get("contacts_in") == 1, counts
        changed.append(seconds)
    out["incremental_one_change_ms"] = {
        "median": round(statistics.median(changed) * 1000, 1),
        "min": round(min(changed) * 1000, 1),
        "max": round(max(changed) * 1000, 1),
    }
    out["incremental_nothing_ms"] = {
        "median": round(statistics.median(idle) * 1000, 1),
        "min": round(min(idle) * 1000, 1),
        "max": round(max(idle) * 1000, 1),
    }
    out["requests_per_incremental_sync"] = _requests_per_sync(peer, rpc, cid, actor)
    client.delete(f"/api/v1/exchange-connections/{cid}")
    return out


def _requests_per_sync(peer: EwsPeer, rpc: Any, cid: str, actor: dict) -> dict[str, int]:
    before = len(peer.requests)
    timed_sync(rpc, cid, actor)
    counts: dict[str, int] = {}
    for name in peer.requests[before:]:
        counts[name] = counts.get(name, 0) + 1
    return counts


if __name__ == "__main__":
    main()
