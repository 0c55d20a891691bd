"""Contacts both ways with Google People: import from chosen groups, matching by email
through the sales duplicate check, export, incremental sync tokens (and a full list when
one expires), the per-field last-modified-wins rule, deletions as the user chooses; no
contact or person is ever duplicated by a round trip."""

from __future__ import annotations

import time

from ..conftest import wait_for
from ..google_support import configure, connect, person, rows, sync

OWNER = person("olga@osprey.test")
ADMIN = person("root@osprey.test", "admin")
OFF = {"direction": "off"}


def contacts(crm) -> dict[str, dict]:
    """Osprey's contacts by full name (every one: asked as an administrator)."""
    page = crm("sales", "list_contacts", {"limit": 500}, actor=ADMIN)
    return {
        c["full_name"]: {**c, "emails": [e["email"] for e in c["emails"]]} for c in page["items"]
    }


def google_names(peer) -> list[str]:
    return sorted(p["names"][0]["unstructuredName"] for p in peer.live_people())


def test_import_from_chosen_groups_matches_by_email_and_exports_without_duplicates(
    crm, peer, db_engine
):
    ann = crm(
        "sales",
        "create_contact",
        {"full_name": "Ann Lee", "emails": [{"email": "ann@lee.test"}], "job_title": "CTO"},
        actor=OWNER,
    )
    dora = crm(
        "sales",
        "create_contact",
        {"full_name": "Dora Diaz", "emails": [{"email": "dora@diaz.test"}]},
        actor=OWNER,
    )
    customers = peer.add_group("Customers")
    peer.put_person(
        "Ann", "Lee", emails=["ANN@lee.test"], phones=["+49 30 1234"], groups=[customers]
    )
    peer.put_person("Bob", "Brown", emails=["bob@brown.test"], title="Buyer", groups=[customers])
    peer.put_person("Carl", "Cole", emails=["carl@cole.test"])  # My Contacts only
    for n in range(4):
        peer.put_person(f"Eve{n}", "Evans", emails=[f"eve{n}@evans.test"], groups=[customers])
    connection = connect(crm, peer, OWNER)
    configure(
        crm,
        connection,
        OWNER,
        contacts={"direction": "both", "groups": [customers], "export": "mine"},
        calendar=OFF,
        mail={"enabled": False},
    )
    first = sync(crm, connection, OWNER)
    assert first["last_error"] is None, first["last_error"]
    counts = first["last_sync"]
    assert counts["contacts_matched"] == 1 and counts["contacts_imported"] == 5
    kept = contacts(crm)
    assert "Carl Cole" not in kept  # not in a chosen group
    assert kept["Ann Lee"]["id"] == ann["id"] and kept["Ann Lee"]["emails"] == ["ann@lee.test"]
    assert kept["Bob Brown"]["job_title"] == "Buyer"
    assert kept["Bob Brown"]["owner_id"] == OWNER["id"]
    # Ann's phone came from Google; Dora (Osprey only) went to Google
    assert crm("sales", "get_contact", ann["id"], actor=OWNER)["phones"][0]["phone"]
    assert "Dora Diaz" in google_names(peer)
    assert len(kept) == 7 and len(peer.live_people()) == 8

    again = sync(crm, connection, OWNER)["last_sync"]
    assert not {k: v for k, v in again.items() if k != "conflicts"}, again  # nothing moved
    assert len(contacts(crm)) == 7 and len(peer.live_people()) == 8

    # an incremental sync reads only what changed, with the sync token
    bob = next(p for p in peer.live_people() if p["names"][0]["givenName"] == "Bob")
    peer.put_person(
        "Bob",
        "Brown",
        emails=["bob@brown.test"],
        title="Head of buying",
        groups=[customers],
        resource_name=bob["resourceName"],
    )
    crm("sales", "update_contact", dora["id"], {"job_title": "Founder"}, actor=OWNER)
    before = len(peer.requests)
    counts = sync(crm, connection, OWNER)["last_sync"]
    assert counts["contacts_updated"] == 1 and counts["contacts_exported"] == 1
    assert contacts(crm)["Bob Brown"]["job_title"] == "Head of buying"
    dora_there = next(p for p in peer.live_people() if p["names"][0]["givenName"] == "Dora")
    assert dora_there["organizations"] == [{"title": "Founder"}]
    assert ("GET", "/v1/people/me/connections") in peer.requests[before:]

    # an expired sync token: everything is listed again, nothing is created twice
    peer.expire_sync_tokens()
    counts = sync(crm, connection, OWNER)["last_sync"]
    assert counts["contacts_full_resyncs"] == 1
    assert "contacts_imported" not in counts and "contacts_exported" not in counts
    assert len(contacts(crm)) == 7 and len(peer.live_people()) == 8


