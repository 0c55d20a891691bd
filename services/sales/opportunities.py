"""Opportunities: stages, stage history, tactics, competitors, the pipeline board.

A deal moves through the configurable stages (``opportunity_stages``). Every move
closes the current stay in ``opportunity_stage_history`` and opens the next, and
the non-final stages jumped over are logged as skipped stays of no length. A deal
in a final stage (won or lost) is closed: it never moves again.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError

from services.platform.access import Actor
from services.platform.errors import EXPECTED, Conflict, NotFound, ValidationFailed
from services.platform.events import isoformat, utcnow
from services.platform.ids import new_id
from services.platform.listing import (
    Filter,
    ListSpec,
    Sort,
    encode_cursor,
    fetch_page,
    readable_by,
)
from services.platform.rpc import rpc

from . import domain
from .base import Kind, SalesBase
from .domain import (
    OPPORTUNITY_STATUSES,
    TACTIC_KINDS,
    Entity,
    EntityField,
    failed,
)
from .models import (
    Account,
    Competitor,
    Contact,
    Opportunity,
    OpportunityStage,
    StageVisit,
    Tactic,
)
from .schemas import describe_entity, dump_entity, wire

# --- the entity ---------------------------------------------------------------------------

OPPORTUNITY_FIELDS: tuple[EntityField, ...] = (
    EntityField("id", "uuid", "ID", read_only=True),
    EntityField(
        "title",
        "string",
        "Title",
        max_length=300,
        required=True,
        sortable=True,
        filterable=True,
        filter_op="contains",
    ),
    EntityField("account_id", "uuid", "Account", filterable=True, lookup="accounts"),
    EntityField("contact_id", "uuid", "Contact", filterable=True, lookup="contacts"),
    EntityField("stage_id", "uuid", "Stage", filterable=True, lookup="opportunity-stages"),
    EntityField("need_type", "string", "Need type", max_length=100, filterable=True),
    EntityField("budget", "money", "Budget"),
    EntityField("amount", "money", "Amount", sortable=True),
    EntityField("currency", "currency", "Currency", max_length=3),
    EntityField("probability", "integer", "Probability, %", minimum=0, maximum=100),
    EntityField(
        "close_date", "date", "Close date", sortable=True, filterable=True, filter_op="range"
    ),
    EntityField(
        "status", "enum", "Status", options=OPPORTUNITY_STATUSES, read_only=True, filterable=True
    ),
    EntityField("lost_reason", "string", "Reason lost", max_length=500, read_only=True),
    EntityField("lead_id", "uuid", "Lead", filterable=True, lookup="leads"),
    EntityField("lines", "list", "Products", items="line"),
    EntityField("stage_entered_at", "datetime", "In stage since", read_only=True),
    EntityField("owner_id", "uuid", "Owner", required=True, filterable=True, lookup="users"),
    EntityField("team_id", "uuid", "Team", filterable=True, lookup="teams"),
    EntityField("version", "integer", "Version", read_only=True),
    EntityField(
        "created_at",
        "datetime",
        "Created",
        read_only=True,
        sortable=True,
        filterable=True,
        filter_op="range",
    ),
    EntityField(
        "updated_at",
        "datetime",
        "Updated",
        read_only=True,
        sortable=True,
        filterable=True,
        filter_op="range",
    ),
    EntityField("created_by", "uuid", "Created by", read_only=True),
)
OPPORTUNITY = Entity("opportunity", OPPORTUNITY_FIELDS)


def dump_opportunity(opportunity: Any) -> dict[str, Any]:
    """An opportunity with money as decimal strings and times as ISO 8601 UTC."""
    return dump_entity(OPPORTUNITY, opportunity)


OPPORTUNITIES = Kind(Opportunity, OPPORTUNITY, dump_opportunity)

OPPORTUNITY_LIST_SPEC = ListSpec(
    id_column=Opportunity.id,
    filters={
        "stage_id": Filter(Opportunity.stage_id, "uuid"),
        "status": Filter(Opportunity.status, "enum", options=OPPORTUNITY_STATUSES),
        "owner_id": Filter(Opportunity.owner_id, "uuid"),
        "team_id": Filter(Opportunity.team_id, "uuid"),
        "account_id": Filter(Opportunity.account_id, "uuid"),
        "contact_id": Filter(Opportunity.contact_id, "uuid"),
        "lead_id": Filter(Opportunity.lead_id, "uuid"),
        "need_type": Filter(Opportunity.need_type, "text"),
        "title": Filter(Opportunity.title, "contains"),
        "close_date": Filter(Opportunity.close_date, "datetime"),
        "created_at": Filter(Opportunity.created_at, "datetime"),
        "updated_at": Filter(Opportunity.updated_at, "datetime"),
    },
    sorts={
        "created_at": Sort(Opportunity.created_at, nullable=False),
        "updated_at": Sort(Opportunity.updated_at, nullable=False),
        "title": Sort(Opportunity.title, nullable=False),
        "amount": Sort(Opportunity.amount),
        "close_date": Sort(Opportunity.close_date),
    },
    default_sort="-created_at",
    search_vector=Opportunity.search,
)

#: The pipeline a new installation starts with (also seeded by migration sales_0004):
#: name, position, probability, is_final, is_successful.
DEFAULT_STAGES: tuple[tuple[str, int, int, bool, bool], ...] = (
    ("Qualification", 10, 10, False, False),
    ("Presentation", 20, 30, False, False),
    ("Proposal", 30, 50, False, False),
    ("Negotiation", 40, 80, False, False),
    ("Won", 90, 100, True, True),
    ("Lost", 100, 0, True, False),
)

#: How many cards each board column shows at first, and at most.
BOARD_PER_STAGE = 50
BOARD_MAX_PER_STAGE = 200
MAX_REASON = 500
MAX_TEXT = 2000


def dump_stage(stage: Any) -> dict[str, Any]:
    return {
        "id": stage.id,
        "name": stage.name,
        "position": stage.position,
        "probability": stage.probability,
        "is_final": stage.is_final,
        "is_successful": stage.is_successful,
        "version": stage.version,
    }


def dump_tactic(tactic: Any) -> dict[str, Any]:
    return {
        "id": tactic.id,
        "opportunity_id": tactic.opportunity_id,
        "kind": tactic.kind,
        "text": tactic.text,
        "created_at": isoformat(tactic.created_at),
        "created_by": tactic.created_by,
    }


def dump_competitor(competitor: Any, account_name: str | None) -> dict[str, Any]:
    return {
        "id": competitor.id,
        "opportunity_id": competitor.opportunity_id,
        "account_id": competitor.account_id,
        "account_name": account_name,
        "offer": competitor.offer,
        "comparison": competitor.comparison,
        "created_at": isoformat(competitor.created_at),
        "created_by": competitor.created_by,
    }


def describe_opportunities() -> dict[str, Any]:
    """The opportunity entity for ``meta/entities``."""
    return describe_entity(OPPORTUNITY, "opportunities", "Opportunities", "Opportunity")


def skipped_between(stages: list[Any], current: Any, target: Any) -> list[Any]:
    """The non-final stages a forward move jumps over (none for a backward move or a loss)."""
    if target.is_final and not target.is_successful:
        return []
    low, high = current.position, target.position
    return [s for s in stages if low < s.position < high and not s.is_final]


def lines_total(lines: list[dict[str, Any]]) -> Decimal:
    return sum((domain.line_total(line) for line in lines), Decimal("0.00"))


def seconds_between(start: datetime, end: datetime) -> int:
    return max(0, int((end - start).total_seconds()))


# --- stage rules (pure) ---------------------------------------------------------------------

STAGE_FIELDS: tuple[EntityField, ...] = (
    EntityField("name", "string", "Name", max_length=100, required=True),
    EntityField("position", "integer", "Position", minimum=0, maximum=100000, required=True),
    EntityField("probability", "integer", "Probability, %", minimum=0, maximum=100, required=True),
    EntityField("is_final", "boolean", "Final"),
    EntityField("is_successful", "boolean", "Successful"),
)
STAGE = Entity("opportunity_stage", STAGE_FIELDS)


def check_stage(values: dict[str, Any]) -> None:
    errors = [
        {"field": f.name, "message": "is required"}
        for f in STAGE_FIELDS
        if f.required and values.get(f.name) is None
    ]
    if values.get("is_successful") and not values.get("is_final"):
        errors.append({"field": "is_successful", "message": "only a final stage can be successful"})
    if errors:
        raise ValidationFailed("; ".join(f"{e['field']}: {e['message']}" for e in errors), errors)


class OpportunitiesRpc(SalesBase):
    """Opportunities, their stages, stage history, tactics and competitors, the board."""

    # --- opportunities --------------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def create_opportunity(self, data: dict[str, Any], actor: dict[str, Any]) -> dict[str, Any]:
        """Create a deal in its first stage and emit ``opportunity_created``.

        ``title`` and an owner are required (the owner defaults to the caller; an
        explicit null is refused). ``stage_id`` defaults to the first non-final stage
        and may not be a final one (win or lose the deal instead). ``probability``
        defaults to the stage's. With product ``lines`` the amount is their total.
        A deal made from a lead (``lead_id``) is made once: when one exists for that
        lead, it is returned as it is (a retried hand-off) and nothing is emitted.
        Raises ``ValidationFailed``, ``PermissionDenied`` (another team).
        """
        caller = Actor.from_dict(actor)
        changes = domain.clean_changes(OPPORTUNITY, data)
        values = self._new_values(OPPORTUNITY, changes, caller)
        if values.get("lead_id"):
            # One deal per lead: a retried hand-off gets the deal it made the first time.
            existing = self.db.execute(
                sa.select(Opportunity).where(Opportunity.lead_id == values["lead_id"])
            ).scalar_one_or_none()
            if existing is not None:
                result = dump_opportunity(existing)
                self.db.commit()
                return result
        stages = self._stages()
        stage = self._initial_stage(stages, values.get("stage_id"))
        now = values["created_at"]
        values["stage_id"] = stage.id
        values["status"] = "open"
        values["stage_entered_at"] = now
        if values.get("probability") is None:
            values["probability"] = stage.probability
        self._apply_money_rules(values, changed=set(changes))
        self._check_links(values)
        record = Opportunity(**values)
        self.db.add(record)
        self.db.flush()
        self.db.add(
            StageVisit(
                id=new_id(),
                opportunity_id=record.id,
                stage_id=stage.id,
                entered_at=now,
                moved_by=caller.id,
            )
        )
        self.db.flush()
        result = dump_opportunity(record)
        self.db.emit("opportunity_created", result, actor=actor)
        self.db.commit()
        return result

    @rpc(expected_exceptions=EXPECTED)
    def get_opportunity(self, opportunity_id: str, actor: dict[str, Any]) -> dict[str, Any]:
        """The deal. Raises ``NotFound`` when it does not exist or the caller may not read it."""
        caller = Actor.from_dict(actor)
        result = dump_opportunity(self._load(OPPORTUNITIES, opportunity_id, caller))
        self.db.commit()
        return result

    @rpc(expected_exceptions=EXPECTED)
    def list_opportunities(
        self, query: dict[str, Any] | None, actor: dict[str, Any]
    ) -> dict[str, Any]:
        """A page of the deals the caller may read: ``{"items", "next_cursor"}``.

        Filters: stage_id, status, owner_id, team_id, account_id, contact_id, lead_id,
        need_type, title (contains), close_date, created_at, updated_at (ranges).
        Sorts: created_at (default ``-created_at``), updated_at, title, amount,
        close_date. ``q`` matches word prefixes of the title and need type.
        """
        caller = Actor.from_dict(actor)
        stmt = sa.select(Opportunity).where(
            readable_by(caller, Opportunity.owner_id, Opportunity.team_id)
        )
        page = fetch_page(self.db, stmt, OPPORTUNITY_LIST_SPEC, query, dump_opportunity)
        self.db.commit()
        return page

    @rpc(expected_exceptions=EXPECTED)
    def update_opportunity(
        self,
        opportunity_id: str,
        data: dict[str, Any],
        actor: dict[str, Any],
        expected_version: int | None = None,
    ) -> dict[str, Any]:
        """Change some fields; emit ``opportunity_updated`` (the deal plus ``changed_fields``).

        The stage changes only through ``move_opportunity``/``win``/``lose``; the
        owner cannot be removed. Raises ``NotFound``, ``PermissionDenied``,
        ``Conflict`` (stale version), ``ValidationFailed``.
        """
        caller = Actor.from_dict(actor)
        changes = domain.clean_changes(OPPORTUNITY, data)
        if "stage_id" in changes:
            raise failed(
                "stage_id", "changes only by moving the deal (POST /opportunities/{id}/move)"
            )

        def check(values: dict[str, Any], changed: list[str]) -> None:
            before = values.get("amount")
            derived = self._apply_money_rules(values, changed=set(changes))
            new_amount = derived.get("amount")
            if new_amount is not None and "amount" not in changes and wire(new_amount) != before:
                changes["amount"] = new_amount
                changed.append("amount")
            if {"account_id", "contact_id"} & set(changed):
                self._check_links(values)

        return self._update(
            OPPORTUNITIES, opportunity_id, changes, caller, actor, expected_version, check
        )

    @rpc(expected_exceptions=EXPECTED)
    def delete_opportunity(
        self, opportunity_id: str, actor: dict[str, Any], expected_version: int | None = None
    ) -> None:
        """Delete the deal, its history, tactics, competitors; emit ``opportunity_deleted``."""
        caller = Actor.from_dict(actor)
        self._delete(OPPORTUNITIES, opportunity_id, caller, actor, expected_version)

    @rpc
    def describe_opportunities(self, actor: dict[str, Any] | None = None) -> dict[str, Any]:
        """The opportunity entity's metadata (fields, types, options). Needs no caller."""
        return describe_opportunities()

    # --- moving through the stages --------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def move_opportunity(
        self,
        opportunity_id: str,
        stage_id: str,
        actor: dict[str, Any],
        reason: str | None = None,
        expected_version: int | None = None,
    ) -> dict[str, Any]:
        """Move the deal to another stage; emit ``opportunity_stage_changed``.

        Forward or back between open stages; the non-final stages jumped over are
        logged as skipped. Into a successful final stage the deal is won
        (``opportunity_won`` too), into an unsuccessful one it is lost and needs a
        ``reason`` (``opportunity_lost``). Moving to the stage it is in changes
        nothing. Raises ``NotFound``, ``PermissionDenied``, ``ValidationFailed``
        (unknown stage, missing reason), ``Conflict`` (the deal is closed; stale version).
        """
        caller = Actor.from_dict(actor)
        if not domain.is_uuid(stage_id):
            raise failed("stage_id", "must be a UUID")
        return self._move(opportunity_id, caller, actor, expected_version, reason, stage_id)

    @rpc(expected_exceptions=EXPECTED)
    def win_opportunity(
        self, opportunity_id: str, actor: dict[str, Any], expected_version: int | None = None
    ) -> dict[str, Any]:
        """Move the deal to the successful final stage: won, probability 100.

        Emits ``opportunity_stage_changed`` and ``opportunity_won``. Raises as ``move``.
        """
        caller = Actor.from_dict(actor)
        target = self._final_stage(successful=True)
        return self._move(opportunity_id, caller, actor, expected_version, None, target.id)

    @rpc(expected_exceptions=EXPECTED)
    def lose_opportunity(
        self,
        opportunity_id: str,
        reason: str | None,
        actor: dict[str, Any],
        expected_version: int | None = None,
    ) -> dict[str, Any]:
        """Move the deal to the unsuccessful final stage with the ``reason``: lost, probability 0.

        Emits ``opportunity_stage_changed`` and ``opportunity_lost``. Raises as ``move``.
        """
        caller = Actor.from_dict(actor)
        target = self._final_stage(successful=False)
        return self._move(opportunity_id, caller, actor, expected_version, reason, target.id)

    def _move(
        self,
        opportunity_id: str,
        caller: Actor,
        actor: dict[str, Any],
        expected_version: Any,
        reason: Any,
        stage_id: str,
    ) -> dict[str, Any]:
        expected = domain.parse_expected_version(expected_version)
        opportunity = self._load(OPPORTUNITIES, opportunity_id, caller, for_update=True)
        caller.require_change(opportunity.owner_id, opportunity.team_id)
        self._check_version(OPPORTUNITY, opportunity, expected)
        stages = self._stages()
        by_id = {s.id: s for s in stages}
        current = by_id[opportunity.stage_id]
        target = by_id.get(stage_id)
        if target is None:
            raise failed("stage_id", "no such stage")
        if opportunity.status != "open" or current.is_final:
            raise Conflict(
                f"The deal is {opportunity.status} and closed; it cannot move",
                [{"field": "stage_id", "message": f"the deal is already {opportunity.status}"}],
            )
        if target.id == current.id:
            self.db.commit()
            return dump_opportunity(opportunity)
        lost_reason = None
        if target.is_final and not target.is_successful:
            lost_reason = _clean_reason(reason)
        now = utcnow()
        entered_current = opportunity.stage_entered_at
        skipped = skipped_between(stages, current, target)
        self.db.execute(
            sa.update(StageVisit)
            .where(StageVisit.opportunity_id == opportunity.id, StageVisit.left_at.is_(None))
            .values(left_at=now)
        )
        for stage in skipped:
            self.db.add(
                StageVisit(
                    id=new_id(),
                    opportunity_id=opportunity.id,
                    stage_id=stage.id,
                    entered_at=now,
                    left_at=now,
                    moved_by=caller.id,
                    skipped=True,
                )
            )
        self.db.flush()
        self.db.add(
            StageVisit(
                id=new_id(),
                opportunity_id=opportunity.id,
                stage_id=target.id,
                entered_at=now,
                moved_by=caller.id,
            )
        )
        opportunity.stage_id = target.id
        opportunity.stage_entered_at = now
        opportunity.probability = target.probability
        if target.is_final:
            opportunity.status = "won" if target.is_successful else "lost"
            opportunity.lost_reason = lost_reason
        opportunity.version = opportunity.version + 1
        opportunity.updated_at = now
        self.db.flush()
        result = dump_opportunity(opportunity)
        self.db.emit(
            "opportunity_stage_changed",
            {
                "opportunity": result,
                "from_stage_id": current.id,
                "to_stage_id": target.id,
                "skipped_stage_ids": [s.id for s in skipped],
                "seconds_in_stage": seconds_between(entered_current, now),
            },
            actor=actor,
        )
        if opportunity.status == "won":
            self.db.emit("opportunity_won", result, actor=actor)
        elif opportunity.status == "lost":
            self.db.emit("opportunity_lost", {**result, "reason": lost_reason}, actor=actor)
        self.db.commit()
        return result

    @rpc(expected_exceptions=EXPECTED)
    def opportunity_history(self, opportunity_id: str, actor: dict[str, Any]) -> list[dict]:
        """The deal's stays in stages, oldest first: entered, left, seconds in stage, who, skipped.

        The current stay has ``left_at`` null and counts its seconds up to now.
        Raises ``NotFound``.
        """
        caller = Actor.from_dict(actor)
        opportunity = self._load(OPPORTUNITIES, opportunity_id, caller)
        rows = self.db.execute(
            sa.select(StageVisit, OpportunityStage.name, OpportunityStage.position)
            .join(OpportunityStage, OpportunityStage.id == StageVisit.stage_id)
            .where(StageVisit.opportunity_id == opportunity.id)
            .order_by(
                StageVisit.entered_at,
                StageVisit.left_at.is_(None),
                OpportunityStage.position,
            )
        ).all()
        now = utcnow()
        result = [
            {
                "id": visit.id,
                "stage_id": visit.stage_id,
                "stage_name": name,
                "entered_at": isoformat(visit.entered_at),
                "left_at": isoformat(visit.left_at),
                "seconds_in_stage": seconds_between(visit.entered_at, visit.left_at or now),
                "moved_by": visit.moved_by,
                "skipped": visit.skipped,
            }
            for visit, name, _position in rows
        ]
        self.db.commit()
        return result

    # --- tactics and competitors ----------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def list_tactics(self, opportunity_id: str, actor: dict[str, Any]) -> list[dict[str, Any]]:
        """The deal's SWOT entries by kind (strength, weakness, opportunity, threat)."""
        caller = Actor.from_dict(actor)
        opportunity = self._load(OPPORTUNITIES, opportunity_id, caller)
        order = sa.case({kind: i for i, kind in enumerate(TACTIC_KINDS)}, value=Tactic.kind)
        tactics = self.db.execute(
            sa.select(Tactic)
            .where(Tactic.opportunity_id == opportunity.id)
            .order_by(order, Tactic.created_at, Tactic.id)
        ).scalars()
        result = [dump_tactic(t) for t in tactics]
        self.db.commit()
        return result

    @rpc(expected_exceptions=EXPECTED)
    def add_tactic(
        self, opportunity_id: str, data: dict[str, Any], actor: dict[str, Any]
    ) -> dict[str, Any]:
        """Add a SWOT entry ``{kind, text}``; emit ``opportunity_tactic_added``.

        Raises ``NotFound``, ``PermissionDenied``, ``ValidationFailed``.
        """
        caller = Actor.from_dict(actor)
        values = _clean_parts(
            data, {"kind": ("enum", True), "text": ("text", True)}, options=TACTIC_KINDS
        )
        opportunity = self._load(OPPORTUNITIES, opportunity_id, caller, for_update=True)
        caller.require_change(opportunity.owner_id, opportunity.team_id)
        tactic = Tactic(
            id=new_id(),
            opportunity_id=opportunity.id,
            created_at=utcnow(),
            created_by=caller.id,
            **values,
        )
        self.db.add(tactic)
        self.db.flush()
        result = dump_tactic(tactic)
        self.db.emit("opportunity_tactic_added", result, actor=actor)
        self.db.commit()
        return result

    @rpc(expected_exceptions=EXPECTED)
    def remove_tactic(self, opportunity_id: str, tactic_id: str, actor: dict[str, Any]) -> None:
        """Remove a SWOT entry; emit ``opportunity_tactic_removed``. Raises ``NotFound``."""
        caller = Actor.from_dict(actor)
        opportunity = self._load(OPPORTUNITIES, opportunity_id, caller, for_update=True)
        caller.require_change(opportunity.owner_id, opportunity.team_id)
        tactic = self._part(Tactic, tactic_id, opportunity.id, "tactic")
        result = dump_tactic(tactic)
        self.db.delete(tactic)
        self.db.flush()
        self.db.emit("opportunity_tactic_removed", result, actor=actor)
        self.db.commit()

    @rpc(expected_exceptions=EXPECTED)
    def list_competitors(self, opportunity_id: str, actor: dict[str, Any]) -> list[dict]:
        """The competitors in the deal with their offer and our comparison, oldest first."""
        caller = Actor.from_dict(actor)
        opportunity = self._load(OPPORTUNITIES, opportunity_id, caller)
        rows = self.db.execute(
            sa.select(Competitor, Account.name)
            .join(Account, Account.id == Competitor.account_id)
            .where(Competitor.opportunity_id == opportunity.id)
            .order_by(Competitor.created_at, Competitor.id)
        ).all()
        result = [dump_competitor(c, name) for c, name in rows]
        self.db.commit()
        return result

    @rpc(expected_exceptions=EXPECTED)
    def add_competitor(
        self, opportunity_id: str, data: dict[str, Any], actor: dict[str, Any]
    ) -> dict[str, Any]:
        """Add a competitor {account_id, offer, comparison}; emit ``opportunity_competitor_added``.

        Raises ``NotFound``, ``PermissionDenied``, ``ValidationFailed`` (unknown
        account), ``Conflict`` (already a competitor in this deal).
        """
        caller = Actor.from_dict(actor)
        values = _clean_parts(
            data,
            {"account_id": ("uuid", True), "offer": ("text", False), "comparison": ("text", False)},
        )
        opportunity = self._load(OPPORTUNITIES, opportunity_id, caller, for_update=True)
        caller.require_change(opportunity.owner_id, opportunity.team_id)
        name = self.db.execute(
            sa.select(Account.name).where(Account.id == values["account_id"])
        ).scalar_one_or_none()
        if name is None:
            raise failed("account_id", "no such account")
        taken = self.db.execute(
            sa.select(Competitor.id).where(
                Competitor.opportunity_id == opportunity.id,
                Competitor.account_id == values["account_id"],
            )
        ).scalar_one_or_none()
        if taken is not None:
            raise Conflict(
                "That account is already a competitor in this deal",
                [{"field": "account_id", "message": "is already a competitor in this deal"}],
            )
        competitor = Competitor(
            id=new_id(),
            opportunity_id=opportunity.id,
            created_at=utcnow(),
            created_by=caller.id,
            **values,
        )
        self.db.add(competitor)
        self.db.flush()
        result = dump_competitor(competitor, name)
        self.db.emit("opportunity_competitor_added", result, actor=actor)
        self.db.commit()
        return result

    @rpc(expected_exceptions=EXPECTED)
    def remove_competitor(
        self, opportunity_id: str, competitor_id: str, actor: dict[str, Any]
    ) -> None:
        """Remove a competitor from the deal; emit ``opportunity_competitor_removed``."""
        caller = Actor.from_dict(actor)
        opportunity = self._load(OPPORTUNITIES, opportunity_id, caller, for_update=True)
        caller.require_change(opportunity.owner_id, opportunity.team_id)
        competitor = self._part(Competitor, competitor_id, opportunity.id, "competitor")
        result = dump_competitor(competitor, None)
        self.db.delete(competitor)
        self.db.flush()
        self.db.emit("opportunity_competitor_removed", result, actor=actor)
        self.db.commit()

    # --- stages ---------------------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def list_opportunity_stages(self, actor: dict[str, Any] | None = None) -> list[dict]:
        """Every stage by position. Anyone signed in may read them."""
        result = [dump_stage(s) for s in self._stages()]
        self.db.commit()
        return result

    @rpc(expected_exceptions=EXPECTED)
    def create_opportunity_stage(
        self, data: dict[str, Any], actor: dict[str, Any]
    ) -> dict[str, Any]:
        """Add a stage (administrators); emit ``opportunity_stage_created``.

        Raises ``PermissionDenied``, ``ValidationFailed``, ``Conflict`` (name or
        position taken).
        """
        caller = Actor.from_dict(actor)
        caller.require_admin()
        values = {"is_final": False, "is_successful": False, **domain.clean_changes(STAGE, data)}
        check_stage(values)
        now = utcnow()
        stage = OpportunityStage(id=new_id(), version=1, created_at=now, updated_at=now, **values)
        self.db.add(stage)
        self._flush_stage()
        result = dump_stage(stage)
        self.db.emit("opportunity_stage_created", result, actor=actor)
        self.db.commit()
        return result

    @rpc(expected_exceptions=EXPECTED)
    def update_opportunity_stage(
        self,
        stage_id: str,
        data: dict[str, Any],
        actor: dict[str, Any],
        expected_version: int | None = None,
    ) -> dict[str, Any]:
        """Rename, reorder or re-weight a stage (admins); emit ``opportunity_stage_updated``.

        Whether a stage is final cannot change while deals are in it. Raises
        ``NotFound``, ``PermissionDenied``, ``ValidationFailed``, ``Conflict``.
        """
        caller = Actor.from_dict(actor)
        caller.require_admin()
        expected = domain.parse_expected_version(expected_version)
        changes = domain.clean_changes(STAGE, data)
        stage = self._stage(stage_id, for_update=True)
        self._check_version(STAGE, stage, expected)
        values = {**dump_stage(stage), **changes}
        check_stage(values)
        changed = [k for k, v in changes.items() if getattr(stage, k) != v]
        if not changed:
            self.db.commit()
            return dump_stage(stage)
        if {"is_final", "is_successful"} & set(changed) and self._stage_in_use(stage.id):
            raise Conflict(
                "Deals are in this stage; whether it is final cannot change now",
                [{"field": "is_final", "message": "deals are in this stage"}],
            )
        for name in changed:
            setattr(stage, name, changes[name])
        stage.version += 1
        stage.updated_at = utcnow()
        self._flush_stage()
        result = dump_stage(stage)
        self.db.emit(
            "opportunity_stage_updated", {**result, "changed_fields": changed}, actor=actor
        )
        self.db.commit()
        return result

    @rpc(expected_exceptions=EXPECTED)
    def delete_opportunity_stage(
        self, stage_id: str, actor: dict[str, Any], expected_version: int | None = None
    ) -> None:
        """Delete a stage no deal is or was in (admins); emit ``opportunity_stage_deleted``."""
        caller = Actor.from_dict(actor)
        caller.require_admin()
        expected = domain.parse_expected_version(expected_version)
        stage = self._stage(stage_id, for_update=True)
        self._check_version(STAGE, stage, expected)
        if self._stage_in_use(stage.id):
            raise Conflict(
                "Deals are or were in this stage; it cannot be deleted",
                [{"field": "stage_id", "message": "deals are or were in this stage"}],
            )
        result = dump_stage(stage)
        self.db.delete(stage)
        self.db.flush()
        self.db.emit("opportunity_stage_deleted", result, actor=actor)
        self.db.commit()

    # --- the pipeline board ---------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def pipeline(self, query: dict[str, Any] | None, actor: dict[str, Any]) -> dict[str, Any]:
        """The board: every stage with its open deals the caller may read.

        ``query``: ``owner_id`` (list of ids, any of), ``team_id`` (list), ``per_stage``
        (cards per column, default 50, at most 200). Each column: ``stage``, ``count``,
        ``totals`` per currency (``amount``, ``weighted`` = Σ amount × probability / 100),
        ``items`` (cards, latest changed first) and ``next_cursor`` for
        ``list_opportunities`` with ``filter[stage_id]``, ``filter[status]=open``,
        ``sort=-updated_at``. Final stages come with no cards: they are where deals
        are won or lost. Raises ``ValidationFailed``.
        """
        caller = Actor.from_dict(actor)
        owners, teams, per_stage = _board_query(query)
        conditions = [
            Opportunity.status == "open",
            readable_by(caller, Opportunity.owner_id, Opportunity.team_id),
        ]
        if owners:
            conditions.append(Opportunity.owner_id.in_(owners))
        if teams:
            conditions.append(Opportunity.team_id.in_(teams))
        stages = self._stages()
        weighted = sa.func.sum(Opportunity.amount * sa.func.coalesce(Opportunity.probability, 0))
        sums = self.db.execute(
            sa.select(
                Opportunity.stage_id,
                Opportunity.currency,
                sa.func.count(),
                sa.func.sum(Opportunity.amount),
                weighted,
            )
            .where(*conditions)
            .group_by(Opportunity.stage_id, Opportunity.currency)
        ).all()
        counts: dict[str, int] = {}
        totals: dict[str, list[dict[str, Any]]] = {}
        for stage_id, currency, count, amount, weight in sums:
            counts[stage_id] = counts.get(stage_id, 0) + count
            if currency is not None and amount is not None:
                totals.setdefault(stage_id, []).append(
                    {
                        "currency": currency,
                        "amount": wire(amount),
                        "weighted": wire((weight / 100).quantize(domain.CENT)),
                    }
                )
        cards = self._board_cards(
            [s.id for s in stages if not s.is_final and counts.get(s.id)], conditions, per_stage
        )
        columns = []
        for stage in stages:
            items = cards.get(stage.id, [])
            next_cursor = None
            if len(items) > per_stage:
                items = items[:per_stage]
                last = items[-1]
                next_cursor = encode_cursor("-updated_at", last.pop("_updated_at"), last["id"])
            for card in items:
                card.pop("_updated_at", None)
            columns.append(
                {
                    "stage": dump_stage(stage),
                    "count": counts.get(stage.id, 0),
                    "totals": sorted(totals.get(stage.id, []), key=lambda t: t["currency"]),
                    "items": items,
                    "next_cursor": next_cursor,
                }
            )
        self.db.commit()
        return {"stages": columns}

    # --- shared steps ---------------------------------------------------------------------

    def _stages(self) -> list[Any]:
        """Every stage by position; an empty pipeline (new or emptied database) gets defaults."""
        select = sa.select(OpportunityStage).order_by(OpportunityStage.position)
        stages = list(self.db.execute(select).scalars().all())
        if not stages:
            now = utcnow()
            self.db.execute(
                pg_insert(OpportunityStage)
                .values(
                    [
                        {
                            "id": new_id(),
                            "name": name,
                            "position": position,
                            "probability": probability,
                            "is_final": is_final,
                            "is_successful": is_successful,
                            "version": 1,
                            "created_at": now,
                            "updated_at": now,
                        }
                        for name, position, probability, is_final, is_successful in DEFAULT_STAGES
                    ]
                )
                .on_conflict_do_nothing()
            )
            stages = list(self.db.execute(select).scalars().all())
        return stages

    def _stage(self, stage_id: Any, *, for_update: bool = False) -> Any:
        missing = NotFound("No such stage", [{"field": "stage_id", "message": "no such stage"}])
        if not domain.is_uuid(stage_id):
            raise missing
        stmt = sa.select(OpportunityStage).where(OpportunityStage.id == stage_id)
        if for_update:
            stmt = stmt.with_for_update()
        stage = self.db.execute(stmt).scalar_one_or_none()
        if stage is None:
            raise missing
        return stage

    def _stage_in_use(self, stage_id: str) -> bool:
        used = self.db.execute(
            sa.select(
                sa.exists().where(Opportunity.stage_id == stage_id)
                | sa.exists().where(StageVisit.stage_id == stage_id)
            )
        ).scalar_one()
        return bool(used)

    def _flush_stage(self) -> None:
        try:
            with self.db.begin_nested():
                self.db.flush()
        except IntegrityError as exc:
            field = "position" if "position" in str(exc.orig) else "name"
            raise Conflict(
                f"Another stage has this {field}",
                [{"field": field, "message": "is taken by another stage"}],
            ) from None

    def _initial_stage(self, stages: list[Any], stage_id: str | None) -> Any:
        if stage_id is None:
            for stage in stages:
                if not stage.is_final:
                    return stage
            raise Conflict(
                "No open stage is configured",
                [{"field": "stage_id", "message": "no open stage is configured"}],
            )
        for stage in stages:
            if stage.id == stage_id:
                if stage.is_final:
                    raise failed("stage_id", "a deal starts in an open stage; win or lose it later")
                return stage
        raise failed("stage_id", "no such stage")

    def _final_stage(self, *, successful: bool) -> Any:
        for stage in self._stages():
            if stage.is_final and stage.is_successful == successful:
                return stage
        kind = "successful" if successful else "unsuccessful"
        raise Conflict(
            f"No {kind} final stage is configured",
            [{"field": "stage_id", "message": f"no {kind} final stage is configured"}],
        )

    def _check_links(self, values: dict[str, Any]) -> None:
        errors = []
        for field, model, label in (
            ("account_id", Account, "account"),
            ("contact_id", Contact, "contact"),
        ):
            try:
                self._check_exists(model, values.get(field), field, label)
            except ValidationFailed as exc:
                errors.extend(exc.errors)
        if errors:
            raise ValidationFailed(
                "; ".join(f"{e['field']}: {e['message']}" for e in errors), errors
            )

    @staticmethod
    def _apply_money_rules(values: dict[str, Any], *, changed: set[str]) -> dict[str, Any]:
        """With product lines the amount is their total; money needs a currency."""
        derived: dict[str, Any] = {}
        lines = values.get("lines") or []
        if lines:
            total = lines_total(lines)
            explicit = values.get("amount") if "amount" in changed else None
            if explicit is not None and Decimal(str(explicit)) != total:
                raise failed("amount", f"is the total of the product lines ({total:.2f})")
            values["amount"] = total
            derived["amount"] = total
        has_money = values.get("amount") is not None or values.get("budget") is not None
        if has_money and not values.get("currency"):
            raise failed("currency", "is required with an amount or a budget")
        return derived

    def _part(self, model: Any, part_id: Any, opportunity_id: str, label: str) -> Any:
        missing = NotFound(f"No such {label}", [{"field": f"{label}_id", "message": "no such one"}])
        if not domain.is_uuid(part_id):
            raise missing
        part = self.db.execute(
            sa.select(model).where(model.id == part_id, model.opportunity_id == opportunity_id)
        ).scalar_one_or_none()
        if part is None:
            raise missing
        return part

    def _board_cards(
        self, stage_ids: list[str], conditions: list[Any], per_stage: int
    ) -> dict[str, list[dict[str, Any]]]:
        """The first ``per_stage + 1`` cards of each column, in one statement.

        One ``UNION ALL`` of per-stage ``LIMIT`` queries, each an index scan of
        ``ix_opportunities_open_stage``, with only the card's columns (no ORM objects).
        """
        if not stage_ids:
            return {}
        columns = (
            Opportunity.id,
            Opportunity.stage_id,
            Opportunity.title,
            Opportunity.amount,
            Opportunity.currency,
            Opportunity.probability,
            Opportunity.owner_id,
            Opportunity.account_id,
            Account.name.label("account_name"),
            Opportunity.close_date,
            Opportunity.stage_entered_at,
            Opportunity.version,
            Opportunity.updated_at,
        )
        parts = [
            sa.select(*columns)
            .outerjoin(Account, Account.id == Opportunity.account_id)
            .where(*conditions, Opportunity.stage_id == stage_id)
            .order_by(Opportunity.updated_at.desc(), Opportunity.id.desc())
            .limit(per_stage + 1)
            for stage_id in stage_ids
        ]
        statement = parts[0] if len(parts) == 1 else sa.union_all(*parts)
        cards: dict[str, list[dict[str, Any]]] = {}
        for row in self.db.execute(statement).mappings():
            cards.setdefault(row["stage_id"], []).append(
                {
                    "id": row["id"],
                    "title": row["title"],
                    "amount": wire(row["amount"]),
                    "currency": row["currency"],
                    "probability": row["probability"],
                    "owner_id": row["owner_id"],
                    "account_id": row["account_id"],
                    "account_name": row["account_name"],
                    "close_date": wire(row["close_date"]),
                    "stage_entered_at": isoformat(row["stage_entered_at"]),
                    "version": row["version"],
                    "_updated_at": row["updated_at"],
                }
            )
        # UNION ALL keeps each part's rows together but not necessarily in order.
        for items in cards.values():
            items.sort(key=lambda c: (c["_updated_at"], c["id"]), reverse=True)
        return cards


