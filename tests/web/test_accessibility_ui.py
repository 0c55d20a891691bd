"""axe-core's WCAG 2.1 A/AA checks on every section's list and on record pages, in
both themes (the dark one on the screens with the most colours): no serious or critical
violation (issue 21, point 10)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.web.axe import described, violations
from tests.web.conftest import Site, sign_in
from tests.web.sales import created, new_account, new_deal, unique

SECTIONS = (
    "/results",
    "/leads",
    "/accounts",
    "/contacts",
    "/opportunities",
    "/opportunities/board",
    "/forecasts",
    "/activities",
    "/activities/my",
    "/activities/calendar",
    "/feed",
    "/mail",
    "/products",
    "/price-lists",
    "/orders",
    "/invoices",
    "/reports",
    "/processes",
    "/admin/users",
    "/admin/roles",
    "/settings",
)


def settled(page: Page, site: Site, path: str) -> None:
    page.goto(site.base_url + path)
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(300)  # the last lazy part drawn


#: the dark theme's colours on the screens that use the most of them
DARK = ("/leads", "/opportunities/board", "/activities/calendar", "/feed", "/forecasts")


# 21 screens, each loaded, settled and checked: beyond the default two minutes when the
# browser tests share the machine with the rest of the suite
@pytest.mark.timeout(420)
@pytest.mark.parametrize("theme", ["light", "dark"])
def test_every_section_passes_axe(page: Page, site: Site, theme: str) -> None:
    sign_in(page, site, "/leads")
    failures = []
    for path in SECTIONS if theme == "light" else DARK:
        settled(page, site, path)
        page.evaluate(f"() => document.documentElement.dataset.theme = '{theme}'")
        found = violations(page)
        if found:
            failures.append(f"{path}\n{described(found)}")
    assert not failures, "\n\n".join(failures)


def test_record_pages_pass_axe(page: Page, site: Site) -> None:
    with site.api() as api:
        lead = created(api.post("/api/v1/leads", json={"contact_name": unique("Axe Lead")}))
        account = new_account(api, name=unique("Axe Ltd"))
        contact = created(
            api.post(
                "/api/v1/contacts",
                json={"full_name": unique("Axe Person"), "account_id": account["id"]},
            )
        )
        deal = new_deal(api, account_id=account["id"])
        order = created(api.post("/api/v1/orders", json={"currency": "EUR"}))
        invoice = created(
            api.post("/api/v1/invoices", json={"currency": "EUR", "total": "10", "tax_total": "0"})
        )
    sign_in(page, site, "/leads")
    failures = []
    for path in (
        f"/leads/{lead['id']}",
        f"/accounts/{account['id']}",
        f"/contacts/{contact['id']}",
        f"/opportunities/{deal['id']}",
        f"/orders/{order['id']}",
        f"/invoices/{invoice['id']}",
        "/leads/new",
    ):
        settled(page, site, path)
        found = violations(page)
        if found:
            failures.append(f"{path}\n{described(found)}")
    assert not failures, "\n\n".join(failures)
