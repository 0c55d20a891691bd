"""Benchmark: likely duplicates of a contact among 1,000,000 (``GET /contacts/{id}/similar``).

Starts every service and the gateway as their own processes against a database of
its own (``OSPREY_BENCH_SIMILAR_DATABASE_URL``, default ``.../osprey_bench_similar``,
dropped and migrated afresh), bulk-loads ``OSPREY_BENCH_CONTACTS`` contacts
(default 1,000,000) with ``COPY`` and then asks for the similar contacts of a few
thousand random ones through the real gateway and sales service, with 1 and with 8
concurrent clients.

The contacts look like a real address book: full names drawn from a few thousand
first and last names with a long tail (a few very common names match thousands of
rows under pg_trgm's ``%``, most names few), work emails and phones, and about 2%
true duplicates (the same person again, spelt a little differently, with the same
email or phone). Run: ``.venv/bin/python bench/similar_contacts.py``; it prints a
JSON summary and writes it to ``bench/results/similar_contacts.json``.
"""

from __future__ import annotations

import io
import json
import os
import platform
import random
import statistics
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from bench.names import NameMix, misspell  # noqa: E402
from bench.seed import fresh_database, wait_for_name_index  # noqa: E402
from services.platform.db import create_db_engine  # noqa: E402
from tests.support.stack import Stack  # noqa: E402

DB = os.environ.get(
    "OSPREY_BENCH_SIMILAR_DATABASE_URL",
    "postgresql://postgres@127.0.0.1:5432/osprey_bench_similar",
)
ROWS = int(os.environ.get("OSPREY_BENCH_CONTACTS", "1000000"))
SAMPLE = int(os.environ.get("OSPREY_BENCH_SIMILAR_SAMPLE", "3000"))
SEED = 20261126

DOMAINS = tuple(
    f"{word}.{tld}"
    for word in [
        "acme",
        "northwind",
        "initech",
        "globex",
        "umbrella",
        "stark",
        "wayne",
        "tyrell",
        "cyberdyne",
        "soylent",
        "hooli",
        "vandelay",
        "wonka",
        "gringotts",
        "oscorp",
        "nakatomi",
        "dunder",
        "monarch",
        "pied",
        "aperture",
    ]
    for tld in ("com", "io", "de", "no", "co.uk", "fr", "it", "es", "nl", "se")
)


def contact_rows(rows: int, owner_id: str) -> io.StringIO:
    """``rows`` contacts as COPY text: names, one or two emails, a phone, 2% duplicates."""
    rng = random.Random(SEED)
    firsts, lasts = NameMix(rng).draw(rng, rows)
    now = datetime.now(UTC)
    buf = io.StringIO()
    made: list[tuple[str, str, str]] = []  # (full name, email, phone) to copy from
    for i in range(rows):
        if made and rng.random() < 0.02:
            # A true duplicate: the same person again, the name spelt a little
            # differently, with the same email or the same phone.
            name, email, phone = rng.choice(made)
            name = misspell(rng, name)
            if rng.random() < 0.5:
                phone = f"+4420{rng.randrange(10**7, 10**8)}"
            else:
                email = f"{name.split()[0].lower()}.{i}@{rng.choice(DOMAINS)}"
        else:
            name = f"{firsts[i]} {lasts[i]}"
            local = f"{firsts[i]}.{lasts[i]}".lower()
            email = f"{local}{i}@{rng.choice(DOMAINS)}"
            phone = f"+4420{rng.randrange(10**7, 10**8)}"
            if len(made) < 200_000:
                made.append((name, email, phone))
        emails = [{"email": email, "kind": "work", "is_primary": True}]
        if rng.random() < 0.2:
            emails.append({"email": f"{i}@mail.example", "kind": "personal", "is_primary": False})
        phones = [{"phone": phone, "kind": "work", "is_primary": True}]
        created = (now - timedelta(seconds=rows - i)).isoformat()
        fields = [
            str(uuid.uuid4()),
            name,
            json.dumps(emails),
            json.dumps(phones),
            owner_id,
            created,
            created,
            owner_id,
        ]
        buf.write("\t".join(fields) + "\n")
    buf.seek(0)
    return buf


