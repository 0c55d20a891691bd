"""Opportunities (deals) and their moves through the stages: a part of the sales service.

A deal moves through the configurable stages (:mod:`.stages`). Every move closes the
current stay in ``opportunity_stage_history`` and opens the next, and the non-final
stages jumped over are logged as skipped stays of no length. A deal in a final stage
(won or lost) is closed: it never moves again. The rules are :mod:`.domain`'s, the SQL
:mod:`.opportunities_store`'s.
"""

from __future__ import annotations

from typing import Any

from services.platform.access import Actor
from services.platform.errors import EXPECTED
from services.platform.events import utcnow
from services.platform.requests_once import claim_request, keep_answer
from services.platform.rpc import rpc

from . import access, domain, opportunities_store, stages_store, store
from .dependencies import SalesBase
from .domain import OPPORTUNITY, failed
from .opportunities_store import OPPORTUNITIES
from .schemas import describe_opportunities, dump_opportunity, wire

RIGHTS = access.OPPORTUNITIES


def move_deal(
    db: Any,
    opportunity_id: str,
    caller: Actor,
    actor: dict[str, Any],
    expected_version: Any,
    reason: Any,
    stage_id: str,
) -> dict[str, Any]:
    """Move the deal to ``stage_id`` and emit ``opportunity_stage_changed`` (and
    ``opportunity_won`` or ``opportunity_lost`` into a final stage); the deal as sent.
    Nothing changes when it is in that stage already."""
    opportunity = store.lock(db, OPPORTUNITIES, opportunity_id, caller, expected_version)
    stages = stages_store.all_stages(db)
    move = domain.plan_move(stages, opportunity.status, opportunity.stage_id, stage_id, reason)
    if move is None:
        return RIGHTS.visible(caller, dump_opportunity(opportunity))
    now = utcnow()
    entered_current = opportunity.stage_entered_at
    opportunities_store.record_move(db, opportunity, move, now, caller.id)
    result = dump_opportunity(opportunity)
    db.emit(
        "opportunity_stage_changed",
        {
            "opportunity": result,
            "from_stage_id": move.current.id,
            "to_stage_id": move.target.id,
            "skipped_stage_ids": [s.id for s in move.skipped],
            "seconds_in_stage": domain.seconds_between(entered_current, now),
        },
        actor=actor,
    )
    if opportunity.status == "won":
        db.emit("opportunity_won", result, actor=actor)
    elif opportunity.status == "lost":
        db.emit("opportunity_lost", {**result, "reason": move.lost_reason}, actor=actor)
    return RIGHTS.visible(caller, result)


