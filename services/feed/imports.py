"""The leads service's bulk creates (``leads_imported``) in the feed: every lead's ref
(owner, team, title: who may read its posts) kept and its owner made to follow it, as
``lead_created`` does for one — for the event's thousand leads in one statement with
the event's claim in it, run alone in autocommit (``@idempotent_alone``).

Its bulk deletes (``leads_deleted``, the rollback of an import) leave nothing of those
leads behind that nothing needs: nobody follows them any more, and the ref of a lead
without a post is dropped; a lead with posts keeps its ref with its last owner and team,
as ``lead_deleted`` keeps it (its posts stay as private as the lead was)."""

from __future__ import annotations

import functools
import json
from typing import Any

import sqlalchemy as sa
from nameko.events import event_handler

from services.platform.events import utcnow
from services.platform.idempotency import claimed_cte, idempotent, idempotent_alone

from . import domain
from .base import FeedBase
from .models import posts, record_refs, subscriptions

_UNFOLLOW = sa.text(
    f"DELETE FROM {subscriptions.fullname}"
    " WHERE target_type = 'lead' AND target_id = ANY(CAST(:ids AS uuid[]))"
)
_DROP_REFS = sa.text(
    f"DELETE FROM {record_refs.fullname} AS k"
    " WHERE k.type = 'lead' AND k.id = ANY(CAST(:ids AS uuid[]))"
    f" AND NOT EXISTS (SELECT 1 FROM {posts.fullname} AS p"
    "                  WHERE p.related_type = 'lead' AND p.related_id = k.id)"
)
_KEEP_LAST = sa.text(
    f"UPDATE {record_refs.fullname} AS k SET owner_id = r.owner_id, team_id = r.team_id,"
    " updated_at = :updated_at"
    " FROM json_to_recordset(CAST(:rows AS json)) AS r(id uuid, owner_id uuid, team_id uuid)"
    " WHERE k.type = 'lead' AND k.id = r.id"
)


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
    """``leads_imported`` and ``leads_deleted``."""

    @event_handler("leads", "leads_deleted")
    @idempotent
    def handle_leads_deleted(self, event: dict[str, Any]) -> None:
        refs = imported_refs(event.get("data") or {})
        if refs:
            ids = [str(ref["id"]) for ref in refs]
            self.db.execute(_UNFOLLOW, {"ids": ids})
            self.db.execute(_DROP_REFS, {"ids": ids})
            self.db.execute(_KEEP_LAST, {"rows": json.dumps(refs), "updated_at": utcnow()})
        self.db.commit()  # also records the event as processed (see idempotent)

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
