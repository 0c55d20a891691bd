"""Administering people in a real browser: an administrator invites a user into a team
with a role, the user signs in with the password shown once, the administrator resets
it and deactivates them (their session ends at once); a team is created, renamed, given
a manager and deleted once empty; a sales rep sees no Administration; and the screens
read in Russian."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
from playwright.sync_api import Page, expect

from tests.web.conftest import Site, sign_in
from tests.web.sales import created, snapshot


def tag() -> str:
    return uuid.uuid4().hex[:8]


def password() -> str:
    return f"Wren-{uuid.uuid4().hex[:10]}-7Q"


def roles(api: httpx.Client) -> dict[str, str]:
    return {r["name"]: r["id"] for r in api.get("/api/v1/roles").json()["items"]}


def make_user(api: httpx.Client, name: str, role: str, **fields: Any) -> dict[str, Any]:
    body = {
        "email": f"{uuid.uuid4().hex[:10]}@osprey.test",
        "full_name": name,
        "password": password(),
        "role_ids": [roles(api)[role]],
        **fields,
    }
    user = created(api.post("/api/v1/users", json=body))
    return {**user, "password": body["password"]}


def sign_in_as(page: Page, site: Site, email: str, secret: str, path: str) -> None:
    page.goto(site.base_url + path)
    page.wait_for_url(re.compile(r"/sign-in"))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(secret)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(re.escape(path) + r"(\?|$)"))


def api_status(page: Page, site: Site) -> int:
    """What the API answers this browser's session now (its cookie)."""
    return page.request.get(f"{site.base_url}/api/v1/me").status


def login_status(site: Site, email: str, secret: str) -> int:
    return httpx.post(
        f"{site.base_url}/api/v1/auth/login", json={"email": email, "password": secret}, timeout=15
    ).status_code


