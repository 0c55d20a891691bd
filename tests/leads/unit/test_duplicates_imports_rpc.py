"""Duplicates, merges, imports and the merge handlers with their dependencies replaced
(``worker_factory``): bad input never reaches the database, an import reports each row,
a merge fills the kept lead and announces what it took."""

from __future__ import annotations

from datetime import timedelta

import pytest
from nameko.testing.services import worker_factory

from services.leads import duplicates_store, store
from services.leads.duplicates import DuplicatesRpc
from services.leads.imports import MAX_IMPORT_ROWS, ImportsRpc
from services.leads.merges import MergesHandlers
from services.leads.models import LeadMerge, StageChange
from services.platform import idempotency
from services.platform.errors import Conflict, ValidationFailed

from .doubles import (
    CONTACT_ID,
    LEAD_ID,
    OTHER_ID,
    REP,
    TEAM_B,
    WHEN,
    Result,
    answer,
    emitted,
    event,
    lead,
)

# --- duplicates and merges -------------------------------------------------------------


@pytest.fixture
def duplicates():
    return worker_factory(DuplicatesRpc)


def test_checking_bad_data_for_duplicates_reads_nothing(duplicates):
    with pytest.raises(ValidationFailed):
        duplicates.check_lead_duplicates({"email": "nope"}, actor=REP)
    assert duplicates.db.method_calls == []


@pytest.mark.parametrize(
    ("lead_ids", "message"),
    [
        ([], "give the ids of the leads to merge into this one"),
        ([LEAD_ID], "a lead cannot be merged with itself"),
        (["x"], "must be lead ids (UUIDs)"),
    ],
)
def test_a_merge_needs_other_leads(duplicates, lead_ids, message):
    with pytest.raises(ValidationFailed) as exc:
        duplicates.merge_leads(LEAD_ID, lead_ids, actor=REP)
    assert exc.value.errors == [{"field": "lead_ids", "message": message}]
    assert duplicates.db.method_calls == []


def loaded(db, *leads):
    """The leads the merge locks, one per load in id order."""
    by_id = {lead_.id: lead_ for lead_ in leads}
    answer(db)
    db.execute.side_effect = lambda statement, params=None: Result(
        one=by_id.get((params or {}).get("lead_id"))
    )


def test_leads_of_two_deals_are_not_merged(duplicates):
    loaded(
        duplicates.db,
        lead(opportunity_id="0190e1a4-1d2b-7c3d-8e4f-0000000000a8"),
        lead(id=OTHER_ID, opportunity_id="0190e1a4-1d2b-7c3d-8e4f-0000000000a9"),
    )
    with pytest.raises(Conflict):
        duplicates.merge_leads(LEAD_ID, [OTHER_ID], actor=REP)
    duplicates.db.emit.assert_not_called()


def test_a_merge_keeps_the_oldest_lead_and_fills_its_empty_fields(duplicates):
    older = lead(id=OTHER_ID, created_at=WHEN - timedelta(days=1), email=None, region="North")
    newer = lead(email="ann@acme.io", region="South", contact_id=CONTACT_ID)
    loaded(duplicates.db, older, newer)
    result = duplicates.merge_leads(LEAD_ID, [OTHER_ID], actor=REP)
    assert result["id"] == OTHER_ID
    assert (older.email, older.region, older.contact_id) == ("ann@acme.io", "North", CONTACT_ID)
    record = next(
        c.args[0] for c in duplicates.db.add.call_args_list if isinstance(c.args[0], LeadMerge)
    )
    assert (record.kept_id, record.merged_id) == (OTHER_ID, LEAD_ID)
    assert record.filled_fields == ["email", "contact_id"]
    log = next(
        c.args[0] for c in duplicates.db.add.call_args_list if isinstance(c.args[0], StageChange)
    )
    assert (log.action, log.reason) == ("merge", "merged 1 lead(s)")
    merged = event(duplicates.db, "leads_merged")
    assert merged["merged_ids"] == [LEAD_ID] and merged["changed_fields"] == ["email", "contact_id"]
    assert merged["merged_records"][0]["region"] == "South"
    duplicates.db.commit.assert_called_once()


