"""Distribution rules and assigning leads to owners: a part of the leads service.

A rule has conditions (need type, source, region, team; an empty one matches any
lead) and a strategy: ``round_robin``, ``least_open`` or ``fixed_owner``; the first
active rule that matches decides (``domain.distribution``). ``assign_lead(lead, {})``
applies them, ``assign_lead(lead, {"owner_id": ...})`` assigns by hand. Every
assignment is logged (``lead_assignments``: owner, previous owner, the rule and
strategy, who) and announced with ``lead_assigned``, which carries the new owner so
the feed can notify them.
"""

from __future__ import annotations

from typing import Any

from services.platform.access import Actor
from services.platform.errors import EXPECTED, ValidationFailed
from services.platform.records import check_version
from services.platform.requests_once import claim_request, keep_answer
from services.platform.rpc import rpc
from services.platform.values import parse_expected_version

from . import access, distribution_store, domain, scoring_store, store
from .dependencies import LeadsBase
from .models import DistributionRule, Lead
from .schemas import dump_distribution_rule, dump_lead


class DistributionRpc(LeadsBase):
    """Distribution rules and assigning leads to owners."""

    # -- rules -----------------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def list_distribution_rules(self, actor: dict[str, Any]) -> list[dict[str, Any]]:
        """Every rule in the order they are tried (``position``). Anyone signed in reads."""
        Actor.from_dict(actor)
        result = distribution_store.list_rules(self.db)
        self.db.commit()
        return result

    @rpc(expected_exceptions=EXPECTED)
    def get_distribution_rule(self, rule_id: str, actor: dict[str, Any]) -> dict[str, Any]:
        """One rule. Raises ``NotFound``."""
        Actor.from_dict(actor)
        result = dump_distribution_rule(distribution_store.load_rule(self.db, rule_id))
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
        domain.require_manager(caller, "change distribution rules")
        values = domain.new_rule(domain.clean_rule(data, creating=True))
        domain.check_rule(values)
        result = distribution_store.add_rule(self.db, values, actor)
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
        domain.require_manager(caller, "change distribution rules")
        expected = parse_expected_version(expected_version)
        changes = domain.clean_rule(data, creating=False)
        rule = distribution_store.load_rule(self.db, rule_id, for_update=True)
        check_version("rule", rule.version, expected)
        current = dump_distribution_rule(rule)
        changed = domain.distribution_rule_changes(current, changes)
        domain.check_rule({**current, **changes})
        if not changed:
            self.db.commit()
            return current
        result = distribution_store.update_rule(self.db, rule, changes, changed, actor)
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
        domain.require_manager(caller, "change distribution rules")
        expected = parse_expected_version(expected_version)
        rule = distribution_store.load_rule(self.db, rule_id, for_update=True)
        check_version("rule", rule.version, expected)
        distribution_store.delete_rule(self.db, rule, actor)
        self.db.commit()

    # -- assigning -------------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def assign_lead(
        self,
        lead_id: str,
        data: dict[str, Any] | None,
        actor: dict[str, Any],
        expected_version: int | None = None,
        idempotency_key: str | None = None,
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
        ``expected_version``), ``ValidationFailed``. Called again with the same
        ``idempotency_key`` it assigns nothing and returns the first answer (the rules
        turn once).
        """
        replay = claim_request(self.db, idempotency_key, "assign_lead", actor)
        if replay is not None:
            return replay.answer
        caller = Actor.from_dict(actor)
        owner_id = domain.clean_assign(data)
        expected = parse_expected_version(expected_version)
        caller.require(access.ENTITY, "update")
        lead = store.load_lead(self.db, lead_id, caller, for_update=True)
        if owner_id is None:
            domain.require_assign_by_rules(caller, lead.owner_id, lead.team_id)
        else:
            domain.require_assign_by_hand(caller, lead.owner_id, lead.team_id, owner_id)
        check_version("lead", lead.version, expected)
        domain.check_open(lead.stage)
        if owner_id is None:
            rule, owner_id = distribution_store.choose_by_rules(self.db, lead)
            team_id = rule.team_id or lead.team_id
        else:
            rule = None
            if lead.owner_id == owner_id and lead.stage != "distribution":
                result = access.visible(caller, dump_lead(lead))
                keep_answer(self.db, idempotency_key, result)
                self.db.commit()  # nothing to do; ends the transaction holding the lock
                return result
            team_id = domain.team_by_hand(lead.team_id, caller)
        result = access.visible(caller, self._assign(lead, owner_id, team_id, rule, caller, actor))
        keep_answer(self.db, idempotency_key, result)
        self.db.commit()
        return result

    @rpc(expected_exceptions=EXPECTED)
    def list_lead_assignments(self, lead_id: str, actor: dict[str, Any]) -> list[dict[str, Any]]:
        """The lead's assignments, newest first: owner, previous owner, the rule (its id,
        name while it exists, strategy; null when by hand), who, when. Raises
        ``NotFound``."""
        caller = Actor.from_dict(actor)
        lead = store.load_lead(self.db, lead_id, caller)
        result = distribution_store.assignments(self.db, lead.id)
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
        domain.require_manager(caller, "distribute leads")
        domain.clean_distribute_limit(limit)
        ids = distribution_store.unassigned_ids(self.db, caller, limit)
        self.db.commit()
        counts = {"assigned": 0, "unmatched": 0, "skipped": 0}
        for lead_id in ids:
            lead = store.lock_lead(self.db, lead_id, skip_locked=True)
            if (
                lead is None
                or lead.owner_id is not None
                or lead.stage not in domain.DISTRIBUTABLE_STAGES
            ):
                self.db.commit()
                counts["skipped"] += 1
                continue
            try:
                rule, owner_id = distribution_store.choose_by_rules(self.db, lead)
            except ValidationFailed:
                self.db.commit()
                counts["unmatched"] += 1
                continue
            self._assign(lead, owner_id, rule.team_id or lead.team_id, rule, caller, actor)
            self.db.commit()
            counts["assigned"] += 1
        return counts

    def _assign(
        self,
        lead: Lead,
        owner_id: str,
        team_id: str | None,
        rule: DistributionRule | None,
        caller: Actor,
        actor: dict[str, Any],
    ) -> dict[str, Any]:
        """Assign, score and save the lead with ``lead_assigned``; not committed."""
        changed, stage_change, extra = distribution_store.record_assignment(
            self.db, lead, owner_id, team_id, rule, caller
        )
        changed = scoring_store.rescore(self.db, lead, changed)
        return store.save_lead(
            self.db,
            lead,
            actor,
            changed,
            event="lead_assigned",
            stage_change=stage_change,
            extra=extra,
        )
