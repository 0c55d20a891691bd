"""The lists administrators keep, as the forms' selects (issue 20 point 5): a lead's
source, channel and need type, a new deal's currency and need type, and why a deal was
lost are picked from their lists in a real browser, and what was picked is saved."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import Page, expect

from tests.web.conftest import Site, sign_in


def unique(prefix: str) -> str:
    return f"{prefix} {uuid.uuid4().hex[:8]}"


def test_a_lead_s_source_channel_and_need_type_are_picked_from_their_lists(
    page: Page, site: Site
) -> None:
    need = f"lenses_{uuid.uuid4().hex[:6]}"
    with site.api() as api:
        # the lists are served as collections too (API.md), need types among them
        assert api.get("/api/v1/need-types").status_code == 200
        added = api.post(
            "/api/v1/lookups/need-types", json={"code": need, "name": f"Lenses {need}"}
        )
        assert added.status_code == 201, added.text
    sign_in(page, site, "/leads/new")
    name = unique("Picked Person")
    page.get_by_label("Contact name", exact=True).fill(name)
    source = page.get_by_label("Source", exact=True)
    expect(source).to_have_js_property("tagName", "SELECT")
    source.select_option(label="Referral")
    page.get_by_label("Channel", exact=True).select_option(label="Phone")
    page.get_by_label("Need type", exact=True).select_option(label=f"Lenses {need}")
    page.get_by_role("button", name="Create").click()
    page.wait_for_url(re.compile(r"/leads/[0-9a-f-]{36}$"))
    lead_id = page.url.rsplit("/", 1)[1]
    with site.api() as api:
        lead = api.get(f"/api/v1/leads/{lead_id}").json()
    assert (lead["source"], lead["channel"], lead["need_type"]) == ("referral", "phone", need)
    # the record page shows the pick as the same select, the entry chosen
    expect(page.get_by_label("Source", exact=True)).to_have_value("referral")


def test_a_new_deal_s_currency_and_its_loss_reason_are_picked_from_lists(
    page: Page, site: Site
) -> None:
    sign_in(page, site, "/opportunities/new")
    title = unique("Picked deal")
    page.get_by_label("Title", exact=True).fill(title)
    currency = page.get_by_label("Currency", exact=True)
    expect(currency).to_have_js_property("tagName", "SELECT")
    currency.select_option("USD")
    page.get_by_label("Amount", exact=True).fill("2500")
    page.get_by_label("Need", exact=True).select_option(label="Support")
    page.get_by_role("button", name="Create").click()
    page.wait_for_url(re.compile(r"/opportunities/[0-9a-f-]{36}$"))
    deal_id = page.url.rsplit("/", 1)[1]
    with site.api() as api:
        deal = api.get(f"/api/v1/opportunities/{deal_id}").json()
    assert (deal["currency"], deal["need_type"]) == ("USD", "support")

    page.get_by_role("button", name="Mark as lost").click()
    dialog = page.get_by_role("dialog", name="Why was the deal lost?")
    dialog.get_by_label("Reason").select_option(label="No decision")
    dialog.get_by_role("button", name="Mark as lost").click()
    expect(page.locator(".outcome-note")).to_contain_text("No decision")
    with site.api() as api:
        deal = api.get(f"/api/v1/opportunities/{deal_id}").json()
    assert (deal["status"], deal["lost_reason"]) == ("lost", "no_decision")
