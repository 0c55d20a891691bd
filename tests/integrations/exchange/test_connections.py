"""Exchange connections through the real exchangelib against the local EWS peer over
HTTPS: basic and OAuth2 sign-in, a fixed EWS URL or SOAP autodiscover, "test
connection" in words a user can act on, the secret never shown; mail from Inbox and Sent
Items into the mail pipeline, incrementally by SyncFolderItems state; ErrorServerBusy
backing off by the server's hint and resuming where it stopped."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from services.platform.access import Actor
from services.platform.errors import PermissionDenied, ValidationFailed

from ..conftest import call, person, wait_for
from .conftest import ADDRESS, connect, connection_data, put_message, sync


def test_test_connection_says_what_is_wrong_in_words(stack, ews):
    exchange, owner = stack["exchange"], stack["owner"]
    ok = call(exchange, "test_exchange_connection", connection_data(ews), actor=owner)
    assert ok["ok"] and ok["ews_url"] == ews.url, ok
    assert {"id": "contacts", "name": "Contacts"} in ok["contact_folders"]

    wrong = call(
        exchange, "test_exchange_connection", connection_data(ews, password="nope"), actor=owner
    )
    assert not wrong["ok"] and wrong["error_kind"] == "auth"
    assert "check the user name and password" in wrong["error"]

    port = ews.url.split(":")[2].split("/")[0]
    gone = call(
        exchange,
        "test_exchange_connection",
        connection_data(ews, ews_url=ews.url.replace(port, "1")),
        actor=owner,
    )
    assert gone["error_kind"] == "unreachable" and "could not be reached" in gone["error"]

    with pytest.raises(ValidationFailed) as refused:
        call(
            exchange, "create_exchange_connection", connection_data(ews, password="x"), actor=owner
        )
    assert refused.value.errors[0]["field"] == "password"
    assert call(exchange, "list_exchange_connections", None, actor=owner)["items"] == []


def test_oauth2_token_and_autodiscover(stack, ews):
    exchange, owner = stack["exchange"], stack["owner"]
    ews.tokens.add("token-abc")
    data = {
        "email": ADDRESS,
        "auth": "oauth2",
        "access_token": "token-abc",
        "autodiscover_url": ews.autodiscover_url,
    }
    created = call(exchange, "create_exchange_connection", data, actor=owner)
    assert created["discovered_ews_url"] == ews.url and created["auth"] == "oauth2"
    assert created["has_secret"] and "access_token" not in created
    assert "GetUserSettingsRequestMessage" in ews.requests

    refused = call(
        exchange, "test_exchange_connection", {**data, "access_token": "revoked"}, actor=owner
    )
    assert refused["error_kind"] == "auth"


def test_mail_enters_the_mail_pipeline_incrementally(stack, ews):
    mail, owner = stack["mail"], stack["owner"]
    for n in range(7):
        put_message(ews, "inbox", f"Inbox {n}")
    put_message(ews, "sentitems", "Our offer", sender=ADDRESS, to="dana@buyer.test")
    connection = connect(stack, ews, sync_calendar=False, sync_tasks=False, import_contacts=False)
    first = sync(stack, connection["id"])
    assert first["last_sync"]["messages"] == 8
    assert first["state"] == "active" and first["last_error"] is None
    emails = call(mail, "list_emails", {"limit": 50}, actor=owner)["items"]
    assert sorted(e["subject"] for e in emails) == sorted(
        [f"Inbox {n}" for n in range(7)] + ["Our offer"]
    )
    sent = next(e for e in emails if e["subject"] == "Our offer")
    assert sent["direction"] == "outgoing" and sent["mailbox_id"] == connection["id"]

    before = len(ews.requests)
    again = sync(stack, connection["id"])
    assert again["last_sync"]["messages"] == 0
    # nothing new: one SyncFolderItems per folder, no GetItem
    assert "GetItem" not in ews.requests[before:]

    put_message(ews, "inbox", "One more")
    third = sync(stack, connection["id"])
    assert third["last_sync"]["messages"] == 1
    subjects = [
        e["subject"] for e in call(mail, "list_emails", {"limit": 50}, actor=owner)["items"]
    ]
    assert subjects.count("One more") == 1 and len(subjects) == 9

    # the mail service lost the mailbox this process registered: registered again
    call(mail, "remove_external_mailbox", connection["id"], actor=Actor.system().to_dict())
    put_message(ews, "inbox", "After the mailbox went")
    assert sync(stack, connection["id"])["last_sync"]["messages"] == 1
    email_id = _email_id(mail, owner, "After the mailbox went")
    assert call(mail, "get_email", email_id, actor=owner)["mailbox_id"] == connection["id"]


def test_server_busy_backs_off_by_its_hint_and_resumes_where_it_stopped(stack, ews):
    exchange, mail, owner = stack["exchange"], stack["mail"], stack["owner"]
    for n in range(12):
        put_message(ews, "inbox", f"Busy {n}")
    connection = connect(stack, ews, sync_calendar=False, sync_tasks=False, import_contacts=False)
    # the first page (SyncFolderItems, GetItem) is stored; the second SyncFolderItems
    # finds the server busy for 7.5 s
    original = ews.take_busy

    def busy_after_first_page():
        if ews.requests[-1] == "SyncFolderItems" and ews.requests.count("SyncFolderItems") == 2:
            return 7500
        return original()

    ews.take_busy = busy_after_first_page
    throttled = sync(stack, connection["id"])
    assert throttled["last_sync"]["messages"] == 5
    assert "slow down" in throttled["last_error"] and "8 s" in throttled["last_error"]
    assert throttled["health"]["failures"] == 0 and throttled["state"] == "active"
    due_in = call(exchange, "get_exchange_connection", connection["id"], actor=owner)
    assert due_in["health"]["next_sync_at"] > due_in["last_synced_at"]
    resumed = sync(stack, connection["id"])
    assert resumed["last_sync"]["messages"] == 7 and resumed["last_error"] is None
    subjects = [
        e["subject"] for e in call(mail, "list_emails", {"limit": 50}, actor=owner)["items"]
    ]
    assert sorted(subjects) == sorted(f"Busy {n}" for n in range(12))


def test_connections_belong_to_their_owner(stack, ews):
    exchange, owner = stack["exchange"], stack["owner"]
    connection = connect(stack, ews, sync_mail=False)
    stranger = person("ivan@contoso.test", "sales_rep", owner["team_id"])
    assert call(exchange, "list_exchange_connections", None, actor=stranger)["items"] == []
    with pytest.raises(PermissionDenied):
        call(
            exchange,
            "create_exchange_connection",
            connection_data(ews, is_shared=True),
            actor=stranger,
        )
    changed = call(
        exchange,
        "update_exchange_connection",
        connection["id"],
        {"export_contacts": "none", "deletions": "mirror"},
        actor=owner,
    )
    assert changed["export_contacts"] == "none" and changed["deletions"] == "mirror"
    call(exchange, "delete_exchange_connection", connection["id"], actor=owner)
    wait_for(
        lambda: call(exchange, "list_exchange_connections", None, actor=owner)["items"] == [],
        what="the connection to go",
    )


def test_a_sync_state_exchange_no_longer_knows_reads_the_folders_again(stack, ews, db_engine):
    mail, owner = stack["mail"], stack["owner"]
    put_message(ews, "inbox", "Before the reset")
    ews.mailbox.put("contacts", {"ItemClass": "IPM.Contact", "DisplayName": "Kept Once"})
    connection = connect(stack, ews, sync_calendar=False, sync_tasks=False, export_contacts="none")
    sync(stack, connection["id"])
    with db_engine.begin() as conn:
        conn.execute(
            sa.text(
                'UPDATE exchange.cursors SET state = \'{"state": "bm90LWEtc3RhdGU="}\''
                " WHERE connection_id = :id AND key = 'contacts:contacts'"
            ),
            {"id": connection["id"]},
        )
    failed = sync(stack, connection["id"])
    assert "no longer knew how far a folder was synced" in failed["last_error"]
    assert failed["state"] == "active"
    again = sync(stack, connection["id"])
    assert again["last_error"] is None and again["last_sync"]["contacts_in"] == 0
    contacts = call(stack["sales"], "list_contacts", {"limit": 50}, actor=owner)["items"]
    assert [c["full_name"] for c in contacts] == ["Kept Once"]
    emails = call(mail, "list_emails", {"limit": 50}, actor=owner)["items"]
    assert [e["subject"] for e in emails] == ["Before the reset"]


def test_a_chosen_folder_gone_in_exchange_asks_its_owner(stack, ews):
    exchange, owner = stack["exchange"], stack["owner"]
    folder = ews.mailbox.add_folder("Old clients")
    connection = connect(
        stack, ews, sync_mail=False, sync_calendar=False, sync_tasks=False,
        contact_folders=["contacts", folder.id],
    )  # fmt: skip
    del ews.mailbox.folders[folder.id]
    failed = sync(stack, connection["id"])
    assert failed["state"] == "needs_attention"
    assert "choose the folders again" in failed["last_error"]
    fixed = call(
        exchange,
        "update_exchange_connection",
        connection["id"],
        {"contact_folders": ["contacts"]},
        actor=owner,
    )
    assert fixed["state"] == "active"
    assert sync(stack, connection["id"])["last_error"] is None


def _email_id(mail, owner, subject: str) -> str:
    items = call(mail, "list_emails", {"limit": 50}, actor=owner)["items"]
    return next(e["id"] for e in items if e["subject"] == subject)
