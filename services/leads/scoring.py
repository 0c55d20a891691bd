"""Scoring rules and the explainable score of each lead.

A scoring rule gives points (−100..100) to a lead whose field meets a condition
(``field``, ``operator``, ``value``). A lead's ``score`` is the sum of the points of
the active rules it meets, held to 0..100, and ``score_reasons`` lists those rules
(``{rule_id, name, points}``), so anyone can see why a lead scores what it does.

The score is recomputed whenever a lead is saved (``_rescore``, called by the shared
save step and by ``create_lead``) and, for every lead, in the background after the
rules change (``scoring_rules_changed``). While no rule is active scoring is off:
``score`` keeps whatever it holds (a score typed by hand works) and the reasons are
empty. While rules are active the score is theirs: a score typed by hand is
replaced on save.

The background recompute walks the leads by id in batches of
:data:`RESCORE_BATCH`, each batch its own transaction, and only writes leads whose
score or reasons change. It neither bumps a lead's ``version`` nor emits per-lead
events (a rule change may touch every lead; the score is derived from the rules,
which were announced); it announces its end once with ``lead_scores_recomputed``
``{scanned, changed}``, so copies of leads elsewhere know when to read scores again.
Running it twice changes nothing the second time.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

import eventlet
import sqlalchemy as sa
from nameko.events import event_handler
from sqlalchemy.orm import Session

from services.platform.access import Actor
from services.platform.errors import EXPECTED, Conflict, NotFound
from services.platform.events import isoformat, utcnow
from services.platform.idempotency import idempotent
from services.platform.ids import new_id
from services.platform.rpc import rpc

from . import domain
from .base import LeadsBase
from .models import Lead, ScoringRule

log = logging.getLogger(__name__)

MIN_SCORE, MAX_SCORE = 0, 100
MAX_POINTS = 100
MAX_IN_VALUES = 200
#: Leads per transaction when every lead is scored again.
RESCORE_BATCH = 500
#: How often a batch comes back for leads another transaction held locked.
LOCKED_RETRIES = 50

#: Fields a rule may look at: every lead field but the ones the score cannot depend on.
SCORABLE_FIELDS: tuple[str, ...] = tuple(
    f.name
    for f in domain.FIELDS
    if f.name not in ("id", "version", "score", "score_reasons", "created_by")
)
RULE_FIELDS: tuple[str, ...] = ("name", "field", "operator", "value", "points", "is_active")


# --- evaluation (pure) -----------------------------------------------------------------


def _is_blank(value: Any) -> bool:
    if isinstance(value, str):
        return not value.strip()
    return value is None or (isinstance(value, list | dict) and not value)


def _text(value: Any) -> str:
    if isinstance(value, datetime):
        return isoformat(value) or ""
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip().casefold()


def _same(actual: Any, expected: Any) -> bool:
    """Equal, text compared trimmed and case-insensitively, numbers as numbers."""
    if actual is None or expected is None:
        return actual is None and expected is None
    if isinstance(expected, bool) or isinstance(actual, bool):
        return actual is expected or _text(actual) == _text(expected)
    if isinstance(expected, int | float):
        number = _number(actual)
        return number is not None and number == expected
    return _text(actual) == _text(expected)


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    return None


def parse_moment(value: Any) -> date | datetime | None:
    """An ISO date (``2026-03-01``) or date-time (zone-less means UTC), else None."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        return None
    text = value.strip()
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _compare(actual: Any, expected: Any) -> int | None:
    """−1, 0, 1 comparing numbers as numbers and ISO dates as dates; None if they cannot be."""
    if isinstance(expected, int | float) and not isinstance(expected, bool):
        number = _number(actual)
        if number is None:
            return None
        return (number > expected) - (number < expected)
    bound = parse_moment(expected)
    moment = parse_moment(actual)
    if bound is None or moment is None:
        return None
    if isinstance(bound, datetime) and isinstance(moment, datetime):
        return (moment > bound) - (moment < bound)
    # A date against a date-time: compare the days (date-times in UTC).
    if isinstance(moment, datetime):
        moment = moment.astimezone(UTC).date()
    if isinstance(bound, datetime):
        bound = bound.astimezone(UTC).date()
    return (moment > bound) - (moment < bound)


