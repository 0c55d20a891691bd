"""Distribution's rules (``domain.distribution``) pinned: what a rule accepts, which rule
matches a lead, whose turn it is, and who may assign a lead — with the exact words."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from services.leads import domain
from services.platform.access import Actor
from services.platform.errors import PermissionDenied, ValidationFailed

from .doubles import ADMIN, MANAGER, REP, REP_B, TEAM_A, TEAM_B

U1 = "0190e1a4-1d2b-7c3d-8e4f-000000000101"
U2 = "0190e1a4-1d2b-7c3d-8e4f-000000000102"
rep, rep_b = Actor.from_dict(REP), Actor.from_dict(REP_B)
manager, admin = Actor.from_dict(MANAGER), Actor.from_dict(ADMIN)


def errors(data: Any, creating: bool = False) -> list[dict[str, str]]:
    with pytest.raises(ValidationFailed) as exc:
        domain.clean_rule(data, creating=creating)
    return exc.value.errors


# --- a rule's fields -------------------------------------------------------------------


def test_a_good_rule_comes_out_clean():
    assert domain.clean_rule(
        {
            "name": " Web ",
            "position": 0,
            "is_active": False,
            "need_type": " CRM ",
            "source": "",
            "region": None,
            "team_id": TEAM_A.upper(),
            "strategy": "least_open",
            "owner_ids": [U1.upper(), U2],
            "fixed_owner_id": "",
        },
        creating=True,
    ) == {
        "name": "Web",
        "position": 0,
        "is_active": False,
        "need_type": "CRM",
        "source": None,
        "region": None,
        "team_id": TEAM_A,
        "strategy": "least_open",
        "owner_ids": [U1, U2],
        "fixed_owner_id": None,
    }


def test_an_update_may_send_one_field():
    assert domain.clean_rule({"position": 1_000_000}, creating=False) == {"position": 1_000_000}
    assert domain.clean_rule({"owner_ids": None}, creating=False) == {"owner_ids": []}
    assert domain.clean_rule({"name": "n" * 200}, creating=False) == {"name": "n" * 200}
    assert domain.clean_rule({"region": "r" * 100}, creating=False) == {"region": "r" * 100}
    assert domain.clean_rule({"owner_ids": [U1] * 1}, creating=False) == {"owner_ids": [U1]}


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"id": "x"}, [{"field": "id", "message": "is read-only"}]),
        ({"last_index": 2}, [{"field": "last_index", "message": "is read-only"}]),
        ({"version": 2}, [{"field": "version", "message": "is read-only"}]),
        ({"colour": 2}, [{"field": "colour", "message": "unknown field"}]),
        ({"name": " "}, [{"field": "name", "message": "give the rule a name"}]),
        ({"name": 5}, [{"field": "name", "message": "give the rule a name"}]),
        ({"name": "n" * 201}, [{"field": "name", "message": "must be at most 200 characters"}]),
        ({"position": "1"}, [{"field": "position", "message": "must be a whole number"}]),
        ({"position": True}, [{"field": "position", "message": "must be a whole number"}]),
        ({"position": -1}, [{"field": "position", "message": "must be from 0 to 1000000"}]),
        ({"position": 1_000_001}, [{"field": "position", "message": "must be from 0 to 1000000"}]),
        ({"is_active": 1}, [{"field": "is_active", "message": "must be true or false"}]),
        (
            {"source": 7},
            [{"field": "source", "message": "must be a string (or null for any)"}],
        ),
        (
            {"region": "r" * 101},
            [{"field": "region", "message": "must be at most 100 characters"}],
        ),
        ({"team_id": "team"}, [{"field": "team_id", "message": "must be a UUID"}]),
        ({"fixed_owner_id": 5}, [{"field": "fixed_owner_id", "message": "must be a UUID"}]),
        (
            {"strategy": "random"},
            [
                {
                    "field": "strategy",
                    "message": "must be one of round_robin, least_open, fixed_owner",
                }
            ],
        ),
        ({"owner_ids": U1}, [{"field": "owner_ids", "message": "must be a list of user ids"}]),
        ({"owner_ids": [U1, "bob"]}, [{"field": "owner_ids", "message": "'bob' is not a UUID"}]),
        (
            {"owner_ids": [U1, U1.upper()]},
            [{"field": "owner_ids", "message": f"{U1} is listed twice"}],
        ),
    ],
)
def test_each_bad_field_is_named_with_why(data, expected):
    assert errors(data) == expected


def test_at_most_200_owners():
    owners = [f"0190e1a4-1d2b-7c3d-8e4f-{i:012d}" for i in range(201)]
    assert errors({"owner_ids": owners}) == [
        {"field": "owner_ids", "message": "at most 200 owners"}
    ]
    assert len(domain.clean_rule({"owner_ids": owners[:200]}, creating=False)["owner_ids"]) == 200


def test_a_new_rule_needs_a_name_and_a_strategy_and_every_problem_is_told():
    assert errors({}, creating=True) == [
        {"field": "name", "message": "give the rule a name"},
        {"field": "strategy", "message": "pick one of round_robin, least_open, fixed_owner"},
    ]
    assert errors({"name": "x", "position": -1}, creating=True) == [
        {"field": "position", "message": "must be from 0 to 1000000"},
        {"field": "strategy", "message": "pick one of round_robin, least_open, fixed_owner"},
    ]
    assert errors({"strategy": "fixed_owner"}, creating=True) == [
        {"field": "name", "message": "give the rule a name"}
    ]


def test_rule_data_must_be_an_object():
    assert errors(["name"]) == [{"field": "data", "message": "must be an object of rule fields"}]


def test_a_new_rule_matches_any_lead_and_is_active_unless_told():
    assert domain.new_rule({"name": "x", "strategy": "fixed_owner", "region": "North"}) == {
        "is_active": True,
        "need_type": None,
        "source": None,
        "region": "North",
        "team_id": None,
        "owner_ids": [],
        "fixed_owner_id": None,
        "name": "x",
        "strategy": "fixed_owner",
    }


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        (
            {"strategy": "round_robin", "owner_ids": []},
            "owner_ids",
            "round_robin needs at least one owner to choose from",
        ),
        (
            {"strategy": "least_open"},
            "owner_ids",
            "least_open needs at least one owner to choose from",
        ),
        (
            {"strategy": "fixed_owner", "fixed_owner_id": None},
            "fixed_owner_id",
            "fixed_owner needs the owner's id",
        ),
    ],
)
def test_a_rule_needs_someone_to_choose(values, field, message):
    with pytest.raises(ValidationFailed) as exc:
        domain.check_rule(values)
    assert exc.value.errors == [{"field": field, "message": message}]


def test_a_rule_with_someone_to_choose_passes():
    domain.check_rule({"strategy": "round_robin", "owner_ids": [U1]})
    domain.check_rule({"strategy": "least_open", "owner_ids": [U1]})
    domain.check_rule({"strategy": "fixed_owner", "fixed_owner_id": U1})


def test_only_settings_that_differ_are_changes():
    current = {"name": "A", "position": 1, "owner_ids": [U1], "is_active": True}
    changes = {"owner_ids": [U1], "position": 2, "name": "B"}
    assert domain.distribution_rule_changes(current, changes) == ["name", "position"]


# --- matching and choosing -------------------------------------------------------------


def rule(**kw: Any) -> SimpleNamespace:
    return SimpleNamespace(
        **{"is_active": True, "need_type": None, "source": None, "region": None, "team_id": None}
        | kw
    )


LEAD = SimpleNamespace(need_type="CRM", source="Web ", region=None, team_id=TEAM_A)


@pytest.mark.parametrize(
    ("conditions", "matches"),
    [
        ({}, True),
        ({"need_type": " crm"}, True),
        ({"source": "WEB"}, True),
        ({"need_type": "ERP"}, False),
        ({"region": "North"}, False),  # the lead has no region
        ({"team_id": TEAM_A}, True),
        ({"team_id": TEAM_B}, False),
        ({"need_type": "crm", "team_id": TEAM_B}, False),
    ],
)
def test_every_condition_a_rule_sets_must_hold(conditions, matches):
    assert domain.rule_matches(rule(**conditions), LEAD) is matches


def test_the_first_active_matching_rule_decides():
    rules = [rule(id=1, is_active=False), rule(id=2, source="fair"), rule(id=3), rule(id=4)]
    assert domain.first_matching(rules, LEAD).id == 3
    assert domain.first_matching(rules[:2], LEAD) is None


def test_no_matching_rule_says_what_the_rules_looked_at():
    error = domain.no_rule_matches(SimpleNamespace(need_type=None, source="web", region=""))
    assert error.errors == [
        {
            "field": "owner_id",
            "message": "no active distribution rule matches this lead (need type -, source web,"
            " region -); add a rule or give an owner_id",
        }
    ]


def test_round_robin_goes_round():
    assert [domain.next_round_robin(["a", "b", "c"], i) for i in (-1, 0, 1, 2)] == [0, 1, 2, 0]
    assert domain.next_round_robin(["a"], 0) == 0
    assert domain.next_round_robin(["a", "b"], 3) == 0  # the list got shorter meanwhile


def test_the_least_loaded_owner_wins_and_ties_go_to_the_first():
    assert domain.least_loaded(["a", "b", "c"], {"a": 2, "b": 1, "c": 1}) == "b"
    assert domain.least_loaded(["a", "b"], {"a": 1}) == "b"
    assert domain.least_loaded(["b", "a"], {}) == "b"


# --- assigning -------------------------------------------------------------------------


def test_what_an_assignment_asks_for():
    assert domain.clean_assign(None) is None
    assert domain.clean_assign({}) is None
    assert domain.clean_assign({"owner_id": U1.upper()}) == U1
    with pytest.raises(ValidationFailed) as exc:
        domain.clean_assign({"owner_id": "bob", "why": 1})
    assert exc.value.errors == [{"field": "why", "message": "unknown field"}]
    with pytest.raises(ValidationFailed) as exc:
        domain.clean_assign({"owner_id": None})
    assert exc.value.errors == [
        {
            "field": "owner_id",
            "message": "must be a user's id (send {} to assign by the distribution rules)",
        }
    ]
    with pytest.raises(ValidationFailed) as exc:
        domain.clean_assign([U1])
    assert exc.value.errors == [
        {"field": "data", "message": "must be {} (by the rules) or {owner_id}"}
    ]


def test_who_lets_the_rules_reassign_a_lead():
    domain.require_assign_by_rules(rep, REP["id"], TEAM_A)  # their own
    domain.require_assign_by_rules(rep, None, TEAM_A)  # unowned
    domain.require_assign_by_rules(manager, REP_B["id"], None)
    with pytest.raises(PermissionDenied) as exc:
        domain.require_assign_by_rules(rep, REP_B["id"], TEAM_A)
    assert exc.value.message == "You may not reassign this lead"
    assert exc.value.errors == [{"field": "lead_id", "message": "only its owner or a manager may"}]


def test_who_assigns_by_hand():
    domain.require_assign_by_hand(admin, REP_B["id"], TEAM_B, U1)
    domain.require_assign_by_hand(manager, REP["id"], TEAM_A, U1)
    domain.require_assign_by_hand(rep, REP["id"], TEAM_A, U1)  # hands their own on
    domain.require_assign_by_hand(rep, None, TEAM_A, REP["id"])  # takes an unowned one
    with pytest.raises(PermissionDenied) as exc:
        domain.require_assign_by_hand(rep, None, TEAM_A, U1)
    message = "A sales rep may take an unowned lead or hand on their own"
    assert exc.value.message == message
    assert exc.value.errors == [{"field": "owner_id", "message": message}]
    with pytest.raises(PermissionDenied) as exc:
        domain.require_assign_by_hand(rep, REP_B["id"], TEAM_A, REP["id"])
    message = "Only the lead's owner or a manager may reassign it"
    assert exc.value.errors == [{"field": "owner_id", "message": message}]
    with pytest.raises(PermissionDenied):
        domain.require_assign_by_hand(manager, U1, TEAM_B, U2)


def test_a_lead_assigned_by_hand_keeps_its_team_or_joins_the_assigners():
    assert domain.team_by_hand(TEAM_B, manager) == TEAM_B
    assert domain.team_by_hand(None, manager) == TEAM_A
    assert domain.team_by_hand(None, admin) is None


@pytest.mark.parametrize("limit", [1, 500, 5000])
def test_a_distribution_takes_1_to_5000_leads(limit):
    assert domain.clean_distribute_limit(limit) == limit


@pytest.mark.parametrize("limit", [0, 5001, "10", True, None])
def test_other_limits_are_refused(limit):
    with pytest.raises(ValidationFailed) as exc:
        domain.clean_distribute_limit(limit)
    assert exc.value.errors == [
        {"field": "limit", "message": "must be a whole number from 1 to 5000"}
    ]


def test_every_bad_field_is_told_after_an_unknown_one():
    assert errors({"colour": 1, "position": -1}) == [
        {"field": "colour", "message": "unknown field"},
        {"field": "position", "message": "must be from 0 to 1000000"},
    ]


def test_a_lead_without_a_source_says_so():
    error = domain.no_rule_matches(SimpleNamespace(need_type="CRM", source=None, region="North"))
    assert error.errors[0]["message"] == (
        "no active distribution rule matches this lead (need type CRM, source -, region North);"
        " add a rule or give an owner_id"
    )


def test_any_index_before_the_first_starts_at_the_first():
    assert domain.next_round_robin(["a", "b", "c"], -2) == 0


def test_a_manager_does_not_let_the_rules_take_another_teams_lead():
    with pytest.raises(PermissionDenied):
        domain.require_assign_by_rules(manager, REP_B["id"], TEAM_B)
