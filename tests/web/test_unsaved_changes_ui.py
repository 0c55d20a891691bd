"""Unsaved changes on a record page: leaving through the menu or Back asks first
(staying keeps the changes), a reload brings them back, saving or discarding ends it."""

from __future__ import annotations

import re

from playwright.sync_api import Dialog, Page, expect

from tests.web.conftest import Site, sign_in
from tests.web.sales import created, unique


def test_a_changed_record_asks_before_it_is_left_and_survives_a_reload(
    page: Page, site: Site
) -> None:
    name = unique("Unsaved Lead")
    with site.api() as api:
        lead = created(api.post("/api/v1/leads", json={"contact_name": name}))
    sign_in(page, site, f"/leads/{lead['id']}")
    email = page.get_by_label("Email")
    email.fill("kept@example.com")

    asked: list[str] = []

    def stay(dialog: Dialog) -> None:
        asked.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", stay)
    page.get_by_role("navigation", name="Sections").get_by_role("link", name="Accounts").click()
    expect(email).to_have_value("kept@example.com")
    assert asked == ["You have changes that are not saved. Leave and lose them?"]
    assert page.url.endswith(f"/leads/{lead['id']}")

    # a tab of the same record is not leaving it
    page.get_by_role("tab", name="Feed").click()
    page.get_by_role("tab", name="Details").click()
    expect(email).to_have_value("kept@example.com")

    # a reload brings the changes back (the browser asks nothing of a test)
    page.reload()
    expect(page.get_by_label("Email")).to_have_value("kept@example.com")
    expect(page.get_by_text("Your unsaved changes from before were brought back")).to_be_visible()

    # Back asks too; leaving loses them
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("navigation", name="Sections").get_by_role("link", name="Accounts").click()
    page.wait_for_url(re.compile(r"/accounts$"))
    expect(page.get_by_role("heading", name="Accounts", level=1)).to_be_visible()
    page.go_back()
    expect(page.get_by_label("Email")).to_have_value("")

    # saved: nothing to ask
    page.get_by_label("Email").fill("saved@example.com")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("button", name="Save", exact=True)).to_be_disabled()
    # the answer is in (not only the request sent): nothing is left unsaved to ask about
    expect(page.locator(".actions [role=status]")).to_have_text("Saved")
    page.get_by_role("navigation", name="Sections").get_by_role("link", name="Accounts").click()
    page.wait_for_url(re.compile(r"/accounts$"))
    with site.api() as api:
        assert api.get(f"/api/v1/leads/{lead['id']}").json()["email"] == "saved@example.com"
