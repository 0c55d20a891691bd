"""The lead process in a real browser: qualify (with duplicate suggestions), hand off,
converted with its deal; move by hand, disqualify, reopen; the lead's history."""

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


def new_lead(api: httpx.Client, **fields: Any) -> dict[str, Any]:
    return created(api.post("/api/v1/leads", json=fields))


def current_stage(page: Page):
    return page.locator(".stage-bar [aria-current=step]")


def test_qualify_creating_contact_and_account_then_hand_off_and_see_the_deal(
    page: Page, site: Site
) -> None:
    word = tag()
    with site.api() as api:
        lead = new_lead(
            api,
            contact_name=f"Quillon Marsh {word}",
            account_name=f"Zephyrine {word} Optics",
            email=f"quillon.{word}@zephyrine-{word}.example",
            need_type="lenses",
        )
    sign_in(page, site, f"/leads/{lead['id']}")
    expect(current_stage(page)).to_have_text("Qualification")
    expect(page.locator(".next-step")).to_contain_text("link the lead to its contact")
    snapshot(page, "lead-qualification")

    page.locator(".lead-process").get_by_role("button", name="Qualify", exact=True).click()
    dialog = page.get_by_role("dialog", name="Qualify the lead")
    expect(dialog.get_by_label("Need type")).to_have_value("lenses")
    expect(dialog.get_by_label("Full name")).to_have_value(lead["contact_name"])
    expect(dialog.get_by_label("Account name")).to_have_value(lead["account_name"])
    dialog.get_by_label("Full name").fill(f"Quillon R. Marsh {word}")
    snapshot(page, "lead-qualify-dialog")
    dialog.get_by_role("button", name="Qualify", exact=True).click()

    # Its owner is set (the creator), so it goes straight on to the hand-off.
    expect(current_stage(page)).to_have_text("Handoff to sales")
    expect(dialog).to_have_count(0)
    with site.api() as api:
        qualified = api.get(f"/api/v1/leads/{lead['id']}").json()
        contact = api.get(f"/api/v1/contacts/{qualified['contact_id']}").json()
        account = api.get(f"/api/v1/accounts/{qualified['account_id']}").json()
    assert contact["full_name"] == f"Quillon R. Marsh {word}"
    assert account["name"] == lead["account_name"]

    page.locator(".lead-process").get_by_role("button", name="Hand off to sales").click()
    handoff = page.get_by_role("dialog", name="Hand off to sales")
    handoff.get_by_label("Deal title").fill(f"Lenses for Zephyrine {word}")
    handoff.get_by_label("Budget").fill("9000")
    handoff.get_by_label("Currency").select_option("EUR")
    handoff.get_by_label("Expected close date").fill("2031-06-30")
    handoff.get_by_role("button", name="Hand off", exact=True).click()

    # Sales announces the deal and the lead converts; the page follows without a reload.
    expect(current_stage(page)).to_have_text("Converted", timeout=30_000)
    deal_link = page.locator(".next-step").get_by_role("link", name=f"Lenses for Zephyrine {word}")
    expect(deal_link).to_be_visible()
    expect(page.get_by_role("button", name="Save", exact=True)).to_have_count(0)  # read-only now
    snapshot(page, "lead-converted")

    page.get_by_role("tab", name="History", exact=True).click()
    steps = page.locator(".lead-history .timeline-item")
    expect(steps).to_have_count(4)
    actions = steps.evaluate_all("items => items.map(i => i.dataset.action)")
    assert actions == ["convert", "handoff", "qualify", "create"]
    expect(steps.first).to_contain_text("Converted")
    expect(steps.nth(1)).to_contain_text("handed off")

    deal_link.click()
    page.wait_for_url(re.compile(r"/opportunities/[0-9a-f-]{36}$"))
    expect(page.get_by_role("heading", name=f"Lenses for Zephyrine {word}")).to_be_visible()
    with site.api() as api:
        deal = api.get(page.url.replace(site.base_url, f"{site.base_url}/api/v1")).json()
    assert deal["lead_id"] == lead["id"] and deal["budget"] == "9000.00"
    assert deal["close_date"] == "2031-06-30"


def test_qualify_offers_the_existing_contact_and_uses_it(page: Page, site: Site) -> None:
    word = tag()
    email = f"ottilie.{word}@brackwater.example"
    with site.api() as api:
        twin = created(
            api.post(
                "/api/v1/contacts?allow_duplicates=true",
                json={"full_name": f"Ottilie Brack {word}", "emails": [{"email": email}]},
            )
        )
        lead = new_lead(api, contact_name=f"Ottilie Brack {word}", email=email, need_type="boats")
    sign_in(page, site, f"/leads/{lead['id']}")
    page.locator(".lead-process").get_by_role("button", name="Qualify", exact=True).click()
    dialog = page.get_by_role("dialog", name="Qualify the lead")
    dialog.get_by_role("radio", name="No account").click()
    dialog.get_by_role("button", name="Qualify", exact=True).click()

    suggestions = page.get_by_role("dialog", name="These may exist already")
    group = suggestions.get_by_role("region", name="Similar contacts")
    row = group.locator(f"[data-candidate='{twin['id']}']")
    expect(row).to_contain_text(twin["full_name"])
    expect(row).to_contain_text("same email")
    expect(suggestions.get_by_role("region", name="Similar accounts")).to_have_count(0)
    snapshot(page, "lead-qualify-duplicates")
    row.get_by_role("button", name="Use this one").click()

    expect(current_stage(page)).to_have_text("Handoff to sales")
    with site.api() as api:
        qualified = api.get(f"/api/v1/leads/{lead['id']}").json()
        contacts = api.get("/api/v1/contacts", params={"q": email}).json()["items"]
    assert qualified["contact_id"] == twin["id"] and qualified["account_id"] is None
    assert [c["id"] for c in contacts] == [twin["id"]]  # no twin was created


