"""Products in analytics: the catalogue's figures, the same for every reader (a product
has no owner or team deciding who sees it)."""

from __future__ import annotations

from typing import Any

from services.platform.ids import new_id

from .conftest import ADMIN, ANN, BOB, call, event


def product(code: str, category: str | None, active: bool = True, version: int = 1) -> dict:
    return {
        "id": new_id(),
        "code": code,
        "name": f"Product {code}",
        "unit": "pcs",
        "category": category,
        "is_active": active,
        "description": None,
        "tax_rate": "20.00",
        "price": "10.00",
        "currency": "EUR",
        "version": version,
        "created_at": "2026-12-01T09:00:00Z",
        "updated_at": "2026-12-01T09:00:00Z",
        "created_by": ADMIN["id"],
    }


def report(analytics: Any, actor: dict, **spec: Any) -> list[dict]:
    return call(analytics, "run_report", spec, actor=actor)["rows"]


def test_products_by_category_and_state_for_every_reader(analytics):
    seat, scanner, old = (
        product("S-1", "Software"),
        product("H-1", "Hardware"),
        product("H-0", "Hardware"),
    )
    for item in (seat, scanner, old):
        call(analytics, "handle_orders_product_created", event("product_created", item))
    retired = {**old, "is_active": False, "version": 2, "changed_fields": ["is_active"]}
    call(analytics, "handle_orders_product_updated", event("product_updated", retired))
    # an older state arriving late changes nothing
    call(analytics, "handle_orders_product_updated", event("product_updated", old))

    for reader in (ADMIN, ANN, BOB):
        by_category = report(analytics, reader, entity="products", group_by=["category"])
        assert by_category == [
            {"category": "Hardware", "count": 2},
            {"category": "Software", "count": 1},
        ], reader["email"]
    active = report(
        analytics, ANN, entity="products", group_by=["is_active"], filters={"category": "Hardware"}
    )
    assert active == [{"is_active": "false", "count": 1}, {"is_active": "true", "count": 1}]
