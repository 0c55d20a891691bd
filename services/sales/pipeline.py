"""The pipeline board: every stage with its open deals, a part of the sales service."""

from __future__ import annotations

from typing import Any

from services.platform.access import Actor
from services.platform.errors import EXPECTED
from services.platform.listing import encode_cursor
from services.platform.rpc import rpc

from . import access, domain, pipeline_store, stages_store
from .dependencies import SalesBase
from .schemas import dump_stage


class PipelineRpc(SalesBase):
    """The board the web app shows deals on, a column per stage."""

    @rpc(expected_exceptions=EXPECTED)
    def pipeline(self, query: dict[str, Any] | None, actor: dict[str, Any]) -> dict[str, Any]:
        """The board: every stage with its open deals the caller may read.

        ``query``: ``owner_id`` (list of ids, any of), ``team_id`` (list), ``per_stage``
        (cards per column, default 50, at most 200). Each column: ``stage``, ``count``,
        ``totals`` per currency (``amount``, ``weighted`` = Σ amount × probability / 100),
        ``items`` (cards, latest changed first) and ``next_cursor`` for
        ``list_opportunities`` with ``filter[stage_id]``, ``filter[status]=open``,
        ``sort=-updated_at``. Final stages come with no cards: they are where deals
        are won or lost. Raises ``ValidationFailed``.
        """
        caller = Actor.from_dict(actor)
        owners, teams, per_stage = domain.board_query(query)
        conditions = pipeline_store.board_conditions(caller, owners, teams)
        stages = stages_store.all_stages(self.db)
        counts, totals = pipeline_store.stage_sums(self.db, conditions)
        cards = pipeline_store.board_cards(
            self.db,
            [s.id for s in stages if not s.is_final and counts.get(s.id)],
            conditions,
            per_stage,
        )
        columns = []
        hidden = caller.hidden(access.OPPORTUNITIES.entity)
        for stage in stages:
            items = cards.get(stage.id, [])
            next_cursor = None
            if len(items) > per_stage:
                items = items[:per_stage]
                last = items[-1]
                next_cursor = encode_cursor("-updated_at", last.pop("_updated_at"), last["id"])
            for card in items:
                card.pop("_updated_at", None)
            columns.append(
                {
                    "stage": dump_stage(stage),
                    "count": counts.get(stage.id, 0),
                    # the sums would tell what a hidden amount hides
                    "totals": []
                    if "amount" in hidden
                    else sorted(totals.get(stage.id, []), key=lambda t: t["currency"]),
                    "items": access.OPPORTUNITIES.visible_all(caller, items),
                    "next_cursor": next_cursor,
                }
            )
        self.db.commit()
        return {"stages": columns}