def test_a_field_changed_on_both_sides_goes_to_the_side_modified_last_and_is_logged(
    crm, peer, db_engine
):
    peer.put_person("Fay", "Fox", emails=["fay@fox.test"], title="Analyst")
    connection = connect(crm, peer, OWNER)
    configure(crm, connection, OWNER, calendar=OFF, mail={"enabled": False})
    sync(crm, connection, OWNER)
    fay = contacts(crm)["Fay Fox"]
    resource = peer.live_people()[0]["resourceName"]

    # Osprey changes the title and the name; then Google changes the title later
    crm(
        "sales",
        "update_contact",
        fay["id"],
        {"job_title": "Lead analyst", "full_name": "Fay Fox-Hall"},
        actor=OWNER,
    )
    time.sleep(0.01)
    peer.put_person("Fay", "Fox", emails=["fay@fox.test"], title="Director", resource_name=resource)
    counts = sync(crm, connection, OWNER)["last_sync"]
    assert counts["conflicts"] == 1
    merged = crm("sales", "get_contact", fay["id"], actor=OWNER)
    assert merged["job_title"] == "Director"  # Google's change was the later one
    assert merged["full_name"] == "Fay Fox-Hall"  # changed in Osprey only
    there = peer.person(resource)
    assert there["names"][0]["unstructuredName"] == "Fay Fox-Hall"
    assert there["organizations"] == [{"title": "Director"}]

    # now Google first, Osprey later: Osprey wins
    peer.put_person("Fay", "Fox-Hall", emails=["fay@fox.test"], title="VP", resource_name=resource)
    time.sleep(0.01)
    crm("sales", "update_contact", fay["id"], {"job_title": "CEO"}, actor=OWNER)
    sync(crm, connection, OWNER)
    assert crm("sales", "get_contact", fay["id"], actor=OWNER)["job_title"] == "CEO"
    assert peer.person(resource)["organizations"] == [{"title": "CEO"}]

    log = crm("google", "list_google_conflicts", connection["id"], actor=OWNER)["items"]
    assert [(c["field"], c["winner"], c["crm_value"], c["remote_value"]) for c in log] == [
        ("job_title", "crm", "CEO", "VP"),
        ("job_title", "google", "Lead analyst", "Director"),
    ]
    assert len(contacts(crm)) == 1 and len(peer.live_people()) == 1


def test_deletions_are_kept_or_propagated_as_the_user_chose(crm, peer, db_engine):
    peer.put_person("Gil", "Gray", emails=["gil@gray.test"])
    peer.put_person("Hal", "Hart", emails=["hal@hart.test"])
    peer.put_person("Ida", "Ives", emails=["ida@ives.test"])
    peer.put_person("Jon", "Jones", emails=["jon@jones.test"])
    connection = connect(crm, peer, OWNER)
    configure(crm, connection, OWNER, calendar=OFF, mail={"enabled": False})
    sync(crm, connection, OWNER)
    by_given = {p["names"][0]["givenName"]: p["resourceName"] for p in peer.live_people()}

    # keep (the default): deleted in Google, the contact stays in Osprey, unlinked for
    # good — a change in Osprey does not make it in Google again
    peer.delete_person(by_given["Gil"])
    sync(crm, connection, OWNER)
    assert "Gil Gray" in contacts(crm)
    (link,) = rows(
        db_engine, "SELECT snapshot FROM google.links WHERE remote_id = :r", r=by_given["Gil"]
    )
    assert link.snapshot == {"tombstone": True}
    crm("sales", "update_contact", contacts(crm)["Gil Gray"]["id"], {"job_title": "Kept"}, OWNER)
    counts = sync(crm, connection, OWNER)["last_sync"]
    assert "contacts_exported" not in counts
    assert "Gil" not in [p["names"][0]["givenName"] for p in peer.live_people()]

    # deleted in Osprey, kept in Google: a change in Google does not bring it back
    jon = contacts(crm)["Jon Jones"]
    crm("sales", "delete_contact", jon["id"], actor=OWNER)
    wait_for(
        lambda: rows(db_engine, "SELECT 1 FROM google.links WHERE crm_deleted"),
        what="contact_deleted to reach the google service",
    )
    counts = sync(crm, connection, OWNER)["last_sync"]
    assert "contacts_deleted_in_google" not in counts
    peer.put_person("Jon", "Jones-Edited", emails=["jon@jones.test"], resource_name=by_given["Jon"])
    counts = sync(crm, connection, OWNER)["last_sync"]
    assert "contacts_imported" not in counts and "Jon Jones-Edited" not in contacts(crm)
    assert "Jon" in [p["names"][0]["givenName"] for p in peer.live_people()]

    configure(crm, connection, OWNER, contacts={"deletions": "propagate"})
    peer.delete_person(by_given["Hal"])
    counts = sync(crm, connection, OWNER)["last_sync"]
    assert counts["contacts_deleted"] == 1 and "Hal Hart" not in contacts(crm)

    # deleted in Osprey: the sales event marks the link, the next sync deletes in Google
    ida = contacts(crm)["Ida Ives"]
    crm("sales", "delete_contact", ida["id"], actor=OWNER)
    wait_for(
        lambda: rows(db_engine, "SELECT 1 FROM google.links WHERE crm_deleted"),
        what="contact_deleted to reach the google service",
    )
    counts = sync(crm, connection, OWNER)["last_sync"]
    assert counts["contacts_deleted_in_google"] == 1
    assert "Ida" not in [p["names"][0]["givenName"] for p in peer.live_people()]
    # what is left are the tombstones of the two kept apart
    left = rows(db_engine, "SELECT remote_id, snapshot FROM google.links")
    assert sorted(r.remote_id for r in left) == sorted([by_given["Gil"], by_given["Jon"]])
    assert all(r.snapshot == {"tombstone": True} for r in left)


