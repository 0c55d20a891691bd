"""The rules every sales record keeps (services/sales/domain/records.py): list fields
(addresses, emails, phones, product lines), a new record's defaults, the team rule."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from services.platform.access import Actor
from services.platform.errors import PermissionDenied, ValidationFailed
from services.platform.fields import Entity, EntityField
from services.sales import domain
from services.sales.domain import ACCOUNT, CONTACT, OPPORTUNITY

PRODUCT = "0196f5c4-0000-7000-8000-0000000000c1"
TEAM = "0196f5c4-0000-7000-8000-0000000000f1"
OTHER_TEAM = "0196f5c4-0000-7000-8000-0000000000f2"
REP = Actor.from_dict(
    {"id": "0196f5c4-0000-7000-8000-00000000000a", "roles": ["sales_rep"], "team_id": TEAM}
)
ADMIN = Actor.from_dict({"id": "0196f5c4-0000-7000-8000-00000000000c", "roles": ["admin"]})
NOW = datetime(2026, 3, 2, 9, tzinfo=UTC)


def errors_of(entity, data) -> dict[str, str]:
    with pytest.raises(ValidationFailed) as exc:
        domain.clean_changes(entity, data)
    return {e["field"]: e["message"] for e in exc.value.errors}


def list_errors(name: str, value) -> tuple[list, list[dict[str, str]]]:
    """A list field's items and the problems found, as the cleaner reports them."""
    spec = {f.name: f for f in (*ACCOUNT.fields, *CONTACT.fields, *OPPORTUNITY.fields)}[name]
    errors: list[dict[str, str]] = []
    return domain.clean_list(spec, value, errors), errors


# --- lists -----------------------------------------------------------------------------------


def test_a_list_is_a_list_of_at_most_twenty_objects():
    assert list_errors("emails", None) == ([], [])
    assert list_errors("emails", "a@b.io") == (
        [],
        [{"field": "emails", "message": "must be a list"}],
    )
    twenty = [{"email": f"u{i}@b.io"} for i in range(20)]
    clean, errors = list_errors("emails", twenty)
    assert errors == [] and len(clean) == 20
    assert list_errors("emails", [*twenty, {"email": "x@b.io"}]) == (
        [],
        [{"field": "emails", "message": "may hold at most 20 items"}],
    )
    clean, errors = list_errors("phones", ["+15550100000", {"phone": "+15550100001"}])
    assert errors == [{"field": "phones[0]", "message": "must be an object"}]
    assert clean == [{"phone": "+15550100001", "kind": "work", "is_primary": False}]


def test_at_most_one_email_or_phone_is_primary():
    one = [{"email": "a@b.io", "is_primary": True}, {"email": "c@d.io"}]
    assert list_errors("emails", one)[1] == []
    two = [
        {"phone": "+15550100000", "is_primary": True},
        {"phone": "+15550100001", "is_primary": True},
    ]
    assert list_errors("phones", two)[1] == [
        {"field": "phones", "message": "at most one may be primary"}
    ]


def test_an_address_keeps_its_parts_trimmed_and_its_kind():
    clean, errors = list_errors(
        "addresses", [{"street": "  Main St 1 ", "postcode": "", "country": "DE"}]
    )
    assert errors == []
    assert clean == [
        {
            "kind": "other",
            "street": "Main St 1",
            "city": None,
            "region": None,
            "postcode": None,
            "country": "DE",
        }
    ]
    clean, errors = list_errors("addresses", [{"kind": "shipping"}])
    assert clean[0]["kind"] == "shipping" and errors == []


def test_an_address_reports_each_bad_part():
    clean, errors = list_errors(
        "addresses", [{"kind": "home", "city": 10, "zip": "1", "street": "x" * 301}]
    )
    assert errors == [
        {"field": "addresses[0].zip", "message": "unknown field"},
        {
            "field": "addresses[0].kind",
            "message": "must be one of billing, shipping, office, other",
        },
        {"field": "addresses[0].street", "message": "must be at most 300 characters"},
        {"field": "addresses[0].city", "message": "must be a string"},
    ]


def test_an_address_checks_every_part_after_a_bad_one():
    _, errors = list_errors("addresses", [{"street": 5, "country": "x" * 101}])
    assert errors == [
        {"field": "addresses[0].street", "message": "must be a string"},
        {"field": "addresses[0].country", "message": "must be at most 100 characters"},
    ]


