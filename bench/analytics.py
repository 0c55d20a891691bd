"""Benchmark: reports over a million leads and 200,000 deals, a Results page of eight
widgets, and how soon a change shows in a report.

Every service and the gateway run as their own processes on a database of their own
(``OSPREY_BENCH_ANALYTICS_DATABASE_URL``, default ``.../osprey_bench_analytics``;
``OSPREY_BENCH_ANALYTICS_REUSE=1`` keeps a loaded one). The analytics read model is
COPYed with ``OSPREY_BENCH_ANALYTICS_LEADS`` leads (default 1,000,000) and
``OSPREY_BENCH_ANALYTICS_DEALS`` deals (default 200,000) owned by 50 people in 5 teams,
then ``VACUUM ANALYZE``. Measured through the API, as the administrator:

1. **a report grouped by two fields**: leads by source and stage; deals by stage and
   month of creation with their count and summed amount (``POST /reports/run``), one at
   a time, p50/p99 of ``OSPREY_BENCH_ANALYTICS_RUNS`` (default 20); the same for a sales
   rep (the rights' filter in the query);
2. **a Results page of eight widgets**: the eight reports the page's widgets run, sent
   at once as the browser sends them, timed until the last answer (p50/p99 of the runs);
3. **freshness**: a lead created through ``POST /leads`` until a report counts it (the
   leads service's outbox, RabbitMQ, the analytics handler), p50/max of 10.

Targets (issue 18): the report under 1 s, the page under 1.5 s, freshness under 2 s.
Run: ``.venv/bin/python bench/analytics.py``; writes ``bench/results/analytics.json``.
"""

from __future__ import annotations

import io
import json
import os
import platform
import random
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from bench.seed import fresh_database  # noqa: E402
from services.platform.db import create_db_engine  # noqa: E402
from tests.support.stack import Stack  # noqa: E402

DB = os.environ.get(
    "OSPREY_BENCH_ANALYTICS_DATABASE_URL",
    "postgresql://postgres@127.0.0.1:5432/osprey_bench_analytics",
)
LEADS = int(os.environ.get("OSPREY_BENCH_ANALYTICS_LEADS", "1000000"))
DEALS = int(os.environ.get("OSPREY_BENCH_ANALYTICS_DEALS", "200000"))
RUNS = int(os.environ.get("OSPREY_BENCH_ANALYTICS_RUNS", "20"))
REUSE = os.environ.get("OSPREY_BENCH_ANALYTICS_REUSE") == "1"

SOURCES = ["web", "phone", "email", "partner", "event", "ads", "referral"]
LEAD_STAGES = [
    "qualification",
    "distribution",
    "handoff",
    "awaiting_sale",
    "converted",
    "disqualified",
]
STATUSES = ["open", "open", "open", "won", "lost"]

#: the eight widgets of the Results page measured (as the web app sends them)
PAGE = [
    {"entity": "leads", "group_by": ["source"]},
    {"entity": "leads", "group_by": ["stage"]},
    {"entity": "leads", "group_by": [{"field": "created_at", "bucket": "month"}]},
    {
        "entity": "opportunities",
        "filters": {"status": "open"},
        "aggregates": [{"fn": "count"}, {"fn": "sum", "field": "amount"}],
    },
    {
        "entity": "opportunities",
        "group_by": ["stage_id"],
        "aggregates": [{"fn": "count"}, {"fn": "sum", "field": "amount"}],
    },
    {"entity": "opportunities", "group_by": ["status"]},
    {"entity": "leads", "group_by": ["owner_id"]},
    {
        "entity": "opportunities",
        "group_by": ["owner_id"],
        "aggregates": [{"fn": "sum", "field": "amount"}],
    },
]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def figures(seconds: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(percentile(seconds, 0.5) * 1000, 1),
        "p99_ms": round(percentile(seconds, 0.99) * 1000, 1),
        "max_ms": round(max(seconds) * 1000, 1),
        "runs": len(seconds),
    }


