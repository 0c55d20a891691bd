"""Settings → Exchange in a real browser against the whole stack and the local EWS peer
over HTTPS (tests/integrations/ews_peer.py): a wrong password says so in words, the
contact folders come with a good test, the connection syncs and shows its health, a
throttled sync says Exchange asked to slow down, and the screen in Russian."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from cryptography.fernet import Fernet
from playwright.sync_api import Page, expect

from services.platform.testing import fresh_migrated_database, sibling_database_url
from tests.integrations.ews_peer import EwsPeer
from tests.support.stack import Stack
from tests.web.conftest import DIST, Site, sign_in
from tests.web.sales import snapshot

ADDRESS = "maria@contoso.test"
PASSWORD = "Secr3t!"


@pytest.fixture(scope="module")
def peer(tmp_path_factory) -> Iterator[EwsPeer]:
    with EwsPeer(ADDRESS, PASSWORD, tls_dir=str(tmp_path_factory.mktemp("ews"))) as running:
        yield running


@pytest.fixture(scope="module")
def stack(peer: EwsPeer) -> Iterator[Stack]:
    env = {
        "OSPREY_SECRET_KEYS": Fernet.generate_key().decode(),
        "OSPREY_EXCHANGE_CA_FILE": peer.ca_file,
        "OSPREY_EXCHANGE_POLL_SECONDS": "1",
    }
    database = fresh_migrated_database(sibling_database_url("exchange_web_stack"))
    with Stack(database, env=env) as running:
        yield running


@pytest.fixture(scope="module")
def site(stack: Stack) -> Site:
    if not (DIST / "index.html").is_file():
        pytest.fail("The web app is not built: run `make web`")
    return Site(stack.base_url, stack.admin_email, stack.admin_password)


def mime(subject: str) -> bytes:
    return (
        f"From: Dana <dana@buyer.test>\r\nTo: {ADDRESS}\r\nSubject: {subject}\r\n"
        f"Date: Mon, 07 Dec 2026 10:00:00 +0000\r\nMessage-ID: <{subject.replace(' ', '.')}@b>\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello\r\n"
    ).encode()


def test_connect_an_exchange_mailbox_and_watch_it_sync(page: Page, site: Site, peer: EwsPeer):
    page.set_viewport_size({"width": 1280, "height": 1000})
    clients = peer.mailbox.add_folder("Clients")
    peer.mailbox.put(
        "inbox", {"ItemClass": "IPM.Note", "Subject": "Price list"}, mime=mime("Price list")
    )
    peer.mailbox.put(
        clients, {"ItemClass": "IPM.Contact", "DisplayName": "Dana Buyer", "GivenName": "Dana"}
    )
    peer.mailbox.put(
        "calendar",
        {
            "ItemClass": "IPM.Appointment",
            "Subject": "Boiler demo",
            "Start": "2027-02-02T09:00:00Z",
            "End": "2027-02-02T10:00:00Z",
            "CalendarItemType": "Single",
        },
    )

    sign_in(page, site, "/settings")
    page.get_by_role("link", name=re.compile("Exchange: connect")).click()
    page.wait_for_url(re.compile(r"/settings/exchange$"))
    expect(page.get_by_text("No Exchange mailbox connected yet.")).to_be_visible()
    page.get_by_role("button", name="Connect an Exchange mailbox").click()
    form = page.get_by_role("form", name="Connect an Exchange mailbox")
    form.get_by_label("Email address").fill(ADDRESS)
    form.get_by_label("Password", exact=True).fill("wrong")
    form.get_by_role("textbox", name="EWS address").fill(peer.url)
    form.get_by_role("button", name="Test connection").click()
    expect(form.locator("[data-test-result='failed']")).to_contain_text(
        "check the user name and password"
    )
    snapshot(page, "exchange-test-wrong-password")

    form.get_by_label("Password", exact=True).fill(PASSWORD)
    form.get_by_role("button", name="Test connection").click()
    expect(form.locator("[data-test-result='ok']")).to_contain_text(peer.url)
    form.get_by_label("Clients").check()
    form.get_by_label("Contacts to send to Exchange").select_option("none")
    snapshot(page, "exchange-connect-form")
    form.get_by_role("button", name="Connect", exact=True).click()

    card = page.get_by_role("article", name=ADDRESS)
    expect(card.locator("[data-health='state']")).to_have_text("Active")
    expect(card.locator("[data-count='messages']")).to_have_text("1", timeout=30_000)
    expect(card.locator("[data-count='contacts_in']")).to_have_text("1")
    expect(card.locator("[data-count='meetings_in']")).to_have_text("1")
    expect(card.locator("[data-health='last-sync']")).not_to_have_text("Not yet")
    snapshot(page, "exchange-connected")

    # the meeting says where it came from
    with site.api() as api:
        (meeting,) = api.get("/api/v1/activities", params={"filter[source]": "exchange"}).json()[
            "items"
        ]
    assert meeting["title"] == "Boiler demo" and meeting["type"] == "meeting"
    page.goto(f"{site.base_url}/activities/{meeting['id']}")
    source = page.get_by_label("Source", exact=True)
    expect(source.locator("option:checked")).to_have_text("From Exchange")
    source.scroll_into_view_if_needed()
    snapshot(page, "exchange-activity-source")
    page.goto(f"{site.base_url}/settings/exchange")
    card = page.get_by_role("article", name=ADDRESS)

    # Exchange throttles the next sync: the card says so and when it goes on
    # (30 s: long enough for the card to show it under load, short enough that the next
    # test's syncs are not held back by it)
    peer.busy(1, back_off_ms=30_000)
    card.get_by_role("button", name="Sync now").click()
    expect(card.locator("[data-health='last-error']")).to_contain_text(
        "asked Osprey to slow down", timeout=30_000
    )
    snapshot(page, "exchange-throttled")
    with site.api() as api:
        (connection,) = api.get("/api/v1/exchange-connections").json()["items"]
        assert connection["state"] == "active" and connection["health"]["failures"] == 0

    # the same screen in Russian
    page.goto(site.base_url + "/settings")
    page.locator("select[name='language']").select_option("ru")
    page.get_by_role("link", name=re.compile("Exchange: подключите")).click()
    page.wait_for_url(re.compile(r"/settings/exchange$"))
    expect(page.get_by_role("button", name="Подключить ящик Exchange")).to_be_visible()
    card = page.get_by_role("article", name=ADDRESS)
    expect(card.locator("[data-health='state']")).to_have_text("Работает")
    expect(card.get_by_role("button", name="Синхронизировать")).to_be_visible()
    snapshot(page, "exchange-connected-ru")
    card.get_by_role("button", name="Изменить").click()
    form = page.get_by_role("form", name=f"Изменить {ADDRESS}")
    expect(form.get_by_role("textbox", name="Адрес EWS")).to_have_value(peer.url)
    expect(form.get_by_label("Clients")).to_be_checked()
    snapshot(page, "exchange-edit-ru")
    form.get_by_role("button", name="Отмена").click()
    page.goto(site.base_url + "/settings")
    page.locator("select[name='language']").select_option("en")


def test_chosen_contacts_are_picked_by_search_and_only_they_go_to_exchange(
    page: Page, site: Site, peer: EwsPeer
) -> None:
    """Export 'chosen ones' (Settings → Exchange): contacts found by name in a search
    box, shown as chips, saved as the connection's export_contact_ids; a sync sends the
    chosen contact to Exchange and not the others; named again after a reload, removed
    with its button, in Russian."""
    from tests.integrations.conftest import wait_for

    page.set_viewport_size({"width": 1280, "height": 1000})
    api = site.api()
    if not api.get("/api/v1/exchange-connections").json()["items"]:  # run on its own
        made = api.post(
            "/api/v1/exchange-connections",
            json={
                "email": ADDRESS,
                "password": PASSWORD,
                "ews_url": peer.url,
                "export_contacts": "none",
            },
        )
        assert made.status_code == 201, made.text
    nina = api.post(
        "/api/v1/contacts",
        json={"full_name": "Nina Chosen", "emails": [{"email": "nina@chosen.test"}]},
    ).json()
    api.post(
        "/api/v1/contacts",
        json={"full_name": "Nils Unchosen", "emails": [{"email": "nils@unchosen.test"}]},
    )

    def in_exchange() -> set[str]:
        return {
            i.props["DisplayName"].text
            for i in list(peer.mailbox.items.values())
            if i.tag == "Contact" and "DisplayName" in i.props
        }

    sign_in(page, site, "/settings/exchange")
    card = page.get_by_role("article", name=ADDRESS)
    card.get_by_role("button", name="Change").click()
    form = page.get_by_role("form", name=f"Change {ADDRESS}")
    expect(form.locator("[data-part='chosen-contacts']")).to_have_count(0)
    form.get_by_label("Contacts to send to Exchange").select_option("chosen")
    picker = form.locator("[data-part='chosen-contacts']")
    expect(picker.get_by_text("None chosen yet.")).to_be_visible()
    picker.get_by_label("Find a contact to add").fill("Ni")
    options = picker.get_by_role("option")
    expect(options.filter(has_text="Nils Unchosen")).to_have_count(1)
    options.get_by_role("button", name=re.compile("^Nina Chosen")).click()
    expect(picker.locator(f"[data-contact='{nina['id']}']")).to_contain_text(
        "Nina Chosen <nina@chosen.test>"
    )
    expect(picker.get_by_role("listbox")).to_have_count(0)
    snapshot(page, "exchange-settings-chosen-en")
    form.get_by_role("button", name="Save").click()
    expect(form).to_have_count(0)
    (connection,) = api.get("/api/v1/exchange-connections").json()["items"]
    assert connection["export_contacts"] == "chosen"
    assert connection["export_contact_ids"] == [nina["id"]]

    # the next sync sends the chosen contact to Exchange, and only that one
    card.get_by_role("button", name="Sync now").click()
    wait_for(lambda: "Nina Chosen" in in_exchange(), timeout=90, what="Nina in Exchange")
    assert "Nils Unchosen" not in in_exchange()

    # after a reload the chosen one is named again; in Russian it is removed
    assert api.patch("/api/v1/me", json={"locale": "ru"}).status_code == 200
    try:
        page.reload()
        card = page.get_by_role("article", name=ADDRESS)
        card.get_by_role("button", name="Изменить").click()
        form = page.get_by_role("form", name=f"Изменить {ADDRESS}")
        picker = form.locator("[data-part='chosen-contacts']")
        expect(picker.get_by_text("Контакты для выгрузки")).to_be_visible()
        expect(picker.locator(f"[data-contact='{nina['id']}']")).to_contain_text(
            "Nina Chosen <nina@chosen.test>"
        )
        picker.get_by_label("Найти контакт, чтобы добавить").fill("zzz-nobody")
        expect(picker.get_by_text("Подходящих контактов нет.")).to_be_visible()
        snapshot(page, "exchange-settings-chosen-ru")
        picker.get_by_role("button", name="Убрать Nina Chosen <nina@chosen.test>").click()
        expect(picker.get_by_text("Пока ни одного не выбрано.")).to_be_visible()
        form.get_by_role("button", name="Сохранить").click()
        expect(form).to_have_count(0)
    finally:
        api.patch("/api/v1/me", json={"locale": "en"})
    (connection,) = api.get("/api/v1/exchange-connections").json()["items"]
    assert connection["export_contacts"] == "chosen" and connection["export_contact_ids"] == []