def test_move_by_hand_disqualify_with_a_reason_and_reopen(page: Page, site: Site) -> None:
    word = tag()
    with site.api() as api:
        lead = new_lead(api, contact_name=f"Perpetua Vane {word}")
        reasons = api.get("/api/v1/lookups/disqualification-reasons").json()["items"]
    reason = next(r for r in reasons if r["is_active"])
    sign_in(page, site, f"/leads/{lead['id']}")

    # Skipping ahead is allowed: click a later stage.
    page.locator(".stage-bar [data-stage=distribution]").get_by_role("button").click()
    expect(current_stage(page)).to_have_text("Distribution")
    expect(
        page.locator(".lead-process").get_by_role("button", name="Assign", exact=True)
    ).to_be_visible()

    page.locator(".lead-process").get_by_role("button", name="Disqualify", exact=True).click()
    dialog = page.get_by_role("dialog", name="Disqualify the lead")
    expect(dialog.get_by_role("button", name="Disqualify", exact=True)).to_be_disabled()
    dialog.get_by_label("Reason").select_option(label=reason["name"])
    dialog.get_by_role("button", name="Disqualify", exact=True).click()

    expect(current_stage(page)).to_have_text("Disqualified")
    expect(page.locator(".next-step")).to_contain_text(reason["name"])
    expect(
        page.locator(".lead-process").get_by_role("button", name="Disqualify", exact=True)
    ).to_have_count(0)
    expect(page.get_by_role("button", name="Save", exact=True)).to_have_count(0)
    with site.api() as api:
        stored = api.get(f"/api/v1/leads/{lead['id']}").json()
    assert stored["stage"] == "disqualified"
    assert stored["disqualification_reason"] == reason["code"]
    snapshot(page, "lead-disqualified")

    page.get_by_role("tab", name="History", exact=True).click()
    steps = page.locator(".lead-history .timeline-item")
    expect(steps).to_have_count(3)
    assert steps.evaluate_all("items => items.map(i => i.dataset.action)") == [
        "disqualify",
        "manual",
        "create",
    ]
    expect(steps.first).to_contain_text(f"Reason: {reason['name']}")
    expect(steps.nth(1)).to_contain_text("moved by hand")

    # The signed-in user is an administrator, so a manager: they may reopen it.
    page.locator(".lead-process").get_by_role("button", name="Reopen", exact=True).click()
    reopen = page.get_by_role("dialog", name="Reopen the lead")
    reopen.get_by_label("Back to stage").select_option(label="Nurturing")
    reopen.get_by_role("button", name="Reopen", exact=True).click()
    expect(current_stage(page)).to_have_text("Nurturing")
    expect(
        page.locator(".lead-process").get_by_role("button", name="Qualify", exact=True)
    ).to_be_visible()
    expect(page.get_by_role("button", name="Save", exact=True)).to_be_visible()


def test_similar_leads_merge_into_the_oldest(page: Page, site: Site) -> None:
    word = tag()
    email = f"isidore.{word}@merge.example"
    with site.api() as api:
        oldest = new_lead(api, contact_name=f"Isidore Quay {word}", email=email)
        newer = new_lead(api, contact_name=f"Isidore Quay {word}", email=email, phone="+15550199")
        assert any(s["record"]["id"] == oldest["id"] for s in newer["similar"])
    sign_in(page, site, f"/leads/{newer['id']}")
    hint = page.locator(".hint-bar")
    expect(hint).to_be_visible()
    hint.get_by_role("button", name="Review").click()
    row = page.locator(f".similar-leads [data-candidate='{oldest['id']}']")
    expect(row).to_contain_text("same email")
    row.get_by_role("checkbox").check()
    page.get_by_role("button", name="Merge 1 lead").click()
    confirm = page.get_by_role("alertdialog", name="Merge leads")
    expect(confirm).to_contain_text(f"“Isidore Quay {word}”")
    expect(confirm).to_contain_text("is kept")
    confirm.get_by_role("button", name="Merge", exact=True).click()

    # The oldest is kept: the page moves to it, and it has the phone it lacked.
    page.wait_for_url(re.compile(rf"/leads/{oldest['id']}\?tab=similar$"))
    expect(page.locator("[data-merged]")).to_have_count(1)
    with site.api() as api:
        kept = api.get(f"/api/v1/leads/{oldest['id']}").json()
        assert api.get(f"/api/v1/leads/{newer['id']}").status_code == 404
    assert kept["phone"] == "+15550199"
