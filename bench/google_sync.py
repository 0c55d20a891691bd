"""Google sync (issue 15): the first sync of N contacts and of N events of one connection
(items per second), and an incremental sync with one change, at two sizes.

Starts the gateway and the identity, sales, mail and google services as their own
processes on a fresh database (``OSPREY_BENCH_GOOGLE_DATABASE_URL``, default
``osprey_bench_google``), the google service pointed at the local Google peer
(tests/integrations/google_peer.py) running in this process. For each size a fresh
account is connected through the authorization-code flow over the API, then synced by
``google.sync_google_connection(wait=True)`` over RPC (the background sync is off, so
nothing else runs meanwhile):

* **contacts**: N people in Google, contacts only, import: each matched by email
  through the sales duplicate check, then created, with its link.
* **events**: N events in Google, calendar only, import: each a meeting activity with
  its link.
* **floor**: sequential RPCs to the sales service (``get_contact``) in the same run, the
  unit a first sync is made of (two a new contact, one a new event).
* **incremental**: everything on (contacts and calendar both ways, Gmail with a few
  messages), one person changed in Google, one sync; the median of several runs. What a
  sync costs with nothing changed is measured the same way.

Target (issue 15): incremental under 200 ms and the same at both sizes.

    .venv/bin/python bench/google_sync.py [--small 1000] [--large 10000] [--runs 5]

Results: ``bench/results/google_sync.json``.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import _sync_harness as harness  # noqa: E402
from bench._sync_harness import Session, first_sync, summary_ms  # noqa: E402
from bench.names import NameMix  # noqa: E402
from tests.integrations.google_peer import GooglePeer, authorize  # noqa: E402

DB = "postgresql://postgres@127.0.0.1:5432/osprey_bench_google"
SERVICES = ("identity", "sales", "mail", "google")
CLIENT = ("osprey-bench.apps.googleusercontent.com", "bench-secret")
OFF = {"direction": "off"}


def peer_env(peer: GooglePeer) -> dict[str, str]:
    return {
        "OSPREY_GOOGLE_SYNC": "0",
        "OSPREY_GOOGLE_CLIENT_ID": CLIENT[0],
        "OSPREY_GOOGLE_CLIENT_SECRET": CLIENT[1],
        "OSPREY_GOOGLE_API_ROOT": peer.url,
        "OSPREY_GOOGLE_AUTH_URI": peer.url + "o/oauth2/auth",
        "OSPREY_GOOGLE_TOKEN_URI": peer.url + "token",
        "OSPREY_GOOGLE_PAGE_SIZE": "500",
    }


def fill(peer: GooglePeer, size: int, tag: str) -> None:
    """``size`` people (names as common as real ones: bench/names.py, which the
    duplicate check's cost depends on) and ``size`` events (one in ten recurring)."""
    rng = random.Random(size)
    firsts, lasts = NameMix(rng).draw(rng, size)
    for n in range(size):
        peer.put_person(firsts[n], lasts[n], emails=[f"p{n}@{tag}.test"])
        start = f"2027-{1 + n % 12:02d}-{1 + n % 28:02d}T{8 + n % 10:02d}:00:00"
        event: dict[str, Any] = {
            "summary": f"Meeting {n} {tag}",
            "start": {"dateTime": start, "timeZone": "Europe/Berlin"},
            "end": {"dateTime": start.replace(":00:00", ":30:00"), "timeZone": "Europe/Berlin"},
        }
        if n % 10 == 0:
            event["recurrence"] = ["RRULE:FREQ=WEEKLY;COUNT=4"]
        peer.put_event(**event)
    for n in range(5):
        peer.deliver(
            (
                f"From: someone{n}@{tag}.test\r\nTo: {peer.email}\r\nSubject: Hello {n}\r\n"
                f"Message-ID: <m{n}@{tag}.test>\r\n"
                "Date: Mon, 7 Dec 2026 10:00:00 +0000\r\n\r\nHi\r\n"
            ).encode()
        )


def main(argv: list[str] | None = None) -> None:
    # One peer for the run; each size is another account on it (another address, its
    # own people and events): the stack knows one Google.
    harness.run(
        name="google",
        doc=__doc__ or "",
        database=DB,
        services=SERVICES,
        env=peer_env,
        peer=GooglePeer,
        prepare=lambda peer: peer.add_client(*CLIENT),
        sync=lambda rpc, cid, actor: rpc.google.sync_google_connection(cid, actor, wait=True),
        measure=measure,
        argv=argv,
    )


def reset_account(peer: GooglePeer, email: str) -> None:
    """Another account on the same peer: its own address, no people, events or mail."""
    with peer.lock:
        peer.email = email
        peer.people.clear()
        peer.events["primary"].clear()
        peer.messages.clear()
        peer.history.clear()


def measure(peer: GooglePeer, session: Session, size: int, runs: int) -> dict:
    client, sync = session.client, session.sync
    tag = f"s{size}"
    reset_account(peer, f"owner-{tag}@gmail.test")
    fill(peer, size, tag)
    started = client.post(
        "/api/v1/google-connections/authorize",
        json={"redirect_uri": "http://127.0.0.1/settings/google/callback"},
    ).json()
    back = authorize(peer, started["authorization_url"])
    connection = client.post(
        "/api/v1/google-connections/callback", json={"state": back["state"], "code": back["code"]}
    ).json()
    cid = connection["id"]

    def configure(**parts: Any) -> None:
        response = client.patch(f"/api/v1/google-connections/{cid}", json=parts)
        response.raise_for_status()

    out: dict[str, Any] = {"items": size}
    configure(contacts={"direction": "import"}, calendar=OFF, mail={"enabled": False})
    seconds, counts = sync(cid)
    out["contacts_first_sync"] = first_sync(
        seconds, size, imported=counts.get("contacts_imported", 0)
    )
    configure(contacts=OFF, calendar={"direction": "import"})
    seconds, counts = sync(cid)
    out["events_first_sync"] = first_sync(seconds, size, imported=counts.get("events_imported", 0))
    # everything on; the first such sync exports nothing new (all linked) and reads
    # Gmail's first list: outside the timings
    configure(
        contacts={"direction": "both", "export": "mine"},
        calendar={"direction": "both"},
        mail={"enabled": True, "visibility": "headers"},
    )
    sync(cid)
    idle, changed = [], []
    target = peer.live_people()[size // 2]
    for run in range(runs):
        idle.append(sync(cid)[0])
        given = target["names"][0]["givenName"]
        peer.put_person(
            given,
            f"Changed{run}",
            emails=[e["value"] for e in target["emailAddresses"]],
            resource_name=target["resourceName"],
        )
        seconds, counts = sync(cid)
        assert counts.get("contacts_updated") == 1, counts
        changed.append(seconds)
    out["incremental_one_change_ms"] = summary_ms(changed)
    out["incremental_nothing_ms"] = summary_ms(idle)
    client.delete(f"/api/v1/google-connections/{cid}")
    return out


if __name__ == "__main__":
    main()
