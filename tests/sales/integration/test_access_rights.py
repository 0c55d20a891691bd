"""Access rights on accounts, contacts, opportunities and activities in the real sales
service (docs/architecture.md, "Access rights"): object rights per operation, record
scopes in reads, lists, the search box, the board and look-alike searches, hidden and
read-only columns. The callers carry rights as identity makes them."""

from __future__ import annotations

from typing import Any

import pytest
from nameko.testing.services import entrypoint_hook

from services.platform.errors import NotFound, PermissionDenied, ValidationFailed
from services.platform.ids import new_id
from services.sales.service import SalesService

from .rights_people import fields_of, holder

TEAM_A, TEAM_B = new_id(), new_id()
ADMIN = holder("root@osprey.test", None, "admin")


@pytest.fixture
def sales(container_factory, service_config):
    container = container_factory(SalesService, service_config)
    container.start()
    return container


def call(container, method: str, *args: Any, **kwargs: Any) -> Any:
    with entrypoint_hook(container, method) as entrypoint:
        return entrypoint(*args, **kwargs)


def listed(container, method: str, actor: dict, **query: Any) -> set[str]:
    return {item["id"] for item in call(container, method, query, actor=actor)["items"]}


# --- object rights ----------------------------------------------------------------------


def test_each_operation_needs_its_object_right(sales):
    account = call(sales, "create_account", {"name": "Northwind"}, actor=ADMIN)
    contact = call(sales, "create_contact", {"full_name": "Nina North"}, actor=ADMIN)
    deal = call(sales, "create_opportunity", {"title": "Fleet"}, actor=ADMIN)
    task = call(sales, "create_activity", {"type": "task", "title": "Call"}, actor=ADMIN)
    reader = holder(
        "reader@osprey.test",
        TEAM_A,
        accounts={"ops": "r", "read": "all", "write": "all"},
        contacts={"ops": "", "read": "all"},
        opportunities={"ops": "r", "read": "all", "write": "all"},
        activities={"ops": "rx", "read": "all", "write": "all"},
    )

    assert call(sales, "get_account", account["id"], actor=reader)["id"] == account["id"]
    assert account["id"] in listed(sales, "list_accounts", reader)
    assert deal["id"] in listed(sales, "list_opportunities", reader)
    refused = [
        ("create_account", ({"name": "New"},), {}),
        ("update_account", (account["id"], {"name": "Other"}), {}),
        ("delete_account", (account["id"],), {}),
        ("list_accounts", ({"purpose": "export"},), {}),
        ("get_contact", (contact["id"],), {}),
        ("list_contacts", ({},), {}),
        ("check_contact_duplicates", ({"full_name": "Nina North"},), {}),
        ("list_account_contacts", (account["id"],), {}),
        ("create_opportunity", ({"title": "New"},), {}),
        ("update_opportunity", (deal["id"], {"title": "Other"}), {}),
        ("win_opportunity", (deal["id"],), {}),
        ("delete_opportunity", (deal["id"],), {}),
        ("list_opportunities", ({"purpose": "export"},), {}),
        ("create_activity", ({"type": "task", "title": "New"},), {}),
        ("complete_activity", (task["id"], None), {}),
        ("delete_activity", (task["id"],), {}),
    ]
    for method, args, kwargs in refused:
        with pytest.raises(PermissionDenied) as exc:
            call(sales, method, *args, actor=reader, **kwargs)
        assert "Your role may not" in exc.value.message, method
    # export of activities is granted, and so the list with purpose export answers
    assert task["id"] in listed(sales, "list_activities", reader, purpose="export")
    # the merge takes update and delete
    other = call(
        sales, "create_account", {"name": "Northwind Ltd"}, actor=ADMIN, allow_duplicates=True
    )
    with pytest.raises(PermissionDenied):
        call(sales, "merge_accounts", account["id"], other["id"], actor=reader)
    # nothing changed
    assert call(sales, "get_account", account["id"], actor=ADMIN)["name"] == "Northwind"


# --- record rights ----------------------------------------------------------------------


