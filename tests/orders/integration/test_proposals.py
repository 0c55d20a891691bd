"""An order proposed for a won deal: a real sales container wins the deal, its outbox
publishes ``opportunity_won`` on RabbitMQ, a real orders container drafts the order."""

from __future__ import annotations

import time
from typing import Any

import pytest
import sqlalchemy as sa
from nameko.standalone.events import event_dispatcher

from services.platform.errors import Conflict, PermissionDenied, ValidationFailed
from services.platform.ids import new_id
from services.sales.service import SalesService

from .conftest import ADMIN, MANAGER_A, REP_A, call, error_fields, make_product, outbox


@pytest.fixture
def sales(container_factory, service_config):
    container = container_factory(SalesService, service_config)
    container.start()
    return container


def wait_until(read: Any, timeout: float = 15.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = read()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("timed out")


def orders_of(engine: sa.Engine, opportunity_id: str) -> list[dict]:
    with engine.connect() as conn:
        return [
            dict(row._mapping)
            for row in conn.execute(
                sa.text(
                    "SELECT id::text, number, status, owner_id::text, created_by::text"
                    " FROM orders.orders WHERE opportunity_id = :o ORDER BY created_at"
                ),
                {"o": opportunity_id},
            )
        ]


def claimed(engine: sa.Engine, event_id: str) -> bool:
    with engine.connect() as conn:
        return bool(
            conn.execute(
                sa.text(
                    "SELECT count(*) FROM orders.processed_events WHERE event_id = :e "
                    "AND handler LIKE '%handle_opportunity_won'"
                ),
                {"e": event_id},
            ).scalar()
        )


def won_event(engine: sa.Engine, opportunity_id: str) -> dict:
    """The ``opportunity_won`` envelope sales wrote for the deal (once it is there)."""

    def read() -> dict | None:
        with engine.connect() as conn:
            return conn.execute(
                sa.text(
                    "SELECT envelope FROM sales.outbox WHERE type = 'opportunity_won' "
                    "AND envelope->'data'->>'id' = :o"
                ),
                {"o": opportunity_id},
            ).scalar()

    return wait_until(read)


def won_deal(orders, sales, lines: list[dict] | None = None, **data: Any) -> dict:
    if lines is None:
        bolt = make_product(orders, tax_rate="20")
        lines = [{"product_id": bolt["id"], "quantity": "4", "price": "12.50"}]
    deal = call(
        sales,
        "create_opportunity",
        {"title": "Fleet renewal", "currency": "EUR", "lines": lines, **data},
        actor=REP_A,
    )
    # A manager of the team wins the rep's deal: the order is the rep's.
    call(sales, "win_opportunity", deal["id"], actor=MANAGER_A)
    return deal


def test_a_won_deal_gets_one_draft_order_announced_as_proposed(
    orders, sales, db_engine, service_config
):
    deal = won_deal(orders, sales)
    made = wait_until(lambda: orders_of(db_engine, deal["id"]))
    assert len(made) == 1
    assert (made[0]["status"], made[0]["owner_id"], made[0]["created_by"]) == (
        "draft",
        REP_A["id"],
        MANAGER_A["id"],
    )
    order = call(orders, "get_order", made[0]["id"], actor=REP_A)
    assert (order["currency"], order["opportunity_id"], order["team_id"]) == (
        "EUR",
        deal["id"],
        REP_A["team_id"],
    )
    assert [(x["quantity"], x["price"], x["tax_rate"], x["total"]) for x in order["lines"]] == [
        ("4.000", "12.50", "20.00", "60.00")
    ]
    placed = [data for kind, data in outbox(db_engine) if kind == "order_placed"]
    assert placed == [{**order, "proposed": True, "source": "opportunity_won"}]

    # The broker delivers the same event again, and sales wins the deal once more
    # (a new event): still one order.
    event = won_event(db_engine, deal["id"])
    dispatch = event_dispatcher(service_config)
    dispatch("sales", "opportunity_won", event)
    again = {**event, "id": new_id()}
    dispatch("sales", "opportunity_won", again)
    wait_until(lambda: claimed(db_engine, again["id"]))
    assert len(orders_of(db_engine, deal["id"])) == 1
    # …and making one by hand says the deal has its order.
    with pytest.raises(Conflict):
        call(orders, "create_order_from_opportunity", deal["id"], actor=REP_A)


def test_a_deal_with_an_order_already_gets_no_proposal(orders, sales, db_engine):
    bolt = make_product(orders)
    deal = call(
        sales,
        "create_opportunity",
        {
            "title": "Spare parts",
            "currency": "EUR",
            "lines": [{"product_id": bolt["id"], "quantity": "1", "price": "5.00"}],
        },
        actor=REP_A,
    )
    by_hand = call(orders, "create_order_from_opportunity", deal["id"], actor=REP_A)
    call(sales, "win_opportunity", deal["id"], actor=REP_A)
    event = won_event(db_engine, deal["id"])
    wait_until(lambda: claimed(db_engine, event["id"]))
    assert [o["id"] for o in orders_of(db_engine, deal["id"])] == [by_hand["id"]]


def test_nothing_is_proposed_for_a_deal_the_catalogue_cannot_price(orders, sales, db_engine):
    deal = won_deal(
        orders, sales, lines=[{"product_id": new_id(), "quantity": "1", "price": "5.00"}]
    )
    event = won_event(db_engine, deal["id"])
    wait_until(lambda: claimed(db_engine, event["id"]))
    assert orders_of(db_engine, deal["id"]) == []
    no_currency = won_deal(orders, sales, lines=[], currency=None)
    event = won_event(db_engine, no_currency["id"])
    wait_until(lambda: claimed(db_engine, event["id"]))
    assert orders_of(db_engine, no_currency["id"]) == []


COMPANY = (
    "company_name",
    "company_address",
    "company_tax_id",
    "company_email",
    "company_phone",
    "company_bank",
)


def test_an_administrator_turns_proposals_off(orders, sales, db_engine):
    assert call(orders, "get_orders_settings", actor=REP_A) == {
        "propose_order_on_win": True,
        **{name: "" for name in COMPANY},
        "version": 0,
        "updated_at": None,
        "updated_by": None,
    }
    changed = call(orders, "update_orders_settings", {"propose_order_on_win": False}, actor=ADMIN)
    assert (changed["propose_order_on_win"], changed["version"], changed["updated_by"]) == (
        False,
        1,
        ADMIN["id"],
    )
    assert outbox(db_engine)[-1] == (
        "orders_settings_updated",
        {**changed, "changed_fields": ["propose_order_on_win"]},
    )
    deal = won_deal(orders, sales)
    event = won_event(db_engine, deal["id"])
    wait_until(lambda: claimed(db_engine, event["id"]))
    assert orders_of(db_engine, deal["id"]) == []

    # Back on: the next won deal gets its order.
    call(orders, "update_orders_settings", {"propose_order_on_win": True}, actor=ADMIN)
    deal = won_deal(orders, sales)
    assert len(wait_until(lambda: orders_of(db_engine, deal["id"]))) == 1


def test_settings_are_changed_by_administrators_with_valid_values(orders, monkeypatch):
    with pytest.raises(PermissionDenied):
        call(orders, "update_orders_settings", {"propose_order_on_win": False}, actor=MANAGER_A)
    with pytest.raises(ValidationFailed) as exc:
        call(
            orders,
            "update_orders_settings",
            {"propose_order_on_win": "no", "colour": "red"},
            actor=ADMIN,
        )
    assert error_fields(exc) == {"propose_order_on_win", "colour"}
    first = call(orders, "update_orders_settings", {"propose_order_on_win": False}, actor=ADMIN)
    # Nothing changed: no new version, no event.
    same = call(orders, "update_orders_settings", {"propose_order_on_win": False}, actor=ADMIN)
    assert same == first
    with pytest.raises(Conflict):
        call(
            orders,
            "update_orders_settings",
            {"propose_order_on_win": True},
            actor=ADMIN,
            expected_version=5,
        )
    # The environment gives the default until an administrator sets it.
    monkeypatch.setenv("OSPREY_PROPOSE_ORDER_ON_WIN", "off")
    call(orders, "update_orders_settings", {}, actor=ADMIN)  # nothing to change
    assert call(orders, "get_orders_settings", actor=REP_A)["propose_order_on_win"] is False
