"""Account and contact rules without a database: what each field accepts and how it is stored."""

from __future__ import annotations

import pytest

from services.platform.errors import ValidationFailed
from services.platform.ids import new_id
from services.sales import domain
from services.sales.domain import ACCOUNT, CONTACT
from services.sales.schemas import describe_accounts, describe_contacts


def errors_of(entity, data) -> dict[str, str]:
    with pytest.raises(ValidationFailed) as exc:
        domain.clean_changes(entity, data)
    return {e["field"]: e["message"] for e in exc.value.errors}


def test_account_values_are_normalized():
    parent = new_id().upper()
    clean = domain.clean_changes(
        ACCOUNT,
        {
            "name": "  Acme Corp ",
            "type": "customer",
            "parent_id": parent,
            "email": " Sales@Acme.IO ",
            "phone": "8 (800) 555-35-35",
            "industry": "",
            "addresses": [{"kind": "billing", "city": " Berlin ", "country": "DE"}],
        },
    )
    assert clean == {
        "name": "Acme Corp",
        "type": "customer",
        "parent_id": parent.lower(),
        "email": "sales@acme.io",
        "phone": "+88005553535",
        "industry": None,
        "addresses": [
            {
                "kind": "billing",
                "street": None,
                "city": "Berlin",
                "region": None,
                "postcode": None,
                "country": "DE",
            }
        ],
    }


def test_account_errors_are_collected_per_field():
    errors = errors_of(
        ACCOUNT,
        {
            "type": "friend",
            "colour": "red",
            "version": 3,
            "email": "nope",
            "addresses": [{"kind": "moon", "zip": "1"}, "x"],
        },
    )
    assert set(errors) == {
        "type",
        "colour",
        "version",
        "email",
        "addresses[0].kind",
        "addresses[0].zip",
        "addresses[1]",
    }
    assert errors["version"] == "is read-only" and errors["colour"] == "unknown field"


def test_account_needs_a_name_and_not_itself_as_parent():
    with pytest.raises(ValidationFailed) as exc:
        domain.check_record(ACCOUNT, {"name": None})
    assert exc.value.errors == [{"field": "name", "message": "is required"}]
    same = new_id()
    with pytest.raises(ValidationFailed):
        domain.check_parent(same, same)
    domain.check_parent(same, new_id())
    domain.check_parent(same, None)


def test_contact_emails_and_phones_are_normalized():
    clean = domain.clean_changes(
        CONTACT,
        {
            "full_name": " Ann Lee ",
            "emails": [
                {"email": " Ann@Acme.IO ", "is_primary": True},
                {"email": "ann@home.net", "kind": "personal"},
            ],
            "phones": [{"phone": "+1 (555) 010-0000", "kind": "mobile", "is_primary": True}],
        },
    )
    assert clean["full_name"] == "Ann Lee"
    assert clean["emails"] == [
        {"email": "ann@acme.io", "kind": "work", "is_primary": True},
        {"email": "ann@home.net", "kind": "personal", "is_primary": False},
    ]
    assert clean["phones"] == [{"phone": "+15550100000", "kind": "mobile", "is_primary": True}]
    assert domain.clean_changes(CONTACT, {"emails": None}) == {"emails": []}


def test_contact_list_entries_are_checked():
    errors = errors_of(
        CONTACT,
        {
            "emails": [
                {"email": "a@b.io", "is_primary": True},
                {"email": "c@d.io", "is_primary": True},
                {"email": "bad", "kind": "fax"},
            ],
            "phones": [{"phone": "12"}, {"kind": "home"}, {"phone": "+15550100", "extra": 1}],
            "account_id": "acme",
        },
    )
    assert set(errors) == {
        "emails",
        "emails[2].email",
        "emails[2].kind",
        "phones[0].phone",
        "phones[1].phone",
        "phones[2].extra",
        "account_id",
    }
    assert errors["emails"] == "at most one may be primary"
    assert errors_of(CONTACT, {"phones": "+1555"}) == {"phones": "must be a list"}
    assert errors_of(CONTACT, "x") == {"data": "must be an object of contact fields"}


def test_changed_fields_and_expected_version():
    current = {"name": "Acme", "type": None, "addresses": []}
    assert domain.changed_fields(ACCOUNT, current, {"name": "Acme", "type": "partner"}) == ["type"]
    assert domain.parse_expected_version(None) is None
    assert domain.parse_expected_version(2) == 2
    for bad in (0, True, "2"):
        with pytest.raises(ValidationFailed):
            domain.parse_expected_version(bad)


def test_descriptions_name_every_field_once():
    for described, entity in ((describe_accounts(), ACCOUNT), (describe_contacts(), CONTACT)):
        names = [f["name"] for f in described["fields"]]
        assert names == list(entity.field_names)
    accounts = {f["name"]: f for f in describe_accounts()["fields"]}
    assert accounts["name"]["required"] and accounts["name"]["filter_op"] == "contains"
    assert accounts["type"]["options"] == list(domain.ACCOUNT_TYPES)
    contacts = {f["name"]: f for f in describe_contacts()["fields"]}
    assert contacts["emails"]["items"] == "email" and contacts["account_id"]["filterable"]
