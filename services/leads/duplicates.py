"""Similar leads and merging them: a part of the leads service.

A lead looks like another when they share a normalized email or phone, or when the
contact names are alike (pg_trgm similarity ≥ 0.4; a like company name adds to the
score). Leads arrive from forms and imports, so a look-alike never blocks a new lead:
the new lead comes back with its ``similar`` ones and the user merges. A merge keeps
the oldest lead, fills its empty fields from the others (oldest first), moves their
stage history and assignments to it, records what it did, and announces
``leads_merged`` so the sales service moves the merged leads' activities and deals.
"""

from __future__ import annotations

from typing import Any

from services.platform.access import Actor
from services.platform.errors import EXPECTED
from services.platform.rpc import rpc

from . import access, domain, duplicates_store, scoring_store, store
from .dependencies import NAME_KEYS, LeadsBase
from .schemas import dump_lead


class DuplicatesRpc(LeadsBase):
    """Similar leads, the check for a new one, and merging."""

    @rpc(expected_exceptions=EXPECTED)
    def similar_leads(self, lead_id: str, actor: dict[str, Any]) -> list[dict[str, Any]]:
        """Up to 10 likely duplicates the caller may read: ``[{record, score, reasons}]``.

        Reasons ⊆ ``email, phone, name, company``; best first. Raises ``NotFound``.
        """
        caller = Actor.from_dict(actor)
        lead = store.load_lead(self.db, lead_id, caller)
        result = duplicates_store.lead_candidates(
            self.db, self.name_indexes.get(NAME_KEYS), dump_lead(lead), caller, exclude_id=lead.id
        )
        self.db.commit()
        return access.visible_similar(caller, result)

    @rpc(expected_exceptions=EXPECTED)
    def check_lead_duplicates(
        self, data: dict[str, Any], actor: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """The leads the caller may read that look like ``data`` (a create payload).

        Nothing is written. Raises ``ValidationFailed`` for bad data, as create does.
        """
        caller = Actor.from_dict(actor)
        caller.require(access.ENTITY, "read")
        values = domain.clean_changes(data)
        result = duplicates_store.lead_candidates(
            self.db, self.name_indexes.get(NAME_KEYS), values, caller
        )
        self.db.commit()
        return access.visible_similar(caller, result)

    @rpc(expected_exceptions=EXPECTED)
    def merge_leads(self, lead_id: str, lead_ids: Any, actor: dict[str, Any]) -> dict[str, Any]:
        """Merge ``lead_id`` and ``lead_ids`` into the oldest of them; emit ``leads_merged``.

        The kept lead's empty fields are filled from the others (oldest first); their
        stage history and assignments move to it; each merged lead is recorded
        (``list_lead_merges``) and deleted. The caller needs change rights on every
        one (its write scope or a share for editing), and the delete right for the
        merged ones, which are deleted. Raises ``ValidationFailed`` (no other ids, a
        repeated id, too many), ``NotFound``, ``PermissionDenied``, ``Conflict`` (two
        of them were handed off to different deals).
        """
        caller = Actor.from_dict(actor)
        caller.require(access.ENTITY, "update")
        caller.require(access.ENTITY, "delete")
        ids = domain.clean_merge_ids(lead_id, lead_ids)
        # Locked in id order, so two merges of overlapping leads cannot deadlock.
        leads = [store.load_lead(self.db, i, caller, for_update=True) for i in sorted(ids)]
        for lead in leads:
            store.require_change(self.db, caller, lead)
        leads.sort(key=lambda lead: (lead.created_at, lead.id))
        kept, others = leads[0], leads[1:]
        domain.check_one_deal([lead.opportunity_id for lead in leads])
        kept_state = dump_lead(kept)
        other_states = [dump_lead(other) for other in others]
        filled = domain.merged_values(kept_state, other_states)
        merged_ids = [other.id for other in others]
        duplicates_store.merge_into(self.db, kept, others, other_states, filled, caller)
        changed = scoring_store.rescore(self.db, kept, list(filled))
        result = store.save_lead(
            self.db,
            kept,
            actor,
            changed,
            event="leads_merged",
            extra={"merged_ids": merged_ids, "merged_records": other_states},
        )
        self.db.commit()
        return access.visible(caller, result)

    @rpc(expected_exceptions=EXPECTED)
    def list_lead_merges(self, lead_id: str, actor: dict[str, Any]) -> list[dict[str, Any]]:
        """What was merged into the lead: ``[{id, merged_id, merged_record, filled_fields,
        merged_by, merged_at}]``, newest first (``merged_record`` without the fields
        hidden from the caller). Raises ``NotFound``."""
        caller = Actor.from_dict(actor)
        lead = store.load_lead(self.db, lead_id, caller)
        result = duplicates_store.merges(self.db, lead.id)
        self.db.commit()
        if caller.hidden(access.ENTITY):
            result = [
                {**merge, "merged_record": access.visible(caller, merge["merged_record"] or {})}
                for merge in result
            ]
        return result