@pytest.mark.parametrize(
    ("part", "longest"),
    [("street", 300), ("city", 100), ("region", 100), ("postcode", 20), ("country", 100)],
)
def test_each_address_part_holds_exactly_its_longest_text(part, longest):
    clean, errors = list_errors("addresses", [{part: " " + "x" * longest + " "}])
    assert errors == [] and clean[0][part] == "x" * longest
    _, errors = list_errors("addresses", [{part: "x" * (longest + 1)}])
    assert errors == [
        {"field": f"addresses[0].{part}", "message": f"must be at most {longest} characters"}
    ]


def test_an_email_or_phone_entry_is_normalized_with_its_kind():
    clean, errors = list_errors(
        "emails", [{"email": " Ann@Acme.IO ", "kind": "personal", "is_primary": True}]
    )
    assert errors == []
    assert clean == [{"email": "ann@acme.io", "kind": "personal", "is_primary": True}]
    clean, _ = list_errors("phones", [{"phone": "8 (800) 555-35-35"}])
    assert clean == [{"phone": "+88005553535", "kind": "work", "is_primary": False}]
    clean, _ = list_errors("phones", [{"phone": "+15550100000", "kind": "mobile"}])
    assert clean[0]["kind"] == "mobile"


def test_an_email_or_phone_entry_reports_each_problem():
    clean, errors = list_errors(
        "emails",
        [{"email": "  ", "kind": "mobile", "is_primary": "yes", "label": "x"}, {"kind": "work"}],
    )
    assert errors == [
        {"field": "emails[0].label", "message": "unknown field"},
        {"field": "emails[0].email", "message": "is required"},
        {"field": "emails[0].kind", "message": "must be one of work, personal, other"},
        {"field": "emails[0].is_primary", "message": "must be true or false"},
        {"field": "emails[1].email", "message": "is required"},
    ]
    assert clean[0] == {"kind": "mobile", "is_primary": False}
    _, errors = list_errors("phones", [{"phone": "12", "kind": "fax"}, {"phone": 5}])
    assert [e["field"] for e in errors] == ["phones[0].phone", "phones[0].kind", "phones[1].phone"]
    assert errors[1]["message"] == "must be one of work, mobile, home, other"
    assert errors[2]["message"] == "is required"
    _, errors = list_errors("emails", [{"email": "nope"}])
    assert errors[0]["field"] == "emails[0].email" and errors[0]["message"] != "is required"


# --- product lines ----------------------------------------------------------------------------


def test_a_product_line_is_stored_as_strings():
    clean, errors = list_errors(
        "lines", [{"product_id": PRODUCT.upper(), "quantity": 2, "price": "10.5"}]
    )
    assert errors == []
    assert clean == [{"product_id": PRODUCT, "quantity": "2.000", "price": "10.50"}]
    clean, _ = list_errors("lines", [{"product_id": PRODUCT, "quantity": "0.001", "price": 0}])
    assert clean == [{"product_id": PRODUCT, "quantity": "0.001", "price": "0.00"}]


def test_a_product_line_reports_each_problem():
    _, errors = list_errors("lines", [{"product_id": "p1", "quantity": "0", "tax": 1,
                                       "discount": 101}])  # fmt: skip
    assert errors == [
        {"field": "lines[0].tax", "message": "unknown field"},
        {"field": "lines[0].product_id", "message": "must be a UUID"},
        {"field": "lines[0].quantity", "message": "must be a positive number"},
        {"field": "lines[0].price", "message": "is required"},
        {"field": "lines[0].discount", "message": "must be between 0 and 100"},
    ]
    clean, _ = list_errors(
        "lines", [{"product_id": PRODUCT, "quantity": 1, "price": 5, "discount": "7.5"}]
    )
    assert clean[0]["discount"] == "7.50"
    clean, _ = list_errors(
        "lines", [{"product_id": PRODUCT, "quantity": 1, "price": 5, "discount": "0"}]
    )
    assert "discount" not in clean[0]
    _, errors = list_errors("lines", [{"product_id": PRODUCT, "price": "-1"}])
    assert errors == [
        {"field": "lines[0].quantity", "message": "is required"},
        {"field": "lines[0].price", "message": "must not be negative"},
    ]
    _, errors = list_errors("lines", [{"product_id": PRODUCT, "quantity": 1, "price": "1.001"}])
    assert errors == [{"field": "lines[0].price", "message": "may have at most two decimal places"}]


