"""What the Exchange and Google sync benchmarks share (bench/exchange_sync.py,
bench/google_sync.py): the stack of the gateway and the services a sync talks to, the
command line, a timed ``sync_*_connection(wait=True)``, the figures' summary, the floor
of one sales RPC, and the run's record in ``bench/results/``.

A benchmark gives :func:`run` its name, its services and environment, a context
manager that starts its peer, and ``measure(peer, session, size, runs)`` for one size.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
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
from tests.support.stack import Stack, StackError, service_command, wait_until  # noqa: E402


class SyncStack(Stack):
    """The gateway and ``services``; ready once a login works."""

    def __init__(self, url: str, services: tuple[str, ...], env: dict[str, str], label: str):
        super().__init__(
            url,
            services={name: service_command(name) for name in services},
            env={
                "OSPREY_LOG_LEVEL": "WARNING",
                "OSPREY_SECRET_KEYS": Fernet.generate_key().decode(),
                "OSPREY_MAIL_SYNC": "0",
                **env,
            },
        )
        self.label = label

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

        wait_until(ready, timeout or self.ready_timeout, self.label, 0.2)


@dataclass
class Session:
    """An administrator's API client, an RPC proxy and the actor they act as."""

    client: httpx.Client
    rpc: Any
    actor: dict[str, Any]
    #: ``sync(connection_id)`` → (seconds, the sync's counts): one whole sync, waited for
    sync: Callable[[str], tuple[float, dict[str, Any]]]
    #: the running stack (its processes' ids, to profile them)
    stack: SyncStack | None = None


def timed(call: Callable[[], dict[str, Any]]) -> tuple[float, dict[str, Any]]:
    """How long one ``sync_*_connection(wait=True)`` takes; its counts. A sync that
    ended in an error fails the run."""
    started = time.perf_counter()
    out = call()
    elapsed = time.perf_counter() - started
    if out["last_error"]:
        raise RuntimeError(out["last_error"])
    return elapsed, out["last_sync"] or {}


def first_sync(seconds: float, size: int, **counts: Any) -> dict[str, Any]:
    return {"seconds": round(seconds, 2), "items_per_s": round(size / seconds, 1), **counts}


def summary_ms(seconds: list[float]) -> dict[str, float]:
    return {
        "median": round(statistics.median(seconds) * 1000, 1),
        "min": round(min(seconds) * 1000, 1),
        "max": round(max(seconds) * 1000, 1),
    }


def rpc_floor(rpc: Any, actor: dict[str, Any], calls: int = 200) -> dict[str, float]:
    """The floor of one sales RPC in the same run: sequential ``get_contact`` calls (a
    read by id), the unit a sync's per-item calls are made of."""
    contact = rpc.sales.list_contacts({"limit": 1}, actor=actor)["items"][0]
    started = time.perf_counter()
    for _ in range(calls):
        rpc.sales.get_contact(contact["id"], actor=actor)
    per_call = (time.perf_counter() - started) / calls
    return {"ms_per_call": round(per_call * 1000, 2), "calls": calls}


def run(
    *,
    name: str,
    doc: str,
    database: str,
    services: tuple[str, ...],
    env: Callable[[Any], dict[str, str]],
    peer: Callable[[], AbstractContextManager[Any]],
    sync: Callable[[Any, str, dict[str, Any]], dict[str, Any]],
    measure: Callable[[Any, Session, int, int], dict[str, Any]],
    argv: list[str] | None = None,
    prepare: Callable[[Any], None] | None = None,
) -> dict[str, Any]:
    """Parse the command line, start the peer and the stack on a fresh database, log
    in, ``measure`` each size, then the RPC floor; write ``bench/results/<name>.json``.

    ``env(peer)`` is the services' environment; ``sync(rpc, connection_id, actor)`` the
    RPC of one whole sync.
    """
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--small", type=int, default=1000)
    parser.add_argument("--large", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    url = os.environ.get(f"OSPREY_BENCH_{name.upper()}_DATABASE_URL", database)
    info = {**run_info(), "load_before": loadavg()}
    fresh_database(url)
    results: dict[str, Any] = {}
    with peer() as the_peer, SyncStack(url, services, env(the_peer), f"the {name} stack") as stack:
        if prepare is not None:
            prepare(the_peer)
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

            def one_sync(connection_id: str) -> tuple[float, dict[str, Any]]:
                return timed(lambda: sync(rpc, connection_id, actor))

            session = Session(client, rpc, actor, one_sync, stack)
            for size in (args.small, args.large):
                if size <= 0:
                    continue  # --small 0: the large size alone
                results[str(size)] = measure(the_peer, session, size, args.runs)
                print(size, json.dumps(results[str(size)]), flush=True)
            results["rpc_floor"] = rpc_floor(rpc, actor)
            print("rpc floor", results["rpc_floor"], flush=True)
    info["load_after"] = loadavg()
    out = {**info, "results": results}
    path = ROOT / "bench" / "results" / f"{name}_sync.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out, indent=2) + "\n")
    print(json.dumps(out, indent=2))
    return out
