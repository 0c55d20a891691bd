"""Benchmark: orders of 10 lines through the whole stack (HTTP → gateway → RPC → orders).

Starts every service and the gateway as their own processes against a fresh database
(``OSPREY_BENCH_DATABASE_URL``, default ``.../osprey_bench``), creates 50 products and a
default price list with their prices through the API, then measures:

1. creating an order of 10 lines (products, quantities, prices, discounts, tax rates)
   through ``POST /api/v1/orders`` with 1 and 8 concurrent clients — each create takes
   the year's next order number, one counter row locked for an instant per order;
2. confirming each of those orders, ``POST /api/v1/orders/{id}/confirm``, with 1 and 8
   clients.

The load average is recorded before and after (the machine's cores are shared). Run:
``.venv/bin/python bench/orders.py``; writes ``bench/results/orders.json``.
"""

from __future__ import annotations

import json
import os
import platform
import random
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from bench.api_leads import run_load  # noqa: E402
from bench.seed import fresh_database  # noqa: E402
from tests.support.stack import Stack  # noqa: E402

DB = os.environ.get(
    "OSPREY_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/osprey_bench"
)
PRODUCTS = 50
LINES = 10
CURRENCY = "EUR"
TAX_RATES = ("20", "20", "10", "5.5", "0")
DISCOUNTS = ("0", "0", "0", "5", "10", "12.5")


def loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def make_catalogue(client: httpx.Client) -> list[tuple[str, str, str]]:
    """50 products in a default price list: ``[(product id, price, tax rate)]``."""
    rng = random.Random(11)
    price_list = client.post(
        "/api/v1/price-lists", json={"name": "Bench list", "currency": CURRENCY, "is_default": True}
    )
    price_list.raise_for_status()
    list_id = price_list.json()["id"]
    products = []
    for i in range(PRODUCTS):
        tax_rate = TAX_RATES[i % len(TAX_RATES)]
        created = client.post(
            "/api/v1/products",
            json={
                "code": f"BENCH-{i:03d}",
                "name": f"Bench product {i}",
                "unit": "pc",
                "category": f"Category {i % 5}",
                "tax_rate": tax_rate,
            },
        )
        created.raise_for_status()
        product_id = created.json()["id"]
        price = f"{rng.randrange(100, 250000) / 100:.2f}"
        client.put(
            f"/api/v1/price-lists/{list_id}/prices/{product_id}", json={"price": price}
        ).raise_for_status()
        products.append((product_id, price, tax_rate))
    return products


def main() -> None:
    load_before = loadavg()
    fresh_database(DB)
    results: dict = {
        "machine": f"{os.cpu_count()} cores (shared), {platform.python_implementation()} "
        f"{platform.python_version()}, {platform.machine()}",
        "date": datetime.now(UTC).date().isoformat(),
        "load_average_before": load_before,
        "products": PRODUCTS,
        "lines_per_order": LINES,
    }
    with Stack(DB, env={"OSPREY_LOG_LEVEL": "WARNING"}) as stack:
        base = stack.base_url
        login = httpx.post(f"{base}/api/v1/auth/login", json=stack.admin_credentials, timeout=30)
        login.raise_for_status()
        token = login.json()["token"]
        auth = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=base, headers=auth, timeout=30) as admin:
            products = make_catalogue(admin)

        def creator(label: str):
            def create_order(n: int, i: int) -> tuple[str, str, dict[str, Any]]:
                rng = random.Random(n * 100_003 + i)
                lines = [
                    {
                        "product_id": product_id,
                        "quantity": str(rng.randrange(1, 25)),
                        "price": price,
                        "discount": rng.choice(DISCOUNTS),
                        "tax_rate": tax_rate,
                    }
                    for product_id, price, tax_rate in rng.sample(products, LINES)
                ]
                body = {"currency": CURRENCY, "lines": lines, "notes": f"Bench {label} {n}-{i}"}
                return "POST", "/api/v1/orders", body

            return create_order

        def drafts(count: int) -> list[str]:
            """The ids of ``count`` draft orders (the load generator keeps no answers)."""
            ids: list[str] = []
            cursor = None
            with httpx.Client(base_url=base, headers=auth, timeout=30) as admin:
                while len(ids) < count:
                    params = {"limit": 500, "filter[status]": "draft"}
                    if cursor:
                        params["cursor"] = cursor
                    page = admin.get("/api/v1/orders", params=params).json()
                    ids += [o["id"] for o in page["items"]]
                    cursor = page.get("next_cursor")
                    if not cursor:
                        break
            return ids[:count]

        def confirmer(clients: int, requests: int):
            ids = drafts(requests)
            per_client = requests // clients

            def confirm(n: int, i: int) -> tuple[str, str, None]:
                return "POST", f"/api/v1/orders/{ids[n * per_client + i]}/confirm", None

            return confirm

        run_load(base, token, 2, 40, creator("warm-up"))
        results["create_1_client"] = run_load(base, token, 1, 300, creator("one"))
        results["create_8_clients"] = run_load(base, token, 8, 1200, creator("eight"))
        run_load(base, token, 2, 40, confirmer(2, 40))
        results["confirm_1_client"] = run_load(base, token, 1, 300, confirmer(1, 300))
        results["confirm_8_clients"] = run_load(base, token, 8, 1200, confirmer(8, 1200))

        with httpx.Client(base_url=base, headers=auth, timeout=30) as admin:
            confirmed = admin.get(
                "/api/v1/orders", params={"limit": 1, "filter[status]": "confirmed"}
            )
            sample = admin.get(f"/api/v1/orders/{confirmed.json()['items'][0]['id']}").json()
        results["sample_order"] = {
            "number": sample["number"],
            "status": sample["status"],
            "lines": len(sample["lines"]),
            "total": sample["total"],
        }
        results["load_average_after"] = loadavg()

    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "orders.json").write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
