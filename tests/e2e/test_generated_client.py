"""An integrator's client, generated from the live OpenAPI document, drives the sales
flow alone (issue 20): openapi-python-client must generate it without one warning, and
every call below goes through it — no hand-written HTTP."""

from __future__ import annotations

import importlib
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

from tests.support.stack import Stack

#: openapi-python-client reads JSON, form and octet-stream bodies; these binary media
#: types are bytes to it (its documented ``content_type_overrides``).
GENERATOR_CONFIG = """\
content_type_overrides:
  application/pdf: application/octet-stream
  application/xml: application/octet-stream
  application/vnd.openxmlformats-officedocument.spreadsheetml.sheet: application/octet-stream
"""
PACKAGE = "osprey_client"


@pytest.fixture(scope="module")
def generated(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Generate the client from the running gateway's document; yield the generator's output."""
    root = tmp_path_factory.mktemp("client")
    document = httpx.get(f"{stack.base_url}/api/v1/openapi.json", timeout=60)
    assert document.status_code == 200
    (root / "openapi.json").write_bytes(document.content)
    (root / "config.yml").write_text(GENERATOR_CONFIG)
    bin_dir = Path(sys.executable).parent
    result = subprocess.run(
        [
            str(bin_dir / "openapi-python-client"),
            "generate",
            "--path",
            str(root / "openapi.json"),
            "--config",
            str(root / "config.yml"),
            "--meta",
            "none",
            "--output-path",
            str(root / PACKAGE),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        env={"PATH": f"{bin_dir}:/usr/bin:/bin", "HOME": str(root)},
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    sys.path.insert(0, str(root))
    try:
        yield output
    finally:
        sys.path.remove(str(root))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
            del sys.modules[name]


def api(name: str) -> ModuleType:
    """An operation's module of the generated client: ``api("leads.qualify_lead")``."""
    return importlib.import_module(f"{PACKAGE}.api.{name}")


def model(name: str) -> Any:
    return getattr(importlib.import_module(f"{PACKAGE}.models"), name)


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.content[:500]
    return response.parsed


def test_the_document_generates_a_client_without_warnings(generated: str) -> None:
    assert "WARNING" not in generated, generated
    assert "Generating" in generated


def test_the_sales_flow_through_the_generated_client(generated: str, stack: Stack) -> None:
    client_module = importlib.import_module(PACKAGE)
    tag = uuid.uuid4().hex[:8]

    # sign in
    anonymous = client_module.Client(base_url=stack.base_url, timeout=httpx.Timeout(30))
    login_in = model("LoginIn")(email=stack.admin_email, password=stack.admin_password)
    session = ok(api("auth.login").sync_detailed(client=anonymous, body=login_in))
    client = client_module.AuthenticatedClient(
        base_url=stack.base_url, token=session.token, timeout=httpx.Timeout(30)
    )
    me = ok(api("auth.get_me").sync_detailed(client=client))
    assert me.email == stack.admin_email

    # account and contact
    account = ok(
        api("accounts.create_account").sync_detailed(
            client=client,
            body=model("AccountCreate")(
                name=f"Kestrel Works {tag}",
                addresses=[model("AddressIn")(city="Leeds", country="GB")],
            ),
        ),
        201,
    )
    contact = ok(
        api("contacts.create_contact").sync_detailed(
            client=client,
            body=model("ContactCreate")(
                full_name=f"Nina Osei {tag}",
                account_id=account.id,
                emails=[model("ContactEmailIn")(email=f"nina.{tag}@kestrel.example")],
            ),
        ),
        201,
    )
    assert contact.emails[0].email == f"nina.{tag}@kestrel.example"

    # a lead, qualified to that contact and account, handed off to sales
    lead = ok(
        api("leads.create_lead").sync_detailed(
            client=client,
            body=model("LeadCreate")(
                contact_name=f"Nina Osei {tag}", account_name=f"Kestrel Works {tag}"
            ),
        ),
        201,
    )
    qualified = ok(
        api("leads.qualify_lead").sync_detailed(
            str(lead.id),
            client=client,
            body=model("QualifyIn")(
                contact_id=str(contact.id), account_id=str(account.id), need_type="software"
            ),
        )
    )
    assert qualified.stage.value == "handoff"
    handed = ok(
        api("leads.handoff_lead").sync_detailed(
            str(lead.id),
            client=client,
            body=model("HandoffIn")(title=f"Kestrel rollout {tag}", currency="EUR"),
        )
    )
    deal_id = handed.opportunity_id
    assert deal_id is not None

    # the deal found by a filter
    deals = ok(
        api("opportunities.list_opportunities").sync_detailed(
            client=client, filterlead_id=str(lead.id), limit=500
        )
    )
    assert [d.id for d in deals.items] == [deal_id]

    # a product with a price, on the deal
    product = ok(
        api("products.create_product").sync_detailed(
            client=client,
            body=model("ProductFields")(code=f"K-{tag}", name=f"Kestrel seat {tag}", tax_rate="20"),
        ),
        201,
    )
    price_list = ok(
        api("price_lists.create_price_list").sync_detailed(
            client=client,
            body=model("PriceListFields")(name=f"Euro {tag}", currency="EUR"),
        ),
        201,
    )
    price = ok(
        api("price_lists.set_price_list_price").sync_detailed(
            str(price_list.id),
            str(product.id),
            client=client,
            body=model("PriceIn")(price="40.00"),
        )
    )
    assert price.price == "40.00"
    ok(
        api("opportunities.update_opportunity").sync_detailed(
            str(deal_id),
            client=client,
            body=model("OpportunityUpdate")(
                lines=[model("DealLineIn")(product_id=str(product.id), quantity="3", price="40")]
            ),
        )
    )

    # the order from the deal, confirmed; its invoice issued, paid in part, printed
    order = ok(
        api("orders.create_order_from_opportunity").sync_detailed(
            client=client, body=model("FromOpportunityIn")(opportunity_id=deal_id)
        ),
        201,
    )
    assert (order.total, order.lines[0].quantity) == ("144.00", "3.000")
    confirmed = ok(api("orders.confirm_order").sync_detailed(str(order.id), client=client))
    assert confirmed.status.value == "confirmed"
    invoice = ok(
        api("invoices.create_invoice").sync_detailed(
            client=client, body=model("InvoiceCreate")(order_id=order.id)
        ),
        201,
    )
    ok(api("invoices.issue_invoice").sync_detailed(str(invoice.id), client=client))
    paid = ok(
        api("invoices.register_payment").sync_detailed(
            str(invoice.id), client=client, body=model("PaymentIn")(amount="44.00")
        )
    )
    assert (paid.status.value, paid.paid_amount) == ("issued", "44.00")
    pdf = ok(api("invoices.get_invoice_pdf").sync_detailed(str(invoice.id), client=client))
    assert pdf.payload.read(5) == b"%PDF-"

    # a post on the deal's feed
    post = ok(
        api("feed.create_post").sync_detailed(
            client=client,
            body=model("PostIn")(
                text=f"Order {order.number} confirmed",
                related=model("RecordRef")(type_=model("RecordRefType")("opportunity"), id=deal_id),
            ),
        ),
        201,
    )
    assert f"Order {order.number}" in post.text

    # a refused request, read as a typed problem
    refused = api("invoices.register_payment").sync_detailed(
        str(invoice.id), client=client, body=model("PaymentIn")(amount="1000.00")
    )
    assert refused.status_code == 422
    problem = refused.parsed
    assert isinstance(problem, model("ValidationProblem"))
    assert problem.status == 422 and [e.field for e in problem.errors] == ["amount"]
    missing = api("leads.get_lead").sync_detailed(str(uuid.uuid4()), client=client)
    assert missing.status_code == 404 and isinstance(missing.parsed, model("Problem"))