def test_the_read_scope_of_each_entity_holds_in_reads_lists_searches_and_look_alikes(sales):
    mate = holder("mate@osprey.test", TEAM_A)
    own_only = holder(
        "own@osprey.test",
        TEAM_A,
        accounts={"read": "own", "write": "own"},
        contacts={"read": "own", "write": "own"},
        opportunities={"read": "own", "write": "own"},
        activities={"read": "own", "write": "own"},
    )
    everyone = holder("all@osprey.test", TEAM_A, accounts={"read": "all", "write": "own"})
    stranger = holder("bob@osprey.test", TEAM_B)
    mates = call(
        sales, "create_account", {"name": "Acme Mates", "email": "m@acme.test"}, actor=mate
    )
    theirs = call(
        sales, "create_account", {"name": "Acme Far", "email": "f@acme.test"}, actor=stranger
    )
    contact = call(sales, "create_contact", {"full_name": "Mia Mate"}, actor=mate)
    deal = call(sales, "create_opportunity", {"title": "Mates deal"}, actor=mate)
    task = call(sales, "create_activity", {"type": "task", "title": "Mates task"}, actor=mate)

    for method, record in (
        ("get_account", mates),
        ("get_contact", contact),
        ("get_opportunity", deal),
        ("get_activity", task),
        ("similar_accounts", mates),
    ):
        with pytest.raises(NotFound):
            call(sales, method, record["id"], actor=own_only)
    for method, record in (
        ("list_accounts", mates),
        ("list_contacts", contact),
        ("list_opportunities", deal),
        ("list_activities", task),
    ):
        assert record["id"] not in listed(sales, method, own_only), method
    assert mates["id"] not in listed(sales, "list_accounts", own_only, q="Acme")
    assert mates["id"] not in listed(sales, "list_accounts", own_only, q="m@acme.test")
    board = call(sales, "pipeline", None, actor=own_only)
    assert deal["id"] not in {c["id"] for col in board["stages"] for c in col["items"]}
    found = call(sales, "check_account_duplicates", {"name": "Acme Mates"}, actor=own_only)
    assert mates["id"] not in {c["record"]["id"] for c in found}
    # the teammate with the seeded team scope reads it, not the other team's
    assert call(sales, "get_account", mates["id"], actor=mate)["id"] == mates["id"]
    with pytest.raises(NotFound):
        call(sales, "get_account", theirs["id"], actor=mate)
    # read scope all: every account, the other team's too, in reads, lists and look-alikes
    assert call(sales, "get_account", theirs["id"], actor=everyone)["id"] == theirs["id"]
    assert theirs["id"] in listed(sales, "list_accounts", everyone, q="Acme")
    found = call(sales, "check_account_duplicates", {"name": "Acme Far"}, actor=everyone)
    assert theirs["id"] in {c["record"]["id"] for c in found}
    # ...but its write scope (own) does not change what it reads
    with pytest.raises(PermissionDenied):
        call(sales, "update_account", theirs["id"], {"name": "Mine now"}, actor=everyone)


def test_the_write_scope_of_each_entity_decides_who_changes(sales):
    owner = holder("owner@osprey.test", TEAM_A)
    rep = holder("rep@osprey.test", TEAM_A)  # seeded: changes their own only
    team_writer = holder(
        "tw@osprey.test",
        TEAM_A,
        opportunities={"write": "team"},
        contacts={"write": "team"},
    )
    deal = call(sales, "create_opportunity", {"title": "Team deal"}, actor=owner)
    contact = call(sales, "create_contact", {"full_name": "Tea Mate"}, actor=owner)
    with pytest.raises(PermissionDenied):
        call(sales, "update_opportunity", deal["id"], {"title": "By rep"}, actor=rep)
    changed = call(sales, "update_opportunity", deal["id"], {"title": "By tw"}, actor=team_writer)
    assert changed["title"] == "By tw"
    call(
        sales,
        "add_career",
        contact["id"],
        {"account_id": call(sales, "create_account", {"name": "Co"}, actor=owner)["id"]},
        actor=team_writer,
    )
    # write scope team does not give the delete right's scope to a role without delete
    no_delete = holder("nd@osprey.test", TEAM_A, opportunities={"ops": "cru", "write": "team"})
    with pytest.raises(PermissionDenied):
        call(sales, "delete_opportunity", deal["id"], actor=no_delete)


# --- column rights ----------------------------------------------------------------------


