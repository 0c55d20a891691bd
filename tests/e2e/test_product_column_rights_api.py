"""Products' hidden columns through the whole stack (issue 19 point 1): once an
administrator hides a product's code, price and tax rate from the sales rep role, the
rep's price list prices and order lines leave them out — answered without them (not
null, and no error for a field the schema describes) and without every line amount
worked out from the price (amount, discount, net, tax, total), while the order's own
totals go by the orders' column rights; the invoice PDF, a document sent to the
customer, is printed whole or not at all: refused to the rep, a 403 naming the
column. A read-only price hides nothing."""

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

#: an order line's price and the amounts worked out from it
LINE_AMOUNTS = ("price", "amount", "discount_amount", "net", "tax", "total")


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


def test_a_reps_prices_and_lines_leave_out_the_hidden_product_fields_and_the_pdf_is_refused(
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
    # the line's amounts would give the price away (net ÷ quantity): none of them
    assert not set(LINE_AMOUNTS) & set(line) and line["quantity"] == "3.000"
    assert got.json()["total"] == "14.99"  # the order's total: the orders' rights
    listed = rep.get("/api/v1/orders", params={"filter[owner_id]": world.rep_a1.id})
    assert listed.status_code == 200, listed.text
    assert all(not set(LINE_AMOUNTS) & set(ln) for o in listed.json()["items"] for ln in o["lines"])
    # the invoice's page reads the order's lines: the same answer
    pdf = rep.get(f"/api/v1/invoices/{invoice['id']}/pdf")
    assert pdf.status_code == 403, pdf.text
    assert pdf.headers["content-type"].startswith("application/problem+json")
    assert [(e["field"], e["message"]) for e in pdf.json()["errors"]] == [
        ("products.price", "is hidden for your role"),
        ("products.tax_rate", "is hidden for your role"),
    ]
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

    # a line without a price takes the list's; the rep reads neither price nor any
    # amount worked out from it (changed from the net read here before: the net and
    # the quantity gave the hidden price away); the order's total is the order's
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
    assert not set(LINE_AMOUNTS) & set(line) and line["tax_rate"] == "19.00"
    assert order["total"] == "14.99"
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
    assert all(not set(LINE_AMOUNTS) & set(ln) for ln in changed.json()["lines"])
    # 5 × 4.20 = 21.00 + 19 % = 24.99; 10 × 0.50 = 5.00 + 19 % = 5.95
    assert changed.json()["total"] == "30.94"
    full = admin.get(f"/api/v1/orders/{order['id']}").json()["lines"]
    assert [(ln["product_id"], ln["price"]) for ln in full] == [
        (bolt["id"], "4.20"),
        (nut["id"], "0.50"),
    ]


def test_a_read_only_price_shows_the_lines_amounts_and_prints(
    world: World, login: Login, rep_rights: str
) -> None:
    admin = world.admin
    bolt = made(
        admin.post("/api/v1/products", json={"code": f"RO-{word(6).upper()}", "name": "Hex bolt"})
    )
    retail = made(
        admin.post("/api/v1/price-lists", json={"name": f"Retail {word()}", "currency": "EUR"})
    )
    put = admin.put(
        f"/api/v1/price-lists/{retail['id']}/prices/{bolt['id']}", json={"price": "4.20"}
    )
    assert put.status_code == 200, put.text
    read_only = admin.put(
        f"/api/v1/roles/{rep_rights}/rights",
        json={"products": {"read": True, "export": True, "read_scope": "all",
                           "write_scope": "own", "read_only": ["price"]}},
    )  # fmt: skip
    assert read_only.status_code == 200, read_only.text
    rep = login(world.rep_a1.email, world.rep_a1.password)
    order = made(
        rep.post(
            "/api/v1/orders",
            json={"currency": "EUR", "lines": [
                {"product_id": bolt["id"], "quantity": "3", "discount": "10", "tax_rate": "19"}
            ]},
        )
    )  # fmt: skip
    # 3 × 4.20 = 12.60 − 10 % = 11.34 + 19 % (2.15) = 13.49
    (line,) = rep.get(f"/api/v1/orders/{order['id']}").json()["lines"]
    assert [line[k] for k in LINE_AMOUNTS] == ["4.20", "12.60", "1.26", "11.34", "2.15", "13.49"]
    assert rep.post(f"/api/v1/orders/{order['id']}/confirm").status_code == 200
    invoice = made(rep.post("/api/v1/invoices", json={"order_id": order["id"]}))
    pdf = rep.get(f"/api/v1/invoices/{invoice['id']}/pdf")
    assert pdf.status_code == 200, pdf.text
    text = " ".join(PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text().split())
    assert "11.34" in text and "13.49" in text
