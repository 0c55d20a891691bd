"""Outbound webhooks (Administration → Webhooks): an administrator subscribes a URL to
chosen events; each event becomes one delivery per subscription, POSTed with
``Osprey-Signature: t=<unix>,v1=<HMAC-SHA256 of "<t>.<body>">`` (the secret shown once,
when the webhook is made), retried with back-off until a 2xx or ``max_attempts``, each
try kept with the answer received; a delivery can be sent again by hand. The log is
kept ``OSPREY_WEBHOOK_LOG_DAYS`` (30) after a delivery's last try: an hourly timer
deletes the settled ones older than that, a thousand a statement.
A thin RPC part of SocialService plus its event handlers and the sender's and the
pruner's timers."""

from __future__ import annotations

import json
import logging
import secrets as token_source
from datetime import datetime, timedelta
from typing import Any

from nameko.events import event_handler
from nameko.timer import timer

from services.integrations.sync.backoff import retry_delay
from services.platform import event_gate
from services.platform.errors import EXPECTED, ValidationFailed
from services.platform.events import utcnow
from services.platform.idempotency import idempotent_if
from services.platform.ids import new_id
from services.platform.records import check_version
from services.platform.rpc import rpc
from services.platform.values import parse_expected_version

from . import domain
from . import webhooks_store as store
from .channels import require_admin
from .dependencies import SocialBase

log = logging.getLogger(__name__)

STATUSES = ("pending", "delivered", "failed")
#: how often the delivery log is pruned, and the deliveries deleted a statement
PRUNE_SECONDS = 3600
PRUNE_BATCH = 1000
#: the event gate's lock, and how often its bindings are made right again
GATE = "social.webhook_events"
GATE_SECONDS = 10


def wanted(self: Any, event: dict[str, Any]) -> bool:
    return store.anyone_wants(self.db, event["type"])


def _handler(event_type: str) -> Any:
    """An idempotent handler that queues ``event_type``'s deliveries."""

    def handle(self: Any, event: dict[str, Any]) -> None:
        store.enqueue(self.db, event, domain.webhook_body(event))
        self.db.commit()

    handle.__name__ = f"handle_{event_type}"
    handle.__qualname__ = f"WebhooksRpc.handle_{event_type}"
    return event_handler(domain.EVENTS[event_type], event_type)(idempotent_if(wanted)(handle))


