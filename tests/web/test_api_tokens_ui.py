"""API tokens in a real browser: a sales rep makes a personal token in Settings, sees it
once with a warning and a copy button, an integration (httpx) uses it within its scope
and is refused outside it, and the rep revokes it from the list; the part reads in
Russian too."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.web.conftest import ARTIFACTS, Site, sign_in
from tests.web.sales import created, unique


@pytest.fixture
def rep(site: Site) -> Site:
    """A sales rep of their own: their tokens are theirs alone."""
    password = uuid.uuid4().hex
    with site.api() as api:
        roles = api.get("/api/v1/roles").json()["items"]
        rep_role = next(r["id"] for r in roles if r["name"] == "sales_rep")
        email = f"t{uuid.uuid4().hex[:9]}@osprey.test"
        created(
            api.post(
                "/api/v1/users",
                json={
                    "email": email,
                    "full_name": unique("Tomas Token"),
                    "password": password,
                    "role_ids": [rep_role],
                },
            )
        )
    return Site(site.base_url, email, password)


def integration(site: Site, token: str) -> httpx.Client:
    return httpx.Client(
        base_url=site.base_url, timeout=15, headers={"Authorization": f"Bearer {token}"}
    )


def test_a_rep_creates_uses_and_revokes_a_token(page: Page, rep: Site) -> None:
    sign_in(page, rep, "/settings")
    part = page.locator("section.api-tokens")
    expect(part.get_by_role("heading", name="API tokens")).to_be_visible()
    expect(part.get_by_text("No tokens yet.")).to_be_visible()

    part.get_by_role("button", name="Create a token").click()
    # a rep is offered every area their roles show, and no administration
    expect(part.get_by_label("Leads: Read")).to_be_visible()
    expect(part.get_by_label("Analytics: Write")).to_be_visible()
    expect(part.get_by_text("Administration: users and teams")).to_have_count(0)

    # nothing chosen: the server's refusal is shown beside the fields
    part.get_by_role("button", name="Create token").click()
    expect(part.get_by_text("is required").first).to_be_visible()
    expect(part.get_by_text("give at least one scope")).to_be_visible()

    name = unique("Zapier leads")
    part.get_by_label("Name").fill(name)
    part.get_by_label("Leads: Read").check()
    expect(part.get_by_text("give at least one scope")).to_have_count(0)  # answered
    expires = part.get_by_label("Expires on")
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", expires.input_value())  # 90 days on by default
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    part.screenshot(path=str(ARTIFACTS / "api-token-form.png"))
    part.get_by_role("button", name="Create token").click()

    shown = part.locator(".new-token")
    expect(shown).to_contain_text(f"Token “{name}” created")
    expect(shown).to_contain_text("will not show it again")
    token = shown.get_by_label("Token").input_value()
    assert token.startswith("osp_")
    expect(shown.get_by_role("button", name="Copy")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "api-token-created.png"), full_page=True)

    # the list shows its name, scope and first characters, never the token
    row = part.locator(".token-table tbody tr").filter(has_text=name)
    expect(row).to_contain_text("leads:read")
    expect(row).to_contain_text(token[:12] + "…")
    expect(row).to_contain_text("Never")
    shown.get_by_role("button", name="I have copied it").click()
    expect(part.locator(".new-token")).to_have_count(0)
    assert token not in part.inner_text()

    with integration(rep, token) as client:
        assert client.get("/api/v1/leads").status_code == 200
        refused = client.get("/api/v1/accounts")
        assert refused.status_code == 403
        assert refused.headers["content-type"] == "application/problem+json"
        assert "sales:read" in refused.json()["detail"]
        assert "leads:write" in client.post("/api/v1/leads", json={}).json()["detail"]

        page.reload()
        row = part.locator(".token-table tbody tr").filter(has_text=name)
        expect(row).not_to_contain_text("Never")  # used just now

        row.get_by_role("button", name=f"Revoke “{name}”").click()
        dialog = page.get_by_role("dialog")
        expect(dialog).to_contain_text("stops working at once")
        dialog.get_by_role("button", name="Revoke").click()
        expect(part.get_by_text("No tokens yet.")).to_be_visible()
        assert client.get("/api/v1/leads").status_code == 401


def test_the_api_tokens_part_reads_in_russian(page: Page, rep: Site) -> None:
    with rep.api() as api:
        assert api.patch("/api/v1/me", json={"locale": "ru"}).status_code == 200
    sign_in(page, rep, "/settings")
    part = page.locator("section.api-tokens")
    expect(part.get_by_role("heading", name="API-токены")).to_be_visible()
    part.get_by_role("button", name="Создать токен").click()
    expect(part.get_by_label("Лиды: Чтение")).to_be_visible()
    expect(part.get_by_label("Действует до")).to_be_visible()
