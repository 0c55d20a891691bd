"""The search box in the shell: typing finds records of several sections at once,
grouped by section; the keyboard opens one; "/" puts the cursor in the box; Russian."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import Page, expect

from tests.web.conftest import Site, sign_in
from tests.web.sales import created, snapshot
from tests.web.test_user_admin_ui import make_user, sign_in_as


def test_the_shell_search_finds_records_of_every_section(page: Page, site: Site) -> None:
    word = "".join(c for c in uuid.uuid4().hex if c.isalpha())[:4] + uuid.uuid4().hex[:4]
    name = f"Zq{word}"
    with site.api() as api:
        lead = created(api.post("/api/v1/leads", json={"contact_name": f"{name} Lind"}))
        account = created(api.post("/api/v1/accounts", json={"name": f"{name} Holdings"}))
        deal = created(
            api.post(
                "/api/v1/opportunities",
                json={"title": f"{name} rollout", "account_id": account["id"]},
            )
        )
    sign_in(page, site, "/leads")
    page.keyboard.press("/")
    box = page.get_by_role("combobox", name="Search everything")
    expect(box).to_be_focused()
    box.fill(name)
    results = page.get_by_role("listbox", name="Search results")
    expect(results.get_by_role("group", name="Leads")).to_contain_text(f"{name} Lind")
    expect(results.get_by_role("group", name="Accounts")).to_contain_text(f"{name} Holdings")
    expect(results.get_by_role("group", name="Opportunities")).to_contain_text(f"{name} rollout")
    snapshot(page, "global-search")

    # down to the account (the lead is first) and Enter opens its page
    options = results.get_by_role("option")
    expect(options).to_have_count(3)
    box.press("ArrowDown")
    expect(options.nth(1)).to_have_attribute("aria-selected", "true")
    box.press("Enter")
    page.wait_for_url(re.compile(rf"/accounts/{account['id']}$"))
    expect(page.get_by_role("heading", name=f"{name} Holdings")).to_be_visible()

    # a click opens the deal; nothing found says so
    box.fill(name)
    results.get_by_role("option", name=re.compile(f"{name} rollout")).click()
    page.wait_for_url(re.compile(rf"/opportunities/{deal['id']}$"))
    box.fill(f"{name}nothing")
    expect(results).to_contain_text(f"Nothing matches “{name}nothing”")
    assert lead["id"]


def test_the_search_box_in_russian(page: Page, site: Site) -> None:
    with site.api() as api:
        person = make_user(api, f"Ирина Поиск {uuid.uuid4().hex[:6]}", "sales_rep", locale="ru")
    sign_in_as(page, site, person["email"], person["password"], "/leads")
    box = page.get_by_role("combobox", name="Поиск по всему")
    box.fill("нет такого ничего")
    expect(page.get_by_role("listbox", name="Результаты поиска")).to_contain_text(
        "Ничего не найдено по запросу «нет такого ничего»"
    )
    snapshot(page, "global-search-ru")
