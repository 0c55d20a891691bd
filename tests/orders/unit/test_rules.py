"""The orders service's rules beyond the money of a line: who may change what and when,
cancel reasons, lines from a won deal, invoices made by hand, payments, settings, times
given by callers, and the accounting exchange's decisions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from types import SimpleNamespace

import pytest

from services.orders import accounting_rules, domain
from services.orders.domain import Line
from services.platform.access import Actor
from services.platform.errors import Conflict, PermissionDenied, ValidationFailed

D = Decimal
P1 = "00000000-0000-7000-8000-000000000001"
P2 = "00000000-0000-7000-8000-000000000002"
TEAM = "00000000-0000-7000-8000-0000000000aa"
OTHER_TEAM = "00000000-0000-7000-8000-0000000000bb"
REP = Actor(id="00000000-0000-7000-8000-00000000000a", roles=("sales_rep",), team_id=TEAM)
MANAGER = Actor(id="00000000-0000-7000-8000-00000000000c", roles=("sales_manager",), team_id=TEAM)
ADMIN = Actor(id="00000000-0000-7000-8000-00000000000b", roles=("admin",), team_id=TEAM)


def errors(exc: pytest.ExceptionInfo) -> list[dict[str, str]]:
    return exc.value.errors


# --- cancel reasons -------------------------------------------------------------------------


def test_a_reason_is_trimmed_and_a_blank_one_is_none() -> None:
    assert domain.clean_reason("  out of stock \n") == "out of stock"
    assert domain.clean_reason("   ") is None
    assert domain.clean_reason("") is None
    assert domain.clean_reason(None) is None


def test_a_reason_may_be_exactly_the_maximum_and_not_one_more() -> None:
    assert domain.MAX_REASON == 500
    assert domain.clean_reason("r" * 500) == "r" * 500
    # Spaces around do not count against the length.
    assert domain.clean_reason(" " + "r" * 500 + " ") == "r" * 500
    with pytest.raises(ValidationFailed) as exc:
        domain.clean_reason("r" * 501)
    assert errors(exc) == [{"field": "reason", "message": "must be at most 500 characters"}]


def test_a_reason_that_is_not_text_is_refused() -> None:
    with pytest.raises(ValidationFailed) as exc:
        domain.clean_reason(5)
    assert errors(exc) == [{"field": "reason", "message": "must be a string"}]


# --- moves and changes of an order ----------------------------------------------------------


def test_an_allowed_move_passes_and_a_forbidden_one_says_why() -> None:
    domain.check_order_move("draft", "confirmed", 1)
    domain.check_order_move("draft", "cancelled", 0)
    domain.check_order_move("shipped", "completed", 0)
    with pytest.raises(Conflict) as exc:
        domain.check_order_move("in_progress", "confirmed", 3)
    assert str(exc.value) == "A in progress order cannot be confirmed"
    assert errors(exc) == [{"field": "status", "message": "is in_progress"}]
    with pytest.raises(Conflict) as exc:
        domain.check_order_move("completed", "in_progress", 1)
    assert str(exc.value) == "A completed order cannot be in progress"


def test_an_order_is_confirmed_with_one_line_but_not_with_none() -> None:
    domain.check_order_move("draft", "confirmed", 1)
    with pytest.raises(ValidationFailed) as exc:
        domain.check_order_move("draft", "confirmed", 0)
    assert errors(exc) == [
        {"field": "lines", "message": "an order needs at least one line to be confirmed"}
    ]


@pytest.mark.parametrize("status", ["completed", "cancelled"])
def test_a_finished_order_does_not_change_at_all(status: str) -> None:
    with pytest.raises(Conflict) as exc:
        domain.check_order_change(status, ["notes"], ADMIN)
    assert str(exc.value) == f"A {status} order does not change"
    assert errors(exc) == [{"field": "status", "message": f"is {status}"}]


def test_lines_and_currency_change_only_in_a_draft() -> None:
    domain.check_order_change("draft", ["lines", "currency", "notes"], REP)
    domain.check_order_change("confirmed", ["notes"], REP)
    domain.check_order_change("shipped", ["notes", "account_id"], REP)
    with pytest.raises(Conflict) as exc:
        domain.check_order_change("confirmed", ["notes", "lines"], REP)
    assert str(exc.value) == "The lines of an order change only while it is a draft"
    assert errors(exc) == [{"field": "lines", "message": "changes only in a draft"}]
    with pytest.raises(Conflict) as exc:
        domain.check_order_change("in_progress", ["currency", "lines"], ADMIN)
    assert str(exc.value) == "The lines and currency of an order change only while it is a draft"
    assert [e["field"] for e in errors(exc)] == ["lines", "currency"]


def test_only_an_administrator_moves_an_order_to_another_team() -> None:
    domain.check_order_change("draft", ["team_id"], ADMIN)
    for caller in (REP, MANAGER):
        with pytest.raises(PermissionDenied) as exc:
            domain.check_order_change("confirmed", ["team_id"], caller)
        assert errors(exc) == [
            {"field": "team_id", "message": "only an administrator may change the team"}
        ]


def test_the_catalogue_is_changed_by_managers_and_administrators() -> None:
    domain.require_catalogue_manager(MANAGER)
    domain.require_catalogue_manager(ADMIN)
    domain.require_catalogue_manager(Actor.system("orders"))
    with pytest.raises(PermissionDenied):
        domain.require_catalogue_manager(REP)


def test_a_new_record_belongs_to_the_caller_and_their_team_by_default() -> None:
    changes = {"notes": "x"}
    assert domain.owner_and_team(changes, REP, "order") == (REP.id, TEAM)
    assert changes == {"notes": "x"}
    changes = {"owner_id": P1, "team_id": TEAM, "notes": "x"}
    assert domain.owner_and_team(changes, REP, "order") == (P1, TEAM)
    assert changes == {"notes": "x"}  # both taken out
    # An explicit null team is the caller's team.
    assert domain.owner_and_team({"team_id": None}, REP, "order") == (REP.id, TEAM)
    teamless = Actor(id=P2, roles=("sales_rep",))
    assert domain.owner_and_team({}, teamless, "invoice") == (P2, None)


def test_only_an_administrator_puts_a_new_record_in_another_team() -> None:
    assert domain.owner_and_team({"team_id": OTHER_TEAM}, ADMIN, "order") == (
        ADMIN.id,
        OTHER_TEAM,
    )
    with pytest.raises(PermissionDenied) as exc:
        domain.owner_and_team({"team_id": OTHER_TEAM}, MANAGER, "invoice")
    assert str(exc.value) == "Only an administrator may put the invoice in another team"
    assert errors(exc) == [
        {"field": "team_id", "message": "only an administrator may set another team"}
    ]


# --- lines ------------------------------------------------------------------------------------


def test_priced_lines_pair_each_line_with_its_amounts() -> None:
    lines = [Line(P1, D("2"), D("10.00"), D("10"), D("20")), Line(P2, D("1"), D("0.00"))]
    priced = domain.priced_lines(lines, "EUR")
    assert [line for line, _ in priced] == lines
    first = priced[0][1]
    assert (first.amount, first.discount_amount, first.net, first.tax, first.total) == (
        D("20.00"),
        D("2.00"),
        D("18.00"),
        D("3.60"),
        D("21.60"),
    )
    assert priced[1][1].total == D("0.00")  # a free line is fine


def test_a_line_or_an_order_too_large_to_store_is_refused() -> None:
    top = domain.MAX_MONEY
    assert domain.priced_lines([Line(P1, D("1"), top)], "EUR")[0][1].amount == top
    with pytest.raises(ValidationFailed) as exc:
        domain.priced_lines([Line(P1, D("1"), D("1")), Line(P2, D("2"), top)], "EUR")
    assert errors(exc) == [
        {"field": "lines[1].quantity", "message": "quantity × price is too large"}
    ]
    with pytest.raises(ValidationFailed) as exc:
        domain.priced_lines([Line(P1, D("1"), top), Line(P2, D("1"), D("0.01"))], "EUR")
    assert errors(exc) == [{"field": "lines", "message": "the order's total is too large"}]


def test_a_won_deals_lines_become_order_lines_with_the_products_tax() -> None:
    deal = {
        "currency": "EUR",
        "lines": [
            {"product_id": P1, "quantity": "3", "price": "9.99"},
            {"product_id": P2, "quantity": 1, "price": "100", "discount": "12.50"},
        ],
    }
    lines = domain.deal_lines(deal, {P1: D("20.00"), P2: None})
    assert lines == [
        Line(P1, D("3"), D("9.99"), D("0"), D("20.00")),
        Line(P2, D("1"), D("100"), D("12.50"), D("0.00")),
    ]
    assert lines[1].tax_rate == 0 and lines[0].discount == 0
    assert domain.deal_lines({"currency": "EUR"}, {}) == []


def test_a_deal_without_currency_or_with_unknown_products_gets_no_order() -> None:
    with pytest.raises(ValidationFailed) as exc:
        domain.deal_lines({"currency": "", "lines": []}, {})
    assert errors(exc) == [{"field": "currency", "message": "the opportunity has no currency"}]
    deal = {
        "currency": "USD",
        "lines": [
            {"product_id": P1, "quantity": "1", "price": "1"},
            {"product_id": P2, "quantity": "1", "price": "1"},
            {"product_id": "not-a-product", "quantity": "1", "price": "1"},
        ],
    }
    with pytest.raises(ValidationFailed) as exc:
        domain.deal_lines(deal, {P1: D("0")})
    assert errors(exc) == [
        {"field": "lines[1].product_id", "message": "no such product in the catalogue"},
        {"field": "lines[2].product_id", "message": "no such product in the catalogue"},
    ]


def test_lines_are_parsed_into_their_parts_with_defaults() -> None:
    assert domain.clean_lines(None, "EUR") == []
    assert domain.clean_lines([], "EUR") == []
    upper = P1.upper()
    lines = domain.clean_lines(
        [
            {"product_id": upper, "quantity": "2.5", "price": "10"},
            {"product_id": P2, "quantity": 1, "price": "0", "discount": "100", "tax_rate": "0"},
        ],
        "EUR",
    )
    assert lines == [
        Line(P1, D("2.5"), D("10"), D("0.00"), D("0.00")),
        Line(P2, D("1"), D("0"), D("100"), D("0")),
    ]


def test_a_hundred_percent_discount_leaves_only_nothing_to_tax() -> None:
    amounts = domain.line_amounts(Line(P1, D("3"), D("7.00"), D("100"), D("20")), "EUR")
    assert (amounts.amount, amounts.discount_amount, amounts.net, amounts.tax) == (
        D("21.00"),
        D("21.00"),
        D("0.00"),
        D("0.00"),
    )


def test_at_most_the_maximum_number_of_lines() -> None:
    item = {"product_id": P1, "quantity": "1", "price": "1"}
    assert domain.MAX_LINES == 500
    assert len(domain.clean_lines([item] * 500, "EUR")) == 500
    with pytest.raises(ValidationFailed) as exc:
        domain.clean_lines([item] * 501, "EUR")
    assert errors(exc) == [{"field": "lines", "message": "may hold at most 500 lines"}]


def test_lines_that_are_not_a_list_of_objects_are_refused() -> None:
    with pytest.raises(ValidationFailed) as exc:
        domain.clean_lines({"product_id": P1}, "EUR")
    assert errors(exc) == [{"field": "lines", "message": "must be a list"}]
    with pytest.raises(ValidationFailed) as exc:
        domain.clean_lines(["x", {"product_id": P1, "quantity": "1", "price": "1", "n": 1}], "EUR")
    assert errors(exc) == [
        {"field": "lines[0]", "message": "must be an object"},
        {"field": "lines[1].n", "message": "unknown field"},
    ]


def test_a_line_without_quantity_or_price_is_refused_but_discount_and_tax_are_optional() -> None:
    with pytest.raises(ValidationFailed) as exc:
        domain.clean_lines([{"product_id": P1}], "EUR")
    assert errors(exc) == [
        {"field": "lines[0].quantity", "message": "is required"},
        {"field": "lines[0].price", "message": "is required"},
    ]


def test_a_price_has_no_more_decimals_than_its_currency() -> None:
    assert (
        domain.clean_lines([{"product_id": P1, "quantity": 1, "price": "150"}], "JPY")[0].price
        == 150
    )
    with pytest.raises(ValidationFailed) as exc:
        domain.clean_lines([{"product_id": P1, "quantity": 1, "price": "1.5"}], "JPY")
    assert [e["field"] for e in errors(exc)] == ["lines[0].price"]
    assert domain.parse_money("1.50", "EUR") == D("1.50")
    assert domain.parse_money("7", None) == D("7")


# --- money in a currency ----------------------------------------------------------------------


def test_the_minor_unit_of_a_currency() -> None:
    assert domain.minor_unit("EUR") == D("0.01")
    assert domain.minor_unit("jpy") == D("1")
    assert domain.minor_unit("KRW") == D("1")
    assert domain.minor_unit(None) == D("0.01")
    assert domain.minor_unit("") == D("0.01")


def test_money_rounds_to_the_minor_unit_and_is_kept_with_two_decimals() -> None:
    assert domain.round_money(D("2.345"), "EUR") == D("2.35")
    assert str(domain.round_money(D("2.5"), "JPY")) == "3.00"
    assert str(domain.round_money(D("2.4"), "JPY")) == "2.00"


def test_money_on_the_wire() -> None:
    assert domain.money_text(None, "EUR") is None
    assert domain.money_text(D("1500"), "EUR") == "1500.00"
    assert domain.money_text(D("0"), "EUR") == "0.00"
    assert domain.money_text(D("1500.00"), "JPY") == "1500"
    assert domain.money_text(D("1500.50"), "JPY") == "1501"
    assert domain.money_text(D("1500.49"), "JPY") == "1500"


def test_every_record_ends_with_a_required_owner_when_owned() -> None:
    owned = {f.name: f for f in domain.record_tail(owned=True)}
    assert owned["owner_id"].required is True
    assert "team_id" in owned
    unowned = {f.name for f in domain.record_tail(owned=False)}
    assert "owner_id" not in unowned and "version" in unowned


# --- invoices -----------------------------------------------------------------------------------


def test_the_invoice_moves() -> None:
    domain.check_invoice_move("draft", "issued", "issued")
    domain.check_invoice_move("overdue", "cancelled", "cancelled")
    with pytest.raises(Conflict) as exc:
        domain.check_invoice_move("paid", "cancelled", "cancelled")
    assert str(exc.value) == "A paid invoice cannot be cancelled"
    assert errors(exc) == [{"field": "status", "message": "is paid"}]


def test_an_invoice_by_hand_takes_its_subtotal_from_total_and_tax() -> None:
    money = domain.hand_money({"currency": "EUR", "total": D("120.00"), "tax_total": D("20.00")})
    assert money == {
        "total": D("120.00"),
        "tax_total": D("20.00"),
        "subtotal": D("100.00"),
        "discount_total": D("0.00"),
    }
    money = domain.hand_money({"currency": "EUR", "total": D("50.00")})
    assert (money["tax_total"], money["subtotal"]) == (D("0.00"), D("50.00"))
    # All of it tax, and a zero invoice, are allowed.
    assert domain.hand_money({"currency": "EUR", "total": D("5"), "tax_total": D("5")})[
        "subtotal"
    ] == D("0")
    assert domain.hand_money({"currency": "EUR", "total": None})["total"] == D("0.00")


def test_an_invoice_by_hand_keeps_its_currencys_unit_and_its_tax_within_the_total() -> None:
    with pytest.raises(ValidationFailed) as exc:
        domain.hand_money({"currency": "JPY", "total": D("10.50"), "tax_total": D("0.50")})
    assert errors(exc) == [
        {"field": "total", "message": "must be a whole amount in JPY"},
        {"field": "tax_total", "message": "must be a whole amount in JPY"},
    ]
    with pytest.raises(ValidationFailed) as exc:
        domain.hand_money({"currency": "EUR", "total": D("10.00"), "tax_total": D("10.01")})
    assert errors(exc) == [{"field": "tax_total", "message": "must not be more than the total"}]


@pytest.mark.parametrize("status", ["paid", "cancelled"])
def test_a_paid_or_cancelled_invoice_does_not_change(status: str) -> None:
    with pytest.raises(Conflict) as exc:
        domain.check_invoice_change(status, False, ["notes"], ADMIN)
    assert str(exc.value) == f"A {status} invoice does not change"
    assert errors(exc) == [{"field": "status", "message": f"is {status}"}]


def test_an_invoices_money_changes_only_in_a_draft_made_by_hand() -> None:
    domain.check_invoice_change("draft", False, ["total", "tax_total", "currency"], REP)
    domain.check_invoice_change("draft", False, ["account_id", "notes"], REP)
    domain.check_invoice_change("issued", True, ["notes", "due_date"], REP)
    for status, from_order in (("issued", False), ("draft", True), ("overdue", False)):
        with pytest.raises(Conflict) as exc:
            domain.check_invoice_change(status, from_order, ["notes", "total", "account_id"], REP)
        assert [e["field"] for e in errors(exc)] == ["total", "account_id"]
        assert errors(exc)[0]["message"] == "cannot change now"


def test_an_invoice_never_moves_to_another_order() -> None:
    with pytest.raises(ValidationFailed) as exc:
        domain.check_invoice_change("draft", False, ["order_id"], ADMIN)
    assert errors(exc) == [
        {"field": "order_id", "message": "make a new invoice from the order instead"}
    ]
    with pytest.raises(Conflict):
        domain.check_invoice_change("draft", True, ["order_id"], ADMIN)


def test_only_an_administrator_moves_an_invoice_to_another_team() -> None:
    domain.check_invoice_change("issued", True, ["team_id"], ADMIN)
    with pytest.raises(PermissionDenied) as exc:
        domain.check_invoice_change("issued", True, ["team_id"], MANAGER)
    assert str(exc.value) == "Only an administrator may move the invoice to another team"


def test_a_payment_is_more_than_zero_and_at_most_what_is_outstanding() -> None:
    assert domain.payment_errors(None, D("10.00"), "EUR") == []
    assert domain.payment_errors(D("0.01"), D("10.00"), "EUR") == []
    assert domain.payment_errors(D("10.00"), D("10.00"), "EUR") == []
    assert domain.payment_errors(D("0"), D("10.00"), "EUR") == [
        {"field": "amount", "message": "must be more than zero"}
    ]
    assert domain.payment_errors(D("-1"), D("10.00"), "EUR") == [
        {"field": "amount", "message": "must be more than zero"}
    ]
    assert domain.payment_errors(D("10.01"), D("10.00"), "EUR") == [
        {"field": "amount", "message": "is more than the 10.00 outstanding"}
    ]
    assert domain.payment_errors(D("501"), D("500"), "JPY") == [
        {"field": "amount", "message": "is more than the 500 outstanding"}
    ]


def test_what_is_outstanding_and_when_an_invoice_is_overdue() -> None:
    assert domain.outstanding(D("100.00"), D("40.00")) == D("60.00")
    assert domain.outstanding(D("100.00"), D("100.00")) == 0
    day = datetime(2026, 11, 26, tzinfo=UTC).date()
    assert domain.is_overdue("issued", day - timedelta(days=1), day) is True
    assert domain.is_overdue("issued", day, day) is False
    assert domain.is_overdue("issued", None, day) is False
    assert domain.is_overdue("paid", day - timedelta(days=1), day) is False


def test_a_moment_is_an_iso_time_with_its_zone_made_utc() -> None:
    assert domain.parse_moment("2026-11-26T09:00:00Z") == datetime(2026, 11, 26, 9, tzinfo=UTC)
    moment = domain.parse_moment(" 2026-11-26T12:00:00+03:00 ")
    assert moment == datetime(2026, 11, 26, 9, tzinfo=UTC)
    assert moment.tzinfo is UTC
    assert domain.parse_moment("2026-11-26T09:00:00.250+00:00").microsecond == 250000
    assert domain.parse_moment(
        datetime(2026, 1, 1, tzinfo=timezone(timedelta(hours=2))).isoformat()
    ) == datetime(2025, 12, 31, 22, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (None, "must be an ISO 8601 time with a zone, such as 2026-11-26T09:00:00Z"),
        (1764147600, "must be an ISO 8601 time with a zone, such as 2026-11-26T09:00:00Z"),
        ("yesterday", "must be an ISO 8601 time with a zone, such as 2026-11-26T09:00:00Z"),
        ("2026-11-26T09:00:00", "must include a time zone (Z or an offset such as +03:00)"),
    ],
)
def test_a_moment_without_a_zone_or_not_a_time_is_refused(value: object, message: str) -> None:
    with pytest.raises(domain.Invalid) as exc:
        domain.parse_moment(value)
    assert str(exc.value) == message


# --- settings ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("configured", "proposed"),
    [
        (None, True),
        ("", True),
        ("1", True),
        ("yes", True),
        ("0", False),
        ("false", False),
        (" Off ", False),
        ("NO", False),
    ],
)
def test_proposing_orders_is_on_unless_the_environment_says_off(
    configured: str | None, proposed: bool
) -> None:
    assert domain.setting_defaults(configured)["propose_order_on_win"] is proposed


def test_the_company_defaults_come_from_the_environment() -> None:
    env = {"OSPREY_COMPANY_NAME": " Osprey Ltd ", "OSPREY_COMPANY_BANK": "IBAN X\\nBIC Y"}
    defaults = domain.setting_defaults(None, env)
    assert defaults["company_name"] == "Osprey Ltd"
    assert defaults["company_bank"] == "IBAN X\nBIC Y"
    assert defaults["company_tax_id"] == ""


def test_the_settings_version_zero_is_the_settings_nobody_set() -> None:
    assert domain.settings_version(0) == 0
    assert domain.settings_version(None) is None
    assert domain.settings_version(1) == 1
    assert domain.settings_version(7) == 7
    for wrong in (False, -1, "0", 1.0):
        with pytest.raises(ValidationFailed) as exc:
            domain.settings_version(wrong)
        assert errors(exc) == [{"field": "expected_version", "message": "must be a version number"}]


def test_settings_are_known_names_with_values_of_their_type() -> None:
    assert domain.clean_settings({"propose_order_on_win": False}) == {"propose_order_on_win": False}
    assert domain.clean_settings({}) == {}
    with pytest.raises(ValidationFailed) as exc:
        domain.clean_settings([("propose_order_on_win", True)])
    assert errors(exc) == [{"field": "body", "message": "must be an object"}]
    with pytest.raises(ValidationFailed) as exc:
        domain.clean_settings({"colour": "red", "propose_order_on_win": "yes"})
    assert errors(exc) == [
        {"field": "colour", "message": "unknown setting"},
        {"field": "propose_order_on_win", "message": "must be true or false"},
    ]


# --- the accounting exchange ------------------------------------------------------------------


@pytest.mark.parametrize("status", ["confirmed", "in_progress"])
@pytest.mark.parametrize("accounting", ["not_sent", "rejected", "waiting"])
def test_a_reservation_is_sent_again_for_a_live_order_not_reserved(
    status: str, accounting: str
) -> None:
    accounting_rules.check_resendable(status, accounting)


@pytest.mark.parametrize(
    ("status", "accounting"),
    [
        ("draft", "not_sent"),
        ("shipped", "rejected"),
        ("cancelled", "waiting"),
        ("confirmed", "reserved"),
        ("in_progress", "shipped"),
        ("confirmed", "cancelled"),
    ],
)
def test_a_reservation_is_not_sent_again_otherwise(status: str, accounting: str) -> None:
    with pytest.raises(Conflict) as exc:
        accounting_rules.check_resendable(status, accounting)
    assert errors(exc) == [{"field": "accounting_status", "message": f"is {accounting}"}]


def test_the_refusal_to_resend_names_both_statuses_in_words() -> None:
    with pytest.raises(Conflict) as exc:
        accounting_rules.check_resendable("in_progress", "reserved")
    assert str(exc.value) == (
        "Only a confirmed order not reserved yet can be sent to accounting "
        "(the order is in progress, accounting reserved)"
    )
    with pytest.raises(Conflict) as exc:
        accounting_rules.check_resendable("draft", "not_sent")
    assert str(exc.value).endswith("(the order is draft, accounting not sent)")


def test_a_cancel_releases_the_goods_only_of_an_order_sent_to_accounting() -> None:
    assert accounting_rules.releases_reservation("cancelled", "waiting") is True
    assert accounting_rules.releases_reservation("cancelled", "reserved") is True
    assert accounting_rules.releases_reservation("cancelled", "not_sent") is False
    assert accounting_rules.releases_reservation("shipped", "reserved") is False


def test_an_accounting_note_is_cut_to_its_maximum() -> None:
    assert accounting_rules.MAX_NOTE == 500
    assert accounting_rules.note(None) is None
    assert accounting_rules.note("") is None
    assert accounting_rules.note("tracking 42") == "tracking 42"
    assert accounting_rules.note("n" * 500) == "n" * 500
    assert accounting_rules.note("n" * 501) == "n" * 500


def test_the_way_an_order_goes_when_accounting_ships_it() -> None:
    assert accounting_rules.ship_path("confirmed") == ("in_progress", "shipped")
    assert accounting_rules.ship_path("in_progress") == ("shipped",)
    assert accounting_rules.ship_path("shipped") == ()
    assert accounting_rules.ship_path("completed") == ()
    assert accounting_rules.ship_path("draft") is None
    assert accounting_rules.ship_path("cancelled") is None


def test_a_message_body_is_read_as_utf8_text() -> None:
    assert accounting_rules.text_of(b'{"a": "\xc3\xa9"}') == '{"a": "é"}'
    assert accounting_rules.text_of(bytearray(b"ok")) == "ok"
    assert accounting_rules.text_of(memoryview(b"ok")) == "ok"
    assert accounting_rules.text_of(b"bad \xff end") == "bad \ufffd end"
    assert accounting_rules.text_of("already text") == "already text"
    assert accounting_rules.text_of(12) == "12"


def test_reconciliation_compares_statuses_through_the_peers_words() -> None:
    crm = {
        "2026-000001": SimpleNamespace(accounting_status="reserved"),
        "2026-000002": SimpleNamespace(accounting_status="waiting"),
        "2026-000003": SimpleNamespace(accounting_status="rejected"),
        "2026-000004": SimpleNamespace(accounting_status="shipped"),
        "2026-000005": SimpleNamespace(accounting_status="waiting"),
    }
    snapshot = {
        "orders": {
            "2026-000001": {"status": "reserved"},
            "2026-000002": {"status": "reserved"},  # waiting: the answer may be on its way
            "2026-000003": {"status": "cancelled"},
            "2026-000004": {"status": "lost"},  # an unknown word is compared as it is
            "2026-000009": {"status": "reserved"},
        },
        "payments": {},
    }
    assert accounting_rules.compare(crm, {}, snapshot) == [
        {
            "order_number": "2026-000003",
            "field": "accounting_status",
            "crm": "rejected",
            "accounting": "cancelled",
        },
        {
            "order_number": "2026-000004",
            "field": "accounting_status",
            "crm": "shipped",
            "accounting": "lost",
        },
        {
            "order_number": "2026-000009",
            "field": "accounting_status",
            "crm": None,
            "accounting": "reserved",
        },
    ]


def test_reconciliation_compares_paid_amounts_as_money() -> None:
    paid = {"INV-1": D("10.00"), "INV-2": D("5.00"), "INV-3": D("0.00")}
    snapshot = {"orders": {}, "payments": {"INV-1": "10", "INV-2": 4.5, "INV-4": "1.10"}}
    assert accounting_rules.compare({}, paid, snapshot) == [
        {"invoice_number": "INV-2", "field": "paid_amount", "crm": "5.00", "accounting": "4.50"},
        {"invoice_number": "INV-4", "field": "paid_amount", "crm": "0.00", "accounting": "1.10"},
    ]
    assert accounting_rules.compare({}, {}, {}) == []


# --- what the first mutation run showed unpinned ----------------------------------------------


def test_a_status_the_table_does_not_know_goes_nowhere() -> None:
    assert domain.can_move(domain.ORDER_TRANSITIONS, "lost", "draft") is False
    assert domain.can_move(domain.INVOICE_TRANSITIONS, "", "issued") is False


def test_the_refusals_say_who_may_do_it() -> None:
    with pytest.raises(PermissionDenied) as exc:
        domain.check_order_change("draft", ["team_id"], REP)
    assert str(exc.value) == "Only an administrator may move the order to another team"
    with pytest.raises(PermissionDenied) as exc:
        domain.require_catalogue_manager(REP)
    assert str(exc.value) == "Only a sales manager or an administrator may change this"
    with pytest.raises(PermissionDenied) as exc:
        domain.check_invoice_change("draft", False, ["team_id"], REP)
    assert errors(exc) == [
        {"field": "team_id", "message": "only an administrator may change the team"}
    ]
    with pytest.raises(Conflict) as exc:
        domain.check_invoice_change("issued", False, ["currency"], ADMIN)
    assert str(exc.value) == (
        "The money, currency, order and account of an invoice change only in a draft made by hand"
    )


def test_a_lines_quantity_times_price_rounds_in_the_currencys_unit() -> None:
    line = Line(P1, D("1.5"), D("3"))
    assert domain.line_amounts(line, "JPY").amount == D("5.00")  # 4.5 yen → 5
    assert domain.line_amounts(line, "EUR").amount == D("4.50")
    [(_, amounts)] = domain.priced_lines([line], "JPY")
    assert (amounts.amount, amounts.total) == (D("5.00"), D("5.00"))


def test_the_totals_of_no_lines_are_money_not_a_bare_zero() -> None:
    totals = domain.order_totals([])
    assert [str(v) for v in (totals.subtotal, totals.discount_total, totals.tax_total)] == [
        "0.00",
        "0.00",
        "0.00",
    ]
    assert str(totals.total) == "0.00"


def test_a_won_deals_prices_fit_its_currency() -> None:
    deal = {"currency": "JPY", "lines": [{"product_id": P1, "quantity": "1", "price": "1.5"}]}
    with pytest.raises(ValidationFailed) as exc:
        domain.deal_lines(deal, {P1: None})
    assert [e["field"] for e in errors(exc)] == ["lines[0].price"]


def test_each_bad_part_of_a_line_says_what_is_wrong() -> None:
    with pytest.raises(ValidationFailed) as exc:
        domain.clean_lines([{"product_id": "p-1", "quantity": "0", "price": "-1"}], "EUR")
    found = {e["field"]: e["message"] for e in errors(exc)}
    assert found["lines[0].product_id"] == "must be a UUID"
    assert set(found) == {"lines[0].product_id", "lines[0].quantity", "lines[0].price"}
    assert found["lines[0].quantity"] not in ("", "None")
    assert found["lines[0].price"] not in ("", "None")
    with pytest.raises(domain.Invalid) as bad_quantity:
        domain.parse_quantity("0")
    assert found["lines[0].quantity"] == str(bad_quantity.value)
