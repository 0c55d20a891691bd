"""Spreadsheet import of leads (issue 16): rows per second and peak memory, beside a
PostgreSQL ``COPY`` of the same rows in the same run as the floor.

    .venv/bin/python bench/imports.py [--rows 100000] [--formats csv,xlsx]

Starts the gateway and the identity, leads, sales and imports services as their own
processes on a fresh database (``OSPREY_BENCH_IMPORTS_DATABASE_URL``, default
``osprey_bench_imports``). Writes ``--rows`` leads (names of bench/names.py, a unique
email each, a phone, a company, a source) to a CSV and to an xlsx (XlsxWriter), then
for each file: uploads it through ``POST /api/v1/imports``, sets the email duplicate
check on (``match_on: [email]``, ``skip``), starts it and waits for ``done``. Measured:
the upload, the import (start to done) in rows/s, and the peak resident memory
(``VmHWM``) of the imports service, the leads service and the gateway. The floor: the
same rows COPYed into a table shaped like ``leads.leads`` (and emptied after).
Results: ``bench/results/imports.json``.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import random
import sys
import tempfile
import time
import uuid
import warnings
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

import httpx  # noqa: E402
import sqlalchemy as sa  # noqa: E402
import xlsxwriter  # noqa: E402

from bench.api_leads import run_info  # noqa: E402
from bench.imports_probe import Probe  # noqa: E402
from bench.load import loadavg  # noqa: E402
from bench.names import NameMix  # noqa: E402
from bench.seed import fresh_database  # noqa: E402
from services.platform.db import create_db_engine  # noqa: E402
from tests.support.stack import Stack, StackError, service_command, wait_until  # noqa: E402

DB = "postgresql://postgres@127.0.0.1:5432/osprey_bench_imports"
SERVICES = ("identity", "leads", "sales", "imports")
#: the consumers of the leads' events, which must see every imported lead
CONSUMERS = ("audit", "analytics", "feed", "processes")
RESULTS = ROOT / "bench" / "results" / "imports.json"
HEADER = ["Name", "Company", "Email", "Phone", "Source"]


class ImportStack(Stack):
    """The gateway and :data:`SERVICES`; ready once a login works."""

    def __init__(
        self, url: str, services: tuple[str, ...] = SERVICES, env: dict[str, str] | None = None
    ):
        super().__init__(
            url,
            services={name: service_command(name) for name in services},
            env={
                "OSPREY_LOG_LEVEL": "WARNING",
                "OSPREY_IMPORT_MAX_BYTES": str(2**31),
                **(env or {}),
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

        wait_until(ready, timeout or self.ready_timeout, "the import stack", 0.2)


def make_rows(count: int, seed: int = 16, tag: str = "a") -> list[list[str]]:
    rng = random.Random(seed)
    firsts, lasts = NameMix(rng).draw(rng, count)
    rows = []
    for i in range(count):
        name = f"{firsts[i]} {lasts[i]}"
        rows.append([
            name, f"Company {i % 5000}", f"lead{i}.{tag}@bench{i % 997}.test",
            f"+44 20 {10000000 + i}", rng.choice(("web", "fair", "call", "partner")),
        ])  # fmt: skip
    return rows


def write_file(rows: list[list[str]], path: Path) -> Path:
    if path.suffix == ".csv":
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(HEADER)
            writer.writerows(rows)
        return path
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, HEADER)
    for number, row in enumerate(rows, start=1):
        sheet.write_row(number, 0, row)
    book.close()
    return path


def copy_floor(url: str, rows: list[list[str]], owner_id: str) -> dict[str, float]:
    """The same rows COPYed into a table shaped like ``leads.leads`` (ids, owner, stage
    and times as an import sets them)."""
    buffer = io.StringIO()
    now = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())
    for name, company, email, phone, source in rows:
        buffer.write("\t".join([str(uuid.uuid4()), name, company, email, phone, source,
                                "qualification", owner_id, now, now, owner_id]) + "\n")  # fmt: skip
    buffer.seek(0)
    engine = create_db_engine(url, poolclass=sa.pool.NullPool)
    raw = engine.raw_connection()
    try:
        with raw.cursor() as cur:
            cur.execute(
                "CREATE TABLE leads.copy_floor (LIKE leads.leads INCLUDING DEFAULTS"
                " INCLUDING INDEXES)"
            )
            raw.commit()
            started = time.perf_counter()
            cur.copy_expert(
                "COPY leads.copy_floor (id, contact_name, account_name, email, phone, source,"
                " stage, owner_id, created_at, updated_at, created_by) FROM STDIN",
                buffer,
            )
            raw.commit()
            seconds = time.perf_counter() - started
            cur.execute("DROP TABLE leads.copy_floor")
            raw.commit()
    finally:
        raw.close()
        engine.dispose()
    return {"seconds": round(seconds, 2), "rows_per_s": round(len(rows) / seconds, 1)}


def statements_reset(url: str) -> None:
    """Forget this database's statement statistics (``pg_stat_statements``, when loaded)."""
    engine = create_db_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_stat_statements"))
            conn.execute(sa.text(
                "SELECT pg_stat_statements_reset(0, (SELECT oid FROM pg_database"
                " WHERE datname = current_database()), 0)"
            ))  # fmt: skip
    except sa.exc.DBAPIError:
        pass
    finally:
        engine.dispose()


