"""The lead process: qualify, disqualify, reopen, hand off to sales, and the stage history.

The guided path is qualification → distribution → handoff → awaiting_sale →
converted (plus disqualified and nurturing), but nothing forces it: a user may skip
or go back a stage by hand (``update_lead`` with ``stage``), and every change is
logged. Qualifying and handing off talk to the sales service: contacts and accounts
are created there (checked for duplicates first), and so is the opportunity — once,
however often the hand-off is retried.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from nameko.events import event_handler
from nameko.rpc import RpcProxy

from services.platform.access import Actor
from services.platform.errors import (
    EXPECTED,
    Conflict,
    DuplicatesFound,
    NotFound,
    ValidationFailed,
)
from services.platform.events import isoformat
from services.platform.idempotency import idempotent
from services.platform.rpc import rpc

from . import domain
from .base import LeadsBase
from .models import Lead, StageChange
from .schemas import dump_lead

#: Stages a hand-off may start from: the lead has been qualified (or skipped ahead).
HANDOFF_FROM: tuple[str, ...] = ("qualification", "distribution", "handoff", "nurturing")
MAX_REASON = 300


def _text(data: Mapping[str, Any], name: str, errors: list[dict[str, str]]) -> str | None:
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        errors.append({"field": name, "message": "must be a string"})
        return None
    return value.strip() or None


def clean_qualify(data: Any) -> dict[str, Any]:
    """``{contact_id | contact, account_id | account, need_type, allow_duplicates}`` checked.

    The contact is required (an existing one or the fields of a new one); the account
    is optional (a private buyer has none). Every problem is reported at once.
    """
    if not isinstance(data, Mapping):
        raise domain.failed("data", "must be an object")
    allowed = {"contact_id", "contact", "account_id", "account", "need_type", "allow_duplicates"}
    errors = [{"field": str(k), "message": "unknown field"} for k in data if k not in allowed]
    clean: dict[str, Any] = {"allow_duplicates": False}
    for kind in ("contact", "account"):
        given_id, given = data.get(f"{kind}_id"), data.get(kind)
        if given_id is not None and given is not None:
            errors.append({"field": kind, "message": f"give {kind}_id or {kind}, not both"})
        elif given_id is not None:
            if not domain.is_uuid(given_id):
                errors.append({"field": f"{kind}_id", "message": "must be a UUID"})
            else:
                clean[f"{kind}_id"] = given_id
        elif given is not None:
            if not isinstance(given, Mapping):
                errors.append({"field": kind, "message": "must be an object of its fields"})
            else:
                clean[kind] = dict(given)
        elif kind == "contact":
            errors.append({"field": "contact_id", "message": "pick a contact or create one"})
    need_type = _text(data, "need_type", errors)
    if need_type is not None and len(need_type) > 100:
        errors.append({"field": "need_type", "message": "must be at most 100 characters"})
    clean["need_type"] = need_type
    allow = data.get("allow_duplicates", False)
    if not isinstance(allow, bool):
        errors.append({"field": "allow_duplicates", "message": "must be true or false"})
    else:
        clean["allow_duplicates"] = allow
    if errors:
        raise domain.validation_failed(errors)
    return clean


def contact_from_lead(lead: Lead, given: Mapping[str, Any]) -> dict[str, Any]:
    """A new contact's fields: what the user typed, else what the lead knows."""
    contact = dict(given)
    if lead.contact_name and not contact.get("full_name"):
        contact["full_name"] = lead.contact_name
    if lead.email and "emails" not in contact:
        contact["emails"] = [{"email": lead.email, "is_primary": True}]
    if lead.phone and "phones" not in contact:
        contact["phones"] = [{"phone": lead.phone, "is_primary": True}]
    contact.setdefault("owner_id", lead.owner_id)
    contact.setdefault("team_id", lead.team_id)
    return contact


def account_from_lead(lead: Lead, given: Mapping[str, Any]) -> dict[str, Any]:
    account = dict(given)
    if lead.account_name and not account.get("name"):
        account["name"] = lead.account_name
    account.setdefault("owner_id", lead.owner_id)
    account.setdefault("team_id", lead.team_id)
    return account


def dump_stage_change(change: StageChange) -> dict[str, Any]:
    return {
        "id": change.id,
        "lead_id": change.lead_id,
        "from_stage": change.from_stage,
        "to_stage": change.to_stage,
        "action": change.action,
        "reason": change.reason,
        "changed_by": change.changed_by,
        "changed_at": isoformat(change.changed_at),
    }


