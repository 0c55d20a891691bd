"""Distribution's reads and writes: the rules, choosing an owner by them, and the log of
every assignment.

Every function takes the session ``db`` first and none commits. Round-robin keeps its
place in the rule's ``last_index``, advanced under a row lock on the rule: concurrent
assignments, in one process or many, queue on that lock and never take the same turn
twice. Moving the turn does not change the rule's ``version`` (it is the rule's
state, not its settings).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from services.platform import records
from services.platform.access import Actor
from services.platform.errors import Conflict, NotFound
from services.platform.events import utcnow
from services.platform.ids import new_id

from . import domain, store
from .models import Assignment, DistributionRule, Lead
from .schemas import dump_assignment, dump_distribution_rule

# --- the rules -------------------------------------------------------------------------


def list_rules(db: Any) -> list[dict[str, Any]]:
    """Every rule in the order they are tried (``position``)."""
    rules = db.execute(sa.select(DistributionRule).order_by(DistributionRule.position)).scalars()
    return [dump_distribution_rule(r) for r in rules]


def load_rule(db: Any, rule_id: Any, *, for_update: bool = False) -> DistributionRule:
    """The rule, or ``NotFound`` (its field ``rule_id``: "no such rule")."""
    try:
        return records.load_record(db, DistributionRule, rule_id, "rule", for_update=for_update)
    except NotFound as missing:
        raise NotFound("No such distribution rule", missing.errors) from None


def add_rule(db: Any, values: dict[str, Any], actor: dict[str, Any]) -> dict[str, Any]:
    """Write a new rule (last when ``values`` names no position); emit
    ``distribution_rule_created``. ``Conflict`` when its position is taken."""
    if "position" not in values:
        last = db.execute(sa.select(sa.func.max(DistributionRule.position))).scalar()
        values["position"] = 0 if last is None else last + 1
    now = utcnow()
    rule = DistributionRule(
        id=new_id(), last_index=-1, version=1, created_at=now, updated_at=now, **values
    )
    db.add(rule)
    _flush_rule(db, rule)
    result = dump_distribution_rule(rule)
    db.emit("distribution_rule_created", result, actor=actor)
    return result


def update_rule(
    db: Any,
    rule: DistributionRule,
    changes: dict[str, Any],
    changed: list[str],
    actor: dict[str, Any],
) -> dict[str, Any]:
    """Apply the ``changed`` settings (new owners start the round-robin turn afresh),
    bump the version, emit ``distribution_rule_updated``."""
    for name in changed:
        setattr(rule, name, changes[name])
    if "owner_ids" in changed:
        rule.last_index = -1
    rule.version += 1
    rule.updated_at = utcnow()
    _flush_rule(db, rule)
    result = dump_distribution_rule(rule)
    db.emit("distribution_rule_updated", {**result, "changed_fields": changed}, actor=actor)
    return result


def delete_rule(db: Any, rule: DistributionRule, actor: dict[str, Any]) -> None:
    """Delete the rule and emit ``distribution_rule_deleted`` with its last state."""
    last_state = dump_distribution_rule(rule)
    db.delete(rule)
    db.flush()
    db.emit("distribution_rule_deleted", last_state, actor=actor)


def _flush_rule(db: Any, rule: DistributionRule) -> None:
    """Flush; a position another rule holds is a 409 (checked by the unique index)."""
    position = rule.position  # read now: a failed flush leaves the rule unreadable
    try:
        db.flush()
    except IntegrityError:
        # nothing of this call is kept: the worker rolls the transaction back
        raise Conflict(
            f"Another rule is at position {position}; pick a free one",
            [{"field": "position", "message": f"{position} is taken"}],
        ) from None


# --- assigning -------------------------------------------------------------------------


def choose_by_rules(db: Any, lead: Lead) -> tuple[DistributionRule, str]:
    """The first matching rule and the owner it picks (the rule stays locked); the
    rules' ``ValidationFailed`` when none matches."""
    rules = db.execute(
        sa.select(DistributionRule)
        .where(DistributionRule.is_active)
        .order_by(DistributionRule.position)
    ).scalars()
    found = domain.first_matching(rules, lead)
    if found is None:
        raise domain.no_rule_matches(lead)
    # The lock orders concurrent assignments by the same rule: each sees the turn
    # the previous one took. Read again under the lock (populate_existing).
    rule = db.execute(
        sa.select(DistributionRule)
        .where(DistributionRule.id == found.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if rule is None or not rule.is_active:
        # changed meanwhile: choose again with what is committed now
        return choose_by_rules(db, lead)
    owners = list(rule.owner_ids or [])
    if rule.strategy == "fixed_owner":
        return rule, rule.fixed_owner_id
    if rule.strategy == "round_robin":
        index = domain.next_round_robin(owners, rule.last_index)
        rule.last_index = index
        return rule, owners[index]
    counts = dict(
        db.execute(
            sa.select(Lead.owner_id, sa.func.count())
            .where(
                Lead.owner_id.in_(owners),
                Lead.stage.not_in(domain.CLOSED_STAGES),
                Lead.id != lead.id,
            )
            .group_by(Lead.owner_id)
        ).all()
    )
    return rule, domain.least_loaded(owners, counts)


def record_assignment(
    db: Any,
    lead: Lead,
    owner_id: str,
    team_id: str | None,
    rule: DistributionRule | None,
    caller: Actor,
) -> tuple[list[str], dict[str, Any] | None, dict[str, Any]]:
    """Log the assignment, give the lead its owner and team, and move a lead in
    ``distribution`` to ``handoff``: (the fields changed, the stage change, what
    ``lead_assigned`` adds to the lead). The caller saves the lead."""
    previous = lead.owner_id
    strategy = rule.strategy if rule is not None else None
    db.add(
        Assignment(
            id=new_id(),
            lead_id=lead.id,
            owner_id=owner_id,
            previous_owner_id=previous,
            rule_id=rule.id if rule is not None else None,
            strategy=strategy,
            assigned_by=caller.id,
            assigned_at=utcnow(),
        )
    )
    changed = [
        name
        for name, value in (("owner_id", owner_id), ("team_id", team_id))
        if getattr(lead, name) != value
    ]
    lead.owner_id, lead.team_id = owner_id, team_id
    stage_change = None
    if lead.stage == "distribution":
        stage_change = store.change_stage(db, lead, "handoff", "assign", caller)
        changed.append("stage")
    extra = {
        "previous_owner_id": previous,
        "rule_id": rule.id if rule is not None else None,
        "strategy": strategy,
        "assigned_by": caller.id,
    }
    return changed, stage_change, extra


def assignments(db: Any, lead_id: str) -> list[dict[str, Any]]:
    """The lead's assignments, newest first, with each rule's name while it exists."""
    rows = db.execute(
        sa.select(Assignment, DistributionRule.name)
        .outerjoin(DistributionRule, DistributionRule.id == Assignment.rule_id)
        .where(Assignment.lead_id == lead_id)
        .order_by(Assignment.assigned_at.desc(), Assignment.id.desc())
    ).all()
    return [dump_assignment(row, name) for row, name in rows]


def unassigned_ids(db: Any, caller: Actor, limit: int) -> list[str]:
    """Open unowned leads in the distributable stages the caller may distribute (an
    admin all, a manager their team's and those without a team), oldest first."""
    stmt = sa.select(Lead.id).where(
        Lead.owner_id.is_(None), Lead.stage.in_(domain.DISTRIBUTABLE_STAGES)
    )
    if not caller.is_admin:
        stmt = stmt.where(sa.or_(Lead.team_id.is_(None), Lead.team_id == caller.team_id))
    return list(db.execute(stmt.order_by(Lead.created_at, Lead.id).limit(limit)).scalars())
