"""Benchmark: the web app's shell size and how fast the Leads list is usable.

1. The shell's weight: the JavaScript and CSS ``index.html`` loads before any section
   (entry script, its module preloads, the stylesheet), gzipped at level 9; the Leads
   section's lazily loaded chunk is reported apart. Target: shell JS < 300 KB gzipped.
2. Time to interactive for the Leads list with 10,000 leads: the whole stack
   (``tests/support/stack.py``) against a fresh database (``OSPREY_BENCH_WEB_DATABASE_URL``,
   default ``.../osprey_bench_web``) holding 10,000 leads (``COPY``), Debian's headless
   Chromium driven by Playwright, a cold browser cache each run. Measured in the page:
   navigation start → first rows painted, and → the end of the last long task (≥ 50 ms)
   once the page has been quiet for 1 s (a TTI in the Lighthouse sense). Target: < 1.5 s.
3. Scrolling the list to its end: every page fetched while scrolling (100 rows each),
   the longest gap between animation frames and the most rows ever in the DOM.
4. The pipeline board with 10,000 open deals (``OSPREY_BENCH_WEB_DEALS``) over 700
   accounts in the four open stages: navigation start → first cards painted, time to
   interactive as above, and how many cards are in the DOM (the board shows the first 50
   of each column; more only on request).

Build the app first (``make web``). Run: ``.venv/bin/python bench/web/web_bench.py``
(``--size-only`` skips the browser). Prints JSON and writes ``bench/web/results.json``;
``bench/web/RESULTS.md`` says what the figures mean.
"""

from __future__ import annotations

import gzip
import json
import os
import platform
import re
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


import sqlalchemy as sa  # noqa: E402

from bench.seed import fresh_database, load_leads  # noqa: E402

