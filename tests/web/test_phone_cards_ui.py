"""On a phone (390×844, touch) a list's rows are cards with the key fields and their
labels, a card's checkbox is big enough to tap and the bulk actions stay in reach, a
record's fields stack one under another, and the board scrolls a column at a time
(issue 21 point 5); English and Russian."""

from __future__ import annotations

import random
import string
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.web.axe import described, violations
from tests.web.conftest import Site
from tests.web.sales import created, new_deal, snapshot
from tests.web.test_user_admin_ui import make_user, sign_in_as


@pytest.fixture
def phone(browser, site: Site) -> Iterator[Page]:
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, locale="en-GB", has_touch=True, is_mobile=True
    )
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def test_cards_stacked_fields_and_a_board_by_column(phone: Page, site: Site) -> None:
    word = "".join(random.choices(string.ascii_lowercase, k=9))
    with site.api() as api:
        lead = created(
            api.post(
                "/api/v1/leads",
                json={
                    "contact_name": f"{word} Card",
                    "account_name": "Cardigan Looms",
                    "email": f"{word}@example.com",
                },
            )
        )
        new_deal(api, title=f"{word} board deal")
        user = make_user(api, f"Pia Phone {word}", "admin")
        russian = make_user(api, f"Фаина Телефон {word}", "admin", locale="ru")

    sign_in_as(phone, site, user["email"], user["password"], f"/leads?q={word}")
    card = phone.locator(".grid.cards .grid-body .grid-row")
    expect(card).to_have_count(1)
    box = card.bounding_box()
    assert box is not None and box["width"] >= 340 and box["height"] >= 100, box
    expect(card.get_by_role("link", name=f"{word} Card")).to_be_visible()
    for label, value in (("Account name", "Cardigan Looms"), ("Email", f"{word}@example.com")):
        cell = card.locator(".grid-cell", has=phone.locator(".card-label", has_text=label))
        expect(cell).to_be_visible()
        expect(cell).to_contain_text(value)
    # no column is cut off: nothing of the card lies beyond the screen
    assert phone.evaluate("() => document.documentElement.scrollWidth") <= 390
    found = violations(phone)
    assert not found, described(found)
    snapshot(phone, "phone-cards")

    # a card is ticked by touch; the bulk actions are on screen
    tick = card.get_by_role("checkbox")
    tick_box = tick.bounding_box()
    assert tick_box is not None and tick_box["width"] >= 24, tick_box
    tick.tap()
    bar = phone.get_by_role("region", name="Selected records")
    expect(bar.get_by_role("status")).to_have_text("1 selected")
    expect(bar.get_by_role("button", name="Assign owner")).to_be_in_viewport()
    expect(phone).to_have_url(f"{site.base_url}/leads?q={word}")  # ticking opens nothing
    # tapping the card opens the record; its fields stack one under another
    card.get_by_role("link", name=f"{word} Card").tap()
    expect(phone).to_have_url(f"{site.base_url}/leads/{lead['id']}")
    first = phone.get_by_label("Contact name").bounding_box()
    second = phone.get_by_label("Account name").bounding_box()
    assert first and second and abs(first["x"] - second["x"]) < 2 and second["y"] > first["y"]

    # the board: a column nearly the screen's width, the scroll snapping to a column
    phone.goto(f"{site.base_url}/opportunities/board")
    board = phone.locator(".board[data-loaded]")
    expect(board).to_be_visible()
    columns = board.locator(".board-column:not(.outcome)")
    width = columns.first.bounding_box()
    assert width is not None and 300 <= width["width"] <= 350, width
    assert board.evaluate("el => getComputedStyle(el).scrollSnapType") == "x mandatory"
    board.evaluate("el => el.scrollBy({ left: 120 })")
    second_column = columns.nth(1)
    expect(second_column).to_be_in_viewport(ratio=0.95)  # snapped to the next column
    snapshot(phone, "phone-board")

    # Russian: the cards' labels in Russian
    phone.context.clear_cookies()
    sign_in_as(phone, site, russian["email"], russian["password"], f"/leads?q={word}")
    expect(card.locator(".card-label", has_text="Контрагент")).to_be_visible()
