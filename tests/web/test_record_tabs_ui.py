"""Record pages of the sales sections in a real browser: their tabs and the deal's stage bar."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from playwright.sync_api import Page, expect

from tests.web.conftest import Site, sign_in
from tests.web.sales import created, new_account, new_deal, open_stages, snapshot, unique


def open_tab(page: Page, name: str) -> None:
    page.get_by_role("tab", name=name, exact=True).click()
    expect(page.get_by_role("tab", name=name, exact=True)).to_have_attribute(
        "aria-selected", "true"
    )


def test_account_page_lists_its_contacts(page: Page, site: Site) -> None:
    with site.api() as api:
        account = new_account(api, name=unique("Tabbed Industries"), type="customer")
        person = created(
            api.post(
                "/api/v1/contacts?allow_duplicates=true",
                json={
                    "full_name": unique("Ada Tabbed"),
                    "account_id": account["id"],
                    "job_title": "Buyer",
                    "emails": [{"email": f"{unique('ada').replace(' ', '.')}@example.com"}],
                },
            )
        )
    sign_in(page, site, f"/accounts/{account['id']}")
    expect(page.get_by_role("heading", name=account["name"])).to_be_visible()
    expect(page.locator("[data-key-field=type]")).to_contain_text("Customer")

    open_tab(page, "Contacts")
    row = page.locator(f"[data-contact='{person['id']}']")
    expect(row).to_contain_text(person["full_name"])
    expect(row).to_contain_text("Buyer")
    snapshot(page, "account-contacts-tab")

    # The contact's page names the account as a link back to it.
    row.get_by_role("link", name=person["full_name"]).click()
    page.wait_for_url(re.compile(rf"/contacts/{person['id']}$"))
    link = page.locator("[data-key-field=account_id]").get_by_role("link", name=account["name"])
    expect(link).to_be_visible()
    link.click()
    page.wait_for_url(re.compile(rf"/accounts/{account['id']}$"))


def test_create_a_deal_with_an_account_picked_by_name(page: Page, site: Site) -> None:
    with site.api() as api:
        account = new_account(api, name=unique("Picked Holdings"))
    sign_in(page, site, "/opportunities/new")
    title = unique("Picked deal")
    page.get_by_label("Title", exact=True).fill(title)
    picker = page.get_by_label("Account", exact=True)
    picker.fill(account["name"])  # the search box finds the start of a name
    page.get_by_role("option", name=account["name"]).click()
    expect(picker).to_have_value(account["name"])
    page.get_by_label("Amount", exact=True).fill("12500.5")
    page.get_by_label("Currency", exact=True).select_option("EUR")
    page.get_by_label("Close date", exact=True).fill("2031-03-15")
    snapshot(page, "opportunity-form")
    page.get_by_role("button", name="Create").click()
    page.wait_for_url(re.compile(r"/opportunities/[0-9a-f-]{36}$"))
    expect(page.get_by_role("heading", name=title)).to_be_visible()
    expect(page.locator("[data-key-field=amount]")).to_contain_text("€12,500.50")
    expect(page.locator("[data-key-field=close_date]")).to_contain_text("Mar 15, 2031")
    expect(page.locator("[data-key-field=account_id]")).to_contain_text(account["name"])
    deal_id = page.url.rsplit("/", 1)[1]
    with site.api() as api:
        deal = api.get(f"/api/v1/opportunities/{deal_id}").json()
        assert deal["amount"] == "12500.50" and deal["currency"] == "EUR"
        assert deal["account_id"] == account["id"] and deal["close_date"] == "2031-03-15"


def test_move_a_deal_with_the_stage_bar_and_read_its_history(page: Page, site: Site) -> None:
    with site.api() as api:
        first, second, third, *_ = open_stages(api)
        deal = new_deal(api, title=unique("Staged deal"))
    sign_in(page, site, f"/opportunities/{deal['id']}")
    bar = page.get_by_role("list", name="Stages")
    expect(bar.locator("[aria-current=step]")).to_have_text(first["name"])

    bar.get_by_role("button", name=third["name"]).click()
    expect(bar.locator("[aria-current=step]")).to_have_text(third["name"])
    bar.get_by_role("button", name=second["name"]).click()  # and back a step
    expect(bar.locator("[aria-current=step]")).to_have_text(second["name"])

    open_tab(page, "History")
    items = page.locator(".timeline-item")
    expect(items).to_have_count(4)
    expect(items.nth(0)).to_contain_text(first["name"])
    expect(items.nth(1)).to_contain_text(second["name"])
    expect(items.nth(1)).to_contain_text("Skipped")
    expect(items.nth(2)).to_contain_text(third["name"])
    expect(items.nth(3)).to_contain_text("current")
    expect(items.nth(0)).to_contain_text("minute")
    snapshot(page, "opportunity-history-tab")

    # Lost needs a reason; then the bar is read-only.
    page.get_by_role("button", name="Mark as lost").click()
    dialog = page.get_by_role("dialog", name="Why was the deal lost?")
    dialog.get_by_label("Reason").select_option(label="No budget")  # the list admins keep
    dialog.get_by_role("button", name="Mark as lost").click()
    expect(page.get_by_text("This deal was lost: No budget")).to_be_visible()
    expect(bar.get_by_role("button")).to_have_count(0)
    with site.api() as api:
        record = api.get(f"/api/v1/opportunities/{deal['id']}").json()
        assert record["status"] == "lost" and record["lost_reason"] == "no_budget"


def test_tactics_and_competitors(page: Page, site: Site) -> None:
    with site.api() as api:
        rival = new_account(api, name=unique("Rival Systems"), type="competitor")
        deal = new_deal(api, title=unique("Contested deal"))
    sign_in(page, site, f"/opportunities/{deal['id']}?tab=tactics")
    strengths = page.locator(".quadrant[data-kind=strength]")
    strengths.get_by_placeholder("Add to Strengths").fill("Local support team")
    strengths.get_by_role("button", name="Add").click()
    expect(strengths).to_contain_text("Local support team")
    threats = page.locator(".quadrant[data-kind=threat]")
    threats.get_by_placeholder("Add to Threats").fill("Price war")
    threats.get_by_role("button", name="Add").click()
    expect(threats).to_contain_text("Price war")

    page.get_by_label("Competitor", exact=True).fill(rival["name"])
    page.get_by_role("option", name=rival["name"]).click()
    page.get_by_label("Their offer").fill("20% cheaper")
    page.get_by_label("How we compare").fill("We deliver faster")
    page.get_by_role("button", name="Add competitor").click()
    row = page.locator(".competitors tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(rival["name"])
    expect(row).to_contain_text("20% cheaper")
    snapshot(page, "opportunity-tactics-tab")

    threats.get_by_role("button", name="Remove “Price war”").click()
    expect(threats).not_to_contain_text("Price war")
    with site.api() as api:
        tactics = api.get(f"/api/v1/opportunities/{deal['id']}/tactics").json()["items"]
        assert [(t["kind"], t["text"]) for t in tactics] == [("strength", "Local support team")]
        competitors = api.get(f"/api/v1/opportunities/{deal['id']}/competitors").json()["items"]
        assert [(c["account_id"], c["offer"], c["comparison"]) for c in competitors] == [
            (rival["id"], "20% cheaper", "We deliver faster")
        ]


def add_and_complete_an_activity(
    page: Page, site: Site, related_type: str, related_id: str
) -> None:
    open_tab(page, "Activities")
    subject = unique("Call back")
    tab = page.get_by_role("tabpanel")
    tab.locator("select[name=type]").select_option(label="Call")
    tab.get_by_label("Subject").fill(subject)
    due = (datetime.now() - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    tab.get_by_label("Due").fill(due)
    tab.get_by_role("button", name="Add").click()
    row = tab.locator(".activity-row", has_text=subject)
    expect(row).to_be_visible()
    expect(row).to_contain_text("Overdue")
    with site.api() as api:
        found = api.get(
            "/api/v1/activities",
            params={"filter[related_type]": related_type, "filter[related_id]": related_id},
        ).json()["items"]
        activity = next(a for a in found if a["title"] == subject)
        assert activity["type"] == "call" and activity["status"] != "completed"
        due_at = datetime.fromisoformat(activity["due_at"].replace("Z", "+00:00"))
        assert abs(due_at - (datetime.now(UTC) - timedelta(hours=2))) < timedelta(minutes=2)

    row.get_by_role("button", name=f"Complete {subject}").click()
    expect(tab.locator("[data-list=done] .activity-row", has_text=subject)).to_be_visible()
    with site.api() as api:
        assert api.get(f"/api/v1/activities/{activity['id']}").json()["status"] == "completed"


def test_activities_tab_on_a_lead(page: Page, site: Site) -> None:
    with site.api() as api:
        lead = created(api.post("/api/v1/leads", json={"contact_name": unique("Busy Lead")}))
    sign_in(page, site, f"/leads/{lead['id']}")
    add_and_complete_an_activity(page, site, "lead", lead["id"])


def test_activities_tab_on_an_account_and_my_activities(page: Page, site: Site) -> None:
    with site.api() as api:
        account = new_account(api, name=unique("Active Accounts Ltd"))
    sign_in(page, site, f"/accounts/{account['id']}")
    add_and_complete_an_activity(page, site, "account", account["id"])

    # My activities: the overdue come first, highlighted; a completed one is gone.
    with site.api() as api:
        late = created(
            api.post(
                "/api/v1/activities",
                json={
                    "type": "task",
                    "title": unique("Late task"),
                    "due_at": (datetime.now(UTC) - timedelta(days=1)).isoformat(),
                    "related_type": "account",
                    "related_id": account["id"],
                },
            )
        )
        soon = created(
            api.post(
                "/api/v1/activities",
                json={
                    "type": "meeting",
                    "title": unique("Soon meeting"),
                    "due_at": (datetime.now(UTC) + timedelta(days=1)).isoformat(),
                },
            )
        )
    page.get_by_role("link", name="Activities").first.click()
    page.get_by_role("link", name="My activities").click()
    page.wait_for_url(re.compile(r"/activities/my$"))
    overdue = page.locator("[data-group=overdue]")
    expect(overdue.locator(f"[data-activity='{late['id']}']")).to_be_visible()
    expect(overdue.locator(f"[data-activity='{late['id']}']")).to_contain_text(account["name"])
    expect(page.locator(f"[data-group=upcoming] [data-activity='{soon['id']}']")).to_be_visible()
    groups = page.locator("[data-group]").evaluate_all("els => els.map(e => e.dataset.group)")
    assert groups.index("overdue") < groups.index("upcoming")
    snapshot(page, "my-activities")


def test_contact_emails_editor_and_careers(page: Page, site: Site) -> None:
    with site.api() as api:
        employer = new_account(api, name=unique("Employer Group"))
    sign_in(page, site, "/contacts/new")
    name = unique("Grace Listed")
    page.get_by_label("Full name", exact=True).fill(name)
    editor = page.locator("[data-list=email]")
    editor.get_by_role("button", name="Add email").click()
    editor.get_by_label("Email 1").fill(f"{name.split()[-1]}@work.example")
    editor.get_by_role("button", name="Add email").click()
    editor.get_by_label("Email 2").fill(f"{name.split()[-1]}@home.example")
    editor.get_by_label("Kind of entry 2").select_option(label="Personal")
    editor.get_by_role("radio").nth(1).check()
    snapshot(page, "contact-form")
    page.get_by_role("button", name="Create").click()
    page.wait_for_url(re.compile(r"/contacts/[0-9a-f-]{36}$"))
    contact_id = page.url.rsplit("/", 1)[1]
    with site.api() as api:
        emails = api.get(f"/api/v1/contacts/{contact_id}").json()["emails"]
        assert [(e["kind"], e["is_primary"]) for e in emails] == [
            ("work", False),
            ("personal", True),
        ]

    open_tab(page, "Career")
    page.get_by_label("Account", exact=True).fill(employer["name"])
    page.get_by_role("option", name=employer["name"]).click()
    page.get_by_label("Job title").fill("Head of buying")
    page.get_by_label("From").fill("2024-02-01")
    page.get_by_label("Main place of work").check()
    page.get_by_role("button", name="Add a place of work").click()
    career = page.locator(".careers .plain-row")
    expect(career).to_have_count(1)
    expect(career).to_contain_text(employer["name"])
    expect(career).to_contain_text("Head of buying")
    with site.api() as api:
        careers = api.get(f"/api/v1/contacts/{contact_id}/careers").json()
        assert [(c["account_id"], c["is_primary"]) for c in careers] == [(employer["id"], True)]


def test_deals_list_shows_names_and_filters_by_stage_and_account(page: Page, site: Site) -> None:
    with site.api() as api:
        first, second, *_ = open_stages(api)
        account = new_account(api, name=unique("Filtered Buyer"))
        early = new_deal(api, title=unique("Early deal"), account_id=account["id"])
        later = new_deal(api, title=unique("Later deal"), account_id=account["id"])
        moved = api.post(
            f"/api/v1/opportunities/{later['id']}/move", json={"stage_id": second["id"]}
        )
        assert moved.status_code == 200, moved.text
    sign_in(page, site, "/opportunities")
    rows = page.locator(".grid-body [role=row]")
    row = rows.filter(has_text=early["title"])
    expect(row.locator("[data-lookup=accounts]")).to_have_text(account["name"])
    expect(row).to_contain_text(first["name"])
    expect(row).to_contain_text("€1,500.00")

    page.get_by_role("button", name="Filters").click()
    page.locator("[data-filter=account_id]").get_by_placeholder("Add: Account").fill(
        account["name"]
    )
    page.get_by_role("option", name=account["name"]).click()
    expect(rows).to_have_count(2)
    page.locator("[data-filter=stage_id]").get_by_label(second["name"]).check()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(later["title"])
    assert f"f.stage_id={second['id']}" in page.url


def test_a_new_activity_starts_as_a_task_for_tomorrow(page: Page, site: Site) -> None:
    """Issue 21: type, priority and status all started empty. A new activity is a task
    of normal priority, not started, due tomorrow at nine — each can be changed."""
    sign_in(page, site, "/activities/new")
    expect(page.get_by_label("Type", exact=True)).to_have_value("task")
    expect(page.get_by_label("Priority", exact=True)).to_have_value("normal")
    expect(page.get_by_label("Status", exact=True)).to_have_value("not_started")
    tomorrow = page.evaluate(
        "() => { const d = new Date(); d.setDate(d.getDate() + 1);"
        " return d.toLocaleDateString('sv'); }"
    )
    expect(page.get_by_label("Due", exact=True)).to_have_value(f"{tomorrow}T09:00")
    page.get_by_label("Type", exact=True).select_option("call")
    title = unique("Call back about the renewal")
    page.get_by_label("Subject", exact=True).fill(title)
    page.get_by_role("button", name="Create").click()
    page.wait_for_url(re.compile(r"/activities/[0-9a-f-]{36}$"))
    activity_id = page.url.rsplit("/", 1)[1]
    with site.api() as api:
        activity = api.get(f"/api/v1/activities/{activity_id}").json()
    assert (activity["type"], activity["priority"], activity["status"]) == (
        "call",
        "normal",
        "not_started",
    )
    assert activity["due_at"] is not None
