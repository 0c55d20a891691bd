"""The exchange with the company's accounting system, over RabbitMQ (docs/accounting.md).

One adapter, three pieces:

* :class:`AccountingLink` (a dependency provider) declares the durable exchange
  ``osprey.accounting`` and its two durable queues, ``accounting.to_erp`` and
  ``accounting.from_erp``, so messages wait in the broker while the accounting system
  is away; relays the ``accounting_outbox`` (written in the same transaction as the
  order change) with publisher confirms, persistent, in outbox order; and asks the
  accounting system for its snapshot when a reconciliation runs.
* :class:`AccountingConsumer` (an entrypoint) reads ``accounting.from_erp`` one message
  at a time with its own kombu consumer: the raw bytes go to a worker, so a body that
  is not JSON, or JSON that breaks the contract, is recorded as rejected and acked —
  never a crashed consumer. The message is acked only after its worker committed.
* :class:`AccountingRpc` (a part of the orders service) sends on confirm/cancel and
  on ``reserve_order``, applies what comes back (once per ``message_id``, in
  ``order_seq`` order per order — a message ahead of a gap waits as ``pending``),
  shows an order's message log and reconciles both sides.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from decimal import Decimal
from typing import Any

import eventlet
import sqlalchemy as sa
from eventlet.event import Event
from kombu import Connection, Exchange, Queue
from kombu.messaging import Consumer as KombuConsumer
from kombu.messaging import Producer
from nameko.extensions import DependencyProvider, Entrypoint
from sqlalchemy.dialects.postgresql import insert as pg_insert

from services.platform.access import Actor
from services.platform.db import create_db_engine
from services.platform.errors import EXPECTED, Conflict, NotFound, OspreyError, Unavailable
from services.platform.events import isoformat, utcnow
from services.platform.ids import new_id
from services.platform.rpc import rpc

from . import domain
from .accounting_contract import (
    EXCHANGE,
    FROM_ERP,
    MAX_SEQ,
    TO_ERP,
    MalformedMessage,
    check_message,
    message,
)
from .invoices import dump_invoice, dump_payment, parse_moment
from .models import (
    AccountingInbox,
    AccountingOutbox,
    AccountingPayment,
    Invoice,
    InvoicePayment,
    Order,
)
from .orders import OrdersRpc, dump_order

log = logging.getLogger(__name__)

#: The accounting statuses from which ``reserve_order`` sends the request again.
RESENDABLE = ("not_sent", "rejected", "waiting")
#: Order statuses whose goods the accounting system should hold.
RESERVABLE_ORDERS = ("confirmed", "in_progress")
RECONCILE_TIMEOUT = 10.0


def accounting_exchange() -> Exchange:
    return Exchange(EXCHANGE, type="direct", durable=True)


def accounting_queues(exchange: Exchange | None = None) -> tuple[Queue, Queue]:
    """``accounting.to_erp`` and ``accounting.from_erp``, durable, bound by their names."""
    exchange = exchange or accounting_exchange()
    return (
        Queue(TO_ERP, exchange, routing_key=TO_ERP, durable=True),
        Queue(FROM_ERP, exchange, routing_key=FROM_ERP, durable=True),
    )


def declare_topology(connection: Connection) -> None:
    """Declare the exchange and both queues (idempotent)."""
    channel = connection.channel()
    try:
        exchange = accounting_exchange()
        exchange(channel).declare()
        for queue in accounting_queues(exchange):
            queue(channel).declare()
    finally:
        channel.close()


class AccountingUnavailable(Unavailable):
    """The accounting system did not answer in time (a 503 at the API: try again later)."""


class AccountingLink(DependencyProvider):
    """Declares the topology, relays the accounting outbox, asks for snapshots.

    Config: ``AMQP_URI``, ``DATABASE_URL``; ``ACCOUNTING_RELAY`` (default on),
    ``ACCOUNTING_POLL_SECONDS`` (default ``OUTBOX_POLL_SECONDS``, else 1),
    ``ACCOUNTING_RECONCILE_TIMEOUT`` (10 s) — each also read from ``OSPREY_<key>``.
    """

    def setup(self) -> None:
        config = self.container.config

        def setting(key: str, default: Any) -> Any:
            # The container's config, else the environment's OSPREY_<key>.
            value = config.get(key)
            return value if value is not None else os.environ.get(f"OSPREY_{key}", default)

        self.amqp_uri = config["AMQP_URI"]
        self.poll_seconds = float(
            setting("ACCOUNTING_POLL_SECONDS", config.get("OUTBOX_POLL_SECONDS", 1.0))
        )
        self.reconcile_timeout = float(setting("ACCOUNTING_RECONCILE_TIMEOUT", RECONCILE_TIMEOUT))
        self.enabled = str(setting("ACCOUNTING_RELAY", "1")).lower() not in (
            "0",
            "false",
            "no",
            "off",
        )
        self.engine = create_db_engine(config["DATABASE_URL"], pool_size=2, max_overflow=2)
        self.outbox = AccountingOutbox.__table__
        self._wake = threading.Event()
        self._stopped = False
        self._declared = False
        self._to_wake: set[Any] = set()

    def start(self) -> None:
        if self.enabled:
            self.container.spawn_managed_thread(self._run, identifier="accounting_relay")

    def stop(self) -> None:
        self._stopped = True
        self._wake.set()
        self.engine.dispose()

    def kill(self) -> None:
        self.stop()

    def get_dependency(self, worker_ctx: Any) -> WorkerLink:
        return WorkerLink(self, worker_ctx)

    def wake(self) -> None:
        self._wake.set()

    def worker_teardown(self, worker_ctx: Any) -> None:
        # A worker that queued messages has committed (or rolled back) by now.
        if worker_ctx in self._to_wake:
            self._to_wake.discard(worker_ctx)
            self.wake()

    def _run(self) -> None:
        backoff = self.poll_seconds
        while not self._stopped:
            self._wake.clear()
            try:
                sent = self.relay_once()
                backoff = self.poll_seconds
            except Exception:
                log.exception("accounting relay failed; retrying")
                sent = 0
                backoff = min(backoff * 2, 30.0)
            if sent:
                continue
            self._wake.wait(timeout=backoff)

    def relay_once(self, batch: int = 100) -> int:
        """Publish the oldest unsent messages (persistent, confirmed); return how many."""
        t = self.outbox
        sent: list[str] = []
        with self.engine.begin() as conn:
            rows = conn.execute(
                sa.select(t.c.id, t.c.message)
                .where(t.c.sent_at.is_(None))
                .order_by(t.c.id)
                .limit(batch)
                .with_for_update(skip_locked=True)
            ).all()
            if not rows:
                return 0
            try:
                # confirm_publish: each publish returns once the broker has taken it.
                with Connection(
                    self.amqp_uri, transport_options={"confirm_publish": True}
                ) as connection:
                    if not self._declared:
                        declare_topology(connection)
                        self._declared = True
                    channel = connection.channel()
                    producer = Producer(channel, exchange=accounting_exchange())
                    for row in rows:
                        producer.publish(
                            row.message,
                            routing_key=TO_ERP,
                            serializer="json",
                            delivery_mode=2,
                            message_id=row.message["message_id"],
                            type=row.message["type"],
                            retry=False,
                        )
                        sent.append(row.id)
                    channel.close()
            finally:
                if sent:
                    conn.execute(t.update().where(t.c.id.in_(sent)).values(sent_at=sa.func.now()))
                unsent = [row.id for row in rows[len(sent) :]]
                if unsent:
                    conn.execute(
                        t.update().where(t.c.id.in_(unsent)).values(attempts=t.c.attempts + 1)
                    )
        return len(sent)

    def request_snapshot(self, timeout: float | None = None) -> dict[str, Any]:
        """Send ``reconcile_request`` and wait for the ``reconcile_snapshot`` answer.

        The answer comes to an exclusive reply queue (``reply_to``, matched by
        ``correlation_id``); the request queues behind everything sent before it.
        """
        timeout = self.reconcile_timeout if timeout is None else timeout
        request = message(new_id(), "reconcile_request", None, None, {})
        answers: list[dict[str, Any]] = []
        with Connection(self.amqp_uri) as connection:
            declare_topology(connection)
            channel = connection.channel()
            reply = Queue(
                f"accounting.reply.{request['message_id']}",
                exclusive=True,
                auto_delete=True,
                durable=False,
            )
            reply(channel).declare()

            def on_answer(body: Any, msg: Any) -> None:
                msg.ack()
                if (
                    isinstance(body, dict)
                    and body.get("type") == "reconcile_snapshot"
                    and msg.properties.get("correlation_id") == request["message_id"]
                ):
                    answers.append(body)

            with KombuConsumer(channel, [reply], callbacks=[on_answer], accept=["json"]):
                Producer(channel, exchange=accounting_exchange()).publish(
                    request,
                    routing_key=TO_ERP,
                    serializer="json",
                    delivery_mode=2,
                    message_id=request["message_id"],
                    correlation_id=request["message_id"],
                    reply_to=reply.name,
                    type="reconcile_request",
                )
                deadline = eventlet.hubs.get_hub().clock() + timeout
                while not answers:
                    left = deadline - eventlet.hubs.get_hub().clock()
                    if left <= 0:
                        raise AccountingUnavailable(
                            f"The accounting system sent no snapshot within {timeout:g} s"
                        )
                    try:
                        connection.drain_events(timeout=min(left, 1.0))
                    except TimeoutError:
                        continue
                    except OSError as exc:  # socket.timeout is an OSError subclass
                        if "timed out" not in str(exc):
                            raise
        return answers[0]


class WorkerLink:
    """What a worker sees of :class:`AccountingLink`."""

    def __init__(self, link: AccountingLink, worker_ctx: Any):
        self.link = link
        self.worker_ctx = worker_ctx

    def written(self) -> None:
        """Messages were queued: wake the relay once this worker is done."""
        self.link._to_wake.add(self.worker_ctx)

    def request_snapshot(self, timeout: float | None = None) -> dict[str, Any]:
        return self.link.request_snapshot(timeout)


class AccountingConsumer(Entrypoint):
    """Reads ``accounting.from_erp``; each message's raw body goes to one worker.

    Messages are taken one at a time (prefetch 1) and acked once their worker has
    finished, so a message is applied before the next one is read. A lost broker
    connection is retried with a growing pause; unacked messages are redelivered.
    """

    def setup(self) -> None:
        self.amqp_uri = self.container.config["AMQP_URI"]
        self._stopped = False
        self._connection: Connection | None = None

    def start(self) -> None:
        self.container.spawn_managed_thread(self._run, identifier="accounting_consumer")

    def stop(self) -> None:
        self._stopped = True
        super().stop()

    def kill(self) -> None:
        self._stopped = True

    def _run(self) -> None:
        backoff = 0.5
        while not self._stopped:
            try:
                with Connection(self.amqp_uri, heartbeat=30) as connection:
                    self._connection = connection
                    declare_topology(connection)
                    channel = connection.channel()
                    channel.basic_qos(0, 1, False)
                    _, from_queue = accounting_queues()
                    consumer = KombuConsumer(
                        channel, [from_queue], on_message=self._on_message, prefetch_count=1
                    )
                    with consumer:
                        backoff = 0.5
                        while not self._stopped:
                            try:
                                connection.drain_events(timeout=1)
                            except TimeoutError:
                                connection.heartbeat_check()
                            except OSError as exc:
                                if "timed out" not in str(exc):
                                    raise
                                connection.heartbeat_check()
            except Exception:
                if self._stopped:
                    return
                log.exception("accounting consumer lost its connection; reconnecting")
                eventlet.sleep(backoff)
                backoff = min(backoff * 2, 15.0)

    def _on_message(self, msg: Any) -> None:
        done = Event()

        def finished(worker_ctx: Any, result: Any = None, exc_info: Any = None) -> Any:
            done.send(exc_info)
            return result, exc_info

        self.container.spawn_worker(self, (msg.body,), {}, handle_result=finished)
        exc_info = done.wait()
        if exc_info is not None:
            # The worker failed outside the contract (the database away, say): leave the
            # message for a later delivery rather than lose it.
            log.error("accounting message left for redelivery: %s", exc_info[1])
            eventlet.sleep(1.0)
            msg.requeue()
            return
        msg.ack()


accounting_consumer = AccountingConsumer.decorator


def _text(body: Any) -> str:
    if isinstance(body, bytes | bytearray | memoryview):
        return bytes(body).decode("utf-8", errors="replace")
    return str(body)


def dump_log_entry(direction: str, row: Any) -> dict[str, Any]:
    body = row.message if isinstance(row.message, dict) else {}
    entry = {
        "direction": direction,
        "message_id": body.get("message_id") if direction == "out" else row.message_id,
        "type": row.type,
        "order_seq": row.order_seq,
        "data": body.get("data"),
    }
    if direction == "out":
        entry.update(at=isoformat(row.created_at), state="sent" if row.sent_at else "queued")
        entry["sent_at"] = isoformat(row.sent_at)
    else:
        entry.update(at=isoformat(row.received_at), state=row.state, error=row.error)
    return entry


class AccountingRpc(OrdersRpc):
    """Sends to and applies from the accounting system; the message log; reconciliation."""

    accounting = AccountingLink()

    # --- sending -------------------------------------------------------------------------

    def _accounting_send(self, order: Order, type_: str, data: dict[str, Any]) -> dict[str, Any]:
        """Queue one message about ``order`` in this transaction, with its next ``order_seq``."""
        order.accounting_out_seq += 1
        body = message(new_id(), type_, order.id, order.accounting_out_seq, data)
        self.db.add(
            AccountingOutbox(
                id=body["message_id"],
                type=type_,
                order_id=order.id,
                order_seq=order.accounting_out_seq,
                message=body,
                created_at=utcnow(),
                sent_at=None,
                attempts=0,
            )
        )
        self.accounting.written()
        return body

    def _accounting_lines(self, order: Order) -> list[dict[str, Any]]:
        from .models import Product

        ids = [line.product_id for line in order.lines]
        codes = dict(
            self.db.execute(sa.select(Product.id, Product.code).where(Product.id.in_(ids))).all()
        )
        return [
            {"product_code": codes.get(line.product_id), "quantity": str(line.quantity)}
            for line in order.lines
        ]

    def _request_reservation(self, order: Order) -> None:
        self._accounting_send(
            order,
            "reservation_requested",
            {
                "order_number": order.number,
                "lines": self._accounting_lines(order),
                "currency": order.currency,
            },
        )
        self._set_accounting(order, "waiting", None)

    @staticmethod
    def _set_accounting(order: Order, status: str, note: str | None) -> None:
        order.accounting_status = status
        order.accounting_note = note[:500] if note else None
        order.accounting_updated_at = utcnow()

    def _after_move(self, order: Order, before: str, target: str) -> None:
        """Confirming asks for a reservation; cancelling releases one that was asked for."""
        super()._after_move(order, before, target)
        if target == "confirmed":
            self._request_reservation(order)
        elif target == "cancelled" and order.accounting_status != "not_sent":
            self._accounting_send(
                order,
                "reservation_cancel_requested",
                {"order_number": order.number, "reason": order.cancel_reason},
            )
            self._set_accounting(order, "cancelled", order.cancel_reason)

    @rpc(expected_exceptions=EXPECTED)
    def reserve_order(
        self, order_id: str, actor: dict[str, Any], expected_version: int | None = None
    ) -> dict[str, Any]:
        """Send the reservation request again for a confirmed or in-progress order whose
        accounting status is ``not_sent``, ``rejected`` or ``waiting``; returns the order.

        Raises ``NotFound``, ``PermissionDenied``, ``Conflict`` (another status; stale version).
        """
        caller = Actor.from_dict(actor)
        order = self._load_for_change(Order, "order", order_id, caller, expected_version)
        if order.status not in RESERVABLE_ORDERS or order.accounting_status not in RESENDABLE:
            raise Conflict(
                "Only a confirmed order not reserved yet can be sent to accounting "
                f"(the order is {order.status.replace('_', ' ')}, "
                f"accounting {order.accounting_status.replace('_', ' ')})",
                [{"field": "accounting_status", "message": f"is {order.accounting_status}"}],
            )
        self._request_reservation(order)
        order.version += 1
        order.updated_at = utcnow()
        self.db.flush()
        result = dump_order(order)
        self.db.emit("order_updated", {**result, "changed_fields": ["accounting_status"]}, actor)
        self.db.commit()
        return result

    @rpc(expected_exceptions=EXPECTED)
    def query_order_stock(self, order_id: str, actor: dict[str, Any]) -> dict[str, Any]:
        """Ask the accounting system how much of the order's products is in stock; the
        answer (``stock_availability``) appears in the order's message log. Returns the
        message sent. Raises ``NotFound``."""
        caller = Actor.from_dict(actor)
        order = self._load(Order, "order", order_id, caller, for_update=True)
        sent = self._accounting_send(order, "stock_query", {"lines": self._accounting_lines(order)})
        self.db.commit()
        return sent

    @rpc(expected_exceptions=EXPECTED)
    def order_accounting(self, order_id: str, actor: dict[str, Any]) -> dict[str, Any]:
        """The order's accounting status and its messages both ways, oldest first:
        ``{status, note, updated_at, messages: [{direction: out|in, message_id, type,
        order_seq, at, state, data, …}]}``. Raises ``NotFound``."""
        caller = Actor.from_dict(actor)
        order = self._load(Order, "order", order_id, caller)
        sent = self.db.execute(
            sa.select(AccountingOutbox).where(AccountingOutbox.order_id == order.id)
        ).scalars()
        received = self.db.execute(
            sa.select(AccountingInbox).where(AccountingInbox.order_id == order.id)
        ).scalars()
        entries = [dump_log_entry("out", r) for r in sent]
        entries += [dump_log_entry("in", r) for r in received]
        entries.sort(key=lambda e: (e["at"] or "", e["direction"]))
        result = {
            "order_id": order.id,
            "status": order.accounting_status,
            "note": order.accounting_note,
            "updated_at": isoformat(order.accounting_updated_at),
            "messages": entries,
        }
        self.db.commit()
        return result

    # --- receiving -----------------------------------------------------------------------

    @accounting_consumer
    def handle_accounting_message(self, raw: Any) -> str:
        """Apply one message from ``accounting.from_erp``; return what became of it
        (``applied``, ``pending``, ``ignored``, ``duplicate``, ``rejected``)."""
        text = _text(raw)
        try:
            body = json.loads(text)
        except ValueError as exc:
            return self._reject(None, {"raw": text[:10000]}, f"not JSON: {exc}")
        try:
            check_message(body)
        except MalformedMessage as exc:
            message_id = body.get("message_id") if isinstance(body, dict) else None
            return self._reject(message_id, body, str(exc))
        try:
            return self._receive(body)
        except sa.exc.OperationalError:
            raise  # the database, not the message: leave it for redelivery
        except Exception as exc:  # a bug must not wedge the queue: keep it, say why
            log.exception("accounting message %s could not be applied", body["message_id"])
            self.db.rollback()
            return self._reject(body["message_id"], body, f"could not be applied: {exc}")

    def _reject(self, message_id: Any, body: Any, error: str) -> str:
        log.warning("accounting message rejected: %s", error)
        if not isinstance(message_id, str) or not 0 < len(message_id) <= 64:
            message_id = f"rejected-{new_id()}"
        order_id = body.get("order_id") if isinstance(body, dict) else None
        seq = body.get("order_seq") if isinstance(body, dict) else None
        inserted = self.db.execute(
            pg_insert(AccountingInbox.__table__)
            .values(
                message_id=message_id,
                type=str(body.get("type"))[:64] if isinstance(body, dict) else None,
                order_id=order_id if domain.is_uuid(order_id) else None,
                order_seq=seq
                if isinstance(seq, int) and not isinstance(seq, bool) and 0 < seq <= MAX_SEQ
                else None,
                state="rejected",
                message=body,
                error=error,
                received_at=utcnow(),
            )
            .on_conflict_do_nothing(index_elements=["message_id"])
        ).rowcount
        self.db.commit()
        return "rejected" if inserted else "duplicate"

    def _receive(self, body: dict[str, Any]) -> str:
        type_ = body["type"]
        inserted = self.db.execute(
            pg_insert(AccountingInbox.__table__)
            .values(
                message_id=body["message_id"],
                type=type_,
                order_id=body.get("order_id") if domain.is_uuid(body.get("order_id")) else None,
                order_seq=body.get("order_seq"),
                state="pending",
                message=body,
                received_at=utcnow(),
            )
            .on_conflict_do_nothing(index_elements=["message_id"])
        ).rowcount
        if not inserted:  # delivered again: it was applied (or judged) once already
            self.db.commit()
            log.info("accounting message %s seen before; skipped", body["message_id"])
            return "duplicate"
        row = self.db.get(AccountingInbox, body["message_id"])
        if type_ == "reconcile_snapshot":
            return self._settle(row, "ignored", "a snapshot answers a reply queue, not this one")
        order = None
        if domain.is_uuid(body["order_id"]):
            order = self.db.execute(
                sa.select(Order).where(Order.id == body["order_id"]).with_for_update()
            ).scalar_one_or_none()
        if order is None:
            return self._settle(row, "rejected", "no such order")
        seq = body["order_seq"]
        if seq <= order.accounting_in_seq:
            return self._settle(
                row, "ignored", f"order_seq {seq} was passed (last {order.accounting_in_seq})"
            )
        if seq > order.accounting_in_seq + 1:
            log.info("accounting message %s waits for order_seq %d", row.message_id, seq - 1)
            self.db.commit()
            return "pending"
        outcome = self._apply_in_turn(order, row)
        # Messages that arrived ahead of this one and waited for it.
        while True:
            successor = self.db.execute(
                sa.select(AccountingInbox).where(
                    AccountingInbox.order_id == order.id,
                    AccountingInbox.order_seq == order.accounting_in_seq + 1,
                    AccountingInbox.state == "pending",
                )
            ).scalar_one_or_none()
            if successor is None:
                break
            self._apply_in_turn(order, successor)
        self.db.commit()
        return outcome

    def _settle(self, row: AccountingInbox, state: str, error: str | None) -> str:
        row.state = state
        row.error = error
        row.applied_at = utcnow()
        self.db.commit()
        return state

    def _apply_in_turn(self, order: Order, row: AccountingInbox) -> str:
        """Apply ``row`` to ``order`` (its turn has come); a message the order's state
        refuses is ``rejected`` with the reason but still takes its turn."""
        order.accounting_in_seq = row.order_seq
        try:
            with self.db.begin_nested():
                note = self._apply(order, row.message)
        except (OspreyError, domain.Invalid) as exc:
            row.state, row.error = "rejected", str(exc)
        else:
            row.state, row.error = ("ignored", note) if note else ("applied", None)
        row.applied_at = utcnow()
        self.db.flush()
        return row.state

    def _apply(self, order: Order, body: dict[str, Any]) -> str | None:
        """The effect of one incoming message; a text when it has none (and why)."""
        type_, data = body["type"], body["data"]
        system = Actor.system("accounting")
        actor = {"id": system.id, "email": system.email}
        if type_ == "stock_availability":
            return None  # an answer for the log; nothing changes
        if type_ == "payment_notified":
            return self._apply_payment(order, body, system, actor)
        if order.accounting_status == "cancelled" and type_ != "shipment_notified":
            return f"the order's reservation was cancelled; {type_} changes nothing"
        if type_ == "reservation_confirmed":
            if order.accounting_status in ("shipped", "reserved"):
                return f"the order is {order.accounting_status} already"
            self._set_accounting(order, "reserved", None)
            self._touch(order)
            self.db.emit("stock_reserved", dump_order(order), actor=actor)
        elif type_ == "reservation_rejected":
            if order.accounting_status == "shipped":
                return "the order has shipped already"
            reason = str(data["reason"])
            short = data.get("lines_short") or []
            self._set_accounting(order, "rejected", reason)
            self._touch(order)
            self.db.emit(
                "stock_reservation_failed",
                {"order": dump_order(order), "reason": reason, "lines_short": short},
                actor=actor,
            )
        elif type_ == "shipment_notified":
            parse_moment(data["shipped_at"])
            tracking = data.get("tracking")
            self._set_accounting(order, "shipped", f"tracking {tracking}" if tracking else None)
            self._ship(order, system, actor, tracking)
        return None

    def _touch(self, order: Order) -> None:
        order.version += 1
        order.updated_at = utcnow()
        self.db.flush()

    def _ship(self, order: Order, system: Actor, actor: dict[str, Any], tracking: Any) -> None:
        """Move the order on to ``shipped`` (through ``in_progress`` from ``confirmed``)."""
        path = {"confirmed": ("in_progress", "shipped"), "in_progress": ("shipped",)}
        steps = path.get(order.status)
        if steps is None:
            if order.status in ("shipped", "completed"):
                self._touch(order)
                return
            raise Conflict(f"A {order.status} order cannot be shipped")
        reason = f"shipped by accounting (tracking {tracking})" if tracking else None
        for target in steps:
            before = order.status
            order.status = target
            self._touch(order)
            self._log_status(order, before, system, reason if target == "shipped" else None)
            self.db.flush()
            self.db.emit(
                "order_status_changed",
                {"order": dump_order(order), "from": before, "to": target},
                actor=actor,
            )

    def _apply_payment(
        self, order: Order, body: dict[str, Any], system: Actor, actor: dict[str, Any]
    ) -> str | None:
        data = body["data"]
        invoice = self.db.execute(
            sa.select(Invoice)
            .where(Invoice.number == str(data["invoice_number"]))
            .with_for_update()
        ).scalar_one_or_none()
        if invoice is None or invoice.order_id != order.id:
            raise NotFound(f"The order has no invoice {data['invoice_number']}")
        payment_id = str(data["payment_id"])[:100]
        known = self.db.get(AccountingPayment, payment_id)
        if known is not None:
            return f"payment {payment_id} was registered before"
        if invoice.status not in ("issued", "overdue"):
            raise Conflict(f"A {invoice.status} invoice takes no payment")
        amount = domain.parse_money(str(data["amount"]), invoice.currency)
        moment = parse_moment(data["paid_at"])
        if amount <= 0:
            raise domain.Invalid("amount must be more than zero")
        if amount > domain.outstanding(invoice.total, invoice.paid_amount):
            raise domain.Invalid("amount is more than is outstanding")
        now = utcnow()
        payment = InvoicePayment(
            id=new_id(),
            invoice_id=invoice.id,
            amount=amount,
            paid_at=moment,
            registered_by=system.id,
            registered_at=now,
        )
        self.db.add(payment)
        self.db.add(
            AccountingPayment(
                payment_id=payment_id,
                invoice_id=invoice.id,
                invoice_payment_id=payment.id,
                message_id=body["message_id"],
                registered_at=now,
            )
        )
        invoice.paid_amount = invoice.paid_amount + amount
        paid = invoice.paid_amount == invoice.total
        if paid:
            invoice.status = "paid"
            invoice.paid_at = moment
        invoice.version += 1
        invoice.updated_at = now
        self.db.flush()
        result = dump_invoice(invoice)
        self.db.emit(
            "invoice_payment_registered",
            {"invoice": result, "payment": dump_payment(payment, invoice.currency)},
            actor=actor,
        )
        if paid:
            self.db.emit("invoice_paid", result, actor=actor)
        return None

    # --- reconciliation ------------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def reconcile_accounting(self, actor: dict[str, Any]) -> dict[str, Any]:
        """Compare every order sent to accounting and the payments of their invoices with
        the accounting system's snapshot; administrators only. Returns ``{checked_at,
        orders, payments, differences: [{order_number, field, crm, accounting}]}``.

        Raises ``PermissionDenied``, ``AccountingUnavailable`` (no snapshot in time).
        """
        Actor.from_dict(actor).require_admin()
        self.db.commit()  # no transaction held while waiting for the answer
        snapshot = self.accounting.request_snapshot()
        orders = self.db.execute(
            sa.select(Order).where(Order.accounting_status != "not_sent")
        ).scalars()
        crm = {o.number: o for o in orders}
        paid = dict(
            self.db.execute(
                sa.select(Invoice.number, Invoice.paid_amount).where(
                    Invoice.order_id.in_([o.id for o in crm.values()])
                )
            ).all()
        )
        differences = compare(crm, paid, snapshot.get("data") or {})
        self.db.commit()
        return {
            "checked_at": isoformat(utcnow()),
            "orders": len(crm),
            "payments": len(paid),
            "differences": differences,
        }


#: What the accounting system's reservation state means as an accounting status.
PEER_STATUS = {
    "reserved": "reserved",
    "rejected": "rejected",
    "shipped": "shipped",
    "cancelled": "cancelled",
}


def compare(
    crm: dict[str, Order], paid: dict[str, Decimal], snapshot: dict[str, Any]
) -> list[dict[str, Any]]:
    """The differences between Osprey's orders/invoices and the accounting snapshot
    (``{"orders": {number: {status}}, "payments": {invoice number: amount}}``)."""
    differences: list[dict[str, Any]] = []
    theirs = snapshot.get("orders") or {}
    for number, order in sorted(crm.items()):
        other = theirs.get(number)
        mine = order.accounting_status
        if other is None:
            if mine != "waiting":  # waiting: the request may still be on its way
                differences.append(_diff(number, "accounting_status", mine, None))
            continue
        their_status = PEER_STATUS.get(str(other.get("status")), str(other.get("status")))
        if their_status != mine and mine != "waiting":
            differences.append(_diff(number, "accounting_status", mine, their_status))
    for number in sorted(set(theirs) - set(crm)):
        differences.append(_diff(number, "accounting_status", None, theirs[number].get("status")))
    their_payments = snapshot.get("payments") or {}
    for number in sorted(set(paid) | set(their_payments)):
        mine_paid = paid.get(number)
        other_paid = their_payments.get(number)
        mine_value = Decimal(mine_paid) if mine_paid is not None else Decimal(0)
        other_value = Decimal(str(other_paid)) if other_paid is not None else Decimal(0)
        if mine_value != other_value:
            differences.append(
                _diff(
                    number,
                    "paid_amount",
                    f"{mine_value:.2f}",
                    f"{other_value:.2f}",
                    key="invoice_number",
                )
            )
    return differences


def _diff(number: str, field: str, crm: Any, accounting: Any, key: str = "order_number") -> dict:
    return {key: number, "field": field, "crm": crm, "accounting": accounting}