class ProcessRpc(LeadsBase):
    """Qualify, disqualify, reopen, hand off; the stage history; conversion on sales' word."""

    sales = RpcProxy("sales")

    @rpc(expected_exceptions=(*EXPECTED, DuplicatesFound))
    def qualify_lead(
        self,
        lead_id: str,
        data: dict[str, Any],
        actor: dict[str, Any],
        expected_version: int | None = None,
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
        version), ``ValidationFailed``, ``DuplicatesFound``.
        """
        caller = Actor.from_dict(actor)
        request = clean_qualify(data)
        lead = self._load_for_change(lead_id, caller, expected_version)
        self._check_open(lead)
        need_type = request["need_type"] or lead.need_type
        if not need_type:
            raise domain.failed("need_type", "say what the lead needs")
        contact_id = request.get("contact_id")
        account_id = request.get("account_id")
        new_contact = new_account = None
        if contact_id is not None:
            self._check_sales_record("get_contact", contact_id, "contact_id", "contact", actor)
        else:
            new_contact = contact_from_lead(lead, request["contact"])
        if account_id is not None:
            self._check_sales_record("get_account", account_id, "account_id", "account", actor)
        elif "account" in request:
            new_account = account_from_lead(lead, request["account"])
        # Every check first (validation and duplicates), so nothing is half-created.
        candidates = []
        if new_account is not None:
            found = self._sales_call("check_account_duplicates", new_account, actor=actor)
            candidates += [{**c, "entity": "account"} for c in found]
        if new_contact is not None:
            found = self._sales_call("check_contact_duplicates", new_contact, actor=actor)
            candidates += [{**c, "entity": "contact"} for c in found]
        if candidates and not request["allow_duplicates"]:
            raise DuplicatesFound(
                "Contacts or accounts like these exist already: pick one, or create anyway",
                [
                    {"field": c["entity"], "message": "looks like an existing record"}
                    for c in candidates
                ],
                candidates,
            )
        if new_account is not None:
            account_id = self._sales_call(
                "create_account", new_account, actor=actor, allow_duplicates=True
            )["id"]
        if new_contact is not None:
            if account_id is not None:
                new_contact.setdefault("account_id", account_id)
            contact_id = self._sales_call(
                "create_contact", new_contact, actor=actor, allow_duplicates=True
            )["id"]
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
        target = "handoff" if lead.owner_id else "distribution"
        stage_change = self._change_stage(lead, target, "qualify", caller, actor)
        if stage_change:
            changed.append("stage")
        return self._save(lead, actor, changed, event="lead_qualified", stage_change=stage_change)

    @rpc(expected_exceptions=EXPECTED)
    def disqualify_lead(
        self,
        lead_id: str,
        reason: Any,
        actor: dict[str, Any],
        expected_version: int | None = None,
    ) -> dict[str, Any]:
        """Disqualify the lead with a reason from the configured list; emit ``lead_disqualified``.

        Raises ``ValidationFailed`` (no reason or one not in the list of active
        disqualification reasons), ``Conflict`` (closed already, stale version),
        ``NotFound``, ``PermissionDenied``.
        """
        caller = Actor.from_dict(actor)
        if not isinstance(reason, str) or not reason.strip():
            raise domain.failed("reason", "pick a disqualification reason")
        code = reason.strip()
        lead = self._load_for_change(lead_id, caller, expected_version)
        self._check_open(lead)
        reasons = self._lookup_codes("disqualification_reason")
        if code not in reasons:
            raise domain.failed("reason", f"must be one of {', '.join(sorted(reasons))}")
        lead.disqualification_reason = code
        stage_change = self._change_stage(lead, "disqualified", "disqualify", caller, actor, code)
        return self._save(
            lead,
            actor,
            ["stage", "disqualification_reason"],
            event="lead_disqualified",
            stage_change=stage_change,
            extra={"reason": code},
        )

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
        self._require_manager(caller, "reopen a lead")
        target = stage or domain.INITIAL_STAGE
        if target not in domain.STAGES or target in domain.CLOSED_STAGES:
            open_stages = [s for s in domain.STAGES if s not in domain.CLOSED_STAGES]
            raise domain.failed("stage", f"must be one of {', '.join(open_stages)}")
        lead = self._load_for_change(lead_id, caller, expected_version)
        if lead.stage not in domain.CLOSED_STAGES:
            raise Conflict(
                f"The lead is open ({lead.stage}); there is nothing to reopen",
                [{"field": "stage", "message": f"the lead is {lead.stage}"}],
            )
        stage_change = self._change_stage(lead, target, "reopen", caller, actor)
        return self._save(lead, actor, ["stage"], event="lead_reopened", stage_change=stage_change)

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
        deal = _clean_deal(data)
        lead = self._load_for_change(lead_id, caller, expected_version)
        if lead.opportunity_id is not None:
            # Handed off already: a retry (or a double click) changes nothing.
            self.db.commit()
            return dump_lead(lead)
        self._check_open(lead)
        errors = []
        if lead.contact_id is None:
            errors.append({"field": "contact_id", "message": "qualify the lead first"})
        if lead.owner_id is None:
            errors.append({"field": "owner_id", "message": "assign the lead first"})
        if lead.stage not in HANDOFF_FROM:
            errors.append({"field": "stage", "message": f"cannot hand off from {lead.stage}"})
        if errors:
            raise domain.validation_failed(errors)
        title = deal.pop("title", None) or _deal_title(lead)
        opportunity = self._sales_call(
            "create_opportunity",
            {
                "title": title,
                "account_id": lead.account_id,
                "contact_id": lead.contact_id,
                "need_type": lead.need_type,
                "owner_id": lead.owner_id,
                "team_id": lead.team_id,
                "lead_id": lead.id,
                **deal,
            },
            actor=actor,
        )
        lead.opportunity_id = opportunity["id"]
        stage_change = self._change_stage(lead, "awaiting_sale", "handoff", caller, actor)
        return self._save(
            lead,
            actor,
            ["opportunity_id", "stage"],
            event="lead_handed_off",
            stage_change=stage_change,
            extra={"opportunity": opportunity},
        )

    @rpc(expected_exceptions=EXPECTED)
    def lead_history(self, lead_id: str, actor: dict[str, Any]) -> list[dict[str, Any]]:
        """The lead's stage changes, oldest first: from, to, action, reason, who, when."""
        caller = Actor.from_dict(actor)
        lead = self._load(lead_id, caller)
        changes = self.db.execute(
            sa.select(StageChange)
            .where(StageChange.lead_id == lead.id)
            .order_by(StageChange.changed_at, StageChange.id)
        ).scalars()
        result = [dump_stage_change(c) for c in changes]
        self.db.commit()
        return result

    @event_handler("sales", "opportunity_created")
    @idempotent
    def handle_opportunity_created(self, event: dict[str, Any]) -> None:
        """A deal made from a lead exists: the lead is converted (``lead_converted``)."""
        opportunity = event.get("data") or {}
        lead_id = opportunity.get("lead_id")
        lead = None
        if lead_id and domain.is_uuid(lead_id):
            lead = self.db.execute(
                sa.select(Lead).where(Lead.id == lead_id).with_for_update()
            ).scalar_one_or_none()
        if lead is None or lead.stage == "converted":
            self.db.commit()  # the claim of the event is part of this commit
            return
        who = Actor.from_dict(event["actor"]) if event.get("actor") else Actor.system("leads")
        changed = ["stage"]
        if lead.opportunity_id != opportunity["id"]:
            lead.opportunity_id = opportunity["id"]
            changed.append("opportunity_id")
        stage_change = self._change_stage(lead, "converted", "convert", who, event.get("actor"))
        self._save(
            lead,
            event.get("actor"),
            changed,
            event="lead_converted",
            stage_change=stage_change,
            extra={"opportunity_id": opportunity["id"]},
        )

    # --- calling the sales service ----------------------------------------------------

    def _sales_call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        return getattr(self.sales, method)(*args, **kwargs)

    def _check_sales_record(
        self, method: str, record_id: str, field: str, label: str, actor: dict[str, Any]
    ) -> None:
        try:
            self._sales_call(method, record_id, actor=actor)
        except NotFound:
            raise domain.failed(field, f"no such {label}") from None


def _deal_title(lead: Lead) -> str:
    who = lead.account_name or lead.contact_name or lead.email or "lead"
    return f"{lead.need_type or 'Deal'}: {who}"[:300]


def _clean_deal(data: Any) -> dict[str, Any]:
    """The deal fields a hand-off may set; the sales service checks their values."""
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise domain.failed("data", "must be an object")
    allowed = ("title", "budget", "amount", "currency", "close_date")
    errors = [{"field": str(k), "message": "unknown field"} for k in data if k not in allowed]
    if errors:
        raise ValidationFailed("; ".join(f"{e['field']}: {e['message']}" for e in errors), errors)
    return {k: v for k, v in data.items() if v is not None}
