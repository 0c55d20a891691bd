"""The Change log tab of a lead in a real browser: each change with when, who, the
source and each field's old → new value under the field's label."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.web.conftest import Site, sign_in
from tests.web.sales import created, snapshot, unique


def test_a_leads_change_history_shows_old_and_new_values(page: Page, site: Site) -> None:
    first, second = unique("Audited Lead"), unique("Audited Lead renamed")
    with site.api() as api:
        lead = created(api.post("/api/v1/leads", json={"contact_name": first}))
        changed = api.patch(f"/api/v1/leads/{lead['id']}", json={"contact_name": second})
        assert changed.status_code == 200, changed.text
    sign_in(page, site, f"/leads/{lead['id']}?tab=audit")
    tab = page.get_by_role("tab", name="Change log")
    expect(tab).to_have_attribute("aria-selected", "true")

    # the events reach the trail a moment after the change: reopen until both are there
    entries = page.locator(".audit-entry")
    for _ in range(20):
        if entries.count() >= 2:
            break
        page.wait_for_timeout(500)
        page.reload()
    expect(entries).to_have_count(2)

    changed_entry = entries.nth(0)
    expect(changed_entry).to_have_attribute("data-action", "updated")
    expect(changed_entry).to_contain_text("Changed")
    expect(changed_entry).to_contain_text(site.email)
    expect(changed_entry.locator(".audit-source")).to_have_text("API")
    row = changed_entry.locator("tr[data-field=contact_name]")
    expect(row.locator("th")).to_have_text("Contact name")
    expect(row.locator(".audit-old")).to_have_text(first)
    expect(row.locator(".audit-new")).to_have_text(second)

    made = entries.nth(1)
    expect(made).to_have_attribute("data-action", "created")
    expect(made.locator("tr[data-field=contact_name] .audit-new")).to_have_text(first)
    snapshot(page, "lead-change-history")


def test_an_administrator_searches_the_trail(page: Page, site: Site) -> None:
    name = unique("Searched Lead")
    with site.api() as api:
        lead = created(api.post("/api/v1/leads", json={"contact_name": name}))
        changed = api.patch(f"/api/v1/leads/{lead['id']}", json={"phone": "+79031112233"})
        assert changed.status_code == 200, changed.text
    sign_in(page, site, "/admin/audit")
    expect(page.get_by_role("heading", name="Audit trail")).to_be_visible()
    page.get_by_label("Record kind").select_option("lead")
    page.get_by_label("Record id").fill(lead["id"])
    page.get_by_label("Field", exact=True).fill("phone")
    entries = page.locator(".audit-entry")
    for _ in range(20):
        page.get_by_role("button", name="Search", exact=True).click()
        page.wait_for_timeout(500)
        if entries.count() == 1:
            break
    expect(entries).to_have_count(1)
    expect(entries.first).to_contain_text("Lead")
    expect(entries.first.locator("tr[data-field=phone] .audit-new")).to_contain_text("903")

    page.get_by_label("Record id").fill("not-an-id")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("record_id: must be a UUID")
    snapshot(page, "admin-audit-search")
