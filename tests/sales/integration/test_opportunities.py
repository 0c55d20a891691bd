"""Opportunities in a real sales container: stages, moves, history, tactics, the board."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from nameko.testing.services import entrypoint_hook

from services.platform.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from services.platform.ids import new_id
from services.sales.domain import skipped_between
from services.sales.service import SalesService

TEAM_A, TEAM_B = new_id(), new_id()


def person(email: str, role: str, team: str | None) -> dict[str, Any]:
    return {"id": new_id(), "email": email, "roles": [role], "team_id": team}


REP_A = person("ann@osprey.test", "sales_rep", TEAM_A)
REP_A2 = person("abe@osprey.test", "sales_rep", TEAM_A)
REP_B = person("bob@osprey.test", "sales_rep", TEAM_B)
ADMIN = person("root@osprey.test", "admin", None)


@pytest.fixture
def sales(container_factory, service_config):
    container = container_factory(SalesService, service_config)
    container.start()
    return container


def call(container, method: str, *args: Any, **kwargs: Any) -> Any:
    with entrypoint_hook(container, method) as entrypoint:
        return entrypoint(*args, **kwargs)


def stages(container) -> dict[str, dict]:
    return {s["name"]: s for s in call(container, "list_opportunity_stages")}


def deal(container, actor: dict = REP_A, **data: Any) -> dict:
    return call(container, "create_opportunity", {"title": "Fleet renewal", **data}, actor=actor)


def outbox(engine: sa.Engine) -> list[tuple[str, dict]]:
    with engine.connect() as conn:
        return [
            (t, e["data"])
            for t, e in conn.execute(sa.text("SELECT type, envelope FROM sales.outbox ORDER BY id"))
        ]


def error_fields(exc: pytest.ExceptionInfo) -> set[str]:
    return {e["field"] for e in exc.value.errors}


def test_a_deal_starts_in_the_first_open_stage_with_its_probability(sales, db_engine):
    opportunity = deal(sales, amount="1500", currency="eur", close_date="2026-12-31")
    qualification = stages(sales)["Qualification"]
    assert opportunity["stage_id"] == qualification["id"]
    assert opportunity["probability"] == qualification["probability"] == 10
    assert opportunity["status"] == "open"
    assert opportunity["amount"] == "1500.00"
    assert opportunity["currency"] == "EUR"
    assert opportunity["owner_id"] == REP_A["id"]
    history = call(sales, "opportunity_history", opportunity["id"], actor=REP_A)
    assert [(h["stage_name"], h["left_at"], h["skipped"]) for h in history] == [
        ("Qualification", None, False)
    ]
    assert outbox(db_engine)[-1][0] == "opportunity_created"


def test_owner_is_required_and_money_needs_a_currency(sales):
    with pytest.raises(ValidationFailed) as exc:
        deal(sales, owner_id=None, amount="10")
    assert error_fields(exc) == {"owner_id"}
    with pytest.raises(ValidationFailed) as exc:
        deal(sales, amount="10")
    assert error_fields(exc) == {"currency"}
    with pytest.raises(ValidationFailed) as exc:
        deal(sales, amount="1.005", probability=101, close_date="31/12/2026", title="")
    assert error_fields(exc) == {"amount", "probability", "close_date"}


def test_a_deal_cannot_start_in_a_final_stage_or_change_stage_by_patch(sales):
    won = stages(sales)["Won"]
    with pytest.raises(ValidationFailed) as exc:
        deal(sales, stage_id=won["id"])
    assert error_fields(exc) == {"stage_id"}
    opportunity = deal(sales)
    with pytest.raises(ValidationFailed) as exc:
        call(
            sales,
            "update_opportunity",
            opportunity["id"],
            {"stage_id": won["id"]},
            actor=REP_A,
        )
    assert error_fields(exc) == {"stage_id"}


def test_moving_forward_logs_skipped_stages_and_time_in_stage(sales, db_engine):
    named = stages(sales)
    opportunity = deal(sales)
    # Pretend the deal has sat in Qualification for two days.
    two_days_ago = datetime.now(UTC) - timedelta(days=2)
    with db_engine.begin() as conn:
        conn.execute(
            sa.text(
                "UPDATE sales.opportunity_stage_history SET entered_at = :t "
                "WHERE opportunity_id = :id"
            ),
            {"t": two_days_ago, "id": opportunity["id"]},
        )
        conn.execute(
            sa.text("UPDATE sales.opportunities SET stage_entered_at = :t WHERE id = :id"),
            {"t": two_days_ago, "id": opportunity["id"]},
        )
    moved = call(
        sales,
        "move_opportunity",
        opportunity["id"],
        named["Negotiation"]["id"],
        actor=REP_A,
        expected_version=1,
    )
    assert moved["stage_id"] == named["Negotiation"]["id"]
    assert moved["probability"] == 80
    assert moved["version"] == 2
    history = call(sales, "opportunity_history", opportunity["id"], actor=REP_A)
    assert [(h["stage_name"], h["skipped"]) for h in history] == [
        ("Qualification", False),
        ("Presentation", True),
        ("Proposal", True),
        ("Negotiation", False),
    ]
    qualification = history[0]
    assert 2 * 86400 - 5 <= qualification["seconds_in_stage"] <= 2 * 86400 + 60
    assert history[1]["seconds_in_stage"] == 0
    assert history[-1]["left_at"] is None
    event_type, data = outbox(db_engine)[-1]
    assert event_type == "opportunity_stage_changed"
    assert data["from_stage_id"] == named["Qualification"]["id"]
    assert data["to_stage_id"] == named["Negotiation"]["id"]
    assert data["skipped_stage_ids"] == [named["Presentation"]["id"], named["Proposal"]["id"]]
    assert data["seconds_in_stage"] >= 2 * 86400 - 5


def test_moving_back_is_allowed_until_the_deal_is_closed(sales, db_engine):
    named = stages(sales)
    opportunity = deal(sales)
    call(sales, "move_opportunity", opportunity["id"], named["Proposal"]["id"], actor=REP_A)
    back = call(
        sales, "move_opportunity", opportunity["id"], named["Presentation"]["id"], actor=REP_A
    )
    assert back["stage_id"] == named["Presentation"]["id"]
    history = call(sales, "opportunity_history", opportunity["id"], actor=REP_A)
    assert [h["skipped"] for h in history] == [False, True, False, False]

    won = call(sales, "win_opportunity", opportunity["id"], actor=REP_A)
    assert (won["status"], won["probability"]) == ("won", 100)
    assert won["stage_id"] == named["Won"]["id"]
    types = [t for t, _ in outbox(db_engine)]
    assert types[-2:] == ["opportunity_stage_changed", "opportunity_won"]
    # Won stays won: no move, back or sideways, and no lose either.
    for target in ("Qualification", "Negotiation", "Lost"):
        with pytest.raises(Conflict):
            call(
                sales,
                "move_opportunity",
                opportunity["id"],
                named[target]["id"],
                actor=REP_A,
                reason="late",
            )
    with pytest.raises(Conflict):
        call(sales, "lose_opportunity", opportunity["id"], "changed mind", actor=REP_A)
    assert call(sales, "get_opportunity", opportunity["id"], actor=REP_A)["status"] == "won"
    history = call(sales, "opportunity_history", opportunity["id"], actor=REP_A)
    assert [(h["stage_name"], h["skipped"]) for h in history] == [
        ("Qualification", False),
        ("Presentation", True),
        ("Proposal", False),
        ("Presentation", False),
        ("Proposal", True),
        ("Negotiation", True),
        ("Won", False),
    ]


def test_losing_needs_a_reason_and_logs_no_skipped_stages(sales, db_engine):
    named = stages(sales)
    opportunity = deal(sales)
    with pytest.raises(ValidationFailed) as exc:
        call(sales, "lose_opportunity", opportunity["id"], "  ", actor=REP_A)
    assert error_fields(exc) == {"reason"}
    with pytest.raises(ValidationFailed):
        call(sales, "move_opportunity", opportunity["id"], named["Lost"]["id"], actor=REP_A)
    lost = call(sales, "lose_opportunity", opportunity["id"], "Chose a cheaper offer", actor=REP_A)
    assert (lost["status"], lost["probability"], lost["lost_reason"]) == (
        "lost",
        0,
        "Chose a cheaper offer",
    )
    history = call(sales, "opportunity_history", opportunity["id"], actor=REP_A)
    assert [(h["stage_name"], h["skipped"]) for h in history] == [
        ("Qualification", False),
        ("Lost", False),
    ]
    event_type, data = outbox(db_engine)[-1]
    assert event_type == "opportunity_lost"
    assert data["reason"] == "Chose a cheaper offer"


def test_the_list_filters_deals_by_why_they_were_lost(sales):
    price = [deal(sales, title=f"Price {n}") for n in range(2)]
    timing, still_open, theirs = deal(sales), deal(sales), deal(sales, actor=REP_B)
    for item in price:
        call(sales, "lose_opportunity", item["id"], "Too expensive", actor=REP_A)
    call(sales, "lose_opportunity", timing["id"], "Bad timing", actor=REP_A)
    call(sales, "lose_opportunity", theirs["id"], "Too expensive", actor=REP_B)

    def ids(query: dict, actor: dict = REP_A) -> set[str]:
        page = call(sales, "list_opportunities", query, actor=actor)
        return {item["id"] for item in page["items"]}

    assert ids({"filter": {"lost_reason": ["Too expensive"]}}) == {p["id"] for p in price}
    assert ids({"filter": {"lost_reason": ["Too expensive", "Bad timing"]}}) == {
        *(p["id"] for p in price),
        timing["id"],
    }
    assert ids({"filter": {"lost_reason": ["too expensive"]}}) == set()  # exactly as given
    assert ids({"filter": {"lost_reason": ["Too expensive"]}}, REP_B) == {theirs["id"]}
    assert still_open["id"] not in ids({"filter": {"status": ["open", "lost"]}}) - ids({})
    meta = {f["name"]: f for f in call(sales, "describe_opportunities")["fields"]}
    assert meta["lost_reason"]["filterable"]


def test_a_stale_version_moves_nothing(sales):
    named = stages(sales)
    opportunity = deal(sales)
    call(sales, "update_opportunity", opportunity["id"], {"need_type": "Fleet"}, actor=REP_A)
    with pytest.raises(Conflict):
        call(
            sales,
            "move_opportunity",
            opportunity["id"],
            named["Proposal"]["id"],
            actor=REP_A,
            expected_version=1,
        )
    again = call(sales, "get_opportunity", opportunity["id"], actor=REP_A)
    assert again["stage_id"] == named["Qualification"]["id"]
    assert len(call(sales, "opportunity_history", opportunity["id"], actor=REP_A)) == 1


def test_rights_follow_owner_and_team(sales):
    named = stages(sales)
    opportunity = deal(sales, actor=REP_A)
    # A teammate reads but may not move; another team does not even see it.
    assert call(sales, "get_opportunity", opportunity["id"], actor=REP_A2)["id"]
    with pytest.raises(PermissionDenied):
        call(sales, "move_opportunity", opportunity["id"], named["Proposal"]["id"], actor=REP_A2)
    with pytest.raises(NotFound):
        call(sales, "get_opportunity", opportunity["id"], actor=REP_B)
    with pytest.raises(NotFound):
        call(sales, "opportunity_history", opportunity["id"], actor=REP_B)
    page = call(sales, "list_opportunities", {}, actor=REP_B)
    assert page["items"] == []


def test_product_lines_make_the_amount(sales):
    product = new_id()
    opportunity = deal(
        sales,
        currency="USD",
        lines=[
            {"product_id": product, "quantity": "3", "price": "19.99"},
            {"product_id": new_id(), "quantity": 1.5, "price": 10},
        ],
    )
    assert opportunity["amount"] == "74.97"
    assert opportunity["lines"][0] == {"product_id": product, "quantity": "3.000", "price": "19.99"}
    changed = call(
        sales,
        "update_opportunity",
        opportunity["id"],
        {"lines": [{"product_id": product, "quantity": "2", "price": "100"}]},
        actor=REP_A,
    )
    assert changed["amount"] == "200.00" and changed["amount_from_lines"] is True

    def update(changes: dict) -> dict:
        return call(sales, "update_opportunity", opportunity["id"], changes, actor=REP_A)

    # set by hand: kept while the lines change, until it is emptied
    assert update({"amount": "150"})["amount_from_lines"] is False
    discounted = [{"product_id": product, "quantity": "2", "price": "100", "discount": "10"}]
    changed = update({"lines": discounted})
    assert (changed["amount"], changed["amount_from_lines"]) == ("150.00", False)
    assert changed["lines"][0]["discount"] == "10.00"
    changed = update({"amount": None})
    assert (changed["amount"], changed["amount_from_lines"]) == ("180.00", True)
    changed = update({"lines": [{**discounted[0], "quantity": "3"}]})
    assert changed["amount"] == "270.00"
    with pytest.raises(ValidationFailed) as exc:
        deal(sales, currency="USD", lines=[{"product_id": "x", "quantity": "0", "price": "-1"}])
    assert error_fields(exc) == {"lines[0].product_id", "lines[0].quantity", "lines[0].price"}


def test_links_must_exist(sales):
    with pytest.raises(ValidationFailed) as exc:
        deal(sales, account_id=new_id(), contact_id=new_id())
    assert error_fields(exc) == {"account_id", "contact_id"}


def test_tactics_and_competitors(sales, db_engine):
    rival = call(
        sales, "create_account", {"name": "Rival Widgets Ltd", "type": "competitor"}, actor=REP_A
    )
    opportunity = deal(sales)
    strength = call(
        sales,
        "add_tactic",
        opportunity["id"],
        {"kind": "strength", "text": "We deliver in a week"},
        actor=REP_A,
    )
    call(
        sales,
        "add_tactic",
        opportunity["id"],
        {"kind": "threat", "text": "Budget cut"},
        actor=REP_A,
    )
    with pytest.raises(ValidationFailed) as exc:
        call(sales, "add_tactic", opportunity["id"], {"kind": "luck", "colour": 1}, actor=REP_A)
    assert error_fields(exc) == {"kind", "text", "colour"}
    with pytest.raises(PermissionDenied):
        call(
            sales,
            "add_tactic",
            opportunity["id"],
            {"kind": "weakness", "text": "x"},
            actor=REP_A2,
        )
    kinds = [t["kind"] for t in call(sales, "list_tactics", opportunity["id"], actor=REP_A2)]
    assert kinds == ["strength", "threat"]
    call(sales, "remove_tactic", opportunity["id"], strength["id"], actor=REP_A)
    with pytest.raises(NotFound):
        call(sales, "remove_tactic", opportunity["id"], strength["id"], actor=REP_A)

    competitor = call(
        sales,
        "add_competitor",
        opportunity["id"],
        {"account_id": rival["id"], "offer": "10% cheaper", "comparison": "slower support"},
        actor=REP_A,
    )
    assert competitor["account_name"] == "Rival Widgets Ltd"
    with pytest.raises(Conflict):
        call(sales, "add_competitor", opportunity["id"], {"account_id": rival["id"]}, actor=REP_A)
    with pytest.raises(ValidationFailed):
        call(sales, "add_competitor", opportunity["id"], {"account_id": new_id()}, actor=REP_A)
    listed = call(sales, "list_competitors", opportunity["id"], actor=REP_A)
    assert [(c["account_name"], c["offer"]) for c in listed] == [
        ("Rival Widgets Ltd", "10% cheaper")
    ]
    call(sales, "remove_competitor", opportunity["id"], competitor["id"], actor=REP_A)
    assert call(sales, "list_competitors", opportunity["id"], actor=REP_A) == []
    types = [t for t, _ in outbox(db_engine)]
    for expected in (
        "opportunity_tactic_added",
        "opportunity_tactic_removed",
        "opportunity_competitor_added",
        "opportunity_competitor_removed",
    ):
        assert expected in types


def test_stages_are_configurable_by_admins_only(sales, db_engine):
    assert len(stages(sales)) == 6  # the default pipeline
    with pytest.raises(PermissionDenied):
        call(
            sales,
            "create_opportunity_stage",
            {"name": "Demo", "position": 25, "probability": 40},
            actor=REP_A,
        )
    demo = call(
        sales,
        "create_opportunity_stage",
        {"name": "Demo", "position": 25, "probability": 40},
        actor=ADMIN,
    )
    assert [s["name"] for s in call(sales, "list_opportunity_stages")][2:4] == ["Demo", "Proposal"]
    with pytest.raises(Conflict):
        call(
            sales,
            "create_opportunity_stage",
            {"name": "Demo 2", "position": 25, "probability": 1},
            actor=ADMIN,
        )
    with pytest.raises(ValidationFailed) as exc:
        call(
            sales,
            "create_opportunity_stage",
            {"name": "Odd", "position": 26, "probability": 140},
            actor=ADMIN,
        )
    assert error_fields(exc) == {"probability"}
    with pytest.raises(ValidationFailed) as exc:
        call(
            sales,
            "create_opportunity_stage",
            {"name": "Odd", "position": 26, "probability": 40, "is_successful": True},
            actor=ADMIN,
        )
    assert error_fields(exc) == {"is_successful"}
    renamed = call(
        sales,
        "update_opportunity_stage",
        demo["id"],
        {"name": "Live demo"},
        actor=ADMIN,
        expected_version=1,
    )
    assert (renamed["name"], renamed["version"]) == ("Live demo", 2)
    # A stage a deal was in stays: its history would lose its meaning.
    opportunity = deal(sales)
    call(sales, "move_opportunity", opportunity["id"], demo["id"], actor=REP_A)
    with pytest.raises(Conflict):
        call(sales, "delete_opportunity_stage", demo["id"], actor=ADMIN)
    with pytest.raises(Conflict):
        call(sales, "update_opportunity_stage", demo["id"], {"is_final": True}, actor=ADMIN)
    spare = call(
        sales,
        "create_opportunity_stage",
        {"name": "Spare", "position": 35, "probability": 60},
        actor=ADMIN,
    )
    call(sales, "delete_opportunity_stage", spare["id"], actor=ADMIN)
    assert "Spare" not in stages(sales)
    assert "opportunity_stage_deleted" in [t for t, _ in outbox(db_engine)]


def test_the_board_counts_totals_and_pages_per_stage(sales):
    named = stages(sales)
    for i in range(3):
        deal(sales, title=f"Q{i}", amount="100", currency="EUR", probability=50)
    deal(sales, title="Q-usd", amount="10", currency="USD")
    proposal = deal(sales, title="P", amount="1000", currency="EUR")
    call(sales, "move_opportunity", proposal["id"], named["Proposal"]["id"], actor=REP_A)
    call(
        sales,
        "win_opportunity",
        deal(sales, title="W", amount="5", currency="EUR")["id"],
        actor=REP_A,
    )
    deal(sales, actor=REP_B, title="other team", amount="7", currency="EUR")

    board = call(sales, "pipeline", {"per_stage": 2}, actor=REP_A)
    columns = {c["stage"]["name"]: c for c in board["stages"]}
    assert list(columns) == [
        "Qualification",
        "Presentation",
        "Proposal",
        "Negotiation",
        "Won",
        "Lost",
    ]
    qualification = columns["Qualification"]
    assert qualification["count"] == 4
    assert qualification["totals"] == [
        {"currency": "EUR", "amount": "300.00", "weighted": "150.00"},
        {"currency": "USD", "amount": "10.00", "weighted": "1.00"},
    ]
    assert len(qualification["items"]) == 2 and qualification["next_cursor"]
    rest = call(
        sales,
        "list_opportunities",
        {
            "filter": {"stage_id": [named["Qualification"]["id"]], "status": ["open"]},
            "sort": "-updated_at",
            "cursor": qualification["next_cursor"],
        },
        actor=REP_A,
    )
    shown = {c["id"] for c in qualification["items"]} | {o["id"] for o in rest["items"]}
    assert len(shown) == 4
    assert columns["Proposal"]["totals"] == [
        {"currency": "EUR", "amount": "1000.00", "weighted": "500.00"}
    ]
    assert columns["Won"]["count"] == 0 and columns["Won"]["items"] == []
    assert qualification["items"][0]["owner_id"] == REP_A["id"]

    mine = call(sales, "pipeline", {"owner_id": [REP_B["id"]]}, actor=REP_A)
    assert sum(c["count"] for c in mine["stages"]) == 0
    with pytest.raises(ValidationFailed) as exc:
        call(sales, "pipeline", {"owner_id": ["nope"], "per_stage": 0}, actor=REP_A)
    assert error_fields(exc) == {"owner_id", "per_stage"}


def test_skipped_between_is_pure():
    class S:
        def __init__(self, position: int, final: bool = False, ok: bool = False) -> None:
            self.position, self.is_final, self.is_successful = position, final, ok

    a, b, c, won, lost = S(1), S(2), S(3), S(9, True, True), S(10, True)
    ladder = [a, b, c, won, lost]
    assert skipped_between(ladder, a, c) == [b]
    assert skipped_between(ladder, a, won) == [b, c]
    assert skipped_between(ladder, a, lost) == []
    assert skipped_between(ladder, c, a) == []


def test_a_contact_or_account_a_deal_points_at_cannot_be_deleted(sales):
    account = call(sales, "create_account", {"name": "Held Account Qx"}, actor=REP_A)
    person = call(sales, "create_contact", {"full_name": "Held Person Qx"}, actor=REP_A)
    opportunity = deal(sales, account_id=account["id"], contact_id=person["id"])
    with pytest.raises(Conflict) as exc:
        call(sales, "delete_contact", person["id"], actor=REP_A)
    assert "opportunities" in str(exc.value)
    with pytest.raises(Conflict):
        call(sales, "delete_account", account["id"], actor=REP_A)
    # Nothing was half-deleted: both still load, and go once the deal is gone.
    assert call(sales, "get_contact", person["id"], actor=REP_A)["id"] == person["id"]
    call(sales, "delete_opportunity", opportunity["id"], actor=REP_A)
    call(sales, "delete_contact", person["id"], actor=REP_A)
    call(sales, "delete_account", account["id"], actor=REP_A)
