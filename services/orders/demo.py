"""Demo orders data for ``osprey demo-data``: products, a price list, orders, an invoice.

Everything goes through the running orders service by RPC, like any client, so the
events flow as they would. The orders are made from the demo deals that were won
(``services/sales/demo.py``), get their product lines while they are drafts and are
confirmed (the draft the orders service proposed when the deal was won, if it did);
the first is invoiced, the invoice issued and paid in part. Loaded once:
the first demo product's code tells whether it is there already.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

DEMO_CURRENCY = "EUR"
DEMO_PRICE_LIST = "Standard prices (EUR)"
DEMO_PRODUCTS: tuple[tuple[str, str, str, str, str, str], ...] = (
    # code, name, unit, category, tax rate %, price in the default list
    ("OSP-SEAT", "Osprey CRM seat, one year", "seat", "Software", "20", "350.00"),
    ("OSP-MIGR", "Data migration project", "project", "Services", "20", "40000.00"),
    ("OSP-WKSH", "Onboarding workshop day", "day", "Services", "20", "2100.00"),
    ("OSP-SUPP", "Priority support, one year", "contract", "Support", "20", "6000.00"),
    ("OSP-SCAN", "Warehouse barcode scanner", "piece", "Hardware", "20", "480.00"),
    ("OSP-TABL", "Rugged tablet", "piece", "Hardware", "20", "730.00"),
    ("OSP-CONS", "Consulting hour", "hour", "Services", "20", "145.00"),
    ("OSP-BOOK", "Printed user guide", "piece", "Training", "5.5", "24.90"),
)
# The won demo deal's title and its order's lines: (product code, quantity, discount %).
# Net of discounts the lines make the deal's amount (4,200.00 and 54,000.00).
DEMO_ORDERS: tuple[tuple[str, tuple[tuple[str, str, str], ...]], ...] = (
    ("Onboarding workshop", (("OSP-WKSH", "2", "0"),)),
    ("Legacy migration", (("OSP-MIGR", "1", "0"), ("OSP-SEAT", "40", "0"))),
)
# The share of the first order's invoice paid at once.
DEMO_PAID_SHARE = Decimal("0.5")


def _order_of(orders: Any, deal_id: str, actor: dict[str, Any]) -> dict[str, Any]:
    """The won deal's order: the one the orders service proposed when it was won
    (``propose_order_on_win``), else one made now."""

    def proposed() -> list[dict[str, Any]]:
        query = {"filter": {"opportunity_id": deal_id, "status": "draft"}, "limit": 1}
        return orders.list_orders(query, actor=actor)["items"]

    found = proposed()
    if found:
        return found[0]
    try:
        return orders.create_order_from_opportunity(deal_id, actor=actor)
    except Exception:
        # The proposal was placed in between (the deal has its one order): use that.
        found = proposed()
        if found:
            return found[0]
        raise


def load_demo(orders: Any, sales: Any, actor: dict[str, Any]) -> int:
    """Create the demo catalogue, orders and invoice through ``orders`` and ``sales``
    (RPC proxies); how many records were created (products, price list, orders,
    invoice, payment). Returns 0 when the demo products exist already.
    """
    existing = orders.list_products(
        {"filter": {"code": DEMO_PRODUCTS[0][0]}, "limit": 1}, actor=actor
    )
    if existing["items"]:
        return 0
    price_list = orders.create_price_list(
        {"name": DEMO_PRICE_LIST, "currency": DEMO_CURRENCY, "is_default": True}, actor=actor
    )
    products: dict[str, dict[str, Any]] = {}
    for code, name, unit, category, tax_rate, price in DEMO_PRODUCTS:
        product = orders.create_product(
            {"code": code, "name": name, "unit": unit, "category": category, "tax_rate": tax_rate},
            actor=actor,
        )
        orders.set_price(price_list["id"], product["id"], price, actor=actor)
        products[code] = {**product, "price": price}
    created = len(products) + 1
    placed = []
    for title, lines in DEMO_ORDERS:
        deals = sales.list_opportunities(
            {"filter": {"title": title, "status": "won"}, "limit": 1}, actor=actor
        )["items"]
        if not deals:
            continue  # the sales demo was not loaded by this run: no deal to order from
        order = _order_of(orders, deals[0]["id"], actor)
        order = orders.update_order(
            order["id"],
            {
                "lines": [
                    {
                        "product_id": products[code]["id"],
                        "quantity": quantity,
                        "price": products[code]["price"],
                        "discount": discount,
                        "tax_rate": products[code]["tax_rate"],
                    }
                    for code, quantity, discount in lines
                ],
                "notes": f"Ordered after the deal “{title}” was won",
            },
            actor=actor,
        )
        placed.append(orders.confirm_order(order["id"], actor=actor))
    created += len(placed)
    if placed:
        invoice = orders.create_invoice({"order_id": placed[0]["id"]}, actor=actor)
        invoice = orders.issue_invoice(invoice["id"], actor=actor)
        paid = (Decimal(invoice["total"]) * DEMO_PAID_SHARE).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP
        )
        orders.register_payment(invoice["id"], f"{paid:.2f}", actor=actor)
        created += 2
    return created
