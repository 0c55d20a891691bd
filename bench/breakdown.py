"""Where the time of one lead create and one plain GET goes, layer by layer.

Starts the whole stack (every service and the gateway as their own processes, plus the
floor of :mod:`bench.floor`) on a fresh database (``OSPREY_BENCH_BREAKDOWN_DATABASE_URL``,
default ``.../osprey_bench_breakdown``) and sends requests one at a time:

* ``POST /api/v1/leads`` and ``GET /api/v1/leads/{id}`` through HTTP, and the same two
  calls as bare RPC (``leads.create_lead`` / ``leads.get_lead`` through the gateway's
  :class:`~gateway.rpc.RpcClient`), beside the HTTP and RPC floors — so HTTP, auth and
  the gateway's own work, the RPC round trip and the service's own work separate;
* the CPU each process of the stack used per create (``/proc/<pid>/stat``), the outbox
  relay and the feed's handling of ``lead_created`` included — what bounds the
  throughput on a machine of two cores;
* with ``pg_stat_statements`` loaded (``shared_preload_libraries``; the script says
  how when it is not), every statement a create and a GET run in the database, how
  often per request and how long each takes in PostgreSQL, the ``COMMIT`` (its WAL
  flush) included; and ``EXPLAIN (ANALYZE, BUFFERS)`` of the create's and the GET's
  reads.

Run ``.venv/bin/python bench/breakdown.py``; it prints the tables and writes
``bench/results/breakdown.json``. A profile of one process under load is one more
command (bench/README.md): ``py-spy record --gil -r 500 -d 10 -p <pid>``.
"""

from __future__ import annotations

import json
import os
import random
import sys
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from bench.api_leads import run_info  # noqa: E402
from bench.floor import Floor, stop_all  # noqa: E402
from bench.load import loadavg, run_calls, run_load  # noqa: E402
from bench.seed import fresh_database  # noqa: E402
from services.platform.db import create_db_engine  # noqa: E402
from tests.support.stack import Stack  # noqa: E402

DB = os.environ.get(
    "OSPREY_BENCH_BREAKDOWN_DATABASE_URL",
    "postgresql://postgres@127.0.0.1:5432/osprey_bench_breakdown",
)
N = int(os.environ.get("OSPREY_BENCH_BREAKDOWN_REQUESTS", "300"))


def lead_payload(n: int, i: int) -> dict[str, Any]:
    """The create of bench/api_leads.py: names alike enough that each create returns
    ten look-alikes, the most a create answers with."""
    return {
        "contact_name": f"Bench Contact {n}-{i}",
        "account_name": f"Bench Account {i % 97}",
        "email": f"bench{n}.{i}.{uuid.uuid4().hex[:6]}@example.com",
        "phone": f"+4420{random.randint(1000000, 9999999)}",
        "source": "web",
    }


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def postgres_cpu_seconds(database: str) -> float:
    """CPU of the PostgreSQL backends serving ``database`` (other work on the machine
    left out; the WAL writer's share is not in it)."""
    total = 0.0
    marker = f" {database} ".encode()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                line = f.read()
            if line.startswith(b"postgres:") and marker in line:
                total += cpu_seconds(int(entry))
        except OSError:
            continue
    return total


