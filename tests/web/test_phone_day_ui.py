"""A sales rep's day on a phone (390×844, touch), by taps only (issue 21 point 5): the
drawer menu, the leads as cards, a lead opened, a field changed and saved, its stage
moved; the deal board swiped a column at a time, a deal opened and an activity added to
it; then the orders. Every control tapped is on the screen, not covered by anything,
not shown only under a mouse, and big enough for a finger, and no page is wider than
the screen; in English and in Russian."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Locator, Page, expect

from tests.web.conftest import NETWORK_NOISE, Site
from tests.web.sales import created, open_stages, snapshot
from tests.web.test_user_admin_ui import make_user, sign_in_as

WIDTH, HEIGHT = 390, 844
#: the smallest a control may be tapped at (WCAG 2.2's target size, minimum)
TARGET = 24

WORDS = {
    "en": {"menu": "Menu", "save": "Save", "saved": "Saved", "board": "Board",
           "activities": "Activities", "subject": "Subject", "add": "Add", "phone": "Phone"},
    "ru": {"menu": "Меню", "save": "Сохранить", "saved": "Сохранено", "board": "Доска",
           "activities": "Дела", "subject": "Тема", "add": "Добавить", "phone": "Телефон"},
}  # fmt: skip


@pytest.fixture
def phone(browser, site: Site) -> Iterator[Page]:
    context = browser.new_context(
        viewport={"width": WIDTH, "height": HEIGHT}, locale="en-GB", has_touch=True,
        is_mobile=True,
    )  # fmt: skip
    context.set_default_timeout(10_000)
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on(
        "console",
        lambda message: (
            message.type == "error"
            and not NETWORK_NOISE.match(message.text)
            and problems.append(f"console: {message.text}")
        ),
    )
    yield page
    context.close()
    assert not problems, problems


def fits(page: Page) -> None:
    """Nothing of the page lies beyond the screen's width (no sideways scrolling)."""
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= WIDTH, f"{page.url}: the page is {width} px wide"


def reach(target: Locator) -> Locator:
    """The control, scrolled to as a finger would: on the screen, the topmost thing
    where it is tapped, visible without a mouse over it, at least 24 px each way."""
    target.scroll_into_view_if_needed()
    expect(target).to_be_in_viewport()
    facts: dict[str, Any] = target.evaluate(
        """el => {
            const box = el.getBoundingClientRect();
            const x = Math.min(Math.max(box.left + box.width / 2, 0), innerWidth - 1);
            const y = Math.min(Math.max(box.top + box.height / 2, 0), innerHeight - 1);
            const top = document.elementFromPoint(x, y);
            let opacity = 1;
            for (let node = el; node; node = node.parentElement)
                opacity *= Number(getComputedStyle(node).opacity);
            return {
                covered: !(top && (top === el || el.contains(top) || top.contains(el))),
                by: top ? top.outerHTML.slice(0, 120) : null,
                opacity, width: box.width, height: box.height,
                left: box.left, right: box.right, screen: innerWidth,
            };
        }"""
    )
    what = target.evaluate("el => el.outerHTML.slice(0, 160)")
    assert not facts["covered"], f"{what} is covered by {facts['by']}"
    assert facts["opacity"] > 0.5, f"{what} shows only on hover ({facts['opacity']})"
    assert facts["left"] >= 0 and facts["right"] <= facts["screen"] + 0.5, (what, facts)
    assert facts["width"] >= TARGET and facts["height"] >= TARGET, (what, facts)
    return target


def tap(target: Locator) -> None:
    reach(target).tap()


def swipe(page: Page, x: float, y: float, dx: float, steps: int = 10) -> None:
    """A finger put down at (x, y), moved ``dx`` sideways and lifted (touch events
    through the browser's input, as a phone's screen sends them)."""
    cdp = page.context.new_cdp_session(page)
    points = [{"x": x + dx * n / steps, "y": y} for n in range(steps + 1)]
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": points[:1]})
    for point in points[1:]:
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [point]})
        page.wait_for_timeout(16)
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    cdp.detach()


def go(page: Page, section: str, words: dict[str, str]) -> None:
    """To a section through the drawer menu."""
    tap(page.get_by_role("button", name=words["menu"]))
    tap(page.locator(f"#osprey-sections [data-section='{section}']"))
    page.wait_for_url(f"**/{section}")
    expect(page.locator("#osprey-sections")).not_to_be_in_viewport()


