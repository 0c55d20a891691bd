"""Benchmark: leads through the whole stack (HTTP → gateway → RPC → leads → PostgreSQL),
each figure beside the floor measured in the same run.

Starts every service and the gateway as their own processes against a fresh database
(``OSPREY_BENCH_DATABASE_URL``, default ``.../osprey_bench``), plus the floor processes of
:mod:`bench.floor` (a no-database Nameko service and a one-route FastAPI app calling it
through the gateway's RPC client), and measures with :mod:`bench.load` (one asyncio
process, raw HTTP/1.1 keep-alive connections, so the client costs little):

1. at 1, 8 and 32 clients: the bare Nameko RPC floor (``RpcClient.call`` alone), the
   FastAPI floor (``GET /floor``), ``GET /api/v1/me``, ``GET /api/v1/leads/{id}`` and
   ``POST /api/v1/leads``;
2. after COPYing 122,000 leads (``OSPREY_BENCH_LEADS``) and waiting for the leads
   service's name index to take them in, at 8 and 32 clients: the FastAPI floor again,
   a list page of 80 leads (``GET /api/v1/leads?limit=80``) and the search box by email
   (``q=lead<k>@company``, 20 a page).

Every figure gets req/s, p50, p95, p99 and its ratios to the FastAPI floor at the same
number of clients measured in the same phase: ``p50_x_floor`` = its p50 / the floor's
p50, ``req_per_s_x_floor`` = its req/s / the floor's. Absolute figures move 2x between
days on a shared machine; those ratios move far less. Each kind is warmed up before it
is measured. Run: ``.venv/bin/python bench/api_leads.py``; it prints a table and the
JSON, written to ``bench/results/api_leads.json``.
"""

from __future__ import annotations

import json
import os
import platform
import random
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from bench.floor import Floor, stop_all  # noqa: E402
from bench.load import loadavg, run_load  # noqa: E402
from bench.seed import fresh_database, load_leads, wait_for_name_index  # noqa: E402
from tests.support.stack import Stack  # noqa: E402

DB = os.environ.get(
    "OSPREY_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/osprey_bench"
)
LIST_ROWS = int(os.environ.get("OSPREY_BENCH_LEADS", "122000"))

#: Measured requests per figure by number of clients (each kind also gets a warm-up).
REQUESTS = {1: 300, 8: 800, 32: 960}
LIST_REQUESTS = {8: 480, 32: 640}
CLIENTS = (1, 8, 32)
LIST_CLIENTS = (8, 32)

LABELS = {
    "floor_rpc": "bare Nameko RPC floor (RpcClient.call)",
    "floor_http": "FastAPI floor, GET /floor",
    "me": "GET /api/v1/me",
    "get_lead": "GET /api/v1/leads/{id}",
    "create_lead": "POST /api/v1/leads",
    "list_80": "GET /api/v1/leads?limit=80",
    "search_email": "GET /api/v1/leads?q=lead<k>@company",
}


# -- what is recorded beside the figures ------------------------------------------------


