"""Administration → Inbound bus in a real browser: messages a partner published with pika
that the bus refused are listed with their reasons; one is discarded, another sent
again (refused again, it comes back as a new entry); the API answers bad input with
problem+json; the page reads in Russian."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Page, expect

from deploy.inbound.sender import InboundSender
from services.platform.testing import fresh_migrated_database, sibling_database_url
from tests.support.stack import Stack
from tests.web.conftest import DIST, Site, sign_in
from tests.web.sales import snapshot


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    database = fresh_migrated_database(sibling_database_url("inbound_web_stack"))
    with Stack(database) as running:
        yield running


@pytest.fixture(scope="module")
def site(stack: Stack) -> Site:
    if not (DIST / "index.html").is_file():
        pytest.fail("The web app is not built: run `make web`")
    return Site(stack.base_url, stack.admin_email, stack.admin_password)


@pytest.fixture(scope="module")
def refused(stack: Stack) -> dict[str, bytes]:
    """Two refused messages, published as a partner publishes them."""
    uri = stack.amqp_uri.replace("pyamqp://", "amqp://", 1)
    with InboundSender(uri, source="erp") as partner:
        bad_email = partner.message("lead", {"contact_name": "Web Wanda", "email": "nope"})
        bodies = {"bad email": json.dumps(bad_email).encode(), "not json": b"{broken"}
        for body in bodies.values():
            partner.send_raw(body, "lead.create")
    return bodies


def refreshed_until(page: Page, count: int) -> None:
    rows = page.locator("[data-dead-letter]")
    for _ in range(60):
        if rows.count() >= count:
            return
        page.get_by_role("button", name="Refresh").click()
        page.wait_for_timeout(250)
    expect(rows).to_have_count(count)


def test_refused_messages_discarded_and_sent_again(page: Page, site: Site, refused) -> None:
    sign_in(page, site, "/admin/inbound-bus")
    expect(page.get_by_role("heading", name="Refused messages")).to_be_visible()
    refreshed_until(page, 2)
    rows = page.locator("[data-dead-letter]")
    broken = rows.filter(has_text="the body is not JSON")
    email = rows.filter(has_text="data.email")
    expect(broken).to_have_count(1)
    expect(email).to_have_count(1)
    expect(email).to_contain_text("lead.create")
    email.get_by_text("Message (").click()
    expect(email.locator("pre")).to_contain_text('"Web Wanda"')
    snapshot(page, "admin-inbound-bus")

    page.once("dialog", lambda dialog: dialog.accept())
    broken.get_by_role("button", name="Discard").click()
    expect(page.locator("[data-inbound-note]")).to_have_text("Discarded.")
    expect(rows).to_have_count(1)

    first_id = email.get_attribute("data-dead-letter")
    email.get_by_role("button", name="Send again").click()
    expect(page.locator("[data-inbound-note]")).to_have_text("Sent again to the bus.")
    expect(rows).to_have_count(0)
    # refused again by the bus: back as a new entry, with the same reason
    refreshed_until(page, 1)
    expect(rows.first).to_contain_text("data.email")
    assert rows.first.get_attribute("data-dead-letter") != first_id

    with site.api() as api:
        listed = api.get("/api/v1/inbound/dead-letters").json()["items"]
        assert [json.loads(item["body"]) for item in listed] == [json.loads(refused["bad email"])]
        for path, status in (
            ("/api/v1/inbound/dead-letters?limit=0", 422),
            ("/api/v1/inbound/dead-letters?cursor=nope", 422),
            ("/api/v1/inbound/dead-letters/not-an-id", 404),
        ):
            answer = api.get(path)
            assert answer.status_code == status, answer.text
            assert answer.headers["content-type"].startswith("application/problem+json")
        gone = api.delete(f"/api/v1/inbound/dead-letters/{first_id}")
        assert gone.status_code == 404
        assert gone.headers["content-type"].startswith("application/problem+json")
    with httpx.Client(base_url=site.base_url) as anonymous:
        assert anonymous.get("/api/v1/inbound/dead-letters").status_code == 401


def test_the_page_reads_in_russian(page: Page, site: Site, refused) -> None:
    with site.api() as api:
        assert api.patch("/api/v1/me", json={"locale": "ru"}).status_code == 200
    try:
        sign_in(page, site, "/admin/inbound-bus")
        nav = page.get_by_role("navigation", name="Администрирование")
        expect(nav.get_by_role("link", name="Шина входящих")).to_be_visible()
        expect(page.get_by_role("heading", name="Отклонённые сообщения")).to_be_visible()
        rows = page.locator("[data-dead-letter]")
        for _ in range(60):
            if rows.count():
                break
            page.get_by_role("button", name="Обновить").click()
            page.wait_for_timeout(250)
        expect(rows.first.get_by_role("button", name="Отправить снова")).to_be_visible()
        expect(rows.first.get_by_role("button", name="Удалить")).to_be_visible()
        expect(rows.first).to_contain_text("Причина")
        snapshot(page, "admin-inbound-bus-ru")
    finally:
        with site.api() as api:
            api.patch("/api/v1/me", json={"locale": "en"})
