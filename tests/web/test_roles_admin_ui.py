"""Roles of one's own in a real browser (issue 19 point 2): an administrator makes a
role from the sales rep's rights in Administration → Roles, is told who still holds it
when deleting it, renames it, and deletes it once nobody does; Osprey's own roles offer
neither; the screen reads in Russian and says a taken name in Russian."""

from __future__ import annotations

import uuid

from playwright.sync_api import Page, expect

from tests.web.conftest import Site, sign_in
from tests.web.sales import created, snapshot
from tests.web.test_user_admin_ui import make_user, password, roles, sign_in_as


def test_an_admin_makes_renames_and_deletes_a_role(page: Page, site: Site, browser) -> None:
    word = uuid.uuid4().hex[:6]
    name, renamed = f"Key accounts {word}", f"Key accounts East {word}"
    holder = russian_admin = None
    other = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-GB")
    try:
        sign_in(page, site, "/admin/roles")
        expect(page.locator("[data-rights-role='sales_rep']")).to_be_visible()
        page.locator("[data-rights-role='sales_rep']").click()
        expect(page.locator("[data-role-actions]")).to_have_count(0)  # Osprey's own
        page.get_by_role("button", name="New role").click()
        form = page.get_by_role("form", name="New role")
        form.get_by_label("Name").fill(name)
        form.get_by_label("Start from the rights of").select_option(label="Sales rep")
        form.get_by_role("button", name="Create").click()
        expect(page.get_by_role("status")).to_have_text(
            f"The role {name} was created. Set its rights below."
        )
        tab = page.locator(f"[data-rights-role='{name}']")
        expect(tab).to_have_attribute("aria-pressed", "true")
        # the sales rep's rights, copied
        row = page.locator("tr[data-entity='leads']")
        expect(row.get_by_label("Leads: Delete")).to_be_checked()
        expect(row.get_by_label("Leads: Changes")).to_have_value("own")
        snapshot(page, "admin-role-created")

        with site.api() as api:
            role_id = roles(api)[name]
            holder = created(
                api.post(
                    "/api/v1/users",
                    json={"email": f"{uuid.uuid4().hex[:10]}@osprey.test",
                          "full_name": f"Hana Holder {word}", "password": password(),
                          "role_ids": [role_id]},
                )
            )  # fmt: skip
        page.once("dialog", lambda dialog: dialog.accept())
        page.get_by_role("button", name="Delete role").click()
        expect(page.get_by_role("alert")).to_have_text(
            f"The role “{name}” is still held by Hana Holder {word}."
            " Give them another role on the Users page first."
        )
        expect(tab).to_be_visible()

        page.get_by_role("button", name="Rename").click()
        rename = page.get_by_role("form", name=f"Rename “{name}”")
        rename.get_by_label("Name").fill(renamed)
        rename.get_by_role("button", name="Save").click()
        expect(page.get_by_role("status")).to_have_text(f"The role is now called {renamed}.")
        expect(page.locator(f"[data-rights-role='{renamed}']")).to_have_attribute(
            "aria-pressed", "true"
        )
        expect(tab).to_have_count(0)

        with site.api() as api:
            moved = api.patch(
                f"/api/v1/users/{holder['id']}", json={"role_ids": [roles(api)["sales_rep"]]}
            )
            assert moved.status_code == 200, moved.text
        page.once("dialog", lambda dialog: dialog.accept())
        page.get_by_role("button", name="Delete role").click()
        expect(page.get_by_role("status")).to_have_text(f"The role {renamed} was deleted.")
        expect(page.locator(f"[data-rights-role='{renamed}']")).to_have_count(0)
        with site.api() as api:
            assert renamed not in roles(api)

        # in Russian: the form, and a taken name said in Russian
        with site.api() as api:
            russian_admin = make_user(api, f"Роман Ролев {word}", "admin", locale="ru")
        ru = other.new_page()
        sign_in_as(ru, site, russian_admin["email"], russian_admin["password"], "/admin/roles")
        ru.get_by_role("button", name="Новая роль").click()
        ru_form = ru.get_by_role("form", name="Новая роль")
        expect(ru_form.get_by_label("Начать с прав роли")).to_have_value("")
        ru_form.get_by_label("Название").fill(f"Партнёры {word}")
        ru_form.get_by_role("button", name="Создать").click()
        expect(ru.get_by_role("status")).to_contain_text(f"Роль Партнёры {word} создана.")
        ru.get_by_role("button", name="Новая роль").click()
        ru_form.get_by_label("Название").fill(f"партнёры {word}")
        ru_form.get_by_role("button", name="Создать").click()
        expect(ru_form.get_by_role("alert")).to_have_text("Роль с таким названием уже есть.")
        snapshot(ru, "admin-roles-ru")
    finally:
        other.close()
        with site.api() as api:
            for role_name, role_id in roles(api).items():
                if word in role_name:
                    api.delete(f"/api/v1/roles/{role_id}")
            if russian_admin is not None:
                off = api.patch(f"/api/v1/users/{russian_admin['id']}", json={"is_active": False})
                assert off.status_code == 200, off.text
