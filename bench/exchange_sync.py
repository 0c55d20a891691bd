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
  through the sales duplicate check, then created, with its link (both a page at a
  time through ``sales.batch``).
* **meetings**: N meetings in Exchange (one in ten a weekly series of four), calendar
  only: each occurrence a meeting activity with its link.
* **floor**: sequential RPCs to the sales service (``get_contact``) in the same run.
* **incremental**: everything on (mail with a few messages, contacts, calendar and
  tasks both ways), one contact changed in Exchange, one sync; the median of several
  runs. A sync with nothing changed is measured the same way.

Target (issue 15): incremental under 200 ms and the same at both sizes.

    .venv/bin/python bench/exchange_sync.py [--small 1000] [--large 10000] [--runs 5]

Results: ``bench/results/exchange_sync.json``.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import _sync_harness as harness
from bench._sync_harness import Session, first_sync, summary_ms  # noqa: E402
from tests.integrations.ews_peer import EwsPeer, Mailbox  # noqa: E402

DB = "postgresql://postgres@127.0.0.1:5432/osprey_bench_exchange"
SERVICES = ("identity", "sales", "mail", "exchange")
PASSWORD = "Bench-pass-1"


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


def peer_env(peer: EwsPeer) -> dict[str, str]:
    return {
        "OSPREY_EXCHANGE_SYNC": "0",
        "OSPREY_EXCHANGE_CA_FILE": peer.ca_file or "",
        "OSPREY_EXCHANGE_PAGE_SIZE": "200",
    }


class TlsPeer:
    """The EWS peer over HTTPS with its certificates in a directory of its own."""

    def __enter__(self) -> EwsPeer:
        self._tls = tempfile.TemporaryDirectory()
        self._peer = EwsPeer("owner@contoso.test", PASSWORD, tls_dir=self._tls.name)
        return self._peer.__enter__()

    def __exit__(self, *exc: Any) -> None:
        self._peer.__exit__(*exc)
        self._tls.cleanup()


def main(argv: list[str] | None = None) -> None:
    harness.run(
        name="exchange",
        doc=__doc__ or "",
        database=DB,
        services=SERVICES,
        env=peer_env,
        peer=TlsPeer,
        sync=lambda rpc, cid, actor: rpc.exchange.sync_exchange_connection(cid, actor, wait=True),
        measure=measure,
        argv=argv,
    )


def measure(peer: EwsPeer, session: Session, size: int, runs: int) -> dict:
    client, sync = session.client, session.sync
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
    seconds, counts = sync(cid)
    out["contacts_first_sync"] = first_sync(seconds, size, imported=counts.get("contacts_in", 0))
    configure(import_contacts=False, sync_calendar=True)
    seconds, counts = sync(cid)
    out["meetings_first_sync"] = first_sync(seconds, size, activities=counts.get("meetings_in", 0))
    # everything on; the first such sync reads the mail and exports the owner's
    # contacts (none): outside the timings
    configure(sync_mail=True, import_contacts=True, export_contacts="mine", sync_tasks=True)
    sync(cid)
    idle, changed = [], []
    target = contact_ids[size // 2]
    for run in range(runs):
        idle.append(sync(cid)[0])
        peer.mailbox.put("contacts", {"JobTitle": f"Buyer {run}"}, item_id=target)
        seconds, counts = sync(cid)
        assert counts.get("contacts_in") == 1, counts
        changed.append(seconds)
    out["incremental_one_change_ms"] = summary_ms(changed)
    out["incremental_nothing_ms"] = summary_ms(idle)
    out["requests_per_incremental_sync"] = _requests_per_sync(peer, session, cid)
    client.delete(f"/api/v1/exchange-connections/{cid}")
    return out


def _requests_per_sync(peer: EwsPeer, session: Session, cid: str) -> dict[str, int]:
    before = len(peer.requests)
    session.sync(cid)
    counts: dict[str, int] = {}
    for name in peer.requests[before:]:
        counts[name] = counts.get(name, 0) + 1
    return counts


if __name__ == "__main__":
    main()
