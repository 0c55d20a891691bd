"""The platforms' webhooks, as the gateway hands them over (the exact body, base64, and
the headers that matter): a thin RPC part of SocialService.

Each request is first proved the platform's (:mod:`.domain`), in constant time; one
that is not is logged in the channel's log with its reason and refused (401 unsigned,
403 forged or replayed). A proved delivery is claimed by the platform's own id in
``hook_events`` in the transaction that applies it, and its lead is made through the
leads service's ``create_lead`` (duplicates looked up there) with an idempotency key
made of the channel and that id. So a redelivery finds the first answer and makes
nothing, two deliveries at once wait for each other, and a failure half-way (the leads
service down, the Graph API not answering) keeps nothing here and is retried by the
platform (503), the leads service giving back the lead it may already have made.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
from datetime import UTC, datetime
from typing import Any

from services.platform.access import Actor
from services.platform.errors import EXPECTED, NotFound, OspreyError, Unavailable, ValidationFailed
from services.platform.events import utcnow
from services.platform.rpc import rpc

from . import domain, store
from .dependencies import PlatformError, SocialBase

log = logging.getLogger(__name__)

SYSTEM = Actor.system("social").to_dict()


def decode_body(body: str) -> bytes:
    try:
        return base64.b64decode(body, validate=True)
    except (binascii.Error, TypeError, ValueError):
        raise domain.bad("The body was not passed as base64") from None


def parse_json(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise domain.bad("The body is not JSON") from None


def when(seconds: Any) -> datetime | None:
    if isinstance(seconds, int | float) and not isinstance(seconds, bool):
        return datetime.fromtimestamp(seconds, UTC)
    return None


class HooksRpc(SocialBase):
    # --- shared steps ---------------------------------------------------------------------

    def _channel(self, channel_id: str, kind: str, client_ip: str | None) -> Any:
        row = store.channel_row(self.db, channel_id)
        if row.kind != kind:
            raise NotFound("No such social channel")
        if row.state != "active":
            self._refuse_log(row, "paused", "The channel is paused", client_ip)
            raise NotFound("The social channel is paused")
        return row

    def _secret(self, row: Any, name: str) -> str:
        secrets = json.loads(self.secrets.decrypt(row.secret)) if row.secret else {}
        value = secrets.get(name)
        if not value:
            raise Unavailable(f"The channel has no {name}: set it in Administration")
        return value

    def _refuse_log(self, row: Any, outcome: str, detail: str, client_ip: str | None) -> None:
        """Keep a refusal in the channel's log (its own commit: the refusal stands)."""
        self.db.rollback()
        store.log_request(self.db, channel_id=row.id, kind=row.kind, outcome=outcome,
                          detail=detail, client_ip=client_ip)  # fmt: skip
        if outcome in ("unsigned", "forged", "replayed"):
            store.count(self.db, row.id, {outcome: 1}, success=None)
        self.db.commit()

    def _refuse(self, row: Any, refused: domain.Refused, client_ip: str | None) -> Exception:
        log.warning(
            "social channel %s (%s): refused a %s request from %s: %s",
            row.id, row.kind, refused.outcome, client_ip, refused.detail,
        )  # fmt: skip
        self._refuse_log(row, refused.outcome, refused.detail, client_ip)
        return refused.error()

    def _failed(self, row: Any, detail: str, client_ip: str | None) -> Exception:
        log.warning("social channel %s (%s): %s", row.id, row.kind, detail)
        self.db.rollback()
        store.log_request(self.db, channel_id=row.id, kind=row.kind, outcome="failed",
                          detail=detail, client_ip=client_ip)  # fmt: skip
        store.set_error(self.db, row.id, detail)
        self.db.commit()
        return Unavailable(f"{detail}; the platform will send it again")

    def _create_lead(self, row: Any, external_id: str, fields: dict[str, Any]) -> dict[str, Any]:
        settings = dict(row.settings or {})
        data = {
            **fields,
            "source": settings.get("source") or "social",
            "channel": row.kind,
            "owner_id": row.owner_id,
        }
        if row.team_id:
            data["team_id"] = row.team_id
        return self.leads_rpc.create_lead(
            data, actor=SYSTEM, idempotency_key=f"social:{row.id}:{external_id}"
        )

    def _apply_lead(
        self, row: Any, external_id: str, fields: dict[str, Any], client_ip: str | None
    ) -> str | None:
        """Make the lead of a claimed delivery (the caller commits); None when the form
        gave nothing a lead can be made of (logged, not retried)."""
        try:
            lead = self._create_lead(row, external_id, fields)
        except ValidationFailed as exc:
            reasons = "; ".join(f"{e.get('field')}: {e.get('message')}" for e in exc.errors)
            store.log_request(self.db, channel_id=row.id, kind=row.kind, outcome="malformed",
                              detail=f"No lead: {exc.message} ({reasons})"[:1000],
                              external_id=external_id, client_ip=client_ip)  # fmt: skip
            store.count(self.db, row.id, {"malformed": 1}, success=None)
            return None
        similar = len(lead.get("similar") or [])
        detail = f"Lead made; {similar} look-alike(s) to review" if similar else "Lead made"
        store.log_request(self.db, channel_id=row.id, kind=row.kind, outcome="accepted",
                          detail=detail, external_id=external_id, lead_id=lead["id"],
                          client_ip=client_ip)  # fmt: skip
        store.count(self.db, row.id, {"leads": 1}, success=True)
        return lead["id"]

    def _redelivered(self, row: Any, external_id: str, client_ip: str | None) -> Any:
        applied = store.applied_delivery(self.db, row.id, external_id)
        store.log_request(self.db, channel_id=row.id, kind=row.kind, outcome="redelivered",
                          detail="Already applied: nothing made",
                          external_id=external_id, lead_id=applied.lead_id if applied else None,
                          client_ip=client_ip)  # fmt: skip
        store.count(self.db, row.id, {"redelivered": 1}, success=None)
        return applied

    # --- Facebook Lead Ads ----------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def verify_facebook_hook(
        self,
        channel_id: str,
        mode: str | None,
        verify_token: str | None,
        challenge: str | None,
        client_ip: str | None = None,
    ) -> dict[str, Any]:
        """Facebook's subscription check: ``{challenge}`` when ``hub.verify_token`` is
        the channel's. ``Unauthenticated``/``PermissionDenied`` otherwise, logged."""
        row = self._channel(channel_id, "facebook", client_ip)
        try:
            domain.check_facebook_verification(
                self._secret(row, "verify_token"), mode, verify_token
            )
        except domain.Refused as refused:
            raise self._refuse(row, refused, client_ip) from None
        store.log_request(self.db, channel_id=row.id, kind=row.kind, outcome="verified",
                          detail="Subscription verified", client_ip=client_ip)  # fmt: skip
        self.db.commit()
        return {"challenge": challenge or ""}

    @rpc(expected_exceptions=EXPECTED)
    def receive_facebook_hook(
        self, channel_id: str, body: str, signature: str | None, client_ip: str | None = None
    ) -> dict[str, Any]:
        """A Page webhook's ``leadgen`` changes: each lead's fields read from the Graph
        API and made a lead, once per ``leadgen_id``. ``{leads, redelivered}``.
        Raises ``Unauthenticated`` (no signature), ``PermissionDenied`` (a signature
        that does not match, an event older than 48 hours), ``ValidationFailed`` (not
        a Page webhook), ``Unavailable`` (Graph API or leads service failed)."""
        row = self._channel(channel_id, "facebook", client_ip)
        raw = decode_body(body)
        try:
            domain.check_facebook_signature(self._secret(row, "app_secret"), raw, signature)
            payload = parse_json(raw)
            now = utcnow()
            for entry in payload.get("entry") or [] if isinstance(payload, dict) else []:
                domain.check_fresh("facebook", when(entry.get("time")), now)
        except domain.Refused as refused:
            raise self._refuse(row, refused, client_ip) from None
        leads = domain.facebook_leads(payload)
        settings = dict(row.settings or {})
        graph_url = settings.get("graph_url") or domain.DEFAULT_GRAPH_URL
        made = redelivered = 0
        for item in leads:
            if settings.get("page_id") and item.page_id and item.page_id != settings["page_id"]:
                store.log_request(self.db, channel_id=row.id, kind=row.kind, outcome="malformed",
                                  detail=f"A lead of another page ({item.page_id}): ignored",
                                  external_id=item.leadgen_id, client_ip=client_ip)  # fmt: skip
                continue
            if not store.claim_delivery(self.db, row.id, item.leadgen_id):
                self._redelivered(row, item.leadgen_id, client_ip)
                redelivered += 1
                continue
            try:
                lead = self.platforms.graph.fetch_lead(
                    graph_url, item.leadgen_id, self._secret(row, "page_access_token")
                )
                fields = domain.lead_from_answers(domain.graph_answers(lead))
                lead_id = self._apply_lead(row, item.leadgen_id, fields, client_ip)
            except PlatformError as exc:
                raise self._failed(row, str(exc), client_ip) from None
            except OspreyError:
                raise
            except Exception as exc:  # the leads service down or too slow
                raise self._failed(row, f"Lead not made: {type(exc).__name__}", client_ip) from exc
            store.finish_delivery(self.db, row.id, item.leadgen_id, lead_id)
            self.db.commit()
            made += 1 if lead_id else 0
        self.db.commit()
        return {"leads": made, "redelivered": redelivered}

    # --- Telegram -------------------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def receive_telegram_hook(
        self, channel_id: str, body: str, secret_token: str | None, client_ip: str | None = None
    ) -> dict[str, Any]:
        """A bot's update: one step of the dialogue that collects a name and a phone,
        the lead made when both are in. ``{reply}``: the Bot API call to answer the
        webhook with (``sendMessage``), the same one again for a redelivered update.
        Raises ``Unauthenticated``/``PermissionDenied`` (secret token missing or wrong,
        a message older than 25 hours), ``ValidationFailed``, ``Unavailable``."""
        row = self._channel(channel_id, "telegram", client_ip)
        raw = decode_body(body)
        try:
            domain.check_telegram_secret(self._secret(row, "secret_token"), secret_token)
            update = parse_json(raw)
            message = domain.telegram_message(update)
            if message is not None:
                domain.check_fresh("telegram", when(message.get("date")), utcnow())
        except domain.Refused as refused:
            raise self._refuse(row, refused, client_ip) from None
        external_id = str(update["update_id"])
        if not store.claim_delivery(self.db, row.id, external_id):
            applied = self._redelivered(row, external_id, client_ip)
            self.db.commit()
            return {"reply": applied.answer if applied else None}
        if message is None:
            store.finish_delivery(self.db, row.id, external_id, None)
            self.db.commit()
            return {"reply": None}
        chat_id = str(message["chat"]["id"])
        current = store.dialogue(self.db, row.id, chat_id)
        language = dict(row.settings or {}).get("language") or "en"
        step = domain.next_step(
            current.step if current else None,
            dict(current.answers or {}) if current else {},
            message,
            language,
        )
        lead_id = current.lead_id if current else None
        if step.lead is not None:
            try:
                lead_id = self._apply_lead(row, f"{chat_id}:{external_id}", step.lead, client_ip)
            except OspreyError:
                raise
            except Exception as exc:
                raise self._failed(row, f"Lead not made: {type(exc).__name__}", client_ip) from exc
        store.save_dialogue(self.db, row.id, chat_id, step.step, step.answers, lead_id)
        store.finish_delivery(
            self.db, row.id, external_id, lead_id if step.lead else None, step.reply
        )
        self.db.commit()
        return {"reply": step.reply}

    # --- VK Callback API ------------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def receive_vk_hook(
        self, channel_id: str, body: str, client_ip: str | None = None
    ) -> dict[str, Any]:
        """A Callback API event: ``confirmation`` answered with the group's string;
        ``lead_forms_new`` made a lead once per lead id; other events acknowledged.
        ``{text}`` to answer with (``ok`` or the confirmation string). Raises
        ``Unauthenticated``/``PermissionDenied`` (no secret, a wrong one, another
        group), ``ValidationFailed``, ``Unavailable``."""
        row = self._channel(channel_id, "vk", client_ip)
        event = parse_json(decode_body(body))
        if not isinstance(event, dict) or not isinstance(event.get("type"), str):
            raise domain.bad("Not a Callback API event (no type)")
        settings = dict(row.settings or {})
        group = settings.get("group_id")
        if event["type"] == "confirmation":
            if group and str(event.get("group_id")) != str(group):
                refused = domain.Refused("forged", "A confirmation for another group")
                raise self._refuse(row, refused, client_ip)
            store.log_request(self.db, channel_id=row.id, kind=row.kind, outcome="verified",
                              detail="Server confirmed", client_ip=client_ip)  # fmt: skip
            self.db.commit()
            return {"text": settings.get("confirmation") or ""}
        try:
            domain.check_vk_secret(self._secret(row, "secret"), event)
            if group and str(event.get("group_id")) != str(group):
                raise domain.Refused("forged", "An event of another group")
        except domain.Refused as refused:
            raise self._refuse(row, refused, client_ip) from None
        if event["type"] != "lead_forms_new":
            return {"text": "ok"}
        lead = domain.vk_lead(event)
        if not store.claim_delivery(self.db, row.id, lead.lead_id):
            self._redelivered(row, lead.lead_id, client_ip)
            self.db.commit()
            return {"text": "ok"}
        fields = domain.lead_from_answers(lead.answers)
        if lead.form_name:
            fields["notes"] = f"VK form: {lead.form_name}\n{fields.get('notes', '')}".strip()
        try:
            lead_id = self._apply_lead(row, lead.lead_id, fields, client_ip)
        except OspreyError:
            raise
        except Exception as exc:
            raise self._failed(row, f"Lead not made: {type(exc).__name__}", client_ip) from exc
        store.finish_delivery(self.db, row.id, lead.lead_id, lead_id)
        self.db.commit()
        return {"text": "ok"}
