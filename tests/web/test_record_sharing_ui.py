"""The Sharing tab of a record page in a real browser: a lead the rep's role does not let
them read is shared with them for editing from the tab, they read it at once, and when
the sharing stops they no longer do."""

from __future__ import annotations

import uuid

import httpx
from playwright.sync_api import Page, expect

from tests.web.conftest import Site, sign_in
from tests.web.sales import created, snapshot, unique
from tests.web.test_record_tabs_ui import open_tab


def test_a_lead_is_shared_with_a_rep_from_its_sharing_tab_and_stopped(
    page: Page, site: Site
) -> None:
    password = f"Sharing-{uuid.uuid4().hex[:12]}-7"
    with site.api() as api:
        roles = {r["name"]: r["id"] for r in api.get("/api/v1/roles").json()["items"]}
        team = created(api.post("/api/v1/teams", json={"name": unique("Sharing team")}))
        name = unique("Rhea Sharer")
        rep = created(
            api.post(
                "/api/v1/users",
                json={
                    "email": f"rhea.{uuid.uuid4().hex[:8]}@osprey.test",
                    "full_name": name,
                    "password": password,
                    "role_ids": [roles["sales_rep"]],
                    "team_id": team["id"],
                },
            )
        )
        lead = created(
            api.post(
                "/api/v1/leads",
                json={
                    "owner_id": api.get("/api/v1/me").json()["id"],
                    "contact_name": unique("Shared Lead"),
                    "email": f"shared.{uuid.uuid4().hex[:8]}@example.com",
                },
            )
        )
    token = httpx.post(
        f"{site.base_url}/api/v1/auth/login",
        json={"email": rep["email"], "password": password},
        timeout=15,
    ).json()["token"]
    with httpx.Client(
        base_url=site.base_url, timeout=15, headers={"Authorization": f"Bearer {token}"}
    ) as theirs:
        url = f"/api/v1/leads/{lead['id']}"
        assert theirs.get(url).status_code == 404  # another team's lead: not theirs to read

        sign_in(page, site, f"/leads/{lead['id']}")
        open_tab(page, "Sharing")
        expect(page.get_by_text("Not shared with anyone beyond their roles.")).to_be_visible()
        picker = page.get_by_label("User", exact=True)
        picker.fill(name)
        page.get_by_role("option", name=name).click()
        page.get_by_label("Access", exact=True).select_option("edit")
        page.get_by_role("button", name="Share", exact=True).click()
        expect(page.locator(".record-shares [role=status]")).to_have_text(f"Shared with {name}.")
        row = page.locator("[data-part=shares] tr[data-share]")
        expect(row).to_have_count(1)
        expect(row).to_contain_text(name)
        expect(row).to_contain_text("Edit")
        snapshot(page, "record-sharing-tab")
        assert theirs.get(url).status_code == 200  # at once, by the share
        changed = theirs.patch(
            url,
            json={"notes": "Called them back"},
            headers={"If-Match": f'"{theirs.get(url).json()["version"]}"'},
        )
        assert changed.status_code == 200, changed.text  # an edit share changes the lead

        row.get_by_role("button", name=f"Stop sharing with {name}").click()
        expect(page.locator(".record-shares [role=status]")).to_have_text(
            f"No longer shared with {name}."
        )
        expect(page.get_by_text("Not shared with anyone beyond their roles.")).to_be_visible()
        assert theirs.get(url).status_code == 404