def git_commit() -> str:
    """The short commit, with ``+dirty`` when tracked files (results aside) differ."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "diff", "--quiet", "HEAD", "--", ".", ":(exclude)bench/results"],
            cwd=ROOT,
            capture_output=True,
        ).returncode
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return commit + ("+dirty" if dirty else "")


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine() -> dict[str, Any]:
    return {
        "cores": os.cpu_count(),
        "cpu": cpu_model(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "arch": platform.machine(),
    }


def run_info() -> dict[str, Any]:
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": git_commit(),
        "machine": machine(),
    }


# -- figures ----------------------------------------------------------------------------


def with_ratios(stats: dict, floor: dict) -> dict:
    """``stats`` with its ratios to the HTTP floor at the same number of clients."""
    return {
        **stats,
        "p50_x_floor": round(stats["p50_ms"] / floor["p50_ms"], 2) if floor["p50_ms"] else None,
        "req_per_s_x_floor": round(stats["req_per_s"] / floor["req_per_s"], 3),
    }


def table(figures: dict[str, dict]) -> str:
    head = (
        f"{'measure':<40} {'cl':>3} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}"
        f" {'p50/floor':>9} {'rps/floor':>9}"
    )
    lines = [head, "-" * len(head)]
    for key, f in figures.items():
        kind = key.rsplit("_", 1)[0].removesuffix("_after_copy")
        label = LABELS.get(kind, kind) + (" (after COPY)" if "after_copy" in key else "")
        ratio_p50 = f"{f['p50_x_floor']:.2f}" if f.get("p50_x_floor") is not None else ""
        ratio_rps = f"{f['req_per_s_x_floor']:.3f}" if "req_per_s_x_floor" in f else ""
        lines.append(
            f"{label:<40} {f['clients']:>3} {f['req_per_s']:>8.1f} {f['p50_ms']:>8.2f}"
            f" {f['p95_ms']:>8.2f} {f['p99_ms']:>8.2f} {ratio_p50:>9} {ratio_rps:>9}"
        )
    return "\n".join(lines)


def warmup_for(clients: int) -> int:
    return max(20, clients * 4)


def lead_payload(n: int, i: int) -> dict[str, Any]:
    return {
        "contact_name": f"Bench Contact {n}-{i}",
        "account_name": f"Bench Account {i % 97}",
        "email": f"bench{n}.{i}.{uuid.uuid4().hex[:6]}@example.com",
        "phone": f"+4420{random.randint(1000000, 9999999)}",
        "source": "web",
    }


def main() -> None:
    started = time.perf_counter()
    results: dict[str, Any] = {**run_info(), "load_average_before": loadavg()}
    fresh_database(DB)
    stack = Stack(DB, env={"OSPREY_LOG_LEVEL": "WARNING"})
    floor = Floor(stack)  # made first, so the stack starts its processes with its own
    figures: dict[str, dict] = {}
    try:
        stack.start()
        floor.start()
        base = stack.base_url
        login = httpx.post(f"{base}/api/v1/auth/login", json=stack.admin_credentials)
        login.raise_for_status()
        token = login.json()["token"]
        admin_id = login.json()["user"]["id"]
        headers = {"Authorization": f"Bearer {token}"}
        lead = httpx.post(
            f"{base}/api/v1/leads", json=lead_payload(0, -1), headers=headers, timeout=30
        )
        lead.raise_for_status()
        lead_id = lead.json()["id"]

        def measure(
            key: str, clients: int, requests: int, make: Callable[[int, int], tuple]
        ) -> None:
            stats = run_load(base, token, clients, requests, make, warmup_for(clients))
            figures[key] = stats
            print(f"  {key}: {stats}", flush=True)

        print(f"stack up in {time.perf_counter() - started:.1f}s", flush=True)
        for clients in CLIENTS:
            n = REQUESTS[clients]
            floor_key = f"floor_http_{clients}"
            figures[f"floor_rpc_{clients}"] = floor.rpc(clients, n, warmup_for(clients))
            print(f"  floor_rpc_{clients}: {figures[f'floor_rpc_{clients}']}", flush=True)
            figures[floor_key] = floor.http(clients, n, warmup_for(clients))
            print(f"  {floor_key}: {figures[floor_key]}", flush=True)
            measure(f"me_{clients}", clients, n, lambda c, i: ("GET", "/api/v1/me", None))
            measure(
                f"get_lead_{clients}",
                clients,
                n,
                lambda c, i: ("GET", f"/api/v1/leads/{lead_id}", None),
            )
            measure(
                f"create_lead_{clients}",
                clients,
                n,
                lambda c, i: ("POST", "/api/v1/leads", lead_payload(c, i)),
            )
            for key in ("floor_rpc", "me", "get_lead", "create_lead"):
                figures[f"{key}_{clients}"] = with_ratios(
                    figures[f"{key}_{clients}"], figures[floor_key]
                )

        copy_started = time.perf_counter()
        load_leads(DB, LIST_ROWS, admin_id)
        results["leads_loaded"] = LIST_ROWS
        results["copy_s"] = round(time.perf_counter() - copy_started, 1)
        index = wait_for_name_index(DB, base, token, "leads", "leads.lead_name_keys")
        results["name_index_waited_s"] = index.get("waited_s")
        print(
            f"COPY of {LIST_ROWS} leads {results['copy_s']}s, name index"
            f" {results['name_index_waited_s']}s more",
            flush=True,
        )
        rng = random.Random(7)

        def search(c: int, i: int) -> tuple[str, str, None]:
            k = rng.randrange(LIST_ROWS)
            return "GET", f"/api/v1/leads?q=lead{k}%40company&limit=20", None

        for clients in LIST_CLIENTS:
            n = LIST_REQUESTS[clients]
            floor_key = f"floor_http_after_copy_{clients}"
            figures[floor_key] = floor.http(clients, REQUESTS[clients], warmup_for(clients))
            print(f"  {floor_key}: {figures[floor_key]}", flush=True)
            measure(
                f"list_80_{clients}",
                clients,
                n,
                lambda c, i: ("GET", "/api/v1/leads?limit=80", None),
            )
            measure(f"search_email_{clients}", clients, n, search)
            for key in ("list_80", "search_email"):
                figures[f"{key}_{clients}"] = with_ratios(
                    figures[f"{key}_{clients}"], figures[floor_key]
                )
    except BaseException:
        print(stack.log_tails(60), file=sys.stderr)
        raise
    finally:
        stop_all(stack)

    results["load_average_after"] = loadavg()
    results["wall_s"] = round(time.perf_counter() - started, 1)
    results["figures"] = figures
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "api_leads.json").write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))
    print()
    print(
        f"{results['date']}, commit {results['commit']}, {results['machine']['cores']} cores"
        f" ({results['machine']['cpu']}), {results['machine']['python']}; load average"
        f" {results['load_average_before'][0]} before, {results['load_average_after'][0]} after;"
        f" {results['wall_s']}s"
    )
    print(table(figures))


if __name__ == "__main__":
    main()
