"""The contacts' and accounts' search box and totals in a real sales service.

A contact's emails and phones are JSON arrays; the search finds a contact by any of
them through ``contact_search_terms``, which triggers keep in step with every write:
create, update, merge, delete.
"""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from nameko.testing.services import entrypoint_hook

from services.platform.ids import new_id
from services.sales.service import SalesService

TEAM_A, TEAM_B = new_id(), new_id()
REP_A = {"id": new_id(), "email": "ann@osprey.test", "roles": ["sales_rep"], "team_id": TEAM_A}
REP_B = {"id": new_id(), "email": "bob@osprey.test", "roles": ["sales_rep"], "team_id": TEAM_B}
ADMIN = {"id": new_id(), "email": "root@osprey.test", "roles": ["admin"], "team_id": None}


@pytest.fixture
def sales(container_factory, service_config):
    container = container_factory(SalesService, service_config)
    container.start()
    return container


def call(container, method: str, *args: Any, **kwargs: Any) -> Any:
    with entrypoint_hook(container, method) as entrypoint:
        return entrypoint(*args, **kwargs)


def contact(sales, actor: dict, name: str, emails=(), phones=(), **data: Any) -> dict:
    data = {
        "full_name": name,
        "emails": [{"email": e} for e in emails],
        "phones": [{"phone": p} for p in phones],
        **data,
    }
    return call(sales, "create_contact", data, actor=actor, allow_duplicates=True)


def found(sales, plural: str, q: str, actor: dict = ADMIN, **query: Any) -> set[str]:
    page = call(sales, f"list_{plural}", {"q": q, **query}, actor=actor)
    return {record["id"] for record in page["items"]}


def terms(engine: sa.Engine) -> set[tuple[str, str]]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT contact_id::text, term FROM sales.contact_search_terms")
        )
        return {(row[0], row[1]) for row in rows}


def test_a_contact_is_found_by_any_of_its_emails_and_phones(sales):
    ann = contact(
        sales,
        REP_A,
        "Ann Lee",
        emails=["Ann@Acme.IO", "ann.lee@home.example"],
        phones=["+44 20 7946 0018", "8 (916) 123-45-67"],
    )
    other = contact(sales, REP_A, "Annabel Low", emails=["annabel@acme.io"], phones=["+4420794600"])
    for q in ("ann@acme.io", "ANN@ac", "ann.lee@", "ann.lee@home.example"):
        assert found(sales, "contacts", q) == {ann["id"]}, q
    assert found(sales, "contacts", "ann") == {ann["id"], other["id"]}  # words: the names
    for q in ("020-7946-0018", "(020) 7946 0018", "442079460018", "+44 20 7946 0018"):
        assert found(sales, "contacts", q) == {ann["id"]}, q
    for q in ("+7 916 123 45 67", "8 916 123-45-67", "916 123 45 67"):
        assert found(sales, "contacts", q) == {ann["id"]}, q
    assert found(sales, "contacts", "nobody@acme.io") == set()
    assert found(sales, "contacts", "020 7946 0019") == set()


def test_terms_follow_updates_merges_and_deletes(sales, db_engine):
    ann = contact(sales, REP_A, "Ann Lee", emails=["ann@acme.io"], phones=["+442079460018"])
    twin = contact(sales, REP_A, "Ann Lea", emails=["ann@globex.io"], phones=["+15550100000"])
    call(
        sales,
        "update_contact",
        ann["id"],
        {"emails": [{"email": "ann.lee@acme.io"}], "phones": [{"phone": "+33 1 93 39 31 06"}]},
        actor=REP_A,
    )
    assert found(sales, "contacts", "ann@acme") == set()
    assert found(sales, "contacts", "ann.lee@acme") == {ann["id"]}
    assert found(sales, "contacts", "020 7946 0018") == set()
    assert found(sales, "contacts", "01 93 39 31 06") == {ann["id"]}
    # an update that leaves emails and phones alone keeps the terms as they are
    before = terms(db_engine)
    call(sales, "update_contact", ann["id"], {"job_title": "Buyer"}, actor=REP_A)
    assert terms(db_engine) == before

    call(sales, "merge_contacts", ann["id"], twin["id"], actor=REP_A)
    assert found(sales, "contacts", "ann@globex.io") == {ann["id"]}
    assert found(sales, "contacts", "+1 555 010 0000") == {ann["id"]}
    assert {contact_id for contact_id, _ in terms(db_engine)} == {ann["id"]}

    call(sales, "delete_contact", ann["id"], actor=REP_A)
    assert terms(db_engine) == set()
    assert found(sales, "contacts", "ann.lee@acme") == set()


