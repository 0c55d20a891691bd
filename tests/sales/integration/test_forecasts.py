"""Forecast plans in a real sales container: figures from opportunities, periods, rights.

The opportunities are written straight into ``sales.opportunities`` so these tests
hold whatever the opportunity rules do; only the columns the figures read matter.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from nameko.testing.services import entrypoint_hook

from gateway.routers.forecasts import forecast_query
from services.platform.db import Database
from services.platform.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from services.platform.ids import new_id
from services.sales.domain import period_end, period_start_error
from services.sales.models import Opportunity, OpportunityStage
from services.sales.service import SalesService

TEAM_A, TEAM_B = new_id(), new_id()


def person(email: str, role: str, team: str | None) -> dict[str, Any]:
    return {"id": new_id(), "email": email, "roles": [role], "team_id": team}


REP_A = person("ann@osprey.test", "sales_rep", TEAM_A)
REP_A2 = person("abe@osprey.test", "sales_rep", TEAM_A)
REP_B = person("bob@osprey.test", "sales_rep", TEAM_B)
MANAGER_A = person("max@osprey.test", "sales_manager", TEAM_A)
ADMIN = person("root@osprey.test", "admin", None)


@pytest.fixture
def sales(container_factory, service_config):
    container = container_factory(SalesService, service_config)
    container.start()
    return container


def call(container, method: str, *args: Any, **kwargs: Any) -> Any:
    with entrypoint_hook(container, method) as entrypoint:
        return entrypoint(*args, **kwargs)


def plan(container, actor: dict = MANAGER_A, **data: Any) -> dict:
    values = {
        "owner_id": REP_A["id"],
        "period_kind": "month",
        "period_start": "2026-03-01",
        "amount": "10000.00",
        "currency": "EUR",
        **data,
    }
    return call(container, "create_forecast_plan", values, actor=actor)


class Deals:
    """Opportunities inserted directly (their stage does not matter to the figures)."""

    def __init__(self, engine: sa.Engine):
        self.engine = engine
        # Each test starts with empty tables (the seeded stages too): one stage will do.
        now = datetime.now(UTC)
        self.stage_id = new_id()
        with engine.begin() as conn:
            conn.execute(
                sa.insert(OpportunityStage).values(
                    id=self.stage_id,
                    name="Qualification",
                    position=10,
                    probability=10,
                    is_final=False,
                    is_successful=False,
                    version=1,
                    created_at=now,
                    updated_at=now,
                )
            )

    def add(
        self,
        amount: str | None,
        close_date: str,
        *,
        owner: dict = REP_A,
        team_id: str | None = "owner's",
        status: str = "open",
        currency: str = "EUR",
        probability: int | None = 50,
    ) -> None:
        now = datetime.now(UTC)
        with self.engine.begin() as conn:
            conn.execute(
                sa.insert(Opportunity).values(
                    id=new_id(),
                    title="Deal",
                    stage_id=self.stage_id,
                    amount=Decimal(amount) if amount is not None else None,
                    currency=currency,
                    probability=probability,
                    close_date=date.fromisoformat(close_date),
                    status=status,
                    lines=[],
                    stage_entered_at=now,
                    owner_id=owner["id"],
                    team_id=owner["team_id"] if team_id == "owner's" else team_id,
                    version=1,
                    created_at=now,
                    updated_at=now,
                    created_by=owner["id"],
                )
            )


@pytest.fixture
def deals(sales, db_engine) -> Deals:
    return Deals(db_engine)


def figures(record: dict) -> tuple[str, str, str, str]:
    return (
        record["plan_amount"],
        record["fact_amount"],
        record["pipeline_amount"],
        record["weighted_amount"],
    )


def outbox(engine: sa.Engine) -> list[tuple[str, dict]]:
    with engine.connect() as conn:
        return [
            (t, e["data"])
            for t, e in conn.execute(sa.text("SELECT type, envelope FROM sales.outbox ORDER BY id"))
        ]


def error_fields(exc: pytest.ExceptionInfo) -> set[str]:
    return {e["field"] for e in exc.value.errors}


# --- periods (pure) -----------------------------------------------------------------------


def test_periods_start_on_their_first_day_and_end_on_their_last():
    assert period_end("month", date(2024, 2, 1)) == date(2024, 2, 29)
    assert period_end("month", date(2026, 12, 1)) == date(2026, 12, 31)
    assert period_end("quarter", date(2026, 10, 1)) == date(2026, 12, 31)
    assert period_end("year", date(2026, 1, 1)) == date(2026, 12, 31)
    assert period_start_error("month", date(2026, 3, 2))
    assert period_start_error("quarter", date(2026, 2, 1))
    assert period_start_error("quarter", date(2026, 4, 1)) is None
    assert period_start_error("year", date(2026, 7, 1))


# --- figures ------------------------------------------------------------------------------


def test_fact_pipeline_and_weighted_of_an_owner_plan(sales, deals, db_engine):
    # counted: won in the period (its first and last day), open in the period
    deals.add("1000.00", "2026-03-01", status="won")
    deals.add("250.50", "2026-03-31", status="won")
    deals.add("2000.00", "2026-03-15", probability=30)
    deals.add("333.33", "2026-03-20", probability=10)  # weighted 33.333 → 33.33
    deals.add("100.00", "2026-03-20", probability=None)  # pipeline, weighs nothing
    # not counted: outside the period, other currency, other owner, lost, no amount
    deals.add("5000.00", "2026-02-28", status="won")
    deals.add("5000.00", "2026-04-01", status="won")
    deals.add("5000.00", "2026-03-10", status="won", currency="USD")
    deals.add("5000.00", "2026-03-10", status="won", owner=REP_A2)
    deals.add("5000.00", "2026-03-10", status="lost")
    deals.add(None, "2026-03-10", status="won")

    created = plan(sales)
    assert figures(created) == ("10000.00", "1250.50", "2433.33", "633.33")
    assert created["period_end"] == "2026-03-31" and created["team_id"] is None
    assert created["version"] == 1 and created["currency"] == "EUR"
    assert call(sales, "get_forecast_plan", created["id"], actor=REP_A) == created

    # a quarter and a year cover more
    quarter = plan(sales, period_kind="quarter", period_start="2026-01-01")
    assert quarter["period_end"] == "2026-03-31"
    assert figures(quarter)[1] == "6250.50"  # February's won deal too
    year = plan(sales, period_kind="year", period_start="2026-01-01", amount=0)
    assert figures(year) == ("0.00", "11250.50", "2433.33", "633.33")
    dollars = plan(sales, currency="usd")
    assert dollars["currency"] == "USD" and figures(dollars)[1:] == ("5000.00", "0.00", "0.00")

    # event data carries the plan, not the figures
    event_type, data = outbox(db_engine)[0]
    assert event_type == "forecast_plan_created"
    assert data["id"] == created["id"] and data["plan_amount"] == "10000.00"
    assert "fact_amount" not in data


def test_a_team_plan_counts_every_deal_of_the_team(sales, deals):
    deals.add("100.00", "2026-03-05", status="won", owner=REP_A)
    deals.add("200.00", "2026-03-06", status="won", owner=REP_A2)
    deals.add("300.00", "2026-03-07", status="won", owner=REP_B)  # other team
    deals.add("400.00", "2026-03-08", owner=REP_A2, probability=25)
    deals.add("500.00", "2026-03-09", status="won", owner=REP_A, team_id=None)  # no team
    team = plan(sales, owner_id=None, team_id=TEAM_A)
    assert team["owner_id"] is None and team["team_id"] == TEAM_A
    assert figures(team) == ("10000.00", "300.00", "400.00", "100.00")
    own = plan(sales, owner_id=REP_A2["id"])
    assert figures(own) == ("10000.00", "200.00", "400.00", "100.00")


def test_a_page_of_plans_is_listed_with_its_figures(sales, deals):
    deals.add("10.00", "2026-01-10", status="won")
    deals.add("20.00", "2026-02-10", status="won")
    deals.add("30.00", "2026-03-10", status="won")
    for month in ("2026-01-01", "2026-02-01", "2026-03-01"):
        plan(sales, period_start=month)
    plan(sales, owner_id=None, team_id=TEAM_A, period_kind="quarter", period_start="2026-01-01")

    page = call(
        sales,
        "list_forecast_plans",
        {"filter": {"period_kind": ["month"]}, "limit": 2},
        actor=REP_A,
    )
    assert [(p["period_start"], p["fact_amount"]) for p in page["items"]] == [
        ("2026-03-01", "30.00"),
        ("2026-02-01", "20.00"),
    ]
    rest = call(
        sales,
        "list_forecast_plans",
        {"filter": {"period_kind": ["month"]}, "limit": 2, "cursor": page["next_cursor"]},
        actor=REP_A,
    )
    assert [(p["period_start"], p["fact_amount"]) for p in rest["items"]] == [
        ("2026-01-01", "10.00")
    ]
    assert rest["next_cursor"] is None
    team = call(sales, "list_forecast_plans", {"filter": {"team_id": [TEAM_A]}}, actor=REP_A)
    assert [p["fact_amount"] for p in team["items"]] == ["60.00"]

    # the figures of a whole page come from one query over the opportunities
    engine = next(e for e in sales.extensions if isinstance(e, Database)).engine
    statements: list[str] = []

    def seen(conn, cursor, statement, *args) -> None:
        statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", seen)
    try:
        everything = call(sales, "list_forecast_plans", {}, actor=ADMIN)
    finally:
        sa.event.remove(engine, "before_cursor_execute", seen)
    assert len(everything["items"]) == 4
    assert sum("sales.opportunities" in s for s in statements) == 1
    with pytest.raises(ValidationFailed) as exc:
        call(sales, "list_forecast_plans", {"filter": {"period_start": ["March"]}}, actor=REP_A)
    assert error_fields(exc) == {"filter[period_start]"}


def test_the_forecasts_route_filters_like_every_list_and_keeps_its_plain_parameters(sales):
    """``GET /forecasts``'s query string, as the gateway's route reads it, answered by a
    real sales service: ``filter[...]`` as on every list, the plain parameters the API
    documented first meaning the same."""
    march = plan(sales, period_start="2026-03-01")
    plan(sales, period_start="2026-03-01", currency="USD")
    plan(sales, period_kind="quarter", period_start="2026-01-01")
    team = plan(sales, owner_id=None, team_id=TEAM_A, period_start="2026-03-01")

    def listed(raw_query: str) -> list[str]:
        page = call(sales, "list_forecast_plans", forecast_query(raw_query), actor=MANAGER_A)
        return sorted(p["id"] for p in page["items"])

    eur_months = "filter[period_kind]=month&filter[currency]=eur"
    assert listed(eur_months) == sorted([march["id"], team["id"]])
    assert listed("period_kind=month&currency=eur") == listed(eur_months)
    assert listed(f"owner_id={REP_A['id']}&filter[period_kind]=month&filter[currency]=EUR") == [
        march["id"]
    ]
    # comma = any of, in either form
    assert len(listed("filter[period_kind]=month,quarter")) == 4
    assert listed(f"team_id={TEAM_A},{TEAM_B}") == [team["id"]]
    # a plain parameter without a value filters nothing, as it never did
    assert len(listed("period_kind=")) == 4
    assert forecast_query("sort=created_at&limit=2")["limit"] == 2
    for bad, field in (
        ("filter[colour]=red", "filter[colour]"),
        ("filter[period_kind]=", "filter[period_kind]"),
        ("filter[period_start]=March", "filter[period_start]"),
    ):
        with pytest.raises(ValidationFailed) as exc:
            listed(bad)
        assert error_fields(exc) == {field}
    with pytest.raises(ValidationFailed) as exc:
        forecast_query("colour=red&limit=0")
    assert error_fields(exc) == {"colour", "limit"}


# --- validation ---------------------------------------------------------------------------


def test_a_plan_is_validated_all_at_once(sales, db_engine):
    with pytest.raises(ValidationFailed) as exc:
        plan(sales, period_start="2026-03-02", amount="-5", currency="euro")
    assert error_fields(exc) == {"period_start", "amount", "currency"}
    with pytest.raises(ValidationFailed) as exc:
        plan(sales, period_kind="quarter", period_start="2026-02-01", amount="1.005")
    assert error_fields(exc) == {"period_start", "amount"}
    with pytest.raises(ValidationFailed) as exc:
        plan(sales, period_kind="week")
    assert error_fields(exc) == {"period_kind"}
    with pytest.raises(ValidationFailed) as exc:
        plan(sales, team_id=TEAM_A)  # and owner_id: both
    assert error_fields(exc) == {"team_id"}
    with pytest.raises(ValidationFailed) as exc:
        plan(sales, owner_id=None)  # neither
    assert error_fields(exc) == {"owner_id"}
    with pytest.raises(ValidationFailed) as exc:
        call(sales, "create_forecast_plan", {"owner_id": REP_A["id"], "note": 1}, actor=ADMIN)
    assert error_fields(exc) == {"note", "period_kind", "period_start", "amount", "currency"}
    assert outbox(db_engine) == []


def test_a_second_plan_for_the_same_scope_period_and_currency_is_409(sales, db_engine):
    first = plan(sales)
    with pytest.raises(Conflict):
        plan(sales, amount="1.00")
    # another currency, period kind, owner or a team plan is another plan
    plan(sales, currency="USD")
    plan(sales, period_kind="quarter", period_start="2026-01-01")
    plan(sales, owner_id=REP_A2["id"])
    plan(sales, owner_id=None, team_id=TEAM_A)
    with pytest.raises(Conflict):
        plan(sales, owner_id=None, team_id=TEAM_A, amount="2.00")
    assert call(sales, "get_forecast_plan", first["id"], actor=ADMIN)["plan_amount"] == "10000.00"
    assert [t for t, _ in outbox(db_engine)] == ["forecast_plan_created"] * 5


# --- rights and changes -------------------------------------------------------------------


def test_only_admins_and_managers_plan_and_everyone_reads_own_and_team_plans(sales, db_engine):
    with pytest.raises(PermissionDenied):
        plan(sales, REP_A)
    with pytest.raises(PermissionDenied):
        plan(sales, MANAGER_A, owner_id=None, team_id=TEAM_B)  # another team's plan
    ann = plan(sales, MANAGER_A)
    abe = plan(sales, MANAGER_A, owner_id=REP_A2["id"])
    team_a = plan(sales, MANAGER_A, owner_id=None, team_id=TEAM_A)
    team_b = plan(sales, ADMIN, owner_id=None, team_id=TEAM_B)

    def ids(actor: dict) -> set[str]:
        return {p["id"] for p in call(sales, "list_forecast_plans", {}, actor=actor)["items"]}

    assert ids(REP_A) == {ann["id"], team_a["id"]}
    assert ids(REP_B) == {team_b["id"]}
    assert ids(MANAGER_A) == {ann["id"], abe["id"], team_a["id"]}
    assert ids(ADMIN) == {ann["id"], abe["id"], team_a["id"], team_b["id"]}
    with pytest.raises(NotFound):
        call(sales, "get_forecast_plan", abe["id"], actor=REP_A)
    with pytest.raises(NotFound):
        call(sales, "get_forecast_plan", "not-a-uuid", actor=ADMIN)

    # a rep reads their own plan but may not change or delete it
    with pytest.raises(PermissionDenied):
        call(sales, "update_forecast_plan", ann["id"], {"amount": "1"}, actor=REP_A)
    with pytest.raises(PermissionDenied):
        call(sales, "delete_forecast_plan", ann["id"], actor=REP_A)
    with pytest.raises(NotFound):
        call(sales, "update_forecast_plan", team_b["id"], {"amount": "1"}, actor=REP_A)
    with pytest.raises(NotFound):  # another team's plan is not there for a manager either
        call(sales, "update_forecast_plan", team_b["id"], {"amount": "1"}, actor=MANAGER_A)
    # a manager changes the plans of users and of the own team
    for record in (abe, team_a):
        changed = call(sales, "update_forecast_plan", record["id"], {"amount": 1}, actor=MANAGER_A)
        assert changed["plan_amount"] == "1.00"


def test_a_plan_changes_its_amount_only_with_versions_and_events(sales, db_engine):
    created = plan(sales)
    changed = call(
        sales,
        "update_forecast_plan",
        created["id"],
        {"amount": 12500},
        actor=MANAGER_A,
        expected_version=1,
    )
    assert changed["plan_amount"] == "12500.00" and changed["version"] == 2
    same = call(sales, "update_forecast_plan", created["id"], {"amount": "12500"}, actor=ADMIN)
    assert same == changed
    with pytest.raises(Conflict):
        call(
            sales,
            "update_forecast_plan",
            created["id"],
            {"amount": "1"},
            actor=MANAGER_A,
            expected_version=1,
        )
    with pytest.raises(ValidationFailed) as exc:
        call(
            sales,
            "update_forecast_plan",
            created["id"],
            {"amount": None, "currency": "USD"},
            actor=MANAGER_A,
        )
    assert error_fields(exc) == {"amount", "currency"}
    with pytest.raises(Conflict):
        call(sales, "delete_forecast_plan", created["id"], actor=MANAGER_A, expected_version=1)
    assert call(sales, "delete_forecast_plan", created["id"], actor=MANAGER_A) is None
    with pytest.raises(NotFound):
        call(sales, "get_forecast_plan", created["id"], actor=ADMIN)
    events = outbox(db_engine)
    assert [t for t, _ in events] == [
        "forecast_plan_created",
        "forecast_plan_updated",
        "forecast_plan_deleted",
    ]
    assert events[1][1]["changed_fields"] == ["plan_amount"]
    assert events[2][1]["plan_amount"] == "12500.00"
