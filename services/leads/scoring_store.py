"""Scoring's reads and writes: the active rules, scoring a lead as it is saved, the rules
themselves, and scoring every lead again after the rules change.

Every function takes the session ``db`` first; only the background recompute, which
works in its own session batch by batch, commits.
"""

from __future__ import annotations

import logging
from typing import Any

import eventlet
import sqlalchemy as sa
from sqlalchemy.orm import Session

from services.platform import records
from services.platform.errors import NotFound
from services.platform.events import utcnow
from services.platform.ids import new_id

from . import domain
from .models import Lead, ScoringRule
from .schemas import dump_scoring_rule

log = logging.getLogger(__name__)

#: Leads per transaction when every lead is scored again.
RESCORE_BATCH = 500
#: How often a batch comes back for leads another transaction held locked.
LOCKED_RETRIES = 50

_RULES = ScoringRule.__table__
_ACTIVE_RULES = sa.select(_RULES).where(_RULES.c.is_active).order_by(_RULES.c.id)
#: Where a worker keeps the active rules it read (its session lives as long as it does).
_ACTIVE_RULES_READ = "leads.active_scoring_rules"


def _read_active_rules(session: Session) -> list[dict[str, Any]]:
    # A plain Core statement made once, not an ORM query: read on every lead saved.
    return [dump_scoring_rule(row) for row in session.execute(_ACTIVE_RULES)]


def active_rules(db: Any) -> list[dict[str, Any]]:
    """The active rules in the order their reasons are listed (oldest first), read once
    per worker (one call): an import of 500 leads reads them once."""
    rules = db.info.get(_ACTIVE_RULES_READ)
    if rules is None:
        rules = db.info[_ACTIVE_RULES_READ] = _read_active_rules(db)
    return rules


def score_new_lead(db: Any, values: dict[str, Any]) -> dict[str, Any]:
    """``{score, score_reasons}`` of a new lead (``values``) by the active rules; while
    none is active the score it was given stays."""
    score, reasons = domain.score_lead(
        active_rules(db), domain.lead_values(values), values.get("score")
    )
    return {"score": score, "score_reasons": reasons}


def rescore(db: Any, lead: Lead, changed: list[str]) -> list[str]:
    """Score a lead that is being saved by the active rules (a score typed by hand is
    replaced while rules are active); ``changed`` plus ``score`` and ``score_reasons``
    where that changed them."""
    score, reasons = domain.score_lead(active_rules(db), domain.lead_values(lead), lead.score)
    changed = domain.rescored_fields(changed, (lead.score, lead.score_reasons), (score, reasons))
    lead.score, lead.score_reasons = score, reasons
    return changed


# --- the rules -------------------------------------------------------------------------


def list_rules(db: Any) -> list[dict[str, Any]]:
    """Every scoring rule, oldest first."""
    rules = db.execute(sa.select(ScoringRule).order_by(ScoringRule.id)).scalars()
    return [dump_scoring_rule(r) for r in rules]


def load_rule(db: Any, rule_id: Any, *, for_update: bool = False) -> ScoringRule:
    """The rule, or ``NotFound`` (its field ``rule_id``: "no such rule")."""
    try:
        return records.load_record(db, ScoringRule, rule_id, "rule", for_update=for_update)
    except NotFound as missing:
        raise NotFound("No such scoring rule", missing.errors) from None


def add_rule(db: Any, changes: dict[str, Any], actor: dict[str, Any]) -> dict[str, Any]:
    """Write a new rule (active unless said otherwise) and emit ``scoring_rule_created``."""
    now = utcnow()
    rule = ScoringRule(
        id=new_id(),
        is_active=changes.pop("is_active", True),
        value=changes.pop("value", None),
        version=1,
        created_at=now,
        updated_at=now,
        **changes,
    )
    db.add(rule)
    db.flush()
    result = dump_scoring_rule(rule)
    db.emit("scoring_rule_created", result, actor=actor)
    return result


def update_rule(
    db: Any, rule: ScoringRule, changes: dict[str, Any], changed: list[str], actor: dict[str, Any]
) -> dict[str, Any]:
    """Apply the ``changed`` fields, bump the version, emit ``scoring_rule_updated``."""
    for name in changed:
        setattr(rule, name, changes[name])
    rule.version += 1
    rule.updated_at = utcnow()
    db.flush()
    result = dump_scoring_rule(rule)
    db.emit("scoring_rule_updated", {**result, "changed_fields": changed}, actor=actor)
    return result


def delete_rule(db: Any, rule: ScoringRule, actor: dict[str, Any]) -> None:
    """Delete the rule and emit ``scoring_rule_deleted`` with its last state."""
    last_state = dump_scoring_rule(rule)
    db.delete(rule)
    db.flush()
    db.emit("scoring_rule_deleted", last_state, actor=actor)


def announce_rules_changed(db: Any, change: str, rule_id: str, actor: dict[str, Any]) -> None:
    """``scoring_rules_changed``: every lead is scored again in the background."""
    db.emit("scoring_rules_changed", {"change": change, "rule_id": rule_id}, actor=actor)


# --- scoring every lead again ----------------------------------------------------------


def event_done(db: Any, event_id: str, handler: str) -> bool:
    """Whether ``handler`` has claimed the event already (``processed_events``)."""
    table = db.processed_events
    done = db.execute(
        sa.select(table.c.event_id).where(table.c.event_id == event_id, table.c.handler == handler)
    ).first()
    return done is not None


def rescore_all(db: Any) -> tuple[int, int]:
    """Score every lead by the active rules, :data:`RESCORE_BATCH` per transaction of a
    session of its own; (leads scanned, leads changed)."""
    scanned = changed = 0
    with Session(bind=db.get_bind(), expire_on_commit=False) as session:
        rules = _read_active_rules(session)
        session.commit()
        after: str | None = None
        while True:
            stmt = sa.select(Lead.id).order_by(Lead.id).limit(RESCORE_BATCH)
            if after is not None:
                stmt = stmt.where(Lead.id > after)
            ids = list(session.execute(stmt).scalars())
            session.commit()
            if not ids:
                break
            after = ids[-1]
            scanned += len(ids)
            changed += _rescore_batch(session, rules, ids)
    log.info("leads scored again: %s scanned, %s changed", scanned, changed)
    return scanned, changed


def _rescore_batch(session: Session, rules: list[dict[str, Any]], ids: list[str]) -> int:
    """Score these leads, in one transaction per try. A lead another transaction holds
    locked is skipped (waiting would stall this process's other workers) and tried
    again shortly; its own save scores it too."""
    changed = 0
    waiting = list(ids)
    for attempt in range(LOCKED_RETRIES + 1):
        leads = (
            session.execute(
                sa.select(Lead)
                .where(Lead.id.in_(waiting))
                .with_for_update(skip_locked=True)
                .execution_options(populate_existing=True)
            )
            .scalars()
            .all()
        )
        for lead in leads:
            score, reasons = domain.score_lead(rules, domain.lead_values(lead), lead.score)
            if score != lead.score or reasons != (lead.score_reasons or []):
                lead.score, lead.score_reasons = score, reasons
                changed += 1
        session.commit()
        done = {lead.id for lead in leads}
        waiting = [i for i in waiting if i not in done]
        if not waiting:
            break
        if attempt < LOCKED_RETRIES:
            eventlet.sleep(0.1)
    if waiting:
        log.warning("%s leads stayed locked and were not scored again", len(waiting))
    return changed
