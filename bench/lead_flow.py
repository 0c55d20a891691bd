"""Benchmark: the lead process end to end, and the duplicate check at a million leads.

Starts every service and the gateway as processes against a fresh database
(``OSPREY_BENCH_DATABASE_URL``, default ``.../osprey_bench``) and measures:

1. leads qualified and handed off per second, end to end: ``POST /leads`` →
   ``POST /leads/{id}/qualify`` (a new contact and account from the lead, through the
   sales service) → ``POST /leads/{id}/handoff`` (the opportunity) → the lead seen
   ``converted`` (sales' event consumed by leads), with 1 and 4 concurrent clients;
2. the duplicate check on create with ``OSPREY_BENCH_LEADS`` leads loaded (default
   1,000,000, by COPY, names drawn from the long-tailed mix of ``bench/names.py`` that
   the similar-contacts benchmark uses too): ``POST /leads/check-duplicates`` and ``POST /leads``
   (which returns the look-alikes with the new lead), 4 clients.

Target for 2: p99 under 50 ms. Run: ``.venv/bin/python bench/lead_flow.py``; writes
``bench/results/lead_flow.json``.
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

from bench.load import percentile, run_load  # noqa: E402
from bench.names import NameMix  # noqa: E402
from bench.seed import fresh_database, wait_for_name_index  # noqa: E402
from services.platform.db import create_db_engine  # noqa: E402
from tests.support.stack import Stack  # noqa: E402

DB = os.environ.get(
    "OSPREY_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/osprey_bench"
)
LEADS = int(os.environ.get("OSPREY_BENCH_LEADS", "1000000"))
FLOW_LEADS = int(os.environ.get("OSPREY_BENCH_FLOW_LEADS", "200"))
#: ``OSPREY_BENCH_FLOW_LEADS=0`` skips part 1 (only the duplicate check at a million).

#: Company kinds after a last name: "Berg Group".
COMPANY_KINDS = ("Group", "Ltd", "GmbH", "Trading")


def load_leads(url: str, rows: int, owner_id: str) -> list[dict[str, str]]:
    """COPY ``rows`` leads with realistic names; some of them returned as probes."""
    rng = random.Random(11)
    mix = NameMix(rng)
    firsts, lasts = mix.draw(rng, rows)
    _, companies = mix.draw(rng, rows)
    now = datetime.now(UTC)
    buf = io.StringIO()
    probes: list[dict[str, str]] = []
    for i in range(rows):
        first, last = firsts[i], lasts[i]
        company = f"{companies[i]} {COMPANY_KINDS[i % len(COMPANY_KINDS)]}"
        email = f"{first.lower()}.{last.lower()}{i}@example.com"
        phone = f"+4420{1000000 + i}"
        when = (now - timedelta(seconds=rows - i)).isoformat()
        buf.write(
            "\t".join(
                [
                    str(uuid.uuid4()),
                    f"{first} {last}",
                    company,
                    email,
                    phone,
                    "website",
                    "qualification",
                    owner_id,
                    when,
                    when,
                    owner_id,
                ]
            )
            + "\n"
        )
        if i % (rows // 500 or 1) == 0:
            probes.append(
                {
                    "contact_name": f"{first} {last}",
                    "account_name": company,
                    "email": email,
                    "phone": phone,
                }
            )
    buf.seek(0)
    engine = create_db_engine(url, poolclass=sa.pool.NullPool)
    raw = engine.raw_connection()
    try:
        with raw.cursor() as cur:
            # Indexes dropped and built again after (much faster than row by row): the
            # leads' and the name keys' (filled by the trigger on leads, one statement).
            cur.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'leads'"
                " AND tablename IN ('leads', 'lead_name_keys') AND indexname NOT LIKE 'pk_%'"
            )
            indexes = cur.fetchall()
            for name, _definition in indexes:
                cur.execute(f'DROP INDEX leads."{name}"')
            cur.copy_expert(
                "COPY leads.leads (id, contact_name, account_name, email, phone, source, stage,"
                " owner_id, created_at, updated_at, created_by) FROM STDIN",
                buf,
            )
            raw.commit()
            cur.execute("SET maintenance_work_mem = '1GB'")
            for _name, definition in indexes:
                cur.execute(definition)
                raw.commit()
            # VACUUM as autovacuum would soon after: statistics, and a visibility map
            # so the name-key lookups read the (name_key, id) index alone.
            raw.commit()
            raw.dbapi_connection.autocommit = True
            cur.execute("VACUUM (ANALYZE) leads.leads")
            cur.execute("VACUUM (ANALYZE) leads.lead_name_keys")
            raw.dbapi_connection.autocommit = False
    finally:
        raw.close()
        engine.dispose()
    return probes


def lead_flow(base_url: str, token: str, clients: int, leads: int) -> dict:
    """Create → qualify → hand off → converted, ``leads`` of them over ``clients`` threads."""
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()

    def worker(n: int) -> None:
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=base_url, headers=headers, timeout=30) as client:
            for _ in range(leads // clients):
                tag = uuid.uuid4().hex[:10]
                start = time.perf_counter()
                lead = client.post(
                    "/api/v1/leads",
                    json={
                        "contact_name": f"Flow {tag}",
                        "account_name": f"Flow Co {tag}",
                        "email": f"flow.{tag}@example.com",
                        "need_type": "software",
                    },
                )
                steps = [lead]
                if lead.status_code == 201:
                    url = f"/api/v1/leads/{lead.json()['id']}"
                    steps.append(
                        client.post(
                            f"{url}/qualify",
                            json={"contact": {}, "account": {}, "allow_duplicates": True},
                        )
                    )
                    steps.append(client.post(f"{url}/handoff", json={}))
                    deadline = time.monotonic() + 30
                    while client.get(url).json().get("stage") != "converted":
                        if time.monotonic() > deadline:
                            steps.append(httpx.Response(599, text="not converted in 30 s"))
                            break
                        time.sleep(0.05)
                elapsed = time.perf_counter() - start
                with lock:
                    latencies.append(elapsed)
                    errors.extend(
                        f"{r.status_code} {r.text[:200]}" for r in steps if r.status_code >= 400
                    )

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    if errors:
        raise SystemExit(f"{len(errors)} failed steps, first: {errors[0]}")
    return {
        "clients": clients,
        "leads": len(latencies),
        "leads_per_s": round(len(latencies) / wall, 1),
        "p50_ms": round(percentile(latencies, 0.5) * 1000, 1),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 1),
    }


def main() -> None:
    fresh_database(DB)
    results: dict = {
        "machine": f"{os.cpu_count()} cores, {platform.python_implementation()} "
        f"{platform.python_version()}, {platform.machine()}",
        "date": datetime.now(UTC).date().isoformat(),
        "load_average_before": [round(x, 2) for x in os.getloadavg()],
    }
    with Stack(DB, env={"OSPREY_LOG_LEVEL": "WARNING"}) as stack:
        base = stack.base_url
        login = httpx.post(f"{base}/api/v1/auth/login", json=stack.admin_credentials, timeout=30)
        login.raise_for_status()
        token = login.json()["token"]
        admin_id = login.json()["user"]["id"]

        if FLOW_LEADS:
            lead_flow(base, token, 2, 10)  # warm-up
            results["flow_1_client"] = lead_flow(base, token, 1, FLOW_LEADS // 2)
            results["flow_4_clients"] = lead_flow(base, token, 4, FLOW_LEADS)

        probes = load_leads(DB, LEADS, admin_id)
        results["name_index"] = wait_for_name_index(
            DB, base, token, "leads", "leads.lead_name_keys"
        )
        results["leads_loaded"] = LEADS
        rng = random.Random(5)
        mix = NameMix(random.Random(11))

        def check(n: int, i: int) -> tuple[str, str, dict[str, Any]]:
            probe = dict(rng.choice(probes))
            if i % 2:  # half exact (email), half fuzzy (a name and company only)
                probe = {
                    "contact_name": probe["contact_name"],
                    "account_name": probe["account_name"],
                }
            return "POST", "/api/v1/leads/check-duplicates", probe

        def create(n: int, i: int) -> tuple[str, str, dict[str, Any]]:
            (first,), (last,) = mix.draw(rng, 1)
            body = {"contact_name": f"{first} {last}", "email": f"{uuid.uuid4().hex}@x.io"}
            return "POST", "/api/v1/leads", body

        run_load(base, token, 2, 40, check)  # warm-up
        results["check_duplicates_1_client"] = run_load(base, token, 1, 300, check)
        results["check_duplicates_4_clients"] = run_load(base, token, 4, 800, check)
        results["create_with_similar_4_clients"] = run_load(base, token, 4, 800, create)
        results["load_average_after"] = [round(x, 2) for x in os.getloadavg()]

    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "lead_flow.json").write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