def load_contacts(url: str, rows: int, owner_id: str) -> dict[str, float]:
    """COPY ``rows`` contacts into sales.contacts: indexes dropped first and built
    again after (much faster than keeping them up to date row by row); no outbox rows.
    Returns how long generating, copying and indexing took."""
    timings: dict[str, float] = {}
    started = time.perf_counter()
    buf = contact_rows(rows, owner_id)
    timings["generate_s"] = round(time.perf_counter() - started, 1)
    engine = create_db_engine(url, poolclass=sa.pool.NullPool)
    raw = engine.raw_connection()
    try:
        with raw.cursor() as cur:
            # The contacts' indexes and the name keys' trigram index (the keys come
            # from the trigger on contacts, one statement for the whole COPY).
            cur.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'sales'"
                " AND tablename IN ('contacts', 'contact_name_keys')"
                " AND indexname NOT LIKE 'pk_%'"
            )
            indexes = cur.fetchall()
            for name, _definition in indexes:
                cur.execute(f'DROP INDEX sales."{name}"')
            started = time.perf_counter()
            cur.copy_expert(
                "COPY sales.contacts (id, full_name, emails, phones, owner_id, created_at,"
                " updated_at, created_by) FROM STDIN",
                buf,
            )
            raw.commit()
            timings["copy_s"] = round(time.perf_counter() - started, 1)
            started = time.perf_counter()
            cur.execute("SET maintenance_work_mem = '1GB'")
            for _name, definition in indexes:
                cur.execute(definition)
                raw.commit()
            # VACUUM as autovacuum would soon after: statistics, and a visibility map
            # so the name-key lookups read the (name_key, id) index alone.
            raw.commit()
            raw.dbapi_connection.autocommit = True
            cur.execute("VACUUM (ANALYZE) sales.contacts")
            cur.execute("VACUUM (ANALYZE) sales.contact_name_keys")
            raw.dbapi_connection.autocommit = False
            timings["index_s"] = round(time.perf_counter() - started, 1)
    finally:
        raw.close()
        engine.dispose()
    return timings


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def run_load(base_url: str, token: str, clients: int, ids: list[str]) -> dict:
    """GET the similar contacts of every id in ``ids``, spread over ``clients`` threads,
    each with its own keep-alive connection."""
    latencies: list[float] = []
    found: list[int] = []
    errors: list[str] = []
    lock = threading.Lock()
    shares = [ids[n::clients] for n in range(clients)]

    def worker(share: list[str]) -> None:
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=base_url, headers=headers, timeout=30) as client:
            for contact_id in share:
                start = time.perf_counter()
                response = client.get(f"/api/v1/contacts/{contact_id}/similar")
                elapsed = time.perf_counter() - start
                with lock:
                    latencies.append(elapsed)
                    if response.status_code != 200:
                        errors.append(f"{response.status_code} {response.text[:200]}")
                    else:
                        found.append(len(response.json()))

    threads = [threading.Thread(target=worker, args=(share,)) for share in shares]
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
        "p95_ms": round(percentile(latencies, 0.95) * 1000, 1),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 1),
        "max_ms": round(max(latencies) * 1000, 1),
        "mean_candidates": round(statistics.mean(found), 2),
    }


def sample_ids(url: str, count: int) -> tuple[list[str], dict[str, int]]:
    """``count`` random contact ids, and how many contacts share the most common name."""
    engine = create_db_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            ids = list(
                conn.execute(
                    sa.text(
                        "SELECT id::text FROM sales.contacts TABLESAMPLE SYSTEM (1)"
                        " ORDER BY random() LIMIT :n"
                    ),
                    {"n": count},
                ).scalars()
            )
            top = conn.execute(
                sa.text(
                    "SELECT full_name, count(*) AS n FROM sales.contacts"
                    " GROUP BY full_name ORDER BY n DESC LIMIT 1"
                )
            ).one()
            conn.execute(sa.text("SELECT set_config('pg_trgm.similarity_threshold', '0.4', false)"))
            trigram_matches = conn.execute(
                sa.text("SELECT count(*) FROM sales.contacts WHERE full_name % :n"),
                {"n": top.full_name},
            ).scalar_one()
    finally:
        engine.dispose()
    random.Random(SEED).shuffle(ids)
    return ids, {
        "most_common_name_rows": int(top.n),
        "most_common_name_trigram_matches": int(trigram_matches),
    }


def main() -> None:
    load_before = os.getloadavg()
    fresh_database(DB)
    results: dict = {
        "machine": f"{os.cpu_count()} cores (shared), {platform.python_implementation()} "
        f"{platform.python_version()}, {platform.machine()}",
        "date": datetime.now(UTC).date().isoformat(),
        "load_average_before": [round(x, 2) for x in load_before],
    }
    with Stack(DB, env={"OSPREY_LOG_LEVEL": "WARNING"}) as stack:
        login = httpx.post(f"{stack.base_url}/api/v1/auth/login", json=stack.admin_credentials)
        login.raise_for_status()
        token = login.json()["token"]
        admin_id = login.json()["user"]["id"]

        results["contacts_loaded"] = ROWS
        results["load"] = load_contacts(DB, ROWS, admin_id)
        results["name_index"] = wait_for_name_index(
            DB, stack.base_url, token, "sales", "sales.contact_name_keys"
        )
        ids, names = sample_ids(DB, SAMPLE + 200)
        results.update(names)
        warm, ids = ids[:200], ids[200:]

        run_load(stack.base_url, token, 2, warm)  # connections, pools, caches
        results["similar_1_client"] = run_load(stack.base_url, token, 1, ids[: SAMPLE // 3])
        results["similar_8_clients"] = run_load(stack.base_url, token, 8, ids)
        results["load_average_after"] = [round(x, 2) for x in os.getloadavg()]

    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "similar_contacts.json").write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
