"""Administration in a real browser: distribution and scoring rules put to work on leads,
a web form's snippet, and a disqualification reason renamed and used."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import Page, expect

from tests.web.conftest import Site, sign_in
from tests.web.sales import created, new_user, snapshot


def tag() -> str:
    return uuid.uuid4().hex[:8]


def test_a_distribution_rule_assigns_a_lead(page: Page, site: Site) -> None:
    word = tag()
    need = f"cranes_{word}".lower()
    rule_name = f"Cranes {word}"
    with site.api() as api:
        rep = new_user(api, f"Rosalind Turner {word}")
        # the need types are a list administrators keep: the rule picks one of them
        added = api.post("/api/v1/lookups/need-types", json={"code": need, "name": rule_name})
        assert added.status_code == 201, added.text
    sign_in(page, site, "/admin/distribution")
    expect(
        page.get_by_role("navigation", name="Sections").get_by_role("link", name="Administration")
    ).to_have_attribute("aria-current", "page")
    try:
        page.get_by_role("button", name="New rule").click()
        form = page.get_by_role("form", name="New rule")
        form.get_by_label("Name", exact=True).fill(rule_name)
        form.get_by_label("Need type").select_option(need)
        form.get_by_label("Who gets the lead").select_option(label="In turn")
        picker = form.get_by_label("Owners, in turn")
        picker.fill(word)
        page.get_by_role("option", name=rep["full_name"]).click()
        expect(form.locator(f"[data-owner='{rep['id']}']")).to_contain_text(rep["full_name"])
        snapshot(page, "admin-distribution-form")
        form.get_by_role("button", name="Save", exact=True).click()
        row = page.locator(f"tr[data-rule='{rule_name}']")
        expect(row).to_contain_text(f"need: {need}")
        expect(row).to_contain_text(rep["full_name"])
        snapshot(page, "admin-distribution")

        # An unowned lead with that need, qualified: it waits in distribution.
        with site.api() as api:
            lead = created(
                api.post(
                    "/api/v1/leads",
                    json={
                        "contact_name": f"Crane Buyer {word}",
                        "need_type": need,
                        "owner_id": None,
                    },
                )
            )
            qualified = api.post(
                f"/api/v1/leads/{lead['id']}/qualify",
                json={"contact": {}, "allow_duplicates": True},
            )
            assert qualified.status_code == 200, qualified.text
            assert qualified.json()["stage"] == "distribution"
        page.goto(f"{site.base_url}/leads/{lead['id']}")
        page.locator(".lead-process").get_by_role("button", name="Assign", exact=True).click()
        dialog = page.get_by_role("dialog", name="Assign the lead")
        expect(dialog.get_by_label("By the distribution rules")).to_be_checked()
        dialog.get_by_role("button", name="Assign", exact=True).click()
        expect(page.locator(".stage-bar [aria-current=step]")).to_have_text("Handoff to sales")
        expect(page.locator("[data-key-field=owner_id]")).to_contain_text(rep["full_name"])

        page.get_by_role("tab", name="History", exact=True).click()
        owners = page.locator(".assignments tbody tr")
        expect(owners.first).to_contain_text(rep["full_name"])
        expect(owners.first).to_contain_text(f"rule “{rule_name}” (round robin)")
    finally:
        with site.api() as api:
            for rule in api.get("/api/v1/distribution-rules").json()["items"]:
                if rule["name"] == rule_name:
                    api.delete(f"/api/v1/distribution-rules/{rule['id']}")


def test_a_scoring_rule_gives_a_lead_its_score_and_reason(page: Page, site: Site) -> None:
    word = tag()
    need = f"gliders-{word}"
    rule_name = f"Wants gliders {word}"
    sign_in(page, site, "/admin/scoring")
    try:
        page.get_by_role("button", name="New scoring rule").click()
        form = page.get_by_role("form", name="New scoring rule")
        form.get_by_label("Name", exact=True).fill(rule_name)
        form.get_by_label("Field").select_option(label="Need type")
        form.get_by_label("Condition").select_option(label="is")
        form.get_by_label("Value").fill(need)
        form.get_by_label("Points").fill("35")
        form.get_by_role("button", name="Save", exact=True).click()
        row = page.locator(f"tr[data-rule='{rule_name}']")
        expect(row).to_contain_text(f"Need type is {need}")
        expect(row).to_contain_text("+35")

        with site.api() as api:
            lead = created(
                api.post(
                    "/api/v1/leads", json={"contact_name": f"Glider Fan {word}", "need_type": need}
                )
            )
        assert lead["score"] == 35
        page.goto(f"{site.base_url}/leads/{lead['id']}")
        badge = page.get_by_role("button", name="Score 35")
        badge.click()
        reasons = page.get_by_role("region", name="Why this score")
        expect(reasons).to_contain_text(rule_name)
        expect(reasons).to_contain_text("+35")
        snapshot(page, "lead-score-reasons")
    finally:
        # Scoring rules apply to every lead: leave none behind for the other tests.
        with site.api() as api:
            for rule in api.get("/api/v1/scoring-rules").json()["items"]:
                if rule["name"] == rule_name:
                    api.delete(f"/api/v1/scoring-rules/{rule['id']}")


def test_create_a_web_form_and_get_its_snippet(page: Page, site: Site) -> None:
    name = f"Contact us {tag()}"
    sign_in(page, site, "/admin/web-forms")
    try:
        page.get_by_role("link", name="New web form").click()
        form = page.get_by_role("form", name="New web form")
        form.get_by_label("Name", exact=True).fill(name)
        form.get_by_label("Sites allowed to post").fill(
            "https://shop.example.com/\nhttps://www.example.com"
        )
        form.get_by_label("Most posts a minute from one visitor").fill("5")
        form.get_by_role("button", name="Create").click()
        page.wait_for_url(re.compile(r"/admin/web-forms/[0-9a-f-]{36}$"))
        form_id = page.url.rsplit("/", 1)[1]

        snippet = page.locator("[data-snippet]")
        expect(snippet).to_contain_text("<form")
        expect(snippet).to_contain_text(f"/api/v1/web-forms/{form_id}/submissions")
        expect(page.locator("[data-submit-url]")).to_have_text(
            re.compile(rf"/api/v1/web-forms/{form_id}/submissions$")
        )
        page.get_by_role("button", name="Copy HTML").click()
        expect(
            page.get_by_role("button", name=re.compile("Copied|Select the text"))
        ).to_be_visible()
        expect(page.locator(f"[data-form='{name}']")).to_contain_text("0 leads received")
        snapshot(page, "admin-web-form")
        with site.api() as api:
            stored = api.get(f"/api/v1/web-forms/{form_id}").json()
        assert stored["allowed_origins"] == ["https://shop.example.com", "https://www.example.com"]
        assert stored["rate_limit_per_minute"] == 5
    finally:
        with site.api() as api:
            for item in api.get("/api/v1/web-forms").json()["items"]:
                if item["name"] == name:
                    api.delete(f"/api/v1/web-forms/{item['id']}")


def test_rename_a_disqualification_reason_and_use_it(page: Page, site: Site) -> None:
    word = tag()
    code = f"moved_abroad_{word}"
    renamed = f"Moved abroad for good {word}"
    with site.api() as api:
        reason = created(
            api.post(
                "/api/v1/lookups/disqualification-reasons",
                json={"code": code, "name": f"Moved abroad {word}"},
            )
        )
        lead = created(api.post("/api/v1/leads", json={"contact_name": f"Far Away {word}"}))
    try:
        sign_in(page, site, "/admin/lookups")
        expect(page.get_by_role("link", name="Disqualification reasons")).to_have_attribute(
            "aria-current", "page"
        )
        row = page.locator(f"tr[data-code='{code}']")
        row.get_by_label(f"Name of {code}").fill(renamed)
        row.get_by_role("button", name="Save", exact=True).click()
        expect(page.get_by_role("status")).to_have_text("Saved.")
        expect(row.get_by_role("button", name="Save", exact=True)).to_have_count(0)
        snapshot(page, "admin-lookups")
        with site.api() as api:
            entries = api.get("/api/v1/lookups/disqualification-reasons").json()["items"]
        assert next(e for e in entries if e["code"] == code)["name"] == renamed

        page.goto(f"{site.base_url}/leads/{lead['id']}")
        page.locator(".lead-process").get_by_role("button", name="Disqualify", exact=True).click()
        dialog = page.get_by_role("dialog", name="Disqualify the lead")
        dialog.get_by_label("Reason").select_option(label=renamed)
        dialog.get_by_role("button", name="Disqualify", exact=True).click()
        expect(page.locator(".next-step")).to_contain_text(renamed)
    finally:
        with site.api() as api:
            current = api.get("/api/v1/lookups/disqualification-reasons").json()["items"]
            entry = next(e for e in current if e["id"] == reason["id"])
            api.patch(
                f"/api/v1/lookups/disqualification-reasons/{reason['id']}",
                json={"is_active": False},
                headers={"If-Match": f'"{entry["version"]}"'},
            )
