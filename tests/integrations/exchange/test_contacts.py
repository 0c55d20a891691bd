"""Contacts both ways between chosen Exchange contact folders and the CRM, through the
real exchangelib and the real sales service: matched by email before creating, exported
by the connection's choice, no duplicates however often they go round, per-field last
modified wins (logged), deletions as the user chose."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from services.platform.errors import NotFound

from ..conftest import call, person, wait_for
from .conftest import connect, contact_props, sync


def crm_contacts(stack, actor) -> list[dict]:
    return call(stack["sales"], "list_contacts", {"limit": 100}, actor=actor)["items"]


def remote_contacts(ews) -> dict[str, dict]:
    out = {}
    for item in ews.mailbox.items.values():
        if item.tag == "Contact":
            out[item.props["DisplayName"].text] = item
    return out


def text(item, name):
    element = item.props.get(name)
    return None if element is None else element.text


def test_contacts_go_both_ways_without_duplicates(stack, ews):
    sales, exchange, owner = stack["sales"], stack["exchange"], stack["owner"]
    colleague = person("ivan@contoso.test", "sales_rep", owner["team_id"])
    clients = ews.mailbox.add_folder("Clients")
    ews.mailbox.put("contacts", contact_props("Ann Lee", "ann@lee.test", job="CFO"))
    ews.mailbox.put(clients, contact_props("Dana Buyer", "DANA@buyer.test"))
    ews.mailbox.put("contacts", contact_props("Carl Default", "carl@y.test"))
    ews.mailbox.put(ews.mailbox.add_folder("Private"), contact_props("Zed Hidden", "z@z.test"))
    dana = call(
        sales,
        "create_contact",
        {"full_name": "Dana Buyer", "emails": [{"email": "dana@buyer.test"}], "job_title": "CEO"},
        actor=owner,
    )
    call(
        sales,
        "create_contact",
        {"full_name": "Bob Mine", "emails": [{"email": "bob@mine.test"}]},
        actor=owner,
    )
    call(sales, "create_contact", {"full_name": "Theirs Only"}, actor=colleague)

    folders = call(
        exchange,
        "test_exchange_connection",
        {"email": "maria@contoso.test", "password": "Secr3t!", "ews_url": ews.url},
        actor=owner,
    )["contact_folders"]
    assert [f["name"] for f in folders] == ["Contacts", "Clients", "Private"]
    connection = connect(
        stack,
        ews,
        sync_mail=False,
        sync_calendar=False,
        sync_tasks=False,
        contact_folders=["contacts", clients.id],
    )
    first = sync(stack, connection["id"])["last_sync"]
    names = sorted(c["full_name"] for c in crm_contacts(stack, owner))
    # Dana matched by email (any case), Zed's folder not chosen
    assert names == ["Ann Lee", "Bob Mine", "Carl Default", "Dana Buyer", "Theirs Only"]
    ann = next(c for c in crm_contacts(stack, owner) if c["full_name"] == "Ann Lee")
    assert ann["owner_id"] == owner["id"] and ann["job_title"] == "CFO"
    assert [e["email"] for e in ann["emails"]] == ["ann@lee.test"]
    # Dana's CRM job title went to Exchange (empty there); Bob (mine) was exported,
    # the colleague's contact was not
    remote = remote_contacts(ews)
    assert text(remote["Dana Buyer"], "JobTitle") == "CEO"
    assert "Bob Mine" in remote and "Theirs Only" not in remote
    assert first["contacts_out"] >= 2

    # round trips change nothing and duplicate nothing
    for _ in range(2):
        again = sync(stack, connection["id"])["last_sync"]
        assert again["contacts_in"] == again["contacts_out"] == 0
    assert len(crm_contacts(stack, owner)) == 5
    assert len(remote_contacts(ews)) == 5
    assert call(sales, "get_contact", dana["id"], actor=owner)["version"] >= dana["version"]


def test_changes_merge_per_field_and_the_last_modified_wins(stack, ews):
    sales, exchange, owner = stack["sales"], stack["exchange"], stack["owner"]
    item = ews.mailbox.put("contacts", contact_props("Olga Field", "olga@field.test", job="Buyer"))
    connection = connect(stack, ews, sync_mail=False, sync_calendar=False, sync_tasks=False)
    sync(stack, connection["id"])
    olga = next(c for c in crm_contacts(stack, owner) if c["full_name"] == "Olga Field")

    # one side each: both changes arrive
    call(sales, "update_contact", olga["id"], {"full_name": "Olga Fields"}, actor=owner)
    ews.mailbox.put("contacts", {"JobTitle": "Head of Buying"}, item_id=item.id)
    sync(stack, connection["id"])
    olga = call(sales, "get_contact", olga["id"], actor=owner)
    assert olga["full_name"] == "Olga Fields" and olga["job_title"] == "Head of Buying"
    assert text(ews.mailbox.items[item.id], "DisplayName") == "Olga Fields"
    assert text(ews.mailbox.items[item.id], "JobTitle") == "Head of Buying"

    # the same field on both sides: Exchange changed it later, so Exchange wins
    call(sales, "update_contact", olga["id"], {"job_title": "Director"}, actor=owner)
    later = (datetime.now(UTC) + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    ews.mailbox.put(
        "contacts", {"JobTitle": "Chief Buyer", "LastModifiedTime": later}, item_id=item.id
    )
    sync(stack, connection["id"])
    assert call(sales, "get_contact", olga["id"], actor=owner)["job_title"] == "Chief Buyer"
    # … and the CRM changed it later than Exchange: the CRM wins
    call(sales, "update_contact", olga["id"], {"job_title": "VP"}, actor=owner)
    ews.mailbox.put(
        "contacts",
        {"JobTitle": "Old News", "LastModifiedTime": "2020-01-01T00:00:00Z"},
        item_id=item.id,
    )
    sync(stack, connection["id"])
    assert call(sales, "get_contact", olga["id"], actor=owner)["job_title"] == "VP"
    assert text(ews.mailbox.items[item.id], "JobTitle") == "VP"
    logged = call(exchange, "list_exchange_conflicts", connection["id"], actor=owner)["items"]
    assert [(c["field"], c["winner"]) for c in logged] == [
        ("job_title", "crm"),
        ("job_title", "exchange"),
    ]
    assert logged[0]["crm_value"] == "VP" and logged[0]["remote_value"] == "Old News"


@pytest.mark.parametrize("deletions", ["mirror", "keep"])
def test_deletions_as_the_user_chose(stack, ews, db_engine, deletions):
    sales, owner = stack["sales"], stack["owner"]
    gone_there = ews.mailbox.put("contacts", contact_props("Gone There", "g1@x.test"))
    ews.mailbox.put("contacts", contact_props("Gone Here", "g2@x.test"))
    made_here = call(
        sales,
        "create_contact",
        {"full_name": "Made Here", "emails": [{"email": "m1@x.test"}]},
        actor=owner,
    )
    connection = connect(
        stack, ews, sync_mail=False, sync_calendar=False, sync_tasks=False, deletions=deletions
    )
    sync(stack, connection["id"])
    by_name = {c["full_name"]: c for c in crm_contacts(stack, owner)}
    ews.mailbox.remove(gone_there.id)
    # made in Osprey, sent to Exchange by that sync, deleted in Outlook before the next
    ews.mailbox.remove(remote_contacts(ews)["Made Here"].id)
    call(sales, "delete_contact", by_name["Gone Here"]["id"], actor=owner)

    def marked():  # sales' contact_deleted reached the exchange service
        with db_engine.connect() as conn:
            return conn.execute(
                sa.text(
                    "SELECT count(*) FROM exchange.item_links"
                    " WHERE crm_id = :id AND snapshot ? 'crm_deleted'"
                ),
                {"id": by_name["Gone Here"]["id"]},
            ).scalar()

    wait_for(marked, what="contact_deleted to reach the exchange service")
    sync(stack, connection["id"])
    names = {c["full_name"] for c in crm_contacts(stack, owner)}
    if deletions == "mirror":
        assert "Gone There" not in names and "Made Here" not in names
        assert "Gone Here" not in remote_contacts(ews)
    else:
        assert "Gone There" in names
        here = remote_contacts(ews)["Gone Here"]
        # an edit in Outlook does not bring it back as a new CRM contact, nor an edit
        # in the CRM the one deleted in Outlook (it is exported: it is the owner's)
        ews.mailbox.put("contacts", {"JobTitle": "Edited"}, item_id=here.id)
        call(sales, "update_contact", by_name["Gone There"]["id"], {"job_title": "Kept"}, owner)
        call(sales, "update_contact", made_here["id"], {"job_title": "Kept"}, owner)
        sync(stack, connection["id"])
        assert "Gone Here" not in {c["full_name"] for c in crm_contacts(stack, owner)}
        assert "Made Here" in {c["full_name"] for c in crm_contacts(stack, owner)}
        assert not {"Gone There", "Made Here"} & set(remote_contacts(ews))
    with pytest.raises(NotFound):
        call(sales, "get_contact", by_name["Gone Here"]["id"], actor=owner)


def test_a_contacts_company_is_its_account_both_ways(stack, ews):
    """Exchange's CompanyName is the CRM contact's account: an account of that name is
    linked (any letter case) or made once; an account set in the CRM goes back as the
    company name."""
    sales, owner = stack["sales"], stack["owner"]
    acme = call(sales, "create_account", {"name": "Acme Trading"}, actor=owner)
    ews.mailbox.put(
        "contacts", {**contact_props("Ann Lee", "ann@lee.test"), "CompanyName": "ACME trading"}
    )
    ews.mailbox.put(
        "contacts", {**contact_props("Bo Chan", "bo@chan.test"), "CompanyName": "Northwind"}
    )
    ews.mailbox.put(
        "contacts", {**contact_props("Cy Park", "cy@park.test"), "CompanyName": "Northwind"}
    )
    connection = connect(stack, ews, sync_mail=False, sync_calendar=False, sync_tasks=False)
    sync(stack, connection["id"])
    contacts = {c["full_name"]: c for c in crm_contacts(stack, owner)}
    assert contacts["Ann Lee"]["account_id"] == acme["id"]
    accounts = call(sales, "list_accounts", {"limit": 50}, actor=owner)["items"]
    northwind = [a for a in accounts if a["name"] == "Northwind"]
    assert len(northwind) == 1  # made once for both
    assert contacts["Bo Chan"]["account_id"] == contacts["Cy Park"]["account_id"]
    assert contacts["Bo Chan"]["account_id"] == northwind[0]["id"]

    # the CRM moves Bo to Acme: Exchange's company follows; round trips change nothing
    call(
        sales, "update_contact", contacts["Bo Chan"]["id"], {"account_id": acme["id"]}, actor=owner
    )
    sync(stack, connection["id"])
    assert text(remote_contacts(ews)["Bo Chan"], "CompanyName") == "Acme Trading"
    again = sync(stack, connection["id"])["last_sync"]
    assert again["contacts_in"] == again["contacts_out"] == 0
    assert len(call(sales, "list_accounts", {"limit": 50}, actor=owner)["items"]) == 2