def load(engine: sa.Engine, owners: list[tuple[str, str]], stages: list[str]) -> float:
    """COPY the read model: leads and deals as their events would leave them."""
    started = time.perf_counter()
    rand = random.Random(18)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()

        def copy(rows: Any) -> None:
            buffer = io.StringIO()
            for row in rows:
                buffer.write("\t".join(row) + "\n")
            buffer.seek(0)
            cursor.copy_expert(
                "COPY analytics.records (entity, id, version, owner_id, team_id, created_at, "
                "updated_at, deleted, data) FROM STDIN",
                buffer,
            )

        def leads(count: int) -> Any:
            for _ in range(count):
                owner, team = rand.choice(owners)
                created = (start + timedelta(minutes=rand.randrange(480_000))).isoformat()
                data = {
                    "id": str(uuid.uuid4()),
                    "version": 1,
                    "source": rand.choice(SOURCES),
                    "stage": rand.choice(LEAD_STAGES),
                    "channel": f"channel {rand.randrange(8)}",
                    "score": rand.randrange(100),
                    "contact_name": f"Lead {rand.randrange(10**6)}",
                }
                yield (
                    "lead",
                    data["id"],
                    "1",
                    owner,
                    team,
                    created,
                    created,
                    "f",
                    json.dumps(data),
                )

        def deals(count: int) -> Any:
            for _ in range(count):
                owner, team = rand.choice(owners)
                created = (start + timedelta(minutes=rand.randrange(480_000))).isoformat()
                data = {
                    "id": str(uuid.uuid4()),
                    "version": 1,
                    "title": f"Deal {rand.randrange(10**6)}",
                    "stage_id": rand.choice(stages),
                    "status": rand.choice(STATUSES),
                    "amount": f"{rand.randrange(100, 100_000)}.00",
                    "currency": "EUR",
                }
                yield (
                    "opportunity",
                    data["id"],
                    "1",
                    owner,
                    team,
                    created,
                    created,
                    "f",
                    json.dumps(data),
                )

        for chunk in range(0, LEADS, 100_000):
            copy(leads(min(100_000, LEADS - chunk)))
        for chunk in range(0, DEALS, 100_000):
            copy(deals(min(100_000, DEALS - chunk)))
        raw.commit()
    finally:
        raw.close()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM ANALYZE analytics.records"))
    return round(time.perf_counter() - started, 1)


def timed_report(client: httpx.Client, spec: dict[str, Any]) -> float:
    started = time.perf_counter()
    response = client.post("/api/v1/reports/run", json=spec)
    response.raise_for_status()
    return time.perf_counter() - started


