"""Duplicate checks on create and merges of contacts and accounts, in a real container."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
import sqlalchemy as sa
from nameko.exceptions import serialize

from gateway.rpc import rebuild_error
from services.platform.errors import (
    Conflict,
    DuplicatesFound,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from services.platform.ids import new_id

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


def lookalike(container: Any, kind: str, actor: dict, **data: Any) -> dict:
    return call(container, f"create_{kind}", data, actor=actor, allow_duplicates=True)


def outbox(engine: sa.Engine, event_type: str) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return list(
            conn.execute(
                sa.text("SELECT envelope FROM sales.outbox WHERE type = :t ORDER BY id"),
                {"t": event_type},
            ).scalars()
        )


def execute(engine: sa.Engine, sql: str, **params: Any) -> None:
    with engine.begin() as conn:
        conn.execute(sa.text(sql), params)


def scalar(engine: sa.Engine, sql: str, **params: Any) -> Any:
    with engine.connect() as conn:
        value = conn.execute(sa.text(sql), params).scalar()
    return str(value) if isinstance(value, uuid.UUID) else value


# --- duplicate check on create ----------------------------------------------------------


def test_a_likely_duplicate_contact_is_refused_unless_allowed(sales, db_engine):  # noqa: F811
    john = contact(sales, REP_A, full_name="John Smith", phones=[{"phone": "+47 22 00 00 01"}])

    with pytest.raises(DuplicatesFound) as exc:
        contact(sales, REP_A, full_name="Jon Smith")
    [candidate] = exc.value.candidates
    assert candidate["record"]["id"] == john["id"] and candidate["reasons"] == ["name"]
    assert isinstance(exc.value, Conflict) and 0.4 <= candidate["score"] < 1

    with pytest.raises(DuplicatesFound) as exc:  # same number, another name
        contact(sales, REP_A, full_name="Mary Jones", phones=[{"phone": "+4722000001"}])
    assert exc.value.candidates[0]["reasons"] == ["phone"]
    assert len(rows(db_engine, "contacts")) == 1
    assert outbox_types(db_engine) == ["contact_created"]

    jon = lookalike(sales, "contact", REP_A, full_name="Jon Smith")
    assert len(rows(db_engine, "contacts")) == 2
    # Someone who cannot read John's record is not told about it.
    bob_john = contact(sales, REP_B, full_name="John Smith")
    assert bob_john["owner_id"] == REP_B["id"]
    # Nothing alike: created at once.
    contact(sales, REP_A, full_name="Zoe Quint", emails=[{"email": "zoe@acme.test"}])

    with pytest.raises(ValidationFailed) as exc:
        call(sales, "create_contact", {"full_name": "X"}, actor=REP_A, allow_duplicates="yes")
    assert error_fields(exc) == {"allow_duplicates"}
    assert {jon["id"], john["id"]} <= {str(r.id) for r in rows(db_engine, "contacts")}


def test_a_likely_duplicate_account_is_refused_unless_allowed(sales, db_engine):  # noqa: F811
    acme = account(sales, REP_A, name="Acme Corporation", web="https://www.acme.io")
    with pytest.raises(DuplicatesFound) as exc:
        account(sales, REP_A, name="Zeta Tools", web="http://ACME.io/contact")
    assert [(c["record"]["id"], c["reasons"]) for c in exc.value.candidates] == [
        (acme["id"], ["domain"])
    ]
    with pytest.raises(DuplicatesFound):
        account(sales, REP_A, name="Acme Corporations")
    assert len(rows(db_engine, "accounts")) == 1
    lookalike(sales, "account", REP_A, name="Acme Corporations")
    assert len(rows(db_engine, "accounts")) == 2


def test_check_duplicates_writes_nothing_and_validates_like_create(sales, db_engine):  # noqa: F811
    ann = contact(sales, REP_A, full_name="Ann Lee", emails=[{"email": "ann@lee.test"}])
    found = call(
        sales,
        "check_contact_duplicates",
        {"full_name": "Anne Lee", "emails": [{"email": "ANN@lee.test"}]},
        actor=REP_A,
    )
    assert [(f["record"]["id"], f["reasons"]) for f in found] == [(ann["id"], ["email", "name"])]
    assert found[0]["score"] > 1
    assert call(sales, "check_contact_duplicates", {"full_name": "Zed Q"}, actor=REP_A) == []
    with pytest.raises(ValidationFailed) as exc:
        call(sales, "check_contact_duplicates", {"emails": [{"email": "bad"}]}, actor=REP_A)
    assert error_fields(exc) == {"emails[0].email"}
    with pytest.raises(ValidationFailed) as exc:
        call(sales, "check_contact_duplicates", {"job_title": "CTO"}, actor=REP_A)
    assert error_fields(exc) == {"full_name"}
    acme = account(sales, REP_A, name="Acme", phone="+47 1234 5678")
    found = call(sales, "check_account_duplicates", {"name": "Q", "phone": "+4712345678"}, REP_A)
    assert [(f["record"]["id"], f["reasons"]) for f in found] == [(acme["id"], ["phone"])]
    assert len(rows(db_engine, "contacts")) == 1 and len(rows(db_engine, "accounts")) == 1
    assert outbox_types(db_engine) == ["contact_created", "account_created"]


def test_the_candidates_cross_rpc_whole():
    """Nameko turns numbers, booleans and None into strings in an error's arguments;
    the candidates travel as JSON and the gateway gets them back as they were."""
    candidates = [
        {"record": {"id": "c1", "account_id": None, "version": 3}, "score": 1.52, "reasons": []},
    ]
    payload = json.loads(json.dumps(serialize(DuplicatesFound("1 contact", [], candidates))))
    rebuilt = rebuild_error("sales", "create_contact", payload)
    assert isinstance(rebuilt, DuplicatesFound) and rebuilt.candidates == candidates
    assert rebuilt.message == "1 contact"


# --- merging contacts -------------------------------------------------------------------


def _opportunity(engine: sa.Engine, owner: dict, **links: Any) -> str:
    """A deal written straight to its table (the tests empty the seeded stages too)."""
    execute(
        engine,
        "INSERT INTO sales.opportunity_stages (id, name, position, probability, created_at,"
        " updated_at) VALUES (:id, 'Qualification', 10, 10, now(), now())"
        " ON CONFLICT DO NOTHING",
        id=new_id(),
    )
    opportunity_id = new_id()
    execute(
        engine,
        "INSERT INTO sales.opportunities (id, title, account_id, contact_id, stage_id,"
        " stage_entered_at, owner_id, created_at, updated_at, created_by) SELECT :id, 'Deal',"
        " :account_id, :contact_id, id, now(), :owner, now(), now(), :owner"
        " FROM sales.opportunity_stages ORDER BY position LIMIT 1",
        id=opportunity_id,
        account_id=links.get("account_id"),
        contact_id=links.get("contact_id"),
        owner=owner["id"],
    )
    return opportunity_id


def _activity(
    engine: sa.Engine, owner: dict, related: tuple[str, str] | None, contacts: list[str]
) -> str:
    activity_id = new_id()
    execute(
        engine,
        "INSERT INTO sales.activities (id, type, title, related_type, related_id, owner_id,"
        " created_at, updated_at, created_by) VALUES (:id, 'call', 'Call', :rt, :rid, :owner,"
        " now(), now(), :owner)",
        id=activity_id,
        rt=related[0] if related else None,
        rid=related[1] if related else None,
        owner=owner["id"],
    )
    for contact_id in contacts:
        execute(
            engine,
            "INSERT INTO sales.activity_participants (activity_id, kind, participant_id)"
            " VALUES (:a, 'contact', :c)",
            a=activity_id,
            c=contact_id,
        )
    return activity_id


def _career(container: Any, contact_id: str, **data: Any) -> dict:
    return call(container, "add_career", contact_id, data, actor=REP_A)


def test_merging_contacts_keeps_every_related_record(sales, db_engine):  # noqa: F811
    acme = account(sales, REP_A, name="Acme")
    globex = account(sales, REP_A, name="Globex")
    kept = contact(
        sales, REP_A, full_name="Ann Lee", emails=[{"email": "ann@acme.test", "is_primary": True}]
    )
    merged = lookalike(
        sales,
        "contact",
        REP_A,
        full_name="Anne Lee",
        job_title="CTO",
        account_id=acme["id"],
        emails=[{"email": "ann@acme.test"}, {"email": "anne@home.test", "is_primary": True}],
        phones=[{"phone": "+47 22 00 00 09", "is_primary": True}],
    )
    _career(sales, kept["id"], account_id=acme["id"], job_title="CTO", is_primary=True)
    _career(sales, merged["id"], account_id=acme["id"], job_title="CTO", is_primary=True)
    moved_career = _career(sales, merged["id"], account_id=globex["id"])
    deal = _opportunity(db_engine, REP_A, contact_id=merged["id"], account_id=acme["id"])
    about = _activity(db_engine, REP_A, ("contact", merged["id"]), [])
    both = _activity(db_engine, REP_A, None, [merged["id"], kept["id"]])
    only = _activity(db_engine, REP_A, None, [merged["id"]])
    other = contact(sales, REP_A, full_name="Zoe Quint")
    untouched = _activity(db_engine, REP_A, ("contact", other["id"]), [other["id"]])

    result = call(
        sales, "merge_contacts", kept["id"], merged["id"], actor=REP_A, expected_version=1
    )

    assert result["id"] == kept["id"] and result["version"] == 2
    assert result["full_name"] == "Ann Lee"  # its own value stays
    assert (result["job_title"], result["account_id"]) == ("CTO", acme["id"])  # empty: filled
    assert result["emails"] == [
        {"email": "ann@acme.test", "kind": "work", "is_primary": True},
        {"email": "anne@home.test", "kind": "work", "is_primary": False},
    ]
    assert result["phones"] == [{"phone": "+4722000009", "kind": "work", "is_primary": True}]
    assert {str(r.id) for r in rows(db_engine, "contacts")} == {kept["id"], other["id"]}

    careers = call(sales, "list_careers", kept["id"], actor=REP_A)
    assert [(c["account_id"], c["is_primary"]) for c in careers] == [
        (acme["id"], True),
        (globex["id"], False),
    ]
    assert careers[1]["id"] == moved_career["id"]
    assert (
        scalar(db_engine, "SELECT contact_id FROM sales.opportunities WHERE id = :i", i=deal)
        == (kept["id"])
    )
    assert scalar(db_engine, "SELECT version FROM sales.opportunities WHERE id = :i", i=deal) == 2
    assert (
        scalar(db_engine, "SELECT related_id FROM sales.activities WHERE id = :i", i=about)
        == (kept["id"])
    )
    with db_engine.connect() as conn:
        participants = conn.execute(
            sa.text(
                "SELECT activity_id::text, participant_id::text FROM sales.activity_participants"
            )
        ).all()
    assert sorted(tuple(p) for p in participants) == sorted(
        [(both, kept["id"]), (only, kept["id"]), (untouched, other["id"])]
    )
    versions = {str(r.id): r.version for r in rows(db_engine, "activities")}
    assert versions == {about: 2, both: 2, only: 2, untouched: 1}

    moved = {
        "careers": 1,
        "careers_dropped": 1,
        "opportunities": 1,
        "activities": 1,
        "activity_participants": 1,
        "activity_participants_dropped": 1,
        "merges": 0,
    }
    [log] = call(sales, "list_contact_merges", kept["id"], actor=REP_A2)
    assert (log["entity"], log["kept_id"], log["merged_id"]) == (
        "contact",
        kept["id"],
        merged["id"],
    )
    assert log["merged_record"]["full_name"] == "Anne Lee" and log["moved"] == moved
    assert log["merged_by"] == REP_A["id"] and log["merged_at"].endswith("Z")

    [event] = outbox(db_engine, "contact_merged")
    assert event["data"] == {
        "kept_id": kept["id"],
        "merged_id": merged["id"],
        "merged_record": merged,
        "moved": moved,
    }
    [updated] = outbox(db_engine, "contact_updated")
    assert updated["data"]["changed_fields"] == ["emails", "phones", "account_id", "job_title"]
    assert "contact_deleted" not in outbox_types(db_engine)
    with pytest.raises(NotFound):
        call(sales, "get_contact", merged["id"], actor=REP_A)


def test_merge_needs_change_rights_on_both_and_two_records(sales, db_engine):  # noqa: F811
    kept = contact(sales, REP_A, full_name="Ann Lee")
    merged = lookalike(sales, "contact", REP_A, full_name="Anne Lee")
    bobs = contact(sales, REP_B, full_name="Bob Brown")
    with pytest.raises(PermissionDenied):  # a teammate reads both but changes neither
        call(sales, "merge_contacts", kept["id"], merged["id"], actor=REP_A2)
    with pytest.raises(NotFound) as exc:  # Bob's contact is not Ann's to see
        call(sales, "merge_contacts", kept["id"], bobs["id"], actor=REP_A)
    assert error_fields(exc) == {"merged_id"}
    with pytest.raises(NotFound) as exc:
        call(sales, "merge_contacts", bobs["id"], kept["id"], actor=REP_A)
    assert error_fields(exc) == {"contact_id"}
    with pytest.raises(ValidationFailed) as exc:
        call(sales, "merge_contacts", kept["id"], kept["id"].upper(), actor=REP_A)
    assert error_fields(exc) == {"merged_id"}
    with pytest.raises(ValidationFailed) as exc:
        call(sales, "merge_contacts", kept["id"], "nobody", actor=REP_A)
    assert error_fields(exc) == {"merged_id"}
    with pytest.raises(Conflict):
        call(sales, "merge_contacts", kept["id"], merged["id"], actor=REP_A, expected_version=7)
    assert len(rows(db_engine, "contacts")) == 3 and rows(db_engine, "merges") == []
    # An admin may merge anyone's.
    call(sales, "merge_contacts", kept["id"], bobs["id"], actor=ADMIN)
    assert len(rows(db_engine, "contacts")) == 2


def test_a_merge_that_would_hold_too_many_emails_is_refused(sales, db_engine):  # noqa: F811
    many = [{"email": f"a{i}@x.test"} for i in range(12)]
    kept = contact(sales, REP_A, full_name="Ann Lee", emails=many)
    merged = contact(
        sales, REP_A, full_name="Q", emails=[{"email": f"b{i}@x.test"} for i in range(9)]
    )
    with pytest.raises(Conflict) as exc:
        call(sales, "merge_contacts", kept["id"], merged["id"], actor=REP_A)
    assert error_fields(exc) == {"emails"}
    assert len(rows(db_engine, "contacts")) == 2


def test_a_merge_log_follows_a_later_merge(sales):  # noqa: F811
    first = contact(sales, REP_A, full_name="Ann Lee")
    second = lookalike(sales, "contact", REP_A, full_name="Anne Lee")
    third = lookalike(sales, "contact", REP_A, full_name="Annie Lee")
    call(sales, "merge_contacts", second["id"], third["id"], actor=REP_A)
    call(sales, "merge_contacts", first["id"], second["id"], actor=REP_A)
    log = call(sales, "list_contact_merges", first["id"], actor=REP_A)
    assert [m["merged_id"] for m in log] == [second["id"], third["id"]]
    assert log[0]["moved"]["merges"] == 1


# --- merging accounts -------------------------------------------------------------------


def test_merging_accounts_keeps_every_related_record(sales, db_engine):  # noqa: F811
    group = account(sales, REP_A, name="Holding Group")
    merged = account(
        sales,
        REP_A,
        name="Acme Incorporated",
        industry="Tools",
        parent_id=group["id"],
        addresses=[{"kind": "office", "city": "Berlin"}, {"kind": "billing", "city": "Paris"}],
    )
    kept = lookalike(
        sales,
        "account",
        REP_A,
        name="Acme Inc",
        parent_id=merged["id"],  # the merged account was its parent
        addresses=[{"kind": "office", "city": "Berlin"}],
    )
    child = account(sales, REP_A, name="Subsidiary", parent_id=merged["id"])
    staff = contact(sales, REP_A, full_name="Sam Staff", account_id=merged["id"])
    worker = contact(sales, REP_A, full_name="Wes Worker")
    # The same place of work at both accounts: the merged account's (primary) goes, the
    # kept account's becomes primary; one elsewhere moves.
    _career(sales, worker["id"], account_id=kept["id"], job_title="Buyer")
    _career(sales, worker["id"], account_id=merged["id"], job_title="Buyer", is_primary=True)
    moved_career = _career(sales, staff["id"], account_id=merged["id"], job_title="CEO")
    deal = _opportunity(db_engine, REP_A, account_id=merged["id"])
    other_deal = _opportunity(db_engine, REP_A)
    for opportunity, competitor in (
        (deal, kept["id"]),
        (deal, merged["id"]),  # both in one deal: one stays
        (other_deal, merged["id"]),
    ):
        call(sales, "add_competitor", opportunity, {"account_id": competitor}, actor=REP_A)
    about = _activity(db_engine, REP_A, ("account", merged["id"]), [])

    result = call(sales, "merge_accounts", kept["id"], merged["id"], actor=REP_A)

    assert result["name"] == "Acme Inc" and result["industry"] == "Tools"
    assert result["parent_id"] == group["id"]  # not itself: the merged one's parent
    assert [a["city"] for a in result["addresses"]] == ["Berlin", "Paris"]
    assert result["version"] == 2
    assert {str(r.id) for r in rows(db_engine, "accounts")} == {
        group["id"],
        kept["id"],
        child["id"],
    }
    assert call(sales, "get_account", child["id"], actor=REP_A)["parent_id"] == kept["id"]
    assert call(sales, "get_contact", staff["id"], actor=REP_A)["account_id"] == kept["id"]
    careers = call(sales, "list_careers", worker["id"], actor=REP_A)
    assert [(c["account_id"], c["is_primary"]) for c in careers] == [(kept["id"], True)]
    careers = call(sales, "list_careers", staff["id"], actor=REP_A)
    assert [(c["id"], c["account_id"]) for c in careers] == [(moved_career["id"], kept["id"])]
    assert (
        scalar(db_engine, "SELECT account_id FROM sales.opportunities WHERE id = :i", i=deal)
        == (kept["id"])
    )
    competitors = sorted(
        (str(r.opportunity_id), str(r.account_id))
        for r in rows(db_engine, "opportunity_competitors")
    )
    assert competitors == sorted([(deal, kept["id"]), (other_deal, kept["id"])])
    assert (
        scalar(db_engine, "SELECT related_id FROM sales.activities WHERE id = :i", i=about)
        == (kept["id"])
    )

    moved = {
        "careers": 1,
        "careers_dropped": 1,
        "contacts": 1,
        "child_accounts": 1,
        "opportunities": 1,
        "opportunity_competitors": 1,
        "opportunity_competitors_dropped": 1,
        "activities": 1,
        "merges": 0,
    }
    [log] = call(sales, "list_account_merges", kept["id"], actor=REP_A)
    assert log["moved"] == moved and log["merged_record"]["name"] == "Acme Incorporated"
    [event] = outbox(db_engine, "account_merged")
    assert event["data"]["moved"] == moved and event["data"]["merged_id"] == merged["id"]
    [updated] = outbox(db_engine, "account_updated")
    assert updated["data"]["changed_fields"] == ["industry", "parent_id", "addresses"]
    assert "account_deleted" not in outbox_types(db_engine)


def test_an_account_merge_never_makes_a_parent_cycle(sales, db_engine):  # noqa: F811
    kept = account(sales, REP_A, name="Acme")
    child = account(sales, REP_A, name="Subsidiary", parent_id=kept["id"])
    merged = account(sales, REP_A, name="Zeta", parent_id=child["id"])
    result = call(sales, "merge_accounts", kept["id"], merged["id"], actor=REP_A)
    assert result["parent_id"] is None and result["version"] == 1
    assert call(sales, "get_account", child["id"], actor=REP_A)["parent_id"] == kept["id"]
    assert outbox(db_engine, "account_updated") == []
    with pytest.raises(ValidationFailed):
        call(sales, "merge_accounts", kept["id"], kept["id"], actor=REP_A)
    with pytest.raises(NotFound):
        call(sales, "list_account_merges", kept["id"], actor=REP_B)
