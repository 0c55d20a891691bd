"""What the benchmarks share: a freshly migrated database and leads bulk-loaded by COPY."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from services.platform.db import create_db_engine
from services.platform.migrations import create_database, migrate
from services.platform.registry import SERVICES

STAGES = ("qualification", "distribution", "handoff", "nurturing", "disqualified")


def fresh_database(url: str) -> None:
    """Create the database if needed, drop every service schema, migrate afresh."""
    create_database(url)
    engine = create_db_engine(url, poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        for info in SERVICES:
            conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{info.name}" CASCADE'))
    engine.dispose()
    migrate(url)


def load_leads(url: str, rows: int, owner_id: str, accounts: int = 5000) -> None:
    """COPY ``rows`` leads owned by ``owner_id`` into the leads schema, one second apart
    (a list needs volume, not events, so no outbox rows are written)."""
    now = datetime.now(UTC)
    buf = io.StringIO()
    for i in range(rows):
        created = (now - timedelta(seconds=rows - i)).isoformat()
        fields = [
            str(uuid.uuid4()),
            f"Contact {i}",
            f"Account {i % accounts}",
            f"lead{i}@company{i % accounts}.example",
            f"+4420{1000000 + i}",
            "web",
            STAGES[i % len(STAGES)],
            owner_id,
            created,
            created,
            owner_id,
        ]
        buf.write("\t".join(fields) + "\n")
    buf.seek(0)
    engine = create_db_engine(url, poolclass=sa.pool.NullPool)
    raw = engine.raw_connection()
    try:
        with raw.cursor() as cur:
            cur.copy_expert(
                "COPY leads.leads (id, contact_name, account_name, email, phone, source, stage,"
                " owner_id, created_at, updated_at, created_by) FROM STDIN",
                buf,
            )
            cur.execute("ANALYZE leads.leads")
        raw.commit()
    finally:
        raw.close()
        engine.dispose()


def wait_for_name_index(url: str, base_url: str, token: str, service: str, table: str) -> dict:
    """Wait until ``service``'s in-memory name index holds every key of ``table`` (it
    rebuilds after a bulk load; until then the search answers from the table's trigram
    index). Returns the index's state, with how long the wait took."""
    import time

    import httpx

    engine = create_db_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            highest = conn.execute(sa.text(f"SELECT max(seq) FROM {table}")).scalar_one()
    finally:
        engine.dispose()
    started = time.perf_counter()
    headers = {"Authorization": f"Bearer {token}"}
    while True:
        response = httpx.get(f"{base_url}/api/v1/admin/name-indexes", headers=headers, timeout=30)
        response.raise_for_status()
        state = next(i for i in response.json()["items"] if i["service"] == service)
        if state["ready"] and (state["high_seq"] or 0) >= (highest or 0):
            return {**state, "waited_s": round(time.perf_counter() - started, 1)}
        if time.perf_counter() - started > 600:
            raise SystemExit(f"the {service} name index was not ready after 10 minutes: {state}")
        time.sleep(0.5)