def test_hidden_fields_are_left_out_and_cannot_be_asked_about(sales):
    account = call(
        sales,
        "create_account",
        {"name": "Hidden Co", "email": "hid@den.test", "phone": "+1 555 010 0199"},
        actor=ADMIN,
    )
    deal = call(
        sales,
        "create_opportunity",
        {"title": "Secret", "amount": "900.00", "currency": "EUR"},
        actor=ADMIN,
    )
    blind = holder(
        "blind@osprey.test",
        TEAM_A,
        "sales_manager",
        accounts={"read": "all", "write": "all", "hidden": ["email", "phone"]},
        opportunities={"read": "all", "write": "all", "hidden": ["amount"]},
    )

    read = call(sales, "get_account", account["id"], actor=blind)
    assert "email" not in read and "phone" not in read and read["name"] == "Hidden Co"
    items = call(sales, "list_accounts", {"q": "Hidden"}, actor=blind)["items"]
    assert [i["id"] for i in items] == [account["id"]] and "email" not in items[0]
    similar = call(sales, "check_account_duplicates", {"name": "Hidden Co"}, actor=blind)
    assert similar and all("email" not in c["record"] for c in similar)
    with pytest.raises(ValidationFailed) as exc:
        call(sales, "list_accounts", {"q": "hid@den.test"}, actor=blind)
    assert fields_of(exc) == {"q": "email is hidden for your role"}
    with pytest.raises(ValidationFailed) as exc:
        call(sales, "list_accounts", {"q": "+1 555 010 0199"}, actor=blind)
    assert fields_of(exc) == {"q": "phone is hidden for your role"}

    got = call(sales, "get_opportunity", deal["id"], actor=blind)
    assert "amount" not in got and got["title"] == "Secret"
    with pytest.raises(ValidationFailed) as exc:
        call(sales, "list_opportunities", {"sort": "-amount"}, actor=blind)
    assert set(fields_of(exc)) == {"sort"}
    board = call(sales, "pipeline", None, actor=blind)
    cards = [c for col in board["stages"] for c in col["items"]]
    assert cards and all("amount" not in c for c in cards)
    assert all(col["totals"] == [] for col in board["stages"])
    # writing a hidden field is refused too
    with pytest.raises(ValidationFailed) as exc:
        call(sales, "update_account", account["id"], {"email": "new@den.test"}, actor=blind)
    assert set(fields_of(exc)) == {"email"}
    # the admin sees everything
    assert call(sales, "get_account", account["id"], actor=ADMIN)["email"] == "hid@den.test"


def test_read_only_fields_are_refused_on_create_and_update_naming_them(sales):
    clerk = holder(
        "clerk@osprey.test",
        TEAM_A,
        contacts={"read_only": ["job_title"]},
        activities={"read_only": ["priority", "due_at", "result"]},
    )
    with pytest.raises(ValidationFailed) as exc:
        call(sales, "create_contact", {"full_name": "Ro Only", "job_title": "CEO"}, actor=clerk)
    assert fields_of(exc) == {"job_title": "is read-only for your role"}
    contact = call(sales, "create_contact", {"full_name": "Ro Only"}, actor=clerk)
    assert contact["job_title"] is None  # seen, not hidden
    with pytest.raises(ValidationFailed) as exc:
        call(sales, "update_contact", contact["id"], {"job_title": "CTO"}, actor=clerk)
    assert set(fields_of(exc)) == {"job_title"}
    assert (
        call(sales, "update_contact", contact["id"], {"full_name": "Ro Two"}, actor=clerk)[
            "full_name"
        ]
        == "Ro Two"
    )
    with pytest.raises(ValidationFailed) as exc:
        call(
            sales,
            "create_activity",
            {"type": "task", "title": "T", "priority": "high", "due_at": "2027-01-01T10:00:00Z"},
            actor=clerk,
        )
    assert set(fields_of(exc)) == {"priority", "due_at"}
    task = call(sales, "create_activity", {"type": "task", "title": "T"}, actor=clerk)
    with pytest.raises(ValidationFailed) as exc:
        call(sales, "complete_activity", task["id"], {"result": "Done"}, actor=clerk)
    assert set(fields_of(exc)) == {"result"}
    assert call(sales, "complete_activity", task["id"], None, actor=clerk)["status"] == "completed"
    # the seeded rep (no column rights) writes it
    rep = holder("rep@osprey.test", TEAM_A)
    made = call(sales, "create_contact", {"full_name": "Free", "job_title": "CEO"}, actor=rep)
    assert made["job_title"] == "CEO"


# --- record sharing ---------------------------------------------------------------------


