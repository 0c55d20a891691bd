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

import argparse
import json
import os
import random
import statistics
import sys
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
from bench.names import NameMix  # noqa: E402
from bench.seed import fresh_database  # noqa: E402
from tests.integrations.google_peer import GooglePeer, authorize  # noqa: E402
from tests.support.stack import Stack, StackError, service_command, wait_until  # noqa: E402

DB = "postgresql://postgres@127.0.0.1:5432/osprey_bench_google"
SERVICES = ("identity", "sales", "mail", "google")
RESULTS = ROOT / "bench" / "results" / "google_sync.json"
CLIENT = ("osprey-bench.apps.googleusercontent.com", "bench-secret")
OFF = {"direction": "off"}


class GoogleStack(Stack):
    """The gateway and :data:`SERVICES`; ready once a login works."""

    def __init__(self, url: str, peer: GooglePeer):
        super().__init__(
            url,
            services={name: service_command(name) for name in SERVICES},
            env={
                "OSPREY_LOG_LEVEL": "WARNING",
                "OSPREY_SECRET_KEYS": Fernet.generate_key().decode(),
                "OSPREY_GOOGLE_SYNC": "0",
                "OSPREY_GOOGLE_CLIENT_ID": CLIENT[0],
                "OSPREY_GOOGLE_CLIENT_SECRET": CLIENT[1],
                "OSPREY_GOOGLE_API_ROOT": peer.url,
                "OSPREY_GOOGLE_AUTH_URI": peer.url + "o/oauth2/auth",
                "OSPREY_GOOGLE_TOKEN_URI": peer.url + "token",
                "OSPREY_GOOGLE_PAGE_SIZE": "500",
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

        wait_until(ready, timeout or self.ready_timeout, "the google stack", 0.2)


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


def timed_sync(rpc: Any, connection_id: str, actor: dict[str, Any]) -> tuple[float, dict]:
    started = time.perf_counter()
    out = rpc.google.sync_google_connection(connection_id, actor, wait=True)
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
    url = os.environ.get("OSPREY_BENCH_GOOGLE_DATABASE_URL", DB)
    info = {**run_info(), "load_before": loadavg()}
    fresh_database(url)
    results: dict[str, Any] = {}
    # One peer for the run; each size is another account on it (another address, its
    # own people and events): the stack knows one Google.
    with GooglePeer() as peer, GoogleStack(url, peer) as stack:
        peer.add_client(*CLIENT)
        login = httpx.post(f"{stack.base_url}/api/v1/auth/login", json=stack.admin_credentials)
        token = login.json()["token"]
        with (
            httpx.Client(
                base_url=stack.base_url, timeout=60, headers={"Authorization": f"Bearer {token}"}
            ) as client,
            ClusterRpcProxy({"AMQP_URI": stack.amqp_uri}, timeout=1800) as rpc,
        ):
            me = client.get("/api/v1/me").json()
            actor = {k: me.get(k) for k in ("id", "email", "full_name", "roles", "team_id")}
            actor["permissions"] = me.get("permissions") or []
            for size in (args.small, args.large):
                results[str(size)] = measure(peer, rpc, client, actor, size, args.runs)
                print(size, json.dumps(results[str(size)]), flush=True)
            results["rpc_floor"] = rpc_floor(rpc, actor)
            print("rpc floor", results["rpc_floor"], flush=True)
    info["load_after"] = loadavg()
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({**info, "results": results}, indent=2) + "\n")
    print(json.dumps({**info, "results": results}, indent=2))


def rpc_floor(rpc: Any, actor: dict[str, Any], calls: int = 200) -> dict[str, float]:
    """The floor of a sync's per-item cost in the same run: sequential RPCs to sales
    (``get_contact``, a read by id), as the sync makes two per new contact and one per
    new event."""
    contact = rpc.sales.list_contacts({"limit": 1}, actor=actor)["items"][0]
    started = time.perf_counter()
    for _ in range(calls):
        rpc.sales.get_contact(contact["id"], actor=actor)
    per_call = (time.perf_counter() - started) / calls
    return {"ms_per_call": round(per_call * 1000, 2), "calls": calls}


def reset_account(peer: GooglePeer, email: str) -> None:
    """Another account on the same peer: its own address, no people, events or mail."""
    with peer.lock:
        peer.email = email
        peer.people.clear()
        peer.events["primary"].clear()
        peer.messages.clear()
        peer.history.clear()


def measure(
    peer: GooglePeer, rpc: Any, client: httpx.Client, actor: dict, size: int, runs: int
) -> dict:
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
    seconds, counts = timed_sync(rpc, cid, actor)
    out["contacts_first_sync"] = {
        "seconds": round(seconds, 2),
        "items_per_s": round(size / seconds, 1),
        "imported": counts.get("contacts_imported", 0),
    }
    configure(contacts=OFF, calendar={"direction": "import"})
    seconds, counts = timed_sync(rpc, cid, actor)
    out["events_first_sync"] = {
        "seconds": round(seconds, 2),
        "items_per_s": round(size / seconds, 1),
        "imported": counts.get("events_imported", 0),
    }
    # everything on; the first such sync exports nothing new (all linked) and reads
    # Gmail's first list: outside the timings
    configure(
        contacts={"direction": "both", "export": "mine"},
        calendar={"direction": "both"},
        mail={"enabled": True, "visibility": "headers"},
    )
    timed_sync(rpc, cid, actor)
    idle, changed = [], []
    target = peer.live_people()[size // 2]
    for run in range(runs):
        idle.append(timed_sync(rpc, cid, actor)[0])
        given = target["names"][0]["givenName"]
        peer.put_person(
            given,
            f"Changed{run}",
            emails=[e["value"] for e in target["emailAddresses"]],
            resource_name=target["resourceName"],
        )
        seconds, counts = timed_sync(rpc, cid, actor)
        assert counts.get("contacts_updated") == 1, counts
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
    client.delete(f"/api/v1/google-connections/{cid}")
    return out


if __name__ == "__main__":
    main()
