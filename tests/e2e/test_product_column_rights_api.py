"""Products' hidden columns through the whole stack (issue 19 point 1): once an
administrator hides a product's code, price and tax rate from the sales rep role, the
rep's price list prices, order lines and invoice PDF leave them out — answered without
them (not null, and no error for a field the schema describes), printed without them."""

from __future__ import annotations

import io
from collections.abc import Iterator

import httpx
import pytest
from pypdf import PdfReader

from .conftest import Login
from .test_access_rights_api import _role_id
from .test_leads_api import World, word

pytestmark = pytest.mark.e2e


@pytest.fixture
def rep_rights(world: World) -> Iterator[str]:
    """The sales_rep role's id; its products' rights are put back as seeded afterwards."""
    role_id = _role_id(world, "sales_rep")
    before = world.admin.get(f"/api/v1/roles/{role_id}/rights")
    assert before.status_code == 200, before.text
    yield role_id
    products = {"products": before.json()["rights"]["products"]}
    restored = world.admin.put(f"/api/v1/roles/{role_id}/rights", json=products)
    assert restored.status_code == 200, restored.text


def made(response: httpx.Response) -> dict:
    assert response.status_code == 201, response.text
    return response.json()


def test_a_reps_prices_lines_and_invoice_pdf_leave_out_the_hidden_product_fields(
    world: World, login: Login, rep_rights: str
) -> None:
    admin = world.admin
    code = f"HX-{word(6).upper()}"
    bolt = made(admin.post("/api/v1/products", json={"code": code, "name": "Hex bolt"}))
    retail = made(
        admin.post("/api/v1/price-lists", json={"name": f"Retail {word()}", "currency": "EUR"})
    )
    put = admin.put(
        f"/api/v1/price-lists/{retail['id']}/prices/{bolt['id']}", json={"price": "4.20"}
    )
    assert put.status_code == 200, put.text
    rep = login(world.rep_a1.email, world.rep_a1.password)
    order = made(
        rep.post(
            "/api/v1/orders",
            json={"currency": "EUR", "lines": [
                {"product_id": bolt["id"], "quantity": "3", "price": "4.20", "tax_rate": "19"}
            ]},
        )
    )  # fmt: skip
    confirmed = rep.post(f"/api/v1/orders/{order['id']}/confirm")
    assert confirmed.status_code == 200, confirmed.text
    invoice = made(rep.post("/api/v1/invoices", json={"order_id": order["id"]}))

    hidden = admin.put(
        f"/api/v1/roles/{rep_rights}/rights",
        json={"products": {"read": True, "export": True, "read_scope": "all",
                           "write_scope": "own", "hidden": ["code", "price", "tax_rate"]}},
    )  # fmt: skip
    assert hidden.status_code == 200, hidden.text

    prices = rep.get(f"/api/v1/price-lists/{retail['id']}/prices")
    assert prices.status_code == 200, prices.text
    (price,) = prices.json()["items"]
    assert price["product_name"] == "Hex bolt"
    assert not {"product_code", "price"} & set(price) and price["currency"] == "EUR"
    got = rep.get(f"/api/v1/orders/{order['id']}")
    assert got.status_code == 200, got.text
    (line,) = got.json()["lines"]
    assert not {"price", "amount", "tax_rate"} & set(line)
    assert line["net"] == "12.60" and got.json()["total"] == "14.99"
    listed = rep.get("/api/v1/orders", params={"filter[owner_id]": world.rep_a1.id})
    assert listed.status_code == 200, listed.text
    assert all("price" not in ln for o in listed.json()["items"] for ln in o["lines"])
    pdf = rep.get(f"/api/v1/invoices/{invoice['id']}/pdf")
    assert pdf.status_code == 200, pdf.text
    text = " ".join(PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text().split())
    assert "Hex bolt 3 — 0 — 12.60 2.39 14.99" in text and code not in text
    # the administrator still sees and prints it all
    assert admin.get(f"/api/v1/orders/{order['id']}").json()["lines"][0]["price"] == "4.20"
    full = admin.get(f"/api/v1/invoices/{invoice['id']}/pdf")
    assert code in " ".join(PdfReader(io.BytesIO(full.content)).pages[0].extract_text().split())


