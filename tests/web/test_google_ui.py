"""Settings → Google in a real browser against the whole stack and the local Google peer
(tests/integrations/google_peer.py, which also plays Google's consent page): connect
through the consent screen, see the first sync's counts, choose groups and directions,
sync now, the reconnect state after Google revokes the access and reconnecting, in
English and in Russian."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from cryptography.fernet import Fernet
from playwright.sync_api import Page, expect

from services.platform.testing import fresh_migrated_database, sibling_database_url
from tests.integrations.conftest import wait_for
from tests.integrations.google_peer import GooglePeer
from tests.support.stack import Stack
from tests.web.conftest import DIST, Site, sign_in
from tests.web.sales import snapshot

CLIENT_ID = "osprey-web-test.apps.googleusercontent.com"


@pytest.fixture(scope="module")
def peer() -> Iterator[GooglePeer]:
    with GooglePeer() as server:
        server.add_client(CLIENT_ID, "web-test-secret")
        customers = server.add_group("Customers")
        server.put_person("Ann", "Lee", emails=["ann@lee.test"], groups=[customers])
        server.put_person("Bob", "Brown", emails=["bob@brown.test"], groups=[customers])
        server.put_person("Carl", "Cole", emails=["carl@cole.test"])
        server.put_event(
            summary="Demo for Ann",
            start={"dateTime": "2027-01-15T10:00:00+01:00", "timeZone": "Europe/Berlin"},
            end={"dateTime": "2027-01-15T11:00:00+01:00", "timeZone": "Europe/Berlin"},
            attendees=[{"email": "ann@lee.test"}],
        )
        yield server


@pytest.fixture(scope="module")
def stack(peer: GooglePeer) -> Iterator[Stack]:
    """A stack of its own whose google service talks to the peer."""
    env = {
        "OSPREY_SECRET_KEYS": Fernet.generate_key().decode(),
        "OSPREY_GOOGLE_CLIENT_ID": CLIENT_ID,
        "OSPREY_GOOGLE_CLIENT_SECRET": "web-test-secret",
        "OSPREY_GOOGLE_API_ROOT": peer.url,
        "OSPREY_GOOGLE_AUTH_URI": peer.url + "o/oauth2/auth",
        "OSPREY_GOOGLE_TOKEN_URI": peer.url + "token",
        "OSPREY_GOOGLE_PAGE_SIZE": "3",
    }
    database = fresh_migrated_database(sibling_database_url("google_web_stack"))
    with Stack(database, env=env) as running:
        yield running


@pytest.fixture(scope="module")
def site(stack: Stack) -> Site:
    if not (DIST / "index.html").is_file():
        pytest.fail("The web app is not built: run `make web`")
    return Site(stack.base_url, stack.admin_email, stack.admin_password)


def consent(page: Page, peer: GooglePeer) -> None:
    """Google's consent page (the peer's): allow."""
    page.wait_for_url(re.compile("^" + re.escape(peer.url + "o/oauth2/auth")))
    expect(page.get_by_text("Osprey wants to access your Google Account")).to_be_visible()
    page.get_by_role("link", name="Allow").click()


def test_connect_choose_sync_and_reconnect_in_both_languages(
    page: Page, site: Site, peer: GooglePeer
) -> None:
    sign_in(page, site, "/settings")
    page.get_by_role("link", name="Google: connect your contacts, calendar and Gmail").click()
    expect(page.get_by_role("heading", name="Google account")).to_be_visible()
    expect(page.get_by_text("No Google account connected yet.")).to_be_visible()
    page.get_by_role("button", name="Connect a Google account").click()
    consent(page, peer)

    page.wait_for_url(re.compile(r"/settings/google$"))
    expect(page.get_by_role("status").filter(has_text="Connected owner@gmail.test")).to_be_visible()
    card = page.get_by_role("article", name="owner@gmail.test")
    expect(card.locator("[data-health='state']")).to_have_text("Active")
    # the background sync takes the new connection at once: contacts and the meeting
    expect(card.locator("[data-count='contacts_imported'] dd")).to_have_text("3", timeout=30_000)
    expect(card.locator("[data-count='events_imported'] dd")).to_have_text("1")
    expect(card.locator("[data-health='last-sync']")).not_to_have_text("Not yet")

    # the meeting says where it came from
    api = site.api()
    (meeting,) = api.get("/api/v1/activities", params={"filter[source]": "google"}).json()["items"]
    assert meeting["title"] == "Demo for Ann" and meeting["type"] == "meeting"
    page.goto(f"{site.base_url}/activities/{meeting['id']}")
    source = page.get_by_label("Source", exact=True)
    expect(source).to_have_value("google")
    expect(source.locator("option:checked")).to_have_text("From Google Calendar")
    source.scroll_into_view_if_needed()
    snapshot(page, "google-activity-source-en")
    page.goto(f"{site.base_url}/settings/google")

    # choose: only the Customers group, contacts from Google only, Gmail off
    contacts = card.locator("[data-part='contacts']")
    contacts.get_by_label("Customers").check()
    contacts.get_by_label("Direction").select_option("import")
    card.locator("[data-part='mail']").get_by_label("Bring Gmail into Osprey").uncheck()
    card.get_by_role("button", name="Save").click()
    expect(card.get_by_role("status").filter(has_text="Saved")).to_be_visible()
    (connection,) = api.get("/api/v1/google-connections").json()["items"]
    assert connection["contacts"]["groups"] == [
        g for g in peer.groups if g != "contactGroups/myContacts"
    ]
    assert connection["contacts"]["direction"] == "import" and not connection["mail"]["enabled"]
    page.get_by_role("button", name="Sync now").click()
    snapshot(page, "google-settings-en")

    # Google revokes the access: the card says so and offers to reconnect
    peer.revoke()
    page.get_by_role("button", name="Sync now").click()
    wait_for(
        lambda: api.get("/api/v1/google-connections").json()["items"][0]["needs_reconnect"],
        timeout=30,
        what="the sync to find the access revoked",
    )
    page.reload()
    expect(card.locator("[data-health='reconnect']")).to_be_visible()
    expect(card.locator("[data-health='state']")).to_have_text("Needs attention")
    expect(card.locator("[data-health='last-error']")).to_contain_text("reconnect the account")
    snapshot(page, "google-settings-reconnect-en")
    card.get_by_role("button", name="Reconnect").click()
    consent(page, peer)
    page.wait_for_url(re.compile(r"/settings/google$"))
    expect(card.locator("[data-health='state']")).to_have_text("Active")
    expect(card.locator("[data-health='reconnect']")).to_have_count(0)
    assert len(api.get("/api/v1/google-connections").json()["items"]) == 1

    # in Russian
    assert api.patch("/api/v1/me", json={"locale": "ru"}).status_code == 200
    page.reload()
    expect(page.get_by_role("heading", name="Аккаунт Google")).to_be_visible()
    expect(card.locator("[data-health='state']")).to_have_text("Работает")
    expect(card.get_by_role("button", name="Синхронизировать")).to_be_visible()
    expect(
        card.locator("[data-part='contacts']").get_by_text("Какие группы контактов загружать")
    ).to_be_visible()
    snapshot(page, "google-settings-ru")
    assert api.patch("/api/v1/me", json={"locale": "en"}).status_code == 200


def test_declining_on_the_consent_page_connects_nothing(
    page: Page, site: Site, peer: GooglePeer
) -> None:
    sign_in(page, site, "/settings/google")
    before = len(site.api().get("/api/v1/google-connections").json()["items"])
    page.get_by_role("button", name="Connect a Google account").click()
    page.wait_for_url(re.compile("^" + re.escape(peer.url)))
    page.get_by_role("link", name="Cancel").click()
    page.wait_for_url(re.compile(r"/settings/google$"))
    expect(
        page.get_by_role("status").filter(has_text="Google did not grant access")
    ).to_be_visible()
    assert len(site.api().get("/api/v1/google-connections").json()["items"]) == before


def test_chosen_contacts_are_picked_by_search_in_both_languages(
    page: Page, site: Site, peer: GooglePeer
) -> None:
    """Export 'chosen ones': the contacts are found by name in a search box, shown as
    chips, removed with their button and saved as the connection's export_ids."""
    api = site.api()
    sign_in(page, site, "/settings/google")
    if not api.get("/api/v1/google-connections").json()["items"]:
        page.get_by_role("button", name="Connect a Google account").click()
        consent(page, peer)
        page.wait_for_url(re.compile(r"/settings/google$"))
    nina = api.post(
        "/api/v1/contacts",
        json={"full_name": "Nina Picked", "emails": [{"email": "nina@picked.test"}]},
    ).json()
    api.post("/api/v1/contacts", json={"full_name": "Nils Other"})
    card = page.get_by_role("article").first
    contacts = card.locator("[data-part='contacts']")
    expect(contacts.locator("[data-part='chosen-contacts']")).to_have_count(0)
    contacts.get_by_label("Contacts to send to Google").select_option("chosen")
    picker = contacts.locator("[data-part='chosen-contacts']")
    expect(picker.get_by_text("None chosen yet.")).to_be_visible()
    picker.get_by_label("Find a contact to add").fill("Nina")
    picker.get_by_role("option").get_by_role("button", name=re.compile("^Nina Picked")).click()
    expect(picker.locator(f"[data-contact='{nina['id']}']")).to_contain_text("Nina Picked")
    expect(picker.get_by_role("listbox")).to_have_count(0)
    card.get_by_role("button", name="Save").click()
    expect(card.get_by_role("status").filter(has_text="Saved")).to_be_visible()
    (connection,) = api.get("/api/v1/google-connections").json()["items"]
    assert connection["contacts"]["export"] == "chosen"
    assert connection["contacts"]["export_ids"] == [nina["id"]]
    snapshot(page, "google-settings-chosen-en")

    # after a reload the chosen one is named again; removing it empties the choice
    page.reload()
    picker = card.locator("[data-part='chosen-contacts']")
    expect(picker.locator(f"[data-contact='{nina['id']}']")).to_contain_text(
        "Nina Picked <nina@picked.test>"
    )
    assert api.patch("/api/v1/me", json={"locale": "ru"}).status_code == 200
    page.reload()
    picker = card.locator("[data-part='chosen-contacts']")
    expect(picker.get_by_text("Контакты для выгрузки")).to_be_visible()
    picker.get_by_label("Найти контакт, чтобы добавить").fill("zzz-nobody")
    expect(picker.get_by_text("Подходящих контактов нет.")).to_be_visible()
    snapshot(page, "google-settings-chosen-ru")
    picker.get_by_role("button", name="Убрать Nina Picked <nina@picked.test>").click()
    expect(picker.get_by_text("Пока ни одного не выбрано.")).to_be_visible()
    card.get_by_role("button", name="Сохранить").click()
    assert api.patch("/api/v1/me", json={"locale": "en"}).status_code == 200
    wait_for(
        lambda: (
            api.get("/api/v1/google-connections").json()["items"][0]["contacts"]["export_ids"] == []
        ),
        timeout=10,
        what="the emptied choice to be saved",
    )