def _clean_reason(reason: Any) -> str:
    if not isinstance(reason, str) or not reason.strip():
        raise failed("reason", "say why the deal was lost")
    if len(reason.strip()) > MAX_REASON:
        raise failed("reason", f"must be at most {MAX_REASON} characters")
    return reason.strip()


def _clean_parts(
    data: Any, fields: dict[str, tuple[str, bool]], *, options: tuple[str, ...] = ()
) -> dict[str, Any]:
    """A tactic's or competitor's fields: ``{name: (kind, required)}``; every error at once."""
    if not isinstance(data, dict):
        raise failed("data", "must be an object")
    errors = [{"field": str(k), "message": "unknown field"} for k in data if k not in fields]
    clean: dict[str, Any] = {}
    for name, (kind, required) in fields.items():
        value = data.get(name)
        if isinstance(value, str):
            value = value.strip() or None
        if value is None:
            if required:
                errors.append({"field": name, "message": "is required"})
            clean[name] = None
            continue
        if not isinstance(value, str):
            errors.append({"field": name, "message": "must be a string"})
        elif kind == "enum" and value not in options:
            errors.append({"field": name, "message": f"must be one of {', '.join(options)}"})
        elif kind == "uuid" and not domain.is_uuid(value):
            errors.append({"field": name, "message": "must be a UUID"})
        elif kind == "text" and len(value) > MAX_TEXT:
            errors.append({"field": name, "message": f"must be at most {MAX_TEXT} characters"})
        else:
            clean[name] = value
    if errors:
        raise ValidationFailed("; ".join(f"{e['field']}: {e['message']}" for e in errors), errors)
    return clean