def test_export_chosen_contacts_then_all_the_owner_may_read(crm, peer):
    colleague = person("cole@osprey.test")  # same team: the owner reads their contacts
    mine = crm("sales", "create_contact", {"full_name": "Mia Mine"}, actor=OWNER)
    yan = crm(
        "sales",
        "create_contact",
        {"full_name": "Yan Young", "emails": [{"email": "yan@young.test"}]},
        actor=colleague,
    )
    crm("sales", "create_contact", {"full_name": "Zed Zane"}, actor=colleague)
    connection = connect(crm, peer, OWNER)
    configure(
        crm,
        connection,
        OWNER,
        contacts={"direction": "export", "export": "chosen", "export_ids": [yan["id"]]},
        calendar=OFF,
        mail={"enabled": False},
    )
    counts = sync(crm, connection, OWNER)["last_sync"]
    assert counts["contacts_exported"] == 1 and google_names(peer) == ["Yan Young"]
    configure(crm, connection, OWNER, contacts={"export": "mine"})
    sync(crm, connection, OWNER)
    assert google_names(peer) == ["Mia Mine", "Yan Young"]
    configure(crm, connection, OWNER, contacts={"export": "all"})
    sync(crm, connection, OWNER)
    assert google_names(peer) == ["Mia Mine", "Yan Young", "Zed Zane"]
    assert not sync(crm, connection, OWNER)["last_sync"]
    # export only: what changes in Google is not brought in
    resource = next(p for p in peer.live_people() if "Mia" in p["names"][0]["givenName"])
    peer.put_person("Mia", "Changed", resource_name=resource["resourceName"])
    sync(crm, connection, OWNER)
    assert crm("sales", "get_contact", mine["id"], actor=OWNER)["full_name"] == "Mia Mine"


def test_a_contacts_company_is_its_account_both_ways(crm, peer):
    """A person's organization name is the contact's account: an account of that name is
    linked (any letter case) or made once; an account set in Osprey goes back as the
    organization's name."""
    acme = crm("sales", "create_account", {"name": "Acme Trading"}, actor=OWNER)
    peer.put_person("Ann", "Lee", emails=["ann@lee.test"], company="ACME trading", title="CFO")
    peer.put_person("Bo", "Chan", emails=["bo@chan.test"], company="Northwind")
    peer.put_person("Cy", "Park", emails=["cy@park.test"], company="Northwind")
    connection = connect(crm, peer, OWNER)
    configure(
        crm,
        connection,
        OWNER,
        contacts={"direction": "both", "export": "mine"},
        calendar=OFF,
        mail={"enabled": False},
    )
    sync(crm, connection, OWNER)
    found = contacts(crm)
    assert found["Ann Lee"]["account_id"] == acme["id"] and found["Ann Lee"]["job_title"] == "CFO"
    accounts = crm("sales", "list_accounts", {"limit": 50}, actor=ADMIN)["items"]
    northwind = [a for a in accounts if a["name"] == "Northwind"]
    assert len(northwind) == 1  # made once for both
    assert found["Bo Chan"]["account_id"] == found["Cy Park"]["account_id"] == northwind[0]["id"]

    # Osprey moves Bo to Acme: Google's organization follows; round trips change nothing
    crm("sales", "update_contact", found["Bo Chan"]["id"], {"account_id": acme["id"]}, actor=OWNER)
    sync(crm, connection, OWNER)
    bo = next(p for p in peer.live_people() if p["names"][0]["givenName"] == "Bo")
    assert [o.get("name") for o in bo["organizations"]] == ["Acme Trading"]
    assert not sync(crm, connection, OWNER)["last_sync"]
    assert len(crm("sales", "list_accounts", {"limit": 50}, actor=ADMIN)["items"]) == 2