def test_an_admin_invites_a_user_resets_their_password_and_deactivates_them(
    page: Page, site: Site, browser
) -> None:
    word = tag()
    name, email = f"Ines Quarry {word}", f"ines.{word}@osprey.test"
    with site.api() as api:
        team = created(api.post("/api/v1/teams", json={"name": f"Harbour {word}"}))
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site.base_url)
    sign_in(page, site, "/admin/users")
    nav = page.get_by_role("navigation", name="Administration")
    for label in ("Users", "Teams", "Roles"):
        expect(nav.get_by_role("link", name=label, exact=True)).to_be_visible()

    # Invited into a team as a sales manager, with a password Osprey makes
    page.get_by_role("button", name="Invite a user").click()
    dialog = page.get_by_role("dialog", name="Invite a user")
    dialog.get_by_label("Full name").fill(name)
    dialog.get_by_label("Email").fill(email)
    dialog.get_by_label("Team").select_option(label=team["name"])
    dialog.get_by_label("Sales manager").check()
    dialog.get_by_label("Sales rep").uncheck()
    expect(dialog.get_by_label("Make a temporary password")).to_be_checked()
    snapshot(page, "admin-users-invite")
    dialog.get_by_role("button", name="Invite", exact=True).click()

    shown = page.get_by_role("dialog", name=f"{name} can sign in now")
    temporary = shown.locator("[data-temporary-password]").inner_text()
    assert len(temporary) >= 16
    shown.get_by_role("button", name="Copy the password").click()
    expect(shown.get_by_role("button", name="Copied")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == temporary
    snapshot(page, "admin-users-invited")
    shown.get_by_role("button", name="Done").click()
    page.get_by_role("searchbox", name="Search by name or email").fill(word)
    row = page.locator(f"tr[data-user='{email}']")
    expect(row).to_contain_text(team["name"])
    expect(row).to_contain_text("Sales manager")

    # The new user signs in with the password shown
    theirs = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-GB")
    try:
        them = theirs.new_page()
        sign_in_as(them, site, email, temporary, "/leads")
        # A password somebody else saw: they choose their own before anything else
        expect(them.get_by_role("heading", name="Choose your own password")).to_be_visible()
        assert api_status(them, site) == 200
        assert them.request.get(f"{site.base_url}/api/v1/leads").status == 403
        them.get_by_label("New password", exact=True).fill("Osprey-wharf-1234")
        them.get_by_label("New password again").fill("Osprey-wharf-4321")
        them.get_by_role("button", name="Save the password").click()
        expect(them.get_by_role("alert")).to_have_text("The two passwords are not the same.")
        them.get_by_label("New password", exact=True).fill("short")
        them.get_by_label("New password again").fill("short")
        them.get_by_role("button", name="Save the password").click()
        expect(them.get_by_role("alert")).to_contain_text("10")  # the server's rule, in words
        chosen = f"Harbour-lights-{word}-7"
        them.get_by_label("New password", exact=True).fill(chosen)
        them.get_by_label("New password again").fill(chosen)
        them.get_by_role("button", name="Save the password").click()
        them.locator(".grid[aria-busy='false']").wait_for()  # the leads list, where they were going
        assert them.request.get(f"{site.base_url}/api/v1/leads").status == 200

        # The admin resets it: their session ends, the old password stops working
        row.get_by_role("link", name=name).click()
        panel = page.get_by_role("region", name=name)
        expect(panel.get_by_label(re.compile(r"^Team"))).to_have_value(team["id"])
        expect(panel.get_by_label("Sales manager")).to_be_checked()
        page.once("dialog", lambda confirm: confirm.accept())
        panel.get_by_role("button", name="Reset the password").click()
        expect(panel.get_by_role("status")).to_have_text("A new password was made: pass it on.")
        reset = panel.locator("[data-temporary-password]").inner_text()
        assert reset != temporary
        snapshot(page, "admin-users-reset")
        assert api_status(them, site) == 401
        assert login_status(site, email, temporary) == 401
        assert login_status(site, email, chosen) == 401
        sign_in_as(them, site, email, reset, "/leads")
        expect(them.get_by_role("heading", name="Choose your own password")).to_be_visible()
        assert api_status(them, site) == 200

        # Deactivated: signed out at once, and cannot sign in
        page.once("dialog", lambda confirm: confirm.accept())
        panel.get_by_role("button", name="Deactivate").click()
        expect(panel.get_by_role("status")).to_have_text("Deactivated: they are signed out.")
        expect(panel.get_by_role("button", name="Reactivate")).to_be_visible()
        assert api_status(them, site) == 401
        assert login_status(site, email, reset) == 401
    finally:
        theirs.close()
    with site.api() as api:
        user = api.get("/api/v1/users", params={"q": email}).json()["items"][0]
        assert (user["is_active"], user["team_id"], user["roles"]) == (
            False, team["id"], ["sales_manager"]
        )  # fmt: skip

    # Among the deactivated, and the admin cannot deactivate themself
    page.get_by_label("Status").select_option(label="Deactivated")
    expect(page.locator(f"tr[data-user='{email}']")).to_contain_text("Deactivated")
    page.get_by_label("Status").select_option(label="All")
    page.get_by_role("searchbox", name="Search by name or email").fill(site.email)
    me = page.locator(f"tr[data-user='{site.email}']")
    me.get_by_role("link").click()
    with site.api() as api:
        my_name = api.get("/api/v1/me").json()["full_name"]
    own = page.get_by_role("region", name=my_name)
    expect(own.get_by_role("button", name="Deactivate")).to_be_disabled()
    expect(own).to_contain_text("You cannot deactivate yourself")


def test_a_team_is_created_renamed_given_a_manager_and_deleted_when_empty(
    page: Page, site: Site
) -> None:
    word = tag()
    first, renamed = f"Estuary {word}", f"Delta {word}"
    with site.api() as api:
        boss = make_user(api, f"Maud Keel {word}", "sales_manager")
    sign_in(page, site, "/admin/teams")

    page.get_by_role("button", name="New team").click()
    form = page.get_by_role("form", name="New team")
    form.get_by_label("Name").fill(first)
    form.get_by_role("button", name="Create").click()
    row = page.locator(f"tr[data-team='{first}']")
    expect(row).to_contain_text("No manager")
    expect(row).to_contain_text("0 people")

    row.get_by_role("button", name=f"Change {first}").click()
    form = page.get_by_role("form", name=f"Change {first}")
    form.get_by_label("Name").fill(renamed)
    form.get_by_label("Manager").select_option(label=boss["full_name"])
    form.get_by_role("button", name="Save").click()
    row = page.locator(f"tr[data-team='{renamed}']")
    expect(row).to_contain_text(boss["full_name"])
    expect(page.locator(f"tr[data-team='{first}']")).to_have_count(0)
    snapshot(page, "admin-teams")
    with site.api() as api:
        team = next(t for t in api.get("/api/v1/teams").json()["items"] if t["name"] == renamed)
        assert team["manager_id"] == boss["id"]
        # someone in it: the team is not deleted, and the refusal says who
        moved = api.patch(f"/api/v1/users/{boss['id']}", json={"team_id": team["id"]})
        assert moved.status_code == 200, moved.text
    page.reload()
    row = page.locator(f"tr[data-team='{renamed}']")
    expect(row).to_contain_text("1 person")
    page.once("dialog", lambda confirm: confirm.accept())
    row.get_by_role("button", name=f"Delete {renamed}").click()
    expect(page.get_by_role("alert")).to_have_text(
        f"Move these people to another team first: {boss['full_name']}."
    )
    expect(row).to_be_visible()

    with site.api() as api:
        assert api.patch(f"/api/v1/users/{boss['id']}", json={"team_id": None}).status_code == 200
    page.reload()
    page.once("dialog", lambda confirm: confirm.accept())
    page.locator(f"tr[data-team='{renamed}']").get_by_role(
        "button", name=f"Delete {renamed}"
    ).click()
    expect(page.get_by_role("status")).to_have_text(f"{renamed} was deleted.")
    expect(page.locator(f"tr[data-team='{renamed}']")).to_have_count(0)


def test_the_roles_page_says_what_each_role_may_do(page: Page, site: Site) -> None:
    sign_in(page, site, "/admin/roles")
    rep = page.locator("[data-role='sales_rep']")
    expect(rep.get_by_role("heading", name="Sales rep")).to_be_visible()
    expect(rep).to_contain_text("Works their own records")
    # what they may do per section is the access rights matrix (test_role_rights_ui.py)
    expect(page.locator("tr[data-entity='leads']")).to_contain_text("Leads")
    admin = page.locator("[data-role='admin']")
    expect(admin).to_contain_text("Invites, changes and deactivates users")
    snapshot(page, "admin-roles")
    # every right in words, none as its code
    rights = page.locator(".permission-list li").all_inner_texts()
    assert rights and not [r for r in rights if re.fullmatch(r"[a-z_]+\.[a-z_]+", r)], rights
    rep.get_by_role("link", name="Who has it").click()
    page.wait_for_url(re.compile(r"/admin/users\?role=sales_rep"))
    expect(page.get_by_label("Role")).to_have_value("sales_rep")


def test_administration_is_hidden_from_a_sales_rep_and_users_from_a_manager(
    page: Page, site: Site, browser
) -> None:
    word = tag()
    with site.api() as api:
        rep = make_user(api, f"Pip Reed {word}", "sales_rep")
        manager = make_user(api, f"Mo Hale {word}", "sales_manager")
    sign_in_as(page, site, rep["email"], rep["password"], "/leads")
    sections = page.get_by_role("navigation", name="Sections")
    expect(sections.get_by_role("link", name="Leads")).to_be_visible()
    expect(sections.get_by_role("link", name="Administration")).to_have_count(0)
    page.goto(f"{site.base_url}/admin/users")
    expect(
        page.get_by_role("heading", name="You do not have access to this section.")
    ).to_be_visible()

    other = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-GB")
    try:
        theirs = other.new_page()
        sign_in_as(theirs, site, manager["email"], manager["password"], "/admin/distribution")
        nav = theirs.get_by_role("navigation", name="Administration")
        expect(nav.get_by_role("link", name="Distribution rules")).to_be_visible()
        expect(nav.get_by_role("link", name="Users")).to_have_count(0)
        theirs.goto(f"{site.base_url}/admin/users")
        expect(theirs.get_by_text("You do not have access to this section.")).to_be_visible()
        problem = theirs.request.post(
            f"{site.base_url}/api/v1/users/{rep['id']}/reset-password",
            data="{}",
            headers={"content-type": "application/json", "origin": site.base_url},
        )
        assert problem.status == 403
    finally:
        other.close()


def test_the_people_screens_in_russian(page: Page, site: Site) -> None:
    word = tag()
    with site.api() as api:
        russian = make_user(api, f"Олег Админов {word}", "admin", locale="ru")
    try:
        sign_in_as(page, site, russian["email"], russian["password"], "/admin/users")
        nav = page.get_by_role("navigation", name="Администрирование")
        expect(nav.get_by_role("link", name="Пользователи")).to_have_attribute(
            "aria-current", "page"
        )
        expect(page.get_by_role("heading", name="Пользователи", exact=True)).to_be_visible()
        expect(page.get_by_label("Состояние")).to_have_value("active")
        page.get_by_role("button", name="Пригласить пользователя").click()
        dialog = page.get_by_role("dialog", name="Пригласить пользователя")
        expect(dialog.get_by_label("Создать временный пароль")).to_be_checked()
        expect(dialog.get_by_label("Менеджер по продажам")).to_be_checked()
        snapshot(page, "admin-users-invite-ru")
        dialog.get_by_role("button", name="Отмена").click()

        page.get_by_role("searchbox", name="Поиск по имени или почте").fill(word)
        page.locator(f"tr[data-user='{russian['email']}']").get_by_role("link").click()
        panel = page.get_by_role("region", name=russian["full_name"])
        expect(panel.get_by_role("button", name="Сбросить пароль")).to_be_visible()
        expect(panel).to_contain_text("Себя отключить нельзя")
        snapshot(page, "admin-user-panel-ru")

        nav.get_by_role("link", name="Команды").click()
        expect(page.get_by_role("button", name="Новая команда")).to_be_visible()
        expect(page.get_by_role("table", name="Команды")).to_contain_text("Состав")
        snapshot(page, "admin-teams-ru")

        nav.get_by_role("link", name="Роли").click()
        admin_role = page.locator("[data-role='admin']")
        expect(admin_role.get_by_role("heading", name="Администратор")).to_be_visible()
        expect(admin_role).to_contain_text("Администрирование")
        expect(admin_role).to_contain_text("Приглашает, меняет и отключает пользователей")
        snapshot(page, "admin-roles-ru")
    finally:
        # one more active administrator would change what other tests of the stack see
        with site.api() as api:
            off = api.patch(f"/api/v1/users/{russian['id']}", json={"is_active": False})
            assert off.status_code == 200, off.text
