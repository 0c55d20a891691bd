"""Likely duplicates in a real browser: the dialog on create, the hint and the Similar tab."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.web.conftest import Site, sign_in
from tests.web.sales import created, unique


def test_creating_a_likely_duplicate_contact_asks_first(page: Page, site: Site) -> None:
    name = unique("Duplicated Person")
    email = f"{name.split()[-1]}@dupes.example"
    with site.api() as api:
        existing = created(
            api.post("/api/v1/contacts", json={"full_name": name, "emails": [{"email": email}]})
        )
    sign_in(page, site, "/contacts/new")
    page.get_by_label("Full name", exact=True).fill(name)
    editor = page.locator("[data-list=email]")
    editor.get_by_role("button", name="Add email").click()
    editor.get_by_label("Email 1").fill(email.upper())
    page.get_by_role("button", name="Create").click()

    dialog = page.get_by_role("dialog", name="This may already be in Osprey")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("link", name=name)).to_be_visible()
    expect(dialog).to_contain_text("same email")
    assert re.search(r"/contacts/new$", page.url)

    # Create anyway: a second contact, which now has a "similar" hint pointing at the first.
    dialog.get_by_role("button", name="Create anyway").click()
    page.wait_for_url(re.compile(r"/contacts/[0-9a-f-]{36}$"))
    second_id = page.url.rsplit("/", 1)[1]
    assert second_id != existing["id"]
    hint = page.get_by_role("note")
    expect(hint).to_contain_text("looks like 1 other record")
    hint.get_by_role("button", name="Review").click()
    expect(page.locator(f"[data-candidate='{existing['id']}']")).to_contain_text("same email")


def test_opening_a_candidate_from_the_dialog(page: Page, site: Site) -> None:
    name = unique("Dialog Account")
    with site.api() as api:
        existing = created(
            api.post(
                "/api/v1/accounts",
                json={"name": name, "web": f"https://{name.split()[-1]}.example"},
            )
        )
    sign_in(page, site, "/accounts/new")
    page.get_by_label("Name", exact=True).fill(name + " Ltd")
    page.get_by_label("Website", exact=True).fill(f"http://www.{name.split()[-1]}.example/about")
    page.get_by_role("button", name="Create").click()
    dialog = page.get_by_role("dialog", name="This may already be in Osprey")
    expect(dialog).to_contain_text("same website")
    dialog.get_by_role("link", name=name).click()
    page.wait_for_url(re.compile(rf"/accounts/{existing['id']}$"))
    expect(page.get_by_role("heading", name=name)).to_be_visible()


def test_merge_a_similar_contact_into_this_one(page: Page, site: Site) -> None:
    name = unique("Merged Person")
    email = f"{name.split()[-1]}@merge.example"
    with site.api() as api:
        kept = created(
            api.post(
                "/api/v1/contacts",
                json={"full_name": name, "emails": [{"email": email}], "job_title": None},
            )
        )
        merged = created(
            api.post(
                "/api/v1/contacts?allow_duplicates=true",
                json={
                    "full_name": name,
                    "emails": [{"email": email}],
                    "phones": [{"phone": "+44 20 7946 0000"}],
                    "job_title": "Buyer",
                },
            )
        )
    sign_in(page, site, f"/contacts/{kept['id']}?tab=similar")
    row = page.locator(f"[data-candidate='{merged['id']}']")
    row.get_by_role("button", name="Merge into this one").click()
    confirm = row.get_by_role("alertdialog")
    expect(confirm).to_contain_text(name)
    confirm.get_by_role("button", name="Merge", exact=True).click()
    expect(page.get_by_text("No similar records.")).to_be_visible()
    with site.api() as api:
        assert api.get(f"/api/v1/contacts/{merged['id']}").status_code == 404
        record = api.get(f"/api/v1/contacts/{kept['id']}").json()
        assert record["job_title"] == "Buyer"
        assert [p["phone"] for p in record["phones"]] == ["+442079460000"]
    page.get_by_role("tab", name="Details").click()
    expect(page.get_by_label("Job title", exact=True)).to_have_value("Buyer")