def _board_query(query: Any) -> tuple[list[str], list[str], int]:
    query = query or {}
    if not isinstance(query, dict):
        raise failed("query", "must be an object")
    errors = []
    lists: dict[str, list[str]] = {}
    for name in ("owner_id", "team_id"):
        raw = query.get(name) or []
        if isinstance(raw, str):
            raw = [v for v in raw.split(",") if v.strip()]
        if not isinstance(raw, list) or not all(domain.is_uuid(v) for v in raw):
            errors.append({"field": name, "message": "must be UUIDs separated by commas"})
            raw = []
        lists[name] = [str(v).strip() for v in raw]
    per_stage = query.get("per_stage", BOARD_PER_STAGE)
    if isinstance(per_stage, str) and per_stage.isdigit():
        per_stage = int(per_stage)
    if isinstance(per_stage, bool) or not isinstance(per_stage, int):
        errors.append({"field": "per_stage", "message": "must be a whole number"})
        per_stage = BOARD_PER_STAGE
    elif not 1 <= per_stage <= BOARD_MAX_PER_STAGE:
        errors.append(
            {"field": "per_stage", "message": f"must be between 1 and {BOARD_MAX_PER_STAGE}"}
        )
    if errors:
        raise ValidationFailed("; ".join(f"{e['field']}: {e['message']}" for e in errors), errors)
    return lists["owner_id"], lists["team_id"], per_stage
