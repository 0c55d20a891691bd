"""The activities calendar in a real browser: a month and a week of the user's
activities, dragged to another day or hour to reschedule (the API then has the new
times, start and due moved together), overdue ones marked here and in the list."""

from __future__ import annotations

import uuid
from datetime import datetime

from playwright.sync_api import Page, expect

from tests.web.conftest import Site, sign_in
from tests.web.sales import created, snapshot


def local_iso(page: Page, y: int, m: int, d: int, h: int, minute: int = 0) -> str:
    """The instant of a local time in the browser's time zone."""
    return page.evaluate(f"new Date({y}, {m - 1}, {d}, {h}, {minute}).toISOString()")


def same_instant(a: str, b: str) -> bool:
    def parse(text: str) -> datetime:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))

    return parse(a) == parse(b)


def test_activities_move_on_the_calendar_and_overdue_ones_stand_out(page: Page, site: Site) -> None:
    tag = uuid.uuid4().hex[:6]
    sign_in(page, site, "/activities")
    with site.api() as api:
        me = api.get("/api/v1/me").json()
        meeting = created(
            api.post(
                "/api/v1/activities",
                json={
                    "type": "meeting",
                    "title": f"Demo {tag}",
                    "owner_id": me["id"],
                    "start_at": local_iso(page, 2027, 3, 10, 10, 30),
                    "due_at": local_iso(page, 2027, 3, 10, 11, 30),
                },
            )
        )
        late = created(
            api.post(
                "/api/v1/activities",
                json={
                    "type": "call",
                    "title": f"Late call {tag}",
                    "owner_id": me["id"],
                    "due_at": local_iso(page, 2026, 11, 10, 9),
                },
            )
        )

    # the month: the meeting on its day, dragged to two days later (same time of day)
    page.goto(f"{site.base_url}/activities/calendar?view=month&date=2027-03-10")
    expect(page.get_by_role("heading", name="Calendar", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Calendar")).to_have_attribute("aria-current", "page")
    chip = page.locator(f"[data-day='2027-03-10'] [data-activity='{meeting['id']}']")
    expect(chip).to_contain_text(f"Demo {tag}")
    snapshot(page, "activities-calendar-month")
    chip.drag_to(page.locator("[data-day='2027-03-12']"))
    on_day = f"[data-day='2027-03-12'] [data-activity='{meeting['id']}']"
    expect(page.locator(on_day)).to_be_visible()
    with site.api() as api:
        moved = api.get(f"/api/v1/activities/{meeting['id']}").json()
    assert same_instant(moved["start_at"], local_iso(page, 2027, 3, 12, 10, 30))
    assert same_instant(moved["due_at"], local_iso(page, 2027, 3, 12, 11, 30))

    # the week: dragged to three in the afternoon of the day before (minutes kept)
    page.get_by_role("button", name="Week").click()
    at_ten = f"[data-day='2027-03-12'][data-hour='10'] [data-activity='{meeting['id']}']"
    slot = page.locator(at_ten)
    expect(slot).to_be_visible()
    slot.drag_to(page.locator("[data-day='2027-03-11'][data-hour='15']"))
    expect(
        page.locator(f"[data-day='2027-03-11'][data-hour='15'] [data-activity='{meeting['id']}']")
    ).to_be_visible()
    with site.api() as api:
        moved = api.get(f"/api/v1/activities/{meeting['id']}").json()
    assert same_instant(moved["start_at"], local_iso(page, 2027, 3, 11, 15, 30))
    assert same_instant(moved["due_at"], local_iso(page, 2027, 3, 11, 16, 30))
    snapshot(page, "activities-calendar-week")

    # an open activity past its due time is marked on the calendar and in the list
    page.goto(f"{site.base_url}/activities/calendar?view=month&date=2026-11-10")
    overdue = page.locator(f"[data-activity='{late['id']}']")
    expect(overdue).to_have_class("calendar-chip overdue")
    expect(overdue).to_contain_text("Overdue")
    page.goto(f"{site.base_url}/activities?q=Late%20call%20{tag}")
    row = page.locator(".grid-row", has_text=f"Late call {tag}")
    expect(row).to_have_class("grid-row overdue")
    on_time = page.goto(f"{site.base_url}/activities?q=Demo%20{tag}")
    assert on_time is not None
    expect(page.locator(".grid-row", has_text=f"Demo {tag}")).to_have_class("grid-row")