def test_a_rep_who_may_not_see_prices_writes_order_lines_the_price_list_prices(
    world: World, login: Login, rep_rights: str
) -> None:
    admin = world.admin
    bolt, nut = (
        made(admin.post("/api/v1/products", json={"code": f"PL-{word(6).upper()}",
                                                  "name": name, "tax_rate": "19"}))
        for name in ("Hex bolt", "Lock nut")
    )  # fmt: skip
    retail = made(
        admin.post("/api/v1/price-lists", json={"name": f"Retail {word()}", "currency": "EUR"})
    )
    for product, price in ((bolt, "4.20"), (nut, "0.50")):
        put = admin.put(
            f"/api/v1/price-lists/{retail['id']}/prices/{product['id']}", json={"price": price}
        )
        assert put.status_code == 200, put.text
    hidden = admin.put(
        f"/api/v1/roles/{rep_rights}/rights",
        json={"products": {"read": True, "export": True, "read_scope": "all",
                           "write_scope": "own", "hidden": ["price"]}},
    )  # fmt: skip
    assert hidden.status_code == 200, hidden.text
    rep = login(world.rep_a1.email, world.rep_a1.password)
    meta = rep.get("/api/v1/meta/entities").json()["entities"]["products"]
    assert meta["permissions"]["hidden"] == ["price"]

    # a line without a price takes the list's; the rep reads neither price nor amount
    order = made(
        rep.post(
            "/api/v1/orders",
            json={
                "currency": "EUR",
                "lines": [{"product_id": bolt["id"], "quantity": "3", "tax_rate": "19"}],
            },
        )
    )
    (line,) = order["lines"]
    assert not {"price", "amount"} & set(line) and line["tax_rate"] == "19.00"
    assert (line["net"], order["total"]) == ("12.60", "14.99")
    # a price sent is refused, naming it, and changes nothing
    sent = rep.patch(
        f"/api/v1/orders/{order['id']}",
        json={"lines": [{"product_id": bolt["id"], "quantity": "3", "price": "0.01"}]},
        headers={"If-Match": f'"{order["version"]}"'},
    )
    assert sent.status_code == 422, sent.text
    assert sent.headers["content-type"].startswith("application/problem+json")
    assert [(e["field"], e["message"]) for e in sent.json()["errors"]] == [
        ("lines[0].price", "is read-only for your role")
    ]
    # the list's price changes; the rep changes the bolt's quantity and adds a nut: the
    # bolt keeps the order's price, the nut takes the list's
    put = admin.put(
        f"/api/v1/price-lists/{retail['id']}/prices/{bolt['id']}", json={"price": "9.99"}
    )
    assert put.status_code == 200, put.text
    changed = rep.patch(
        f"/api/v1/orders/{order['id']}",
        json={"lines": [{"product_id": bolt["id"], "quantity": "5", "tax_rate": "19"},
                        {"product_id": nut["id"], "quantity": "10", "price": None,
                         "tax_rate": "19"}]},
        headers={"If-Match": f'"{order["version"]}"'},
    )  # fmt: skip
    assert changed.status_code == 200, changed.text
    assert all("price" not in ln for ln in changed.json()["lines"])
    # 5 × 4.20 = 21.00 + 19 % = 24.99; 10 × 0.50 = 5.00 + 19 % = 5.95
    assert changed.json()["total"] == "30.94"
    full = admin.get(f"/api/v1/orders/{order['id']}").json()["lines"]
    assert [(ln["product_id"], ln["price"]) for ln in full] == [
        (bolt["id"], "4.20"),
        (nut["id"], "0.50"),
    ]