def test_a_record_shared_with_a_user_or_a_team_is_read_and_changed_beyond_the_scope(sales):
    owner = holder("owner@osprey.test", TEAM_A)
    guest = holder("guest@osprey.test", TEAM_B)
    guest_mate = holder("gmate@osprey.test", TEAM_B)
    account = call(sales, "create_account", {"name": "Shared Co"}, actor=owner)
    deal = call(sales, "create_opportunity", {"title": "Shared deal"}, actor=owner)
    task = call(sales, "create_activity", {"type": "task", "title": "Shared task"}, actor=owner)
    with pytest.raises(NotFound):
        call(sales, "get_account", account["id"], actor=guest)

    share = call(
        sales, "share_record", "accounts", account["id"], {"user_id": guest["id"]}, actor=owner
    )
    assert (share["account_id"], share["user_id"], share["access"]) == (
        account["id"],
        guest["id"],
        "read",
    )
    assert call(sales, "get_account", account["id"], actor=guest)["id"] == account["id"]
    assert account["id"] in listed(sales, "list_accounts", guest, q="Shared")
    found = call(sales, "check_account_duplicates", {"name": "Shared Co"}, actor=guest)
    assert account["id"] in {c["record"]["id"] for c in found}
    with pytest.raises(PermissionDenied):  # read, not edit
        call(sales, "update_account", account["id"], {"name": "Guest"}, actor=guest)
    with pytest.raises(NotFound):  # a user's share is theirs alone
        call(sales, "get_account", account["id"], actor=guest_mate)

    # shared with the guest's team for editing: changed, not deleted nor shared on
    call(
        sales,
        "share_record",
        "opportunities",
        deal["id"],
        {"team_id": TEAM_B, "access": "edit"},
        actor=owner,
    )
    assert (
        call(sales, "update_opportunity", deal["id"], {"title": "By B"}, actor=guest_mate)["title"]
        == "By B"
    )
    assert deal["id"] in listed(sales, "list_opportunities", guest)
    board = call(sales, "pipeline", None, actor=guest)
    assert deal["id"] in {c["id"] for col in board["stages"] for c in col["items"]}
    with pytest.raises(PermissionDenied):
        call(sales, "delete_opportunity", deal["id"], actor=guest_mate)
    with pytest.raises(PermissionDenied):
        call(
            sales,
            "share_record",
            "opportunities",
            deal["id"],
            {"user_id": guest["id"]},
            actor=guest_mate,
        )
    call(sales, "share_record", "activities", task["id"], {"user_id": guest["id"]}, actor=owner)
    assert call(sales, "get_activity", task["id"], actor=guest)["id"] == task["id"]
    assert task["id"] in listed(sales, "list_activities", guest)

    # the owner lists and takes the share back; then it is gone for the guest
    shares = call(sales, "list_record_shares", "accounts", account["id"], actor=owner)["items"]
    assert [(s["user_id"], s["access"]) for s in shares] == [(guest["id"], "read")]
    call(sales, "unshare_record", "accounts", account["id"], share["id"], actor=owner)
    with pytest.raises(NotFound):
        call(sales, "get_account", account["id"], actor=guest)
    with pytest.raises(NotFound):
        call(sales, "unshare_record", "accounts", account["id"], share["id"], actor=owner)
    # bad shares are named field by field
    with pytest.raises(ValidationFailed) as exc:
        call(sales, "share_record", "accounts", account["id"], {"access": "all"}, actor=owner)
    assert set(fields_of(exc)) == {"user_id", "access"}
    with pytest.raises(ValidationFailed) as exc:
        call(sales, "list_record_shares", "planets", account["id"], actor=owner)
    assert set(fields_of(exc)) == {"entity"}


def test_contacts_found_by_their_account_s_name_follow_the_accounts_rights(sales):
    stranger = holder("far@osprey.test", TEAM_B)
    account = call(sales, "create_account", {"name": "Zephyr Holdings"}, actor=stranger)
    contact = call(
        sales,
        "create_contact",
        {"full_name": "Zoe Quill", "account_id": account["id"]},
        actor=stranger,
    )
    both_all = holder(
        "wide@osprey.test",
        TEAM_A,
        accounts={"ops": "r", "read": "all", "write": "own"},
        contacts={"ops": "r", "read": "all", "write": "own"},
    )
    contacts_only = holder(
        "narrow@osprey.test",
        TEAM_A,
        accounts={"ops": "", "read": "all", "write": "own"},
        contacts={"ops": "r", "read": "all", "write": "own"},
    )
    # the accounts' read scope, not the default one, decides (another team's account)
    assert contact["id"] in listed(sales, "list_contacts", both_all, q="Zephyr")
    # without the accounts' read right its name finds nothing; the contact's own still does
    assert contact["id"] not in listed(sales, "list_contacts", contacts_only, q="Zephyr")
    assert contact["id"] in listed(sales, "list_contacts", contacts_only, q="Zoe")
    # the seeded rep of the other team reads neither
    assert contact["id"] not in listed(
        sales, "list_contacts", holder("a@osprey.test", TEAM_A), q="Zephyr"
    )
