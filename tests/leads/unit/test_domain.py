"""The lead's rules without a database: what each field accepts and how it is stored."""

from __future__ import annotations

import pytest

from services.leads import domain
from services.leads.schemas import describe
from services.platform.errors import ValidationFailed
from services.platform.ids import new_id


def errors_of(data) -> dict[str, str]:
    with pytest.raises(ValidationFailed) as exc:
        domain.clean_changes(data)
    return {e["field"]: e["message"] for e in exc.value.errors}


def test_values_are_normalized():
    owner = new_id().upper()
    clean = domain.clean_changes(
        {
            "contact_name": "  Ann Lee ",
            "email": " Ann.Lee@Example.COM ",
            "phone": "8 (800) 555-35-35",
            "owner_id": owner,
            "need_maturity": "need",
            "score": 40,
            "notes": "",
        }
    )
    assert clean == {
        "contact_name": "Ann Lee",
        "email": "ann.lee@example.com",
        "phone": "+88005553535",
        "owner_id": owner.lower(),
        "need_maturity": "need",
        "score": 40,
        "notes": None,  # an empty string clears the field
    }


@pytest.mark.parametrize(
    ("phone", "stored"),
    [
        ("+44 20 7946 0958", "+442079460958"),
        ("555.12.34", "+5551234"),
        ("(495) 1234567", "+4951234567"),
    ],
)
def test_phone_keeps_digits_behind_a_plus(phone, stored):
    assert domain.clean_changes({"phone": phone}) == {"phone": stored}


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"colour": "red"}, "colour"),
        ({"id": new_id()}, "id"),
        ({"version": 3}, "version"),
        ({"created_at": "2026-01-01T00:00:00Z"}, "created_at"),
        ({"email": "not-an-email"}, "email"),
        ({"email": "a@b"}, "email"),
        ({"email": 42}, "email"),
        ({"phone": "call me"}, "phone"),
        ({"phone": "12-3"}, "phone"),
        ({"phone": "+1 234 567 890 123 456"}, "phone"),
        ({"phone": "12+345678"}, "phone"),
        ({"owner_id": "ann"}, "owner_id"),
        ({"owner_id": 7}, "owner_id"),
        ({"stage": "won"}, "stage"),
        ({"need_maturity": "urgent"}, "need_maturity"),
        ({"score": "50"}, "score"),
        ({"score": True}, "score"),
        ({"score": 101}, "score"),
        ({"score": -1}, "score"),
        ({"contact_name": "x" * 301}, "contact_name"),
        ({"contact_name": ["Ann"]}, "contact_name"),
        ({"notes": "x" * 20001}, "notes"),
    ],
)
def test_bad_value_names_its_field(data, field):
    assert set(errors_of(data)) == {field}


def test_every_problem_is_reported_at_once():
    assert set(errors_of({"colour": 1, "email": "x", "score": 500})) == {"colour", "email", "score"}


def test_data_must_be_an_object():
    assert set(errors_of(["contact_name"])) == {"data"}


def test_a_lead_needs_someone_or_something_to_be_about():
    with pytest.raises(ValidationFailed) as exc:
        domain.check_new_lead({"stage": "qualification", "source": "web", "notes": "hi"})
    assert exc.value.errors[0]["field"] == "contact_name"
    for field in domain.IDENTIFYING_FIELDS:
        domain.check_new_lead({"stage": "qualification", field: "x"})


def test_new_leads_start_in_qualification():
    domain.check_initial_stage({"stage": "qualification"})
    domain.check_initial_stage({})
    with pytest.raises(ValidationFailed):
        domain.check_initial_stage({"stage": "converted"})


def test_changed_fields_only_lists_real_changes_in_record_order():
    current = {"contact_name": "Ann", "email": "a@b.io", "score": 10}
    changes = {"score": 20, "email": "a@b.io", "contact_name": "Anna"}
    assert domain.changed_fields(current, changes) == ["contact_name", "score"]


@pytest.mark.parametrize("value", [0, -1, "3", True, 1.5])
def test_expected_version_must_be_a_version(value):
    with pytest.raises(ValidationFailed) as exc:
        domain.parse_expected_version(value)
    assert exc.value.errors[0]["field"] == "expected_version"


def test_describe_lists_every_field_with_enum_options():
    meta = describe()
    fields = {f["name"]: f for f in meta["fields"]}
    assert meta["name"] == "leads"
    assert set(fields) == set(domain.FIELD_NAMES)
    assert fields["stage"]["options"] == list(domain.STAGES)
    assert fields["stage"]["type"] == "enum" and fields["stage"]["filterable"]
    assert fields["email"]["type"] == "email" and fields["phone"]["type"] == "phone"
    assert fields["version"]["read_only"] and not fields["contact_name"]["read_only"]
    assert fields["created_at"]["sortable"] and fields["created_at"]["type"] == "datetime"