def rep_with_work(site: Site, language: str) -> dict[str, Any]:
    """A sales rep with a lead and a deal of their own (the deal in the second stage)."""
    word = uuid.uuid4().hex[:8]
    with site.api() as api:
        rep = make_user(api, f"Rita Road {word}", "sales_rep", locale=language)
        second = open_stages(api)[1]
    login = httpx.post(f"{site.base_url}/api/v1/auth/login", timeout=15,
                       json={"email": rep["email"], "password": rep["password"]})  # fmt: skip
    login.raise_for_status()
    token = login.json()["token"]
    with httpx.Client(base_url=site.base_url, timeout=15,
                      headers={"Authorization": f"Bearer {token}"}) as own:  # fmt: skip
        lead = created(own.post("/api/v1/leads", json={
            "contact_name": f"Dora Day {word}", "account_name": f"Daybreak {word}",
            "email": f"dora.{word}@example.com",
        }))  # fmt: skip
        deal = created(own.post("/api/v1/opportunities", json={
            "title": f"Road deal {word}", "amount": "2400.00", "currency": "EUR",
            "stage_id": second["id"],
        }))  # fmt: skip
    return {**rep, "word": word, "lead": lead, "deal": deal}


@pytest.mark.timeout(300)  # a whole day's taps, and the first test starts the stack
@pytest.mark.parametrize("language", ["en", "ru"])
def test_a_sales_reps_day_by_taps_only(phone: Page, site: Site, language: str) -> None:
    words = WORDS[language]
    rep = rep_with_work(site, language)
    lead, deal = rep["lead"], rep["deal"]
    sign_in_as(phone, site, rep["email"], rep["password"], "/activities")

    # the leads, as cards, through the drawer
    go(phone, "leads", words)
    card = phone.locator(".grid.cards .grid-body .grid-row", has_text=lead["contact_name"])
    expect(card).to_be_visible()
    fits(phone)
    tap(card.get_by_role("link", name=lead["contact_name"]))
    phone.wait_for_url(f"**/leads/{lead['id']}")

    # a field changed and saved: Save stays in reach while the field is being typed in
    field = phone.get_by_label(words["phone"], exact=True)
    tap(field)
    phone.keyboard.type("+44 20 7946 0958")
    # without scrolling back up: the record's actions stay on the screen
    expect(phone.get_by_role("button", name=words["save"], exact=True)).to_be_in_viewport()
    fits(phone)
    snapshot(phone, f"phone-day-lead-{language}")
    tap(phone.get_by_role("button", name=words["save"], exact=True))
    expect(phone.get_by_role("status").filter(has_text=words["saved"])).to_be_visible()

    # the stage moved on by hand, from the stage bar
    tap(phone.locator(".stage-bar li[data-stage='distribution'] button"))
    expect(phone.locator(".stage-bar li[aria-current='step']")).to_have_attribute(
        "data-stage", "distribution"
    )
    fits(phone)
    with site.api() as api:
        saved = api.get(f"/api/v1/leads/{lead['id']}").json()
    assert (saved["phone"].replace(" ", ""), saved["stage"]) == ("+442079460958", "distribution")

    # the board, swiped a column at a time, and the deal in the second column opened
    go(phone, "opportunities", words)
    tap(phone.get_by_role("link", name=words["board"]))
    board = phone.locator(".board[data-loaded]")
    expect(board).to_be_visible()
    columns = board.locator(".board-column:not(.outcome)")
    expect(columns.first).to_be_in_viewport(ratio=0.95)
    box = board.bounding_box()
    assert box is not None
    # a finger's swipe leftwards over most of a column: the next one snaps in
    swipe(phone, box["x"] + box["width"] * 0.85, box["y"] + 24, -box["width"] * 0.7)
    expect(columns.nth(1)).to_be_in_viewport(ratio=0.95)
    fits(phone)
    snapshot(phone, f"phone-day-board-{language}")
    tap(columns.nth(1).get_by_role("link", name=deal["title"]))
    phone.wait_for_url(f"**/opportunities/{deal['id']}")

    # an activity added to the deal from its Activities tab
    tab = phone.get_by_role("tab", name=words["activities"])
    tap(tab)
    expect(tab).to_have_attribute("aria-selected", "true")
    fits(phone)
    subject = phone.get_by_role("textbox", name=words["subject"])
    tap(subject)
    phone.keyboard.type(f"Call back {rep['word']}")
    tap(phone.get_by_role("button", name=words["add"], exact=True))
    expect(phone.locator(".activity-list", has_text=f"Call back {rep['word']}")).to_be_visible()
    fits(phone)
    snapshot(phone, f"phone-day-activity-{language}")

    # and the orders
    go(phone, "orders", words)
    expect(phone.locator(".grid[aria-busy='false']")).to_be_visible()
    fits(phone)
