"""Scoring rules and the explainable score of each lead: a part of the leads service.

The rules themselves are pure (``domain.scoring``): a lead's ``score`` is the sum of
the points of the active rules it meets, held to 0..100, and ``score_reasons`` lists
them. Every step that saves a lead scores it where it saves it
(``scoring_store.rescore``; a new lead: ``scoring_store.score_new_lead``); after the
rules change, every lead is scored again in the background (``scoring_rules_changed``).

The background recompute walks the leads by id in batches, each batch its own
transaction, and only writes leads whose score or reasons change. It neither bumps a
lead's ``version`` nor emits per-lead events (a rule change may touch every lead; the
score is derived from the rules, which were announced); it announces its end once
with ``lead_scores_recomputed`` ``{scanned, changed}``, so copies of leads elsewhere
know when to read scores again. Running it twice changes nothing the second time.
"""

from __future__ import annotations

from typing import Any

from nameko.events import event_handler

from services.platform.access import Actor
from services.platform.errors import EXPECTED
from services.platform.idempotency import idempotent
from services.platform.records import check_version
from services.platform.rpc import rpc
from services.platform.values import parse_expected_version

from . import domain, scoring_store, store
from .dependencies import LeadsBase
from .schemas import dump_scoring_rule


class ScoringRpc(LeadsBase):
    """Scoring rules and the explainable score of each lead."""

    #: (leads scanned, leads changed) by this worker's recompute.
    _recomputed: tuple[int, int] = (0, 0)

    @rpc(expected_exceptions=EXPECTED)
    def list_scoring_rules(self, actor: dict[str, Any]) -> list[dict[str, Any]]:
        """Every scoring rule, oldest first. Anyone signed in reads."""
        Actor.from_dict(actor)
        result = scoring_store.list_rules(self.db)
        self.db.commit()
        return result

    @rpc(expected_exceptions=EXPECTED)
    def get_scoring_rule(self, rule_id: str, actor: dict[str, Any]) -> dict[str, Any]:
        """One scoring rule. Raises ``NotFound``."""
        Actor.from_dict(actor)
        result = dump_scoring_rule(scoring_store.load_rule(self.db, rule_id))
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
        domain.require_manager(caller, "change scoring rules")
        changes = domain.clean_scoring_rule(data)
        result = scoring_store.add_rule(self.db, changes, actor)
        scoring_store.announce_rules_changed(self.db, "created", result["id"], actor)
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
        domain.require_manager(caller, "change scoring rules")
        expected = parse_expected_version(expected_version)
        rule = scoring_store.load_rule(self.db, rule_id, for_update=True)
        check_version("rule", rule.version, expected)
        current = dump_scoring_rule(rule)
        changes = domain.clean_scoring_rule(data, current)
        changed = domain.scoring_rule_changes(current, changes)
        if not changed:
            self.db.commit()
            return current
        result = scoring_store.update_rule(self.db, rule, changes, changed, actor)
        scoring_store.announce_rules_changed(self.db, "updated", rule.id, actor)
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
        domain.require_manager(caller, "change scoring rules")
        expected = parse_expected_version(expected_version)
        rule = scoring_store.load_rule(self.db, rule_id, for_update=True)
        check_version("rule", rule.version, expected)
        scoring_store.delete_rule(self.db, rule, actor)
        scoring_store.announce_rules_changed(self.db, "deleted", rule_id, actor)
        self.db.commit()

    @rpc(expected_exceptions=EXPECTED)
    def explain_score(self, lead_id: str, actor: dict[str, Any]) -> dict[str, Any]:
        """``{lead_id, score, reasons: [{rule_id, name, points}]}`` as stored on the lead.
        Raises ``NotFound``."""
        caller = Actor.from_dict(actor)
        lead = store.load_lead(self.db, lead_id, caller)
        result = {
            "lead_id": lead.id,
            "score": lead.score,
            "reasons": [dict(r) for r in lead.score_reasons or []],
        }
        self.db.commit()
        return result

    @event_handler("leads", "scoring_rules_changed")
    def handle_scoring_rules_changed(self, event: dict[str, Any]) -> None:
        """Score every lead again with the rules as they are now.

        The batches commit one by one and no transaction stays open across them;
        the event is claimed (``idempotent``) with the closing summary, after the
        last batch. So a recompute cut short runs again in full when the event comes
        back (harmless: unchanged leads are not written), and one that finished is
        not repeated.
        """
        done = scoring_store.event_done(self.db, event["id"], _FINISH_HANDLER)
        self.db.commit()
        if done:
            return
        self._recomputed = scoring_store.rescore_all(self.db)
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


#: The name ``idempotent`` records the finished recompute under (stored in
#: ``processed_events``: the method keeps its module and class, so the name stays).
_FINISH_HANDLER = (
    f"{ScoringRpc._finish_rescore.__module__}.{ScoringRpc._finish_rescore.__qualname__}"
)
