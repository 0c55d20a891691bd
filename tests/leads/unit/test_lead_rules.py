"""The lead record's rules (``domain.lead``) pinned: what a new lead gets, what an update
may not do, and the exact words of every refusal the API returns."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.leads import domain
from services.platform.access import Actor
from services.platform.errors import Conflict, PermissionDenied, ValidationFailed

from .doubles import ADMIN, MANAGER, REP, TEAM_A, TEAM_B

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
NEW_ID = "0190e1a4-1d2b-7c3d-8e4f-0000000000d9"
rep, manager, admin = Actor.from_dict(REP), Actor.from_dict(MANAGER), Actor.from_dict(ADMIN)


def refusal(call) -> list[dict[str, str]]:
    with pytest.raises(ValidationFailed) as exc:
        call()
    return exc.value.errors


# --- the fields ------------------------------------------------------------------------


def test_the_fields_are_the_platforms_with_the_record_tail_last():
    assert domain.FIELD_NAMES[:3] == ("id", "contact_name", "account_name")
    assert domain.FIELD_NAMES[-4:] == ("version", "created_at", "updated_at", "created_by")
    assert domain.FIELDS_BY_NAME["source"].suggestions == "lead-sources"
    assert domain.FIELDS_BY_NAME["channel"].suggestions == "lead-channels"


@pytest.mark.parametrize("field", ["stage", "need_maturity"])
@pytest.mark.parametrize("value", ["", "  "])
def test_an_empty_stage_or_maturity_is_refused_not_cleared(field, value):
    options = ", ".join(domain.FIELDS_BY_NAME[field].options)
    assert refusal(lambda: domain.clean_changes({field: value})) == [
        {"field": field, "message": f"must be one of {options}"}
    ]


def test_null_clears_the_maturity_and_an_empty_text_clears_a_text():
    assert domain.clean_changes({"need_maturity": None, "region": " "}) == {
        "need_maturity": None,
        "region": None,
    }


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        ({"colour": 1}, [{"field": "colour", "message": "unknown field"}]),
        ({"version": 2}, [{"field": "version", "message": "is read-only"}]),
        ({"score_reasons": []}, [{"field": "score_reasons", "message": "is read-only"}]),
        ({"score": 101}, [{"field": "score", "message": "must be at most 100"}]),
        ({"score": -1}, [{"field": "score", "message": "must be at least 0"}]),
        ({"score": "9"}, [{"field": "score", "message": "must be a whole number"}]),
        ({"region": 5}, [{"field": "region", "message": "must be a string"}]),
        ({"owner_id": "x"}, [{"field": "owner_id", "message": "must be a UUID"}]),
        (
            {"contact_name": "x" * 301},
            [{"field": "contact_name", "message": "must be at most 300 characters"}],
        ),
    ],
)
def test_the_words_of_each_refusal_stay_the_same(data, errors):
    assert refusal(lambda: domain.clean_changes(data)) == errors


def test_the_limits_themselves_are_accepted():
    clean = domain.clean_changes(
        {"score": 100, "contact_name": "x" * 300, "referrer": "r" * 2000, "notes": "n" * 20000}
    )
    assert clean["score"] == 100 and len(clean["contact_name"]) == 300
    assert domain.clean_changes({"score": 0}) == {"score": 0}


def test_data_that_is_not_an_object_is_named_so():
    with pytest.raises(ValidationFailed) as exc:
        domain.clean_changes("Ann")
    assert exc.value.message == "data: must be an object of lead fields"


def test_changed_fields_are_in_record_order_and_only_real_changes():
    current = {"contact_name": "Ann", "email": None, "notes": "hi"}
    changes = {"notes": "hi", "email": "a@b.io", "contact_name": "Anna", "region": None}
    assert domain.changed_fields(current, changes) == ["contact_name", "email"]


# --- the lead as a whole ---------------------------------------------------------------


def test_a_lead_needs_one_identifying_field_and_a_stage():
    assert refusal(lambda: domain.check_new_lead({})) == [
        {
            "field": "contact_name",
            "message": "give at least one of contact_name, account_name, email, phone",
        },
        {"field": "stage", "message": "a lead always has a stage"},
    ]
    domain.check_new_lead({"phone": "+15550100", "stage": "handoff"})


def test_a_new_lead_starts_in_qualification():
    assert refusal(lambda: domain.check_initial_stage({"stage": "handoff"})) == [
        {"field": "stage", "message": "a new lead starts in qualification"}
    ]
    domain.check_initial_stage({"stage": None})


def test_a_new_lead_is_the_callers_in_their_team_at_version_1():
    values = domain.new_lead({"contact_name": " Ann "}, rep, NEW_ID, NOW)
    assert values == {
        "contact_name": "Ann",
        "id": NEW_ID,
        "stage": "qualification",
        "owner_id": REP["id"],
        "team_id": TEAM_A,
        "version": 1,
        "created_at": NOW,
        "updated_at": NOW,
        "created_by": REP["id"],
    }


def test_a_new_lead_may_name_its_owner_or_none_and_stay_in_its_stage():
    owner = "0190e1a4-1d2b-7c3d-8e4f-0000000000e5"
    given = domain.new_lead({"email": "a@b.io", "owner_id": owner}, rep, NEW_ID, NOW)
    assert given["owner_id"] == owner
    unowned = domain.new_lead(
        {"email": "a@b.io", "owner_id": None, "stage": "qualification"}, rep, NEW_ID, NOW
    )
    assert (unowned["owner_id"], unowned["stage"]) == (None, "qualification")


def test_only_an_admin_puts_a_new_lead_in_another_team():
    with pytest.raises(PermissionDenied) as exc:
        domain.new_lead({"email": "a@b.io", "team_id": TEAM_B}, manager, NEW_ID, NOW)
    assert exc.value.message == "Only an administrator may put a lead in another team"
    assert exc.value.errors == [
        {"field": "team_id", "message": "only an administrator may set another team"}
    ]
    assert (
        domain.new_lead({"email": "a@b.io", "team_id": TEAM_A}, rep, NEW_ID, NOW)["team_id"]
        == TEAM_A
    )
    assert (
        domain.new_lead({"email": "a@b.io", "team_id": TEAM_B}, admin, NEW_ID, NOW)["team_id"]
        == TEAM_B
    )
    assert domain.new_lead({"email": "a@b.io"}, admin, NEW_ID, NOW)["team_id"] is None


def test_a_new_lead_is_checked_field_first_then_stage_then_team_then_as_a_whole():
    assert refusal(
        lambda: domain.new_lead({"email": "x", "stage": "handoff"}, rep, NEW_ID, NOW)
    ) == [{"field": "email", "message": "is not an email address"}]
    assert refusal(
        lambda: domain.new_lead({"stage": "handoff", "team_id": TEAM_B}, rep, NEW_ID, NOW)
    ) == [{"field": "stage", "message": "a new lead starts in qualification"}]
    with pytest.raises(PermissionDenied):
        domain.new_lead({"team_id": TEAM_B}, rep, NEW_ID, NOW)
    assert (
        refusal(lambda: domain.new_lead({"region": "North"}, rep, NEW_ID, NOW))[0]["field"]
        == "contact_name"
    )


# --- changing a lead -------------------------------------------------------------------

CURRENT = {"contact_name": "Ann", "stage": "qualification", "team_id": TEAM_A}


def test_only_an_admin_moves_a_lead_to_another_team():
    changes = {"team_id": TEAM_B}
    with pytest.raises(PermissionDenied) as exc:
        domain.check_lead_change(CURRENT, changes, ["team_id"], manager)
    assert exc.value.message == "Only an administrator may move a lead to another team"
    assert exc.value.errors == [
        {"field": "team_id", "message": "only an administrator may change the team"}
    ]
    domain.check_lead_change(CURRENT, changes, ["team_id"], admin)
    # the same team sent again is no move
    domain.check_lead_change(CURRENT, {"team_id": TEAM_A}, [], rep)


@pytest.mark.parametrize("stage", ["converted", "disqualified"])
def test_a_lead_is_not_closed_by_hand(stage):
    assert refusal(
        lambda: domain.check_lead_change(CURRENT, {"stage": stage}, ["stage"], admin)
    ) == [
        {
            "field": "stage",
            "message": "a lead is converted by handoff and disqualified with a reason",
        }
    ]


def test_a_closed_stage_sent_again_unchanged_and_open_stages_pass():
    closed = {**CURRENT, "stage": "converted"}
    domain.check_lead_change(closed, {"stage": "converted"}, [], rep)
    domain.check_lead_change(CURRENT, {"stage": "nurturing"}, ["stage"], rep)


def test_an_update_may_not_leave_the_lead_about_nobody():
    assert (
        refusal(
            lambda: domain.check_lead_change(CURRENT, {"contact_name": None}, ["contact_name"], rep)
        )[0]["field"]
        == "contact_name"
    )


@pytest.mark.parametrize("stage", ["converted", "disqualified"])
def test_a_closed_lead_is_read_only(stage):
    with pytest.raises(Conflict) as exc:
        domain.check_open(stage)
    assert exc.value.message == f"The lead is {stage}; a manager must reopen it before it changes"
    assert exc.value.errors == [{"field": "stage", "message": f"the lead is {stage}"}]


@pytest.mark.parametrize("stage", ["qualification", "handoff", "nurturing"])
def test_open_leads_change(stage):
    domain.check_open(stage)


def test_a_stage_must_be_one_the_process_knows():
    assert refusal(lambda: domain.check_stage("won")) == [
        {
            "field": "stage",
            "message": "must be one of qualification, distribution, handoff, awaiting_sale,"
            " converted, disqualified, nurturing",
        }
    ]
    domain.check_stage("awaiting_sale")


def test_managers_and_admins_only():
    with pytest.raises(PermissionDenied) as exc:
        domain.require_manager(rep, "reopen a lead")
    assert exc.value.message == "Only a sales manager or an administrator may reopen a lead"
    assert exc.value.errors == [{"field": "actor", "message": "only a manager may reopen a lead"}]
    domain.require_manager(manager, "reopen a lead")
    domain.require_manager(admin, "reopen a lead")