def test_search_keeps_rights_and_pages_with_a_total(sales):
    mine = [contact(sales, REP_A, f"Person {n}", emails=[f"team@acme{n}.io"]) for n in range(7)]
    contact(sales, REP_B, "Theirs", emails=["team@acme-b.io"])
    seen: list[str] = []
    cursor = None
    firsts = []
    while True:
        page = call(
            sales,
            "list_contacts",
            {"q": "team@acme", "limit": 3, "cursor": cursor},
            actor=REP_A,
        )
        firsts.append((page["total"], page["total_is_estimate"]))
        seen += [c["id"] for c in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == [c["id"] for c in reversed(mine)]  # newest first, each once
    assert firsts == [(7, False), (None, None), (None, None)]
    assert len(found(sales, "contacts", "team@acme")) == 8  # the admin reads them all


def test_accounts_by_email_and_phone_and_their_total(sales):
    acme = call(
        sales,
        "create_account",
        {"name": "Acme Corp", "email": "Info@Acme.io", "phone": "+49 30 1234567"},
        actor=REP_A,
    )
    call(sales, "create_account", {"name": "Globex", "phone": "+4930765432"}, actor=REP_A)
    assert found(sales, "accounts", "info@acme") == {acme["id"]}
    for q in ("030 1234567", "(030) 123-4567", "+49 30 1234567", "0049301234567"):
        assert found(sales, "accounts", q) == {acme["id"]}, q
    assert found(sales, "accounts", "acm") == {acme["id"]}  # words, as before
    page = call(sales, "list_accounts", {"limit": 1}, actor=REP_A)
    assert (page["total"], page["total_is_estimate"]) == (2, False)
    assert page["next_cursor"] is not None


def test_the_global_search_asks_every_section_in_one_call_with_each_lists_rights(sales):
    acme = call(sales, "create_account", {"name": "Quillon Works"}, actor=REP_A)
    mine = contact(sales, REP_A, "Quillon Baker", account_id=acme["id"])
    theirs = contact(sales, REP_B, "Quillon Other")
    deal = call(
        sales,
        "create_opportunity",
        {"title": "Quillon rollout", "account_id": acme["id"]},
        actor=REP_A,
    )
    sections = ["contacts", "accounts", "opportunities"]
    answer = call(sales, "search_records", sections, "quillon", 5, actor=REP_A)
    assert set(answer) == set(sections)
    assert {c["id"] for c in answer["contacts"]["items"]} == {mine["id"]}  # not B's
    assert [a["id"] for a in answer["accounts"]["items"]] == [acme["id"]]
    assert [d["id"] for d in answer["opportunities"]["items"]] == [deal["id"]]
    assert "total" not in answer["contacts"]  # the box shows only whether there is more
    # the same as each list's own search box
    assert {c["id"] for c in answer["contacts"]["items"]} == found(
        sales, "contacts", "quillon", actor=REP_A
    )
    assert theirs["id"] in found(sales, "contacts", "quillon", actor=REP_B)

    one = call(sales, "search_records", ["contacts"], "quillon", 1, actor=ADMIN)
    assert len(one["contacts"]["items"]) == 1 and one["contacts"]["more"] is True

    with pytest.raises(Exception) as refused:
        call(sales, "search_records", ["contacts", "leads"], "quillon", 5, actor=REP_A)
    assert "unknown section" in str(refused.value)


def test_the_ids_of_the_accounts_a_text_finds_with_the_lists_rights(sales):
    # what orders' searches by the customer's name ask: the ids alone
    mine = call(sales, "create_account", {"name": "Vortigern Mills"}, actor=REP_A)
    other = call(sales, "create_account", {"name": "Vortexa Analytics Group"}, actor=REP_A)
    theirs = call(sales, "create_account", {"name": "Vorpal Forge"}, actor=REP_B)
    ids = call(sales, "account_ids_found", "vor", 10, actor=REP_A)
    assert set(ids) == found(sales, "accounts", "vor", actor=REP_A)
    assert {mine["id"], other["id"]} <= set(ids) and theirs["id"] not in ids
    assert theirs["id"] in call(sales, "account_ids_found", "Vorpal", 10, actor=REP_B)
    assert len(call(sales, "account_ids_found", "vor", 1, actor=ADMIN)) == 1
    for limit in (0, 501, "5", True):
        with pytest.raises(Exception) as refused:
            call(sales, "account_ids_found", "vor", limit, actor=REP_A)
        assert "limit" in str(refused.value)
