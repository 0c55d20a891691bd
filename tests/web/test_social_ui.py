"""Administration → Social channels and Webhooks in a real browser: a VK channel made on
the page receives a signed lead form and refuses a forged one, both in its request log;
a webhook made on the page shows its secret once, delivers a new lead to a partner's
address (signed), shows the try in its delivery log and sends it again by hand; both
pages read in Russian."""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest
from cryptography.fernet import Fernet
from playwright.sync_api import Page, expect

from services.integrations.social.domain import verify_webhook_signature
from services.platform.testing import fresh_migrated_database, sibling_database_url
from tests.integrations.social_senders import WebhookReceiver, vk_event
from tests.support.stack import Stack
from tests.web.conftest import DIST, Site, sign_in
from tests.web.sales import snapshot


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    env = {"OSPREY_SECRET_KEYS": Fernet.generate_key().decode()}
    database = fresh_migrated_database(sibling_database_url("social_web_stack"))
    with Stack(database, env=env) as running:
        yield running


@pytest.fixture(scope="module")
def site(stack: Stack) -> Site:
    if not (DIST / "index.html").is_file():
        pytest.fail("The web app is not built: run `make web`")
    return Site(stack.base_url, stack.admin_email, stack.admin_password)


def test_a_vk_channel_made_on_the_page_takes_a_lead_and_logs_a_forgery(page: Page, site: Site):
    name = f"VK community {uuid.uuid4().hex[:6]}"
    sign_in(page, site, "/admin/social-channels")
    expect(page.get_by_text("No social channels yet.")).to_be_visible()
    page.get_by_role("link", name="New channel").click()
    form = page.get_by_role("form", name="New channel")
    form.get_by_label("Platform").select_option(label="VK lead forms")
    form.get_by_label("Name", exact=True).fill(name)
    form.get_by_label("Community id").fill("4242")
    form.get_by_label("Confirmation string").fill("c0nf1rm")
    form.get_by_label("Secret key").fill("vk-web-secret")
    form.get_by_role("button", name="Create").click()
    page.wait_for_url(re.compile(r"/admin/social-channels/[0-9a-f-]{36}$"))
    channel_id = page.url.rsplit("/", 1)[1]
    hook = page.locator("[data-hook-url]")
    expect(hook).to_have_text(f"{site.base_url}/api/v1/hooks/vk/{channel_id}")
    expect(page.get_by_label("Secret key")).to_have_attribute(
        "placeholder", "Set — leave empty to keep it"
    )

    plain = {"Content-Type": "application/json"}
    answers = {"first_name": "Vera", "last_name": "Web", "phone_number": "+7 812 000 00 01"}
    with httpx.Client(timeout=15) as http:
        ok = http.post(hook.inner_text(), content=vk_event(4242, "vk-web-secret", 1, answers),
                       headers=plain)  # fmt: skip
        assert ok.text == "ok"
        forged = http.post(hook.inner_text(), content=vk_event(4242, "guess", 2, answers),
                           headers=plain)  # fmt: skip
        assert forged.status_code == 403
    page.reload()
    log = page.get_by_role("table", name="Requests")
    expect(log.locator("tr[data-outcome='accepted']")).to_contain_text("Lead made")
    expect(log.locator("tr[data-outcome='forged']")).to_contain_text("not this group's")
    expect(page.locator(f"[data-channel='{name}'] [data-counts]")).to_have_text(
        "Leads made: 1 · Refused: 1"
    )
    snapshot(page, "admin-social-channels")
    with site.api() as api:
        leads = api.get("/api/v1/leads", params={"filter[channel]": "vk"}).json()["items"]
    assert [(lead["contact_name"], lead["source"]) for lead in leads] == [("Vera Web", "social")]


def test_a_webhook_made_on_the_page_delivers_signed_and_resends(page: Page, site: Site):
    with WebhookReceiver() as receiver:
        sign_in(page, site, "/admin/webhooks")
        page.get_by_role("link", name="New webhook").click()
        form = page.get_by_role("form", name="New webhook")
        form.get_by_label("Name", exact=True).fill("Partner ERP")
        form.get_by_label("Address (URL)").fill(f"{receiver.url}/osprey")
        expect(form.get_by_role("checkbox", name="lead_created")).to_be_checked()
        form.get_by_role("checkbox", name="opportunity_won").check()
        form.get_by_role("button", name="Create").click()
        secret = page.locator("[data-secret]")
        expect(secret).to_have_text(re.compile(r"^whsec_"))
        signing_secret = secret.inner_text()

        with site.api() as api:
            lead = api.post("/api/v1/leads", json={"contact_name": "Hooked Hannah"}).json()
        deadline = time.monotonic() + 30
        while not receiver.received and time.monotonic() < deadline:
            time.sleep(0.2)
        headers, body = receiver.received[0]
        assert json.loads(body)["data"]["id"] == lead["id"]
        assert verify_webhook_signature(
            signing_secret, body, headers["Osprey-Signature"], int(time.time())
        )

        row = page.locator("tr[data-delivery='lead_created']")
        refresh = page.get_by_role("button", name="Refresh")
        for _ in range(50):
            if row.count():
                break
            refresh.click()
            page.wait_for_timeout(200)
        expect(row).to_have_attribute("data-status", "delivered")
        expect(row).to_contain_text("HTTP 200")
        row.get_by_role("button", name="Send again").click()
        expect(page.locator("[data-resent]")).to_have_text("Sent again: HTTP 200")
        expect(page.locator("li[data-attempt='2']")).to_contain_text("by hand")
        expect(page.locator("[data-webhook='Partner ERP']")).to_contain_text("1 delivered")
        assert len(receiver.received) == 2
        snapshot(page, "admin-webhooks")


def test_the_pages_read_in_russian(page: Page, site: Site):
    with site.api() as api:
        assert api.patch("/api/v1/me", json={"locale": "ru"}).status_code == 200
    try:
        sign_in(page, site, "/admin/webhooks")
        nav = page.get_by_role("navigation", name="Администрирование")
        expect(nav.get_by_role("link", name="Социальные сети")).to_be_visible()
        expect(page.get_by_role("heading", name="Вебхуки")).to_be_visible()
        expect(page.locator("[data-webhook='Partner ERP']")).to_contain_text("доставлено 1")
        nav.get_by_role("link", name="Социальные сети").click()
        expect(page.get_by_role("link", name="Новый канал")).to_be_visible()
        expect(page.get_by_text("Создано лидов: 1")).to_be_visible()
        snapshot(page, "admin-social-channels-ru")
    finally:
        with site.api() as api:
            api.patch("/api/v1/me", json={"locale": "en"})