def top_statements(url: str, count: int = 12) -> list[dict[str, Any]]:
    """This database's statements by their total time since :func:`statements_reset`:
    where PostgreSQL's time went during an import."""
    engine = create_db_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.begin() as conn:
            rows = conn.execute(sa.text(
                "SELECT calls, rows, round(total_exec_time::numeric, 1) AS ms,"
                " round(mean_exec_time::numeric, 2) AS mean_ms, left(query, 160) AS query"
                " FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database"
                " WHERE datname = current_database()) ORDER BY total_exec_time DESC"
                " LIMIT :n"
            ), {"n": count}).all()  # fmt: skip
    except sa.exc.DBAPIError:
        return []
    finally:
        engine.dispose()
    return [
        {"calls": r.calls, "rows": r.rows, "ms": float(r.ms), "mean_ms": float(r.mean_ms),
         "query": " ".join(r.query.split())}
        for r in rows
    ]  # fmt: skip


def cpu_seconds(pid: int) -> float:
    """User and system CPU of one process, in seconds."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def postgres_cpu() -> float:
    """The CPU of every PostgreSQL process on the machine (other engineers' too)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() in ("postgres", "postmaster"):
                    total += cpu_seconds(int(entry.name))
            except OSError:
                continue
    return total


def cpu_snapshot(stack: Stack) -> dict[str, float]:
    shot = {name: cpu_seconds(p.pid) for name, p in stack.processes.items() if p.pid}
    shot["postgres (all)"] = postgres_cpu()
    return shot


def peak_rss_mb(pid: int | None) -> float | None:
    if pid is None:
        return None
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def probe_alone(client: httpx.Client, seconds: float) -> dict[str, Any]:
    """The same requests as during an import, with no import running: what the
    machine's own load makes of them, minutes apart from the import's figures."""
    probe = Probe(str(client.base_url), client.headers["Authorization"].split()[1])
    probe.start()
    time.sleep(seconds)
    probe.stop()
    return probe.figures()


def run_import(client: httpx.Client, path: Path, rows: int) -> dict[str, Any]:
    started = time.perf_counter()
    with path.open("rb") as handle:
        response = client.post(
            "/api/v1/imports", data={"entity": "leads"},
            files={"file": (path.name, handle, "application/octet-stream")}, timeout=600,
        )  # fmt: skip
    response.raise_for_status()
    uploaded = time.perf_counter() - started
    job = response.json()
    client.patch(f"/api/v1/imports/{job['id']}",
                 json={"options": {"match_on": ["email"], "on_duplicate": "skip"}}
                 ).raise_for_status()  # fmt: skip
    probe = Probe(str(client.base_url), client.headers["Authorization"].split()[1])
    probe.start()
    begun = time.perf_counter()
    client.post(f"/api/v1/imports/{job['id']}/start").raise_for_status()
    job_id = job["id"]
    while True:
        time.sleep(1)
        try:
            answer = client.get(f"/api/v1/imports/{job_id}")
        except httpx.HTTPError as error:  # a busy machine: asked again
            print("progress not read:", error, flush=True)
            continue
        if answer.status_code != 200:
            print("progress not read:", answer.status_code, answer.text[:200], flush=True)
            continue
        job = answer.json()
        if job["status"] in ("done", "failed"):
            break
    seconds = time.perf_counter() - begun
    probe.stop()
    return {
        "during_import": probe.figures(),
        "status": job["status"],
        "error": job["error"],
        "progress": job["progress"],
        "counts": job["counts"],
        "file_mb": round(path.stat().st_size / 2**20, 1),
        "upload_s": round(uploaded, 1),
        "import_s": round(seconds, 1),
        "rows_per_s": round(rows / seconds, 1),
    }


#: what each consumer keeps of an imported lead, counted until it has them all
_KEPT = {
    "audit": "SELECT count(*) FROM audit.entries WHERE entity = 'lead' AND action = 'created'",
    "analytics": "SELECT count(*) FROM analytics.records WHERE entity = 'lead'",
    "feed": "SELECT count(*) FROM feed.record_refs WHERE type = 'lead'",
}


def consumers_caught_up(url: str, created: int, timeout: float = 3600) -> dict[str, Any]:
    """Seconds from the import's end until audit, analytics and the feed each keep every
    created lead (the probe's own leads count too, so at least ``created``)."""
    engine = create_db_engine(url, poolclass=sa.pool.NullPool)
    started = time.perf_counter()
    out: dict[str, Any] = {}
    try:
        while len(out) < len(_KEPT) and time.perf_counter() - started < timeout:
            with engine.connect() as conn:
                for name, sql in _KEPT.items():
                    if name not in out and conn.execute(sa.text(sql)).scalar_one() >= created:
                        out[name] = round(time.perf_counter() - started, 1)
            time.sleep(1)
    finally:
        engine.dispose()
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--formats", default="csv,xlsx")
    parser.add_argument("--out", default=str(RESULTS), help="where the figures go")
    parser.add_argument(
        "--floor-rows", type=int, default=0,
        help="COPY only the first rows for the floor (0: all; a busy machine's million takes long)",
    )  # fmt: skip
    parser.add_argument(
        "--probe-seconds", type=float, default=30,
        help="how long the requests are timed without an import, before it",
    )  # fmt: skip
    parser.add_argument(
        "--duty", type=float, default=None,
        help="OSPREY_IMPORT_DUTY for the imports service (default: the service's own)",
    )  # fmt: skip
    parser.add_argument(
        "--lead-batch-rows", type=int, default=None,
        help="OSPREY_IMPORT_LEAD_BATCH_ROWS for the imports service (default: its own)",
    )  # fmt: skip
    parser.add_argument(
        "--no-consumers", action="store_true",
        help="without audit, analytics, feed and processes (the leads events' consumers)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    url = os.environ.get("OSPREY_BENCH_IMPORTS_DATABASE_URL", DB)
    out = Path(args.out)
    info = {**run_info(), "rows": args.rows, "load_before": loadavg()}
    formats = args.formats.split(",")
    # each file its own people (other emails): the second imports beside the first's
    rows = {fmt: make_rows(args.rows, 16 + n, fmt) for n, fmt in enumerate(formats)}
    folder = Path(tempfile.mkdtemp(prefix="osprey-bench-imports-"))
    files = {fmt: write_file(rows[fmt], folder / f"leads.{fmt}") for fmt in formats}
    fresh_database(url)
    results: dict[str, Any] = {}
    services = SERVICES if args.no_consumers else SERVICES + CONSUMERS
    info["services"] = list(services)
    env = {}
    if args.duty is not None:
        env["OSPREY_IMPORT_DUTY"] = str(args.duty)
    if args.lead_batch_rows is not None:
        env["OSPREY_IMPORT_LEAD_BATCH_ROWS"] = str(args.lead_batch_rows)
    info["settings"] = env
    with ImportStack(url, services, env) as stack:
        login = httpx.post(
            f"{stack.base_url}/api/v1/auth/login", json=stack.admin_credentials, timeout=120
        )
        token = login.json()["token"]
        owner = login.json()["user"]["id"]
        floor_rows = rows[formats[0]][: args.floor_rows or None]
        results["copy_floor"] = {**copy_floor(url, floor_rows, owner), "rows": len(floor_rows)}
        print("COPY floor:", results["copy_floor"], flush=True)
        with httpx.Client(base_url=stack.base_url, timeout=60,
                          headers={"Authorization": f"Bearer {token}"}) as client:  # fmt: skip
            results["requests_without_import"] = probe_alone(client, args.probe_seconds)
            print("without an import:", results["requests_without_import"], flush=True)
            for fmt in formats:
                statements_reset(url)
                before = cpu_snapshot(stack)
                figure = run_import(client, files[fmt], args.rows)
                after = cpu_snapshot(stack)
                figure["statements"] = top_statements(url)
                figure["cpu_s"] = {k: round(after[k] - before.get(k, 0), 1) for k in after}
                figure["floor_share"] = round(
                    figure["rows_per_s"] / results["copy_floor"]["rows_per_s"], 4
                )
                figure["peak_rss_mb"] = {
                    name: peak_rss_mb(stack.processes[name].pid)
                    for name in ("imports", "leads", "gateway")
                }
                if not args.no_consumers:
                    created = sum(
                        r["counts"].get("created", 0) for r in (*results.values(), figure)
                        if isinstance(r, dict) and "counts" in r
                    )  # fmt: skip
                    figure["consumers"] = consumers_caught_up(url, created)
                    figure["consumers"]["peak_rss_mb"] = {
                        name: peak_rss_mb(stack.processes[name].pid) for name in CONSUMERS
                    }
                figure["leads_before"] = sum(
                    results[f]["counts"].get("created", 0) for f in formats if f in results
                )
                figure["requests_after"] = probe_alone(client, args.probe_seconds)
                results[fmt] = figure
                print(fmt, figure, flush=True)
                # kept after each file: a long run stopped half-way keeps what it measured
                write_results({**info, "load_after": loadavg(), "results": results}, out)
    info["load_after"] = loadavg()
    write_results({**info, "results": results}, out)
    print(json.dumps({**info, "results": results}, indent=2))


def write_results(data: dict[str, Any], out: Path = RESULTS) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(data, indent=2) + "\n")


if __name__ == "__main__":
    main()
