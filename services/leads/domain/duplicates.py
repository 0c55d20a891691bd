"""Look-alike leads and merging them, as pure functions.

A lead looks like another when they share a normalized email or phone, or when the
contact names are alike (pg_trgm similarity ≥ 0.4; a like company name adds to the
score). A merge keeps the oldest lead and fills its empty fields from the others.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from services.platform import similar
from services.platform.errors import Conflict
from services.platform.fields import failed
from services.platform.values import is_uuid

from .lead import FIELD_NAMES

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


def best_candidates(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The look-alikes best first (ties by id), at most :data:`MAX_SIMILAR`."""
    ranked = sorted(found, key=lambda f: (-f["score"], f["record"]["id"]))
    return ranked[:MAX_SIMILAR]


def merged_values(kept: Mapping[str, Any], others: list[Mapping[str, Any]]) -> dict[str, Any]:
    """The kept lead's empty fields filled from the others, oldest first: ``{field: value}``."""
    filled: dict[str, Any] = {}
    for name in FIELD_NAMES:
        if name in NOT_FILLED or kept.get(name) not in (None, "", []):
            continue
        for other in others:
            if other.get(name) not in (None, "", []):
                filled[name] = other[name]
                break
    return filled


def filled_from(state: Mapping[str, Any], filled: Mapping[str, Any]) -> list[str]:
    """The fields of ``filled`` whose value a merged lead (``state``) holds."""
    return [k for k in filled if state.get(k) == filled[k]]


def clean_merge_ids(lead_id: Any, lead_ids: Any) -> list[str]:
    """The kept lead's id and the others', checked: 1 to 20 other UUIDs, none twice."""
    if not isinstance(lead_ids, list) or not lead_ids:
        raise failed("lead_ids", "give the ids of the leads to merge into this one")
    if len(lead_ids) > MAX_MERGE:
        raise failed("lead_ids", f"merge at most {MAX_MERGE} leads at once")
    if not all(is_uuid(i) for i in lead_ids):
        raise failed("lead_ids", "must be lead ids (UUIDs)")
    ids = [str(lead_id), *(str(i) for i in lead_ids)]
    if len(set(ids)) != len(ids):
        raise failed("lead_ids", "a lead cannot be merged with itself")
    return ids


def check_one_deal(opportunity_ids: list[str | None]) -> None:
    """Leads handed off to different deals are not merged (merge the deals instead)."""
    if len({i for i in opportunity_ids if i}) > 1:
        raise Conflict(
            "These leads were handed off to different deals; merge the deals instead",
            [{"field": "lead_ids", "message": "handed off to different deals"}],
        )
