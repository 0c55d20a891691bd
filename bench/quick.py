"""``make bench-quick``: a benchmark that fits in a minute, compared with bench/baseline.json.

Starts the gateway, the identity and leads services (all a lead needs; the other
services stay down, so this waits for a login and a leads page instead of ``/readyz``)
and the floor of :mod:`bench.floor` against its own fresh database
(``OSPREY_BENCH_QUICK_DATABASE_URL``, default ``.../osprey_bench_quick``), COPYs a few
thousand leads, then measures a few hundred requests of each figure with
:mod:`bench.load`: lead creation at 1 and 8 clients, a lead by id, a list page of 80 and
the email search at 8 clients, each in four rounds between short runs of the FastAPI
floor (``GET /floor``) at as many clients; each round is divided by the mean of the
floor runs either side of it, and a figure's ratio to the floor is the median of its
rounds' (its absolute figures pool all its rounds).

Absolute figures move 2x between days on a shared machine; a figure divided by the
floor measured in the same run moves far less. So each figure is printed beside the
baseline both ways, absolute and floor-normalized, and a figure whose floor-normalized
throughput fell more than 30% below the baseline's, or whose floor-normalized p50 grew
more than 1/0.7 over it, gets a line starting with ``REGRESSION`` (those come last).
It is a report: it exits 0 either way.

``python bench/quick.py --write-baseline`` runs it twice and writes the two runs, pooled,
as the new baseline; it is done at the end of ``bench/run.sh``, so the baseline changes
with a full benchmark run. A figure that would end more than 45 s into the run (a very
busy machine) is skipped, with a ``SKIPPED`` line, so that the run stays under a minute.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import fcntl
import hashlib
import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

import httpx  # noqa: E402

from bench.api_leads import run_info  # noqa: E402
from bench.floor import PATH as FLOOR_PATH  # noqa: E402
from bench.floor import Floor, stop_all  # noqa: E402
from bench.load import loadavg, sample_load, summarize  # noqa: E402
from bench.seed import fresh_database, load_leads  # noqa: E402
from tests.support.stack import Stack, StackError, service_command, wait_until  # noqa: E402

DB = os.environ.get(
    "OSPREY_BENCH_QUICK_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/osprey_bench_quick"
)
BASELINE = ROOT / "bench" / "baseline.json"
LEADS = 3000
SERVICES = ("identity", "leads")

#: Worse than this against the baseline, floor-normalized, is a regression.
THROUGHPUT_DROP = 0.30
LATENCY_GROWTH = 1 / 0.7

# name -> (clients, requests in all); each is compared with the floor at as many clients
FIGURES: dict[str, tuple[int, int]] = {
    "create_1": (1, 120),
    "create_8": (8, 256),
    "get_lead_8": (8, 448),
    "list_80_8": (8, 256),
    "search_email_8": (8, 320),
}
#: Each figure is measured in this many rounds, each between two runs of the floor.
ROUNDS = 4
#: Requests of each run of the floor.
FLOOR_REQUESTS = {1: 52, 8: 80}
#: A figure that would end (at the pace of the ones before it) later than this many
#: seconds into the run is skipped: stopping and reporting take up to 10 s more on a
#: very busy machine, and the run must stay under a minute.
TIME_LIMIT = 45.0
#: The fewest requests, as a share of the above, on a busy machine (see planned_seconds).
MIN_SCALE = 0.3
#: Past this load average per core the figures are noisy; the report says so.
BUSY_LOAD_PER_CORE = 1.5
#: Runs behind a new baseline (``--write-baseline``): their rounds are pooled.
BASELINE_RUNS = 2


class QuickStack(Stack):
    """The gateway and only :data:`SERVICES`: ready once a login and a leads page work
    (``/readyz`` asks for every service)."""

    def __init__(self, database_url: str):
        super().__init__(
            database_url,
            services={name: service_command(name) for name in SERVICES},
            env={"OSPREY_LOG_LEVEL": "WARNING"},
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
                if login.status_code != 200:
                    return False
                page = httpx.get(
                    f"{self.base_url}/api/v1/leads",
                    params={"limit": 1},
                    headers={"Authorization": f"Bearer {login.json()['token']}"},
                    timeout=5,
                )
                return page.status_code == 200
            except httpx.HTTPError:
                return False

        try:
            wait_until(ready, timeout or self.ready_timeout, "identity and leads", 0.1)
        except TimeoutError as exc:
            raise StackError(f"{exc}\n{self.log_tails()}") from exc


def wait_for_leads_index(stack: Stack, token: str, timeout: float = 60.0) -> None:
    """Wait until the leads process's in-memory name index holds every key (it rebuilds
    after the COPY, busy meanwhile). Asked over RPC: the gateway's route for it asks the
    sales service too, which is not running here."""
    import sqlalchemy as sa

    from gateway.rpc import RpcClient
    from services.platform.db import create_db_engine

    engine = create_db_engine(DB, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            sql = "SELECT coalesce(max(seq), 0) FROM leads.lead_name_keys"
            highest = conn.execute(sa.text(sql)).scalar_one()
    finally:
        engine.dispose()

    async def wait() -> None:
        rpc = RpcClient(stack.amqp_uri, timeout=10)
        await rpc.start()
        try:
            actor = await rpc.call("identity", "authenticate_token", token)
            deadline = time.monotonic() + timeout
            while True:
                states = await rpc.call("leads", "name_index_status", actor=actor)
                if all(s["ready"] and (s["high_seq"] or 0) >= highest for s in states):
                    return
                if time.monotonic() > deadline:
                    raise StackError(f"the leads name index was not ready in {timeout:g}s")
                await asyncio.sleep(0.1)
        finally:
            await rpc.close()

    asyncio.run(wait())


@contextlib.contextmanager
def exclusive(url: str):
    """One quick benchmark at a time per database (a second one waits)."""
    digest = hashlib.sha1(url.encode()).hexdigest()[:12]
    path = Path(tempfile.gettempdir()) / f"osprey-bench-quick-{digest}.lock"
    with open(path, "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print("bench-quick: another run uses this database; waiting for it", flush=True)
            fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def lead_payload(n: int, i: int) -> dict[str, Any]:
    return {
        "contact_name": f"Quick Contact {n}-{i}",
        "account_name": f"Quick Account {i % 97}",
        "email": f"quick{n}.{i}.{uuid.uuid4().hex[:6]}@example.com",
        "phone": f"+4420{random.randint(1000000, 9999999)}",
        "source": "web",
    }


def planned_seconds(baseline: dict | None, floor_1_rps: float) -> dict[str, float] | None:
    """How long each figure, with its floor runs, would take at full size at the pace of
    a floor that now answers ``floor_1_rps`` at 1 client, going by the baseline's figures
    and ratios to the floor; None without a baseline."""
    figures = (baseline or {}).get("figures") or {}
    base_floor = {c: figures.get(f"floor_{c}", {}).get("req_per_s") for c in FLOOR_REQUESTS}
    if not all(base_floor.values()) or not floor_1_rps:
        return None
    speed = floor_1_rps / base_floor[1]  # now against the baseline's machine
    plan = {}
    for name, (clients, n) in FIGURES.items():
        rps_x_floor = figures.get(name, {}).get("rps_x_floor")
        if not rps_x_floor:
            return None
        floor_rps = base_floor[clients] * speed
        plan[name] = n / (floor_rps * rps_x_floor) + ROUNDS * FLOOR_REQUESTS[clients] / floor_rps
    return plan


def measure(baseline: dict | None = None) -> tuple[dict[str, Any], dict[str, dict], list[str]]:
    """Run the stack and every figure: (run info, figures, failures). With a baseline,
    a machine busier than it was then gets fewer requests of each (see scale)."""
    started = time.perf_counter()
    info: dict[str, Any] = {**run_info(), "load_average_before": loadavg()}
    figures: dict[str, dict] = {}
    failures: list[str] = []
    fresh_database(DB)
    stack = QuickStack(DB)
    floor = Floor(stack)  # the stack starts its processes with its own
    try:
        stack.start()
        floor.start()
        base = stack.base_url
        login = httpx.post(f"{base}/api/v1/auth/login", json=stack.admin_credentials)
        login.raise_for_status()
        token = login.json()["token"]
        headers = {"Authorization": f"Bearer {token}"}
        load_leads(DB, LEADS, login.json()["user"]["id"])
        lead = httpx.post(
            f"{base}/api/v1/leads", json=lead_payload(0, -1), headers=headers, timeout=30
        )
        lead.raise_for_status()
        lead_path = f"/api/v1/leads/{lead.json()['id']}"
        wait_for_leads_index(stack, token)
        info["started_s"] = round(time.perf_counter() - started, 1)
        rng = random.Random(7)

        def search(c: int, i: int) -> tuple[str, str, None]:
            return "GET", f"/api/v1/leads?q=lead{rng.randrange(LEADS)}%40company&limit=20", None

        makers: dict[str, Callable[[int, int], tuple[str, str, Any]]] = {
            "create_1": lambda c, i: ("POST", "/api/v1/leads", lead_payload(c, i)),
            "create_8": lambda c, i: ("POST", "/api/v1/leads", lead_payload(c, i)),
            "get_lead_8": lambda c, i: ("GET", lead_path, None),
            "list_80_8": lambda c, i: ("GET", "/api/v1/leads?limit=80", None),
            "search_email_8": search,
        }
        # Each figure runs in ROUNDS rounds, each between two short runs of the floor
        # at as many clients (one round's "after" is the next one's "before"). A round's
        # ratios are to the mean of its two floors, and the figure's ratio is the median
        # of its rounds': the other work on a shared machine changes from second to
        # second, and one round caught in a burst of it does not move the median.
        floor_samples: dict[int, tuple[list[float], float, int]] = {
            1: ([], 0.0, 0),
            8: ([], 0.0, 0),
        }
        last_floor: dict[int, dict] = {}

        scale = 1.0

        def floor_run(clients: int) -> dict:
            latencies, wall = sample_load(
                floor.base_url,
                None,
                clients,
                max(clients * 8, round(FLOOR_REQUESTS[clients] * scale)),
                lambda c, i: ("GET", FLOOR_PATH, None),
                clients * 2,
            )
            pooled, total, runs = floor_samples[clients]
            floor_samples[clients] = (pooled + latencies, total + wall, runs + 1)
            last_floor[clients] = summarize(clients, latencies, wall)
            return last_floor[clients]

        # Fewer requests, down to MIN_SCALE, when what is left would not end within
        # TIME_LIMIT at the pace the machine has now: the first floor run and the
        # baseline's ratios to the floor give a plan; each figure done corrects the pace
        # against it. (The ratios to the floor do not depend on the number of requests.)
        plan = planned_seconds(baseline, floor_run(1)["req_per_s"])
        pace = 1.5  # actual seconds per planned second (warm-ups, connections, a busy box)
        planned_done = actual_done = 0.0
        scales: list[float] = []
        names = list(FIGURES)
        for k, name in enumerate(names):
            clients, n = FIGURES[name]
            figure_started = time.perf_counter()
            left = TIME_LIMIT - (figure_started - started)
            if plan:
                need = pace * sum(plan[m] for m in names[k:])
                scale = min(1.0, max(MIN_SCALE, left / need)) if need > 0 else 1.0
                expected = pace * plan[name] * scale
            else:
                expected = actual_done / k if k else 0.0
            if expected > left:
                failures.append(
                    f"SKIPPED {name}: would end past {TIME_LIMIT:g}s (load {loadavg()[0]})"
                )
                continue
            scales.append(scale)
            make = makers[name]
            per_round = max(clients * 4, 12, round(n * scale / ROUNDS))
            samples: list[float] = []
            wall = 0.0
            ratios: list[tuple[float, float]] = []
            try:
                for r in range(ROUNDS):
                    before = last_floor.get(clients) or floor_run(clients)
                    latencies, took = sample_load(
                        base,
                        token,
                        clients,
                        per_round,
                        lambda c, i, off=r * per_round, make=make: make(
                            c, i + off if i >= 0 else i
                        ),
                        max(20, clients * 4) if r == 0 else clients * 2,
                    )
                    after = floor_run(clients)
                    samples += latencies
                    wall += took
                    chunk = summarize(clients, latencies, took)
                    floor_rps = (before["req_per_s"] + after["req_per_s"]) / 2
                    floor_p50 = (before["p50_ms"] + after["p50_ms"]) / 2
                    ratios.append((chunk["req_per_s"] / floor_rps, chunk["p50_ms"] / floor_p50))
            except SystemExit as exc:
                failures.append(f"FAILED {name}: {exc}"[:300])
                continue
            finally:
                actual_done += time.perf_counter() - figure_started
                if plan:
                    planned_done += plan[name] * scale
                    pace = actual_done / planned_done
            figures[name] = {
                **summarize(clients, samples, wall),
                "rps_x_floor": round(statistics.median(r[0] for r in ratios), 4),
                "p50_x_floor": round(statistics.median(r[1] for r in ratios), 3),
                "rounds": [[round(a, 4), round(b, 3)] for a, b in ratios],
                "scale": round(scale, 2),
            }
        info["scale"] = round(min(scales), 2) if scales else 1.0
    except BaseException:
        print(stack.log_tails(30), file=sys.stderr)
        raise
    finally:
        stop_all(stack)
    floors = {
        f"floor_{clients}": {**summarize(clients, latencies, wall), "runs": runs}
        for clients, (latencies, wall, runs) in floor_samples.items()
        if latencies
    }
    figures = {**floors, **figures}
    info["load_average_after"] = loadavg()
    info["wall_s"] = round(time.perf_counter() - started, 1)
    return info, figures, failures


# -- the report -------------------------------------------------------------------------


def ratio(now: float | None, then: float | None) -> str:
    return f"{now / then:.2f}" if now and then else "-"


def report(info: dict, figures: dict[str, dict], failures: list[str], base: dict | None) -> str:
    baseline = (base or {}).get("figures", {})
    lines = [
        f"bench-quick {info['date']} {info['commit']}, load {info['load_average_before'][0]}"
        f"->{info['load_average_after'][0]}, {info['wall_s']}s"
        f" ({info.get('started_s', '?')}s to start);"
        + (
            f" baseline {base.get('date')} {base.get('commit')}, load"
            f" {(base.get('load_average_before') or ['?'])[0]}"
            if base
            else " no baseline yet (bench/quick.py --write-baseline)"
        ),
        "figure          req/s (base  now/base)    p50 ms (base  now/base) |"
        " /floor: rps (base now/base)  p50 (base now/base)",
    ]
    regressions: list[str] = []
    for name, f in figures.items():
        b = baseline.get(name, {})
        line = (
            f"{name:<15}{f['req_per_s']:>6.1f} ({b.get('req_per_s', '-'):>5} "
            f"{ratio(f['req_per_s'], b.get('req_per_s')):>5})"
            f"  {f['p50_ms']:>7.2f} ({b.get('p50_ms', '-'):>6} "
            f"{ratio(f['p50_ms'], b.get('p50_ms')):>5})"
        )
        if "rps_x_floor" in f:
            rps_change = ratio(f["rps_x_floor"], b.get("rps_x_floor"))
            p50_change = ratio(f["p50_x_floor"], b.get("p50_x_floor"))
            line += (
                f" | {f['rps_x_floor']:>6.3f} ({b.get('rps_x_floor', '-')!s:>6} {rps_change:>5})"
                f" {f['p50_x_floor']:>6.2f} ({b.get('p50_x_floor', '-')!s:>5} {p50_change:>5})"
            )
            worse = []
            if b.get("rps_x_floor") and f["rps_x_floor"] < b["rps_x_floor"] * (1 - THROUGHPUT_DROP):
                worse.append(
                    f"floor-normalized req/s {rps_change}x baseline"
                    f" ({b['rps_x_floor']} -> {f['rps_x_floor']})"
                )
            if b.get("p50_x_floor") and f["p50_x_floor"] > b["p50_x_floor"] * LATENCY_GROWTH:
                worse.append(
                    f"floor-normalized p50 {p50_change}x baseline"
                    f" ({b['p50_x_floor']} -> {f['p50_x_floor']})"
                )
            if worse:
                regressions.append(f"REGRESSION {name}: " + "; ".join(worse))
        lines.append(line)
    cores = (info.get("machine") or {}).get("cores") or os.cpu_count() or 1
    load = max(info["load_average_before"][0], info["load_average_after"][0])
    if load > BUSY_LOAD_PER_CORE * cores:
        failures = [
            *failures,
            f"NOTE: load average {load} on {cores} cores (requests x{info.get('scale', 1)}):"
            " a busy machine; expect ratios to move by 20-30%",
        ]
    return "\n".join(lines + failures + regressions)


def pool_runs(runs: list[tuple[dict, dict[str, dict], list[str]]]) -> dict:
    """One baseline from several runs: per figure the mean of the absolute figures and
    the median of every run's rounds' ratios to the floor."""
    first, last = runs[0][0], runs[-1][0]
    info = {
        **first,
        "runs": len(runs),
        "load_average_after": last["load_average_after"],
        "wall_s": round(sum(i["wall_s"] for i, _, _ in runs), 1),
    }
    figures: dict[str, dict] = {}
    for name in runs[0][1]:
        each = [f[name] for _, f, _ in runs if name in f]
        pooled: dict[str, Any] = {"clients": each[0]["clients"]}
        for key in ("requests", "req_per_s", "p50_ms", "p95_ms", "p99_ms"):
            mean = sum(f[key] for f in each) / len(each)
            pooled[key] = round(mean, 1 if key == "req_per_s" else 2)
        pooled["requests"] = sum(f["requests"] for f in each)
        if "rounds" in each[0]:
            rounds = [r for f in each for r in f["rounds"]]
            pooled["rps_x_floor"] = round(statistics.median(r[0] for r in rounds), 4)
            pooled["p50_x_floor"] = round(statistics.median(r[1] for r in rounds), 3)
            pooled["rounds"] = rounds
        figures[name] = pooled
    return {**info, "figures": figures}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="The one-minute benchmark (bench/quick.py).")
    parser.add_argument(
        "--write-baseline", action="store_true", help="write this run to bench/baseline.json"
    )
    args = parser.parse_args(argv)
    base = json.loads(BASELINE.read_text()) if BASELINE.exists() else None
    runs = []
    try:
        with exclusive(DB):
            for _ in range(BASELINE_RUNS if args.write_baseline else 1):
                runs.append(measure(base))
    except Exception as exc:  # noqa: BLE001 - say it in one line, last (log tails above)
        first = (str(exc).strip().splitlines() or [""])[0]
        print(f"FAILED bench-quick: {type(exc).__name__}: {first}"[:300])
        raise SystemExit(1) from None
    for info, figures, failures in runs:
        print(report(info, figures, failures, base))
    if args.write_baseline:
        if any(failures for _, _, failures in runs):
            print("bench-quick: not writing the baseline: some figures failed")
            return
        BASELINE.write_text(json.dumps(pool_runs(runs), indent=2) + "\n")
        print(f"bench-quick: wrote {BASELINE.relative_to(ROOT)} from {len(runs)} runs")


if __name__ == "__main__":
    main()
