"""Look-alikes, merges and lookups as rules (``domain.duplicates``, ``domain.lookups``):
how alike two leads are, what a merge fills, and what a lookup entry accepts."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from services.leads import domain
from services.platform.errors import Conflict, NotFound, ValidationFailed

from .doubles import LEAD_ID, OTHER_ID

# --- look-alikes -----------------------------------------------------------------------


def test_each_exact_value_counts_one_and_the_name_its_similarity():
    values = {"email": "ann@acme.io", "phone": "+15550100"}
    other = {"email": "ann@acme.io", "phone": "+15550100"}
    assert domain.score_candidate(values, other, 0.5, 0.8) == {
        "score": 2.9,
        "reasons": ["email", "phone", "name", "company"],
    }


def test_the_thresholds_are_inclusive():
    assert domain.score_candidate({}, {}, 0.4, 0.4) == {
        "score": 0.6,
        "reasons": ["name", "company"],
    }
    assert domain.score_candidate({}, {}, 0.39, None) is None


def test_a_like_company_alone_makes_no_look_alike():
    assert domain.score_candidate({"email": None}, {"email": None}, None, 0.9) is None
    assert domain.score_candidate({"phone": "+1"}, {"phone": "+2"}, 0.1, 0.9) is None


def test_the_score_is_rounded_to_four_places():
    assert domain.score_candidate({}, {}, 0.444444, 0.3)["score"] == 0.4444


def test_the_best_come_first_ties_by_id_at_most_ten():
    found = [{"record": {"id": f"{i:02d}"}, "score": 1.0 if i % 2 else 2.0} for i in range(12)]
    best = domain.best_candidates(found)
    assert [f["record"]["id"] for f in best] == [
        "00",
        "02",
        "04",
        "06",
        "08",
        "10",
        "01",
        "03",
        "05",
        "07",
    ]


def test_a_merge_fills_only_the_empty_fields_oldest_first():
    kept = {"id": "k", "email": "", "phone": None, "region": "North", "notes": None, "score": None}
    others = [
        {"email": None, "phone": "+15550100", "region": "South", "score": 40},
        {"email": "ann@acme.io", "phone": "+15550199", "notes": "hi"},
    ]
    assert domain.merged_values(kept, others) == {
        "phone": "+15550100",
        "email": "ann@acme.io",
        "notes": "hi",
    }


def test_an_empty_text_of_a_merged_lead_fills_nothing():
    kept = {"region": None, "notes": ""}
    others = [{"region": "", "notes": []}, {"region": "North", "notes": "hi"}]
    assert domain.merged_values(kept, others) == {"region": "North", "notes": "hi"}


def test_the_merge_never_copies_identity_stage_times_or_score():
    kept = dict.fromkeys(domain.FIELD_NAMES)
    other = {name: f"v-{name}" for name in domain.FIELD_NAMES}
    filled = domain.merged_values(kept, [other])
    assert set(filled) == set(domain.FIELD_NAMES) - domain.NOT_FILLED
    assert "stage" not in filled and "score_reasons" not in filled


def test_what_a_merged_lead_gave():
    assert domain.filled_from({"email": "a", "phone": "p"}, {"email": "a", "phone": "q"}) == [
        "email"
    ]


def test_merge_ids():
    assert domain.clean_merge_ids(LEAD_ID, [OTHER_ID]) == [LEAD_ID, OTHER_ID]
    twenty = [f"0190e1a4-1d2b-7c3d-8e4f-{i:012d}" for i in range(20)]
    assert len(domain.clean_merge_ids(LEAD_ID, twenty)) == 21
    with pytest.raises(ValidationFailed) as exc:
        domain.clean_merge_ids(LEAD_ID, [*twenty, OTHER_ID])
    assert exc.value.errors == [{"field": "lead_ids", "message": "merge at most 20 leads at once"}]
    with pytest.raises(ValidationFailed) as exc:
        domain.clean_merge_ids(LEAD_ID, OTHER_ID)
    assert exc.value.errors[0]["message"] == "give the ids of the leads to merge into this one"
    with pytest.raises(ValidationFailed) as exc:
        domain.clean_merge_ids(LEAD_ID, [OTHER_ID, OTHER_ID])
    assert exc.value.errors[0]["message"] == "a lead cannot be merged with itself"


def test_one_deal_at_most():
    domain.check_one_deal([None, "d1", "d1", None])
    domain.check_one_deal([None, None])
    with pytest.raises(Conflict) as exc:
        domain.check_one_deal(["d1", None, "d2"])
    assert exc.value.message == (
        "These leads were handed off to different deals; merge the deals instead"
    )
    assert exc.value.errors == [{"field": "lead_ids", "message": "handed off to different deals"}]


# --- lookups ---------------------------------------------------------------------------


def test_the_five_lists_and_no_other():
    for kind in ("source", "channel", "disqualification_reason", "need_type", "loss_reason"):
        domain.check_kind(kind)
    with pytest.raises(NotFound) as exc:
        domain.check_kind("colour")
    assert exc.value.message == "No lookup list named 'colour'"
    assert exc.value.errors == [
        {
            "field": "kind",
            "message": "must be one of source, channel, disqualification_reason, need_type,"
            " loss_reason",
        }
    ]


def test_defaults_come_a_step_apart_in_order():
    reasons = domain.default_lookups("disqualification_reason")
    assert reasons[0] == {"code": "no_budget", "name": "No budget", "position": 10}
    assert reasons[-1] == {"code": "spam", "name": "Spam", "position": 60}
    assert [r["position"] for r in reasons] == [10, 20, 30, 40, 50, 60]
    assert domain.default_lookups("colour") == []


def test_a_good_entry_comes_out_clean():
    assert domain.clean_new_lookup(
        {"code": " trade_fair_2 ", "name": " Trade fair ", "position": 0, "is_active": False}
    ) == {"code": "trade_fair_2", "name": "Trade fair", "position": 0, "is_active": False}
    assert domain.clean_lookup(
        {"position": 1_000_000, "name": "n" * 200}, domain.LOOKUP_UPDATE_FIELDS
    ) == {"position": 1_000_000, "name": "n" * 200}
    assert domain.clean_new_lookup({"code": "a" * 100, "name": "A"})["code"] == "a" * 100


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            {"code": "x", "name": "X", "colour": 1},
            [{"field": "colour", "message": "unknown field"}],
        ),
        (
            {"code": "Trade Fair", "name": "X"},
            [
                {
                    "field": "code",
                    "message": "must be lower_snake_case letters, digits and _ (at most 100)",
                }
            ],
        ),
        (
            {"code": "_x", "name": "X"},
            [
                {
                    "field": "code",
                    "message": "must be lower_snake_case letters, digits and _ (at most 100)",
                }
            ],
        ),
        (
            {"code": "a" * 101, "name": "X"},
            [
                {
                    "field": "code",
                    "message": "must be lower_snake_case letters, digits and _ (at most 100)",
                }
            ],
        ),
        ({"code": "x", "name": " "}, [{"field": "name", "message": "must be a non-empty string"}]),
        (
            {"code": "x", "name": "n" * 201},
            [{"field": "name", "message": "must be at most 200 characters"}],
        ),
        (
            {"code": "x", "name": "X", "position": 1.5},
            [{"field": "position", "message": "must be a whole number"}],
        ),
        (
            {"code": "x", "name": "X", "position": False},
            [{"field": "position", "message": "must be a whole number"}],
        ),
        (
            {"code": "x", "name": "X", "position": -1},
            [{"field": "position", "message": "must be between 0 and 1000000"}],
        ),
        (
            {"code": "x", "name": "X", "position": 1_000_001},
            [{"field": "position", "message": "must be between 0 and 1000000"}],
        ),
        (
            {"code": "x", "name": "X", "is_active": "no"},
            [{"field": "is_active", "message": "must be true or false"}],
        ),
        # a bad field is told before what is missing
        ({"name": 5}, [{"field": "name", "message": "must be a non-empty string"}]),
        ({"name": "X"}, [{"field": "code", "message": "is required"}]),
        (
            {},
            [
                {"field": "code", "message": "is required"},
                {"field": "name", "message": "is required"},
            ],
        ),
    ],
)
def test_each_bad_entry_is_named(data, expected):
    with pytest.raises(ValidationFailed) as exc:
        domain.clean_new_lookup(data)
    assert exc.value.errors == expected


def test_a_code_never_changes():
    with pytest.raises(ValidationFailed) as exc:
        domain.clean_lookup({"code": "web", "name": "Web"}, domain.LOOKUP_UPDATE_FIELDS)
    assert exc.value.errors == [{"field": "code", "message": "cannot change: leads store it"}]
    with pytest.raises(ValidationFailed) as exc:
        domain.clean_lookup(["code"], domain.LOOKUP_UPDATE_FIELDS)
    assert exc.value.errors == [{"field": "data", "message": "must be an object"}]


def test_a_new_entry_goes_a_step_after_the_last():
    assert domain.next_position([30, 70, 10]) == 80
    assert domain.next_position([]) == 10


def test_only_what_differs_is_a_change():
    current = SimpleNamespace(name="Web", position=10, is_active=True)
    assert domain.lookup_changes(current, {"is_active": False, "name": "Web", "position": 10}) == [
        "is_active"
    ]


def test_the_words_of_a_taken_code_and_a_code_in_use():
    taken = domain.code_taken("disqualification_reason", "spam")
    assert taken.message == "The disqualification reason list has the code 'spam' already"
    assert taken.errors == [{"field": "code", "message": "exists already in this list"}]
    uses = domain.uses_text(
        [("lead", "leads", 1), ("web form", "web forms", 0), ("rule", "rules", 2)]
    )
    assert uses == ["1 lead", "2 rules"]
    in_use = domain.code_in_use("web", uses)
    assert in_use.message == "'web' is in use (1 lead, 2 rules); deactivate it instead"
    assert in_use.errors == [{"field": "code", "message": "is in use: 1 lead, 2 rules"}]
    assert isinstance(in_use, Conflict)
