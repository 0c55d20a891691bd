"""Bulk actions' jobs (issue 21 point 6): records a second of a job on 2,000 leads,
through the API, optionally beside another checkout of Osprey in the same run.

    .venv/bin/python bench/bulk_actions.py [--records 2000] [--rounds 3]
        [--actions update,post] [--compare <label>=<checkout>] [--no-consumers]

For each checkout (this one, ``this``, and any ``--compare`` one, e.g. a worktree of an
older commit) a stack of its own — the gateway and :data:`SERVICES` as their own
processes, started from that checkout, on a fresh database migrated by its code
(``OSPREY_BENCH_BULK_DATABASE_URL`` with the label appended, default
``osprey_bench_bulk_<label>``) — makes ``--records`` leads through ``POST /leads``.
Both stacks stay up; the rounds alternate between them (a, b, a, b...) so both see the
same load. A round, per action: the leads' ids and versions read from the list, then
``POST /bulk-actions`` with all the ids and the versions (``update``: the notes
changed; ``post``: the same words on each lead's feed), its ``GET`` polled every 0.25 s
until ``done``; measured from the POST to the poll that sees it done, in records a
second. Every record must be ``done``. Beside each figure: the CPU each process used
(ms a record, from ``/proc``), the PostgreSQL commits of the stack's database and the
messages published on its RabbitMQ vhost a record (the statistics of PostgreSQL and of
the management API, read after they settle). Between rounds the event consumers are
let drain their queues. The load average is recorded before and after each round.
Results: ``bench/results/bulk_actions.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from bench.api_leads import run_info  # noqa: E402
from bench.load import loadavg  # noqa: E402
from services.platform.db import create_db_engine  # noqa: E402
from tests.support.stack import Stack, StackError, service_command, wait_until  # noqa: E402

DB = "postgresql://postgres@127.0.0.1:5432/osprey_bench_bulk"
#: the leads' owner, the jobs' runner, the feed, and the consumers of the leads' events
SERVICES = ("identity", "leads", "sales", "orders", "feed", "imports",
            "audit", "analytics", "processes")  # fmt: skip
CONSUMERS = ("audit", "analytics", "processes")
RESULTS = ROOT / "bench" / "results" / "bulk_actions.json"
POLL_SECONDS = 0.25


class BulkStack(Stack):
    """:data:`SERVICES` and the gateway started from ``checkout``; ready once a login
    works (an older checkout's ``/readyz`` may ask for services not started)."""

    def __init__(self, url: str, checkout: Path, services: tuple[str, ...]):
        super().__init__(
            url,
            services={name: service_command(name) for name in services},
            env={"OSPREY_LOG_LEVEL": "WARNING"},
        )
        for process in self.processes.values():
            # the same interpreter and environment, in the other checkout's directory
            process.argv = ["env", "-C", str(checkout), *process.argv]

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

        wait_until(ready, timeout or self.ready_timeout, "the bulk actions' stack", 0.2)


def migrate_fresh(url: str, checkout: Path) -> None:
    """The database made afresh by the checkout's own migrations."""
    code = "from bench.seed import fresh_database; import sys; fresh_database(sys.argv[1])"
    subprocess.run([sys.executable, "-c", code, url], cwd=checkout, check=True)


def cpu_seconds(pid: int | None) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, TypeError):
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