# --- imports ---------------------------------------------------------------------------


@pytest.fixture
def imports():
    return worker_factory(ImportsRpc)


@pytest.mark.parametrize(
    ("rows", "on_duplicate", "field"),
    [
        ([{"contact_name": "Ann"}], "merge", "on_duplicate"),
        ([], "flag", "rows"),
        ({"contact_name": "Ann"}, "flag", "rows"),
        ([{"contact_name": "Ann"}] * (MAX_IMPORT_ROWS + 1), "flag", "rows"),
    ],
)
def test_a_batch_that_is_not_a_batch_is_refused(imports, rows, on_duplicate, field):
    with pytest.raises(ValidationFailed) as exc:
        imports.import_leads(rows, actor=REP, on_duplicate=on_duplicate)
    assert exc.value.errors[0]["field"] == field
    assert imports.db.method_calls == []


def test_each_row_is_reported_and_the_batch_is_one_commit(imports):
    answer(imports.db)
    report = imports.import_leads(
        [
            {"account_name": "Acme"},
            {"email": "bad"},
            "row",
            {"account_name": "B", "team_id": TEAM_B},
        ],
        actor=REP,
    )
    assert (report["created"], report["skipped"], report["failed"]) == (1, 0, 3)
    statuses = [(r["row"], r["status"]) for r in report["rows"]]
    assert statuses == [(0, "created"), (1, "failed"), (2, "failed"), (3, "failed")]
    assert report["rows"][1]["errors"][0]["field"] == "email"
    assert report["rows"][2]["errors"] == [
        {"field": "row", "message": "must be an object of lead fields"}
    ]
    assert report["rows"][3]["errors"][0]["field"] == "team_id"  # a permission, reported
    assert report["rows"][0]["lead_id"] == event(imports.db, "lead_created")["id"]
    assert imports.db.execute.call_args_list[-1].args[0] is store._INSERT_LEAD
    imports.db.commit.assert_called_once()


def test_skip_leaves_out_a_row_with_look_alikes(imports, monkeypatch):
    answer(imports.db)
    look_alike = {"record": {"id": OTHER_ID}, "score": 1.0, "reasons": ["email"]}
    monkeypatch.setattr(
        duplicates_store,
        "lead_candidates",
        lambda db, index, values, caller, exclude_id=None: [look_alike],
    )
    report = imports.import_leads([{"email": "ann@acme.io"}], actor=REP, on_duplicate="skip")
    assert report["rows"][0] == {
        "row": 0,
        "lead_id": None,
        "similar": [look_alike],
        "errors": [],
        "status": "skipped",
    }
    imports.db.begin_nested.return_value.rollback.assert_called_once()
    imports.db.emit.assert_not_called()


# --- following sales' merges -----------------------------------------------------------


def test_leads_follow_a_merged_contact(monkeypatch):
    handlers = worker_factory(MergesHandlers)
    monkeypatch.setattr(idempotency, "claim_event", lambda db, event_id, handler: True)
    first, second = lead(contact_id=CONTACT_ID), lead(id=OTHER_ID, contact_id=CONTACT_ID)
    answer(handlers.db, (lambda s: "FOR UPDATE" in str(s), Result(rows=[first, second])))
    kept = "0190e1a4-1d2b-7c3d-8e4f-0000000000f9"
    count = handlers.handle_contact_merged(
        {"id": "e1", "data": {"kept_id": kept, "merged_id": CONTACT_ID}}
    )
    assert count == 2
    assert (first.contact_id, first.version, second.contact_id) == (kept, 4, kept)
    assert emitted(handlers.db) == ["lead_updated", "lead_updated"]
    assert handlers.db.emit.call_args.args[1]["changed_fields"] == ["contact_id"]
    handlers.db.commit.assert_called_once()


def test_a_merge_event_without_its_ids_changes_nothing(monkeypatch):
    handlers = worker_factory(MergesHandlers)
    monkeypatch.setattr(idempotency, "claim_event", lambda db, event_id, handler: True)
    assert handlers.handle_account_merged({"id": "e2", "data": {"kept_id": "k"}}) == 0
    handlers.db.execute.assert_not_called()
    handlers.db.commit.assert_called_once()