class OpportunitiesRpc(SalesBase):
    """Opportunities, their moves and their stage history."""

    @rpc(expected_exceptions=EXPECTED)
    def create_opportunity(
        self, data: dict[str, Any], actor: dict[str, Any], idempotency_key: str | None = None
    ) -> dict[str, Any]:
        """Create a deal in its first stage and emit ``opportunity_created``.

        ``title`` and an owner are required (the owner defaults to the caller; an
        explicit null is refused). ``stage_id`` defaults to the first non-final stage
        and may not be a final one (win or lose the deal instead). ``probability``
        defaults to the stage's. With product ``lines`` the amount is their total.
        A deal made from a lead (``lead_id``) is made once: when one exists for that
        lead, it is returned as it is (a retried hand-off) and nothing is emitted.
        Raises ``ValidationFailed``, ``PermissionDenied`` (another team). Called
        again with the same ``idempotency_key`` it creates nothing and returns the
        first answer.
        """
        replay = claim_request(self.db, idempotency_key, "create_opportunity", actor)
        if replay is not None:
            return replay.answer
        caller = Actor.from_dict(actor)
        caller.require(RIGHTS.entity, "create")
        RIGHTS.check_writable(caller, data)
        changes = domain.clean_changes(OPPORTUNITY, data)
        values = store.new_values(OPPORTUNITY, changes, caller)
        if values.get("lead_id"):
            # One deal per lead: a retried hand-off gets the deal it made the first time.
            existing = opportunities_store.deal_of_lead(self.db, values["lead_id"])
            if existing is not None:
                result = RIGHTS.visible(caller, dump_opportunity(existing))
                keep_answer(self.db, idempotency_key, result)
                self.db.commit()
                return result
        stage = domain.initial_stage(stages_store.all_stages(self.db), values.get("stage_id"))
        values["stage_id"] = stage.id
        values["status"] = "open"
        values["stage_entered_at"] = values["created_at"]
        if values.get("probability") is None:
            values["probability"] = stage.probability
        domain.apply_money_rules(values, changed=set(changes))
        opportunities_store.check_links(self.db, values)
        record = opportunities_store.insert(self.db, values, caller.id)
        result = dump_opportunity(record)
        self.db.emit("opportunity_created", result, actor=actor)
        result = RIGHTS.visible(caller, result)
        keep_answer(self.db, idempotency_key, result)
        self.db.commit()
        return result

    @rpc(expected_exceptions=EXPECTED)
    def get_opportunity(self, opportunity_id: str, actor: dict[str, Any]) -> dict[str, Any]:
        """The deal. Raises ``NotFound`` when it does not exist or the caller may not read it."""
        caller = Actor.from_dict(actor)
        deal = store.load(self.db, OPPORTUNITIES, opportunity_id, caller)
        result = RIGHTS.visible(caller, dump_opportunity(deal))
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
        ``purpose: "export"`` takes the export right; a filter, sort or search on a
        field hidden from the caller is refused.
        """
        caller = Actor.from_dict(actor)
        page = opportunities_store.list_opportunities(self.db, query, caller)
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
        caller.require(RIGHTS.entity, "update")
        RIGHTS.check_writable(caller, data)
        changes = domain.clean_changes(OPPORTUNITY, data)
        if "stage_id" in changes:
            raise failed(
                "stage_id", "changes only by moving the deal (POST /opportunities/{id}/move)"
            )
        sent = set(changes)
        opportunity = store.lock(self.db, OPPORTUNITIES, opportunity_id, caller, expected_version)
        update = store.plan_update(OPPORTUNITIES, opportunity, changes, caller)
        # The amount follows the lines (unless it was set by hand), as if the caller had
        # sent it; an amount sent empty follows them again.
        before = update.values.get("amount")
        previous = (opportunity.lines, opportunity.amount)
        new_amount = domain.apply_money_rules(update.values, changed=sent, previous=previous).get(
            "amount"
        )
        if new_amount is not None and wire(new_amount) != before:
            changes["amount"] = new_amount
            if "amount" not in update.changed:
                update.changed.append("amount")
        if {"account_id", "contact_id"} & set(update.changed):
            opportunities_store.check_links(self.db, update.values)
        result = store.apply_update(self.db, OPPORTUNITIES, opportunity, changes, update, actor)
        self.db.commit()
        return RIGHTS.visible(caller, result)

    @rpc(expected_exceptions=EXPECTED)
    def delete_opportunity(
        self, opportunity_id: str, actor: dict[str, Any], expected_version: int | None = None
    ) -> None:
        """Delete the deal, its history, tactics, competitors; emit ``opportunity_deleted``."""
        caller = Actor.from_dict(actor)
        opportunity = store.lock(
            self.db, OPPORTUNITIES, opportunity_id, caller, expected_version, op="delete"
        )
        store.delete(self.db, OPPORTUNITIES, opportunity, actor)
        self.db.commit()

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
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        """Move the deal to another stage; emit ``opportunity_stage_changed``.

        Forward or back between open stages; the non-final stages jumped over are
        logged as skipped. Into a successful final stage the deal is won
        (``opportunity_won`` too), into an unsuccessful one it is lost and needs a
        ``reason`` (``opportunity_lost``). Moving to the stage it is in changes
        nothing. Raises ``NotFound``, ``PermissionDenied``, ``ValidationFailed``
        (unknown stage, missing reason), ``Conflict`` (the deal is closed; stale version).
        Called again with the same ``idempotency_key`` it returns the first answer.
        """
        replay = claim_request(self.db, idempotency_key, "move_opportunity", actor)
        if replay is not None:
            return replay.answer
        caller = Actor.from_dict(actor)
        if not domain.is_uuid(stage_id):
            raise failed("stage_id", "must be a UUID")
        result = move_deal(
            self.db, opportunity_id, caller, actor, expected_version, reason, stage_id
        )
        keep_answer(self.db, idempotency_key, result)
        self.db.commit()
        return result

    @rpc(expected_exceptions=EXPECTED)
    def win_opportunity(
        self,
        opportunity_id: str,
        actor: dict[str, Any],
        expected_version: int | None = None,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        """Move the deal to the successful final stage: won, probability 100.

        Emits ``opportunity_stage_changed`` and ``opportunity_won``. Raises as ``move``.
        Called again with the same ``idempotency_key`` it returns the first answer
        (not ``Conflict``: the deal is closed).
        """
        replay = claim_request(self.db, idempotency_key, "win_opportunity", actor)
        if replay is not None:
            return replay.answer
        caller = Actor.from_dict(actor)
        target = domain.final_stage(stages_store.all_stages(self.db), successful=True)
        result = move_deal(
            self.db, opportunity_id, caller, actor, expected_version, None, target.id
        )
        keep_answer(self.db, idempotency_key, result)
        self.db.commit()
        return result

    @rpc(expected_exceptions=EXPECTED)
    def lose_opportunity(
        self,
        opportunity_id: str,
        reason: str | None,
        actor: dict[str, Any],
        expected_version: int | None = None,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        """Move the deal to the unsuccessful final stage with the ``reason``: lost, probability 0.

        Emits ``opportunity_stage_changed`` and ``opportunity_lost``. Raises as ``move``.
        Called again with the same ``idempotency_key`` it returns the first answer.
        """
        replay = claim_request(self.db, idempotency_key, "lose_opportunity", actor)
        if replay is not None:
            return replay.answer
        caller = Actor.from_dict(actor)
        target = domain.final_stage(stages_store.all_stages(self.db), successful=False)
        result = move_deal(
            self.db, opportunity_id, caller, actor, expected_version, reason, target.id
        )
        keep_answer(self.db, idempotency_key, result)
        self.db.commit()
        return result

    @rpc(expected_exceptions=EXPECTED)
    def opportunity_history(self, opportunity_id: str, actor: dict[str, Any]) -> list[dict]:
        """The deal's stays in stages, oldest first: entered, left, seconds in stage, who, skipped.

        The current stay has ``left_at`` null and counts its seconds up to now.
        Raises ``NotFound``.
        """
        caller = Actor.from_dict(actor)
        opportunity = store.load(self.db, OPPORTUNITIES, opportunity_id, caller)
        result = opportunities_store.history(self.db, opportunity.id, utcnow())
        self.db.commit()
        return result
