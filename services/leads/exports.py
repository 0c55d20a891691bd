"""Leads and their stage changes, page by page, as the events carry them: what the
analytics read models are rebuilt from (``osprey analytics rebuild``)."""

from __future__ import annotations

from typing import Any

from services.platform.errors import EXPECTED
from services.platform.events import isoformat
from services.platform.exports import check_exporter, export_page, unknown_entity
from services.platform.rpc import rpc

from .dependencies import LeadsBase
from .models import Lead, StageChange
from .schemas import dump_lead


def _stage_change(change: StageChange) -> dict[str, Any]:
    return {
        "id": str(change.id),
        "lead_id": str(change.lead_id),
        "from_stage": change.from_stage,
        "to_stage": change.to_stage,
        "changed_at": isoformat(change.changed_at),
    }


EXPORTS = {"lead": (Lead, dump_lead), "lead_stage_change": (StageChange, _stage_change)}


class ExportsRpc(LeadsBase):
    """``export_records``: administrators and the system only."""

    @rpc(expected_exceptions=EXPECTED)
    def export_records(
        self,
        entity: str,
        after: str | None = None,
        limit: int = 500,
        *,
        actor: dict[str, Any],
    ) -> dict[str, Any]:
        """``{items, next_after}``: ``entity`` (``lead``, ``lead_stage_change``) in id
        order after the id ``after``, each as its events carry it."""
        check_exporter(actor)
        if entity not in EXPORTS:
            raise unknown_entity(entity, list(EXPORTS))
        model, dump = EXPORTS[entity]
        return export_page(self.db, model, dump, after=after, limit=limit)
