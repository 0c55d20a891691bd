"""Benchmark: leads through the whole stack (HTTP → gateway → RPC → leads → PostgreSQL).

Starts every service and the gateway as their own processes against a fresh
database (``OSPREY_BENCH_DATABASE_URL``, default ``.../osprey_bench``) and measures:

1. creating a lead through ``POST /api/v1/leads`` with 1 and 8 concurrent clients;
2. a list page of 80 leads (``GET /api/v1/leads?limit=80``) with 122,000 leads loaded
   (bulk-loaded with ``COPY``), 8 clients — the page a user opens most;
3. the search box by email (``q=<email prefix>``), 8 clients.

These mirror the figures measured for Odoo 17 CRM on this kind of machine
(shared/DESIGN.md §8). Run: ``.venv/bin/python bench/api_leads.py``. It prints a JSON
summary and writes it to ``bench/results/api_leads.json``.
"""

from __future__ import annotations

import json
import os
import platform
import random
import statistics
import sys
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from bench.seed import fresh_database, load_leads  # noqa: E402
from tests.support.stack import Stack  # noqa: E402

DB = os.environ.get(
    "OSPREY_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/osprey_bench"
)
LIST_ROWS = int(os.environ.get("OSPREY_BENCH_LEADS", "122000"))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def run_load(base_url: str, token: str, clients: int, requests: int, make_request) -> dict:
    """``requests`` calls spread over ``clients`` threads, each with its own connection."""
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    per_client = requests // clients

    def worker(n: int) -> None:
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=base_url, headers=headers, timeout=30) as client:
            for i in range(per_client):
                start = time.perf_counter()
                response = make_request(client, n, i)
                elapsed = time.perf_counter() - start
                with lock:
                    latencies.append(elapsed)
                    if response.status_code >= 400:
                        errors.append(f"{response.status_code} {response.text[:200]}")

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    if errors:
        raise SystemExit(f"{len(errors)} failed requests, first: {errors[0]}")
    return {
        "clients": clients,
        "requests": len(latencies),
        "req_per_s": round(len(latencies) / wall, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 1),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 1),
    }


def create_lead(client: httpx.Client, n: int, i: int) -> httpx.Response:
    return client.post(
        "/api/v1/leads",
        json={
            "contact_name": f"Bench Contact {n}-{i}",
            "account_name": f"Bench Account {i % 97}",
            "email": f"bench{n}.{i}.{uuid.uuid4().hex[:6]}@example.com",
            "phone": f"+4420{random.randint(1000000, 9999999)}",
            "source": "web",
        },
    )


def main() -> None:
    fresh_database(DB)
    results: dict = {
        "machine": f"{os.cpu_count()} cores, {platform.python_implementation()} "
        f"{platform.python_version()}, {platform.machine()}",
        "date": datetime.now(UTC).date().isoformat(),
    }
    with Stack(DB, env={"OSPREY_LOG_LEVEL": "WARNING"}) as stack:
        login = httpx.post(f"{stack.base_url}/api/v1/auth/login", json=stack.admin_credentials)
        login.raise_for_status()
        token = login.json()["token"]
        admin_id = login.json()["user"]["id"]

        # warm-up: connections, pools, caches
        run_load(stack.base_url, token, 2, 40, create_lead)
        results["create_1_client"] = run_load(stack.base_url, token, 1, 300, create_lead)
        results["create_8_clients"] = run_load(stack.base_url, token, 8, 1600, create_lead)

        load_leads(DB, LIST_ROWS, admin_id)
        results["leads_loaded"] = LIST_ROWS

        def list_page(client: httpx.Client, n: int, i: int) -> httpx.Response:
            return client.get("/api/v1/leads", params={"limit": 80})

        def search(client: httpx.Client, n: int, i: int) -> httpx.Response:
            k = random.randrange(LIST_ROWS)
            return client.get("/api/v1/leads", params={"q": f"lead{k}@company", "limit": 20})

        run_load(stack.base_url, token, 2, 40, list_page)
        results["list_80_8_clients"] = run_load(stack.base_url, token, 8, 800, list_page)
        results["search_email_8_clients"] = run_load(stack.base_url, token, 8, 800, search)

    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "api_leads.json").write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