class WebhooksRpc(SocialBase):
    # Each event handler's queue is bound only while an active webhook chose its event
    # (services/platform/event_gate.py): an event nobody subscribed to never arrives.
    event_gate = event_gate.EventGate()

    # one handler per event a subscriber may choose (docs/events.md)
    handle_lead_created = _handler("lead_created")
    handle_lead_qualified = _handler("lead_qualified")
    handle_lead_disqualified = _handler("lead_disqualified")
    handle_lead_converted = _handler("lead_converted")
    handle_account_created = _handler("account_created")
    handle_contact_created = _handler("contact_created")
    handle_opportunity_created = _handler("opportunity_created")
    handle_opportunity_won = _handler("opportunity_won")
    handle_opportunity_lost = _handler("opportunity_lost")
    handle_activity_created = _handler("activity_created")
    handle_order_placed = _handler("order_placed")

    # --- subscriptions --------------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def list_webhooks(self, actor: dict[str, Any]) -> dict[str, Any]:
        """Every webhook with its deliveries counted by status (administrators only)."""
        require_admin(actor)
        counts = store.counts_by_subscription(self.db)
        items = [
            store.dump_subscription(row, counts.get(row.id))
            for row in store.list_subscriptions(self.db)
        ]
        return {"items": items, "next_cursor": None, "events": list(domain.EVENTS)}

    @rpc(expected_exceptions=EXPECTED)
    def get_webhook(self, webhook_id: str, actor: dict[str, Any]) -> dict[str, Any]:
        require_admin(actor)
        row = store.subscription_row(self.db, webhook_id)
        return store.dump_subscription(row, store.counts_by_subscription(self.db).get(row.id))

    @rpc(expected_exceptions=EXPECTED)
    def create_webhook(self, data: dict[str, Any], actor: dict[str, Any]) -> dict[str, Any]:
        """A new webhook ``{name, url, events, is_active, secret?}``; without a secret
        one is made. The answer carries ``secret`` this once. ``ValidationFailed``,
        ``PermissionDenied``, ``Unavailable`` (no encryption key)."""
        caller = require_admin(actor)
        data = data if isinstance(data, dict) else {}
        domain.check_subscription(data, creating=True)
        event_gate.lock(self.db, GATE)
        secret = data.get("secret") or "whsec_" + token_source.token_urlsafe(32)
        row = store.insert_subscription(
            self.db,
            {
                "id": new_id(),
                "name": data["name"].strip(),
                "url": data["url"],
                "events": list(dict.fromkeys(data["events"])),
                "is_active": data.get("is_active", True),
                "secret": self.secrets.encrypt(secret),
                "created_by": caller.id,
            },
        )
        if row.is_active:
            self.event_gate.bind(row.events)  # before the commit: no event after it missed
        self.db.commit()
        return {**store.dump_subscription(row), "secret": secret}

    @rpc(expected_exceptions=EXPECTED)
    def update_webhook(
        self,
        webhook_id: str,
        changes: dict[str, Any],
        actor: dict[str, Any],
        expected_version: int | None = None,
    ) -> dict[str, Any]:
        """Change a webhook's name, URL, events, state or secret (``Conflict`` when
        ``expected_version`` is stale)."""
        require_admin(actor)
        expected = parse_expected_version(expected_version)
        changes = changes if isinstance(changes, dict) else {}
        domain.check_subscription(changes, creating=False)
        event_gate.lock(self.db, GATE)
        row = store.subscription_row(self.db, webhook_id, lock=True)
        check_version("webhook", row.version, expected)
        values: dict[str, Any] = {}
        for field in ("url", "is_active"):
            if field in changes:
                values[field] = changes[field]
        if "name" in changes:
            values["name"] = changes["name"].strip()
        if "events" in changes:
            values["events"] = list(dict.fromkeys(changes["events"]))
        if changes.get("secret"):
            values["secret"] = self.secrets.encrypt(changes["secret"])
        if values:
            row = store.update_subscription(self.db, webhook_id, values)
        if row.is_active:
            self.event_gate.bind(row.events)
        self.db.commit()
        self._refresh_event_gate()  # what it no longer chose
        return store.dump_subscription(row, store.counts_by_subscription(self.db).get(row.id))

    @rpc(expected_exceptions=EXPECTED)
    def delete_webhook(
        self, webhook_id: str, actor: dict[str, Any], expected_version: int | None = None
    ) -> None:
        """Delete a webhook with its deliveries and their log."""
        require_admin(actor)
        expected = parse_expected_version(expected_version)
        row = store.subscription_row(self.db, webhook_id, lock=True)
        check_version("webhook", row.version, expected)
        store.delete_subscription(self.db, webhook_id)
        self.db.commit()
        self._refresh_event_gate()

    @timer(interval=GATE_SECONDS)
    def refresh_event_gate(self) -> None:
        """The event queues bound to what active webhooks chose, again: after a start,
        a reconnection (which binds every queue again) or a change elsewhere."""
        self._refresh_event_gate()

    def _refresh_event_gate(self) -> None:
        try:
            event_gate.lock(self.db, GATE)
            self.event_gate.apply(store.wanted_events(self.db))
            self.db.commit()
        except Exception:  # the broker or the database away: the next tick tries again
            self.db.rollback()
            log.warning("social: the webhook events' bindings not refreshed", exc_info=True)

    # --- the delivery log -----------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def list_webhook_deliveries(
        self,
        webhook_id: str,
        actor: dict[str, Any],
        limit: int = 50,
        status: str | None = None,
        before: str | None = None,
    ) -> dict[str, Any]:
        """A webhook's deliveries, newest first, each with every try and the answer it
        got (``status`` ∈ pending, delivered, failed filters)."""
        require_admin(actor)
        store.subscription_row(self.db, webhook_id)
        if status is not None and status not in STATUSES:
            raise ValidationFailed(
                "Bad status", [{"field": "status", "message": "one of " + ", ".join(STATUSES)}]
            )
        limit = max(1, min(500, int(limit or 50)))
        cursor = None
        if before:
            try:
                cursor = datetime.fromisoformat(before.replace("Z", "+00:00"))
            except ValueError:
                raise ValidationFailed(
                    "Bad cursor", [{"field": "cursor", "message": "not a cursor"}]
                ) from None
        rows = store.list_deliveries(self.db, webhook_id, limit, status, cursor)
        attempts = store.attempts_of(self.db, [row.id for row in rows])
        items = [store.dump_delivery(row, attempts.get(row.id, [])) for row in rows]
        next_cursor = items[-1]["created_at"] if len(items) == limit else None
        return {"items": items, "next_cursor": next_cursor}

    @rpc(expected_exceptions=EXPECTED)
    def resend_webhook_delivery(
        self, webhook_id: str, delivery_id: str, actor: dict[str, Any]
    ) -> dict[str, Any]:
        """Send one delivery again now, whatever its state, and answer it with this
        try's answer in its log; a 2xx marks it delivered."""
        require_admin(actor)
        subscription = store.subscription_row(self.db, webhook_id)
        row = store.delivery_row(self.db, delivery_id, lock=True)
        if row.subscription_id != subscription.id:
            store.delivery_row(self.db, "-")  # NotFound: not this webhook's
        row = self._attempt(subscription, row, by_hand=True)
        self.db.commit()
        attempts = store.attempts_of(self.db, [row.id]).get(row.id, [])
        return store.dump_delivery(row, attempts)

    # --- the sender -----------------------------------------------------------------------

    def _attempt(self, subscription: Any, row: Any, *, by_hand: bool) -> Any:
        body = row.body
        now = utcnow()
        secret = self.secrets.decrypt(subscription.secret)
        headers = {
            domain.SIGNATURE_HEADER: domain.webhook_signature(secret, body, int(now.timestamp())),
            "Osprey-Event": row.event_type,
            "Osprey-Delivery": row.id,
        }
        answer = self.platforms.sender.post(subscription.url, body, headers)
        ok = answer.status is not None and 200 <= answer.status < 300
        settings = self.settings
        values: dict[str, Any]
        if ok:
            values = {"status": "delivered", "delivered_at": now, "next_attempt_at": None}
        elif by_hand:
            values = {}
        elif row.attempts + 1 >= settings.max_attempts:
            values = {"status": "failed", "next_attempt_at": None}
        else:
            delay = retry_delay(row.attempts + 1, base=settings.retry_base, cap=settings.retry_cap)
            values = {"next_attempt_at": now + timedelta(seconds=delay)}
        error = answer.error
        if error is None and not ok:
            error = f"answered {answer.status}"
        return store.record_attempt(
            self.db,
            row,
            at=now,
            status_code=answer.status,
            response=answer.body,
            error=error,
            duration_ms=answer.duration_ms,
            by_hand=by_hand,
            values=values,
        )

    @timer(interval=1)
    def send_due_webhooks(self) -> int:
        """Lease the due deliveries (instances share them) and send each; how many."""
        ids = store.claim_due(self.db, self.settings.batch)
        self.db.commit()
        for delivery_id in ids:
            row = store.delivery_row(self.db, delivery_id, lock=True)
            if row.status != "pending":
                self.db.commit()
                continue
            subscription = store.subscription_row(self.db, row.subscription_id)
            try:
                row = self._attempt(subscription, row, by_hand=False)
            except Exception:  # noqa: BLE001 - one bad delivery must not stop the rest
                log.exception("webhook delivery %s failed to send", delivery_id)
                self.db.rollback()
                continue
            log.info(
                "webhook delivery %s (%s) to %s: %s",
                row.id, row.event_type, json.dumps(subscription.url), row.status,
            )  # fmt: skip
            self.db.commit()
        return len(ids)

    @timer(interval=PRUNE_SECONDS)
    def prune_webhook_log(self, days: float | None = None) -> int:
        """Delete the settled deliveries (delivered or failed) whose last try is older
        than ``days`` (``OSPREY_WEBHOOK_LOG_DAYS``), with their tries, a batch a
        transaction; how many went. Pending deliveries stay, however old."""
        keep = self.settings.log_days if days is None else days
        cutoff = utcnow() - timedelta(days=keep)
        deleted = 0
        while True:
            count = store.prune_deliveries(self.db, cutoff, PRUNE_BATCH)
            self.db.commit()
            deleted += count
            if count < PRUNE_BATCH:
                if deleted:
                    log.info("webhook log: %d deliveries older than %s days pruned", deleted, keep)
                return deleted