def median(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[len(ordered) // 2]


def interleaved(kinds: dict[str, Any], rounds: int = 6) -> dict[str, dict]:
    """Run each kind (a callable of ``requests`` giving run_load's figures) in turn,
    ``rounds`` times, so the machine's load changes hit all alike; each kind's p50 is
    the median of its rounds' p50s."""
    runs: dict[str, list[dict]] = {name: [] for name in kinds}
    for _ in range(rounds):
        for name, run in kinds.items():
            runs[name].append(run(max(1, N // rounds)))
    return {
        name: {
            "p50_ms": round(median([r["p50_ms"] for r in results]), 2),
            "p99_ms": round(median([r["p99_ms"] for r in results]), 2),
            "requests": sum(r["requests"] for r in results),
            "rounds": rounds,
        }
        for name, results in runs.items()
    }


def has_statements(engine: sa.Engine) -> bool:
    with engine.connect() as conn:
        loaded = conn.execute(sa.text("SHOW shared_preload_libraries")).scalar_one()
        if "pg_stat_statements" not in loaded:
            return False
        conn.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_stat_statements"))
        conn.commit()
    return True


def reset_statements(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        conn.execute(sa.text("SELECT pg_stat_statements_reset()"))


def statements(engine: sa.Engine, per: int) -> list[dict[str, Any]]:
    """The statements run in this database since the reset, per request."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT calls, total_exec_time, mean_exec_time, query FROM pg_stat_statements"
                " WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())"
                " AND query NOT LIKE '%pg_stat_statements%' ORDER BY total_exec_time DESC"
            )
        ).all()
    return [
        {
            "per_request": round(row.calls / per, 2),
            "mean_ms": round(row.mean_exec_time, 3),
            "ms_per_request": round(row.total_exec_time / per, 3),
            "statement": " ".join(row.query.split())[:160],
        }
        for row in rows
        if row.calls >= per * 0.5
    ]


def explain(engine: sa.Engine, sql: str, params: dict[str, Any]) -> str:
    with engine.connect() as conn:
        conn.execute(sa.text("SELECT set_config('pg_trgm.similarity_threshold', '0.4', false)"))
        plan = conn.execute(sa.text(f"EXPLAIN (ANALYZE, BUFFERS) {sql}"), params).scalars()
        return "\n".join(plan)


def create_plans(engine: sa.Engine, lead_id: str, actor: dict[str, Any]) -> dict[str, str]:
    """``EXPLAIN (ANALYZE, BUFFERS)`` of the statements a GET and a create run, with
    the values one of them would bind (the INSERT is rolled back)."""
    from services.leads.duplicates_store import _CANDIDATES
    from services.leads.models import Lead, LeadNameKey, LeadShare
    from services.leads.store import _INSERT_LEAD, _LEAD_COLUMNS, _LEAD_ROW
    from services.platform.access import Actor
    from services.platform.events import utcnow
    from services.platform.ids import new_id
    from services.platform.similar import Allowed, _nearest_records_statement

    def sql(statement: Any) -> str:
        text = getattr(statement, "element", statement)
        if hasattr(text, "text"):
            return text.text
        compiled = str(text.compile(dialect=engine.dialect))
        return compiled.replace("%(lead_id)s::UUID", "CAST(:lead_id AS uuid)")

    name = "Bench Contact 1-17"
    allowed = Allowed(
        Actor.from_dict(actor),
        Lead.id,
        Lead.owner_id,
        Lead.team_id,
        entity="leads",
        shares=LeadShare.__table__,
    )
    with engine.connect() as conn:
        seqs, similarities = conn.execute(
            sa.text(
                "SELECT array_agg(seq ORDER BY d, key), array_agg(1 - d ORDER BY d, key)"
                " FROM (SELECT seq, key, key <-> :name AS d FROM leads.lead_name_keys"
                " ORDER BY key <-> :name LIMIT 50) AS k"
            ),
            {"name": name},
        ).one()
    records = _nearest_records_statement(
        LeadNameKey.key,
        Lead.name_key,
        Lead.id,
        Lead.owner_id,
        Lead.team_id,
        LeadShare.__table__.fullname,
    )
    now = utcnow()
    new_lead = {
        **dict.fromkeys(_LEAD_COLUMNS),
        **lead_payload(1, 10**6),
        "id": new_id(),
        "stage": "qualification",
        "owner_id": actor["id"],
        "version": 1,
        "score_reasons": "[]",
        "created_at": now,
        "updated_at": now,
        "created_by": actor["id"],
        "history_id": new_id(),
        "action": "create",
    }
    return {
        "get: the lead by id (ServiceSession.read)": explain(
            engine, sql(_LEAD_ROW), {"lead_id": lead_id}
        ),
        "create: the nearest names' readable records": explain(
            engine,
            sql(records),
            {
                **allowed.params(),
                "seqs": list(seqs or []),
                "similarities": list(similarities or []),
                "limit": 10,
            },
        ),
        "create: the candidates (exact email, exact phone, the names' ids)": explain(
            engine,
            sql(_CANDIDATES),
            {
                **allowed.params(),
                "email": "bench1.17@example.com",
                "phone": "+44201234567",
                "name_ids": [],
                "name": name,
                "company": "Bench Account 17",
                "exact_limit": 50,
            },
        ),
        "create: the lead and its first stage change (rolled back)": explain(
            engine, sql(_INSERT_LEAD), new_lead
        ),
    }


def bare_rpc(amqp_uri: str, method: str, make_args: Any, requests: int) -> dict:
    """``requests`` calls of ``leads.<method>`` one at a time through the gateway's client."""
    from gateway.rpc import RpcClient

    state: dict[str, RpcClient] = {}

    async def setup() -> None:
        state["rpc"] = RpcClient(amqp_uri, timeout=30)
        await state["rpc"].start()

    async def call(n: int, i: int) -> None:
        args, kwargs = make_args(n, i)
        await state["rpc"].call("leads", method, *args, **kwargs)

    async def teardown() -> None:
        await state["rpc"].close()

    return run_calls(1, requests, call, setup=setup, teardown=teardown, warmup=30)


def main() -> None:
    started = time.perf_counter()
    results: dict[str, Any] = {**run_info(), "load_average_before": loadavg()}
    fresh_database(DB)
    engine = create_db_engine(DB, poolclass=sa.pool.NullPool)
    with_statements = has_statements(engine)
    stack = Stack(DB, env={"OSPREY_LOG_LEVEL": "WARNING"})
    floor = Floor(stack)
    try:
        stack.start()
        floor.start()
        login = httpx.post(f"{stack.base_url}/api/v1/auth/login", json=stack.admin_credentials)
        login.raise_for_status()
        token, user = login.json()["token"], login.json()["user"]
        actor = httpx.get(
            f"{stack.base_url}/api/v1/me", headers={"Authorization": f"Bearer {token}"}
        ).json()
        actor = {**user, "permissions": actor.get("permissions", [])}

        def create(n: int, i: int) -> tuple[str, str, Any]:
            return ("POST", "/api/v1/leads", lead_payload(n, i))

        # warm every path (pools, caches, the name index) before anything is measured
        run_load(stack.base_url, token, 2, 60, lambda n, i: create(100 + n, i))
        lead_id = httpx.post(
            f"{stack.base_url}/api/v1/leads",
            json=lead_payload(99, 0),
            headers={"Authorization": f"Bearer {token}"},
        ).json()["id"]

        def get(n: int, i: int) -> tuple[str, str, Any]:
            return ("GET", f"/api/v1/leads/{lead_id}", None)

        counter = iter(range(10**9))  # every create its own name, HTTP or RPC
        figures: dict[str, Any] = interleaved(
            {
                "healthz": lambda k: run_load(
                    stack.base_url, None, 1, k, lambda n, i: ("GET", "/healthz", None), 10
                ),
                "floor_http": lambda k: floor.http(1, k, warmup=10),
                "floor_rpc": lambda k: floor.rpc(1, k, warmup=10),
                "get_http": lambda k: run_load(stack.base_url, token, 1, k, get, warmup=10),
                "get_rpc": lambda k: bare_rpc(
                    stack.amqp_uri, "get_lead", lambda n, i: ((lead_id,), {"actor": actor}), k
                ),
                "create_http": lambda k: run_load(
                    stack.base_url,
                    token,
                    1,
                    k,
                    lambda n, i: ("POST", "/api/v1/leads", lead_payload(1, next(counter))),
                    warmup=10,
                ),
                "create_rpc": lambda k: bare_rpc(
                    stack.amqp_uri,
                    "create_lead",
                    lambda n, i: ((lead_payload(1, next(counter)),), {"actor": actor}),
                    k,
                ),
            }
        )

        # each statement of a GET and of a create, and the CPU of every process per create
        if with_statements:
            reset_statements(engine)
        run_load(stack.base_url, token, 1, N, get)
        get_statements = statements(engine, N) if with_statements else []
        pids = {name: process.pid for name, process in stack.processes.items() if process.pid}
        before = {name: cpu_seconds(pid) for name, pid in pids.items()}
        postgres_before = postgres_cpu_seconds(engine.url.database)
        if with_statements:
            reset_statements(engine)
        figures["create_http_cpu_run"] = run_load(
            stack.base_url,
            token,
            1,
            N,
            lambda n, i: ("POST", "/api/v1/leads", lead_payload(1, next(counter))),
        )
        # what the creates set going (the outbox relay, the feed) ends within a second
        time.sleep(1.0)
        cpu = {
            name: round((cpu_seconds(pid) - before[name]) / N * 1000, 2)
            for name, pid in pids.items()
        }
        cpu["postgres (this database's backends)"] = round(
            (postgres_cpu_seconds(engine.url.database) - postgres_before) / N * 1000, 2
        )
        create_statements = statements(engine, N) if with_statements else []

        plans = create_plans(engine, lead_id, actor)
    finally:
        floor.stop()
        stop_all(stack)
        engine.dispose()

    results["figures"] = figures
    results["cpu_ms_per_create"] = cpu
    results["statements"] = {"get": get_statements, "create": create_statements}
    results["plans"] = plans
    results["load_average_after"] = loadavg()
    results["wall_s"] = round(time.perf_counter() - started, 1)
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "breakdown.json").write_text(json.dumps(results, indent=2) + "\n")
    report(results, with_statements)


def report(results: dict[str, Any], with_statements: bool) -> None:
    f = results["figures"]

    def p50(key: str) -> float:
        return f[key]["p50_ms"]

    print(
        f"breakdown {results['date']} {results['commit']}, load "
        f"{results['load_average_before'][0]} -> {results['load_average_after'][0]}, "
        f"one request at a time (p50 of {N})"
    )
    for kind in ("create", "get"):
        http, rpc = p50(f"{kind}_http"), p50(f"{kind}_rpc")
        print(f"\n{kind}: {http:.2f} ms through HTTP ({http / p50('floor_http'):.2f}x floor)")
        print(
            f"  HTTP, auth and the gateway's work  {http - rpc:6.2f} ms"
            f"  (the HTTP floor adds {p50('floor_http') - p50('floor_rpc'):.2f} over its RPC;"
            f" /healthz {p50('healthz'):.2f})"
        )
        print(f"  RPC round trip (the bare floor)    {p50('floor_rpc'):6.2f} ms")
        print(f"  the service's own work             {rpc - p50('floor_rpc'):6.2f} ms")
        if with_statements:
            rows = results["statements"][kind]
            in_db = sum(r["ms_per_request"] for r in rows)
            print(f"    of which inside PostgreSQL       {in_db:6.2f} ms:")
            for r in rows:
                print(
                    f"      {r['per_request']:5.2f} x {r['mean_ms']:7.3f} ms  {r['statement'][:90]}"
                )
    cpu = results["cpu_ms_per_create"]
    print("\nCPU per create, ms: " + ", ".join(f"{k} {v}" for k, v in cpu.items() if v))
    if not with_statements:
        print(
            "\n(no pg_stat_statements: ALTER SYSTEM SET shared_preload_libraries ="
            " 'pg_stat_statements' and restart PostgreSQL to see each statement)"
        )
    for title, plan in results["plans"].items():
        print(f"\nEXPLAIN (ANALYZE, BUFFERS) — {title}\n{plan}")


if __name__ == "__main__":
    main()
