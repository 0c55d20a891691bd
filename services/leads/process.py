"""The lead process: qualify, disqualify, reopen, hand off to sales, and the stage history.

The guided path is qualification → distribution → handoff → awaiting_sale →
converted (plus disqualified and nurturing), but nothing forces it: a user may skip
or go back a stage by hand (``update_lead`` with ``stage``), and every change is
logged. Qualifying and handing off talk to the sales service: contacts and accounts
are created there (checked for duplicates first), and so is the opportunity — once,
however often the hand-off is retried.
"""

from __future__ import annotations

from typing import Any

from nameko.events import event_handler

from services.platform.access import Actor
from services.platform.errors import EXPECTED, DuplicatesFound, NotFound
from services.platform.fields import failed
from services.platform.idempotency import idempotent
from services.platform.requests_once import claim_request, keep_answer
from services.platform.rpc import rpc
from services.platform.values import is_uuid

from . import access, domain, lookups_store, scoring_store, store
from .dependencies import LeadsBase
from .schemas import dump_lead


class ProcessRpc(LeadsBase):
    """Qualify, disqualify, reopen, hand off; the stage history; conversion on sales' word."""

    @rpc(expected_exceptions=(*EXPECTED, DuplicatesFound))
    def qualify_lead(
        self,
        lead_id: str,
        data: dict[str, Any],
        actor: dict[str, Any],
        expected_version: int | None = None,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        """Link the lead to its contact (and account) and need; emit ``lead_qualified``.

        ``data``: ``contact_id`` or ``contact`` (the fields of a new contact; empty
        fields are taken from the lead), optionally ``account_id`` or ``account``
        (likewise), ``need_type`` (required unless the lead has one) and
        ``allow_duplicates``. New contacts and accounts are checked for duplicates in
        the sales service first: when any exist, ``DuplicatesFound`` lists them
        (``candidates``, each with its ``entity``) and nothing is created. The lead
        moves to ``handoff`` when it has an owner, else to ``distribution``.
        Raises ``NotFound``, ``PermissionDenied``, ``Conflict`` (closed lead, stale
        version), ``ValidationFailed``, ``DuplicatesFound``. Called again with the same
        ``idempotency_key`` it returns the first answer.
        """
        replay = claim_request(self.db, idempotency_key, "qualify_lead", actor)
        if replay is not None:
            return replay.answer
        caller = Actor.from_dict(actor)
        request = domain.clean_qualify(data)
        lead = store.load_lead_for_change(self.db, lead_id, caller, expected_version)
        domain.check_open(lead.stage)
        need_type = domain.qualified_need(request["need_type"], lead.need_type)
        contact_id = request.get("contact_id")
        account_id = request.get("account_id")
        new_contact = new_account = None
        if contact_id is not None:
            self._check_sales_record("get_contact", contact_id, "contact_id", "contact", actor)
        else:
            new_contact = domain.contact_from_lead(lead, request["contact"])
        if account_id is not None:
            self._check_sales_record("get_account", account_id, "account_id", "account", actor)
        elif "account" in request:
            new_account = domain.account_from_lead(lead, request["account"])
        # Every check first (validation and duplicates), so nothing is half-created.
        candidates = []
        if new_account is not None:
            found = self.sales.check_account_duplicates(new_account, actor=actor)
            candidates += [{**c, "entity": "account"} for c in found]
        if new_contact is not None:
            found = self.sales.check_contact_duplicates(new_contact, actor=actor)
            candidates += [{**c, "entity": "contact"} for c in found]
        if candidates and not request["allow_duplicates"]:
            raise domain.duplicates_found(candidates)
        if new_account is not None:
            account_id = self.sales.create_account(new_account, actor=actor, allow_duplicates=True)[
                "id"
            ]
        if new_contact is not None:
            if account_id is not None:
                new_contact.setdefault("account_id", account_id)
            contact_id = self.sales.create_contact(new_contact, actor=actor, allow_duplicates=True)[
                "id"
            ]
        changed = [
            name
            for name, value in (
                ("contact_id", contact_id),
                ("account_id", account_id),
                ("need_type", need_type),
            )
            if getattr(lead, name) != value
        ]
        lead.contact_id, lead.account_id, lead.need_type = contact_id, account_id, need_type
        target = domain.qualified_stage(lead.owner_id)
        stage_change = store.change_stage(self.db, lead, target, "qualify", caller)
        if stage_change:
            changed.append("stage")
        changed = scoring_store.rescore(self.db, lead, changed)
        result = store.save_lead(
            self.db, lead, actor, changed, event="lead_qualified", stage_change=stage_change
        )
        result = access.visible(caller, result)
        keep_answer(self.db, idempotency_key, result)
        self.db.commit()
        return result

    @rpc(expected_exceptions=EXPECTED)
    def disqualify_lead(
        self,
        lead_id: str,
        reason: Any,
        actor: dict[str, Any],
        expected_version: int | None = None,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        """Disqualify the lead with a reason from the configured list; emit ``lead_disqualified``.

        Raises ``ValidationFailed`` (no reason or one not in the list of active
        disqualification reasons), ``Conflict`` (closed already, stale version),
        ``NotFound``, ``PermissionDenied``. Called again with the same
        ``idempotency_key`` it returns the first answer.
        """
        replay = claim_request(self.db, idempotency_key, "disqualify_lead", actor)
        if replay is not None:
            return replay.answer
        caller = Actor.from_dict(actor)
        code = domain.clean_disqualify_reason(reason)
        lead = store.load_lead_for_change(self.db, lead_id, caller, expected_version)
        domain.check_open(lead.stage)
        reasons = lookups_store.active_codes(self.db, "disqualification_reason")
        domain.check_reason_listed(code, reasons)
        lead.disqualification_reason = code
        stage_change = store.change_stage(self.db, lead, "disqualified", "disqualify", caller, code)
        changed = scoring_store.rescore(self.db, lead, ["stage", "disqualification_reason"])
        result = store.save_lead(
            self.db,
            lead,
            actor,
            changed,
            event="lead_disqualified",
            stage_change=stage_change,
            extra={"reason": code},
        )
        result = access.visible(caller, result)
        keep_answer(self.db, idempotency_key, result)
        self.db.commit()
        return result

    @rpc(expected_exceptions=EXPECTED)
    def reopen_lead(
        self,
        lead_id: str,
        actor: dict[str, Any],
        stage: str | None = None,
        expected_version: int | None = None,
    ) -> dict[str, Any]:
        """A manager brings a converted or disqualified lead back (to ``stage``, default
        qualification); emit ``lead_reopened``.

        Raises ``PermissionDenied`` (not a manager), ``Conflict`` (the lead is open),
        ``ValidationFailed`` (a closed or unknown target stage).
        """
        caller = Actor.from_dict(actor)
        domain.require_manager(caller, "reopen a lead")
        target = domain.reopen_target(stage)
        lead = store.load_lead_for_change(self.db, lead_id, caller, expected_version)
        domain.check_reopenable(lead.stage)
        stage_change = store.change_stage(self.db, lead, target, "reopen", caller)
        changed = scoring_store.rescore(self.db, lead, ["stage"])
        result = store.save_lead(
            self.db, lead, actor, changed, event="lead_reopened", stage_change=stage_change
        )
        self.db.commit()
        return access.visible(caller, result)

    @rpc(expected_exceptions=EXPECTED)
    def handoff_lead(
        self,
        lead_id: str,
        data: dict[str, Any] | None,
        actor: dict[str, Any],
        expected_version: int | None = None,
    ) -> dict[str, Any]:
        """Hand the lead to sales: the opportunity is created once; emit ``lead_handed_off``.

        ``data`` may give the deal's ``title``, ``budget``, ``amount``, ``currency``,
        ``close_date``. The lead needs a contact (qualify it first) and an owner (the
        deal's owner). It moves to ``awaiting_sale`` with ``opportunity_id`` set and
        to ``converted`` when the sales service announces the opportunity. A retry
        returns the lead as it is (the sales service also keeps one opportunity per
        lead). Raises ``ValidationFailed`` (no contact, no owner, bad deal fields),
        ``Conflict`` (closed, stale version), ``NotFound``, ``PermissionDenied``.
        """
        caller = Actor.from_dict(actor)
        deal = domain.clean_deal(data)
        lead = store.load_lead_for_change(self.db, lead_id, caller, expected_version)
        if lead.opportunity_id is not None:
            # Handed off already: a retry (or a double click) changes nothing.
            self.db.commit()
            return access.visible(caller, dump_lead(lead))
        domain.check_open(lead.stage)
        domain.check_handoff(lead)
        opportunity = self.sales.create_opportunity(
            domain.opportunity_data(lead, deal), actor=actor
        )
        lead.opportunity_id = opportunity["id"]
        stage_change = store.change_stage(self.db, lead, "awaiting_sale", "handoff", caller)
        changed = scoring_store.rescore(self.db, lead, ["opportunity_id", "stage"])
        result = store.save_lead(
            self.db,
            lead,
            actor,
            changed,
            event="lead_handed_off",
            stage_change=stage_change,
            extra={"opportunity": opportunity},
        )
        self.db.commit()
        return access.visible(caller, result)

    @rpc(expected_exceptions=EXPECTED)
    def lead_history(self, lead_id: str, actor: dict[str, Any]) -> list[dict[str, Any]]:
        """The lead's stage changes, oldest first: from, to, action, reason, who, when."""
        caller = Actor.from_dict(actor)
        lead = store.load_lead(self.db, lead_id, caller)
        result = store.stage_history(self.db, lead.id)
        self.db.commit()
        return result

    @event_handler("sales", "opportunity_created")
    @idempotent
    def handle_opportunity_created(self, event: dict[str, Any]) -> None:
        """A deal made from a lead exists: the lead is converted (``lead_converted``)."""
        opportunity = event.get("data") or {}
        lead_id = opportunity.get("lead_id")
        lead = store.lock_lead(self.db, lead_id) if lead_id and is_uuid(lead_id) else None
        if lead is None or lead.stage == "converted":
            self.db.commit()  # the claim of the event is part of this commit
            return
        who = Actor.from_dict(event["actor"]) if event.get("actor") else Actor.system("leads")
        changed = ["stage"]
        if lead.opportunity_id != opportunity["id"]:
            lead.opportunity_id = opportunity["id"]
            changed.append("opportunity_id")
        stage_change = store.change_stage(self.db, lead, "converted", "convert", who)
        changed = scoring_store.rescore(self.db, lead, changed)
        store.save_lead(
            self.db,
            lead,
            event.get("actor"),
            changed,
            event="lead_converted",
            stage_change=stage_change,
            extra={"opportunity_id": opportunity["id"]},
        )
        self.db.commit()

    def _check_sales_record(
        self, method: str, record_id: str, field: str, label: str, actor: dict[str, Any]
    ) -> None:
        """A contact or account the caller names must exist in sales (and be theirs to read)."""
        try:
            getattr(self.sales, method)(record_id, actor=actor)
        except NotFound:
            raise failed(field, f"no such {label}") from None
