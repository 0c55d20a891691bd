"""The pipeline board in a real browser: drag deals between stages, win and lose them."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.web.conftest import Site, sign_in
from tests.web.sales import (
    final_stage,
    new_account,
    new_deal,
    new_user,
    open_stages,
    snapshot,
    unique,
)

UNLABELLED = """() => [
    ...document.querySelectorAll('a, button, input, select, textarea, [tabindex]')]
    .filter(el => !el.closest('[aria-hidden=true]') && el.type !== 'hidden')
    .filter(el => {
      const text = (el.getAttribute('aria-label') || el.textContent || '').trim();
      const labelled = (el.labels && el.labels.length) || el.getAttribute('aria-labelledby');
      return !(text || labelled || el.title || el.placeholder);
    })
    .map(el => el.outerHTML.slice(0, 120))"""


def column(page: Page, stage_id: str):
    return page.locator(f".board-column[data-stage='{stage_id}']")


def card(page: Page, deal_id: str):
    return page.locator(f".deal-card[data-card='{deal_id}']")


def open_board(page: Page, site: Site, query: str = "?owner=me") -> None:
    sign_in(page, site, "/opportunities/board" + query)
    page.locator(".board[data-loaded]").wait_for()


def test_drag_a_deal_to_a_later_stage_then_win_it(page: Page, site: Site) -> None:
    with site.api() as api:
        first, _second, third, *_ = open_stages(api)
        won = final_stage(api, successful=True)
        account = new_account(api, name=unique("Board Customer"))
        deal = new_deal(api, title=unique("Board deal"), amount="2500.00", account_id=account["id"])
        other = new_deal(api, title=unique("Other deal"), amount="100.00", currency="USD")

    open_board(page, site)
    source, target = column(page, first["id"]), column(page, third["id"])
    moved = card(page, deal["id"])
    expect(source.locator(f"[data-card='{deal['id']}']")).to_be_visible()
    expect(moved).to_contain_text(account["name"])
    expect(moved).to_contain_text("€2,500.00")
    expect(card(page, other["id"])).to_contain_text("$100.00")
    expect(source.locator(".total[data-currency=EUR]")).to_be_visible()
    target_count = int(target.locator(".column-title .count").inner_text())
    snapshot(page, "pipeline-board")

    # Drag it two stages on: the second is logged as skipped in the deal's history.
    moved.drag_to(target)
    expect(target.locator(f"[data-card='{deal['id']}']")).to_be_visible()
    expect(source.locator(f"[data-card='{deal['id']}']")).to_have_count(0)
    expect(target.locator(".column-title .count")).to_have_text(str(target_count + 1))
    expect(target.locator(f"[data-card='{deal['id']}'][aria-busy=false]")).to_be_visible()
    with site.api() as api:
        assert api.get(f"/api/v1/opportunities/{deal['id']}").json()["stage_id"] == third["id"]
        history = api.get(f"/api/v1/opportunities/{deal['id']}/history").json()["items"]
        assert [(h["stage_id"], h["skipped"]) for h in history] == [
            (first["id"], False),
            (_second["id"], True),
            (third["id"], False),
        ]

    # Dropped on Won, the deal is won and leaves the board.
    card(page, deal["id"]).drag_to(column(page, won["id"]))
    expect(card(page, deal["id"])).to_have_count(0)
    expect(page.get_by_role("status")).to_contain_text("won")
    with site.api() as api:
        record = api.get(f"/api/v1/opportunities/{deal['id']}").json()
        assert record["status"] == "won" and record["stage_id"] == won["id"]


def test_dropping_on_lost_asks_the_reason(page: Page, site: Site) -> None:
    with site.api() as api:
        lost = final_stage(api, successful=False)
        deal = new_deal(api, title=unique("Doomed deal"))
    open_board(page, site)
    card(page, deal["id"]).drag_to(column(page, lost["id"]))

    dialog = page.get_by_role("dialog", name="Why was the deal lost?")
    expect(dialog).to_be_visible()
    # Cancelling leaves the deal where it was.
    dialog.get_by_role("button", name="Cancel").click()
    expect(card(page, deal["id"])).to_be_visible()

    card(page, deal["id"]).drag_to(column(page, lost["id"]))
    dialog.get_by_label("Reason").select_option(label="Price")
    dialog.get_by_role("button", name="Mark as lost").click()
    expect(card(page, deal["id"])).to_have_count(0)
    expect(page.get_by_role("status")).to_contain_text("lost")
    with site.api() as api:
        record = api.get(f"/api/v1/opportunities/{deal['id']}").json()
        assert record["status"] == "lost"
        assert record["lost_reason"] == "price"  # the loss reason's code


def test_a_refused_move_puts_the_card_back_and_says_why(page: Page, site: Site) -> None:
    with site.api() as api:
        first, second, *_ = open_stages(api)
        deal = new_deal(api, title=unique("Contested deal"))
    open_board(page, site)
    expect(card(page, deal["id"])).to_be_visible()
    with site.api() as api:  # someone else changes the deal meanwhile: the card is stale
        changed = api.patch(
            f"/api/v1/opportunities/{deal['id']}",
            json={"need_type": "changed elsewhere"},
            headers={"If-Match": f'"{deal["version"]}"'},
        )
        assert changed.status_code == 200, changed.text

    card(page, deal["id"]).drag_to(column(page, second["id"]))
    expect(page.get_by_role("alert")).to_contain_text("could not be moved")
    expect(column(page, first["id"]).locator(f"[data-card='{deal['id']}']")).to_be_visible()
    expect(column(page, second["id"]).locator(f"[data-card='{deal['id']}']")).to_have_count(0)
    with site.api() as api:
        assert api.get(f"/api/v1/opportunities/{deal['id']}").json()["stage_id"] == first["id"]


def test_filter_the_board_by_owner(page: Page, site: Site) -> None:
    with site.api() as api:
        colleague = new_user(api, unique("Colleague"))
        theirs = new_deal(api, title=unique("Their deal"), owner_id=colleague["id"])
        mine = new_deal(api, title=unique("My deal"))
    open_board(page, site)
    expect(card(page, mine["id"])).to_be_visible()
    expect(card(page, theirs["id"])).to_have_count(0)

    page.get_by_role("button", name="Everyone").click()
    expect(card(page, theirs["id"])).to_be_visible()
    expect(card(page, theirs["id"])).to_contain_text(colleague["full_name"])

    page.get_by_placeholder("Add a person").fill(colleague["full_name"].split()[-1])
    page.get_by_role("option", name=colleague["full_name"]).click()
    assert re.search(rf"owner={colleague['id']}", page.url)
    expect(card(page, theirs["id"])).to_be_visible()
    expect(card(page, mine["id"])).to_have_count(0)

    page.get_by_role("link", name="List", exact=True).click()
    page.wait_for_url(re.compile(r"/opportunities$"))
    expect(page.locator(".grid[aria-busy='false']")).to_be_visible()
    snapshot(page, "opportunities-list")


def test_a_long_column_loads_more_cards_on_request(page: Page, site: Site) -> None:
    with site.api() as api:
        first = open_stages(api)[0]
        busy = new_user(api, unique("Busy Seller"))
        deals = [
            new_deal(api, title=unique(f"Bulk deal {n:02d}"), owner_id=busy["id"])
            for n in range(53)
        ]
    open_board(page, site, f"?owner={busy['id']}")
    cards = column(page, first["id"]).locator(".deal-card")
    expect(cards).to_have_count(50)
    expect(column(page, first["id"]).locator(".column-title .count")).to_have_text("53")
    # The newest first; the three oldest arrive with "Load more".
    expect(cards.first).to_have_attribute("data-card", deals[-1]["id"])
    assert page.evaluate(UNLABELLED) == []
    column(page, first["id"]).get_by_role("button", name="Load more").click()
    expect(cards).to_have_count(53)
    expect(column(page, first["id"]).get_by_role("button", name="Load more")).to_have_count(0)
    shown = cards.evaluate_all("els => els.map(e => e.dataset.card)")
    assert sorted(shown) == sorted(d["id"] for d in deals)
