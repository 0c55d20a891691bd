"""The field rules every service reads callers' values with (services/platform/fields.py):
what comes out of valid input, what each invalid input is told, and the boundaries —
exactly the maximum length, 0 and the largest number, the last cent, dates that do not
exist. Pure: no database, no broker.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from services.platform import fields
from services.platform.errors import ValidationFailed
from services.platform.fields import (
    Entity,
    EntityField,
    Invalid,
    changed_fields,
    check_record,
    clean_changes,
    failed,
    normalize_value,
    parse_currency,
    parse_date,
    parse_datetime,
    parse_money,
    parse_percent,
    parse_quantity,
    record_tail,
    to_decimal,
)


def field(type_: str, **options) -> EntityField:
    return EntityField("value", type_, "Value", **options)


def invalid(spec: EntityField, value) -> str:
    """The message ``value`` is refused with."""
    with pytest.raises(Invalid) as caught:
        normalize_value(spec, value)
    return str(caught.value)


def refused(parse, value) -> str:
    with pytest.raises(Invalid) as caught:
        parse(value)
    return str(caught.value)


ACCOUNT = Entity(
    "account",
    (
        EntityField("name", "string", "Name", max_length=10, required=True),
        EntityField("kind", "enum", "Kind", options=("customer", "partner")),
        EntityField("email", "email", "Email", max_length=254),
        EntityField("employees", "integer", "Employees", minimum=0, maximum=1000),
        EntityField("emails", "list", "Emails", items="emails"),
        EntityField("lines", "list", "Lines", items="lines"),
        EntityField("number", "string", "Number", read_only=True),
    ),
)


# --- the description of an entity ------------------------------------------------------


def test_an_entity_names_its_fields_in_order_and_its_required_ones() -> None:
    assert ACCOUNT.field_names == (
        "name",
        "kind",
        "email",
        "employees",
        "emails",
        "lines",
        "number",
    )
    assert ACCOUNT.required == ("name",)
    assert ACCOUNT.by_name["email"].type == "email"
    assert list(ACCOUNT.by_name) == list(ACCOUNT.field_names)


def test_an_entity_without_required_fields_has_none() -> None:
    entity = Entity("note", (EntityField("text", "text", "Text"),))
    assert entity.required == ()


def test_a_field_is_optional_writable_and_unfiltered_unless_it_says_so() -> None:
    spec = EntityField("name", "string", "Name")
    assert (spec.required, spec.read_only, spec.filterable, spec.sortable) == (
        False,
        False,
        False,
        False,
    )
    assert spec.filter_op == "equals"
    assert (spec.max_length, spec.minimum, spec.maximum, spec.lookup, spec.items) == (
        None,
        None,
        None,
        None,
        None,
    )
    assert spec.options == ()
    assert spec.suggestions is None
    assert spec.empty_clears is True


def test_an_owned_record_ends_with_owner_team_version_and_times() -> None:
    assert record_tail() == (
        EntityField("owner_id", "uuid", "Owner", filterable=True, lookup="users"),
        EntityField("team_id", "uuid", "Team", filterable=True, lookup="teams"),
        EntityField("version", "integer", "Version", read_only=True),
        EntityField(
            "created_at",
            "datetime",
            "Created",
            read_only=True,
            sortable=True,
            filterable=True,
            filter_op="range",
        ),
        EntityField(
            "updated_at",
            "datetime",
            "Updated",
            read_only=True,
            sortable=True,
            filterable=True,
            filter_op="range",
        ),
        EntityField("created_by", "uuid", "Created by", read_only=True),
    )


def test_the_owner_may_be_required() -> None:
    owner = record_tail(owner_required=True)[0]
    assert owner.name == "owner_id" and owner.required is True
    assert record_tail()[0].required is False
    assert record_tail(owned=True, owner_required=False)[1].required is False


def test_a_record_nobody_owns_has_no_owner_or_team() -> None:
    tail = record_tail(owned=False)
    assert [f.name for f in tail] == ["version", "created_at", "updated_at", "created_by"]
    assert tail == record_tail()[2:]
    assert [f.name for f in record_tail(owned=False, owner_required=True)] == [
        "version",
        "created_at",
        "updated_at",
        "created_by",
    ]


# --- clean_changes: a create or update payload -----------------------------------------


def errors_of(data, **options) -> list[dict[str, str]]:
    with pytest.raises(ValidationFailed) as caught:
        clean_changes(ACCOUNT, data, **options)
    return caught.value.errors


def no_lists(spec, value, errors):  # a clean_list that must not be reached
    raise AssertionError("clean_list called")


def test_valid_changes_come_out_normalized_and_only_those_sent() -> None:
    clean = clean_changes(
        ACCOUNT,
        {"name": "  Acme  ", "kind": "partner", "email": " Sales@Acme.Example ", "employees": 0},
    )
    assert clean == {
        "name": "Acme",
        "kind": "partner",
        "email": "sales@acme.example",
        "employees": 0,
    }
    assert clean_changes(ACCOUNT, {}) == {}
    assert clean_changes(ACCOUNT, {"kind": None}) == {"kind": None}


@pytest.mark.parametrize("data", [None, [], "name=Acme", 42, [("name", "Acme")]])
def test_a_payload_that_is_not_an_object_is_refused_naming_the_entity(data) -> None:
    with pytest.raises(ValidationFailed) as caught:
        clean_changes(ACCOUNT, data)
    assert caught.value.errors == [
        {"field": "data", "message": "must be an object of account fields"}
    ]
    assert caught.value.message == "data: must be an object of account fields"


def test_unknown_and_read_only_fields_are_reported_by_name() -> None:
    assert errors_of({"colour": "red", 7: "x", "number": "A-1"}) == [
        {"field": "colour", "message": "unknown field"},
        {"field": "7", "message": "unknown field"},
        {"field": "number", "message": "is read-only"},
    ]


def test_the_fields_after_a_read_only_one_are_still_read() -> None:
    assert errors_of({"number": "A-1", "kind": "rival", "name": ""}, require=("name",)) == [
        {"field": "number", "message": "is read-only"},
        {"field": "kind", "message": "must be one of customer, partner"},
        {"field": "name", "message": "is required"},
    ]


def test_every_problem_is_reported_at_once_in_the_order_sent() -> None:
    with pytest.raises(ValidationFailed) as caught:
        clean_changes(
            ACCOUNT, {"employees": -1, "kind": "rival", "email": "nobody", "name": "x" * 11}
        )
    assert caught.value.errors == [
        {"field": "employees", "message": "must be at least 0"},
        {"field": "kind", "message": "must be one of customer, partner"},
        {"field": "email", "message": "is not an email address"},
        {"field": "name", "message": "must be at most 10 characters"},
    ]
    assert caught.value.message == (
        "employees: must be at least 0; kind: must be one of customer, partner; "
        "email: is not an email address; name: must be at most 10 characters"
    )


def test_a_required_field_must_be_sent_and_not_empty() -> None:
    assert errors_of({"kind": "partner"}, require=("name",)) == [
        {"field": "name", "message": "is required"}
    ]
    assert errors_of({"name": "   "}, require=("name",)) == [
        {"field": "name", "message": "is required"}
    ]
    assert errors_of({"name": None}, require=("name",)) == [
        {"field": "name", "message": "is required"}
    ]
    assert clean_changes(ACCOUNT, {"name": "A"}, require=("name",)) == {"name": "A"}


def test_a_required_field_already_reported_is_not_reported_twice() -> None:
    assert errors_of({"name": 5}, require=("name",)) == [
        {"field": "name", "message": "must be a string"}
    ]


def test_a_required_zero_or_false_is_a_value() -> None:
    assert clean_changes(ACCOUNT, {"employees": 0}, require=("employees",)) == {"employees": 0}


def test_skipped_fields_are_left_as_sent_for_the_caller() -> None:
    lines = [{"product_id": "p", "quantity": "2"}]
    clean = clean_changes(ACCOUNT, {"lines": lines, "name": " A "}, skip=("lines",))
    assert clean == {"lines": lines, "name": "A"}
    assert clean["lines"] is lines
    assert clean_changes(ACCOUNT, {"lines": lines}, skip=("lines",), clean_list=no_lists) == {
        "lines": lines
    }
    assert errors_of({"lines": ""}, skip=("lines",), require=("lines",)) == [
        {"field": "lines", "message": "is required"}
    ]


def test_a_skipped_field_must_still_be_known_and_writable() -> None:
    assert errors_of({"number": "A-1"}, skip=("number",)) == [
        {"field": "number", "message": "is read-only"}
    ]


def test_list_fields_go_through_the_services_list_cleaner() -> None:
    seen = []

    def clean_list(spec, value, errors):
        seen.append((spec.name, spec.items))
        return [{"email": v.lower()} for v in value]

    clean = clean_changes(ACCOUNT, {"emails": ["A@B.C"]}, clean_list=clean_list)
    assert clean == {"emails": [{"email": "a@b.c"}]}
    assert seen == [("emails", "emails")]


def test_the_list_cleaners_errors_are_reported_with_the_others() -> None:
    def clean_list(spec, value, errors):
        errors.append({"field": "emails[0].email", "message": "is not an email address"})
        return []

    assert errors_of({"emails": ["x"], "kind": "rival"}, clean_list=clean_list) == [
        {"field": "emails[0].email", "message": "is not an email address"},
        {"field": "kind", "message": "must be one of customer, partner"},
    ]


def test_a_list_field_without_a_cleaner_is_a_programming_error() -> None:
    with pytest.raises(TypeError, match=r"^account\.emails is a list: pass clean_list$"):
        clean_changes(ACCOUNT, {"emails": []})


# --- normalize_value: one field's value --------------------------------------------------


@pytest.mark.parametrize(
    "type_",
    ["string", "text", "email", "phone", "enum", "uuid", "integer", "money", "percent",
     "currency", "date", "datetime", "boolean"],
)  # fmt: skip
def test_none_clears_every_kind_of_field(type_) -> None:
    assert normalize_value(field(type_, options=("a",), minimum=1), None) is None


def test_text_is_stripped_and_empty_text_is_none() -> None:
    assert normalize_value(field("string"), "  Acme Tools \n") == "Acme Tools"
    assert normalize_value(field("text"), "line one\nline two ") == "line one\nline two"
    assert normalize_value(field("string"), "") is None
    assert normalize_value(field("string"), "   ") is None


def test_text_of_exactly_the_maximum_length_is_kept() -> None:
    spec = field("string", max_length=5)
    assert normalize_value(spec, "abcde") == "abcde"
    assert normalize_value(spec, "  abcde  ") == "abcde"  # counted without the spaces
    assert invalid(spec, "abcdef") == "must be at most 5 characters"
    assert normalize_value(field("string"), "x" * 10_000) == "x" * 10_000


def test_a_maximum_length_of_zero_keeps_only_empty_text() -> None:
    spec = field("string", max_length=0)
    assert normalize_value(spec, "") is None
    assert invalid(spec, "a") == "must be at most 0 characters"


@pytest.mark.parametrize("value", [5, 1.5, True, ["a"], {"a": 1}])
def test_text_fields_take_strings_only(value) -> None:
    for type_ in ("string", "text", "email", "phone", "enum", "uuid"):
        assert invalid(field(type_, options=("a",)), value) == "must be a string"


def test_emails_are_lower_cased_and_checked() -> None:
    assert normalize_value(field("email"), " Anna.Smith@Acme.Example ") == (
        "anna.smith@acme.example"
    )
    assert normalize_value(field("email"), "") is None
    assert invalid(field("email"), "anna@") == "is not an email address"


def test_the_maximum_length_applies_to_an_email_before_it_is_read() -> None:
    spec = field("email", max_length=10)
    assert normalize_value(spec, "ab@cd.efgh") == "ab@cd.efgh"
    assert invalid(spec, "abc@cd.efgh") == "must be at most 10 characters"


def test_phones_keep_their_digits_behind_a_plus() -> None:
    assert normalize_value(field("phone"), " 8 (800) 555-35-35 ") == "+88005553535"
    assert normalize_value(field("phone"), "") is None
    assert invalid(field("phone"), "call me") == (
        "may hold only digits, spaces, ( ) - . and a leading +"
    )


def test_an_enum_takes_one_of_its_options_as_written() -> None:
    spec = field("enum", options=("customer", "partner"))
    assert normalize_value(spec, "partner") == "partner"
    assert normalize_value(spec, " customer ") == "customer"
    assert normalize_value(spec, "") is None
    assert normalize_value(spec, "  ") is None
    assert invalid(spec, "Partner") == "must be one of customer, partner"
    assert invalid(field("enum", options=("only",)), "other") == "must be one of only"


def test_an_enum_that_must_keep_a_value_refuses_an_empty_one() -> None:
    spec = field("enum", options=("new", "won"), empty_clears=False)
    assert invalid(spec, "") == "must be one of new, won"
    assert invalid(spec, "  ") == "must be one of new, won"
    assert normalize_value(spec, " won ") == "won"
    assert normalize_value(spec, None) is None  # None is checked by required, not here


def test_an_enum_ignores_the_maximum_length() -> None:
    spec = field("enum", options=("customer",), max_length=3)
    assert normalize_value(spec, "customer") == "customer"


def test_a_uuid_comes_out_in_its_canonical_form() -> None:
    spec = field("uuid")
    value = "0192F3A4-5B6C-7D8E-9F00-112233445566"
    assert normalize_value(spec, f" {value} ") == value.lower()
    assert normalize_value(spec, "0192f3a45b6c7d8e9f00112233445566") == (
        "0192f3a4-5b6c-7d8e-9f00-112233445566"
    )
    assert normalize_value(spec, "") is None
    assert normalize_value(spec, "   ") is None
    assert invalid(spec, "not-a-uuid") == "must be a UUID"
    assert invalid(spec, "0192f3a4-5b6c-7d8e-9f00-11223344556") == "must be a UUID"


def test_a_uuid_ignores_the_maximum_length() -> None:
    value = "0192f3a4-5b6c-7d8e-9f00-112233445566"
    assert normalize_value(field("uuid", max_length=3), value) == value


def test_whole_numbers_within_their_bounds() -> None:
    spec = field("integer", minimum=0, maximum=100)
    assert normalize_value(spec, 0) == 0
    assert normalize_value(spec, 100) == 100
    assert normalize_value(spec, 37) == 37
    assert invalid(spec, -1) == "must be at least 0"
    assert invalid(spec, 101) == "must be at most 100"


def test_negative_bounds_and_no_bounds() -> None:
    spec = field("integer", minimum=-5, maximum=-1)
    assert normalize_value(spec, -5) == -5
    assert normalize_value(spec, -1) == -1
    assert invalid(spec, -6) == "must be at least -5"
    assert invalid(spec, 0) == "must be at most -1"
    free = field("integer")
    assert normalize_value(free, -(10**12)) == -(10**12)
    assert normalize_value(free, 10**12) == 10**12
    assert invalid(field("integer", maximum=0), 1) == "must be at most 0"
    assert normalize_value(field("integer", maximum=0), -3) == -3
    assert normalize_value(field("integer", minimum=0), 10**9) == 10**9


@pytest.mark.parametrize("value", [True, False, 1.0, "5", "", Decimal("5")])
def test_whole_numbers_are_json_integers(value) -> None:
    assert invalid(field("integer"), value) == "must be a whole number"


def test_booleans_are_json_booleans() -> None:
    spec = field("boolean")
    assert normalize_value(spec, True) is True
    assert normalize_value(spec, False) is False
    for value in ("true", 1, 0, "", "false"):
        assert invalid(spec, value) == "must be true or false"


def test_typed_fields_use_their_parsers() -> None:
    assert normalize_value(field("money"), "12.5") == Decimal("12.50")
    assert normalize_value(field("percent"), 20) == Decimal("20.00")
    assert normalize_value(field("currency"), "eur") == "EUR"
    assert normalize_value(field("date"), "2026-12-31") == date(2026, 12, 31)
    assert normalize_value(field("datetime"), "2026-12-31T23:59:59Z") == datetime(
        2026, 12, 31, 23, 59, 59, tzinfo=UTC
    )
    assert invalid(field("money"), "-1") == "must not be negative"
    assert invalid(field("percent"), "101") == "must be between 0 and 100"
    assert invalid(field("date"), "") == "must be a date (YYYY-MM-DD)"


# --- numbers: decimals from strings or JSON numbers ----------------------------------------


def test_decimals_from_strings_and_numbers() -> None:
    assert to_decimal(" 12.50 ", "1") == Decimal("12.50")
    assert str(to_decimal("12.50", "1")) == "12.50"  # the scale as written
    assert to_decimal(7, "1") == Decimal(7)
    assert to_decimal(0, "1") == Decimal(0)
    assert str(to_decimal(0.1, "1")) == "0.1"  # a float by its shortest text
    assert str(to_decimal(1e-7, "1")) == "1E-7"
    assert to_decimal("-3", "1") == Decimal(-3)
    assert to_decimal("1e3", "1") == Decimal(1000)


@pytest.mark.parametrize(
    "value", [True, False, None, [], {}, Decimal("1"), b"1", "", "  ", "1,5", "abc", "1.2.3"]
)
def test_what_is_not_a_decimal_says_what_is_expected(value) -> None:
    assert refused(lambda v: to_decimal(v, "1500.00"), value) == (
        'must be a decimal string such as "1500.00"'
    )


@pytest.mark.parametrize(
    "value", [float("inf"), float("-inf"), float("nan"), "NaN", "Infinity", "-inf", "sNaN"]
)
def test_infinite_and_not_a_number_are_refused(value) -> None:
    assert refused(lambda v: to_decimal(v, "1"), value) == "must be a finite number"


def test_money_comes_out_with_two_decimals() -> None:
    assert str(parse_money("0")) == "0.00"
    assert str(parse_money(0)) == "0.00"
    assert str(parse_money("1500")) == "1500.00"
    assert str(parse_money(" 1500.5 ")) == "1500.50"
    assert str(parse_money("0.01")) == "0.01"
    assert str(parse_money(0.1)) == "0.10"
    assert str(parse_money("12.300")) == "12.30"  # trailing zeros are not decimals


def test_money_up_to_the_largest_amount_and_not_a_cent_more() -> None:
    assert parse_money("9999999999999999.99") == fields.MAX_MONEY
    assert str(parse_money("9999999999999999.99")) == "9999999999999999.99"
    assert refused(parse_money, "10000000000000000.00") == "is too large"
    assert refused(parse_money, "10000000000000000") == "is too large"
    # a float far beyond any column (a fuzzer's 4.6e+90) and a string of one
    assert refused(parse_money, 4.6e90) == "is too large"
    assert refused(parse_money, "1e999999999") == "is too large"
    assert refused(parse_money, "1e-999999") == "may have at most two decimal places"
    assert refused(parse_percent, 4.6e90) == "must be between 0 and 100"
    assert refused(parse_percent, "1e-999999") == "may have at most two decimal places"


def test_money_is_never_negative_nor_rounded() -> None:
    assert refused(parse_money, "-0.01") == "must not be negative"
    assert refused(parse_money, -5) == "must not be negative"
    assert refused(parse_money, "-0.001") == "must not be negative"  # the sign first
    assert refused(parse_money, "0.001") == "may have at most two decimal places"
    assert refused(parse_money, "0.005") == "may have at most two decimal places"
    assert refused(parse_money, "1.995") == "may have at most two decimal places"
    assert refused(parse_money, "1.234") == "may have at most two decimal places"
    assert refused(parse_money, "19999999999999999.999") == "is too large"  # the range first
    assert refused(parse_money, "abc") == 'must be a decimal string such as "1500.00"'


def test_money_in_whole_units_of_a_currency() -> None:
    one = Decimal("1")
    assert str(parse_money("1500", one, "JPY")) == "1500.00"
    assert str(parse_money("0", one, "JPY")) == "0.00"
    assert refused(lambda v: parse_money(v, one, "JPY"), "1500.5") == (
        "must be a whole amount in JPY"
    )
    assert refused(lambda v: parse_money(v, one, "JPY"), "0.01") == (
        "must be a whole amount in JPY"
    )
    # cents are the default unit, and the default message
    assert refused(lambda v: parse_money(v, fields.CENT, "EUR"), "1.001") == (
        "may have at most two decimal places"
    )


def test_percentages_from_0_to_100_with_two_decimals() -> None:
    assert str(parse_percent("0")) == "0.00"
    assert str(parse_percent(0)) == "0.00"
    assert str(parse_percent("100")) == "100.00"
    assert str(parse_percent(100)) == "100.00"
    assert str(parse_percent("7.5")) == "7.50"
    assert str(parse_percent("99.99")) == "99.99"
    assert str(parse_percent("0.01")) == "0.01"
    assert str(parse_percent(12.25)) == "12.25"


def test_percentages_outside_the_range_or_too_precise() -> None:
    assert refused(parse_percent, "100.01") == "must be between 0 and 100"
    assert refused(parse_percent, "-0.01") == "must be between 0 and 100"
    assert refused(parse_percent, "-1") == "must be between 0 and 100"
    assert refused(parse_percent, "100.001") == "must be between 0 and 100"  # range first
    assert refused(parse_percent, "7.555") == "may have at most two decimal places"
    assert refused(parse_percent, "0.005") == "may have at most two decimal places"
    assert refused(parse_percent, "ten") == 'must be a decimal string such as "20"'


def test_quantities_are_positive_with_three_decimals() -> None:
    assert str(parse_quantity("2")) == "2.000"
    assert str(parse_quantity(2)) == "2.000"
    assert str(parse_quantity("0.001")) == "0.001"
    assert str(parse_quantity("1.5")) == "1.500"
    assert str(parse_quantity(0.25)) == "0.250"
    assert str(parse_quantity("1000000000")) == "1000000000.000"
    assert parse_quantity("1000000000") == fields.MAX_QUANTITY


def test_quantities_that_are_zero_negative_too_precise_or_too_large() -> None:
    assert refused(parse_quantity, "0") == "must be a positive number"
    assert refused(parse_quantity, 0) == "must be a positive number"
    assert refused(parse_quantity, "-1") == "must be a positive number"
    assert refused(parse_quantity, "-0.0001") == "must be a positive number"
    assert refused(parse_quantity, "0.0005") == "may have at most three decimal places"
    assert refused(parse_quantity, "1.0001") == "may have at most three decimal places"
    assert refused(parse_quantity, "1000000000.001") == "is too large"
    assert refused(parse_quantity, "1000000001") == "is too large"
    assert refused(parse_quantity, "2000000000.0001") == "is too large"  # the range first
    assert refused(parse_quantity, 4.6e90) == "is too large"
    assert refused(parse_quantity, "1e-999999") == "may have at most three decimal places"
    assert refused(parse_quantity, "two") == 'must be a decimal string such as "2"'


# --- currencies and dates ------------------------------------------------------------------


def test_currencies_are_three_letters_upper_cased() -> None:
    assert parse_currency("EUR") == "EUR"
    assert parse_currency("eur") == "EUR"
    assert parse_currency(" rub ") == "RUB"


@pytest.mark.parametrize("value", ["EU", "EURO", "E1R", "", "   ", "€", None, 978, ["EUR"]])
def test_what_is_not_a_currency_code(value) -> None:
    assert refused(parse_currency, value) == "must be a three-letter ISO 4217 code such as EUR"


def test_dates_are_iso_dates() -> None:
    assert parse_date("2026-02-28") == date(2026, 2, 28)
    assert parse_date(" 2028-02-29 ") == date(2028, 2, 29)  # a leap day
    assert parse_date("0001-01-01") == date.min
    assert parse_date("9999-12-31") == date.max


@pytest.mark.parametrize(
    "value", ["2026-02-29", "2026-13-01", "2026-04-31", "", "tomorrow", None, 20261201,
              date(2026, 1, 1)],
)  # fmt: skip
def test_what_is_not_a_date(value) -> None:
    assert refused(parse_date, value) == "must be a date (YYYY-MM-DD)"


def test_times_come_out_in_utc() -> None:
    assert parse_datetime("2026-11-26T09:00:00Z") == datetime(2026, 11, 26, 9, tzinfo=UTC)
    moment = parse_datetime(" 2026-11-26T12:30:00+03:00 ")
    assert moment == datetime(2026, 11, 26, 9, 30, tzinfo=UTC)
    assert moment.tzinfo is UTC
    assert moment.hour == 9
    west = parse_datetime("2026-12-31T23:00:00-02:00")
    assert (west.date(), west.hour, west.tzinfo) == (date(2027, 1, 1), 1, UTC)
    assert parse_datetime("2026-11-26T09:00:00.250+00:00") == datetime(
        2026, 11, 26, 9, 0, 0, 250_000, tzinfo=UTC
    )


def test_a_time_without_a_zone_is_refused_with_its_own_reason() -> None:
    reason = "must include a time zone (Z or an offset such as +03:00)"
    assert refused(parse_datetime, "2026-11-26T09:00:00") == reason
    assert refused(parse_datetime, "2026-11-26") == reason
    # A date alone has no time for a zone to apply to: its Z (read as +00:00) is dropped.
    assert refused(parse_datetime, "2026-11-26Z") == reason


def test_only_a_capital_z_stands_for_utc() -> None:
    assert parse_datetime("2026-11-26T09:00Z") == datetime(2026, 11, 26, 9, tzinfo=UTC)
    assert refused(parse_datetime, "2026-11-26T09:00:00z") == (
        "must be an ISO 8601 time with a zone, such as 2026-11-26T09:00:00Z"
    )


@pytest.mark.parametrize(
    "value",
    ["", "Z", "now", "2026-11-26T25:00:00Z", "26.11.2026 09:00", None, 1764147600,
     datetime(2026, 11, 26, tzinfo=UTC)],
)  # fmt: skip
def test_what_is_not_a_time(value) -> None:
    assert refused(parse_datetime, value) == (
        "must be an ISO 8601 time with a zone, such as 2026-11-26T09:00:00Z"
    )


def test_an_offset_that_is_not_utc_is_converted_not_dropped() -> None:
    zone = timezone(timedelta(hours=5, minutes=30))
    assert parse_datetime("2026-01-01T05:30:00+05:30") == datetime(2026, 1, 1, 5, 30, tzinfo=zone)
    assert parse_datetime("2026-01-01T05:30:00+05:30") == datetime(2026, 1, 1, tzinfo=UTC)
    assert parse_datetime("2026-01-01T05:30:00+05:30").utcoffset() == timedelta(0)


# --- a record as a whole, and what changed -------------------------------------------------


def test_a_record_must_have_its_required_fields() -> None:
    entity = Entity(
        "deal",
        (
            EntityField("title", "string", "Title", required=True),
            EntityField("amount", "money", "Amount"),
            EntityField("lines", "list", "Lines", required=True),
            EntityField("probability", "integer", "Probability", required=True),
        ),
    )
    assert check_record(entity, {"title": "T", "lines": [{}], "probability": 0}) is None
    assert check_record(entity, {"title": "T", "lines": [{}], "probability": False}) is None
    with pytest.raises(ValidationFailed) as caught:
        check_record(entity, {"title": "", "lines": [], "amount": None})
    assert caught.value.errors == [
        {"field": "title", "message": "is required"},
        {"field": "lines", "message": "is required"},
        {"field": "probability", "message": "is required"},
    ]
    with pytest.raises(ValidationFailed) as caught:
        check_record(entity, {"title": None, "lines": [1], "probability": 1})
    assert caught.value.errors == [{"field": "title", "message": "is required"}]
    assert caught.value.message == "title: is required"


def test_only_the_fields_whose_value_changes_in_record_order() -> None:
    current = {"name": "Acme", "kind": "customer", "email": None, "employees": 10}
    changes = {"employees": 10, "email": "a@b.c", "kind": "partner", "name": "Acme"}
    assert changed_fields(ACCOUNT, current, changes) == ["kind", "email"]
    assert changed_fields(ACCOUNT, current, {}) == []
    assert changed_fields(ACCOUNT, current, {"colour": "red"}) == []
    assert changed_fields(ACCOUNT, {}, {"name": "Acme", "email": None}) == ["name"]
    assert changed_fields(ACCOUNT, current, {"employees": 11}) == ["employees"]
    assert changed_fields(ACCOUNT, current, {"email": None}) == []


def test_one_fields_problem() -> None:
    error = failed("stage", "cannot move back from won")
    assert isinstance(error, ValidationFailed)
    assert error.errors == [{"field": "stage", "message": "cannot move back from won"}]
    assert error.message == "stage: cannot move back from won"