def condition_holds(operator: str, actual: Any, expected: Any) -> bool:
    """Whether a lead's field value ``actual`` meets ``operator`` ``expected``."""
    if operator == "is_set":
        return not _is_blank(actual)
    if operator == "is_empty":
        return _is_blank(actual)
    if operator == "equals":
        return not _is_blank(actual) and _same(actual, expected)
    if operator == "not_equals":
        return _is_blank(actual) or not _same(actual, expected)
    if operator == "in":
        return not _is_blank(actual) and any(_same(actual, item) for item in expected or ())
    if operator == "contains":
        return not _is_blank(actual) and _text(expected) in _text(actual)
    if operator in ("gte", "lte"):
        if _is_blank(actual):
            return False
        order = _compare(actual, expected)
        if order is None:
            return False
        return order >= 0 if operator == "gte" else order <= 0
    return False


def _rule_value(rule: Any, name: str) -> Any:
    return rule[name] if isinstance(rule, Mapping) else getattr(rule, name)


def evaluate(rules: Iterable[Any], values: Mapping[str, Any]) -> tuple[int, list[dict[str, Any]]]:
    """The score (the points of the rules the lead meets, held to 0..100) and the
    reasons ``[{rule_id, name, points}]`` in rule order. ``rules`` are the active
    rules (mappings or objects with ``id, name, field, operator, value, points``);
    ``values`` the lead's fields."""
    total = 0
    reasons: list[dict[str, Any]] = []
    for rule in rules:
        field = _rule_value(rule, "field")
        if condition_holds(
            _rule_value(rule, "operator"), values.get(field), _rule_value(rule, "value")
        ):
            points = _rule_value(rule, "points")
            total += points
            reasons.append(
                {
                    "rule_id": str(_rule_value(rule, "id")),
                    "name": _rule_value(rule, "name"),
                    "points": points,
                }
            )
    return max(MIN_SCORE, min(MAX_SCORE, total)), reasons


def score_lead(
    rules: Sequence[Any], values: Mapping[str, Any], current_score: int | None
) -> tuple[int | None, list[dict[str, Any]]]:
    """What the lead's ``score`` and ``score_reasons`` become: with no active rules the
    score stays as it is (scoring is off) and the reasons are empty."""
    if not rules:
        return current_score, []
    return evaluate(rules, values)


def lead_values(lead: Lead) -> dict[str, Any]:
    return {name: getattr(lead, name, None) for name in SCORABLE_FIELDS}


# --- rule validation (pure) ------------------------------------------------------------


def _scalar_ok(value: Any) -> bool:
    if isinstance(value, bool):
        return True
    if isinstance(value, int | float):
        return math.isfinite(value)
    return isinstance(value, str) and bool(value.strip()) and len(value) <= 300


def _check_value(field: str, operator: str, value: Any) -> str | None:
    """Why ``value`` does not suit ``operator`` on ``field``, or None when it does."""
    spec = domain.FIELDS_BY_NAME[field]
    if operator in ("is_set", "is_empty"):
        return None if value is None else f"{operator} takes no value (send null)"
    if operator in ("equals", "not_equals"):
        if not _scalar_ok(value):
            return "must be a text, a number or true/false"
        return _check_option(spec, value)
    if operator == "in":
        if not isinstance(value, list) or not value:
            return "must be a non-empty list of values"
        if len(value) > MAX_IN_VALUES:
            return f"at most {MAX_IN_VALUES} values"
        if not all(_scalar_ok(v) for v in value):
            return "every value must be a text, a number or true/false"
        return next((m for m in (_check_option(spec, v) for v in value) if m), None)
    if operator == "contains":
        if not isinstance(value, str) or not value.strip() or len(value) > 300:
            return "must be a non-empty text of at most 300 characters"
        return None
    if operator in ("gte", "lte"):
        is_number = isinstance(value, int | float) and not isinstance(value, bool)
        if is_number and math.isfinite(value):
            return None
        if isinstance(value, str) and parse_moment(value) is not None:
            return None
        return "must be a number or an ISO date (2026-03-01) or date-time"
    return None


def _check_option(spec: domain.LeadField, value: Any) -> str | None:
    if spec.type == "enum" and not (isinstance(value, str) and value.strip() in spec.options):
        return f"{spec.name} is one of {', '.join(spec.options)}"
    if spec.type == "uuid" and not domain.is_uuid(value):
        return f"{spec.name} holds a UUID"
    return None


