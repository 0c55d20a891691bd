"""The accounting exchange over the real broker, with the reference peer as a process.

The orders container and ``deploy/accounting/peer.py`` (started as a subprocess on the
test's own vhost, its books in a SQLite file) talk only through RabbitMQ; the peer is
stopped and started again to show that nothing is lost while it is away.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from kombu import Connection, Exchange, Queue

from services.orders.accounting_contract import EXCHANGE, FROM_ERP, TO_ERP
from services.orders.service import OrdersService
from services.platform.errors import Conflict, PermissionDenied, Unavailable
from services.platform.ids import new_id

from .conftest import ADMIN, REP_A, call, make_product, outbox

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def orders(container_factory, service_config):
    config = {**service_config, "max_workers": 20, "ACCOUNTING_POLL_SECONDS": 0.2}
    container = container_factory(OrdersService, config)
    container.start()
    return container


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PeerProcess:
    """The reference accounting system in a subprocess; stop and start it at will."""

    def __init__(self, amqp_uri: str, state: Path):
        self.amqp_uri = amqp_uri
        self.state = state
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self.log = state.with_suffix(".log")

    def start(self, *stock: str) -> PeerProcess:
        args = [sys.executable, "-m", "deploy.accounting.peer", "--amqp-uri", self.amqp_uri]
        args += ["--state", str(self.state), "--http-port", str(self.port)]
        for item in stock:
            args += ["--stock", item]
        self.process = subprocess.Popen(
            args,
            cwd=ROOT,
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        wait_for(lambda: self._healthy(), "the peer's control to answer")
        return self

    def _healthy(self) -> bool:
        try:
            return self.get("/state") is not None
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=15)
        self.process = None

    def request(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}",
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=5) as response:
            return json.loads(response.read())

    def get(self, path: str) -> Any:
        return self.request("GET", path)

    def post(self, path: str, body: Any) -> Any:
        return self.request("POST", path, body)


@pytest.fixture
def peer(rabbit_config, tmp_path) -> Iterator[PeerProcess]:
    process = PeerProcess(rabbit_config["AMQP_URI"], tmp_path / "peer.sqlite3")
    yield process
    process.stop()


def wait_for(check: Callable[[], Any], what: str, timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def order_row(engine: sa.Engine, order_id: str) -> Any:
    with engine.connect() as conn:
        return conn.execute(
            sa.text(
                "SELECT status, accounting_status, accounting_note, accounting_in_seq "
                "FROM orders.orders WHERE id = :id"
            ),
            {"id": order_id},
        ).one()


def accounting_status(engine: sa.Engine, order_id: str) -> str:
    return order_row(engine, order_id).accounting_status


def inbox(engine: sa.Engine, order_id: str | None = None) -> list[Any]:
    sql = "SELECT message_id, type, order_seq, state, error FROM orders.accounting_inbox"
    with engine.connect() as conn:
        if order_id is None:
            return conn.execute(sa.text(sql + " ORDER BY received_at")).all()
        return conn.execute(
            sa.text(sql + " WHERE order_id = :id ORDER BY received_at"), {"id": order_id}
        ).all()


def queue_depth(amqp_uri: str, name: str) -> int:
    with Connection(amqp_uri) as conn:
        channel = conn.channel()
        _, count, _ = Queue(name, durable=True)(channel).queue_declare(passive=True)
        return count


def publish_raw(amqp_uri: str, body: Any) -> None:
    """What an accounting system would send to Osprey (bytes are sent as they are)."""
    exchange = Exchange(EXCHANGE, type="direct", durable=True)
    with Connection(amqp_uri) as conn:
        producer = conn.Producer(exchange=exchange)
        queue = Queue(FROM_ERP, exchange, routing_key=FROM_ERP, durable=True)
        if isinstance(body, bytes):
            producer.publish(
                body,
                routing_key=FROM_ERP,
                content_type="application/octet-stream",
                content_encoding="binary",
                declare=[queue],
            )
        else:
            producer.publish(body, routing_key=FROM_ERP, serializer="json", declare=[queue])


def incoming(order_id: str, seq: int, type_: str, **data: Any) -> dict[str, Any]:
    return {
        "message_id": new_id(),
        "type": type_,
        "version": 1,
        "order_id": order_id,
        "order_seq": seq,
        "sent_at": "2026-11-27T10:00:00Z",
        "data": data,
    }


def confirmed_order(orders, code: str, quantity: int = 2, price: str = "5") -> dict:
    product = make_product(orders, code=code)
    made = call(
        orders,
        "create_order",
        {
            "currency": "EUR",
            "lines": [{"product_id": product["id"], "quantity": quantity, "price": price}],
        },
        actor=REP_A,
    )
    return call(orders, "confirm_order", made["id"], actor=REP_A)


def event_types(engine: sa.Engine, order_id: str) -> list[str]:
    found = []
    for type_, data in outbox(engine):
        order = data.get("order", data)
        if isinstance(order, dict) and order.get("id") == order_id:
            found.append(type_)
    return found


def test_a_confirmed_order_is_reserved_by_accounting(orders, peer, db_engine):
    peer.start("SEAT-1=10")
    order = confirmed_order(orders, "SEAT-1", quantity=3)
    assert order["accounting_status"] == "waiting"
    wait_for(lambda: accounting_status(db_engine, order["id"]) == "reserved", "reserved")

    assert event_types(db_engine, order["id"]).count("stock_reserved") == 1
    log = call(orders, "order_accounting", order["id"], actor=REP_A)
    assert log["status"] == "reserved"
    kinds = [(m["direction"], m["type"], m["order_seq"], m["state"]) for m in log["messages"]]
    assert kinds == [
        ("out", "reservation_requested", 1, "sent"),
        ("in", "reservation_confirmed", 1, "applied"),
    ]
    sent = log["messages"][0]["data"]
    assert sent["order_number"] == order["number"]
    assert sent["lines"] == [{"product_code": "SEAT-1", "quantity": "3.000"}]
    assert peer.get("/state")["stock"]["SEAT-1"] == "7.000"


def test_out_of_stock_is_rejected_then_reserved_when_sent_again(orders, peer, db_engine):
    peer.start("SEAT-2=1")
    order = confirmed_order(orders, "SEAT-2", quantity=4)
    wait_for(lambda: accounting_status(db_engine, order["id"]) == "rejected", "rejected")
    row = order_row(db_engine, order["id"])
    assert "SEAT-2" in row.accounting_note
    failed = [d for t, d in outbox(db_engine) if t == "stock_reservation_failed"]
    assert len(failed) == 1
    assert failed[0]["order"]["id"] == order["id"]
    assert failed[0]["reason"] == row.accounting_note
    assert failed[0]["lines_short"] == [
        {"product_code": "SEAT-2", "requested": "4.000", "available": "1"}
    ]

    peer.request("PUT", "/stock", {"SEAT-2": 10})
    again = call(orders, "reserve_order", order["id"], actor=REP_A)
    assert again["accounting_status"] == "waiting"
    wait_for(lambda: accounting_status(db_engine, order["id"]) == "reserved", "reserved")
    # reserved now: sending it again is refused
    with pytest.raises(Conflict):
        call(orders, "reserve_order", order["id"], actor=REP_A)


def test_a_draft_cannot_be_sent_to_accounting(orders):
    product = make_product(orders)
    made = call(
        orders,
        "create_order",
        {"currency": "EUR", "lines": [{"product_id": product["id"], "quantity": 1, "price": "1"}]},
        actor=REP_A,
    )
    assert made["accounting_status"] == "not_sent"
    with pytest.raises(Conflict):
        call(orders, "reserve_order", made["id"], actor=REP_A)


def test_a_message_delivered_twice_is_applied_once(orders, rabbit_config, db_engine):
    order = confirmed_order(orders, "SEAT-3")
    message = incoming(order["id"], 1, "reservation_confirmed", order_number=order["number"])
    publish_raw(rabbit_config["AMQP_URI"], message)
    publish_raw(rabbit_config["AMQP_URI"], message)
    wait_for(lambda: accounting_status(db_engine, order["id"]) == "reserved", "reserved")
    wait_for(lambda: queue_depth(rabbit_config["AMQP_URI"], FROM_ERP) == 0, "both taken")
    time.sleep(0.3)  # the second delivery's worker has finished: the queue is empty
    rows = inbox(db_engine, order["id"])
    assert [(r.message_id, r.state) for r in rows] == [(message["message_id"], "applied")]
    assert event_types(db_engine, order["id"]).count("stock_reserved") == 1


def test_a_message_ahead_of_a_gap_waits_for_it(orders, rabbit_config, db_engine):
    order = confirmed_order(orders, "SEAT-4")
    uri = rabbit_config["AMQP_URI"]
    second = incoming(order["id"], 2, "shipment_notified", shipped_at="2026-11-27T11:00:00Z")
    first = incoming(order["id"], 1, "reservation_confirmed", order_number=order["number"])
    publish_raw(uri, second)
    wait_for(lambda: [r.state for r in inbox(db_engine, order["id"])] == ["pending"], "pending")
    assert accounting_status(db_engine, order["id"]) == "waiting"

    publish_raw(uri, first)
    wait_for(lambda: accounting_status(db_engine, order["id"]) == "shipped", "both applied")
    row = order_row(db_engine, order["id"])
    assert (row.status, row.accounting_in_seq) == ("shipped", 2)
    assert {r.order_seq: r.state for r in inbox(db_engine, order["id"])} == {
        1: "applied",
        2: "applied",
    }
    history = call(orders, "order_history", order["id"], actor=REP_A)
    assert [h["to"] for h in history] == ["draft", "confirmed", "in_progress", "shipped"]

    # an older sequence number coming late (a new message id) changes nothing
    late = incoming(order["id"], 1, "reservation_rejected", reason="late")
    publish_raw(uri, late)
    wait_for(lambda: len(inbox(db_engine, order["id"])) == 3, "the late one recorded")
    assert inbox(db_engine, order["id"])[-1].state == "ignored"
    assert accounting_status(db_engine, order["id"]) == "shipped"


def test_a_malformed_message_is_recorded_and_the_worker_goes_on(orders, rabbit_config, db_engine):
    order = confirmed_order(orders, "SEAT-5")
    uri = rabbit_config["AMQP_URI"]
    publish_raw(uri, b"\xffnot json at all")
    publish_raw(uri, {"message_id": new_id(), "type": "reservation_confirmed", "version": 1})
    publish_raw(uri, {**incoming(order["id"], 1, "payment_notified"), "version": 7})
    publish_raw(uri, incoming(order["id"], 2**40, "reservation_confirmed"))
    publish_raw(uri, incoming(order["id"], 1, "reservation_confirmed"))
    wait_for(lambda: accounting_status(db_engine, order["id"]) == "reserved", "reserved")
    rejected = [r for r in inbox(db_engine) if r.state == "rejected"]
    assert len(rejected) == 4
    errors = " | ".join(r.error for r in rejected)
    assert "order_seq must be a whole number" in errors
    assert "not JSON" in errors
    assert "order_id is required" in errors
    assert "version must be 1" in errors


def test_nothing_is_lost_while_the_accounting_system_is_down(
    orders, peer, rabbit_config, db_engine
):
    uri = rabbit_config["AMQP_URI"]
    placed = [confirmed_order(orders, f"DOWN-{i}", quantity=2) for i in range(5)]
    assert {o["accounting_status"] for o in placed} == {"waiting"}
    # the requests wait in the broker's durable queue
    wait_for(lambda: queue_depth(uri, TO_ERP) == 5, "five requests queued")
    time.sleep(1.0)
    assert {accounting_status(db_engine, o["id"]) for o in placed} == {"waiting"}

    peer.start(*(f"DOWN-{i}=5" for i in range(5)))
    for o in placed:
        wait_for(lambda o=o: accounting_status(db_engine, o["id"]) == "reserved", o["number"])
    assert queue_depth(uri, TO_ERP) == 0
    state = peer.get("/state")
    assert {n: v["status"] for n, v in state["orders"].items()} == {
        o["number"]: "reserved" for o in placed
    }
    assert set(state["stock"].values()) == {"3.000"}  # each taken once: 5 - 2
    applied = [r for r in inbox(db_engine) if r.type == "reservation_confirmed"]
    assert len(applied) == 5 and {r.state for r in applied} == {"applied"}

    # stopped and started again, the peer carries on from its books
    peer.stop()
    more = confirmed_order(orders, "DOWN-5", quantity=1)
    wait_for(lambda: queue_depth(uri, TO_ERP) == 1, "one more request queued")
    peer.start("DOWN-5=4")
    wait_for(lambda: accounting_status(db_engine, more["id"]) == "reserved", "reserved later")
    state = peer.get("/state")
    assert state["stock"]["DOWN-5"] == "3.000"
    assert len(state["orders"]) == 6 and state["seen"] == 6


def test_shipment_and_payment_come_back_from_accounting(orders, peer, db_engine):
    peer.start("SHIP-1=10")
    order = confirmed_order(orders, "SHIP-1", quantity=2, price="50")
    wait_for(lambda: accounting_status(db_engine, order["id"]) == "reserved", "reserved")
    invoice = call(orders, "create_invoice", {"order_id": order["id"]}, actor=REP_A)
    call(orders, "issue_invoice", invoice["id"], actor=REP_A)

    pay = {
        "order_number": order["number"],
        "invoice_number": invoice["number"],
        "amount": "40.00",
        "payment_id": "BANK-0001",
    }
    peer.post("/pay", pay)
    peer.post("/pay", pay)  # the bank tells twice: one payment

    def paid_amount() -> str:
        return call(orders, "get_invoice", invoice["id"], actor=REP_A)["paid_amount"]

    wait_for(lambda: paid_amount() == "40.00", "the payment")
    wait_for(lambda: len(inbox(db_engine, order["id"])) == 3, "both notices")
    assert [r.state for r in inbox(db_engine, order["id"])][1:] == ["applied", "ignored"]
    peer.post("/pay", {**pay, "amount": "60.00", "payment_id": "BANK-0002"})
    wait_for(
        lambda: call(orders, "get_invoice", invoice["id"], actor=REP_A)["status"] == "paid",
        "paid in full",
    )
    assert len(call(orders, "list_payments", invoice["id"], actor=REP_A)) == 2

    peer.post("/ship", {"order_number": order["number"], "tracking": "TRK-77"})
    wait_for(lambda: accounting_status(db_engine, order["id"]) == "shipped", "shipped")
    shipped = call(orders, "get_order", order["id"], actor=REP_A)
    assert shipped["status"] == "shipped"
    assert "TRK-77" in shipped["accounting_note"]


def test_cancelling_a_reserved_order_releases_its_stock(orders, peer, db_engine):
    peer.start("CAN-1=5")
    order = confirmed_order(orders, "CAN-1", quantity=5)
    wait_for(lambda: accounting_status(db_engine, order["id"]) == "reserved", "reserved")
    assert peer.get("/state")["stock"]["CAN-1"] == "0.000"
    cancelled = call(orders, "cancel_order", order["id"], actor=REP_A, reason="changed mind")
    assert cancelled["accounting_status"] == "cancelled"
    wait_for(lambda: peer.get("/state")["stock"]["CAN-1"] == "5.000", "stock given back")
    assert peer.get("/state")["orders"][order["number"]]["status"] == "cancelled"


def test_reconciliation_reports_a_planted_difference(orders, peer, db_engine):
    peer.start("REC-1=10", "REC-2=10")
    one = confirmed_order(orders, "REC-1", price="10")
    two = confirmed_order(orders, "REC-2", price="10")
    for o in (one, two):
        wait_for(lambda o=o: accounting_status(db_engine, o["id"]) == "reserved", o["number"])
    invoice = call(orders, "create_invoice", {"order_id": two["id"]}, actor=REP_A)
    call(orders, "issue_invoice", invoice["id"], actor=REP_A)

    clean = call(orders, "reconcile_accounting", actor=ADMIN)
    assert clean["differences"] == [] and clean["orders"] == 2

    peer.post("/plant", {"order_number": one["number"], "status": "cancelled"})
    peer.post("/plant", {"invoice_number": invoice["number"], "paid": "5"})
    report = call(orders, "reconcile_accounting", actor=ADMIN)
    assert report["differences"] == [
        {
            "order_number": one["number"],
            "field": "accounting_status",
            "crm": "reserved",
            "accounting": "cancelled",
        },
        {
            "invoice_number": invoice["number"],
            "field": "paid_amount",
            "crm": "0.00",
            "accounting": "5.00",
        },
    ]
    with pytest.raises(PermissionDenied):
        call(orders, "reconcile_accounting", actor=REP_A)


def test_reconciliation_without_the_accounting_system_says_so(orders, container_factory):
    link = next(d for d in orders.dependencies if d.attr_name == "accounting")
    link.reconcile_timeout = 1.0
    # Not a conflict with the order's state: the caller may try again later (503).
    with pytest.raises(Unavailable, match="no snapshot") as refused:
        call(orders, "reconcile_accounting", actor=ADMIN)
    assert not isinstance(refused.value, Conflict)


def test_a_request_sent_again_while_waiting_reserves_once(orders, peer, rabbit_config, db_engine):
    order = confirmed_order(orders, "AGAIN-1", quantity=2)
    again = call(orders, "reserve_order", order["id"], actor=REP_A)
    assert again["accounting_status"] == "waiting"
    wait_for(lambda: queue_depth(rabbit_config["AMQP_URI"], TO_ERP) == 2, "both requests queued")
    peer.start("AGAIN-1=10")
    wait_for(lambda: len(inbox(db_engine, order["id"])) == 2, "both answers")
    assert [r.state for r in inbox(db_engine, order["id"])] == ["applied", "ignored"]
    assert accounting_status(db_engine, order["id"]) == "reserved"
    assert event_types(db_engine, order["id"]).count("stock_reserved") == 1
    assert peer.get("/state")["stock"]["AGAIN-1"] == "8.000"  # taken once
