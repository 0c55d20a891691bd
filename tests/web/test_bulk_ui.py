"""Bulk work on a list's selection (issue 21 point 6): rows ticked one by one, by a
shift-click range or as all the filter matches; the dialog says how many; each record
is checked for rights and versions and said done or refused with the reason; a larger
selection runs as a job with its progress; English and Russian."""

from __future__ import annotations

import random
import re
import string

from playwright.sync_api import Page, expect

from tests.web.axe import described, violations
from tests.web.conftest import Site, sign_in
from tests.web.sales import new_account, new_user, snapshot
from tests.web.test_user_admin_ui import make_user, sign_in_as


def letters() -> str:
    """A fresh word the list's search finds by its start (names are searched by prefix)."""
    return "".join(random.choices(string.ascii_lowercase, k=10))


def test_a_shift_click_range_is_assigned_an_owner(page: Page, site: Site) -> None:
    tag = letters()
    with site.api() as api:
        accounts = [new_account(api, name=f"{tag} Bulkwise {n}") for n in range(1, 6)]
        owner = new_user(api, f"Olga Bulkowner {tag}")

    sign_in(page, site, f"/accounts?q={tag}&sort=name")
    rows = page.locator(".grid-body .grid-row")
    expect(rows).to_have_count(5, timeout=20_000)
    boxes = page.get_by_role("checkbox", name=re.compile(rf"^Select {tag} Bulkwise"))
    boxes.nth(0).click()
    boxes.nth(3).click(modifiers=["Shift"])  # the range from the first to the fourth
    bar = page.get_by_role("region", name="Selected records")
    expect(bar.get_by_role("status")).to_have_text("4 selected")
    expect(boxes.nth(4)).not_to_be_checked()

    bar.get_by_role("button", name="Assign owner").click()
    dialog = page.get_by_role("dialog", name="Assign owner")
    expect(dialog.get_by_text("The owner of 4 records will change.")).to_be_visible()
    picker = dialog.get_by_role("combobox", name="New owner")
    picker.fill(f"Bulkowner {tag}")
    dialog.get_by_role("option", name=re.compile(f"Olga Bulkowner {tag}")).click()
    found = violations(page)
    assert not found, described(found)
    dialog.get_by_role("button", name="Assign 4 records").click()
    expect(dialog.get_by_role("status")).to_have_text("Done: 4. Refused: 0.", timeout=20_000)
    snapshot(page, "bulk-assigned")
    dialog.get_by_role("button", name="Close").click()
    expect(bar).to_have_count(0)  # the list is read again, nothing ticked
    with site.api() as api:
        owners = [api.get(f"/api/v1/accounts/{a['id']}").json()["owner_id"] for a in accounts]
    assert owners[:4] == [owner["id"]] * 4 and owners[4] != owner["id"]


def test_a_record_changed_meanwhile_is_refused_with_the_reason(page: Page, site: Site) -> None:
    tag = letters()
    with site.api() as api:
        accounts = [new_account(api, name=f"{tag} Bulkwise {n}") for n in range(1, 6)]

    sign_in(page, site, f"/accounts?q={tag}&sort=name")
    rows = page.locator(".grid-body .grid-row")
    expect(rows).to_have_count(5, timeout=20_000)
    page.get_by_role("checkbox", name="Select all loaded rows").check()
    bar = page.get_by_role("region", name="Selected records")
    expect(bar.get_by_role("status")).to_have_text("5 selected")
    # one changes on the server after the list read it
    with site.api() as api:
        changed = api.patch(f"/api/v1/accounts/{accounts[2]['id']}", json={"industry": "Mills"})
        assert changed.status_code == 200, changed.text
    bar.get_by_role("button", name="Change a field").click()
    dialog = page.get_by_role("dialog", name="Change a field")
    expect(dialog.get_by_text("The field will change in 5 records.")).to_be_visible()
    dialog.get_by_label("Field").select_option(label="Industry")
    dialog.get_by_label("New value").fill("Textiles")
    dialog.get_by_role("button", name="Change 5 records").click()
    expect(dialog.locator(".bulk-summary")).to_have_text("Done: 4. Refused: 1.", timeout=20_000)
    refused = dialog.get_by_role("list", name="Refused records").get_by_role("listitem")
    expect(refused).to_have_count(1)
    expect(refused).to_contain_text(f"{tag} Bulkwise 3")
    expect(refused).to_contain_text("changed meanwhile")
    dialog.get_by_role("button", name="Close").click()
    with site.api() as api:
        industries = [api.get(f"/api/v1/accounts/{a['id']}").json()["industry"] for a in accounts]
    assert industries == ["Textiles", "Textiles", "Mills", "Textiles", "Textiles"]


def test_all_matching_the_filter_is_a_job_with_progress_in_russian(page: Page, site: Site) -> None:
    tag = letters()
    with site.api() as api:
        made = [new_account(api, name=f"{tag} Массово {n:02d}") for n in range(1, 26)]
        russian = make_user(api, f"Роза Массова {tag}", "admin", locale="ru")

    sign_in_as(page, site, russian["email"], russian["password"], f"/accounts?q={tag}")
    rows = page.locator(".grid-body .grid-row")
    expect(page.locator("[data-total]")).to_have_attribute("data-total", "25", timeout=20_000)
    page.get_by_role("checkbox", name=re.compile(rf"^Выбрать: {tag} Массово")).first.click()
    bar = page.get_by_role("region", name="Выбранные записи")
    expect(bar.get_by_role("status")).to_have_text("Выбрана 1")
    bar.get_by_role("button", name="Выбрать все 25 по фильтру").click()
    expect(bar.get_by_role("status")).to_have_text("Выбрано 25")
    expect(rows.first.get_by_role("checkbox")).to_be_checked()

    bar.get_by_role("button", name="Добавить запись в ленту").click()
    dialog = page.get_by_role("dialog", name="Добавить запись в ленту")
    expect(dialog.get_by_text("Запись появится в ленте каждой из 25 записей.")).to_be_visible()
    dialog.get_by_role("button", name="Опубликовать: 25 записей").click()
    expect(dialog.get_by_role("alert")).to_have_text("Напишите текст записи.")
    dialog.get_by_label("Запись").fill("Позвонили всем после выставки")
    found = violations(page)
    assert not found, described(found)
    dialog.get_by_role("button", name="Опубликовать: 25 записей").click()
    expect(dialog.locator(".bulk-summary")).to_have_text(
        "Выполнено: 25. Отказано: 0.", timeout=30_000
    )
    snapshot(page, "bulk-job-ru")
    dialog.get_by_role("button", name="Закрыть").click()
    with site.api() as api:
        for account in (made[0], made[24]):
            posts = api.get(
                "/api/v1/posts",
                params={"filter[related_type]": "account", "filter[related_id]": account["id"]},
            ).json()["items"]
            assert [p["text"] for p in posts] == ["Позвонили всем после выставки"]
