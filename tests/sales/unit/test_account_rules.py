"""Account and contact rules beyond their fields (services/sales/domain/accounts.py and
merges.py): the parent, careers, what makes two alike, and what a merge keeps."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pytest

from services.platform.errors import Conflict, DuplicatesFound, ValidationFailed
from services.sales import domain
from services.sales.domain import ACCOUNT, CONTACT

A = "0196f5c4-0000-7000-8000-0000000000a1"
B = "0196f5c4-0000-7000-8000-0000000000a2"


def errors(exc: pytest.ExceptionInfo) -> list[dict[str, str]]:
    return exc.value.errors


def test_an_account_is_not_its_own_parent():
    with pytest.raises(ValidationFailed) as exc:
        domain.check_parent(A, A)
    assert errors(exc) == [{"field": "parent_id", "message": "an account cannot be its own parent"}]
    assert str(exc.value) == "parent_id: an account cannot be its own parent"
    domain.check_parent(A, B)
    domain.check_parent(A, None)
    domain.check_parent(None, None)


# --- careers ---------------------------------------------------------------------------------


def test_a_career_is_normalized():
    assert domain.clean_career({"account_id": A.upper()}) == {
        "account_id": A,
        "job_title": None,
        "is_primary": False,
        "start_date": None,
        "end_date": None,
    }
    clean = domain.clean_career(
        {
            "account_id": A,
            "job_title": "  CTO ",
            "is_primary": True,
            "start_date": " 2024-01-31 ",
            "end_date": "2024-01-31",
        }
    )
    assert clean == {
        "account_id": A,
        "job_title": "CTO",
        "is_primary": True,
        "start_date": date(2024, 1, 31),
        "end_date": date(2024, 1, 31),
    }
    assert domain.clean_career({"account_id": A, "job_title": "   "})["job_title"] is None
    title = "t" * 200
    assert domain.clean_career({"account_id": A, "job_title": f" {title} "})["job_title"] == title


def test_a_career_reports_every_problem():
    with pytest.raises(ValidationFailed) as exc:
        domain.clean_career(
            {
                "account_id": "acme",
                "job_title": 5,
                "is_primary": "yes",
                "start_date": 20240101,
                "end_date": "2024-13-01",
                "salary": 1,
            }
        )
    assert errors(exc) == [
        {"field": "salary", "message": "unknown field"},
        {"field": "account_id", "message": "must be a UUID"},
        {"field": "job_title", "message": "must be a string"},
        {"field": "is_primary", "message": "must be true or false"},
        {"field": "start_date", "message": "must be a date (YYYY-MM-DD)"},
        {"field": "end_date", "message": "must be a date (YYYY-MM-DD)"},
    ]
    with pytest.raises(ValidationFailed) as exc:
        domain.clean_career({"account_id": A, "job_title": "t" * 201})
    assert errors(exc) == [{"field": "job_title", "message": "must be at most 200 characters"}]
    with pytest.raises(ValidationFailed) as exc:
        domain.clean_career({"account_id": A, "start_date": "2024-02-01", "end_date": "2024-01-31"})
    assert errors(exc) == [{"field": "end_date", "message": "must not be before start_date"}]
    with pytest.raises(ValidationFailed) as exc:
        domain.clean_career({})
    assert errors(exc) == [{"field": "account_id", "message": "must be a UUID"}]
    with pytest.raises(ValidationFailed) as exc:
        domain.clean_career(["acme"])
    assert errors(exc) == [{"field": "data", "message": "must be an object of career fields"}]


def test_a_career_with_one_date_is_fine():
    assert domain.clean_career({"account_id": A, "end_date": "2020-01-01"})["end_date"] == date(
        2020, 1, 1
    )
    assert domain.clean_career({"account_id": A, "start_date": "2020-01-01"})["end_date"] is None


# --- duplicates ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("web", "host"),
    [
        ("https://www.Acme.io/about", "acme.io"),
        ("acme.io", "acme.io"),
        ("WWW.Acme.io:8080", "acme.io"),
        ("http://shop.acme.io?x=1", "shop.acme.io"),
        ("ftp://files.acme.io#top", "files.acme.io"),
        ("https://", None),
        ("", None),
        (None, None),
    ],
)
def test_a_web_domain_is_the_host_without_scheme_and_www(web, host):
    assert domain.web_domain(web) == host


def test_allow_duplicates_is_true_or_false():
    assert domain.parse_allow(True) is True
    assert domain.parse_allow(False) is False
    for bad in ("true", 1, None):
        with pytest.raises(ValidationFailed) as exc:
            domain.parse_allow(bad)
        assert errors(exc) == [{"field": "allow_duplicates", "message": "must be true or false"}]


def test_a_candidate_scores_one_per_exact_match_and_its_name_similarity():
    record = {"id": A}
    assert domain.candidate(record, ["email", "phone"], None) == {
        "record": record,
        "score": 2.0,
        "reasons": ["email", "phone"],
    }
    assert domain.candidate(record, [], 0.39) == {"record": record, "score": 0.0, "reasons": []}
    assert domain.candidate(record, [], 0.4) == {
        "record": record,
        "score": 0.4,
        "reasons": ["name"],
    }
    assert domain.candidate(record, ["email"], 0.654321) == {
        "record": record,
        "score": 1.6543,
        "reasons": ["email", "name"],
    }


def test_the_best_candidates_have_a_reason_and_come_best_first():
    def found(record_id: str, score: float, reasons: list[str]) -> dict:
        return {"record": {"id": record_id}, "score": score, "reasons": reasons}

    assert domain.best(
        [found("b", 1.0, ["email"]), found("a", 1.0, ["phone"]), found("c", 0, [])]
    ) == [
        found("a", 1.0, ["phone"]),
        found("b", 1.0, ["email"]),
    ]
    assert [
        f["score"] for f in domain.best([found("a", 0.5, ["name"]), found("b", 2.0, ["x"])])
    ] == [
        2.0,
        0.5,
    ]
    many = [found(f"r{i:02d}", float(i), ["email"]) for i in range(12)]
    best = domain.best(many)
    assert len(best) == domain.MAX_SIMILAR == 10
    assert [f["record"]["id"] for f in best][:2] == ["r11", "r10"]
    assert best[-1]["record"]["id"] == "r02"


def test_duplicates_are_refused_with_the_candidates():
    domain.refuse_duplicates(ACCOUNT, [])
    one = [{"record": {"id": A}, "score": 1.0, "reasons": ["email"]}]
    with pytest.raises(DuplicatesFound) as exc:
        domain.refuse_duplicates(ACCOUNT, one)
    assert str(exc.value) == (
        "1 account like this one exists already; open it instead, or send "
        "allow_duplicates to create it anyway"
    )
    assert exc.value.candidates == one and exc.value.errors == []
    with pytest.raises(DuplicatesFound) as exc:
        domain.refuse_duplicates(CONTACT, one * 2)
    assert str(exc.value).startswith("2 contacts like this one exist already; open it instead")


# --- merges ----------------------------------------------------------------------------------


def test_empty_means_none_an_empty_text_or_an_empty_list():
    assert domain.is_empty(None) and domain.is_empty("") and domain.is_empty([])
    assert not domain.is_empty(0) and not domain.is_empty("x") and not domain.is_empty([{}])
    assert not domain.is_empty(False)


def test_the_kept_record_fills_its_empty_fields_from_the_merged_one():
    fields = {name: None for name in ACCOUNT.field_names}
    kept = SimpleNamespace(**{**fields, "name": "Acme", "industry": "", "addresses": []})
    merged = SimpleNamespace(
        **{
            **fields,
            "id": B,
            "name": "Acme Ltd",
            "industry": "Retail",
            "web": "acme.io",
            "addresses": [{"city": "Berlin"}],
            "version": 7,
        }
    )
    assert domain.filled(ACCOUNT, kept, merged) == {"industry": "Retail", "web": "acme.io"}


def test_lists_are_united_without_repeats_and_with_one_primary():
    def key(item):
        return item["email"]

    mine = [{"email": "a@x.io", "is_primary": False}]
    theirs = [{"email": "a@x.io", "is_primary": True}, {"email": "b@x.io", "is_primary": True}]
    united = domain.unite(mine, theirs, key)
    assert united == [
        {"email": "a@x.io", "is_primary": True},
        {"email": "b@x.io", "is_primary": False},
    ]
    assert mine == [{"email": "a@x.io", "is_primary": False}]  # the inputs stay as they were
    assert theirs[1]["is_primary"] is True
    kept_primary = [{"email": "a@x.io", "is_primary": True}]
    assert domain.unite(kept_primary, [{"email": "c@x.io", "is_primary": True}], key) == [
        {"email": "a@x.io", "is_primary": True},
        {"email": "c@x.io", "is_primary": False},
    ]
    assert domain.unite(
        [], [{"email": "c@x.io", "is_primary": True}, {"email": "c@x.io"}], key
    ) == [{"email": "c@x.io", "is_primary": True}]
    two_new = [{"email": "c@x.io", "is_primary": True}, {"email": "d@x.io", "is_primary": True}]
    assert domain.unite([], two_new, key) == [
        {"email": "c@x.io", "is_primary": True},
        {"email": "d@x.io", "is_primary": False},
    ]
    neither = [{"email": "a@x.io", "is_primary": False}]
    assert domain.unite(neither, neither, key) == neither
    assert domain.unite([{"email": "a@x.io"}], [{"email": "d@x.io"}], key) == [
        {"email": "a@x.io"},
        {"email": "d@x.io"},
    ]


def test_addresses_are_the_same_when_all_their_parts_are():
    address = {"kind": "billing", "street": "Main 1", "city": "Berlin", "country": "DE"}
    assert domain.address_key(address) == ("billing", "Main 1", "Berlin", None, None, "DE")
    assert domain.address_key({**address, "postcode": "10115"}) != domain.address_key(address)


def test_a_merge_keeps_at_most_twenty_items_in_a_list():
    domain.check_list_size(CONTACT, "emails", [{}] * 20)
    with pytest.raises(Conflict) as exc:
        domain.check_list_size(CONTACT, "emails", [{}] * 21)
    message = "together they have 21, more than 20; remove some first"
    assert str(exc.value) == f"The contacts cannot be merged: emails: {message}"
    assert exc.value.errors == [{"field": "emails", "message": message}]
