"""Careers and duplicate search in a real Nameko container over PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from services.platform.errors import NotFound, PermissionDenied, ValidationFailed

from .test_sales_service import (
    ADMIN,
    REP_A,
    REP_A2,
    REP_B,
    account,
    call,
    contact,
    error_fields,
    outbox_types,
    rows,
    sales,  # noqa: F401  (the fixture)
)

# --- careers ----------------------------------------------------------------------------


def test_a_new_primary_career_unsets_the_old_one(sales, db_engine):  # noqa: F811
    acme = account(sales, REP_A, name="Acme")
    globex = account(sales, REP_A, name="Globex")
    ann = contact(sales, REP_A, full_name="Ann Lee")
    first = call(
        sales,
        "add_career",
        ann["id"],
        {"account_id": acme["id"], "job_title": "CTO", "is_primary": True},
        actor=REP_A,
    )
    second = call(
        sales,
        "add_career",
        ann["id"],
        {"account_id": globex["id"], "is_primary": True, "start_date": "2026-01-01"},
        actor=REP_A,
    )
    careers = call(sales, "list_careers", ann["id"], actor=REP_A)
    assert [c["id"] for c in careers] == [second["id"], first["id"]]
    assert [c["is_primary"] for c in careers] == [True, False]
    assert second["start_date"] == "2026-01-01" and first["job_title"] == "CTO"
    assert sum(1 for r in rows(db_engine, "careers") if r.is_primary) == 1
    assert outbox_types(db_engine).count("career_added") == 2
    with db_engine.connect() as conn, pytest.raises(sa.exc.IntegrityError):
        conn.execute(
            sa.text("UPDATE sales.careers SET is_primary = true WHERE id = :id"),
            {"id": first["id"]},
        )

    # The account lists Ann through her careers.
    listed = call(sales, "list_account_contacts", globex["id"], actor=REP_A)
    assert [c["id"] for c in listed] == [ann["id"]]


def test_a_career_must_end_after_it_starts_and_name_an_account(sales, db_engine):  # noqa: F811
    acme = account(sales, REP_A, name="Acme")
    ann = contact(sales, REP_A, full_name="Ann Lee")
    with pytest.raises(ValidationFailed) as exc:
        call(
            sales,
            "add_career",
            ann["id"],
            {"account_id": acme["id"], "start_date": "2026-05-01", "end_date": "2026-04-30"},
            actor=REP_A,
        )
    assert error_fields(exc) == {"end_date"}
    with pytest.raises(ValidationFailed) as exc:
        call(sales, "add_career", ann["id"], {"account_id": ADMIN["id"]}, actor=REP_A)
    assert error_fields(exc) == {"account_id"}
    with pytest.raises(ValidationFailed) as exc:
        call(sales, "add_career", ann["id"], {"start_date": "soon"}, actor=REP_A)
    assert error_fields(exc) == {"account_id", "start_date"}
    assert rows(db_engine, "careers") == []
    with db_engine.connect() as conn, pytest.raises(sa.exc.IntegrityError):
        conn.execute(
            sa.text(
                "INSERT INTO sales.careers (id, contact_id, account_id, start_date, end_date,"
                " created_at) VALUES (gen_random_uuid(), :c, :a, '2026-02-01', '2026-01-01',"
                " now())"
            ),
            {"c": ann["id"], "a": acme["id"]},
        )


def test_careers_need_rights_on_the_contact(sales, db_engine):  # noqa: F811
    acme = account(sales, REP_A, name="Acme")
    ann = contact(sales, REP_A, full_name="Ann Lee")
    with pytest.raises(NotFound):
        call(sales, "add_career", ann["id"], {"account_id": acme["id"]}, actor=REP_B)
    with pytest.raises(NotFound):
        call(sales, "list_careers", ann["id"], actor=REP_B)
    # A teammate may read the contact but not change it.
    assert call(sales, "list_careers", ann["id"], actor=REP_A2) == []
    with pytest.raises(PermissionDenied):
        call(sales, "add_career", ann["id"], {"account_id": acme["id"]}, actor=REP_A2)
    assert rows(db_engine, "careers") == []


def test_account_contacts_hide_the_unreadable(sales):  # noqa: F811
    acme = account(sales, REP_A, name="Acme", team_id=None, owner_id=None)
    mine = contact(sales, REP_A, full_name="Ann Lee", account_id=acme["id"])
    contact(sales, REP_B, full_name="Bob Hidden", account_id=acme["id"])
    listed = call(sales, "list_account_contacts", acme["id"], actor=REP_A)
    assert [c["id"] for c in listed] == [mine["id"]]
    assert len(call(sales, "list_account_contacts", acme["id"], actor=ADMIN)) == 2


# --- duplicates -------------------------------------------------------------------------


def lookalike(container: Any, kind: str, actor: dict, **data: Any) -> dict:
    """Create a record that looks like one that exists, on purpose."""
    return call(container, f"create_{kind}", data, actor=actor, allow_duplicates=True)


def test_similar_contacts_by_email_and_fuzzy_name(sales):  # noqa: F811
    john = contact(
        sales,
        REP_A,
        full_name="John Smith",
        emails=[{"email": "john@acme.test"}],
        phones=[{"phone": "+47 22 00 00 01"}],
    )
    jon = lookalike(sales, "contact", REP_A, full_name="Jon Smith")
    mail = lookalike(
        sales, "contact", REP_A, full_name="Someone Else", emails=[{"email": "JOHN@acme.test"}]
    )
    contact(sales, REP_A, full_name="Mary Jones")
    hidden = contact(sales, REP_B, full_name="John Smith", emails=[{"email": "john@acme.test"}])

    found = call(sales, "similar_contacts", john["id"], actor=REP_A)
    by_id = {f["record"]["id"]: f for f in found}
    assert set(by_id) == {jon["id"], mail["id"]}  # not itself, not Bob's
    assert by_id[mail["id"]]["reasons"] == ["email"] and by_id[mail["id"]]["score"] == 1.0
    assert by_id[jon["id"]]["reasons"] == ["name"] and 0.4 <= by_id[jon["id"]]["score"] < 1
    assert [f["record"]["id"] for f in found] == [mail["id"], jon["id"]]
    assert hidden["id"] in {
        f["record"]["id"] for f in call(sales, "similar_contacts", john["id"], actor=ADMIN)
    }
    with pytest.raises(NotFound):
        call(sales, "similar_contacts", john["id"], actor=REP_B)


def test_similar_accounts_by_domain_name_and_email(sales):  # noqa: F811
    acme = account(sales, REP_A, name="Acme Corporation", web="https://www.acme.io/about")
    same_site = lookalike(sales, "account", REP_A, name="ACME GmbH", web="http://Acme.io")
    fuzzy = lookalike(sales, "account", REP_A, name="Acme Corporations")
    mailed = account(sales, REP_A, name="Zeta", email="x@acme.io")
    account(sales, REP_A, name="Globex")
    account(sales, REP_B, name="Acme Corporation", web="acme.io")
    found = call(sales, "similar_accounts", acme["id"], actor=REP_A)
    by_id = {f["record"]["id"]: f["reasons"] for f in found}
    assert set(by_id) == {same_site["id"], fuzzy["id"]}
    assert "domain" in by_id[same_site["id"]] and by_id[fuzzy["id"]] == ["name"]
    call(sales, "update_account", acme["id"], {"email": "X@acme.io"}, actor=REP_A)
    found = call(sales, "similar_accounts", acme["id"], actor=REP_A)
    assert {f["record"]["id"] for f in found} == {same_site["id"], fuzzy["id"], mailed["id"]}