def page_round(clients: list[httpx.Client]) -> float:
    """The eight widgets' reports at once; seconds until the last answered."""
    errors: list[BaseException] = []

    def one(client: httpx.Client, spec: dict[str, Any]) -> None:
        try:
            client.post("/api/v1/reports/run", json=spec).raise_for_status()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    started = time.perf_counter()
    threads = [
        threading.Thread(target=one, args=(c, s)) for c, s in zip(clients, PAGE, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return time.perf_counter() - started


def freshness(client: httpx.Client) -> dict[str, Any]:
    seconds = []
    for n in range(10):
        source = f"fresh{uuid.uuid4().hex[:10]}"
        spec = {"entity": "leads", "filters": {"source": source}}
        started = time.perf_counter()
        client.post(
            "/api/v1/leads", json={"contact_name": f"Fresh {n}", "source": source}
        ).raise_for_status()
        while client.post("/api/v1/reports/run", json=spec).json()["rows"] != [{"count": 1}]:
            if time.perf_counter() - started > 30:
                raise AssertionError("a new lead did not reach the report in 30 s")
            time.sleep(0.02)
        seconds.append(time.perf_counter() - started)
    return {
        "p50_ms": round(percentile(seconds, 0.5) * 1000, 1),
        "max_ms": round(max(seconds) * 1000, 1),
    }


def main() -> None:
    results: dict[str, Any] = {
        "machine": f"{os.cpu_count()} cores, {platform.python_implementation()} "
        f"{platform.python_version()}",
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "load_average_at_start": os.getloadavg()[0],
        "leads": LEADS,
        "deals": DEALS,
    }
    engine = create_db_engine(DB)
    loaded = False
    if REUSE:
        try:
            with engine.connect() as conn:
                loaded = (
                    conn.execute(sa.text("SELECT count(*) FROM analytics.records")).scalar_one()
                    >= LEADS + DEALS
                )
        except sa.exc.DBAPIError:
            loaded = False
    if not loaded:
        engine.dispose()
        fresh_database(DB)
        engine = create_db_engine(DB)
    with Stack(DB, env={"OSPREY_LOG_LEVEL": "WARNING"}) as stack:
        base = stack.base_url
        token = httpx.post(f"{base}/api/v1/auth/login", json=stack.admin_credentials, timeout=30)
        token.raise_for_status()
        headers = {"Authorization": f"Bearer {token.json()['token']}"}
        with httpx.Client(base_url=base, headers=headers, timeout=120) as admin:
            stages = [s["id"] for s in admin.get("/api/v1/opportunity-stages").json()["items"]]
            team = admin.post(
                "/api/v1/teams", json={"name": f"Bench {uuid.uuid4().hex[:6]}"}
            ).json()["id"]
            role = next(
                r["id"]
                for r in admin.get("/api/v1/roles").json()["items"]
                if r["name"] == "sales_rep"
            )
            email, password = f"rep{uuid.uuid4().hex[:8]}@osprey.test", uuid.uuid4().hex
            rep = admin.post(
                "/api/v1/users",
                json={
                    "email": email,
                    "full_name": "Bench Rep",
                    "password": password,
                    "role_ids": [role],
                    "team_id": team,
                },
            ).json()
            if not loaded:
                owners = [(rep["id"], team)] + [
                    (str(uuid.uuid4()), str(uuid.uuid4())) for _ in range(49)
                ]
                results["load_seconds"] = load(engine, owners, stages)
            rep_login = httpx.post(
                f"{base}/api/v1/auth/login", json={"email": email, "password": password}, timeout=30
            )
            rep_login.raise_for_status()
            rep_headers = {"Authorization": f"Bearer {rep_login.json()['token']}"}
            two_fields = {
                "leads by source and stage": {"entity": "leads", "group_by": ["source", "stage"]},
                "deals by stage and month, count and amount": {
                    "entity": "opportunities",
                    "group_by": ["stage_id", {"field": "created_at", "bucket": "month"}],
                    "aggregates": [{"fn": "count"}, {"fn": "sum", "field": "amount"}],
                },
            }
            results["reports"] = {}
            with httpx.Client(base_url=base, headers=rep_headers, timeout=120) as rep_client:
                for name, spec in two_fields.items():
                    timed_report(admin, spec)  # warm
                    results["reports"][f"{name}, administrator"] = figures(
                        [timed_report(admin, spec) for _ in range(RUNS)]
                    )
                    results["reports"][f"{name}, sales rep"] = figures(
                        [timed_report(rep_client, spec) for _ in range(RUNS)]
                    )
                    print(json.dumps({name: results["reports"]}, indent=2), flush=True)
            clients = [httpx.Client(base_url=base, headers=headers, timeout=120) for _ in PAGE]
            try:
                page_round(clients)
                results["results_page_8_widgets"] = figures(
                    [page_round(clients) for _ in range(RUNS)]
                )
            finally:
                for client in clients:
                    client.close()
            results["freshness"] = freshness(admin)
    engine.dispose()
    results["load_average_at_end"] = os.getloadavg()[0]
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "analytics.json").write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
