"""Distribution rules and assigning leads to owners.

A rule has conditions (need type, source, region, team; an empty one matches any
lead) and a strategy: ``round_robin`` (the next of ``owner_ids`` in turn),
``least_open`` (the candidate with the fewest open leads) or ``fixed_owner``. Rules
are tried in ``position`` order; the first active rule that matches decides.
``assign_lead(lead, {})`` applies them, ``assign_lead(lead, {"owner_id": ...})``
assigns by hand. Every assignment is logged (``lead_assignments``: owner, previous
owner, the rule and strategy, who) and announced with ``lead_assigned``, which
carries the new owner so the feed can notify them.

Round-robin keeps its place in the rule's ``last_index``, advanced under a row lock
on the rule: concurrent assignments, in one process or many, queue on that lock
and never take the same turn twice. Moving the turn does not change the rule's
``version`` (it is the rule's state, not its settings).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from services.platform.access import Actor
from services.platform.errors import EXPECTED, Conflict, NotFound, PermissionDenied
from services.platform.events import isoformat, utcnow
from services.platform.ids import new_id
from services.platform.rpc import rpc

from . import domain
from .base import LeadsBase
from .models import Assignment, DistributionRule, Lead
from .schemas import dump_lead

#: The rule's settings a caller writes; ``last_index`` is the rule's own state.
RULE_FIELDS: tuple[str, ...] = (
    "name",
    "position",
    "is_active",
    "need_type",
    "source",
    "region",
    "team_id",
    "strategy",
    "owner_ids",
    "fixed_owner_id",
)
#: Text conditions: compared trimmed and case-insensitively with the lead's value.
TEXT_CONDITIONS: tuple[str, ...] = ("need_type", "source", "region")
#: Stages whose unowned leads ``distribute_unassigned`` picks up.
DISTRIBUTABLE_STAGES: tuple[str, ...] = ("qualification", "distribution")
MAX_OWNERS = 200
MAX_POSITION = 1_000_000


def dump_rule(rule: DistributionRule) -> dict[str, Any]:
    return {
        "id": rule.id,
        "name": rule.name,
        "position": rule.position,
        "is_active": rule.is_active,
        "need_type": rule.need_type,
        "source": rule.source,
        "region": rule.region,
        "team_id": rule.team_id,
        "strategy": rule.strategy,
        "owner_ids": list(rule.owner_ids or []),
        "fixed_owner_id": rule.fixed_owner_id,
        "last_index": rule.last_index,
        "version": rule.version,
        "created_at": isoformat(rule.created_at),
        "updated_at": isoformat(rule.updated_at),
    }


def dump_assignment(row: Assignment, rule_name: str | None = None) -> dict[str, Any]:
    return {
        "id": row.id,
        "lead_id": row.lead_id,
        "owner_id": row.owner_id,
        "previous_owner_id": row.previous_owner_id,
        "rule_id": row.rule_id,
        "rule_name": rule_name,
        "strategy": row.strategy,
        "assigned_by": row.assigned_by,
        "assigned_at": isoformat(row.assigned_at),
    }


# --- pure rules ------------------------------------------------------------------------


def _uuid(value: Any) -> str | None:
    return str(value).lower() if domain.is_uuid(value) else None


def clean_rule(data: Any, *, creating: bool) -> dict[str, Any]:
    """A rule's fields checked one by one (every problem at once); ``position`` may be
    left out on create (the rule goes last). The whole rule is checked by
    :func:`check_rule` once merged with what is stored."""
    if not isinstance(data, Mapping):
        raise domain.failed("data", "must be an object of rule fields")
    errors: list[dict[str, str]] = []
    clean: dict[str, Any] = {}
    for name, value in data.items():
        if name not in RULE_FIELDS:
            message = "is read-only" if name in ("id", "last_index", "version") else "unknown field"
            errors.append({"field": str(name), "message": message})
            continue
        if name == "name":
            if not isinstance(value, str) or not value.strip():
                errors.append({"field": name, "message": "give the rule a name"})
            elif len(value.strip()) > 200:
                errors.append({"field": name, "message": "must be at most 200 characters"})
            else:
                clean[name] = value.strip()
        elif name == "position":
            if not isinstance(value, int) or isinstance(value, bool):
                errors.append({"field": name, "message": "must be a whole number"})
            elif not 0 <= value <= MAX_POSITION:
                errors.append({"field": name, "message": f"must be from 0 to {MAX_POSITION}"})
            else:
                clean[name] = value
        elif name == "is_active":
            if not isinstance(value, bool):
                errors.append({"field": name, "message": "must be true or false"})
            else:
                clean[name] = value
        elif name in TEXT_CONDITIONS:
            if value is None or (isinstance(value, str) and not value.strip()):
                clean[name] = None  # any lead
            elif not isinstance(value, str):
                errors.append({"field": name, "message": "must be a string (or null for any)"})
            elif len(value.strip()) > 100:
                errors.append({"field": name, "message": "must be at most 100 characters"})
            else:
                clean[name] = value.strip()
        elif name in ("team_id", "fixed_owner_id"):
            if value is None or value == "":
                clean[name] = None
            elif _uuid(value) is None:
                errors.append({"field": name, "message": "must be a UUID"})
            else:
                clean[name] = _uuid(value)
        elif name == "strategy":
            if value not in domain.DISTRIBUTION_STRATEGIES:
                strategies = ", ".join(domain.DISTRIBUTION_STRATEGIES)
                errors.append({"field": name, "message": f"must be one of {strategies}"})
            else:
                clean[name] = value
        elif name == "owner_ids":
            owners = _clean_owner_ids(value, errors)
            if owners is not None:
                clean[name] = owners
    if creating:
        if "name" not in data:
            errors.append({"field": "name", "message": "give the rule a name"})
        if "strategy" not in data:
            strategies = ", ".join(domain.DISTRIBUTION_STRATEGIES)
            errors.append({"field": "strategy", "message": f"pick one of {strategies}"})
    if errors:
        raise domain.validation_failed(errors)
    return clean


def _clean_owner_ids(value: Any, errors: list[dict[str, str]]) -> list[str] | None:
    if value is None:
        return []
    if not isinstance(value, list):
        errors.append({"field": "owner_ids", "message": "must be a list of user ids"})
        return None
    if len(value) > MAX_OWNERS:
        errors.append({"field": "owner_ids", "message": f"at most {MAX_OWNERS} owners"})
        return None
    owners: list[str] = []
    for item in value:
        owner = _uuid(item)
        if owner is None:
            errors.append({"field": "owner_ids", "message": f"{item!r} is not a UUID"})
            return None
        if owner in owners:
            errors.append({"field": "owner_ids", "message": f"{owner} is listed twice"})
            return None
        owners.append(owner)
    return owners


def check_rule(values: Mapping[str, Any]) -> None:
    """What a rule needs as a whole: owners to choose from, or its fixed owner."""
    strategy = values.get("strategy")
    if strategy in ("round_robin", "least_open") and not values.get("owner_ids"):
        raise domain.failed("owner_ids", f"{strategy} needs at least one owner to choose from")
    if strategy == "fixed_owner" and not values.get("fixed_owner_id"):
        raise domain.failed("fixed_owner_id", "fixed_owner needs the owner's id")


def _same_text(condition: str | None, value: str | None) -> bool:
    if condition is None:
        return True
    return value is not None and condition.strip().casefold() == value.strip().casefold()


def rule_matches(rule: Any, lead: Any) -> bool:
    """Every condition the rule sets holds for the lead (an empty condition: any lead)."""
    if not all(_same_text(getattr(rule, c), getattr(lead, c)) for c in TEXT_CONDITIONS):
        return False
    return rule.team_id is None or rule.team_id == lead.team_id


def first_matching(rules: Iterable[Any], lead: Any) -> Any | None:
    """The first active rule (in the order given) that matches the lead."""
    return next((r for r in rules if r.is_active and rule_matches(r, lead)), None)


def next_round_robin(owner_ids: list[str], last_index: int) -> int:
    """The index of the owner whose turn it is after ``last_index``."""
    return (last_index + 1) % len(owner_ids) if last_index >= 0 else 0


def least_loaded(owner_ids: list[str], open_counts: Mapping[str, int]) -> str:
    """The candidate with the fewest open leads; a tie goes to the first in the list."""
    return min(owner_ids, key=lambda owner: (open_counts.get(owner, 0), owner_ids.index(owner)))


# --- the service part ------------------------------------------------------------------


class DistributionRpc(LeadsBase):
    """Distribution rules and assigning leads to owners."""

    # -- rules -----------------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def list_distribution_rules(self, actor: dict[str, Any]) -> list[dict[str, Any]]:
        """Every rule in the order they are tried (``position``). Anyone signed in reads."""
        Actor.from_dict(actor)
        rules = self.db.execute(
            sa.select(DistributionRule).order_by(DistributionRule.position)
        ).scalars()
        result = [dump_rule(r) for r in rules]
        self.db.commit()
        return result

    @rpc(expected_exceptions=EXPECTED)
    def get_distribution_rule(self, rule_id: str, actor: dict[str, Any]) -> dict[str, Any]:
        """One rule. Raises ``NotFound``."""
        Actor.from_dict(actor)
        result = dump_rule(self._load_rule(rule_id))
        self.db.commit()
        return result

    @rpc(expected_exceptions=EXPECTED)
    def create_distribution_rule(
        self, data: dict[str, Any], actor: dict[str, Any]
    ) -> dict[str, Any]:
        """Add a rule (managers and admins); emit ``distribution_rule_created``.

        ``data``: ``name``, ``strategy`` (round_robin, least_open, fixed_owner) required;
        ``position`` (default: after the last rule), ``is_active`` (default true),
        conditions ``need_type``, ``source``, ``region``, ``team_id`` (null = any),
        ``owner_ids`` (user ids; required for round_robin and least_open),
        ``fixed_owner_id`` (required for fixed_owner). Raises ``PermissionDenied``,
        ``ValidationFailed`` (every bad field at once), ``Conflict`` (the position is
        taken by another rule).
        """
        caller = Actor.from_dict(actor)
        self._require_manager(caller, "change distribution rules")
        changes = clean_rule(data, creating=True)
        values: dict[str, Any] = {
            "is_active": True,
            "need_type": None,
            "source": None,
            "region": None,
            "team_id": None,
            "owner_ids": [],
            "fixed_owner_id": None,
            **changes,
        }
        check_rule(values)
        if "position" not in values:
            last = self.db.execute(sa.select(sa.func.max(DistributionRule.position))).scalar()
            values["position"] = 0 if last is None else last + 1
        now = utcnow()
        rule = DistributionRule(
            id=new_id(), last_index=-1, version=1, created_at=now, updated_at=now, **values
        )
        self.db.add(rule)
        self._flush_rule(rule)
        result = dump_rule(rule)
        self.db.emit("distribution_rule_created", result, actor=actor)
        self.db.commit()
        return result

    @rpc(expected_exceptions=EXPECTED)
    def update_distribution_rule(
        self,
        rule_id: str,
        data: dict[str, Any],
        actor: dict[str, Any],
        expected_version: int | None = None,
    ) -> dict[str, Any]:
        """Change a rule (managers and admins); emit ``distribution_rule_updated`` with
        ``changed_fields``. Changing ``owner_ids`` starts the round-robin turn afresh.
        A change that changes nothing keeps the version and emits nothing. Raises
        ``NotFound``, ``PermissionDenied``, ``ValidationFailed``, ``Conflict`` (stale
        ``expected_version``, or the position is taken).
        """
        caller = Actor.from_dict(actor)
        self._require_manager(caller, "change distribution rules")
        expected = domain.parse_expected_version(expected_version)
        changes = clean_rule(data, creating=False)
        rule = self._load_rule(rule_id, for_update=True)
        self._check_rule_version(rule, expected)
        current = dump_rule(rule)
        changed = [n for n in RULE_FIELDS if n in changes and changes[n] != current[n]]
        check_rule({**current, **changes})
        if not changed:
            self.db.commit()
            return current
        for name in changed:
            setattr(rule, name, changes[name])
        if "owner_ids" in changed:
            rule.last_index = -1
        rule.version += 1
        rule.updated_at = utcnow()
        self._flush_rule(rule)
        result = dump_rule(rule)
        self.db.emit(
            "distribution_rule_updated", {**result, "changed_fields": changed}, actor=actor
        )
        self.db.commit()
        return result

    @rpc(expected_exceptions=EXPECTED)
    def delete_distribution_rule(
        self, rule_id: str, actor: dict[str, Any], expected_version: int | None = None
    ) -> None:
        """Delete a rule (managers and admins); emit ``distribution_rule_deleted`` with its
        last state. The assignment log keeps its ``rule_id``. Raises ``NotFound``,
        ``PermissionDenied``, ``Conflict`` (stale ``expected_version``)."""
        caller = Actor.from_dict(actor)
        self._require_manager(caller, "change distribution rules")
        expected = domain.parse_expected_version(expected_version)
        rule = self._load_rule(rule_id, for_update=True)
        self._check_rule_version(rule, expected)
        last_state = dump_rule(rule)
        self.db.delete(rule)
        self.db.flush()
        self.db.emit("distribution_rule_deleted", last_state, actor=actor)
        self.db.commit()

    # -- assigning -------------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def assign_lead(
        self,
        lead_id: str,
        data: dict[str, Any] | None,
        actor: dict[str, Any],
        expected_version: int | None = None,
    ) -> dict[str, Any]:
        """Give the lead an owner; log it and emit ``lead_assigned``.

        ``data`` ``{}`` (or null): the first active rule that matches the lead
        chooses (its team, if it names one, becomes the lead's team); none matches →
        ``ValidationFailed``. ``{"owner_id": ...}``: by hand — an admin assigns any
        lead, a manager the leads of their team (and unowned ones without a team), a
        sales rep takes an unowned lead they can see, or hands their own lead on. A
        lead without a team joins the team of whoever assigns it by hand (unless an
        admin). Assigning a lead by hand to its owner changes nothing. A lead in
        ``distribution`` moves to ``handoff``. Raises ``NotFound``,
        ``PermissionDenied``, ``Conflict`` (converted or disqualified lead, stale
        ``expected_version``), ``ValidationFailed``.
        """
        caller = Actor.from_dict(actor)
        owner_id = _clean_assign(data)
        expected = domain.parse_expected_version(expected_version)
        lead = self._load(lead_id, caller, for_update=True)
        if owner_id is None:
            if not (caller.can_change(lead.owner_id, lead.team_id) or lead.owner_id is None):
                raise PermissionDenied(
                    "You may not reassign this lead",
                    [{"field": "lead_id", "message": "only its owner or a manager may"}],
                )
        else:
            self._require_assign_by_hand(caller, lead, owner_id)
        self._check_version(lead, expected)
        self._check_open(lead)
        if owner_id is None:
            rule, owner_id = self._choose_by_rules(lead)
            team_id = rule.team_id or lead.team_id
        else:
            rule = None
            if lead.owner_id == owner_id and lead.stage != "distribution":
                self.db.commit()  # nothing to do; ends the transaction holding the lock
                return dump_lead(lead)
            team_id = lead.team_id
            if team_id is None and not caller.is_admin:
                team_id = caller.team_id
        return self._assign(lead, owner_id, team_id, rule, caller, actor)

    @rpc(expected_exceptions=EXPECTED)
    def list_lead_assignments(self, lead_id: str, actor: dict[str, Any]) -> list[dict[str, Any]]:
        """The lead's assignments, newest first: owner, previous owner, the rule (its id,
        name while it exists, strategy; null when by hand), who, when. Raises
        ``NotFound``."""
        caller = Actor.from_dict(actor)
        lead = self._load(lead_id, caller)
        rows = self.db.execute(
            sa.select(Assignment, DistributionRule.name)
            .outerjoin(DistributionRule, DistributionRule.id == Assignment.rule_id)
            .where(Assignment.lead_id == lead.id)
            .order_by(Assignment.assigned_at.desc(), Assignment.id.desc())
        ).all()
        result = [dump_assignment(row, name) for row, name in rows]
        self.db.commit()
        return result

    @rpc(expected_exceptions=EXPECTED)
    def distribute_unassigned(self, actor: dict[str, Any], limit: int = 500) -> dict[str, int]:
        """Assign open unowned leads in qualification or distribution by the rules
        (managers: their team's and those without a team; admins: all), oldest first,
        each in its own transaction. ``{"assigned", "unmatched", "skipped"}``: unmatched
        leads have no matching rule; skipped ones were assigned or changed meanwhile.
        Raises ``PermissionDenied``, ``ValidationFailed`` (limit not 1..5000)."""
        caller = Actor.from_dict(actor)
        self._require_manager(caller, "distribute leads")
        if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= 5000:
            raise domain.failed("limit", "must be a whole number from 1 to 5000")
        stmt = sa.select(Lead.id).where(
            Lead.owner_id.is_(None), Lead.stage.in_(DISTRIBUTABLE_STAGES)
        )
        if not caller.is_admin:
            stmt = stmt.where(sa.or_(Lead.team_id.is_(None), Lead.team_id == caller.team_id))
        ids = list(self.db.execute(stmt.order_by(Lead.created_at, Lead.id).limit(limit)).scalars())
        self.db.commit()
        counts = {"assigned": 0, "unmatched": 0, "skipped": 0}
        for lead_id in ids:
            lead = self.db.execute(
                sa.select(Lead).where(Lead.id == lead_id).with_for_update(skip_locked=True)
            ).scalar_one_or_none()
            if lead is None or lead.owner_id is not None or lead.stage not in DISTRIBUTABLE_STAGES:
                self.db.commit()
                counts["skipped"] += 1
                continue
            try:
                rule, owner_id = self._choose_by_rules(lead)
            except domain.ValidationFailed:
                self.db.commit()
                counts["unmatched"] += 1
                continue
            self._assign(lead, owner_id, rule.team_id or lead.team_id, rule, caller, actor)
            counts["assigned"] += 1
        return counts

    # -- steps -----------------------------------------------------------------------

    def _require_assign_by_hand(self, caller: Actor, lead: Lead, owner_id: str) -> None:
        if caller.is_admin or caller.can_change(lead.owner_id, lead.team_id):
            # admins; managers in their team; a rep handing their own lead on
            return
        if lead.owner_id is None and owner_id == caller.id:
            return  # a rep takes an unowned lead they can see
        message = (
            "A sales rep may take an unowned lead or hand on their own"
            if lead.owner_id is None
            else "Only the lead's owner or a manager may reassign it"
        )
        raise PermissionDenied(message, [{"field": "owner_id", "message": message}])

    def _choose_by_rules(self, lead: Lead) -> tuple[DistributionRule, str]:
        """The first matching rule and the owner it picks (the rule stays locked)."""
        rules = self.db.execute(
            sa.select(DistributionRule)
            .where(DistributionRule.is_active)
            .order_by(DistributionRule.position)
        ).scalars()
        found = first_matching(rules, lead)
        if found is None:
            raise domain.failed(
                "owner_id",
                "no active distribution rule matches this lead (need type "
                f"{lead.need_type or '-'}, source {lead.source or '-'}, region "
                f"{lead.region or '-'}); add a rule or give an owner_id",
            )
        # The lock orders concurrent assignments by the same rule: each sees the turn
        # the previous one took. Read again under the lock (populate_existing).
        rule = self.db.execute(
            sa.select(DistributionRule)
            .where(DistributionRule.id == found.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).scalar_one_or_none()
        if rule is None or not rule.is_active:
            # changed meanwhile: choose again with what is committed now
            return self._choose_by_rules(lead)
        owners = list(rule.owner_ids or [])
        if rule.strategy == "fixed_owner":
            return rule, rule.fixed_owner_id
        if rule.strategy == "round_robin":
            index = next_round_robin(owners, rule.last_index)
            rule.last_index = index
            return rule, owners[index]
        counts = dict(
            self.db.execute(
                sa.select(Lead.owner_id, sa.func.count())
                .where(
                    Lead.owner_id.in_(owners),
                    Lead.stage.not_in(domain.CLOSED_STAGES),
                    Lead.id != lead.id,
                )
                .group_by(Lead.owner_id)
            ).all()
        )
        return rule, least_loaded(owners, counts)

    def _assign(
        self,
        lead: Lead,
        owner_id: str,
        team_id: str | None,
        rule: DistributionRule | None,
        caller: Actor,
        actor: dict[str, Any],
    ) -> dict[str, Any]:
        previous = lead.owner_id
        strategy = rule.strategy if rule is not None else None
        self.db.add(
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
            stage_change = self._change_stage(lead, "handoff", "assign", caller, actor)
            changed.append("stage")
        return self._save(
            lead,
            actor,
            changed,
            event="lead_assigned",
            stage_change=stage_change,
            extra={
                "previous_owner_id": previous,
                "rule_id": rule.id if rule is not None else None,
                "strategy": strategy,
                "assigned_by": caller.id,
            },
        )

    def _load_rule(self, rule_id: Any, *, for_update: bool = False) -> DistributionRule:
        missing = NotFound(
            "No such distribution rule", [{"field": "rule_id", "message": "no such rule"}]
        )
        if not domain.is_uuid(rule_id):
            raise missing
        stmt = sa.select(DistributionRule).where(DistributionRule.id == rule_id)
        if for_update:
            stmt = stmt.with_for_update()
        rule = self.db.execute(stmt).scalar_one_or_none()
        if rule is None:
            raise missing
        return rule

    @staticmethod
    def _check_rule_version(rule: DistributionRule, expected: int | None) -> None:
        if expected is not None and expected != rule.version:
            raise Conflict(
                f"The rule was changed meanwhile (version {rule.version}, not {expected})",
                [{"field": "version", "message": f"is {rule.version}, not {expected}"}],
            )

    def _flush_rule(self, rule: DistributionRule) -> None:
        """Flush; a position another rule holds is a 409 (checked by the unique index)."""
        position = rule.position  # read now: a failed flush leaves the rule unreadable
        try:
            self.db.flush()
        except IntegrityError:
            # nothing of this call is kept: the worker rolls the transaction back
            raise Conflict(
                f"Another rule is at position {position}; pick a free one",
                [{"field": "position", "message": f"{position} is taken"}],
            ) from None


def _clean_assign(data: Any) -> str | None:
    """The owner asked for (by hand), or None to let the rules choose."""
    if data is None:
        return None
    if not isinstance(data, Mapping):
        raise domain.failed("data", "must be {} (by the rules) or {owner_id}")
    unknown = [{"field": str(k), "message": "unknown field"} for k in data if k != "owner_id"]
    if unknown:
        raise domain.validation_failed(unknown)
    if "owner_id" not in data:
        return None
    owner_id = _uuid(data["owner_id"])
    if owner_id is None:
        raise domain.failed(
            "owner_id", "must be a user's id (send {} to assign by the distribution rules)"
        )
    return owner_id
