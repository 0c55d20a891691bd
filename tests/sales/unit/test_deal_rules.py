"""Deal rules without a database (services/sales/domain/: opportunities, stages, tactics,
pipeline): money, stages and moves, SWOT entries and competitors, the board's query."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest

from services.platform.errors import Conflict, ValidationFailed
from services.sales import domain

A = "0196f5c4-0000-7000-8000-0000000000a1"
B = "0196f5c4-0000-7000-8000-0000000000a2"


def stage(name, position, probability=10, final=False, successful=False):
    return SimpleNamespace(
        id=name.lower(),
        name=name,
        position=position,
        probability=probability,
        is_final=final,
        is_successful=successful,
    )


QUALIFICATION = stage("Qualification", 10, 10)
PRESENTATION = stage("Presentation", 20, 30)
PROPOSAL = stage("Proposal", 30, 50)
NEGOTIATION = stage("Negotiation", 40, 80)
WON = stage("Won", 90, 100, final=True, successful=True)
LOST = stage("Lost", 100, 0, final=True)
PIPELINE = [QUALIFICATION, PRESENTATION, PROPOSAL, NEGOTIATION, WON, LOST]


def errors(exc: pytest.ExceptionInfo) -> list[dict[str, str]]:
    return exc.value.errors


# --- money ---------------------------------------------------------------------------------


def line(quantity: str, price: str) -> dict[str, str]:
    return {"product_id": A, "quantity": quantity, "price": price}


def test_lines_total_adds_each_line_rounded_to_the_cent():
    assert domain.lines_total([]) == Decimal("0.00")
    assert str(domain.lines_total([])) == "0.00"
    assert domain.lines_total([line("1", "0.005"), line("1", "0.005")]) == Decimal("0.02")
    assert domain.lines_total([line("2", "10.25"), line("0.5", "3")]) == Decimal("22.00")


def test_with_lines_the_amount_is_their_total():
    values = {"lines": [line("2", "10.00")], "currency": "EUR"}
    assert domain.apply_money_rules(values, changed={"lines"}) == {"amount": Decimal("20.00")}
    assert values["amount"] == Decimal("20.00")
    same = {"lines": [line("2", "10.00")], "amount": "20.00", "currency": "EUR"}
    # sent equal to the lines' total: nothing to derive, and it reads as following them
    assert domain.apply_money_rules(same, changed={"lines", "amount"}) == {}
    assert domain.follows_lines(same["lines"], same["amount"])
    stale = {"lines": [line("2", "10.00")], "amount": "99.00", "currency": "EUR"}
    assert domain.apply_money_rules(stale, changed={"lines"}) == {"amount": Decimal("20.00")}
    assert stale["amount"] == Decimal("20.00")


def test_an_amount_set_by_hand_stays_until_it_is_emptied():
    lines = [line("2", "10.00")]
    # sent with the lines: set by hand, kept
    by_hand = {"lines": lines, "amount": Decimal("19.99"), "currency": "EUR"}
    assert domain.apply_money_rules(by_hand, changed={"amount"}) == {}
    assert by_hand["amount"] == Decimal("19.99")
    assert not domain.follows_lines(lines, "19.99") and domain.follows_lines(lines, "20.00")
    # the lines change later: a hand-set amount stays, one that followed follows
    more = [line("3", "10.00")]
    kept = {"lines": more, "amount": "19.99", "currency": "EUR"}
    assert domain.apply_money_rules(kept, changed={"lines"}, previous=(lines, "19.99")) == {}
    assert kept["amount"] == "19.99"
    followed = {"lines": more, "amount": "20.00", "currency": "EUR"}
    assert domain.apply_money_rules(followed, changed={"lines"}, previous=(lines, "20.00")) == {
        "amount": Decimal("30.00")
    }
    # emptied: it follows the lines again
    emptied = {"lines": more, "amount": None, "currency": "EUR"}
    assert domain.apply_money_rules(emptied, changed={"amount"}, previous=(more, "19.99")) == {
        "amount": Decimal("30.00")
    }


def test_a_line_discount_is_taken_off_its_total():
    assert domain.lines_total([{**line("2", "10.00"), "discount": "15"}]) == Decimal("17.00")
    assert domain.lines_total([{**line("3", "0.35"), "discount": "12.5"}]) == Decimal("0.92")
    assert not domain.follows_lines([], "0.00")


def test_money_needs_a_currency():
    assert (
        domain.apply_money_rules({"amount": Decimal("5"), "currency": "EUR"}, changed=set()) == {}
    )
    assert domain.apply_money_rules({}, changed=set()) == {}
    assert domain.apply_money_rules({"lines": [], "amount": None}, changed={"lines"}) == {}
    for values in ({"amount": Decimal("0")}, {"budget": Decimal("1")}, {"lines": [line("1", "1")]}):
        with pytest.raises(ValidationFailed) as exc:
            domain.apply_money_rules({**values, "currency": ""}, changed=set())
        assert errors(exc) == [
            {"field": "currency", "message": "is required with an amount or a budget"}
        ]


# --- stages ----------------------------------------------------------------------------------


def test_a_stage_needs_its_name_position_and_probability():
    domain.check_stage({"name": "Demo", "position": 0, "probability": 0})
    domain.check_stage(
        {"name": "Won", "position": 1, "probability": 100, "is_final": True, "is_successful": True}
    )
    with pytest.raises(ValidationFailed) as exc:
        domain.check_stage({"is_successful": True, "is_final": False})
    assert errors(exc) == [
        {"field": "name", "message": "is required"},
        {"field": "position", "message": "is required"},
        {"field": "probability", "message": "is required"},
        {"field": "is_successful", "message": "only a final stage can be successful"},
    ]
    assert str(exc.value).startswith("name: is required; position: is required; ")


def test_a_new_stage_is_open_unless_said():
    assert domain.new_stage_values({"name": "Demo", "position": 5, "probability": 20}) == {
        "name": "Demo",
        "position": 5,
        "probability": 20,
        "is_final": False,
        "is_successful": False,
    }
    final = domain.new_stage_values(
        {"name": "Won", "position": 5, "probability": 100, "is_final": True, "is_successful": True}
    )
    assert final["is_final"] is True and final["is_successful"] is True
    with pytest.raises(ValidationFailed):
        domain.new_stage_values(
            {"name": "X", "position": 5, "probability": 1, "is_successful": True}
        )


def test_a_stage_change_names_only_what_differs():
    assert domain.stage_changes(PROPOSAL, {"name": "Proposal", "probability": 55}) == [
        "probability"
    ]
    assert domain.stage_changes(PROPOSAL, {"position": 30}) == []
    assert domain.stage_changes(PROPOSAL, {"is_final": True, "name": "Offer"}) == [
        "is_final",
        "name",
    ]


def test_a_forward_move_skips_the_open_stages_between():
    assert domain.skipped_between(PIPELINE, QUALIFICATION, NEGOTIATION) == [PRESENTATION, PROPOSAL]
    assert domain.skipped_between(PIPELINE, QUALIFICATION, PRESENTATION) == []
    assert domain.skipped_between(PIPELINE, PROPOSAL, WON) == [NEGOTIATION]
    assert domain.skipped_between(PIPELINE, NEGOTIATION, QUALIFICATION) == []
    assert domain.skipped_between(PIPELINE, QUALIFICATION, LOST) == []
    late_won = stage("Late", 95, final=True, successful=True)
    assert domain.skipped_between([*PIPELINE, late_won], NEGOTIATION, late_won) == []


def test_time_in_stage_is_whole_seconds_never_negative():
    start = datetime(2026, 3, 2, 9, tzinfo=UTC)
    assert domain.seconds_between(start, start + timedelta(seconds=90, microseconds=999)) == 90
    assert domain.seconds_between(start, start) == 0
    assert domain.seconds_between(start, start - timedelta(seconds=5)) == 0


def test_a_deal_starts_in_an_open_stage():
    assert domain.initial_stage(PIPELINE, None) is QUALIFICATION
    assert domain.initial_stage([WON, PROPOSAL], None) is PROPOSAL
    assert domain.initial_stage(PIPELINE, "proposal") is PROPOSAL
    with pytest.raises(ValidationFailed) as exc:
        domain.initial_stage(PIPELINE, "won")
    assert errors(exc) == [
        {"field": "stage_id", "message": "a deal starts in an open stage; win or lose it later"}
    ]
    with pytest.raises(ValidationFailed) as exc:
        domain.initial_stage(PIPELINE, "demo")
    assert errors(exc) == [{"field": "stage_id", "message": "no such stage"}]
    with pytest.raises(Conflict) as exc:
        domain.initial_stage([WON, LOST], None)
    assert str(exc.value) == "No open stage is configured"
    assert errors(exc) == [{"field": "stage_id", "message": "no open stage is configured"}]


def test_the_final_stages_where_deals_are_won_and_lost():
    assert domain.final_stage(PIPELINE, successful=True) is WON
    assert domain.final_stage(PIPELINE, successful=False) is LOST
    with pytest.raises(Conflict) as exc:
        domain.final_stage([QUALIFICATION, WON], successful=False)
    assert str(exc.value) == "No unsuccessful final stage is configured"
    assert errors(exc) == [
        {"field": "stage_id", "message": "no unsuccessful final stage is configured"}
    ]
    with pytest.raises(Conflict) as exc:
        domain.final_stage([QUALIFICATION, LOST], successful=True)
    assert str(exc.value) == "No successful final stage is configured"


def test_a_lost_deal_says_why_in_at_most_500_characters():
    assert domain.clean_reason("  Too dear ") == "Too dear"
    assert domain.clean_reason(" " + "r" * 500 + " ") == "r" * 500
    for bad in (None, "", "   ", 5):
        with pytest.raises(ValidationFailed) as exc:
            domain.clean_reason(bad)
        assert errors(exc) == [{"field": "reason", "message": "say why the deal was lost"}]
    with pytest.raises(ValidationFailed) as exc:
        domain.clean_reason("r" * 501)
    assert errors(exc) == [{"field": "reason", "message": "must be at most 500 characters"}]


def test_a_move_forward_logs_the_skipped_stages_and_stays_open():
    move = domain.plan_move(PIPELINE, "open", "qualification", "proposal", None)
    assert move == domain.Move(
        current=QUALIFICATION,
        target=PROPOSAL,
        skipped=[PRESENTATION],
        status="open",
        lost_reason=None,
    )
    assert domain.plan_move(PIPELINE, "open", "proposal", "proposal", None) is None


def test_a_move_into_a_final_stage_wins_or_loses_the_deal():
    won = domain.plan_move(PIPELINE, "open", "negotiation", "won", "ignored")
    assert (won.status, won.lost_reason, won.skipped) == ("won", None, [])
    lost = domain.plan_move(PIPELINE, "open", "qualification", "lost", " No budget ")
    assert (lost.status, lost.lost_reason, lost.skipped) == ("lost", "No budget", [])
    with pytest.raises(ValidationFailed) as exc:
        domain.plan_move(PIPELINE, "open", "qualification", "lost", None)
    assert errors(exc)[0]["field"] == "reason"


def test_a_closed_deal_never_moves():
    with pytest.raises(Conflict) as exc:
        domain.plan_move(PIPELINE, "won", "won", "proposal", None)
    assert str(exc.value) == "The deal is won and closed; it cannot move"
    assert errors(exc) == [{"field": "stage_id", "message": "the deal is already won"}]
    # a deal left open in a final stage (its stage was made final) is closed too
    with pytest.raises(Conflict):
        domain.plan_move(PIPELINE, "open", "lost", "lost", None)
    with pytest.raises(ValidationFailed) as exc:
        domain.plan_move(PIPELINE, "lost", "lost", "nowhere", None)
    assert errors(exc) == [{"field": "stage_id", "message": "no such stage"}]


# --- tactics and competitors ----------------------------------------------------------------


def test_a_tactic_is_a_kind_and_a_text():
    assert domain.clean_tactic({"kind": "threat", "text": "  Budget freeze "}) == {
        "kind": "threat",
        "text": "Budget freeze",
    }
    assert domain.clean_tactic({"kind": "strength", "text": "t" * 2000})["text"] == "t" * 2000
    with pytest.raises(ValidationFailed) as exc:
        domain.clean_tactic({"kind": "hope", "text": "t" * 2001, "score": 1})
    assert errors(exc) == [
        {"field": "score", "message": "unknown field"},
        {"field": "kind", "message": "must be one of strength, weakness, opportunity, threat"},
        {"field": "text", "message": "must be at most 2000 characters"},
    ]
    assert str(exc.value).startswith("score: unknown field; kind: must be one of")
    with pytest.raises(ValidationFailed) as exc:
        domain.clean_tactic({"kind": " ", "text": 5})
    assert errors(exc) == [
        {"field": "kind", "message": "is required"},
        {"field": "text", "message": "must be a string"},
    ]
    with pytest.raises(ValidationFailed) as exc:
        domain.clean_tactic([])
    assert errors(exc) == [{"field": "data", "message": "must be an object"}]


def test_a_competitor_is_an_account_with_an_optional_offer_and_comparison():
    assert domain.clean_competitor({"account_id": A, "offer": " Cheaper "}) == {
        "account_id": A,
        "offer": "Cheaper",
        "comparison": None,
    }
    with pytest.raises(ValidationFailed) as exc:
        domain.clean_competitor({"account_id": "acme", "comparison": "c" * 2001})
    assert errors(exc) == [
        {"field": "account_id", "message": "must be a UUID"},
        {"field": "comparison", "message": "must be at most 2000 characters"},
    ]
    with pytest.raises(ValidationFailed) as exc:
        domain.clean_competitor({"offer": "x"})
    assert errors(exc) == [{"field": "account_id", "message": "is required"}]


# --- the board -------------------------------------------------------------------------------


def test_the_board_query_defaults_to_fifty_cards_of_everyone():
    assert domain.board_query(None) == ([], [], 50)
    assert domain.board_query({}) == ([], [], 50)
    assert domain.board_query({"owner_id": f"{A},{B}", "team_id": [B], "per_stage": "7"}) == (
        [A, B],
        [B],
        7,
    )
    assert domain.board_query({"owner_id": f"{A},,", "per_stage": 1}) == ([A], [], 1)
    assert domain.board_query({"per_stage": 200})[2] == 200


def test_the_board_query_reports_every_problem():
    with pytest.raises(ValidationFailed) as exc:
        domain.board_query({"owner_id": "me", "team_id": 5, "per_stage": True})
    assert errors(exc) == [
        {"field": "owner_id", "message": "must be UUIDs separated by commas"},
        {"field": "team_id", "message": "must be UUIDs separated by commas"},
        {"field": "per_stage", "message": "must be a whole number"},
    ]
    assert str(exc.value).startswith("owner_id: must be UUIDs separated by commas; team_id:")
    for bad in (0, 201, "-1"):
        with pytest.raises(ValidationFailed) as exc:
            domain.board_query({"per_stage": bad})
        message = "must be a whole number" if bad == "-1" else "must be between 1 and 200"
        assert errors(exc) == [{"field": "per_stage", "message": message}]
    with pytest.raises(ValidationFailed) as exc:
        domain.board_query("owner_id=me")
    assert errors(exc) == [{"field": "query", "message": "must be an object"}]
