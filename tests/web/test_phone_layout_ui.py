"""The app on a phone (390×844): the menu is a drawer behind a button, the list takes
the whole width, a record's fields stack, and every action stays reachable."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.web.conftest import Site, sign_in
from tests.web.sales import created, snapshot, unique


@pytest.fixture
def phone(browser, site: Site) -> Iterator[Page]:
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, locale="en-GB", has_touch=True, is_mobile=True
    )
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def test_a_phone_gets_a_drawer_menu_and_a_full_width_list(phone: Page, site: Site) -> None:
    name = unique("Phone Lead")
    with site.api() as api:
        lead = created(api.post("/api/v1/leads", json={"contact_name": name}))
    sign_in(phone, site, "/leads")
    menu = phone.get_by_role("button", name="Menu")
    sections = phone.get_by_role("navigation", name="Sections")
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(sections).not_to_be_in_viewport()
    # the list has the whole width, its rows are readable
    main = phone.locator("main").bounding_box()
    assert main is not None and main["width"] >= 380, main
    row = phone.locator(".grid-row", has_text=name)
    expect(row).to_be_visible()
    box = row.bounding_box()
    assert box is not None and box["width"] >= 340, box
    snapshot(phone, "phone-leads")

    # the drawer opens over the page and closes by going somewhere
    menu.tap()
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(sections).to_be_in_viewport()
    snapshot(phone, "phone-menu")
    sections.get_by_role("link", name="Accounts").tap()
    expect(phone).to_have_url(f"{site.base_url}/accounts")
    expect(sections).not_to_be_in_viewport()
    # and by Escape
    menu.tap()
    expect(sections).to_be_in_viewport()
    phone.keyboard.press("Escape")
    expect(sections).not_to_be_in_viewport()

    # a record's fields stack in one column, and saving is within reach
    phone.goto(f"{site.base_url}/leads/{lead['id']}")
    first = phone.get_by_label("Contact name").bounding_box()
    assert first is not None and first["width"] >= 300, first
    expect(phone.get_by_role("button", name="Save", exact=True)).to_be_in_viewport()
    snapshot(phone, "phone-lead")
