"""The lead process's rules (``domain.process``) pinned: what a qualification, a
disqualification, a reopening and a hand-off accept and produce, word for word."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from services.leads import domain
from services.platform.errors import Conflict, DuplicatesFound, ValidationFailed

from .doubles import ACCOUNT_ID, CONTACT_ID, LEAD_ID, REP, TEAM_A, lead

OWNER = REP["id"]


def errors(call) -> list[dict[str, str]]:
    with pytest.raises(ValidationFailed) as exc:
        call()
    return exc.value.errors


# --- qualify ---------------------------------------------------------------------------


def test_a_qualification_with_existing_records():
    assert domain.clean_qualify(
        {"contact_id": CONTACT_ID, "account_id": ACCOUNT_ID, "need_type": " CRM "}
    ) == {
        "allow_duplicates": False,
        "contact_id": CONTACT_ID,
        "account_id": ACCOUNT_ID,
        "need_type": "CRM",
    }


def test_a_qualification_with_new_records():
    assert domain.clean_qualify(
        {"contact": {"full_name": "Ann"}, "account": {}, "allow_duplicates": True}
    ) == {
        "allow_duplicates": True,
        "contact": {"full_name": "Ann"},
        "account": {},
        "need_type": None,
    }
    assert domain.clean_qualify({"contact": {}, "need_type": "  "})["need_type"] is None
    assert domain.clean_qualify({"contact": {}, "need_type": "n" * 100})["need_type"] == "n" * 100


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({}, [{"field": "contact_id", "message": "pick a contact or create one"}]),
        (
            {"contact_id": CONTACT_ID, "contact": {}},
            [{"field": "contact", "message": "give contact_id or contact, not both"}],
        ),
        (
            {"contact": {}, "account_id": ACCOUNT_ID, "account": {}},
            [{"field": "account", "message": "give account_id or account, not both"}],
        ),
        ({"contact_id": "ann"}, [{"field": "contact_id", "message": "must be a UUID"}]),
        (
            {"contact": {}, "account_id": 5},
            [{"field": "account_id", "message": "must be a UUID"}],
        ),
        (
            {"contact": "Ann"},
            [{"field": "contact", "message": "must be an object of its fields"}],
        ),
        (
            {"contact": {}, "account": ["Acme"]},
            [{"field": "account", "message": "must be an object of its fields"}],
        ),
        ({"contact": {}, "need_type": 5}, [{"field": "need_type", "message": "must be a string"}]),
        (
            {"contact": {}, "need_type": "n" * 101},
            [{"field": "need_type", "message": "must be at most 100 characters"}],
        ),
        (
            {"contact": {}, "allow_duplicates": "yes"},
            [{"field": "allow_duplicates", "message": "must be true or false"}],
        ),
        (
            {"contact": {}, "stage": "handoff"},
            [{"field": "stage", "message": "unknown field"}],
        ),
    ],
)
def test_each_bad_qualification_is_named(data, expected):
    assert errors(lambda: domain.clean_qualify(data)) == expected


def test_a_qualification_is_an_object():
    assert errors(lambda: domain.clean_qualify(None)) == [
        {"field": "data", "message": "must be an object"}
    ]


def test_the_need_given_wins_and_one_is_needed():
    assert domain.qualified_need("ERP", "CRM") == "ERP"
    assert domain.qualified_need(None, "CRM") == "CRM"
    assert errors(lambda: domain.qualified_need(None, "")) == [
        {"field": "need_type", "message": "say what the lead needs"}
    ]


def test_qualifying_moves_an_owned_lead_to_handoff_else_to_distribution():
    assert domain.qualified_stage(OWNER) == "handoff"
    assert domain.qualified_stage(None) == "distribution"


def test_a_new_contact_takes_what_the_lead_knows():
    known = lead(email="ann@acme.io", phone="+15550100", contact_name="Ann Lee")
    assert domain.contact_from_lead(known, {}) == {
        "full_name": "Ann Lee",
        "emails": [{"email": "ann@acme.io", "is_primary": True}],
        "phones": [{"phone": "+15550100", "is_primary": True}],
        "owner_id": OWNER,
        "team_id": TEAM_A,
    }


def test_what_the_user_typed_wins_over_the_lead():
    known = lead(email="ann@acme.io", phone="+15550100", contact_name="Ann Lee")
    typed = {"full_name": "Anna", "emails": [], "phones": [], "owner_id": None, "team_id": None}
    assert domain.contact_from_lead(known, typed) == typed
    assert domain.contact_from_lead(lead(contact_name=None), {"full_name": ""}) == {
        "full_name": "",
        "owner_id": OWNER,
        "team_id": TEAM_A,
    }


def test_a_new_account_takes_the_leads_company():
    assert domain.account_from_lead(lead(account_name="Acme"), {}) == {
        "name": "Acme",
        "owner_id": OWNER,
        "team_id": TEAM_A,
    }
    assert domain.account_from_lead(lead(account_name="Acme"), {"name": "Acme Ltd"})["name"] == (
        "Acme Ltd"
    )
    assert "name" not in domain.account_from_lead(lead(account_name=None), {})


def test_look_alikes_in_sales_are_one_error_naming_each():
    found = [{"entity": "account", "record": {"id": "a"}}, {"entity": "contact"}]
    error = domain.duplicates_found(found)
    assert isinstance(error, DuplicatesFound)
    assert error.message == (
        "Contacts or accounts like these exist already: pick one, or create anyway"
    )
    assert error.errors == [
        {"field": "account", "message": "looks like an existing record"},
        {"field": "contact", "message": "looks like an existing record"},
    ]
    assert error.candidates == found


# --- disqualify and reopen -------------------------------------------------------------


def test_a_disqualification_reason_is_a_trimmed_code():
    assert domain.clean_disqualify_reason(" no_budget ") == "no_budget"
    for reason in (None, "", "  ", 5):
        assert errors(lambda reason=reason: domain.clean_disqualify_reason(reason)) == [
            {"field": "reason", "message": "pick a disqualification reason"}
        ]


def test_a_reason_must_be_listed_and_the_list_is_offered_sorted():
    domain.check_reason_listed("spam", {"spam", "no_budget"})
    assert errors(lambda: domain.check_reason_listed("bored", {"spam", "no_budget"})) == [
        {"field": "reason", "message": "must be one of no_budget, spam"}
    ]


def test_a_reopened_lead_goes_to_an_open_stage():
    assert domain.reopen_target(None) == "qualification"
    assert domain.reopen_target("nurturing") == "nurturing"
    message = "must be one of qualification, distribution, handoff, awaiting_sale, nurturing"
    for stage in ("converted", "disqualified", "won"):
        assert errors(lambda stage=stage: domain.reopen_target(stage)) == [
            {"field": "stage", "message": message}
        ]


def test_only_a_closed_lead_is_reopened():
    domain.check_reopenable("converted")
    domain.check_reopenable("disqualified")
    with pytest.raises(Conflict) as exc:
        domain.check_reopenable("handoff")
    assert exc.value.message == "The lead is open (handoff); there is nothing to reopen"
    assert exc.value.errors == [{"field": "stage", "message": "the lead is handoff"}]


# --- hand off --------------------------------------------------------------------------


def test_the_deal_fields_a_hand_off_may_set():
    assert domain.clean_deal(None) == {}
    assert domain.clean_deal({"title": "Big", "amount": "10", "currency": None}) == {
        "title": "Big",
        "amount": "10",
    }
    assert errors(lambda: domain.clean_deal({"stage": "won", "title": "x", "owner": 1})) == [
        {"field": "stage", "message": "unknown field"},
        {"field": "owner", "message": "unknown field"},
    ]
    assert errors(lambda: domain.clean_deal("Big")) == [
        {"field": "data", "message": "must be an object"}
    ]


def test_a_hand_off_names_every_missing_step():
    assert errors(
        lambda: domain.check_handoff(lead(contact_id=None, owner_id=None, stage="awaiting_sale"))
    ) == [
        {"field": "contact_id", "message": "qualify the lead first"},
        {"field": "owner_id", "message": "assign the lead first"},
        {"field": "stage", "message": "cannot hand off from awaiting_sale"},
    ]
    for stage in ("qualification", "distribution", "handoff", "nurturing"):
        domain.check_handoff(lead(contact_id=CONTACT_ID, stage=stage))


@pytest.mark.parametrize(
    ("fields", "title"),
    [
        ({"need_type": "CRM", "account_name": "Acme"}, "CRM: Acme"),
        ({"need_type": None, "account_name": None, "contact_name": "Ann"}, "Deal: Ann"),
        ({"contact_name": None, "email": "ann@acme.io"}, "Deal: ann@acme.io"),
        ({"contact_name": None}, "Deal: lead"),
    ],
)
def test_a_deal_is_titled_by_the_need_and_who_it_is_for(fields, title):
    assert domain.deal_title(lead(**fields)) == title


def test_a_deal_title_is_cut_to_300():
    assert domain.deal_title(lead(account_name="a" * 400)) == ("Deal: " + "a" * 400)[:300]
    assert len(domain.deal_title(lead(account_name="a" * 400))) == 300


def test_what_sales_is_asked_to_create():
    handed: Any = lead(
        contact_id=CONTACT_ID, account_id=ACCOUNT_ID, need_type="CRM", account_name="Acme"
    )
    assert domain.opportunity_data(handed, {"amount": "10"}) == {
        "title": "CRM: Acme",
        "account_id": ACCOUNT_ID,
        "contact_id": CONTACT_ID,
        "need_type": "CRM",
        "owner_id": OWNER,
        "team_id": TEAM_A,
        "lead_id": LEAD_ID,
        "amount": "10",
    }
    deal = {"title": "Big one"}
    assert domain.opportunity_data(handed, deal)["title"] == "Big one"
    assert deal == {"title": "Big one"}  # the caller's deal is left as it was
    assert domain.opportunity_data(SimpleNamespace(**vars(handed)), {"title": None})["title"] == (
        "CRM: Acme"
    )
