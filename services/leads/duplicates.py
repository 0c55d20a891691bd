"""Similar leads and merging them.

A lead looks like another when they share a normalized email or phone, or when the
contact names are alike (pg_trgm similarity ≥ 0.4; a like company name adds to the
score). Leads arrive from forms and imports, so a look-alike never blocks a new lead:
the new lead comes back with its ``similar`` ones and the user merges. A merge keeps
the oldest lead, fills its empty fields from the others (oldest first), moves their
stage history and assignments to it, records what it did, and announces
``leads_merged`` so the sales service moves the merged leads' activities and deals.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from services.platform import similar
from services.platform.access import Actor
from services.platform.errors import EXPECTED, Conflict
from services.platform.events import isoformat, utcnow
from services.platform.ids import new_id
from services.platform.rpc import rpc

from . import domain
from .base import LeadsBase
from .models import Assignment, Lead, LeadMerge, LeadNameKey, StageChange
from .schemas import dump_lead

#: How alike two names must be to count (pg_trgm similarity), and how many look-alikes
#: a search returns: the suite's one setting (services/platform/similar.py).
NAME_SIMILARITY_THRESHOLD = similar.NAME_SIMILARITY_THRESHOLD
MAX_SIMILAR = similar.MAX_SIMILAR
EXACT_MATCH_LIMIT = 50
MAX_MERGE = 20
#: Fields a merge never copies from a merged lead into the kept one.
NOT_FILLED = frozenset(
    {"id", "stage", "version", "created_at", "updated_at", "created_by", "score", "score_reasons"}
)


def score_candidate(
    values: Mapping[str, Any], other: Mapping[str, Any], name_score: float, company_score: float
) -> dict[str, Any] | None:
    """``{score, reasons}`` of ``other`` as a duplicate of ``values``, or None if it is not one.

    1 per exact email or phone, plus the contact names' similarity; a like company
    name adds half its similarity but is never a reason on its own.
    """
    reasons: list[str] = []
    score = 0.0
    for field in ("email", "phone"):
        if values.get(field) and values.get(field) == other.get(field):
            reasons.append(field)
            score += 1.0
    if name_score is not None and name_score >= NAME_SIMILARITY_THRESHOLD:
        reasons.append("name")
        score += float(name_score)
    if not reasons:
        return None
    if company_score is not None and company_score >= NAME_SIMILARITY_THRESHOLD:
        reasons.append("company")
        score += float(company_score) / 2
    return {"score": round(score, 4), "reasons": reasons}


def merged_values(kept: Mapping[str, Any], others: list[Mapping[str, Any]]) -> dict[str, Any]:
    """The kept lead's empty fields filled from the others, oldest first: ``{field: value}``."""
    filled: dict[str, Any] = {}
    for name in domain.FIELD_NAMES:
        if name in NOT_FILLED or kept.get(name) not in (None, "", []):
            continue
        for other in others:
            if other.get(name) not in (None, "", []):
                filled[name] = other[name]
                break
    return filled


