"""Connecting a Google account through the OAuth 2.0 authorization-code flow (the real
google-auth-oauthlib against the local peer's token endpoint), the reconnect state when
Google revokes the token, and throttling that backs off and resumes."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from services.integrations.google.service import GoogleService
from services.integrations.mail.service import MailService
from services.platform.errors import Conflict, ValidationFailed
from services.sales.service import SalesService

from ..google_peer import authorize
from ..google_support import Crm, configure, connect, person, rows, sync

OWNER = person("olga@osprey.test")
OTHER = person("oscar@osprey.test")
OFF = {"direction": "off"}


def test_connect_stores_the_refresh_token_encrypted_and_revoked_access_asks_to_reconnect(
    crm, peer, db_engine
):
    started = crm("google", "start_google_authorization", {}, actor=OWNER)
    assert started["authorization_url"].startswith(peer.url + "o/oauth2/auth?")
    assert "access_type=offline" in started["authorization_url"]
    assert "code_challenge=" in started["authorization_url"]  # PKCE
    back = authorize(peer, started["authorization_url"])
    # another user cannot finish this user's sign-in
    with pytest.raises(ValidationFailed) as exc:
        crm("google", "complete_google_authorization", back, actor=OTHER)
    assert exc.value.errors[0]["field"] == "state"
    started = crm("google", "start_google_authorization", {}, actor=OWNER)
    back = authorize(peer, started["authorization_url"])
    connection = crm("google", "complete_google_authorization", back, actor=OWNER)
    assert connection["email"] == peer.email and connection["state"] == "active"
    assert connection["owner_id"] == OWNER["id"] and not connection["needs_reconnect"]
    assert "secret" not in connection and "refresh_token" not in str(connection)
    # the state is used once
    with pytest.raises(ValidationFailed):
        crm("google", "complete_google_authorization", back, actor=OWNER)
    (stored,) = rows(db_engine, "SELECT secret FROM google.connections")
    refresh_tokens = list(peer.refresh_tokens)
    assert refresh_tokens and all(t.encode() not in bytes(stored.secret) for t in refresh_tokens)
    assert [r.type for r in rows(db_engine, "SELECT type FROM google.outbox")] == [
        "google_connection_created"
    ]
    # only Gmail (an empty mailbox): works
    configure(crm, connection, OWNER, contacts=OFF, calendar=OFF)
    done = sync(crm, connection, OWNER)
    assert done["state"] == "active" and done["last_error"] is None

    # the user removed Osprey's access in their Google account: the access token kept
    # from the last sync is refused (401), and so is the refresh token
    peer.revoke()
    failed = sync(crm, connection, OWNER)
    assert failed["state"] == "needs_attention" and failed["needs_reconnect"]
    assert "reconnect" in failed["last_error"]
    with pytest.raises(Conflict):
        crm("google", "sync_google_connection", connection["id"], OWNER, wait=True)
    events = [r.envelope["data"] for r in rows(db_engine, "SELECT envelope FROM google.outbox")]
    assert events[-1]["needs_reconnect"] and events[-1]["kind"] == "revoked"

    again = connect(crm, peer, OWNER, connection_id=connection["id"])
    assert again["id"] == connection["id"] and again["state"] == "active"
    assert not again["needs_reconnect"]
    assert sync(crm, again, OWNER)["last_error"] is None
    assert len(rows(db_engine, "SELECT id FROM google.connections")) == 1
    # someone else's connection is not theirs to see
    with pytest.raises(Exception) as exc:
        crm("google", "get_google_connection", connection["id"], actor=OTHER)
    assert type(exc.value).__name__ == "NotFound"


def test_bad_settings_are_one_error_naming_each_field(crm, peer):
    connection = connect(crm, peer, OWNER)
    with pytest.raises(ValidationFailed) as exc:
        configure(
            crm,
            connection,
            OWNER,
            contacts={"direction": "sideways", "export_ids": ["x"]},
            mail={"sync_since": "yesterday"},
            colour="red",
        )
    assert {e["field"] for e in exc.value.errors} == {
        "contacts.direction",
        "contacts.export_ids",
        "mail.sync_since",
        "colour",
    }
    groups = crm("google", "list_google_contact_groups", connection["id"], actor=OWNER)
    assert {"id": "contactGroups/myContacts", "name": "My Contacts", "system": True} in groups
    calendars = crm("google", "list_google_calendars", connection["id"], actor=OWNER)
    assert calendars == [
        {"id": "primary", "name": "Primary", "time_zone": "Europe/Berlin", "primary": True}
    ]


@pytest.mark.parametrize("kind", ["429", "403"])
def test_throttling_backs_off_and_the_next_sync_resumes_where_it_stopped(
    crm, peer, db_engine, kind
):
    connection = connect(crm, peer, OWNER)
    configure(crm, connection, OWNER, calendar=OFF, mail={"enabled": False})
    for n in range(8):
        peer.put_person(f"Person{n}", "Tester", emails=[f"p{n}@example.test"])
    peer.throttle(1, kind, after=1)  # the first page comes, the second is refused
    before = len(peer.requests)
    failed = sync(crm, connection, OWNER)
    assert failed["state"] == "active" and "slow down" in failed["last_error"]
    assert failed["health"]["failures"] == 1 and failed["health"]["counts"]["throttled"] == 1
    assert failed["health"]["counts"]["contacts_imported"] == 3
    (cursor,) = rows(db_engine, "SELECT state FROM google.cursors WHERE key = 'people'")
    assert cursor.state.get("page_token")  # where it stopped
    assert len(rows(db_engine, "SELECT id FROM sales.contacts")) == 3
    done = sync(crm, connection, OWNER)
    assert done["last_error"] is None and done["health"]["failures"] == 0
    assert len(rows(db_engine, "SELECT id FROM sales.contacts")) == 8
    listed = [
        path for method, path in peer.requests[before:] if path == "/v1/people/me/connections"
    ]
    # page 1, the refused page 2, then page 2 again (not page 1), page 3
    assert len(listed) == 4


def test_one_instance_syncs_a_connection_at_a_time_and_an_expired_lease_is_taken_over(
    crm, peer, db_engine
):
    connection = connect(crm, peer, OWNER)
    configure(crm, connection, OWNER, contacts=OFF, calendar=OFF, mail={"enabled": False})

    def lease(expires: str) -> None:
        with db_engine.begin() as conn:
            conn.execute(
                sa.text(
                    "UPDATE google.connections SET lease_owner = 'other-host:1', "
                    f"lease_expires_at = now() + interval '{expires}'"
                )
            )

    lease("5 minutes")  # another instance is syncing it
    with pytest.raises(Conflict):
        crm("google", "sync_google_connection", connection["id"], OWNER, wait=True)
    assert crm("google", "get_google_connection", connection["id"], actor=OWNER)["health"][
        "syncing"
    ]
    lease("-1 second")  # that instance died: its lease expired
    done = sync(crm, connection, OWNER)
    assert done["last_error"] is None and not done["health"]["syncing"]


def test_a_sync_that_lost_its_lease_stops_and_writes_nothing_more(
    container_factory, google_config, peer, db_engine
):
    # a lease so short that every page renews it
    config = {**google_config, "GOOGLE_LEASE_SECONDS": 0.03}
    crm = Crm({})
    for name, cls in (("sales", SalesService), ("mail", MailService), ("google", GoogleService)):
        container = container_factory(cls, config)
        container.start()
        crm.containers[name] = container
    connection = connect(crm, peer, OWNER)
    configure(crm, connection, OWNER, calendar=OFF, mail={"enabled": False})
    for n in range(8):
        peer.put_person(f"Person{n}", "Tester", emails=[f"p{n}@example.test"])

    def take_over(method: str, path: str) -> None:
        # while this instance stalls on the first page, another takes the connection
        if path == "/v1/people/me/connections" and peer.on_request is take_over:
            peer.on_request = None
            with db_engine.begin() as conn:
                conn.execute(sa.text("UPDATE google.connections SET lease_owner = 'other-host:1'"))

    peer.on_request = take_over
    out = crm("google", "sync_google_connection", connection["id"], OWNER, wait=True)
    assert out["last_sync"]["contacts_imported"] == 3  # the first page, then it stopped
    (row,) = rows(db_engine, "SELECT lease_owner, failures, last_error FROM google.connections")
    assert (row.lease_owner, row.failures, row.last_error) == ("other-host:1", 0, None)
    assert len(rows(db_engine, "SELECT crm_id FROM google.links")) == 3


def test_throttled_while_meetings_are_written_the_next_sync_writes_the_rest_once(crm, peer):
    """A 429 on an events.insert of the export: the sync stops, the events written stay
    linked, and the next sync writes the rest, none twice."""
    for n in range(4):
        crm(
            "sales",
            "create_activity",
            {
                "type": "meeting",
                "title": f"Visit {n}",
                "start_at": f"2027-03-0{n + 1}T10:00:00Z",
                "due_at": f"2027-03-0{n + 1}T11:00:00Z",
            },
            actor=OWNER,
        )
    connection = connect(crm, peer, OWNER)
    configure(crm, connection, OWNER, contacts=OFF, mail={"enabled": False})
    inserts: list[str] = []

    def second_insert_throttled(method: str, path: str) -> None:
        if method == "POST" and path == "/calendar/v3/calendars/primary/events":
            inserts.append(path)
            if len(inserts) == 2:
                peer.throttle(1, "429")

    peer.on_request = second_insert_throttled
    failed = sync(crm, connection, OWNER)
    assert "slow down" in failed["last_error"] and failed["state"] == "active"
    assert failed["health"]["counts"]["throttled"] == 1
    assert [e["summary"] for e in peer.live_events()] == ["Visit 0"]
    done = sync(crm, connection, OWNER)
    assert done["last_error"] is None
    assert sorted(e["summary"] for e in peer.live_events()) == [f"Visit {n}" for n in range(4)]
    assert not sync(crm, connection, OWNER)["last_sync"]
    assert len(peer.live_events()) == 4


@pytest.mark.parametrize("kind", ["429", "403"])
def test_throttled_while_events_are_read_the_next_sync_resumes_at_that_page(
    crm, peer, db_engine, kind
):
    connection = connect(crm, peer, OWNER)
    configure(crm, connection, OWNER, contacts=OFF, mail={"enabled": False})
    for n in range(8):
        peer.put_event(
            summary=f"Call {n}",
            start={"dateTime": f"2027-04-0{n + 1}T10:00:00+02:00", "timeZone": "Europe/Berlin"},
            end={"dateTime": f"2027-04-0{n + 1}T10:30:00+02:00", "timeZone": "Europe/Berlin"},
        )
    peer.throttle(1, kind, after=1)  # the first page of events comes, the second is refused
    before = len(peer.requests)
    failed = sync(crm, connection, OWNER)
    assert failed["state"] == "active" and "slow down" in failed["last_error"]
    assert failed["health"]["counts"]["throttled"] == 1
    (cursor,) = rows(db_engine, "SELECT state FROM google.cursors WHERE key = 'calendar:primary'")
    assert cursor.state.get("page_token")  # where it stopped
    assert len(rows(db_engine, "SELECT id FROM sales.activities")) == 3
    done = sync(crm, connection, OWNER)
    assert done["last_error"] is None and done["health"]["failures"] == 0
    assert len(rows(db_engine, "SELECT id FROM sales.activities")) == 8
    listed = [
        path
        for method, path in peer.requests[before:]
        if path == "/calendar/v3/calendars/primary/events" and method == "GET"
    ]
    # page 1, the refused page 2, then page 2 again (not page 1), page 3
    assert len(listed) == 4
    assert not sync(crm, connection, OWNER)["last_sync"]
    assert len(rows(db_engine, "SELECT id FROM sales.activities")) == 8
