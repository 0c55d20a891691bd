"""A reference accounting system: the other end of Osprey's accounting exchange.

A small stand-alone simulator of the company's accounting system (docs/accounting.md),
for development, the demo stack and the tests — not part of Osprey's services and
never touching their schemas. It keeps its own state in a SQLite file: stock per
product code, the reservations it holds, the payments it knows, the messages it has
seen and its own per-order message counters, so a stopped and restarted peer carries
on where it left off.

It reads ``accounting.to_erp`` and answers on ``accounting.from_erp``:

* ``stock_query`` → ``stock_availability`` (requested and available per line);
* ``reservation_requested`` → takes the quantities from stock and answers
  ``reservation_confirmed``, or ``reservation_rejected`` with the lines short;
  asked again for an order it holds, it confirms again without taking twice;
* ``reservation_cancel_requested`` → gives a held reservation's stock back;
* ``reconcile_request`` → ``reconcile_snapshot`` to the request's ``reply_to`` queue.

A tiny HTTP control (``--http-port``) plays the warehouse and the bank:
``POST /ship {"order_number", "tracking"}`` sends ``shipment_notified``;
``POST /pay {"order_number", "invoice_number", "amount", "payment_id"?, "paid_at"?}``
sends ``payment_notified``; ``PUT /stock {"CODE": quantity}`` sets stock;
``GET /state`` shows everything; ``POST /plant {"order_number", "status"}`` or
``{"invoice_number", "paid"}`` changes its books without telling Osprey (to try
reconciliation). Run::

    python -m deploy.accounting.peer --amqp-uri amqp://guest:guest@127.0.0.1:5672/ \\
        --state .run/accounting-peer.sqlite3 --http-port 8790 --stock OSP-SEAT=100

Every incoming message is applied once (its ``message_id`` is remembered), in its
order's ``order_seq`` order (an older one is skipped), and acked only after the state
and the answer are stored; answers are kept in its own outbox until the broker
confirms them, so nothing is lost when the peer or the broker stops half-way.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import signal
import sqlite3
import threading
import time
import uuid
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pika

EXCHANGE = "osprey.accounting"
TO_ERP = "accounting.to_erp"
FROM_ERP = "accounting.from_erp"
VERSION = 1

log = logging.getLogger("accounting-peer")

SCHEMA = """
CREATE TABLE IF NOT EXISTS stock (code TEXT PRIMARY KEY, quantity TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS reservations (
    order_id TEXT PRIMARY KEY, order_number TEXT, status TEXT NOT NULL,
    lines TEXT NOT NULL, reason TEXT, updated_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS payments (
    payment_id TEXT PRIMARY KEY, order_id TEXT NOT NULL, invoice_number TEXT NOT NULL,
    amount TEXT NOT NULL, paid_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS seen (message_id TEXT PRIMARY KEY, type TEXT, seen_at TEXT);
CREATE TABLE IF NOT EXISTS seq_in (order_id TEXT PRIMARY KEY, last INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS seq_out (order_id TEXT PRIMARY KEY, last INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT, routing_key TEXT NOT NULL, exchange TEXT NOT NULL,
    body TEXT NOT NULL, correlation_id TEXT, sent INTEGER NOT NULL DEFAULT 0);
"""


def now_text() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def new_id() -> str:
    # A UUIDv7: time-ordered, as the contract asks.
    ms = time.time_ns() // 1_000_000
    rand = uuid.uuid4().int & ((1 << 74) - 1)
    value = (
        (ms << 80) | (0x7 << 76) | ((rand >> 62) << 64) | (0b10 << 62) | (rand & ((1 << 62) - 1))
    )
    return str(uuid.UUID(int=value))


def qty(value: Any) -> Decimal:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return Decimal(0)


class Books:
    """The peer's state (SQLite); one lock, because the HTTP control and the consumer
    both write."""

    def __init__(self, path: str, default_stock: Decimal = Decimal(0)):
        self.db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self.db.executescript(SCHEMA)
        self.lock = threading.RLock()
        self.default_stock = default_stock

    # helpers ------------------------------------------------------------------------------
    def one(self, sql: str, *args: Any) -> Any:
        return self.db.execute(sql, args).fetchone()

    def set_stock(self, code: str, quantity: Any) -> None:
        with self.lock:
            self.db.execute(
                "INSERT INTO stock VALUES (?, ?) ON CONFLICT(code) DO UPDATE SET quantity = ?",
                (code, str(qty(quantity)), str(qty(quantity))),
            )

    def available(self, code: str | None) -> Decimal:
        row = self.one("SELECT quantity FROM stock WHERE code = ?", code)
        return qty(row[0]) if row else self.default_stock

    def queue_answer(
        self,
        type_: str,
        order_id: str | None,
        data: dict[str, Any],
        routing_key: str = FROM_ERP,
        exchange: str = EXCHANGE,
        correlation_id: str | None = None,
    ) -> None:
        """Keep an answer in the outbox (within the caller's transaction)."""
        seq = None
        if order_id is not None:
            row = self.one("SELECT last FROM seq_out WHERE order_id = ?", order_id)
            seq = (row[0] if row else 0) + 1
            self.db.execute(
                "INSERT INTO seq_out VALUES (?, ?) ON CONFLICT(order_id) DO UPDATE SET last = ?",
                (order_id, seq, seq),
            )
        body = {
            "message_id": new_id(),
            "type": type_,
            "version": VERSION,
            "order_id": order_id,
            "order_seq": seq,
            "sent_at": now_text(),
            "data": data,
        }
        self.db.execute(
            "INSERT INTO outbox (routing_key, exchange, body, correlation_id) VALUES (?, ?, ?, ?)",
            (routing_key, exchange, json.dumps(body), correlation_id),
        )

    def unsent(self) -> list[tuple]:
        with self.lock:
            return self.db.execute(
                "SELECT id, routing_key, exchange, body, correlation_id FROM outbox "
                "WHERE sent = 0 ORDER BY id"
            ).fetchall()

    def mark_sent(self, ids: list[int]) -> None:
        with self.lock:
            self.db.executemany("UPDATE outbox SET sent = 1 WHERE id = ?", [(i,) for i in ids])

    # the messages from Osprey ---------------------------------------------------------------
    def receive(self, body: dict[str, Any], reply_to: str | None) -> str:
        """Apply one message in one transaction; return what became of it."""
        with self.lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                outcome = self._receive(body, reply_to)
                self.db.execute("COMMIT")
                return outcome
            except BaseException:
                self.db.execute("ROLLBACK")
                raise

    def _receive(self, body: dict[str, Any], reply_to: str | None) -> str:
        message_id = body.get("message_id")
        type_ = body.get("type")
        if not isinstance(message_id, str) or body.get("version") != VERSION:
            log.warning("skipped a message outside the contract: %r", body)
            return "malformed"
        if self.one("SELECT 1 FROM seen WHERE message_id = ?", message_id):
            return "duplicate"
        self.db.execute("INSERT INTO seen VALUES (?, ?, ?)", (message_id, type_, now_text()))
        data = body.get("data") if isinstance(body.get("data"), dict) else {}
        if type_ == "reconcile_request":
            if reply_to:
                self.queue_answer(
                    "reconcile_snapshot",
                    None,
                    self.snapshot(),
                    routing_key=reply_to,
                    exchange="",
                    correlation_id=message_id,
                )
            return "answered"
        order_id = body.get("order_id")
        seq = body.get("order_seq")
        if not isinstance(order_id, str) or not isinstance(seq, int):
            return "malformed"
        row = self.one("SELECT last FROM seq_in WHERE order_id = ?", order_id)
        if row and seq <= row[0]:
            return "stale"
        self.db.execute(
            "INSERT INTO seq_in VALUES (?, ?) ON CONFLICT(order_id) DO UPDATE SET last = ?",
            (order_id, seq, seq),
        )
        lines = data.get("lines") or []
        if type_ == "stock_query":
            answer = [
                {
                    "product_code": line.get("product_code"),
                    "requested": str(qty(line.get("quantity"))),
                    "available": str(self.available(line.get("product_code"))),
                }
                for line in lines
            ]
            self.queue_answer("stock_availability", order_id, {"lines": answer})
        elif type_ == "reservation_requested":
            self._reserve(order_id, data, lines)
        elif type_ == "reservation_cancel_requested":
            held = self.one("SELECT status, lines FROM reservations WHERE order_id = ?", order_id)
            if held and held[0] == "reserved":
                for line in json.loads(held[1]):
                    code = line.get("product_code")
                    self.set_stock(code, self.available(code) + qty(line.get("quantity")))
            if held:
                self.db.execute(
                    "UPDATE reservations SET status = 'cancelled', updated_at = ? "
                    "WHERE order_id = ?",
                    (now_text(), order_id),
                )
        else:
            log.warning("skipped a message of unknown type %r", type_)
            return "unknown"
        return "applied"

    def _reserve(self, order_id: str, data: dict[str, Any], lines: list[dict]) -> None:
        number = data.get("order_number")
        held = self.one("SELECT status FROM reservations WHERE order_id = ?", order_id)
        if held and held[0] in ("reserved", "shipped"):
            self.queue_answer("reservation_confirmed", order_id, {"order_number": number})
            return
        need: dict[str, Decimal] = {}
        for line in lines:
            code = line.get("product_code")
            need[code] = need.get(code, Decimal(0)) + qty(line.get("quantity"))
        short = [
            {"product_code": code, "requested": str(amount), "available": str(self.available(code))}
            for code, amount in need.items()
            if self.available(code) < amount
        ]
        status = "rejected" if short else "reserved"
        reason = (
            "out of stock: " + ", ".join(str(s["product_code"]) for s in short) if short else None
        )
        if not short:
            for code, amount in need.items():
                self.set_stock(code, self.available(code) - amount)
        self.db.execute(
            "INSERT INTO reservations VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(order_id) DO UPDATE "
            "SET order_number = excluded.order_number, status = excluded.status, "
            "lines = excluded.lines, reason = excluded.reason, updated_at = excluded.updated_at",
            (order_id, number, status, json.dumps(lines), reason, now_text()),
        )
        if short:
            self.queue_answer(
                "reservation_rejected",
                order_id,
                {"order_number": number, "reason": reason, "lines_short": short},
            )
        else:
            self.queue_answer("reservation_confirmed", order_id, {"order_number": number})

    # the warehouse and the bank -------------------------------------------------------------
    def _order(self, number: Any) -> str:
        row = self.one("SELECT order_id FROM reservations WHERE order_number = ?", number)
        if row is None:
            raise LookupError(f"no order {number}")
        return row[0]

    def ship(self, number: str, tracking: str | None) -> dict[str, Any]:
        with self.lock:
            order_id = self._order(number)
            self.db.execute("BEGIN IMMEDIATE")
            self.db.execute(
                "UPDATE reservations SET status = 'shipped', updated_at = ? WHERE order_id = ?",
                (now_text(), order_id),
            )
            self.queue_answer(
                "shipment_notified",
                order_id,
                {"order_number": number, "shipped_at": now_text(), "tracking": tracking},
            )
            self.db.execute("COMMIT")
            return {"order_id": order_id, "status": "shipped"}

    def pay(self, body: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            order_id = self._order(body.get("order_number"))
            payment_id = str(body.get("payment_id") or new_id())
            paid_at = body.get("paid_at") or now_text()
            amount = str(qty(body.get("amount")))
            self.db.execute("BEGIN IMMEDIATE")
            self.db.execute(
                "INSERT OR IGNORE INTO payments VALUES (?, ?, ?, ?, ?)",
                (payment_id, order_id, str(body.get("invoice_number")), amount, paid_at),
            )
            self.queue_answer(
                "payment_notified",
                order_id,
                {
                    "invoice_number": body.get("invoice_number"),
                    "amount": amount,
                    "paid_at": paid_at,
                    "payment_id": payment_id,
                },
            )
            self.db.execute("COMMIT")
            return {"payment_id": payment_id}

    def plant(self, body: dict[str, Any]) -> None:
        """Change the books without telling Osprey (a difference to reconcile)."""
        with self.lock:
            if "order_number" in body:
                self.db.execute(
                    "UPDATE reservations SET status = ? WHERE order_number = ?",
                    (body.get("status"), body["order_number"]),
                )
            if "invoice_number" in body:
                self.db.execute(
                    "INSERT INTO payments VALUES (?, '', ?, ?, ?)",
                    (new_id(), body["invoice_number"], str(qty(body.get("paid"))), now_text()),
                )

    def snapshot(self) -> dict[str, Any]:
        orders = {
            number: {"order_id": order_id, "status": status}
            for order_id, number, status in self.db.execute(
                "SELECT order_id, order_number, status FROM reservations"
            )
        }
        payments: dict[str, Decimal] = {}
        for number, amount in self.db.execute("SELECT invoice_number, amount FROM payments"):
            payments[number] = payments.get(number, Decimal(0)) + qty(amount)
        return {"orders": orders, "payments": {k: f"{v:.2f}" for k, v in payments.items()}}

    def state(self) -> dict[str, Any]:
        with self.lock:
            return {
                **self.snapshot(),
                "stock": {code: q for code, q in self.db.execute("SELECT * FROM stock")},
                "seen": self.one("SELECT count(*) FROM seen")[0],
            }


class Peer:
    """The broker side: consume ``accounting.to_erp``, publish the outbox, reconnect.

    Plain AMQP with pika, the client a partner's system would use: nothing of Nameko or
    kombu, which shows the accounting contract (docs/accounting.md) needs neither.
    Everything on the connection happens in :meth:`run`'s thread (pika's blocking
    connection is not shared between threads); the HTTP control only writes the books,
    and its answers go out from the outbox on the next turn of the loop."""

    def __init__(self, amqp_uri: str, books: Books):
        # kombu spells the same URI pyamqp://; pika knows amqp:// and amqps://
        self.amqp_uri = (
            "amqp://" + amqp_uri[len("pyamqp://") :]
            if amqp_uri.startswith("pyamqp://")
            else amqp_uri
        )
        self.books = books
        self.stopped = threading.Event()

    def declare(self, channel: Any) -> None:
        channel.exchange_declare(EXCHANGE, exchange_type="direct", durable=True)
        for name in (TO_ERP, FROM_ERP):
            channel.queue_declare(name, durable=True)
            channel.queue_bind(name, EXCHANGE, routing_key=name)

    def flush(self, channel: Any) -> None:
        """Publish the outbox with confirms (each publish returns once the broker took
        it); mark what the broker took."""
        rows = self.books.unsent()
        if not rows:
            return
        sent = []
        try:
            for row_id, routing_key, exchange, body, correlation_id in rows:
                message = json.loads(body)
                channel.basic_publish(
                    EXCHANGE if exchange else "",
                    routing_key,
                    json.dumps(message).encode(),
                    properties=pika.BasicProperties(
                        content_type="application/json",
                        content_encoding="utf-8",
                        delivery_mode=2,
                        message_id=message["message_id"],
                        type=message["type"],
                        correlation_id=correlation_id,
                    ),
                )
                sent.append(row_id)
        finally:
            self.books.mark_sent(sent)

    def on_message(self, channel: Any, method: Any, properties: Any, raw: bytes) -> None:
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            log.warning("skipped a message that is not JSON: %s", exc)
            channel.basic_ack(method.delivery_tag)
            return
        if not isinstance(body, dict):
            log.warning("skipped a message that is not a JSON object")
            channel.basic_ack(method.delivery_tag)
            return
        outcome = self.books.receive(body, properties.reply_to)
        log.info(
            "%s %s (order_seq %s): %s",
            body.get("type"),
            body.get("message_id"),
            body.get("order_seq"),
            outcome,
        )
        # Acked once the state and its answer are stored; the answer goes out next.
        channel.basic_ack(method.delivery_tag)

    def run(self) -> None:
        backoff = 0.5
        while not self.stopped.is_set():
            connection = None
            try:
                parameters = pika.URLParameters(self.amqp_uri)
                parameters.heartbeat = 30
                connection = pika.BlockingConnection(parameters)
                channel = connection.channel()
                channel.confirm_delivery()
                self.declare(channel)
                channel.basic_qos(prefetch_count=10)
                channel.basic_consume(TO_ERP, self.on_message)
                log.info("accounting peer is consuming %s", TO_ERP)
                backoff = 0.5
                while not self.stopped.is_set():
                    self.flush(channel)
                    connection.process_data_events(time_limit=0.2)
            except Exception:
                if self.stopped.is_set():
                    return
                log.exception("accounting peer lost the broker; reconnecting")
                time.sleep(backoff)
                backoff = min(backoff * 2, 10.0)
            finally:
                if connection is not None and connection.is_open:
                    with contextlib.suppress(Exception):  # closing a broken connection
                        connection.close()


def control_server(books: Books, port: int, host: str = "127.0.0.1") -> ThreadingHTTPServer:
    """The warehouse and the bank over HTTP (see the module's text)."""

    class Handler(BaseHTTPRequestHandler):
        def _send(self, status: int, body: Any) -> None:
            raw = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def _body(self) -> dict[str, Any]:
            length = int(self.headers.get("Content-Length") or 0)
            data = json.loads(self.rfile.read(length) or b"{}")
            if not isinstance(data, dict):
                raise ValueError("a JSON object is expected")
            return data

        def do_GET(self) -> None:  # noqa: N802 - http.server's names
            if self.path == "/state":
                self._send(200, books.state())
            elif self.path == "/healthz":
                self._send(200, {"ok": True})
            else:
                self._send(404, {"error": "no such path"})

        def do_POST(self) -> None:  # noqa: N802
            try:
                body = self._body()
                if self.path == "/ship":
                    self._send(200, books.ship(body.get("order_number"), body.get("tracking")))
                elif self.path == "/pay":
                    self._send(200, books.pay(body))
                elif self.path == "/plant":
                    books.plant(body)
                    self._send(200, {"ok": True})
                else:
                    self._send(404, {"error": "no such path"})
            except LookupError as exc:
                self._send(404, {"error": str(exc)})
            except ValueError as exc:
                self._send(400, {"error": str(exc)})

        def do_PUT(self) -> None:  # noqa: N802
            if self.path != "/stock":
                self._send(404, {"error": "no such path"})
                return
            try:
                for code, quantity in self._body().items():
                    books.set_stock(code, quantity)
            except ValueError as exc:
                self._send(400, {"error": str(exc)})
                return
            self._send(200, books.state()["stock"])

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            log.debug("http: " + format, *args)

    return ThreadingHTTPServer((host, port), Handler)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m deploy.accounting.peer", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--amqp-uri", default="amqp://guest:guest@127.0.0.1:5672/")
    parser.add_argument("--state", default="accounting-peer.sqlite3", help="its SQLite file")
    parser.add_argument("--http-port", type=int, default=8790, help="0: no HTTP control")
    parser.add_argument("--http-host", default="127.0.0.1")
    parser.add_argument(
        "--stock", action="append", default=[], metavar="CODE=QTY", help="stock to set at start"
    )
    parser.add_argument(
        "--default-stock", default="0", help="stock of a product code it has not been told"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    books = Books(args.state, qty(args.default_stock))
    for item in args.stock:
        code, _, quantity = item.partition("=")
        books.set_stock(code, quantity)
    peer = Peer(args.amqp_uri, books)
    server = None
    if args.http_port:
        server = control_server(books, args.http_port, args.http_host)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        log.info("accounting peer control on http://%s:%d", args.http_host, args.http_port)

    def stop(*_: Any) -> None:
        peer.stopped.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    peer.run()
    if server is not None:
        server.shutdown()
    log.info("accounting peer stopped")


if __name__ == "__main__":
    main()
