"""Benchmark: the pipeline board's data (``GET /api/v1/pipeline``) with 10,000 open deals.

Starts every service and the gateway as processes against a fresh database
(``OSPREY_BENCH_DATABASE_URL``, default ``.../osprey_bench``), bulk-loads
``OSPREY_BENCH_OPEN_DEALS`` open deals (default 10,000) spread over the open stages,
40 owners in 4 teams and 2,000 accounts, plus twice as many won and lost deals (the
board must not slow down as history piles up), then measures the board as:

1. an administrator (every open deal counted, 50 cards per column);
2. a sales rep (the team's deals only, the row filter in SQL);
3. the board filtered by one owner;

each with 1 and 4 concurrent clients. Target: p99 under 200 ms. Run:
``.venv/bin/python bench/pipeline_board.py``; writes ``bench/results/pipeline_board.json``.
"""

from __future__ import annotations

import io
import json
import os
import platform
import random
import sys
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from bench.api_leads import run_load  # noqa: E402
from bench.seed import fresh_database  # noqa: E402
from services.platform.db import create_db_engine  # noqa: E402
from tests.support.stack import Stack  # noqa: E402

DB = os.environ.get(
    "OSPREY_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/osprey_bench"
)
OPEN_DEALS = int(os.environ.get("OSPREY_BENCH_OPEN_DEALS", "10000"))
CURRENCIES = ("EUR", "EUR", "EUR", "USD", "GBP")


def load_deals(url: str, open_deals: int, owners: list[tuple[str, str]], created_by: str) -> None:
    """COPY accounts and deals straight into the sales schema (volume, not events)."""
    engine = create_db_engine(url, poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        stages = conn.execute(
            sa.text("SELECT id, is_final, is_successful FROM sales.opportunity_stages")
        ).all()
    open_stages = [str(s.id) for s in stages if not s.is_final]
    won = next(str(s.id) for s in stages if s.is_final and s.is_successful)
    lost = next(str(s.id) for s in stages if s.is_final and not s.is_successful)
    rng = random.Random(7)
    now = datetime.now(UTC)
    accounts = [str(uuid.uuid4()) for _ in range(2000)]
    account_rows = io.StringIO()
    for i, account_id in enumerate(accounts):
        when = (now - timedelta(days=400)).isoformat()
        account_rows.write(f"{account_id}\tBench Account {i}\t{when}\t{when}\t{created_by}\n")
    deal_rows = io.StringIO()
    total = open_deals * 3
    for i in range(total):
        owner_id, team_id = owners[i % len(owners)]
        if i < open_deals:
            stage_id, status = open_stages[i % len(open_stages)], "open"
        else:
            stage_id, status = (won, "won") if i % 2 else (lost, "lost")
        when = now - timedelta(minutes=total - i)
        amount = f"{rng.randrange(500, 200000)}.00"
        fields = [
            str(uuid.uuid4()),
            f"Bench deal {i}",
            rng.choice(accounts),
            stage_id,
            amount,
            rng.choice(CURRENCIES),
            str(rng.choice((10, 30, 50, 80))),
            (date.today() + timedelta(days=rng.randrange(-60, 180))).isoformat(),
            status,
            when.isoformat(),
            owner_id,
            team_id,
            when.isoformat(),
            when.isoformat(),
            created_by,
        ]
        deal_rows.write("\t".join(fields) + "\n")
    raw = engine.raw_connection()
    try:
        with raw.cursor() as cur:
            account_rows.seek(0)
            cur.copy_expert(
                "COPY sales.accounts (id, name, created_at, updated_at, created_by) FROM STDIN",
                account_rows,
            )
            deal_rows.seek(0)
            cur.copy_expert(
                "COPY sales.opportunities (id, title, account_id, stage_id, amount, currency,"
                " probability, close_date, status, stage_entered_at, owner_id, team_id,"
                " created_at, updated_at, created_by) FROM STDIN",
                deal_rows,
            )
            cur.execute("ANALYZE sales.accounts")
            cur.execute("ANALYZE sales.opportunities")
        raw.commit()
    finally:
        raw.close()
        engine.dispose()


def main() -> None:
    load_before = os.getloadavg()
    fresh_database(DB)
    results: dict = {
        "machine": f"{os.cpu_count()} cores (shared), {platform.python_implementation()} "
        f"{platform.python_version()}, {platform.machine()}",
        "date": datetime.now(UTC).date().isoformat(),
        "load_average_before": [round(x, 2) for x in load_before],
        "open_deals": OPEN_DEALS,
        "closed_deals": OPEN_DEALS * 2,
    }
    with Stack(DB, env={"OSPREY_LOG_LEVEL": "WARNING"}) as stack:
        base = stack.base_url
        login = httpx.post(f"{base}/api/v1/auth/login", json=stack.admin_credentials, timeout=30)
        login.raise_for_status()
        token = login.json()["token"]
        admin_id = login.json()["user"]["id"]
        auth = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=base, headers=auth, timeout=30) as admin:
            roles = admin.get("/api/v1/roles").json()["items"]
            rep_role = next(r["id"] for r in roles if r["name"] == "sales_rep")
            team_id = admin.post("/api/v1/teams", json={"name": "Bench team"}).json()["id"]
            password = uuid.uuid4().hex
            rep = admin.post(
                "/api/v1/users",
                json={
                    "email": "bench.rep@osprey.test",
                    "full_name": "Bench Rep",
                    "password": password,
                    "role_ids": [rep_role],
                    "team_id": team_id,
                },
            ).json()
        # 40 owners in 4 teams; the rep and 9 colleagues make up the rep's team.
        teams = [team_id] + [str(uuid.uuid4()) for _ in range(3)]
        owners = [(rep["id"], team_id)] + [
            (str(uuid.uuid4()), teams[i // 10]) for i in range(1, 40)
        ]
        load_deals(DB, OPEN_DEALS, owners, admin_id)
        rep_login = httpx.post(
            f"{base}/api/v1/auth/login",
            json={"email": "bench.rep@osprey.test", "password": password},
            timeout=30,
        )
        rep_login.raise_for_status()
        rep_token = rep_login.json()["token"]

        def board(n: int, i: int) -> tuple[str, str, None]:
            return "GET", "/api/v1/pipeline", None

        def one_owner(n: int, i: int) -> tuple[str, str, None]:
            return "GET", f"/api/v1/pipeline?owner_id={owners[i % 40][0]}", None

        check = httpx.get(f"{base}/api/v1/pipeline", headers=auth, timeout=30).json()
        results["admin_board_deals_counted"] = sum(c["count"] for c in check["stages"])
        results["admin_board_cards"] = sum(len(c["items"]) for c in check["stages"])
        rep_check = httpx.get(
            f"{base}/api/v1/pipeline",
            headers={"Authorization": f"Bearer {rep_token}"},
            timeout=30,
        ).json()
        results["rep_board_deals_counted"] = sum(c["count"] for c in rep_check["stages"])

        run_load(base, token, 2, 40, board)  # warm-up
        results["admin_1_client"] = run_load(base, token, 1, 300, board)
        results["admin_4_clients"] = run_load(base, token, 4, 800, board)
        results["rep_1_client"] = run_load(base, rep_token, 1, 300, board)
        results["rep_4_clients"] = run_load(base, rep_token, 4, 800, board)
        results["one_owner_4_clients"] = run_load(base, token, 4, 800, one_owner)
        results["load_average_after"] = [round(x, 2) for x in os.getloadavg()]

    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "pipeline_board.json").write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