class DuplicatesRpc(LeadsBase):
    """Similar leads, the check for a new one, and merging."""

    @rpc(expected_exceptions=EXPECTED)
    def similar_leads(self, lead_id: str, actor: dict[str, Any]) -> list[dict[str, Any]]:
        """Up to 10 likely duplicates the caller may read: ``[{record, score, reasons}]``.

        Reasons ⊆ ``email, phone, name, company``; best first. Raises ``NotFound``.
        """
        caller = Actor.from_dict(actor)
        lead = self._load(lead_id, caller)
        result = self._lead_candidates(dump_lead(lead), caller, exclude_id=lead.id)
        self.db.commit()
        return result

    @rpc(expected_exceptions=EXPECTED)
    def check_lead_duplicates(
        self, data: dict[str, Any], actor: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """The leads the caller may read that look like ``data`` (a create payload).

        Nothing is written. Raises ``ValidationFailed`` for bad data, as create does.
        """
        caller = Actor.from_dict(actor)
        values = domain.clean_changes(data)
        result = self._lead_candidates(values, caller)
        self.db.commit()
        return result

    @rpc(expected_exceptions=EXPECTED)
    def merge_leads(self, lead_id: str, lead_ids: Any, actor: dict[str, Any]) -> dict[str, Any]:
        """Merge ``lead_id`` and ``lead_ids`` into the oldest of them; emit ``leads_merged``.

        The kept lead's empty fields are filled from the others (oldest first); their
        stage history and assignments move to it; each merged lead is recorded
        (``list_lead_merges``) and deleted. The caller needs change rights on every
        one. Raises ``ValidationFailed`` (no other ids, a repeated id, too many),
        ``NotFound``, ``PermissionDenied``, ``Conflict`` (two of them were handed off
        to different deals).
        """
        caller = Actor.from_dict(actor)
        ids = _clean_ids(lead_id, lead_ids)
        # Locked in id order, so two merges of overlapping leads cannot deadlock.
        leads = [self._load(i, caller, for_update=True) for i in sorted(ids)]
        for lead in leads:
            caller.require_change(lead.owner_id, lead.team_id)
        leads.sort(key=lambda lead: (lead.created_at, lead.id))
        kept, others = leads[0], leads[1:]
        deals = {lead.opportunity_id for lead in leads if lead.opportunity_id}
        if len(deals) > 1:
            raise Conflict(
                "These leads were handed off to different deals; merge the deals instead",
                [{"field": "lead_ids", "message": "handed off to different deals"}],
            )
        kept_state = dump_lead(kept)
        other_states = [dump_lead(other) for other in others]
        filled = merged_values(kept_state, other_states)
        merged_ids = [other.id for other in others]
        now = utcnow()
        for other, state in zip(others, other_states, strict=True):
            self.db.add(
                LeadMerge(
                    id=new_id(),
                    kept_id=kept.id,
                    merged_id=other.id,
                    merged_record=state,
                    filled_fields=[k for k in filled if state.get(k) == filled[k]],
                    merged_by=caller.id,
                    merged_at=now,
                )
            )
        for model in (StageChange, Assignment):
            self.db.execute(
                sa.update(model).where(model.lead_id.in_(merged_ids)).values(lead_id=kept.id)
            )
        self.db.execute(sa.delete(Lead).where(Lead.id.in_(merged_ids)))
        self.db.add(
            StageChange(
                id=new_id(),
                lead_id=kept.id,
                from_stage=kept.stage,
                to_stage=kept.stage,
                action="merge",
                reason=f"merged {len(merged_ids)} lead(s)",
                changed_by=caller.id,
                changed_at=now,
            )
        )
        for name, value in filled.items():
            setattr(kept, name, value)
        return self._save(
            kept,
            actor,
            list(filled),
            event="leads_merged",
            extra={"merged_ids": merged_ids, "merged_records": other_states},
        )

    @rpc(expected_exceptions=EXPECTED)
    def list_lead_merges(self, lead_id: str, actor: dict[str, Any]) -> list[dict[str, Any]]:
        """What was merged into the lead: ``[{id, merged_id, merged_record, filled_fields,
        merged_by, merged_at}]``, newest first. Raises ``NotFound``."""
        caller = Actor.from_dict(actor)
        lead = self._load(lead_id, caller)
        rows = self.db.execute(
            sa.select(LeadMerge)
            .where(LeadMerge.kept_id == lead.id)
            .order_by(LeadMerge.merged_at.desc(), LeadMerge.id)
        ).scalars()
        result = [
            {
                "id": m.id,
                "kept_id": m.kept_id,
                "merged_id": m.merged_id,
                "merged_record": m.merged_record,
                "filled_fields": m.filled_fields,
                "merged_by": m.merged_by,
                "merged_at": isoformat(m.merged_at),
            }
            for m in rows
        ]
        self.db.commit()
        return result

    # --- the lookup -------------------------------------------------------------------

    def _lead_candidates(
        self, values: Mapping[str, Any], caller: Actor, exclude_id: str | None = None
    ) -> list[dict[str, Any]]:
        """Leads the caller may read that look like ``values``, best first, at most 10.

        Each exact value (email, phone) is one indexed lookup; the names are the
        nearest ones through the trigram index, looked for from a high threshold
        down, so a common name does not drag tens of thousands of rows through the
        comparison. Then the few candidates are read by primary key and scored.
        """
        allowed = similar.Allowed(caller, Lead.id, Lead.owner_id, Lead.team_id, exclude_id)
        name = values.get("contact_name")
        name_ids: list[str] = []
        if name:
            name_ids = similar.nearest_ids_by_name_key(
                self.db,
                key_column=LeadNameKey.key,
                record_key=Lead.name_key,
                name=name,
                allowed=allowed,
                index=self.name_indexes.get("leads.lead_name_keys"),
            )
        if not (name_ids or values.get("email") or values.get("phone")):
            return []
        rows = self.db.execute(
            _CANDIDATES,
            {
                **allowed.params(),
                "email": values.get("email"),
                "phone": values.get("phone"),
                "name_ids": name_ids,
                "name": name,
                "company": values.get("account_name"),
                "exact_limit": EXACT_MATCH_LIMIT,
            },
        ).all()
        found = []
        for row in rows:
            record = dump_lead(row)
            scored = score_candidate(values, record, row.by_name, row.by_company)
            if scored is not None:
                found.append({"record": record, **scored})
        found.sort(key=lambda f: (-f["score"], f["record"]["id"]))
        return found[:MAX_SIMILAR]


#: The candidates: each exact value through its own index, the nearest names' ids,
#: then their leads with the names' and companies' similarities — one statement, made
#: once (every lead created runs it).
_CANDIDATES = sa.text(
    f"SELECT {', '.join(f'l.{name}' for name in domain.FIELD_NAMES)},"
    " similarity(l.contact_name, :name) AS by_name,"
    " similarity(l.account_name, :company) AS by_company"
    " FROM leads.leads AS l WHERE l.id IN ("
    "(SELECT x.id FROM leads.leads AS x WHERE x.email = :email"
    f" AND {similar.allowed_sql('x', Lead.id, Lead.owner_id, Lead.team_id)} LIMIT :exact_limit)"
    " UNION (SELECT x.id FROM leads.leads AS x WHERE x.phone = :phone"
    f" AND {similar.allowed_sql('x', Lead.id, Lead.owner_id, Lead.team_id)} LIMIT :exact_limit)"
    " UNION SELECT unnest(CAST(:name_ids AS uuid[])))"
).columns(
    *(Lead.__table__.c[name] for name in domain.FIELD_NAMES),
    sa.column("by_name", sa.Float),
    sa.column("by_company", sa.Float),
)


def _clean_ids(lead_id: Any, lead_ids: Any) -> list[str]:
    if not isinstance(lead_ids, list) or not lead_ids:
        raise domain.failed("lead_ids", "give the ids of the leads to merge into this one")
    if len(lead_ids) > MAX_MERGE:
        raise domain.failed("lead_ids", f"merge at most {MAX_MERGE} leads at once")
    if not all(domain.is_uuid(i) for i in lead_ids):
        raise domain.failed("lead_ids", "must be lead ids (UUIDs)")
    ids = [str(lead_id), *(str(i) for i in lead_ids)]
    if len(set(ids)) != len(ids):
        raise domain.failed("lead_ids", "a lead cannot be merged with itself")
    return ids
