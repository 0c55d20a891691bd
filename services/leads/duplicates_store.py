"""Looking for look-alike leads and merging them: the reads and writes.

Every function takes the session ``db`` first and none commits. The look-alike search
runs on every lead created, so its statements are made once.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from services.platform import similar
from services.platform.access import Actor
from services.platform.events import isoformat, utcnow
from services.platform.ids import new_id

from . import domain
from .models import Assignment, Lead, LeadMerge, LeadNameKey, LeadShare, StageChange
from .schemas import dump_lead

#: the shares that make a lead readable beyond the caller's record scope
SHARES = LeadShare.__table__
_SHARES = SHARES.fullname

#: The candidates: each exact value through its own index, the nearest names' ids,
#: then their leads with the names' and companies' similarities — one statement, made
#: once (every lead created runs it).
_CANDIDATES = sa.text(
    f"SELECT {', '.join(f'l.{name}' for name in domain.FIELD_NAMES)},"
    " similarity(l.contact_name, :name) AS by_name,"
    " similarity(l.account_name, :company) AS by_company"
    " FROM leads.leads AS l WHERE l.id IN ("
    "(SELECT x.id FROM leads.leads AS x WHERE x.email = :email"
    f" AND {similar.allowed_sql('x', Lead.id, Lead.owner_id, Lead.team_id, _SHARES)}"
    " LIMIT :exact_limit)"
    " UNION (SELECT x.id FROM leads.leads AS x WHERE x.phone = :phone"
    f" AND {similar.allowed_sql('x', Lead.id, Lead.owner_id, Lead.team_id, _SHARES)}"
    " LIMIT :exact_limit)"
    " UNION SELECT unnest(CAST(:name_ids AS uuid[])))"
).columns(
    *(Lead.__table__.c[name] for name in domain.FIELD_NAMES),
    sa.column("by_name", sa.Float),
    sa.column("by_company", sa.Float),
)


def lead_candidates(
    db: Any,
    index: Any,
    values: Mapping[str, Any],
    caller: Actor,
    exclude_id: str | None = None,
) -> list[dict[str, Any]]:
    """Leads the caller may read that look like ``values``, best first, at most 10:
    ``[{record, score, reasons}]``. ``index`` is the in-memory name index (or None).

    Each exact value (email, phone) is one indexed lookup; the names are the nearest
    ones through the trigram index, looked for from a high threshold down, so a common
    name does not drag tens of thousands of rows through the comparison. Then the few
    candidates are read by primary key and scored.
    """
    allowed = similar.Allowed(
        caller, Lead.id, Lead.owner_id, Lead.team_id, exclude_id, entity="leads", shares=SHARES
    )
    name = values.get("contact_name")
    name_ids: list[str] = []
    if name:
        name_ids = similar.nearest_ids_by_name_key(
            db,
            key_column=LeadNameKey.key,
            record_key=Lead.name_key,
            name=name,
            allowed=allowed,
            index=index,
        )
    if not (name_ids or values.get("email") or values.get("phone")):
        return []
    rows = db.execute(
        _CANDIDATES,
        {
            **allowed.params(),
            "email": values.get("email"),
            "phone": values.get("phone"),
            "name_ids": name_ids,
            "name": name,
            "company": values.get("account_name"),
            "exact_limit": domain.EXACT_MATCH_LIMIT,
        },
    ).all()
    found = []
    for row in rows:
        record = dump_lead(row)
        scored = domain.score_candidate(values, record, row.by_name, row.by_company)
        if scored is not None:
            found.append({"record": record, **scored})
    return domain.best_candidates(found)


def merge_into(
    db: Any,
    kept: Lead,
    others: list[Lead],
    other_states: list[dict[str, Any]],
    filled: dict[str, Any],
    caller: Actor,
) -> None:
    """Record each merged lead, move their stage history and assignments to the kept
    one, delete them, log the merge in the kept lead's history and fill its empty
    fields. The caller saves the kept lead."""
    merged_ids = [other.id for other in others]
    now = utcnow()
    for other, state in zip(others, other_states, strict=True):
        db.add(
            LeadMerge(
                id=new_id(),
                kept_id=kept.id,
                merged_id=other.id,
                merged_record=state,
                filled_fields=domain.filled_from(state, filled),
                merged_by=caller.id,
                merged_at=now,
            )
        )
    for model in (StageChange, Assignment):
        db.execute(sa.update(model).where(model.lead_id.in_(merged_ids)).values(lead_id=kept.id))
    db.execute(sa.delete(Lead).where(Lead.id.in_(merged_ids)))
    db.add(
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


def merges(db: Any, lead_id: str) -> list[dict[str, Any]]:
    """What was merged into the lead, newest first."""
    rows = db.execute(
        sa.select(LeadMerge)
        .where(LeadMerge.kept_id == lead_id)
        .order_by(LeadMerge.merged_at.desc(), LeadMerge.id)
    ).scalars()
    return [
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
