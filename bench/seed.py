"""What the benchmarks share: a freshly migrated database and leads bulk-loaded by COPY."""

from __future__ import annotations

import io
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

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


class RowStream(io.TextIOBase):
    """COPY text read from an iterator of rows (lists of strings, None for NULL), so a
    million rows are never all in memory at once."""

    def __init__(self, rows: Iterator[list[str | None]]) -> None:
        self._rows = rows
        self._buffer = ""

    @staticmethod
    def _line(row: list[str | None]) -> str:
        fields = (
            "\\N"
            if value is None
            else value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
            for value in row
        )
        return "\t".join(fields) + "\n"

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> str:
        parts = [self._buffer]
        length = len(self._buffer)
        for row in self._rows:
            line = self._line(row)
            parts.append(line)
            length += len(line)
            if size is not None and 0 <= size <= length:
                break
        text = "".join(parts)
        if size is None or size < 0:
            self._buffer = ""
            return text
        self._buffer = text[size:]
        return text[:size]


def bulk_copy(url: str, schema: str, tables: list[str], copies: list[tuple[str, Any]]) -> dict:
    """Run ``copies`` — ``(COPY ... FROM STDIN, file)`` pairs, each one statement, so a
    statement trigger sees all its rows at once — with the secondary indexes and the
    foreign keys of ``tables`` dropped first and made again after (far faster than
    keeping them up to date row by row), then ``VACUUM (ANALYZE)`` each table as
    autovacuum would soon after (statistics, and the visibility map index-only scans
    need). Returns how long copying, indexing and vacuuming took, in seconds."""
    timings: dict[str, float] = {}
    names = ", ".join(f"'{t}'" for t in tables)
    engine = create_db_engine(url, poolclass=sa.pool.NullPool)
    raw = engine.raw_connection()
    try:
        with raw.cursor() as cur:
            cur.execute(
                "SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid)"
                " FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid"
                " JOIN pg_namespace n ON n.oid = t.relnamespace"
                f" WHERE c.contype = 'f' AND n.nspname = %s AND t.relname IN ({names})",
                (schema,),
            )
            foreign_keys = cur.fetchall()
            for table, name, _definition in foreign_keys:
                cur.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
            cur.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = %s"
                f" AND tablename IN ({names}) AND indexname NOT LIKE 'pk_%%'",
                (schema,),
            )
            indexes = cur.fetchall()
            for name, _definition in indexes:
                cur.execute(f'DROP INDEX {schema}."{name}"')
            raw.commit()
            started = time.perf_counter()
            for statement, stream in copies:
                cur.copy_expert(statement, stream)
                raw.commit()
            timings["copy_s"] = round(time.perf_counter() - started, 1)
            started = time.perf_counter()
            cur.execute("SET maintenance_work_mem = '1GB'")
            for _name, definition in indexes:
                cur.execute(definition)
                raw.commit()
            for table, name, definition in foreign_keys:
                cur.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
                raw.commit()
            timings["index_s"] = round(time.perf_counter() - started, 1)
            started = time.perf_counter()
            raw.dbapi_connection.autocommit = True
            for table in tables:
                cur.execute(f"VACUUM (ANALYZE) {schema}.{table}")
            raw.dbapi_connection.autocommit = False
            timings["vacuum_s"] = round(time.perf_counter() - started, 1)
    finally:
        raw.close()
        engine.dispose()
    return timings