def clean_scoring_rule(data: Any, current: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The rule fields sent (``current`` = the stored rule on update), checked together:
    the value must suit the operator and the field. Every problem is reported at once."""
    if not isinstance(data, Mapping):
        raise domain.failed("data", "must be an object of rule fields")
    errors: list[dict[str, str]] = []
    clean: dict[str, Any] = {}
    for name, value in data.items():
        if name not in RULE_FIELDS:
            message = "is read-only" if name in ("id", "version") else "unknown field"
            errors.append({"field": str(name), "message": message})
        elif name == "name":
            if not isinstance(value, str) or not value.strip():
                errors.append({"field": name, "message": "give the rule a name"})
            elif len(value.strip()) > 200:
                errors.append({"field": name, "message": "must be at most 200 characters"})
            else:
                clean[name] = value.strip()
        elif name == "field":
            if value not in SCORABLE_FIELDS:
                errors.append(
                    {"field": name, "message": f"must be one of {', '.join(SCORABLE_FIELDS)}"}
                )
            else:
                clean[name] = value
        elif name == "operator":
            if value not in domain.SCORING_OPERATORS:
                operators = ", ".join(domain.SCORING_OPERATORS)
                errors.append({"field": name, "message": f"must be one of {operators}"})
            else:
                clean[name] = value
        elif name == "value":
            clean[name] = value.strip() if isinstance(value, str) else value
        elif name == "points":
            if not isinstance(value, int) or isinstance(value, bool):
                errors.append({"field": name, "message": "must be a whole number"})
            elif not -MAX_POINTS <= value <= MAX_POINTS:
                errors.append(
                    {"field": name, "message": f"must be from -{MAX_POINTS} to {MAX_POINTS}"}
                )
            else:
                clean[name] = value
        elif name == "is_active":
            if not isinstance(value, bool):
                errors.append({"field": name, "message": "must be true or false"})
            else:
                clean[name] = value
    if current is None:
        for required in ("name", "field", "operator", "points"):
            if required not in data:
                errors.append({"field": required, "message": "is required"})
    merged = {**(current or {}), **clean}
    bad = {e["field"] for e in errors}
    if {"field", "operator"} <= merged.keys() and not bad & {"field", "operator", "value"}:
        problem = _check_value(merged["field"], merged["operator"], merged.get("value"))
        if problem:
            errors.append({"field": "value", "message": problem})
    if errors:
        raise domain.validation_failed(errors)
    return clean


def dump_scoring_rule(rule: Any) -> dict[str, Any]:
    """A rule (an ORM object or a row) as it crosses the wire."""
    return {
        "id": rule.id,
        "name": rule.name,
        "field": rule.field,
        "operator": rule.operator,
        "value": rule.value,
        "points": rule.points,
        "is_active": rule.is_active,
        "version": rule.version,
        "created_at": isoformat(rule.created_at),
        "updated_at": isoformat(rule.updated_at),
    }


_RULES = ScoringRule.__table__
_ACTIVE_RULES = sa.select(_RULES).where(_RULES.c.is_active).order_by(_RULES.c.id)


def _load_active_rules(session: Session) -> list[dict[str, Any]]:
    """The active rules in the order their reasons are listed (oldest first); read
    on every lead saved, so a plain Core statement made once, not an ORM query."""
    return [dump_scoring_rule(row) for row in session.execute(_ACTIVE_RULES)]


# --- the service part ------------------------------------------------------------------


class ScoringRpc(LeadsBase):
    """Scoring rules and the explainable score of each lead."""

    #: The active rules as this worker first read them (a worker serves one call).
    _scoring_rules: list[dict[str, Any]] | None = None
    #: (leads scanned, leads changed) by this worker's recompute.
    _recomputed: tuple[int, int] = (0, 0)

    def _rescore(self, lead: Lead) -> bool:
        """Score the lead by the active rules; True when its score or reasons change."""
        if self._scoring_rules is None:
            self._scoring_rules = _load_active_rules(self.db)
        score, reasons = score_lead(self._scoring_rules, lead_values(lead), lead.score)
        changed = score != lead.score or reasons != (lead.score_reasons or [])
        lead.score, lead.score_reasons = score, reasons
        return changed

    # -- rules -----------------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def list_scoring_rules(self, actor: dict[str, Any]) -> list[dict[str, Any]]:
        """Every scoring rule, oldest first. Anyone signed in reads."""
        Actor.from_dict(actor)
        rules = self.db.execute(sa.select(ScoringRule).order_by(ScoringRule.id)).scalars()
        result = [dump_scoring_rule(r) for r in rules]
        self.db.commit()
        return result

    @rpc(expected_exceptions=EXPECTED)
    def get_scoring_rule(self, rule_id: str, actor: dict[str, Any]) -> dict[str, Any]:
        """One scoring rule. Raises ``NotFound``."""
        Actor.from_dict(actor)
        result = dump_scoring_rule(self._load_scoring_rule(rule_id))
        self.db.commit()
        return result

    @rpc(expected_exceptions=EXPECTED)
    def create_scoring_rule(self, data: dict[str, Any], actor: dict[str, Any]) -> dict[str, Any]:
        """Add a rule (managers and admins); emit ``scoring_rule_created`` and
        ``scoring_rules_changed`` (every lead is scored again in the background).

        ``data``: ``name``, ``field`` (a lead field), ``operator`` (equals, not_equals,
        in, contains, is_set, is_empty, gte, lte), ``value`` (what the operator needs:
        a value, a list for ``in``, none for is_set/is_empty, a number or ISO date for
        gte/lte), ``points`` (−100..100), ``is_active`` (default true). Raises
        ``PermissionDenied``, ``ValidationFailed`` (every problem at once).
        """
        caller = Actor.from_dict(actor)
        self._require_manager(caller, "change scoring rules")
        changes = clean_scoring_rule(data)
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
        self.db.add(rule)
        self.db.flush()
        result = dump_scoring_rule(rule)
        self.db.emit("scoring_rule_created", result, actor=actor)
        self._announce_rules_changed("created", rule.id, actor)
        self.db.commit()
        return result

    @rpc(expected_exceptions=EXPECTED)
    def update_scoring_rule(
        self,
        rule_id: str,
        data: dict[str, Any],
        actor: dict[str, Any],
        expected_version: int | None = None,
    ) -> dict[str, Any]:
        """Change a rule (managers and admins); emit ``scoring_rule_updated`` (with
        ``changed_fields``) and ``scoring_rules_changed``. A change that changes nothing
        keeps the version and emits nothing. Raises ``NotFound``, ``PermissionDenied``,
        ``ValidationFailed``, ``Conflict`` (stale ``expected_version``)."""
        caller = Actor.from_dict(actor)
        self._require_manager(caller, "change scoring rules")
        expected = domain.parse_expected_version(expected_version)
        rule = self._load_scoring_rule(rule_id, for_update=True)
        self._check_scoring_version(rule, expected)
        current = dump_scoring_rule(rule)
        changes = clean_scoring_rule(data, current)
        changed = [n for n in RULE_FIELDS if n in changes and changes[n] != current[n]]
        if not changed:
            self.db.commit()
            return current
        for name in changed:
            setattr(rule, name, changes[name])
        rule.version += 1
        rule.updated_at = utcnow()
        self.db.flush()
        result = dump_scoring_rule(rule)
        self.db.emit("scoring_rule_updated", {**result, "changed_fields": changed}, actor=actor)
        self._announce_rules_changed("updated", rule.id, actor)
        self.db.commit()
        return result

    @rpc(expected_exceptions=EXPECTED)
    def delete_scoring_rule(
        self, rule_id: str, actor: dict[str, Any], expected_version: int | None = None
    ) -> None:
        """Delete a rule (managers and admins); emit ``scoring_rule_deleted`` (its last
        state) and ``scoring_rules_changed``. Raises ``NotFound``, ``PermissionDenied``,
        ``Conflict`` (stale ``expected_version``)."""
        caller = Actor.from_dict(actor)
        self._require_manager(caller, "change scoring rules")
        expected = domain.parse_expected_version(expected_version)
        rule = self._load_scoring_rule(rule_id, for_update=True)
        self._check_scoring_version(rule, expected)
        last_state = dump_scoring_rule(rule)
        self.db.delete(rule)
        self.db.flush()
        self.db.emit("scoring_rule_deleted", last_state, actor=actor)
        self._announce_rules_changed("deleted", rule_id, actor)
        self.db.commit()

    @rpc(expected_exceptions=EXPECTED)
    def explain_score(self, lead_id: str, actor: dict[str, Any]) -> dict[str, Any]:
        """``{lead_id, score, reasons: [{rule_id, name, points}]}`` as stored on the lead.
        Raises ``NotFound``."""
        caller = Actor.from_dict(actor)
        lead = self._load(lead_id, caller)
        result = {
            "lead_id": lead.id,
            "score": lead.score,
            "reasons": [dict(r) for r in lead.score_reasons or []],
        }
        self.db.commit()
        return result

    # -- scoring every lead again --------------------------------------------------------

    @event_handler("leads", "scoring_rules_changed")
    def handle_scoring_rules_changed(self, event: dict[str, Any]) -> None:
        """Score every lead again with the rules as they are now.

        The batches commit one by one and no transaction stays open across them;
        the event is claimed (``idempotent``) with the closing summary, after the
        last batch. So a recompute cut short runs again in full when the event comes
        back (harmless: unchanged leads are not written), and one that finished is
        not repeated.
        """
        if self._event_done(event["id"]):
            return
        self._recomputed = self._rescore_all()
        self._finish_rescore(event)

    @idempotent
    def _finish_rescore(self, event: dict[str, Any]) -> None:
        scanned, changed = self._recomputed
        self.db.emit(
            "lead_scores_recomputed",
            {"scanned": scanned, "changed": changed, "rules_event_id": event["id"]},
            actor=event.get("actor"),
        )
        self.db.commit()

    def _event_done(self, event_id: str) -> bool:
        table = self.db.processed_events
        done = self.db.execute(
            sa.select(table.c.event_id).where(
                table.c.event_id == event_id, table.c.handler == _FINISH_HANDLER
            )
        ).first()
        self.db.commit()
        return done is not None

    def _rescore_all(self) -> tuple[int, int]:
        """Score every lead by the active rules, :data:`RESCORE_BATCH` per transaction;
        (leads scanned, leads changed)."""
        scanned = changed = 0
        with Session(bind=self.db.get_bind(), expire_on_commit=False) as session:
            rules = _load_active_rules(session)
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
                changed += self._rescore_batch(session, rules, ids)
        log.info("leads scored again: %s scanned, %s changed", scanned, changed)
        return scanned, changed

    @staticmethod
    def _rescore_batch(session: Session, rules: list[dict[str, Any]], ids: list[str]) -> int:
        """Score these leads, in one transaction per try. A lead another transaction
        holds locked is skipped (waiting would stall this process's other workers)
        and tried again shortly; its own save scores it too."""
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
                score, reasons = score_lead(rules, lead_values(lead), lead.score)
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

    # -- steps -----------------------------------------------------------------------

    def _announce_rules_changed(self, change: str, rule_id: str, actor: dict[str, Any]) -> None:
        self.db.emit("scoring_rules_changed", {"change": change, "rule_id": rule_id}, actor=actor)

    def _load_scoring_rule(self, rule_id: Any, *, for_update: bool = False) -> ScoringRule:
        missing = NotFound(
            "No such scoring rule", [{"field": "rule_id", "message": "no such rule"}]
        )
        if not domain.is_uuid(rule_id):
            raise missing
        stmt = sa.select(ScoringRule).where(ScoringRule.id == rule_id)
        if for_update:
            stmt = stmt.with_for_update()
        rule = self.db.execute(stmt).scalar_one_or_none()
        if rule is None:
            raise missing
        return rule

    @staticmethod
    def _check_scoring_version(rule: ScoringRule, expected: int | None) -> None:
        if expected is not None and expected != rule.version:
            raise Conflict(
                f"The rule was changed meanwhile (version {rule.version}, not {expected})",
                [{"field": "version", "message": f"is {rule.version}, not {expected}"}],
            )


#: The name ``idempotent`` records the finished recompute under.
_FINISH_HANDLER = (
    f"{ScoringRpc._finish_rescore.__module__}.{ScoringRpc._finish_rescore.__qualname__}"
)
