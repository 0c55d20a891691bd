"""The leads service's bulk creates (``leads_imported``) in the feed: every lead's ref
(owner, team, title: who may read its posts) kept and its owner made to follow it, as
``lead_created`` does for one — for the event's thousand leads in one statement with
the event's claim in it, run alone in autocommit (``@idempotent_alone``)."""

from __future__ import annotations

import functools
import json
from typing import Any

import sqlalchemy as sa
from nameko.events import event_handler

from services.platform.events import utcnow
from services.platform.idempotency import claimed_cte, idempotent_alone

from . import domain
from .base import FeedBase
from .models import record_refs, subscriptions


@functools.cache
def _refs_alone(processed_events: sa.Table) -> sa.TextClause:
    return sa.text(
        f"""
        WITH {claimed_cte(processed_events)},
        r AS (
            SELECT * FROM json_to_recordset(CAST(:rows AS json))
                AS r(id uuid, owner_id uuid, team_id uuid, title text)
        ),
        ref AS (
            INSERT INTO {record_refs.fullname} AS k (type, id, owner_id, team_id, title, updated_at)
            SELECT 'lead', r.id, r.owner_id, r.team_id, r.title, :updated_at FROM r
            WHERE EXISTS (SELECT 1 FROM claimed)
            ORDER BY r.id
            ON CONFLICT (type, id) DO UPDATE SET
                owner_id = EXCLUDED.owner_id, team_id = EXCLUDED.team_id,
                title = COALESCE(NULLIF(EXCLUDED.title, ''), k.title),
                updated_at = EXCLUDED.updated_at
            RETURNING k.id, k.owner_id
        )
        INSERT INTO {subscriptions.fullname} (id, user_id, target_type, target_id, created_at)
        SELECT gen_random_uuid(), ref.owner_id, 'lead', ref.id, :updated_at FROM ref
        WHERE ref.owner_id IS NOT NULL
        ORDER BY ref.owner_id, ref.id
        ON CONFLICT (user_id, target_type, target_id) DO NOTHING
        """
    )


def imported_refs(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The event's leads (``defaults`` overlaid with each entry) as refs."""
    defaults = data.get("defaults") or {}
    refs = []
    for entry in data.get("leads") or []:
        lead = {**defaults, **entry}
        if domain.is_uuid(lead.get("id")):
            refs.append(
                {
                    "id": lead["id"],
                    "owner_id": lead.get("owner_id"),
                    "team_id": lead.get("team_id"),
                    "title": domain.record_title(lead),
                }
            )
    return refs


class ImportsHandlers(FeedBase):
    """``leads_imported``."""

    @event_handler("leads", "leads_imported")
    @idempotent_alone
    def handle_leads_imported(self, event: dict[str, Any]) -> Any:
        refs = imported_refs(event.get("data") or {})
        if not refs:
            return None
        return _refs_alone(self.db.processed_events), {
            "rows": json.dumps(refs),
            "updated_at": utcnow(),
        }