def test_a_line_total_is_quantity_times_price_rounded_half_up():
    assert domain.line_total({"quantity": "2.000", "price": "10.25"}) == Decimal("20.50")
    assert domain.line_total({"quantity": "0.5", "price": "0.05"}) == Decimal("0.03")  # 0.025
    assert domain.line_total({"quantity": "1.5", "price": "0.01"}) == Decimal("0.02")  # 0.015
    assert domain.line_total({"quantity": "3", "price": "0.00"}) == Decimal("0.00")
    assert str(domain.line_total({"quantity": "1", "price": "7"})) == "7.00"


def test_clean_changes_reads_every_list_of_the_entity():
    clean = domain.clean_changes(
        OPPORTUNITY,
        {"title": "Fleet", "lines": [{"product_id": PRODUCT, "quantity": "1", "price": "5"}]},
    )
    assert clean == {
        "title": "Fleet",
        "lines": [{"product_id": PRODUCT, "quantity": "1.000", "price": "5.00"}],
    }
    assert errors_of(CONTACT, {"emails": [{"email": "x"}], "phones": 1}) == {
        "emails[0].email": "is not an email address",
        "phones": "must be a list",
    }


# --- a new record, a changed one ------------------------------------------------------------


def test_a_new_record_gets_its_owner_team_version_and_times():
    changes = {"name": "Acme"}
    values = domain.new_record_values(ACCOUNT, changes, REP, record_id="r1", now=NOW)
    assert values == {
        "name": "Acme",
        "id": "r1",
        "owner_id": REP.id,
        "team_id": TEAM,
        "version": 1,
        "created_at": NOW,
        "updated_at": NOW,
        "created_by": REP.id,
        "addresses": [],
    }
    kept = domain.new_record_values(
        CONTACT,
        {"full_name": "Ann", "owner_id": None, "emails": [{"email": "a@b.io"}]},
        REP,
        record_id="r2",
        now=NOW,
    )
    assert kept["owner_id"] is None  # an explicit null leaves it unassigned
    assert kept["emails"] == [{"email": "a@b.io"}] and kept["phones"] == []


def test_only_an_administrator_puts_a_new_record_in_another_team():
    with pytest.raises(PermissionDenied) as exc:
        domain.new_record_values(
            ACCOUNT, {"name": "A", "team_id": OTHER_TEAM}, REP, record_id="r", now=NOW
        )
    assert str(exc.value) == "Only an administrator may put the account in another team"
    assert exc.value.errors == [
        {"field": "team_id", "message": "only an administrator may set another team"}
    ]
    changes = {"name": "A", "team_id": TEAM}
    own = domain.new_record_values(ACCOUNT, changes, REP, record_id="r", now=NOW)
    assert own["team_id"] == TEAM and "team_id" not in changes
    other = domain.new_record_values(
        ACCOUNT, {"name": "A", "team_id": OTHER_TEAM}, ADMIN, record_id="r", now=NOW
    )
    assert other["team_id"] == OTHER_TEAM
    assert (
        domain.new_record_values(ACCOUNT, {"name": "A"}, ADMIN, record_id="r", now=NOW)["team_id"]
        is None
    )


def test_a_new_record_needs_its_required_fields():
    with pytest.raises(ValidationFailed) as exc:
        domain.new_record_values(ACCOUNT, {}, REP, record_id="r", now=NOW)
    assert exc.value.errors == [{"field": "name", "message": "is required"}]
    with pytest.raises(ValidationFailed) as exc:
        domain.new_record_values(
            OPPORTUNITY, {"title": "Deal", "owner_id": None}, REP, record_id="r", now=NOW
        )
    assert exc.value.errors == [{"field": "owner_id", "message": "is required"}]


def test_a_list_changed_to_null_is_stored_empty():
    changes = {"addresses": None, "name": None}
    domain.clear_lists(ACCOUNT, changes)
    assert changes == {"addresses": [], "name": None}
    kept = {"addresses": [{"kind": "other"}]}
    domain.clear_lists(ACCOUNT, kept)
    assert kept == {"addresses": [{"kind": "other"}]}
    entity = Entity("thing", (EntityField("tags", "list", "Tags"),))
    nothing: dict = {}
    domain.clear_lists(entity, nothing)
    assert nothing == {}


def test_only_an_administrator_moves_a_record_to_another_team():
    domain.check_team_change(ACCOUNT, ["name"], REP)
    domain.check_team_change(ACCOUNT, ["team_id"], ADMIN)
    with pytest.raises(PermissionDenied) as exc:
        domain.check_team_change(OPPORTUNITY, ["name", "team_id"], REP)
    assert str(exc.value) == "Only an administrator may move the opportunity to another team"
    assert exc.value.errors == [
        {"field": "team_id", "message": "only an administrator may change the team"}
    ]