class Side:
    """One checkout's stack, its database and its signed-in client."""

    def __init__(self, label: str, checkout: Path, services: tuple[str, ...]):
        self.label = label
        self.checkout = checkout
        self.url = os.environ.get("OSPREY_BENCH_BULK_DATABASE_URL", DB) + f"_{label}"
        self.services = services
        self.stack: BulkStack | None = None
        self.client: httpx.Client | None = None
        self.tag = uuid.uuid4().hex[:8]
        self.commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=checkout, capture_output=True, text=True
        ).stdout.strip()

    def start(self) -> None:
        migrate_fresh(self.url, self.checkout)
        self.stack = BulkStack(self.url, self.checkout, self.services)
        self.stack.start()
        login = httpx.post(
            f"{self.stack.base_url}/api/v1/auth/login", json=self.stack.admin_credentials,
            timeout=60,
        )  # fmt: skip
        login.raise_for_status()
        self.client = httpx.Client(
            base_url=self.stack.base_url, timeout=120,
            headers={"Authorization": f"Bearer {login.json()['token']}"},
        )  # fmt: skip

    def stop(self) -> None:
        if self.client is not None:
            self.client.close()
        if self.stack is not None:
            self.stack.stop()

    def make_leads(self, count: int, clients: int = 8) -> None:
        assert self.stack is not None and self.client is not None
        numbers = iter(range(count))
        lock = threading.Lock()
        failures: list[str] = []

        def work() -> None:
            with httpx.Client(base_url=self.stack.base_url, timeout=60,
                              headers=dict(self.client.headers)) as client:  # fmt: skip
                while True:
                    with lock:
                        n = next(numbers, None)
                    if n is None:
                        return
                    body = {"contact_name": f"Bulk {self.tag} {n}",
                            "account_name": f"Company {n % 300}",
                            "email": f"bulk{n}.{self.tag}@bench{n % 97}.test"}  # fmt: skip
                    response = client.post("/api/v1/leads", json=body)
                    if response.status_code != 201:
                        failures.append(response.text[:200])

        threads = [threading.Thread(target=work) for _ in range(clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if failures:
            raise RuntimeError(f"{len(failures)} creates failed: {failures[0]}")

    def selection(self) -> tuple[list[str], dict[str, int]]:
        """The bench's leads, with their versions now."""
        assert self.client is not None
        ids, versions, cursor = [], {}, None
        while True:
            params: dict[str, Any] = {"q": f"Bulk {self.tag}", "limit": 200}
            if cursor:
                params["cursor"] = cursor
            page = self.client.get("/api/v1/leads", params=params)
            page.raise_for_status()
            body = page.json()
            for lead in body["items"]:
                ids.append(lead["id"])
                versions[lead["id"]] = lead["version"]
            cursor = body.get("next_cursor")
            if not cursor:
                return ids, versions

    def counters(self) -> dict[str, float]:
        """The database's commits, the vhost's publishes and each process's CPU."""
        assert self.stack is not None
        engine = create_db_engine(self.url, poolclass=sa.pool.NullPool)
        try:
            with engine.connect() as conn:
                commits = conn.execute(
                    sa.text("SELECT xact_commit FROM pg_stat_database WHERE datname ="
                            " current_database()")
                ).scalar_one()  # fmt: skip
        finally:
            engine.dispose()
        vhost = self.stack.vhost
        stats = vhost._request("GET", f"/vhosts/{vhost._quoted}") or {}
        shot = {name: cpu_seconds(p.pid) for name, p in self.stack.processes.items()}
        shot["postgres (all)"] = postgres_cpu()
        published = (stats.get("message_stats") or {}).get("publish", 0)
        return {**shot, "_commits": float(commits), "_publishes": float(published)}

    def drain(self, timeout: float = 300) -> None:
        """Wait until no queue of the vhost holds a message (the consumers caught up)."""
        assert self.stack is not None
        vhost = self.stack.vhost

        def empty() -> bool:
            queues = vhost._request("GET", f"/queues/{vhost._quoted}") or []
            return sum(q.get("messages", 0) or 0 for q in queues) == 0

        wait_until(empty, timeout, "the consumers to drain", 1.0)

    def round(self, action: str, number: int) -> dict[str, Any]:
        assert self.client is not None
        ids, versions = self.selection()
        body: dict[str, Any] = {"entity": "leads", "action": action, "ids": ids,
                                "versions": versions}  # fmt: skip
        if action == "update":
            body["changes"] = {"notes": f"Bulk round {number}"}
        else:
            body = {"entity": "leads", "action": "post", "ids": ids,
                    "text": f"Met at the fair (round {number})"}  # fmt: skip
        self.drain()
        time.sleep(2)  # the statistics of PostgreSQL and RabbitMQ settle
        load_before = loadavg()
        before = self.counters()
        started = time.perf_counter()
        response = self.client.post("/api/v1/bulk-actions", json=body)
        if response.status_code != 202:
            raise RuntimeError(f"{response.status_code} {response.text[:300]}")
        location = response.headers["location"]
        job = response.json()
        while job["state"] == "running":
            time.sleep(POLL_SECONDS)
            job = self.client.get(location).json()
        seconds = time.perf_counter() - started
        load_after = loadavg()
        if (job["state"], job["done"]) != ("done", len(ids)):
            raise RuntimeError(f"{self.label}: {job['state']} {job['done']}/{len(ids)}"
                               f" {job.get('error')} {job['results'][:1]}")  # fmt: skip
        cpu_end = self.counters()
        self.drain()
        time.sleep(6)  # the management API's statistics are sampled every 5 s
        after = self.counters()
        records = len(ids)
        return {
            "side": self.label,
            "commit": self.commit,
            "action": action,
            "records": records,
            "seconds": round(seconds, 2),
            "records_per_s": round(records / seconds, 1),
            "load_before": load_before,
            "load_after": load_after,
            "commits_per_record": round((after["_commits"] - before["_commits"]) / records, 2),
            "publishes_per_record": round(
                (after["_publishes"] - before["_publishes"]) / records, 2
            ),
            # the CPU while the job ran (ms a record), and the consumers' until drained
            "cpu_ms_per_record": {
                name: round((cpu_end[name] - before[name]) * 1000 / records, 2)
                for name in before
                if not name.startswith("_")
            },  # fmt: skip
            "cpu_ms_per_record_until_drained": {
                name: round((after[name] - before[name]) * 1000 / records, 2)
                for name in before
                if not name.startswith("_")
            },  # fmt: skip
        }


def summary(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """The median records a second of each side and action."""
    out: dict[str, Any] = {}
    for row in rounds:
        out.setdefault(f"{row['side']} {row['action']}", []).append(row["records_per_s"])
    return {key: {"median": round(statistics.median(v), 1), "runs": v} for key, v in out.items()}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--actions", default="update,post")
    parser.add_argument(
        "--compare", action="append", default=[],
        help="<label>=<checkout>: another checkout run beside this one",
    )  # fmt: skip
    parser.add_argument(
        "--without-this", action="store_true", help="only the --compare checkouts"
    )  # fmt: skip
    parser.add_argument(
        "--no-consumers", action="store_true",
        help="without audit, analytics and processes (the leads' events' consumers)",
    )  # fmt: skip
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args(argv)
    services = tuple(s for s in SERVICES if not (args.no_consumers and s in CONSUMERS))
    sides = [] if args.without_this else [Side("this", ROOT, services)]
    for entry in args.compare:
        label, _, checkout = entry.partition("=")
        sides.append(Side(label, Path(checkout).resolve(), services))
    info = {**run_info(), "records": args.records, "services": list(services),
            "sides": {s.label: s.commit for s in sides}, "load_before": loadavg()}  # fmt: skip
    rounds: list[dict[str, Any]] = []
    # SIGTERM (or Ctrl-C) stops the stacks it started, as the end of a run does
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    try:
        for side in sides:
            side.start()
            made = time.perf_counter()
            side.make_leads(args.records)
            print(f"{side.label} ({side.commit}): {args.records} leads in"
                  f" {time.perf_counter() - made:.0f} s", flush=True)  # fmt: skip
        for number in range(args.rounds):
            for action in args.actions.split(","):
                for side in sides if number % 2 == 0 else sides[::-1]:
                    row = side.round(action, number)
                    rounds.append(row)
                    print(json.dumps(row), flush=True)
                    write_results({**info, "rounds": rounds, "summary": summary(rounds)},
                                  Path(args.out))  # fmt: skip
    finally:
        for side in sides:
            side.stop()
    info["load_after"] = loadavg()
    write_results({**info, "rounds": rounds, "summary": summary(rounds)}, Path(args.out))
    print(json.dumps(summary(rounds), indent=2))


def write_results(data: dict[str, Any], out: Path = RESULTS) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(data, indent=2) + "\n")


if __name__ == "__main__":
    main()