DIST = ROOT / "gateway" / "web" / "dist"
DB = os.environ.get(
    "OSPREY_BENCH_WEB_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/osprey_bench_web"
)
LEADS = int(os.environ.get("OSPREY_BENCH_WEB_LEADS", "10000"))
DEALS = int(os.environ.get("OSPREY_BENCH_WEB_DEALS", "10000"))
RUNS = int(os.environ.get("OSPREY_BENCH_WEB_RUNS", "5"))
CHROMIUM = os.environ.get("OSPREY_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


def gz(path: Path) -> int:
    return len(gzip.compress(path.read_bytes(), compresslevel=9))


def shell_size() -> dict:
    index = (DIST / "index.html").read_text()
    shell = re.findall(r'<script[^>]+src="/([^"]+\.js)"', index)
    shell += re.findall(r'<link[^>]+rel="modulepreload"[^>]+href="/([^"]+\.js)"', index)
    css = re.findall(r'<link[^>]+rel="stylesheet"[^>]+href="/([^"]+\.css)"', index)
    lazy = sorted(
        str(p.relative_to(DIST))
        for p in (DIST / "assets").glob("*.js")
        if str(p.relative_to(DIST)) not in shell
    )
    return {
        "shell_js_files": shell,
        "shell_js_gzip_kb": round(sum(gz(DIST / f) for f in shell) / 1024, 1),
        "shell_js_raw_kb": round(sum((DIST / f).stat().st_size for f in shell) / 1024, 1),
        "shell_css_gzip_kb": round(sum(gz(DIST / f) for f in css) / 1024, 1),
        "lazy_chunks_gzip_kb": {f: round(gz(DIST / f) / 1024, 1) for f in lazy},
    }


# Runs in the page before the app: long tasks and the moment the first rows appear.
PROBE = """
window.__bench = { longTasks: [], rowsAt: null };
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) window.__bench.longTasks.push([e.startTime, e.duration]);
}).observe({ type: 'longtask', buffered: true });
const look = () => {
  const shown = document.querySelector('.grid .row-link, .board .deal-card');
  if (shown) window.__bench.rowsAt = performance.now();
  else requestAnimationFrame(look);
};
requestAnimationFrame(look);
"""

SCROLL = """
async () => {
  const grid = document.querySelector('.grid');
  let worstGap = 0, last = performance.now(), maxRows = 0, running = true;
  const frame = (t) => { worstGap = Math.max(worstGap, t - last); last = t;
    maxRows = Math.max(maxRows, document.querySelectorAll('.grid-body [role=row]').length);
    if (running) requestAnimationFrame(frame); };
  requestAnimationFrame((t) => { last = t; requestAnimationFrame(frame); });
  const start = performance.now();
  while (true) {
    grid.scrollTop = grid.scrollHeight;
    await new Promise((r) => setTimeout(r, 30));
    const status = document.querySelector('.toolbar [role=status]').textContent;
    const atEnd = grid.scrollTop + grid.clientHeight >= grid.scrollHeight - 2;
    if (!/scroll/.test(status) && atEnd) break;
    if (performance.now() - start > 120000) break;
  }
  running = false;
  const rowCount = Number(document.querySelector('.grid').getAttribute('aria-rowcount')) - 1;
  return { seconds: (performance.now() - start) / 1000, worstFrameGapMs: worstGap,
           maxRowsInDom: maxRows, rowsLoaded: rowCount };
}
"""


def browser_runs(base_url: str, email: str, password: str) -> dict:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        first = browser.new_context(viewport={"width": 1280, "height": 800})
        page = first.new_page()
        page.goto(base_url + "/sign-in")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_selector(".grid .row-link")
        state = first.storage_state()
        first.close()

        runs = cold_runs(browser, state, base_url + "/leads")
        board = cold_runs(browser, state, base_url + "/opportunities/board", cards=True)

        context = browser.new_context(viewport={"width": 1280, "height": 800}, storage_state=state)
        page = context.new_page()
        page.goto(base_url + "/leads")
        page.wait_for_selector(".grid .row-link")
        scroll = page.evaluate(SCROLL)
        context.close()
        browser.close()

    return {
        "leads_list": {
            **summary(runs),
            "scroll_to_end": {
                k: round(v, 2) if isinstance(v, float) else v for k, v in scroll.items()
            },
        },
        "pipeline_board": summary(board),
    }


def cold_runs(browser, state: dict, url: str, cards: bool = False) -> list[dict]:
    """``RUNS`` visits to ``url``, each in a fresh context (cold cache), measured in the page."""
    runs = []
    for _ in range(RUNS):
        context = browser.new_context(viewport={"width": 1280, "height": 800}, storage_state=state)
        page = context.new_page()
        page.add_init_script(PROBE)
        page.goto(url)
        page.wait_for_function("() => window.__bench && window.__bench.rowsAt !== null")
        # Wait until no long task for 1 s, then take the end of the last one.
        quiet_since = time.monotonic()
        seen = -1
        while time.monotonic() - quiet_since < 1.0:
            count = page.evaluate("() => window.__bench.longTasks.length")
            if count != seen:
                seen, quiet_since = count, time.monotonic()
            time.sleep(0.1)
        probe = page.evaluate("() => window.__bench")
        last_long = max((s + d for s, d in probe["longTasks"]), default=0.0)
        run = {
            "rows_painted_ms": round(probe["rowsAt"], 1),
            "interactive_ms": round(max(probe["rowsAt"], last_long), 1),
            "long_tasks": len(probe["longTasks"]),
        }
        if cards:
            run["cards_in_dom"] = page.locator(".deal-card").count()
        runs.append(run)
        context.close()
    return runs


def summary(runs: list[dict]) -> dict:
    return {
        "runs": runs,
        "rows_painted_ms_median": statistics.median(r["rows_painted_ms"] for r in runs),
        "interactive_ms_median": statistics.median(r["interactive_ms"] for r in runs),
        "interactive_ms_worst": max(r["interactive_ms"] for r in runs),
    }


def load_deals(url: str, rows: int, owner_id: str, accounts: int = 700) -> None:
    """``rows`` open deals owned by ``owner_id`` over ``accounts`` accounts, spread over the
    open stages, in EUR and USD, one second apart (SQL, no events: the board needs volume)."""
    from services.platform.db import create_db_engine

    engine = create_db_engine(url, poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO sales.accounts (id, name, owner_id, version, created_at, updated_at,"
                " created_by) SELECT gen_random_uuid(), 'Account ' || g, :owner, 1, now(), now(),"
                " :owner FROM generate_series(1, :accounts) g"
            ),
            {"owner": owner_id, "accounts": accounts},
        )
        conn.execute(
            sa.text(
                """
                WITH a AS (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM sales.accounts),
                     s AS (SELECT id, probability, row_number() OVER (ORDER BY position) - 1 AS n
                           FROM sales.opportunity_stages WHERE NOT is_final),
                     c AS (SELECT count(*) AS k FROM s)
                INSERT INTO sales.opportunities (id, title, account_id, stage_id, amount, currency,
                    probability, status, stage_entered_at, owner_id, version, created_at,
                    updated_at, created_by)
                SELECT gen_random_uuid(), 'Deal ' || g, a.id, s.id, 1000 + (g * 37) % 90000,
                    CASE WHEN g % 5 = 0 THEN 'USD' ELSE 'EUR' END, s.probability, 'open',
                    now() - g * interval '1 minute', :owner, 1, now() - g * interval '1 second',
                    now() - g * interval '1 second', :owner
                FROM generate_series(1, :rows) g, c
                JOIN a ON true JOIN s ON true
                WHERE a.n = g % :accounts AND s.n = g % c.k
                """
            ),
            {"owner": owner_id, "rows": rows, "accounts": accounts},
        )
    engine.dispose()


def main() -> None:
    if not (DIST / "index.html").is_file():
        sys.exit("Build the web app first: make web")
    results: dict = {
        "machine": f"{os.cpu_count()} cores, {platform.machine()}",
        "date": datetime.now(UTC).date().isoformat(),
        "size": shell_size(),
    }
    if "--size-only" not in sys.argv:
        import httpx

        from tests.support.stack import Stack

        fresh_database(DB)
        with Stack(DB) as stack:
            login = httpx.post(
                f"{stack.base_url}/api/v1/auth/login", json=stack.admin_credentials, timeout=15
            )
            login.raise_for_status()
            admin_id = login.json()["user"]["id"]
            load_leads(DB, LEADS, admin_id, accounts=700)
            load_deals(DB, DEALS, admin_id)
            results["leads"] = LEADS
            results["open_deals"] = DEALS
            results.update(browser_runs(stack.base_url, stack.admin_email, stack.admin_password))
    text = json.dumps(results, indent=2)
    print(text)
    out = Path(__file__).with_name("results.json")
    out.write_text(text + "\n")


if __name__ == "__main__":
    main()
